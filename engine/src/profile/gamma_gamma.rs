//! Gamma-Gamma: the spend-per-order model of Fader & Hardie (2013, "The Gamma-Gamma model of
//! monetary value"; first in Fader, Hardie & Lee 2005, "RFM and CLV"). Fitted per shop on
//! customers with at least one repeat order, from the mean of their repeat orders.
//!
//! Assumptions: a customer's order values are i.i.d. Gamma(p, ν) around their own mean p/ν;
//! ν ~ Gamma(q, γ) across customers; spend is independent of the ordering process (the usual
//! check is a near-zero correlation between frequency and mean value). Values are in minor units,
//! so γ carries the currency's scale.

use super::FitQuality;
use super::nelder_mead;
use super::special::ln_gamma;

/// Population parameters; `gamma` is in minor units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

/// One repeat customer: how many repeat orders and their mean total (minor units, > 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpendObservation {
    pub x: u32,
    pub mean_value: f64,
}

impl GammaGammaParams {
    /// The shape parameters of the CDNOW fit (p = 6.25, q = 3.74) with γ set so that the
    /// population mean is `mean_order_value`: the fallback for shops with few repeat customers.
    pub fn fallback(mean_order_value: f64) -> Self {
        let (p, q) = (6.25, 3.74);
        let mean = if mean_order_value.is_finite() && mean_order_value > 0.0 {
            mean_order_value
        } else {
            1.0
        };
        Self {
            p,
            q,
            gamma: mean * (q - 1.0) / p,
        }
    }

    /// Log-density of a customer's mean value given x orders (the note's eq. 3, with the
    /// Jacobian of the sum-to-mean change of variables).
    pub fn log_likelihood(&self, o: &SpendObservation) -> f64 {
        let Self { p, q, gamma } = *self;
        let x = f64::from(o.x);
        let (px, m) = (p * x, o.mean_value);
        ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
            + q * gamma.ln()
            + (px - 1.0) * m.ln()
            + px * x.ln()
            - (px + q) * (x * m + gamma).ln()
    }

    /// E[order value] across customers, p·γ/(q − 1), defined for q > 1.
    pub fn population_mean(&self) -> Option<f64> {
        (self.q > 1.0).then(|| self.p * self.gamma / (self.q - 1.0))
    }

    /// E[a customer's mean order value | x repeat orders with mean `mean_value`]: a weighted
    /// average of the population mean and the customer's own mean, the latter weighted
    /// p·x / (p·x + q − 1). With no repeat orders it is the population mean.
    pub fn expected_order_value(&self, x: u32, mean_value: f64) -> f64 {
        let Some(population) = self.population_mean() else {
            return mean_value;
        };
        if x == 0 || !mean_value.is_finite() {
            return population;
        }
        let px = self.p * f64::from(x);
        let own = px / (px + self.q - 1.0);
        (1.0 - own) * population + own * mean_value
    }
}

/// A fitted Gamma-Gamma model and how far to trust it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGammaFit {
    pub params: GammaGammaParams,
    pub quality: FitQuality,
    pub customers: usize,
}

const MIN_CUSTOMERS: usize = 10;
const SOLID_CUSTOMERS: usize = 100;
/// Prior standard deviation on each log-parameter, centred on [`GammaGammaParams::fallback`];
/// see `BgNbdOptions::prior_sd` for why there is one at all.
pub const DEFAULT_PRIOR_SD: f64 = 2.0;

/// Fits the model on repeat customers; `mean_order_value` (over all the shop's orders) centres
/// the prior and is the fallback population mean.
pub fn fit(
    observations: &[SpendObservation],
    mean_order_value: f64,
    prior_sd: f64,
) -> GammaGammaFit {
    let valid: Vec<SpendObservation> = observations
        .iter()
        .filter(|o| o.x > 0 && o.mean_value.is_finite() && o.mean_value > 0.0)
        .copied()
        .collect();
    let customers = valid.len();
    let center = GammaGammaParams::fallback(mean_order_value);
    let fallback = GammaGammaFit {
        params: center,
        quality: FitQuality::Fallback,
        customers,
    };
    if customers < MIN_CUSTOMERS {
        return fallback;
    }
    let data = Grouped::new(&valid);
    let mu = [center.p.ln(), center.q.ln(), center.gamma.ln()];
    let precision = if prior_sd.is_finite() && prior_sd > 0.0 {
        1.0 / (prior_sd * prior_sd)
    } else {
        0.0
    };
    let objective = |theta: &[f64]| {
        // q ≤ 1 has no population mean, so no usable conditional expectation: keep out.
        if theta[1] <= 0.0 || theta.iter().any(|t| t.abs() > 30.0) {
            return f64::NAN;
        }
        let penalty: f64 = theta
            .iter()
            .zip(&mu)
            .map(|(t, m)| 0.5 * precision * (t - m).powi(2))
            .sum();
        let params = GammaGammaParams {
            p: theta[0].exp(),
            q: theta[1].exp(),
            gamma: theta[2].exp(),
        };
        -data.log_likelihood(&params) + penalty
    };
    // A second start with a flatter individual spread (smaller p) and a tighter population.
    let starts = [mu, [mu[0] - 1.0, mu[1] + 0.5, mu[2] + 0.5]];
    let best = starts
        .iter()
        .map(|s| nelder_mead::minimize(objective, s, 0.5, 3_000))
        .min_by(|x, y| x.value.total_cmp(&y.value));
    let Some(best) = best.filter(|m| m.value.is_finite()) else {
        return fallback;
    };
    let params = GammaGammaParams {
        p: best.x[0].exp(),
        q: best.x[1].exp(),
        gamma: best.x[2].exp(),
    };
    let quality = if customers < SOLID_CUSTOMERS {
        FitQuality::Sparse
    } else {
        FitQuality::Fitted
    };
    GammaGammaFit {
        params,
        quality,
        customers,
    }
}

