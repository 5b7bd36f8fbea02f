use super::super::FitQuality;
use super::super::gamma_gamma::{self, GammaGammaParams};
use super::super::simulate::mean_spend;
use super::rel;

/// The CDNOW estimates of Fader & Hardie's note, γ in cents.
const TRUTH: GammaGammaParams = GammaGammaParams {
    p: 6.25,
    q: 3.74,
    gamma: 1_544.0,
};

fn repeat_counts(n: usize) -> Vec<u32> {
    // Mostly one or two repeat orders, some loyal customers: roughly a real shop's mix.
    (0..n)
        .map(|i| [1, 1, 1, 1, 2, 2, 3, 4, 6, 10][i % 10])
        .collect()
}

#[test]
fn recovers_simulated_spend_parameters() {
    let data = mean_spend(&TRUTH, &repeat_counts(4_000), 11);
    let fit = gamma_gamma::fit(&data, 3_500.0, gamma_gamma::DEFAULT_PRIOR_SD);
    let p = fit.params;
    assert_eq!(fit.quality, FitQuality::Fitted);
    let truth_mean = TRUTH.population_mean().unwrap();
    let mean = p.population_mean().unwrap();
    assert!(
        rel(mean, truth_mean) < 0.05,
        "population mean {mean} vs {truth_mean}"
    );
    // p is well identified by within-customer spread; q and γ trade off along a ridge, so they
    // get looser bounds.
    assert!(
        rel(p.p, TRUTH.p) < 0.15 && rel(p.q, TRUTH.q) < 0.35 && rel(p.gamma, TRUTH.gamma) < 0.45,
        "{p:?}"
    );
    for (x, m) in [(1, 1_000.0), (3, 6_000.0), (10, 2_500.0)] {
        let (got, want) = (
            p.expected_order_value(x, m),
            TRUTH.expected_order_value(x, m),
        );
        assert!(
            rel(got, want) < 0.05,
            "E[M | {x}, {m}] = {got}, truth {want}"
        );
    }
}

#[test]
fn few_repeat_customers_fall_back_to_the_shop_mean() {
    let data = mean_spend(&TRUTH, &repeat_counts(6), 12);
    let fit = gamma_gamma::fit(&data, 4_200.0, gamma_gamma::DEFAULT_PRIOR_SD);
    assert_eq!(fit.quality, FitQuality::Fallback);
    assert!(rel(fit.params.population_mean().unwrap(), 4_200.0) < 1e-12);
    let sparse = gamma_gamma::fit(
        &mean_spend(&TRUTH, &repeat_counts(40), 13),
        4_200.0,
        gamma_gamma::DEFAULT_PRIOR_SD,
    );
    assert_eq!(sparse.quality, FitQuality::Sparse);
    assert!(sparse.params.q > 1.0);
}
