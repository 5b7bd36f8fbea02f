//! Differential test of the experiment statistics against GrowthBook's stats engine (PyPI
//! `gbstats` 0.8.0, installed by the README's test command): thousands of random comparisons of
//! conversion, revenue-per-visitor and ratio (average order value) metrics, relative, absolute and
//! scaled (incremental), with flat and proper priors, plus sample-ratio checks. Every number both
//! compute must agree within 1e-6 (relative to the value when it exceeds 1), and both must refuse
//! the same inputs. The pooled two-proportion z-test, which gbstats does not compute, is checked
//! against scipy's normal distribution.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

use attune_engine::experiments::{
    Difference, Moments, Prior, Statistic, bayesian, frequentist, sample_ratio_mismatch,
    two_proportion_z,
};
use attune_tests::workspace_root;
use serde_json::{Value, json};

const COMPARISONS: usize = 6_000;
const SRM_CASES: usize = 1_000;
const Z_CASES: usize = 1_000;
const TOLERANCE: f64 = 1e-6;

/// xorshift64*, seeded; the seed is printed so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Arm sizes from tiny to large, log-uniform.
    fn units(&mut self) -> u64 {
        if self.below(20) == 0 {
            return self.below(3);
        }
        self.range(2f64.ln(), 2e6f64.ln()).exp() as u64
    }
}

/// Sums and sums of squares of `n` values with this mean and standard deviation.
fn moments(n: u64, mean: f64, sd: f64) -> Moments {
    let nf = n as f64;
    Moments {
        sum: nf * mean,
        sum_squares: (nf - 1.0).max(0.0) * sd * sd + nf * mean * mean,
    }
}

fn random_statistic(r: &mut Rng, kind: u64, n: u64, lift: f64) -> Statistic {
    match kind {
        0 => {
            let rate = if r.below(15) == 0 {
                0.0
            } else {
                (r.range(0.001, 0.4) * lift).min(1.0)
            };
            Statistic::Proportion {
                n,
                sum: (n as f64 * rate).round(),
            }
        }
        1 => {
            let sd = if r.below(15) == 0 {
                0.0
            } else {
                r.range(1.0, 200.0)
            };
            let m = moments(n, r.range(0.0, 80.0) * lift, sd);
            Statistic::Mean {
                n,
                sum: m.sum,
                sum_squares: m.sum_squares,
            }
        }
        _ => {
            let (mm, sm) = (r.range(1.0, 80.0) * lift, r.range(1.0, 150.0));
            let (md, sd) = (r.range(0.05, 1.5), r.range(0.1, 1.2));
            let rho = r.range(-0.2, 0.95);
            let nf = n as f64;
            Statistic::Ratio {
                n,
                numerator: moments(n, mm, sm),
                denominator: moments(n, md, sd),
                sum_of_products: (nf - 1.0).max(0.0) * rho * sm * sd + nf * mm * md,
            }
        }
    }
}

fn statistic_json(s: &Statistic) -> Value {
    match *s {
        Statistic::Proportion { n, sum } => json!({"kind": "proportion", "n": n, "sum": sum}),
        Statistic::Mean {
            n,
            sum,
            sum_squares,
        } => {
            json!({"kind": "mean", "n": n, "sum": sum, "sum_squares": sum_squares})
        }
        Statistic::Ratio {
            n,
            numerator,
            denominator,
            sum_of_products,
        } => json!({
            "kind": "ratio", "n": n,
            "numerator": [numerator.sum, numerator.sum_squares],
            "denominator": [denominator.sum, denominator.sum_squares],
            "sum_of_products": sum_of_products,
        }),
    }
}

fn run_oracle(cases: &[Value]) -> HashMap<u64, Value> {
    let dir = workspace_root().join(".attune/oracles/gbstats");
    let python = dir.join("bin/python");
    let script = dir.join("gbstats-batch.py");
    assert!(
        python.exists() && script.exists(),
        "{} missing: the README's test command installs the oracle",
        dir.display()
    );
    let mut child = Command::new(python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "gbstats oracle failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_u64().unwrap(), v)
        })
        .collect()
}

