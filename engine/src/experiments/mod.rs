//! Experiment statistics: the numbers an experiment's results page reports, computed from each
//! arm's sufficient statistics (counts, sums, sums of squares), so that daily rollups can be added
//! up without keeping any visitor's rows.
//!
//! The conventions follow GrowthBook's stats engine (`gbstats`), which the test suite runs on the
//! same inputs: a Welch t-test with Satterthwaite degrees of freedom for every metric (the delta
//! method for ratio metrics such as average order value), relative or absolute differences, and a
//! Gaussian "effect" posterior for the Bayesian view (chance to beat control, expected loss, credible
//! interval). Conversion rates also get the classic pooled two-proportion z-test, and every
//! experiment gets a chi-squared sample-ratio-mismatch check.

mod assign;
mod bayesian;
mod dist;
mod frequentist;
mod srm;
#[cfg(test)]
mod tests;

pub use assign::{Allocation, Placement, bucket};
pub use bayesian::{Bayesian, Prior, bayesian};
pub use frequentist::{Frequentist, ZTest, frequentist, two_proportion_z};
pub use srm::sample_ratio_mismatch;

use serde::{Deserialize, Serialize};

/// One arm's sufficient statistics for one metric. `n` counts the arm's units (visitors).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Statistic {
    /// Units that did something (converted), out of `n`.
    Proportion { n: u64, sum: f64 },
    /// A per-unit value (revenue per visitor): its sum and sum of squares over `n` units.
    Mean { n: u64, sum: f64, sum_squares: f64 },
    /// A ratio of two per-unit values, e.g. revenue over orders (average order value), with the
    /// sum of their products for the covariance the delta method needs.
    Ratio {
        n: u64,
        numerator: Moments,
        denominator: Moments,
        sum_of_products: f64,
    },
}

/// Sum and sum of squares of one per-unit value; a ratio's two sides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub sum: f64,
    pub sum_squares: f64,
}

impl Statistic {
    pub fn n(&self) -> u64 {
        match *self {
            Self::Proportion { n, .. } | Self::Mean { n, .. } | Self::Ratio { n, .. } => n,
        }
    }

    pub fn mean(&self) -> f64 {
        match *self {
            Self::Proportion { n, sum } | Self::Mean { n, sum, .. } => {
                if n == 0 {
                    0.0
                } else {
                    sum / n as f64
                }
            }
            Self::Ratio {
                numerator,
                denominator,
                ..
            } => {
                if denominator.sum == 0.0 {
                    0.0
                } else {
                    numerator.sum / denominator.sum
                }
            }
        }
    }

    /// The per-unit variance (for a ratio, the delta-method variance of the ratio per unit).
    pub fn variance(&self) -> f64 {
        match *self {
            Self::Proportion { .. } => {
                let p = self.mean();
                p * (1.0 - p)
            }
            Self::Mean {
                n,
                sum,
                sum_squares,
            } => sample_variance(n, sum, sum_squares),
            Self::Ratio {
                n,
                numerator,
                denominator,
                sum_of_products,
            } => {
                if n <= 1 {
                    return 0.0;
                }
                let nf = n as f64;
                let (mean_m, mean_d) = (numerator.sum / nf, denominator.sum / nf);
                if mean_d == 0.0 {
                    return 0.0;
                }
                let var_m = sample_variance(n, numerator.sum, numerator.sum_squares);
                let var_d = sample_variance(n, denominator.sum, denominator.sum_squares);
                let cov = (sum_of_products - numerator.sum * denominator.sum / nf) / (nf - 1.0);
                var_m / mean_d.powi(2) - 2.0 * cov * mean_m / mean_d.powi(3)
                    + mean_m.powi(2) * var_d / mean_d.powi(4)
            }
        }
    }
}

fn sample_variance(n: u64, sum: f64, sum_squares: f64) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let nf = n as f64;
    (sum_squares - sum * sum / nf) / (nf - 1.0)
}

/// Whether an effect is reported as a share of the control's value ("+4.2%") or in the metric's
/// own units ("+0.37 per visitor").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Difference {
    Relative,
    Absolute,
}

/// Why a comparison has no result; the results page shows this instead of numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Undetermined {
    #[error("an arm has no visitors yet")]
    NoUnits,
    #[error("the control's value is zero, so a relative change is undefined")]
    ZeroBaseline,
    #[error("an arm's metric does not vary yet (zero variance)")]
    ZeroVariance,
}

/// The checks both views share before any arithmetic.
fn precheck(a: &Statistic, b: &Statistic, difference: Difference) -> Result<(), Undetermined> {
    if difference == Difference::Relative && a.mean() == 0.0 {
        return Err(Undetermined::ZeroBaseline);
    }
    if a.n() == 0 || b.n() == 0 {
        return Err(Undetermined::NoUnits);
    }
    if a.variance() <= 0.0 || b.variance() <= 0.0 {
        return Err(Undetermined::ZeroVariance);
    }
    Ok(())
}

/// Point estimate of the change from control `a` to variant `b`.
fn point_estimate(a: &Statistic, b: &Statistic, difference: Difference) -> f64 {
    match difference {
        Difference::Relative => (b.mean() - a.mean()) / a.mean(),
        Difference::Absolute => b.mean() - a.mean(),
    }
}

/// Variance of that estimate; the relative form is the delta method's.
fn estimate_variance(a: &Statistic, b: &Statistic, difference: Difference) -> f64 {
    let (va, vb) = (a.variance(), b.variance());
    let (na, nb) = (a.n() as f64, b.n() as f64);
    match difference {
        Difference::Relative => {
            let (ma, mb) = (a.mean(), b.mean());
            vb / (ma.powi(2) * nb) + va * mb.powi(2) / (ma.powi(4) * na)
        }
        Difference::Absolute => vb / nb + va / na,
    }
}
