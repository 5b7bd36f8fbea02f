//! The Bayesian view: a Gaussian posterior over the change (flat prior by default, or a proper
//! Gaussian prior on the effect), read as chance to beat control, a credible interval and the
//! expected loss of shipping either arm.

use serde::{Deserialize, Serialize};

use super::dist::{normal_cdf, normal_pdf, normal_ppf, normal_sf};
use super::{Difference, Statistic, Undetermined, estimate_variance, point_estimate, precheck};

/// A Gaussian prior on the change, in the units of the chosen [`Difference`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    pub mean: f64,
    pub variance: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bayesian {
    /// Posterior mean of the change.
    pub expected: f64,
    /// Posterior standard deviation of the change.
    pub stddev: f64,
    /// Central (1 − alpha) credible interval.
    pub ci: (f64, f64),
    /// Posterior probability that the variant beats control (for a metric where lower is better,
    /// that it is lower).
    pub chance_to_win: f64,
    /// Expected loss of keeping control: E[max(change, 0)] (flipped for lower-is-better).
    pub risk_control: f64,
    /// Expected loss of shipping the variant: E[max(−change, 0)] (flipped for lower-is-better).
    pub risk_variant: f64,
}

/// The posterior for variant `b` against control `a`. `lower_is_better` flips the chance to win
/// and the two risks (e.g. for a bounce rate).
pub fn bayesian(
    a: &Statistic,
    b: &Statistic,
    difference: Difference,
    prior: Option<Prior>,
    alpha: f64,
    lower_is_better: bool,
) -> Result<Bayesian, Undetermined> {
    precheck(a, b, difference)?;
    let data_mean = point_estimate(a, b, difference);
    let data_variance = estimate_variance(a, b, difference);
    let (mean, precision) = match prior {
        Some(p) if p.variance > 0.0 => {
            let precision = 1.0 / data_variance + 1.0 / p.variance;
            (
                (data_mean / data_variance + p.mean / p.variance) / precision,
                precision,
            )
        }
        _ => (data_mean, 1.0 / data_variance),
    };
    let sd = (1.0 / precision).sqrt();
    let z = normal_ppf(1.0 - alpha / 2.0);
    let better = normal_sf(-mean / sd);
    // Closed forms of E[max(X,0)] and E[max(−X,0)] for X ~ N(mean, sd²).
    let beta = -mean / sd;
    let gain = mean * normal_sf(beta) + sd * normal_pdf(beta);
    let loss = sd * normal_pdf(beta) - mean * normal_cdf(beta);
    let (chance_to_win, risk_control, risk_variant) = if lower_is_better {
        (1.0 - better, loss, gain)
    } else {
        (better, gain, loss)
    };
    Ok(Bayesian {
        expected: mean,
        stddev: sd,
        ci: (mean - z * sd, mean + z * sd),
        chance_to_win,
        risk_control,
        risk_variant,
    })
}
