use proptest::prelude::*;

use super::dist::{t_ppf, t_sf};
use super::*;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn welch_matches_a_worked_example() {
    // Control: 1,000 visitors, 100 converted; variant: 1,000 visitors, 130 converted.
    let a = Statistic::Proportion {
        n: 1000,
        sum: 100.0,
    };
    let b = Statistic::Proportion {
        n: 1000,
        sum: 130.0,
    };
    let abs = frequentist(&a, &b, Difference::Absolute, 0.05).unwrap();
    assert!(close(abs.expected, 0.03, 1e-12));
    // se = sqrt(.09/1000 + .1131/1000)
    let se = (0.09f64 / 1000.0 + 0.1131 / 1000.0).sqrt();
    assert!(close(abs.stddev, se, 1e-12));
    // With ~1,900 degrees of freedom the t-test is close to the z-test.
    let z = two_proportion_z((100, 1000), (130, 1000), 0.05).unwrap();
    assert!(
        (abs.p_value - z.p_value).abs() < 2e-3,
        "{} vs {}",
        abs.p_value,
        z.p_value
    );
    assert!(abs.p_value < 0.05 && abs.significant());
    let rel = frequentist(&a, &b, Difference::Relative, 0.05).unwrap();
    assert!(close(rel.expected, 0.3, 1e-12));
}

#[test]
fn pooled_z_test_matches_the_textbook() {
    // 45/500 vs 60/500: pooled p = .105, se = sqrt(.105*.895*(2/500)) = .019388, z = 1.5474,
    // two-sided p = .1218.
    let z = two_proportion_z((45, 500), (60, 500), 0.05).unwrap();
    assert!(close(z.z, 0.03 / (0.105f64 * 0.895 * 0.004).sqrt(), 1e-12));
    assert!((z.p_value - 0.1218).abs() < 5e-4, "{}", z.p_value);
}

#[test]
fn student_t_agrees_with_tables() {
    // Two-sided 5% critical values: 12.706 (1), 2.228 (10), 1.984 (100), 1.95996 (huge).
    assert!((t_ppf(0.975, 1.0) - 12.7062).abs() < 1e-3);
    assert!((t_ppf(0.975, 10.0) - 2.22814).abs() < 1e-4);
    assert!((t_ppf(0.975, 100.0) - 1.98397).abs() < 1e-4);
    assert!((t_ppf(0.975, 1e7) - 1.959_964).abs() < 1e-5);
    assert!((t_sf(2.22814, 10.0) - 0.025).abs() < 1e-5);
}

#[test]
fn degenerate_inputs_name_the_problem() {
    let none = Statistic::Proportion { n: 0, sum: 0.0 };
    let zero = Statistic::Proportion { n: 100, sum: 0.0 };
    let some = Statistic::Proportion { n: 100, sum: 7.0 };
    assert_eq!(
        frequentist(&zero, &some, Difference::Relative, 0.05),
        Err(Undetermined::ZeroBaseline)
    );
    assert_eq!(
        frequentist(&some, &none, Difference::Absolute, 0.05),
        Err(Undetermined::NoUnits)
    );
    assert_eq!(
        frequentist(&some, &zero, Difference::Absolute, 0.05),
        Err(Undetermined::ZeroVariance)
    );
    assert_eq!(
        bayesian(&some, &none, Difference::Absolute, None, 0.05, false),
        Err(Undetermined::NoUnits)
    );
    assert_eq!(
        two_proportion_z((0, 10), (0, 10), 0.05),
        Err(Undetermined::ZeroVariance)
    );
}

#[test]
fn ratio_variance_is_the_delta_method() {
    // Three visitors: revenue (10, 0, 30), orders (1, 0, 2): AOV = 40 / 3.
    let s = Statistic::Ratio {
        n: 3,
        numerator: Moments {
            sum: 40.0,
            sum_squares: 1000.0,
        },
        denominator: Moments {
            sum: 3.0,
            sum_squares: 5.0,
        },
        sum_of_products: 70.0,
    };
    assert!(close(s.mean(), 40.0 / 3.0, 1e-12));
    let (mm, md) = (40.0f64 / 3.0, 1.0f64);
    let vm = (1000.0 - 1600.0 / 3.0) / 2.0;
    let vd = (5.0 - 3.0) / 2.0;
    let cov = (70.0 - 40.0) / 2.0;
    let expect = vm / md.powi(2) - 2.0 * cov * mm / md.powi(3) + mm.powi(2) * vd / md.powi(4);
    assert!(close(s.variance(), expect, 1e-12));
}