/// Collects disagreements instead of stopping at the first, so a failure shows its extent.
#[derive(Default)]
struct Verdict {
    compared: usize,
    problems: Vec<String>,
}

impl Verdict {
    fn number(&mut self, case: u64, what: &str, ours: f64, theirs: &Value) {
        self.compared += 1;
        let Some(theirs) = theirs.as_f64() else {
            if ours.is_finite() {
                self.problems
                    .push(format!("case {case} {what}: ours {ours}, theirs {theirs}"));
            }
            return;
        };
        let ok = (ours - theirs).abs() <= TOLERANCE * theirs.abs().max(1.0);
        if !ok {
            self.problems.push(format!(
                "case {case} {what}: ours {ours:e}, theirs {theirs:e}"
            ));
        }
    }

    fn pair(&mut self, case: u64, what: &str, ours: (f64, f64), theirs: &Value) {
        self.number(case, &format!("{what}[0]"), ours.0, &theirs[0]);
        self.number(case, &format!("{what}[1]"), ours.1, &theirs[1]);
    }

    fn refusal(&mut self, case: u64, what: &str, ours: Option<String>, theirs: &Value) {
        let theirs = theirs["error"].as_str();
        if ours.is_some() != theirs.is_some() {
            self.problems.push(format!(
                "case {case} {what}: ours refused {ours:?}, theirs {theirs:?}"
            ));
        }
    }
}

