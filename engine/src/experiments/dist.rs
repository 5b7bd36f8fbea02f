//! The distributions the tests need, from `statrs`, with one refinement: its Student-t quantile
//! loses accuracy at very large degrees of freedom (6e-5 at a million, where Welch's degrees of
//! freedom easily land), so the quantile is polished with Newton steps on the accurate CDF.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

fn standard_normal() -> Normal {
    // Mean 0 and standard deviation 1 are always valid.
    Normal::standard()
}

pub(crate) fn normal_cdf(x: f64) -> f64 {
    standard_normal().cdf(x)
}

pub(crate) fn normal_sf(x: f64) -> f64 {
    standard_normal().sf(x)
}

pub(crate) fn normal_pdf(x: f64) -> f64 {
    standard_normal().pdf(x)
}

pub(crate) fn normal_ppf(p: f64) -> f64 {
    standard_normal().inverse_cdf(p)
}

fn students_t(dof: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, dof).ok()
}

/// Upper tail P(T > x) of Student's t with `dof` degrees of freedom (NaN for invalid `dof`).
pub(crate) fn t_sf(x: f64, dof: f64) -> f64 {
    students_t(dof).map_or(f64::NAN, |t| t.sf(x))
}

/// Quantile of Student's t with `dof` degrees of freedom (NaN for invalid arguments).
pub(crate) fn t_ppf(p: f64, dof: f64) -> f64 {
    let Some(t) = students_t(dof) else {
        return f64::NAN;
    };
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    let mut x = t.inverse_cdf(p);
    if !x.is_finite() {
        return x;
    }
    for _ in 0..8 {
        let density = t.pdf(x);
        if density <= 0.0 {
            break;
        }
        let step = (t.cdf(x) - p) / density;
        x -= step;
        if step.abs() <= 1e-15 * x.abs().max(1.0) {
            break;
        }
    }
    x
}

/// Upper tail of the chi-squared distribution with `dof` degrees of freedom.
pub(crate) fn chi_squared_sf(x: f64, dof: f64) -> f64 {
    ChiSquared::new(dof).map_or(f64::NAN, |c| c.sf(x))
}