/// Customers grouped by x: ln Γ(px + q) and ln Γ(px) are computed once per distinct x.
struct Grouped {
    /// (x, ln m, m) sorted by x.
    rows: Vec<(u32, f64, f64)>,
    groups: Vec<(u32, usize, usize)>,
}

impl Grouped {
    fn new(observations: &[SpendObservation]) -> Self {
        let mut rows: Vec<(u32, f64, f64)> = observations
            .iter()
            .map(|o| (o.x, o.mean_value.ln(), o.mean_value))
            .collect();
        rows.sort_by(|p, q| p.0.cmp(&q.0).then(p.2.total_cmp(&q.2)));
        let mut groups = Vec::new();
        let mut start = 0;
        for i in 1..=rows.len() {
            if i == rows.len() || rows[i].0 != rows[start].0 {
                groups.push((rows[start].0, start, i));
                start = i;
            }
        }
        Self { rows, groups }
    }

    fn log_likelihood(&self, params: &GammaGammaParams) -> f64 {
        let GammaGammaParams { p, q, gamma } = *params;
        let (lg_q, ln_gamma_scale) = (ln_gamma(q), gamma.ln());
        let mut total = 0.0;
        for &(x, start, end) in &self.groups {
            let xf = f64::from(x);
            let px = p * xf;
            let head = ln_gamma(px + q) - ln_gamma(px) - lg_q + q * ln_gamma_scale + px * xf.ln();
            let rows = &self.rows[start..end];
            let mut sum = 0.0;
            for &(_, ln_m, m) in rows {
                sum += (px - 1.0) * ln_m - (px + q) * (xf * m + gamma).ln();
            }
            total += head * rows.len() as f64 + sum;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_likelihood_equals_the_per_customer_sum() {
        let obs = [
            SpendObservation {
                x: 1,
                mean_value: 3_500.0,
            },
            SpendObservation {
                x: 3,
                mean_value: 1_200.0,
            },
            SpendObservation {
                x: 3,
                mean_value: 9_900.0,
            },
        ];
        let params = GammaGammaParams {
            p: 4.0,
            q: 3.0,
            gamma: 2_000.0,
        };
        let direct: f64 = obs.iter().map(|o| params.log_likelihood(o)).sum();
        assert!((Grouped::new(&obs).log_likelihood(&params) - direct).abs() < 1e-9);
    }

    #[test]
    fn single_order_density_integrates_to_one() {
        // With x = 1 the mean is one Gamma(p, ν) draw, ν ~ Gamma(q, γ): a density over m > 0.
        let params = GammaGammaParams {
            p: 2.0,
            q: 3.0,
            gamma: 50.0,
        };
        let (mut total, h) = (0.0, 0.05);
        let mut m = h / 2.0;
        while m < 20_000.0 {
            total += h * params
                .log_likelihood(&SpendObservation {
                    x: 1,
                    mean_value: m,
                })
                .exp();
            m += h;
        }
        assert!((total - 1.0).abs() < 1e-3, "integral {total}");
    }

    #[test]
    fn expectation_shrinks_toward_the_population_mean() {
        let params = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            gamma: 1_544.0,
        };
        let population = params.population_mean().unwrap();
        assert_eq!(params.expected_order_value(0, 99_999.0), population);
        let one = params.expected_order_value(1, 10_000.0);
        let many = params.expected_order_value(20, 10_000.0);
        assert!(population < one && one < many && many < 10_000.0);
    }
}
