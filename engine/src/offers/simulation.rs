//! Simulation with known ground truth: shoppers whose chance to buy, with and without an offer,
//! is planted. Some are "sure things" (likely to buy, unmoved by a discount), some "persuadable"
//! (deal seekers and hesitant first-time carters whom an offer moves), the rest barely moved.
//! The policy learns from randomized logs and is then judged on fresh shoppers by the planted
//! truth, holdout and exploration included.

use super::guardrails::{Context, Incentive, Limits, Terms, check};
use super::*;
use crate::logistic::sigmoid;
use crate::profile::rng::Rng;

const MARGIN: f64 = 30.0;
const DISCOUNT: f64 = 10.0;

fn shopper(r: &mut Rng) -> Session {
    let views = (r.exponential(0.35)) as u32;
    let carts = if r.uniform() < 0.12 + 0.03 * f64::from(views.min(8)) {
        1 + r.below(3) as u32
    } else {
        0
    };
    let returning = r.uniform() < 0.35;
    let prior_orders = if returning { r.below(6) as u32 } else { 0 };
    Session {
        product_views: views,
        distinct_products: views.min(1 + views / 2),
        add_to_carts: carts,
        cart_value: if carts > 0 {
            20.0 + 80.0 * r.uniform() * f64::from(carts)
        } else {
            0.0
        },
        page_views: views + 1 + r.below(4) as u32,
        seconds: 20 + (r.exponential(1.0 / 180.0)) as u32,
        returning,
        prior_orders,
        days_since_order: (prior_orders > 0).then(|| 5.0 + 200.0 * r.uniform()),
        searched: r.uniform() < 0.2,
        from_campaign: r.uniform() < 0.15,
        discount_share: if prior_orders > 0 && r.uniform() < 0.4 {
            r.uniform()
        } else {
            0.0
        },
    }
}

/// The planted truth: (P(buy | no offer), P(buy | offer)).
fn truth(s: &Session) -> (f64, f64) {
    let base = -3.4
        + 0.45 * f64::from(s.product_views).ln_1p()
        + 1.5 * f64::from(s.add_to_carts.min(1))
        + 0.9 * f64::from(u8::from(s.returning))
        + 0.7 * f64::from(s.prior_orders).ln_1p()
        + 0.4 * f64::from(u8::from(s.searched));
    let persuadable = 2.0 * s.discount_share
        + if s.add_to_carts > 0 && !s.returning {
            1.1
        } else {
            0.0
        }
        + if s.from_campaign { 0.6 } else { 0.0 };
    // Loyal repeat buyers are not moved at all.
    let uplift = if s.prior_orders >= 3 && s.discount_share == 0.0 {
        0.0
    } else {
        0.05 + persuadable
    };
    (sigmoid(base), sigmoid(base + uplift))
}

fn gain(s: &Session) -> f64 {
    let (p0, p1) = truth(s);
    p1 * (MARGIN - DISCOUNT) - p0 * MARGIN
}

fn logged(r: &mut Rng, n: usize, offer_share: f64) -> Vec<Observation> {
    (0..n)
        .map(|_| {
            let session = shopper(r);
            let offered = r.uniform() < offer_share;
            let (p0, p1) = truth(&session);
            let converted = r.uniform() < if offered { p1 } else { p0 };
            Observation {
                session,
                offered,
                converted,
            }
        })
        .collect()
}

#[test]
fn the_policy_beats_offering_to_everyone_and_to_no_one() {
    for seed in [7u64, 11, 2026] {
        let mut r = Rng::new(seed);
        let model = IntentModel::fit(&logged(&mut r, 30_000, 0.5)).unwrap();
        assert!(model.uplift_learned);
        let config = PolicyConfig::default();
        let economics = Economics {
            margin: MARGIN,
            discount: DISCOUNT,
        };
        let fresh: Vec<Session> = (0..20_000).map(|_| shopper(&mut r)).collect();
        let (mut policy, mut everyone, mut best) = (0.0, 0.0, 0.0);
        let mut offered = 0usize;
        for s in &fresh {
            let d = decide(Some(&model), s, economics, &config, r.uniform());
            if d.action == Action::Offer {
                policy += gain(s);
                offered += 1;
            }
            everyone += gain(s);
            best += gain(s).max(0.0);
        }
        let n = fresh.len() as f64;
        let (policy, everyone, best) = (policy / n, everyone / n, best / n);
        println!(
            "seed {seed}: per shopper: policy {policy:.4} (offered {offered}), everyone \
             {everyone:.4}, no one 0, oracle {best:.4}; calibration {:?}",
            model.calibration
        );
        assert!(policy > 0.0, "policy {policy} vs no one");
        assert!(policy > everyone, "policy {policy} vs everyone {everyone}");
        // Not a fluke: the policy captures most of what a perfect-knowledge policy could.
        assert!(policy > 0.6 * best, "policy {policy} vs oracle {best}");
    }
}

