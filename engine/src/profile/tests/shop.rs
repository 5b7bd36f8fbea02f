use super::super::simulate;
use super::super::{
    BgNbdParams, ClvOptions, CustomerSummary, FitConfig, FitQuality, GammaGammaParams, OrderFact,
    PriceBand, ShopModels,
};
use super::rel;

const DAY: i64 = 86_400;
const NOW: i64 = 1_750_000_000;
const BG: BgNbdParams = BgNbdParams {
    r: 0.5,
    alpha: 40.0,
    a: 0.8,
    b: 3.0,
};
const GG: GammaGammaParams = GammaGammaParams {
    p: 5.0,
    q: 4.0,
    gamma: 2_000.0,
};

fn shop(n: usize) -> Vec<CustomerSummary> {
    simulate::shop(&BG, &GG, n, (30.0, 720.0), 0.3, NOW, 5)
}

fn customer(order_days_ago: &[i64], total_minor: i64) -> CustomerSummary {
    let mut c = CustomerSummary::default();
    for d in order_days_ago {
        c.absorb(OrderFact {
            at: NOW - d * DAY,
            total_minor,
            discounted: false,
        });
    }
    c
}

#[test]
fn a_simulated_shop_fits_and_scores_end_to_end() {
    let customers = shop(4_000);
    let models = ShopModels::fit(
        &customers,
        &[1_000, 2_000, 3_000, 5_000, 8_000, 13_000],
        NOW,
    );
    assert_eq!(models.bgnbd.quality, FitQuality::Fitted);
    assert_eq!(models.gamma_gamma.quality, FitQuality::Fitted);
    assert!(
        rel(models.bgnbd.params.r, BG.r) < 0.2 && rel(models.bgnbd.params.alpha, BG.alpha) < 0.3,
        "{:?}",
        models.bgnbd
    );
    // The first order is simulated like the others here, so the fitted population mean matches.
    let mean = models.gamma_gamma.params.population_mean().unwrap();
    assert!(rel(mean, GG.population_mean().unwrap()) < 0.08, "{mean}");

    let loyal = customer(&[3, 30, 60, 95, 120], 4_000);
    let lapsed = customer(&[300, 330, 360, 390, 420], 4_000);
    let (l, g) = (
        models.score(&loyal, NOW).unwrap(),
        models.score(&lapsed, NOW).unwrap(),
    );
    assert!(l.p_alive > g.p_alive && l.expected_orders_365 > g.expected_orders_365);
    assert!(l.recency_score > g.recency_score && l.frequency_score == g.frequency_score);
    assert!((l.churn_risk + l.p_alive - 1.0).abs() < 1e-12);
    let clv = l.expected_order_value_minor as f64 * l.expected_orders_365;
    assert!((l.predicted_clv_minor as f64 - clv).abs() <= 0.5 * l.expected_orders_365 + 1.0);
    assert!(
        l.predicted_days_to_next_order
            .is_some_and(|d| d > 0.0 && d < 365.0),
        "{l:?}"
    );
    assert_eq!(g.predicted_days_to_next_order, None, "{g:?}");
    assert_eq!(models.score(&CustomerSummary::default(), NOW), None);
    let bands = models.price_bands.unwrap();
    assert_eq!(bands.band(1_500), PriceBand::Low);
    assert_eq!(bands.band(20_000), PriceBand::High);

    let discounted = ShopModels::fit_with(
        &customers,
        &[],
        NOW,
        &FitConfig {
            clv: ClvOptions {
                annual_discount_rate: 0.1,
                ..ClvOptions::default()
            },
            ..FitConfig::default()
        },
    );
    let d = discounted.score(&loyal, NOW).unwrap();
    assert!(d.predicted_clv_minor < l.predicted_clv_minor);
    assert!(d.predicted_clv_minor as f64 > 0.9 * l.predicted_clv_minor as f64);
}

#[test]
fn tiny_shops_still_score() {
    for n in [1, 2, 3, 4] {
        let customers: Vec<CustomerSummary> = (0..n)
            .map(|i| {
                customer(
                    &[5 + 40 * i, 90 + 40 * i][..(i as usize % 2) + 1],
                    2_500 + 1_000 * i,
                )
            })
            .collect();
        let models = ShopModels::fit(&customers, &[2_500], NOW);
        assert_eq!(models.bgnbd.quality, FitQuality::Fallback);
        assert_eq!(models.gamma_gamma.quality, FitQuality::Fallback);
        for c in &customers {
            let s = models.score(c, NOW).unwrap();
            assert!((1..=5).contains(&s.recency_score), "{s:?}");
            assert!(s.p_alive > 0.0 && s.p_alive <= 1.0);
            assert!(s.expected_orders_365.is_finite() && s.expected_orders_365 >= 0.0);
            assert!(s.expected_order_value_minor > 0 && s.predicted_clv_minor >= 0);
        }
    }
    let empty = ShopModels::fit(&[], &[], NOW);
    assert!(empty.price_bands.is_none());
    assert!(empty.score(&customer(&[1], 100), NOW).is_some());
}
