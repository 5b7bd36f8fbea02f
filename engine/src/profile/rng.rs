//! The deterministic random numbers the profile models need: seeding k-means++, drawing the
//! silhouette sample, and simulating shops. The engine takes no dependencies, and every result
//! must be reproducible from the input alone, so this is a fixed-seed SplitMix64 stream.

/// SplitMix64 (Steele, Lea & Flood 2014): one 64-bit state, full period, good enough for sampling
/// and simulation, and trivially reproducible across platforms.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    pub fn uniform_open0(&mut self) -> f64 {
        1.0 - self.uniform()
    }

    /// Uniform index in `0..n` (n > 0); the modulo bias is below 2^-40 for any slice we hold.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) % n.max(1) as u64) as usize
    }

    pub fn standard_normal(&mut self) -> f64 {
        // Box–Muller; one of the pair is discarded to keep the state a single word.
        let u = self.uniform_open0();
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform_open0().ln() / rate
    }

    /// Gamma(shape, rate) by Marsaglia & Tsang (2000), boosted for shape < 1.
    pub fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.uniform_open0().powf(1.0 / shape);
            return self.gamma(shape + 1.0, rate) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.standard_normal();
            let v = 1.0 + c * z;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = self.uniform_open0();
            if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }

    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        let y = self.gamma(b, 1.0);
        if x + y > 0.0 { x / (x + y) } else { 0.5 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        assert_eq!(xs, (0..5).map(|_| b.next_u64()).collect::<Vec<_>>());
        assert_ne!(xs, (0..5).map(|_| c.next_u64()).collect::<Vec<_>>());
    }

    #[test]
    fn gamma_and_beta_moments() {
        let mut rng = Rng::new(1);
        for (shape, rate) in [(0.24, 4.4), (3.0, 2.0), (0.7, 1.0)] {
            let xs: Vec<f64> = (0..200_000).map(|_| rng.gamma(shape, rate)).collect();
            let (m, v) = mean_var(&xs);
            assert!(
                (m / (shape / rate) - 1.0).abs() < 0.03,
                "mean {m} shape {shape}"
            );
            assert!(
                (v / (shape / rate / rate) - 1.0).abs() < 0.08,
                "var {v} shape {shape}"
            );
        }
        let xs: Vec<f64> = (0..200_000).map(|_| rng.beta(0.79, 2.4)).collect();
        let (m, _) = mean_var(&xs);
        assert!((m - 0.79 / 3.19).abs() < 0.005, "beta mean {m}");
    }
}