#[test]
fn bayesian_flat_prior_is_the_normal_posterior() {
    let a = Statistic::Mean {
        n: 400,
        sum: 2000.0,
        sum_squares: 40_000.0,
    };
    let b = Statistic::Mean {
        n: 400,
        sum: 2200.0,
        sum_squares: 44_000.0,
    };
    let r = bayesian(&a, &b, Difference::Absolute, None, 0.05, false).unwrap();
    let f = frequentist(&a, &b, Difference::Absolute, 0.05).unwrap();
    assert!(close(r.expected, 0.5, 1e-12));
    assert!(close(r.stddev, f.stddev, 1e-12));
    // Expected losses: E[max(X,0)] - E[max(-X,0)] = E[X].
    assert!(close(r.risk_control - r.risk_variant, r.expected, 1e-12));
    let flipped = bayesian(&a, &b, Difference::Absolute, None, 0.05, true).unwrap();
    assert!(close(flipped.chance_to_win, 1.0 - r.chance_to_win, 1e-12));
    // A proper prior centred on zero pulls the estimate toward zero.
    let shrunk = bayesian(
        &a,
        &b,
        Difference::Absolute,
        Some(Prior {
            mean: 0.0,
            variance: 0.01,
        }),
        0.05,
        false,
    )
    .unwrap();
    assert!(shrunk.expected < r.expected && shrunk.stddev < r.stddev);
}

#[test]
fn srm_flags_a_broken_split() {
    assert!(sample_ratio_mismatch(&[5000, 5010], &[1.0, 1.0]) > 0.5);
    assert!(sample_ratio_mismatch(&[5000, 5600], &[1.0, 1.0]) < 1e-6);
    assert!(sample_ratio_mismatch(&[3300, 6700], &[1.0, 2.0]) > 0.1);
    assert_eq!(sample_ratio_mismatch(&[0, 0], &[1.0, 1.0]), 1.0);
}

#[test]
fn assignment_follows_the_weights() {
    let alloc = Allocation {
        holdout: 0.1,
        weights: vec![1.0, 1.0, 2.0],
    };
    let mut counts = [0usize; 4];
    for i in 0..40_000 {
        match alloc.place("exp-7", &format!("visitor-{i}")) {
            Placement::Holdout => counts[3] += 1,
            Placement::Arm(a) => counts[a] += 1,
        }
    }
    let shares: Vec<f64> = counts.iter().map(|c| *c as f64 / 40_000.0).collect();
    for (got, want) in shares.iter().zip([0.225, 0.225, 0.45, 0.1]) {
        assert!((got - want).abs() < 0.01, "{shares:?}");
    }
    // The split passes its own sample-ratio check.
    let units: Vec<u64> = counts[..3].iter().map(|c| *c as u64).collect();
    assert!(sample_ratio_mismatch(&units, &[1.0, 1.0, 2.0]) > 0.001);
}

proptest! {
    #[test]
    fn assignment_is_deterministic_and_holdout_is_stable(
        unit in "[a-z0-9-]{1,24}", salt in "[a-z0-9]{1,8}", w in 0.1f64..10.0
    ) {
        let a = Allocation { holdout: 0.2, weights: vec![1.0, w] };
        let b = Allocation { holdout: 0.2, weights: vec![w, 1.0, 3.0] };
        prop_assert_eq!(a.place(&salt, &unit), a.place(&salt, &unit));
        // Reweighting arms never moves a unit into or out of the holdout.
        prop_assert_eq!(
            a.place(&salt, &unit) == Placement::Holdout,
            b.place(&salt, &unit) == Placement::Holdout
        );
        let x = bucket(&salt, &unit);
        prop_assert!((0.0..1.0).contains(&x));
    }

    #[test]
    fn intervals_contain_the_estimate_and_p_matches_the_interval(
        na in 30u64..5000, nb in 30u64..5000, ra in 0.02f64..0.5, rb in 0.02f64..0.5
    ) {
        let a = Statistic::Proportion { n: na, sum: (na as f64 * ra).round().max(1.0) };
        let b = Statistic::Proportion { n: nb, sum: (nb as f64 * rb).round().max(1.0) };
        for d in [Difference::Absolute, Difference::Relative] {
            let f = frequentist(&a, &b, d, 0.05).unwrap();
            prop_assert!(f.ci.0 <= f.expected && f.expected <= f.ci.1);
            // p < alpha exactly when the (1 - alpha) interval excludes zero.
            if (f.p_value - 0.05).abs() > 1e-9 {
                prop_assert_eq!(f.p_value < 0.05, f.significant());
            }
            let post = bayesian(&a, &b, d, None, 0.05, false).unwrap();
            prop_assert!((0.0..=1.0).contains(&post.chance_to_win));
            prop_assert!(post.risk_control >= 0.0 && post.risk_variant >= 0.0);
        }
    }
}