#[test]
fn the_policy_withholds_offers_from_sure_things() {
    let mut r = Rng::new(99);
    let model = IntentModel::fit(&logged(&mut r, 30_000, 0.5)).unwrap();
    let loyal = Session {
        product_views: 6,
        distinct_products: 3,
        add_to_carts: 2,
        cart_value: 120.0,
        page_views: 9,
        seconds: 400,
        returning: true,
        prior_orders: 5,
        days_since_order: Some(20.0),
        searched: true,
        from_campaign: false,
        discount_share: 0.0,
    };
    let hesitant = Session {
        returning: false,
        prior_orders: 0,
        days_since_order: None,
        from_campaign: true,
        searched: false,
        ..loyal
    };
    let economics = Economics {
        margin: MARGIN,
        discount: DISCOUNT,
    };
    let config = PolicyConfig::default();
    // A draw past the holdout and the randomized share: the model decides.
    let d = decide(Some(&model), &loyal, economics, &config, 0.9);
    assert_eq!(
        (d.action, d.why),
        (Action::NoOffer, Why::LikelyToBuy),
        "{d:?}"
    );
    let d = decide(Some(&model), &hesitant, economics, &config, 0.9);
    assert_eq!(
        (d.action, d.why),
        (Action::Offer, Why::Persuadable),
        "{d:?}"
    );
    assert!(d.expected_incremental_margin.unwrap() > 0.0);
    let p = d.prediction.unwrap();
    assert!(p.p_with > p.p_without && !p.intent_drivers.is_empty() && !p.uplift_drivers.is_empty());
    // The holdout is never offered, whatever the model thinks.
    let d = decide(Some(&model), &hesitant, economics, &config, 0.05);
    assert_eq!((d.action, d.why), (Action::NoOffer, Why::Holdout));
}

#[test]
fn probabilities_are_calibrated_against_the_truth() {
    let mut r = Rng::new(5);
    let model = IntentModel::fit(&logged(&mut r, 30_000, 0.5)).unwrap();
    assert!(
        model.calibration.ece < 0.02 && model.calibration.auc > 0.7,
        "{:?}",
        model.calibration
    );
    let fresh: Vec<Session> = (0..5_000).map(|_| shopper(&mut r)).collect();
    let err: f64 = fresh
        .iter()
        .map(|s| (model.predict(s).p_without - truth(s).0).abs())
        .sum::<f64>()
        / fresh.len() as f64;
    assert!(
        err < 0.03,
        "mean absolute error against the planted chance to buy: {err}"
    );
}

#[test]
fn without_offered_sessions_the_uplift_is_not_guessed() {
    let mut r = Rng::new(3);
    let model = IntentModel::fit(&logged(&mut r, 2_000, 0.0)).unwrap();
    assert!(!model.uplift_learned);
    let p = model.predict(&shopper(&mut r));
    assert_eq!(p.p_with, p.p_without);
    assert!(matches!(
        IntentModel::fit(&logged(&mut r, 50, 0.5)),
        Err(FitError::TooFewSessions { have: 50, .. })
    ));
    // Without any model, decisions outside the holdout are a fair coin.
    let config = PolicyConfig::default();
    let e = Economics {
        margin: MARGIN,
        discount: DISCOUNT,
    };
    let offers = (0..10_000)
        .filter(|_| decide(None, &shopper(&mut r), e, &config, r.uniform()).action == Action::Offer)
        .count();
    assert!((4_200..4_800).contains(&offers), "{offers}");
}

#[test]
fn guardrails_block_what_the_merchant_ruled_out() {
    let terms = Terms {
        incentive: Incentive::Percentage {
            basis_points: 1_500,
        },
        minimum_subtotal_minor: Some(5_000),
        max_discount_minor: Some(2_000),
        margin_floor_basis_points: Some(2_000),
    };
    let limits = Limits {
        frequency_cap: Some(3),
        daily_budget_minor: Some(10_000),
        starts_at: Some(1_000),
        ends_at: Some(2_000),
    };
    let ok = Context {
        now: 1_500,
        subtotal_minor: 10_000,
        cost_minor: Some(5_000),
        ..Context::default()
    };
    assert_eq!(check(&terms, &limits, &ok), Ok(1_500));
    // 15% of 200.00 is 30.00, capped at 20.00.
    assert_eq!(
        check(
            &terms,
            &limits,
            &Context {
                subtotal_minor: 20_000,
                cost_minor: None,
                ..ok
            }
        ),
        Ok(2_000)
    );
    assert_eq!(
        check(&terms, &limits, &Context { now: 999, ..ok }),
        Err(Blocked::NotStarted)
    );
    assert_eq!(
        check(&terms, &limits, &Context { now: 2_000, ..ok }),
        Err(Blocked::Ended)
    );
    assert_eq!(
        check(
            &terms,
            &limits,
            &Context {
                subtotal_minor: 4_999,
                ..ok
            }
        ),
        Err(Blocked::BelowMinimum)
    );
    assert_eq!(
        check(
            &terms,
            &limits,
            &Context {
                shown_to_visitor: 3,
                ..ok
            }
        ),
        Err(Blocked::FrequencyCap)
    );
    assert_eq!(
        check(
            &terms,
            &limits,
            &Context {
                committed_today_minor: 8_501,
                ..ok
            }
        ),
        Err(Blocked::DailyBudget)
    );
    // Cost 70.00 of 100.00 leaves 30% before and 15% after the discount: under the 20% floor.
    assert_eq!(
        check(
            &terms,
            &limits,
            &Context {
                cost_minor: Some(7_000),
                ..ok
            }
        ),
        Err(Blocked::MarginFloor)
    );
    let fixed = Terms {
        incentive: Incentive::FixedAmount { minor: 50_000 },
        ..terms
    };
    assert_eq!(fixed.discount_minor(10_000), 2_000, "capped by the maximum");
    let free = Terms {
        incentive: Incentive::FreeShipping {
            estimated_cost_minor: 0,
        },
        ..terms
    };
    assert_eq!(check(&free, &limits, &ok), Err(Blocked::NothingOff));
}
