use super::super::FitQuality;
use super::super::bgnbd::{self, BgNbdOptions, BgNbdParams, Observation};
use super::super::simulate::bgnbd_customers;
use super::super::special::ln_gamma;
use super::rel;
use proptest::prelude::*;

/// The paper's CDNOW estimates, α in days.
const TRUTH: BgNbdParams = BgNbdParams {
    r: 0.24,
    alpha: 4.4 * 7.0,
    a: 0.79,
    b: 2.4,
};
/// CDNOW's design: first orders over 12 weeks, observed to the end of week 39.
const AGES: (f64, f64) = (27.0 * 7.0, 39.0 * 7.0);

fn observations(params: &BgNbdParams, n: usize, seed: u64) -> Vec<Observation> {
    bgnbd_customers(params, n, AGES, seed)
        .iter()
        .map(|c| c.observation())
        .collect()
}

#[test]
fn recovers_cdnow_like_parameters_from_simulated_customers() {
    let data = observations(&TRUTH, 5_000, 42);
    let fit = bgnbd::fit(&data, &BgNbdOptions::default());
    let p = fit.params;
    let errors = [
        rel(p.r, TRUTH.r),
        rel(p.alpha, TRUTH.alpha),
        rel(p.a, TRUTH.a),
        rel(p.b, TRUTH.b),
    ];
    // About three standard errors at this size (the paper's CDNOW errors, scaled by √(2357/5000)).
    assert!(
        errors[0] < 0.12 && errors[1] < 0.20 && errors[2] < 0.45 && errors[3] < 0.55,
        "{p:?} errors {errors:?}"
    );
    assert_eq!(fit.quality, FitQuality::Fitted);
    // The weak prior must not move a fit of this size noticeably.
    let mle = bgnbd::fit(
        &data,
        &BgNbdOptions {
            prior_sd: f64::INFINITY,
        },
    )
    .params;
    assert!(
        rel(mle.r, p.r) < 0.02 && rel(mle.alpha, p.alpha) < 0.02,
        "{mle:?} vs {p:?}"
    );
    // The fit is a maximum: nudging any parameter lowers the likelihood.
    let ll = |q: &BgNbdParams| data.iter().map(|o| q.log_likelihood(o)).sum::<f64>();
    for nudge in [0.98, 1.02] {
        for q in [
            BgNbdParams {
                r: mle.r * nudge,
                ..mle
            },
            BgNbdParams {
                alpha: mle.alpha * nudge,
                ..mle
            },
            BgNbdParams {
                a: mle.a * nudge,
                ..mle
            },
            BgNbdParams {
                b: mle.b * nudge,
                ..mle
            },
        ] {
            assert!(ll(&q) < ll(&mle), "{q:?} beats the fit");
        }
    }
}

#[test]
fn recovery_across_seeds_is_unbiased() {
    // Mean of three smaller fits: guards against a seed that happens to land close to the truth.
    let fits: Vec<BgNbdParams> = (0..3)
        .map(|s| {
            bgnbd::fit(
                &observations(&TRUTH, 3_000, 100 + s),
                &BgNbdOptions::default(),
            )
            .params
        })
        .collect();
    let mean = |f: fn(&BgNbdParams) -> f64| fits.iter().map(f).sum::<f64>() / fits.len() as f64;
    assert!(rel(mean(|p| p.r), TRUTH.r) < 0.1, "{fits:?}");
    assert!(rel(mean(|p| p.alpha), TRUTH.alpha) < 0.15, "{fits:?}");
    assert!(
        rel(mean(|p| p.a / (p.a + p.b)), TRUTH.a / (TRUTH.a + TRUTH.b)) < 0.15,
        "{fits:?}"
    );
}

