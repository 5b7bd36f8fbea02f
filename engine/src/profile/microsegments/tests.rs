use super::*;

/// Three planted kinds of shopper, interleaved: loyal big spenders, discount one-timers, and
/// browsers who never bought.
fn planted(n: usize, seed: u64) -> Vec<SegmentFeatures> {
    let mut rng = Rng::new(seed);
    let mut jitter = |x: f64| x * (1.0 + 0.15 * rng.standard_normal()).max(0.05);
    (0..n)
        .map(|i| match i % 3 {
            0 => SegmentFeatures {
                days_since_last_order: Some(jitter(14.0)),
                orders_count: jitter(10.0).round(),
                total_spent_minor: jitter(100_000.0),
                average_order_value_minor: jitter(10_000.0),
                discount_share: jitter(0.05),
                sessions_count: jitter(25.0).round(),
                pages_per_session: jitter(4.0),
                churn_risk: Some(jitter(0.1)),
            },
            1 => SegmentFeatures {
                days_since_last_order: Some(jitter(200.0)),
                orders_count: 1.0,
                total_spent_minor: jitter(3_000.0),
                average_order_value_minor: jitter(3_000.0),
                discount_share: 1.0,
                sessions_count: jitter(2.0).round().max(1.0),
                pages_per_session: jitter(3.0),
                churn_risk: Some(0.0),
            },
            _ => SegmentFeatures {
                days_since_last_order: None,
                orders_count: 0.0,
                total_spent_minor: 0.0,
                average_order_value_minor: 0.0,
                discount_share: 0.0,
                sessions_count: 1.0,
                pages_per_session: jitter(12.0),
                churn_risk: None,
            },
        })
        .collect()
}

#[test]
fn recovers_planted_segments_and_describes_them() {
    let profiles = planted(3_000, 1);
    let fitted = MicroSegments::fit(&profiles);
    assert_eq!(fitted.segments.len(), 3, "{:#?}", fitted.segments);
    for kind in 0..3 {
        let label = fitted.labels[kind];
        assert!(
            fitted
                .labels
                .iter()
                .skip(kind)
                .step_by(3)
                .all(|l| *l == label),
            "planted kind {kind} split across segments"
        );
    }
    let text = |kind: usize| fitted.segments[fitted.labels[kind]].description.as_str();
    assert_eq!(
        text(0),
        "Frequent, high-spending customers who rarely use discounts; last order about 2 weeks ago"
    );
    assert_eq!(
        text(1),
        "One-time customers who mostly buy on discount; last order about 7 months ago"
    );
    assert_eq!(
        text(2),
        "One-time visitors who browse many pages but have not bought"
    );
    assert_eq!(fitted.segments.iter().map(|s| s.size).sum::<usize>(), 3_000);
    assert!(fitted.silhouette > 0.5);
    for (p, l) in profiles.iter().zip(&fitted.labels).take(30) {
        assert_eq!(fitted.assign(p), Some(*l));
    }
}

#[test]
fn is_deterministic_and_samples_large_inputs() {
    let profiles = planted(7_000, 2);
    let a = MicroSegments::fit(&profiles);
    let b = MicroSegments::fit(&profiles);
    assert_eq!(a, b);
    assert_eq!(a.segments.len(), 3);
    assert!(a.segments.windows(2).all(|w| w[0].size >= w[1].size));
}

#[test]
fn tiny_and_degenerate_inputs() {
    let none = MicroSegments::fit(&[]);
    assert!(none.segments.is_empty() && none.labels.is_empty());
    assert_eq!(none.assign(&SegmentFeatures::default()), None);
    let one = MicroSegments::fit(&planted(1, 3));
    assert_eq!((one.segments.len(), one.labels.clone()), (1, vec![0]));
    let same = MicroSegments::fit(&vec![planted(1, 4)[0]; 50]);
    assert_eq!(same.segments.len(), 1);
    assert_eq!(same.segments[0].size, 50);
    let few = MicroSegments::fit(&planted(5, 5));
    assert!((1..=4).contains(&few.segments.len()));
    assert_eq!(few.labels.len(), 5);
}
