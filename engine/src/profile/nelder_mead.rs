//! A derivative-free minimiser for the small (3–4 parameter) likelihoods of the lifetime models.
//! Nelder & Mead (1965) with the usual coefficients, restarted from the best vertex until a
//! restart no longer improves: a collapsed simplex is the classic failure mode, and a fresh
//! simplex around the incumbent is the standard cure.

/// Result of a minimisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
}

/// Minimises `f` from `start`, with an initial simplex of `step` along each axis.
/// Non-finite values count as +∞, so the objective can reject a region by returning NaN.
pub fn minimize(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evals: usize,
) -> Minimum {
    let mut eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut best = Minimum {
        x: start.to_vec(),
        value: eval(start),
        evaluations: 1,
    };
    let mut step = step;
    for _ in 0..4 {
        let run = simplex_descent(
            &mut eval,
            &best.x,
            step,
            max_evals.saturating_sub(best.evaluations),
        );
        let improved = run.value < best.value - 1e-10 * best.value.abs().max(1.0);
        let evaluations = best.evaluations + run.evaluations;
        if run.value <= best.value {
            best = Minimum { evaluations, ..run };
        } else {
            best.evaluations = evaluations;
        }
        if !improved || best.evaluations >= max_evals {
            break;
        }
        step = (step * 0.5).max(0.05);
    }
    best
}

fn simplex_descent(
    f: &mut impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    max_evals: usize,
) -> Minimum {
    let n = start.len();
    let mut points: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
    points.push(start.to_vec());
    for i in 0..n {
        let mut p = start.to_vec();
        p[i] += step;
        points.push(p);
    }
    let mut values: Vec<f64> = points.iter().map(|p| f(p)).collect();
    let mut evaluations = n + 1;
    let mut order: Vec<usize> = (0..=n).collect();
    while evaluations < max_evals {
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        let (lo, hi, second) = (order[0], order[n], order[n - 1]);
        let spread = values[hi] - values[lo];
        let size = points
            .iter()
            .flat_map(|p| p.iter().zip(&points[lo]).map(|(a, b)| (a - b).abs()))
            .fold(0.0, f64::max);
        if spread <= 1e-12 * values[lo].abs().max(1.0) && size <= 1e-8 {
            break;
        }
        let mut centroid = vec![0.0; n];
        for &i in &order[..n] {
            for (c, x) in centroid.iter_mut().zip(&points[i]) {
                *c += x / n as f64;
            }
        }
        let toward = |coef: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&points[hi])
                .map(|(c, w)| c + coef * (c - w))
                .collect()
        };
        let reflected = toward(1.0);
        let fr = f(&reflected);
        evaluations += 1;
        if fr < values[lo] {
            let expanded = toward(2.0);
            let fe = f(&expanded);
            evaluations += 1;
            (points[hi], values[hi]) = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
            continue;
        }
        if fr < values[second] {
            (points[hi], values[hi]) = (reflected, fr);
            continue;
        }
        let (contracted, limit) = if fr < values[hi] {
            (toward(0.5), fr)
        } else {
            (toward(-0.5), values[hi])
        };
        let fc = f(&contracted);
        evaluations += 1;
        if fc < limit {
            (points[hi], values[hi]) = (contracted, fc);
            continue;
        }
        // Shrink everything toward the best vertex.
        let best = points[lo].clone();
        for i in 0..=n {
            if i == lo {
                continue;
            }
            for (x, b) in points[i].iter_mut().zip(&best) {
                *x = b + 0.5 * (*x - b);
            }
            values[i] = f(&points[i]);
            evaluations += 1;
        }
    }
    let lo = (0..=n)
        .min_by(|&i, &j| values[i].total_cmp(&values[j]))
        .unwrap_or(0);
    Minimum {
        x: points[lo].clone(),
        value: values[lo],
        evaluations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = minimize(rosen, &[-1.2, 1.0], 0.5, 5_000);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    #[test]
    fn treats_nan_as_a_wall() {
        // A quadratic in 4-D whose left half is undefined: the minimum sits on the boundary side.
        let f = |x: &[f64]| {
            if x[0] < 0.0 {
                return f64::NAN;
            }
            x.iter()
                .enumerate()
                .map(|(i, v)| (v - i as f64).powi(2))
                .sum()
        };
        let m = minimize(f, &[3.0, 3.0, 3.0, 3.0], 1.0, 10_000);
        for (i, v) in m.x.iter().enumerate() {
            assert!((v - i as f64).abs() < 1e-4, "{m:?}");
        }
    }
}