#[test]
fn expected_orders_match_simulated_new_customers() {
    // A customer whose first order was just now: the prior predictive of the process.
    let horizon = 180.0;
    let sims = bgnbd_customers(&TRUTH, 200_000, (horizon, horizon), 7);
    let new = Observation {
        x: 0,
        t_x: 0.0,
        age: 0.0,
    };
    let mean_x = sims.iter().map(|c| c.observation().x as f64).sum::<f64>() / sims.len() as f64;
    let expected = TRUTH.expected_orders(&new, horizon);
    assert!(
        rel(expected, mean_x) < 0.02,
        "model {expected} vs simulated {mean_x}"
    );
    let share = sims.iter().filter(|c| c.observation().x > 0).count() as f64 / sims.len() as f64;
    let p = TRUTH.p_order_within(&new, horizon);
    assert!((p - share).abs() < 0.005, "model {p} vs simulated {share}");
}

/// ₂F₁(a, b; c; z) by its power series, for the paper's closed form; only for |z| ≤ 0.9.
fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for k in 0..100_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-16 * sum.abs() {
            break;
        }
    }
    sum
}

/// The paper's eq. 10, for a ≠ 1.
fn paper_expected_orders(p: &BgNbdParams, o: &Observation, t: f64) -> f64 {
    let x = f64::from(o.x);
    let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
    let z = t / (alpha + o.age + t);
    let body = (a + b + x - 1.0) / (a - 1.0)
        * (1.0
            - ((alpha + o.age) / (alpha + o.age + t)).powf(r + x)
                * hyp2f1(r + x, b + x, a + b + x - 1.0, z));
    let dead = if o.x > 0 {
        a / (b + x - 1.0) * ((alpha + o.age) / (alpha + o.t_x)).powf(r + x)
    } else {
        0.0
    };
    body / (1.0 + dead)
}

#[test]
fn expected_orders_equal_the_hypergeometric_form() {
    let params = [
        TRUTH,
        BgNbdParams {
            r: 1.3,
            alpha: 12.0,
            a: 2.5,
            b: 0.7,
        },
        BgNbdParams {
            r: 0.6,
            alpha: 80.0,
            a: 0.3,
            b: 9.0,
        },
    ];
    let people = [
        Observation {
            x: 0,
            t_x: 0.0,
            age: 100.0,
        },
        Observation {
            x: 1,
            t_x: 20.0,
            age: 60.0,
        },
        Observation {
            x: 6,
            t_x: 250.0,
            age: 260.0,
        },
        Observation {
            x: 25,
            t_x: 300.0,
            age: 400.0,
        },
    ];
    for p in &params {
        for o in &people {
            for t in [7.0, 90.0, 365.0] {
                if t / (p.alpha + o.age + t) > 0.9 {
                    continue;
                }
                let (ours, paper) = (p.expected_orders(o, t), paper_expected_orders(p, o, t));
                assert!(
                    rel(ours, paper) < 1e-7,
                    "{p:?} {o:?} t={t}: {ours} vs {paper}"
                );
            }
        }
    }
}

#[test]
fn expected_orders_are_smooth_through_a_equal_one() {
    // The paper's form divides by a − 1; ours must not care.
    let o = Observation {
        x: 3,
        t_x: 50.0,
        age: 90.0,
    };
    let at = |a: f64| BgNbdParams { a, ..TRUTH }.expected_orders(&o, 365.0);
    let (below, at_one, above) = (at(1.0 - 1e-6), at(1.0), at(1.0 + 1e-6));
    assert!(at_one.is_finite() && (below - at_one).abs() < 1e-5 && (above - at_one).abs() < 1e-5);
}

#[test]
fn median_days_to_next_order_solves_its_definition() {
    let o = Observation {
        x: 8,
        t_x: 175.0,
        age: 180.0,
    };
    let days = TRUTH.median_days_to_next_order(&o, 10_000.0).unwrap();
    assert!((TRUTH.p_order_within(&o, days) - 0.5).abs() < 1e-9);
    let lapsed = Observation {
        x: 8,
        t_x: 20.0,
        age: 400.0,
    };
    assert!(TRUTH.p_alive(&lapsed) < 0.5);
    assert_eq!(TRUTH.median_days_to_next_order(&lapsed, 10_000.0), None);
    assert_eq!(TRUTH.median_days_to_next_order(&o, days * 0.9), None);
}