#[test]
fn statistics_agree_with_growthbooks_engine() {
    let seed = std::env::var("ORACLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0a7e_57a7_5000_0001u64);
    println!("seed {seed}");
    let mut r = Rng(seed);
    let alphas = [0.05, 0.1, 0.01, 0.2];
    let mut compares = Vec::new();
    let mut cases = Vec::new();
    for id in 0..COMPARISONS as u64 {
        let kind = r.below(3);
        let (na, nb) = (r.units(), r.units());
        let a = random_statistic(&mut r, kind, na, 1.0);
        let lift = if r.below(3) == 0 {
            1.0
        } else {
            r.range(0.8, 1.3)
        };
        let b = random_statistic(&mut r, kind, nb, lift);
        let difference = if r.below(2) == 0 {
            Difference::Relative
        } else {
            Difference::Absolute
        };
        let alpha = alphas[r.below(4) as usize];
        let prior = (r.below(3) == 0).then(|| Prior {
            mean: r.range(-0.1, 0.1),
            variance: r.range(0.001, 0.5),
        });
        let inverse = r.below(4) == 0;
        cases.push(json!({
            "id": id, "kind": "compare",
            "a": statistic_json(&a), "b": statistic_json(&b),
            "difference": if difference == Difference::Relative { "relative" } else { "absolute" },
            "alpha": alpha, "inverse": inverse,
            "prior": prior.map(|p| json!([p.mean, p.variance])),
        }));
        compares.push((id, a, b, difference, alpha, prior, inverse));
    }
    let mut srms = Vec::new();
    for i in 0..SRM_CASES as u64 {
        let id = COMPARISONS as u64 + i;
        let arms = 2 + r.below(4) as usize;
        let weights: Vec<f64> = (0..arms)
            .map(|_| {
                if r.below(10) == 0 {
                    0.0
                } else {
                    r.range(0.1, 3.0)
                }
            })
            .collect();
        let total = r.units() * 3;
        let units: Vec<u64> = weights
            .iter()
            .map(|w| ((total as f64) * w * r.range(0.97, 1.03)) as u64)
            .collect();
        cases.push(json!({"id": id, "kind": "srm", "units": units, "weights": weights}));
        srms.push((id, units, weights));
    }
    let mut zs = Vec::new();
    for i in 0..Z_CASES as u64 {
        let id = (COMPARISONS + SRM_CASES) as u64 + i;
        let (na, nb) = (r.units().max(1), r.units().max(1));
        let (xa, xb) = (r.below(na + 1), (r.range(0.0, 1.0) * nb as f64) as u64);
        let alpha = alphas[r.below(4) as usize];
        cases.push(json!({"id": id, "kind": "z", "a": [xa, na], "b": [xb, nb], "alpha": alpha}));
        zs.push((id, (xa, na), (xb, nb), alpha));
    }

    let theirs = run_oracle(&cases);
    assert_eq!(theirs.len(), cases.len(), "the oracle answered every case");
    let mut v = Verdict::default();
    let (mut computed, mut refused) = (0usize, 0usize);
    for (id, a, b, difference, alpha, prior, inverse) in &compares {
        let t = &theirs[id];
        let f = &t["frequentist"];
        let ours = frequentist(a, b, *difference, *alpha);
        // gbstats also refuses an absolute comparison when the control's mean is zero; that
        // difference is well defined, so we compute it and skip the comparison.
        let skip = *difference == Difference::Absolute && a.mean() == 0.0 && ours.is_ok();
        if !skip {
            v.refusal(*id, "frequentist", ours.err().map(|e| e.to_string()), f);
            if let Ok(ours) = ours {
                computed += 1;
                v.number(*id, "expected", ours.expected, &f["expected"]);
                v.pair(*id, "ci", ours.ci, &f["ci"]);
                v.number(*id, "p_value", ours.p_value, &f["p_value"]);
                v.number(*id, "stddev", ours.stddev, &f["stddev"]);
                v.number(*id, "dof", ours.dof, &f["dof"]);
                if *difference == Difference::Absolute {
                    // Incremental total: the per-unit change times the variant's units.
                    let scaled = ours.scaled(b.n() as f64);
                    let s = &t["scaled"];
                    v.number(*id, "scaled.expected", scaled.expected, &s["expected"]);
                    v.pair(*id, "scaled.ci", scaled.ci, &s["ci"]);
                    v.number(*id, "scaled.stddev", scaled.stddev, &s["stddev"]);
                    v.number(*id, "scaled.p_value", scaled.p_value, &s["p_value"]);
                }
            } else {
                refused += 1;
            }
        }
        let bt = &t["bayesian"];
        let ours = bayesian(a, b, *difference, *prior, *alpha, *inverse);
        v.refusal(*id, "bayesian", ours.err().map(|e| e.to_string()), bt);
        if let Ok(ours) = ours {
            v.number(*id, "b.expected", ours.expected, &bt["expected"]);
            v.pair(*id, "b.ci", ours.ci, &bt["ci"]);
            v.number(*id, "b.stddev", ours.stddev, &bt["stddev"]);
            v.number(
                *id,
                "b.chance_to_win",
                ours.chance_to_win,
                &bt["chance_to_win"],
            );
            v.pair(
                *id,
                "b.risk",
                (ours.risk_control, ours.risk_variant),
                &bt["risk"],
            );
        }
    }
    for (id, units, weights) in &srms {
        v.number(
            *id,
            "srm",
            sample_ratio_mismatch(units, weights),
            &theirs[id]["p_value"],
        );
    }
    for (id, a, b, alpha) in &zs {
        let t = &theirs[id];
        let ours = two_proportion_z(*a, *b, *alpha);
        v.refusal(*id, "z", ours.err().map(|e| e.to_string()), t);
        if let Ok(z) = ours {
            v.number(*id, "z", z.z, &t["z"]);
            v.number(*id, "z.p_value", z.p_value, &t["p_value"]);
            v.pair(*id, "z.ci", z.ci, &t["ci"]);
        }
    }
    println!(
        "{} numbers compared; {computed} frequentist results, {refused} refusals",
        v.compared
    );
    // The generator must exercise both outcomes, or the test proves little.
    assert!(
        computed > COMPARISONS / 2 && refused > 50,
        "{computed} computed, {refused} refused"
    );
    assert!(
        v.problems.is_empty(),
        "{} disagreements (first 20):\n{}",
        v.problems.len(),
        v.problems
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
