//! The frequentist view: a two-sided Welch t-test on the difference (relative by the delta method,
//! or absolute), and for conversion rates the pooled two-proportion z-test.

use serde::{Deserialize, Serialize};

use super::dist::{normal_ppf, normal_sf, t_ppf, t_sf};
use super::{Difference, Statistic, Undetermined, estimate_variance, point_estimate, precheck};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Frequentist {
    /// Point estimate of the change from control to variant.
    pub expected: f64,
    /// Two-sided (1 − alpha) confidence interval of the change.
    pub ci: (f64, f64),
    pub p_value: f64,
    /// Standard error of the change.
    pub stddev: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub dof: f64,
}

impl Frequentist {
    /// The same result in other units: `factor` times the change (e.g. an absolute per-visitor
    /// change times the variant's visitors is the incremental total). The p-value is unchanged.
    pub fn scaled(&self, factor: f64) -> Self {
        Self {
            expected: self.expected * factor,
            ci: (self.ci.0 * factor, self.ci.1 * factor),
            stddev: self.stddev * factor.abs(),
            ..*self
        }
    }

    /// Whether the interval excludes zero at the level it was computed for.
    pub fn significant(&self) -> bool {
        self.ci.0 > 0.0 || self.ci.1 < 0.0
    }
}

/// Welch's two-sided t-test of variant `b` against control `a` at level `alpha`.
pub fn frequentist(
    a: &Statistic,
    b: &Statistic,
    difference: Difference,
    alpha: f64,
) -> Result<Frequentist, Undetermined> {
    precheck(a, b, difference)?;
    if a.n() < 2 || b.n() < 2 {
        return Err(Undetermined::ZeroVariance);
    }
    let expected = point_estimate(a, b, difference);
    let variance = estimate_variance(a, b, difference);
    let stddev = variance.sqrt();
    let (na, nb) = (a.n() as f64, b.n() as f64);
    let (va, vb) = (a.variance(), b.variance());
    let dof = (vb / nb + va / na).powi(2)
        / (vb.powi(2) / (nb.powi(2) * (nb - 1.0)) + va.powi(2) / (na.powi(2) * (na - 1.0)));
    let t = expected / stddev;
    let p_value = 2.0 * t_sf(t.abs(), dof);
    let width = t_ppf(1.0 - alpha / 2.0, dof) * stddev;
    Ok(Frequentist {
        expected,
        ci: (expected - width, expected + width),
        p_value,
        stddev,
        dof,
    })
}

/// The pooled two-proportion z-test, with an unpooled (Wald) interval for the difference in rates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ZTest {
    pub z: f64,
    pub p_value: f64,
    /// Variant's rate minus control's.
    pub difference: f64,
    pub ci: (f64, f64),
}

/// `a` and `b` are (converted, units) of control and variant.
pub fn two_proportion_z(a: (u64, u64), b: (u64, u64), alpha: f64) -> Result<ZTest, Undetermined> {
    let ((xa, na), (xb, nb)) = (a, b);
    if na == 0 || nb == 0 {
        return Err(Undetermined::NoUnits);
    }
    let (na, nb, xa, xb) = (na as f64, nb as f64, xa as f64, xb as f64);
    let pooled = (xa + xb) / (na + nb);
    let pooled_se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    if pooled_se == 0.0 {
        return Err(Undetermined::ZeroVariance);
    }
    let (pa, pb) = (xa / na, xb / nb);
    let difference = pb - pa;
    let z = difference / pooled_se;
    let wald_se = (pa * (1.0 - pa) / na + pb * (1.0 - pb) / nb).sqrt();
    let width = normal_ppf(1.0 - alpha / 2.0) * wald_se;
    Ok(ZTest {
        z,
        p_value: 2.0 * normal_sf(z.abs()),
        difference,
        ci: (difference - width, difference + width),
    })
}