#[test]
fn ln_gamma_ratio_used_in_the_likelihood_is_exact_for_integers() {
    // Γ(r + x)/Γ(r) is a rising factorial: the grouped likelihood relies on this being precise.
    let rising: f64 = (0..10).map(|k| (0.24 + f64::from(k)).ln()).sum();
    assert!((ln_gamma(10.24) - ln_gamma(0.24) - rising).abs() < 1e-12);
}

fn params() -> impl Strategy<Value = BgNbdParams> {
    (0.05f64..5.0, 1.0f64..200.0, 0.05f64..5.0, 0.05f64..10.0)
        .prop_map(|(r, alpha, a, b)| BgNbdParams { r, alpha, a, b })
}

proptest! {
    #[test]
    fn p_alive_rises_with_recency_and_falls_with_age(
        p in params(), x in 1u32..30, age in 1.0f64..1_000.0, f1 in 0.0f64..1.0, f2 in 0.0f64..1.0, extra in 0.1f64..500.0,
    ) {
        let (early, late) = (age * f1.min(f2), age * f1.max(f2));
        let at = |t_x: f64, age: f64| p.p_alive(&Observation { x, t_x, age });
        prop_assert!(at(late, age) >= at(early, age) - 1e-12, "a later last order must not lower P(alive)");
        prop_assert!(at(late, age + extra) <= at(late, age) + 1e-12, "more silence must not raise P(alive)");
        prop_assert!((0.0..=1.0).contains(&at(early, age)));
        prop_assert_eq!(p.p_alive(&Observation { x: 0, t_x: 0.0, age }), 1.0);
        prop_assert!((at(age, age) - 1.0 / (1.0 + p.a / (p.b + f64::from(x) - 1.0))).abs() < 1e-12);
    }

    #[test]
    fn expected_orders_grow_with_the_horizon_and_recency(
        p in params(), x in 0u32..20, age in 1.0f64..700.0, f in 0.0f64..1.0, t in 1.0f64..400.0,
    ) {
        let o = Observation { x, t_x: if x == 0 { 0.0 } else { age * f }, age };
        let (short, long) = (p.expected_orders(&o, t), p.expected_orders(&o, 2.0 * t));
        prop_assert!(short >= 0.0 && short.is_finite());
        prop_assert!(long >= short * (1.0 - 1e-9), "{short} then {long}");
        if x > 0 {
            let recent = Observation { t_x: age, ..o };
            prop_assert!(p.expected_orders(&recent, t) >= short * (1.0 - 1e-9));
        }
        // Orders in t days cannot exceed those of an immortal customer: E[λ] t = (r + x) t / (α + T).
        prop_assert!(short <= (p.r + f64::from(x)) * t / (p.alpha + age) * (1.0 + 1e-9));
    }
}

#[test]
fn small_shops_fall_back_and_say_so() {
    let few = observations(&TRUTH, 12, 1);
    let fit = bgnbd::fit(&few, &BgNbdOptions::default());
    assert_eq!(fit.quality, FitQuality::Fallback);
    assert_eq!(
        (fit.params.r, fit.params.a, fit.params.b),
        (
            BgNbdParams::CDNOW.r,
            BgNbdParams::CDNOW.a,
            BgNbdParams::CDNOW.b
        )
    );
    assert_eq!(
        bgnbd::fit(&[], &BgNbdOptions::default()).params,
        BgNbdParams::CDNOW
    );
    let some = observations(&TRUTH, 150, 2);
    let fit = bgnbd::fit(&some, &BgNbdOptions::default());
    assert_eq!(fit.quality, FitQuality::Sparse);
    assert!(
        [fit.params.r, fit.params.alpha, fit.params.a, fit.params.b]
            .iter()
            .all(|v| v.is_finite() && *v > 0.0)
    );
}
