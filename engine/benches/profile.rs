//! Profile model benchmarks: `cargo bench -p attune-engine --bench profile`.
//! Data comes from the models' own simulators, so the figures need no dataset.

use attune_engine::profile::{
    BgNbdOptions, BgNbdParams, CustomerSummary, GammaGammaParams, MicroSegments, Observation,
    RfmScorer, SegmentFeatures, ShopModels, bgnbd, simulate,
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

const NOW: i64 = 1_750_000_000;
/// The CDNOW estimates (α in days) and a CDNOW-like cohort window.
const BG: BgNbdParams = BgNbdParams {
    r: 0.24,
    alpha: 4.4 * 7.0,
    a: 0.79,
    b: 2.4,
};
const AGES: (f64, f64) = (27.0 * 7.0, 39.0 * 7.0);
const GG: GammaGammaParams = GammaGammaParams {
    p: 6.25,
    q: 3.74,
    gamma: 1_544.0,
};

fn lifetime_models(c: &mut Criterion) {
    let observations: Vec<Observation> = simulate::bgnbd_customers(&BG, 20_000, AGES, 1)
        .iter()
        .map(|c| c.observation())
        .collect();
    let mut group = c.benchmark_group("profile");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.bench_function("bgnbd_fit_20k", |b| {
        b.iter(|| bgnbd::fit(black_box(&observations), &BgNbdOptions::default()))
    });
    let shop = simulate::shop(&BG, &GG, 20_000, (30.0, 720.0), 0.3, NOW, 2);
    group.bench_function("shop_models_fit_20k", |b| {
        b.iter(|| ShopModels::fit(black_box(&shop), &[], NOW))
    });
    group.finish();

    let models = ShopModels::fit(&shop, &[], NOW);
    let repeat = shop
        .iter()
        .find(|c| c.orders_count >= 4)
        .copied()
        .unwrap_or_default();
    let one_time = shop
        .iter()
        .find(|c| c.orders_count == 1)
        .copied()
        .unwrap_or_default();
    c.bench_function("profile/score_repeat_customer", |b| {
        b.iter(|| models.score(black_box(&repeat), NOW))
    });
    c.bench_function("profile/score_one_time_customer", |b| {
        b.iter(|| models.score(black_box(&one_time), NOW))
    });
    let obs = repeat.observation(NOW).unwrap_or(Observation {
        x: 0,
        t_x: 0.0,
        age: 0.0,
    });
    c.bench_function("profile/p_alive", |b| {
        b.iter(|| models.bgnbd.params.p_alive(black_box(&obs)))
    });
}

fn rfm(c: &mut Criterion) {
    let shop = simulate::shop(&BG, &GG, 100_000, (30.0, 720.0), 0.3, NOW, 3);
    let mut group = c.benchmark_group("profile");
    group.sample_size(20);
    group.bench_function("rfm_fit_100k", |b| {
        b.iter(|| RfmScorer::fit(black_box(&shop), NOW))
    });
    group.finish();
    let scorer = RfmScorer::fit(&shop, NOW);
    c.bench_function("profile/rfm_score_one", |b| {
        b.iter(|| scorer.score(black_box(&shop[17]), NOW))
    });
}

/// 100k shoppers: 70% buyers from the simulator, 30% browsers who never ordered.
fn segment_features(n: usize) -> Vec<SegmentFeatures> {
    let buyers = simulate::shop(&BG, &GG, n * 7 / 10, (30.0, 720.0), 0.3, NOW, 4);
    let fitted = ShopModels::fit(&buyers, &[], NOW);
    let mut out: Vec<SegmentFeatures> = buyers
        .iter()
        .enumerate()
        .map(|(i, c): (usize, &CustomerSummary)| SegmentFeatures {
            days_since_last_order: c.days_since_last_order(NOW),
            orders_count: f64::from(c.orders_count),
            total_spent_minor: c.total_spent_minor as f64,
            average_order_value_minor: c.average_order_value_minor() as f64,
            discount_share: c.discount_share(),
            sessions_count: f64::from(c.orders_count) * 2.0 + (i % 7) as f64,
            pages_per_session: 1.0 + ((i * 37) % 11) as f64,
            churn_risk: c
                .observation(NOW)
                .map(|o| 1.0 - fitted.bgnbd.params.p_alive(&o)),
        })
        .collect();
    out.extend((0..n - out.len()).map(|i| SegmentFeatures {
        sessions_count: 1.0 + (i % 4) as f64,
        pages_per_session: 1.0 + ((i * 13) % 17) as f64,
        ..SegmentFeatures::default()
    }));
    out
}

fn microsegments(c: &mut Criterion) {
    let features = segment_features(100_000);
    let mut group = c.benchmark_group("profile");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("microsegments_fit_100k", |b| {
        b.iter(|| MicroSegments::fit(black_box(&features)))
    });
    group.finish();
}

criterion_group!(benches, lifetime_models, rfm, microsegments);
criterion_main!(benches);
