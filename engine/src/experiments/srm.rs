//! Sample-ratio mismatch: did the arms receive the traffic their weights promise? A tiny p-value
//! means assignment or tracking is broken, and no other number on the page should be trusted.

use super::dist::chi_squared_sf;

/// Pearson's chi-squared test of observed `units` per arm against `weights` (any positive scale;
/// arms with weight 0 are skipped). Returns the p-value; 1 when nothing has been observed.
pub fn sample_ratio_mismatch(units: &[u64], weights: &[f64]) -> f64 {
    let observed: u64 = units.iter().sum();
    if observed == 0 || units.len() < 2 {
        return 1.0;
    }
    let total_weight: f64 = weights.iter().filter(|w| **w > 0.0).sum();
    let mut x = 0.0;
    for (o, w) in units.iter().zip(weights) {
        if *w <= 0.0 {
            continue;
        }
        let expected = w / total_weight * observed as f64;
        x += (*o as f64 - expected).powi(2) / expected;
    }
    chi_squared_sf(x, (units.len() - 1) as f64)
}
