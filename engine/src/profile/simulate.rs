//! Synthetic shops drawn from the models' own generative processes: for the demo, the
//! benchmarks, and the parameter-recovery tests. Deterministic given the seed.

use super::bgnbd::{BgNbdParams, Observation};
use super::gamma_gamma::{GammaGammaParams, SpendObservation};
use super::rng::Rng;
use super::summary::{CustomerSummary, OrderFact, SECONDS_PER_DAY};

/// One simulated customer: order times in days since their first order (the first is 0).
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedCustomer {
    pub order_days: Vec<f64>,
    /// Days from the first order to the end of observation.
    pub age: f64,
}

impl SimulatedCustomer {
    pub fn observation(&self) -> Observation {
        let repeats = self.order_days.len().saturating_sub(1);
        Observation {
            x: u32::try_from(repeats).unwrap_or(u32::MAX),
            t_x: self.order_days.last().copied().unwrap_or(0.0),
            age: self.age,
        }
    }
}

/// `n` customers from the BG/NBD process, with ages uniform in `age_days` (as when first orders
/// arrive evenly over a cohort window, like CDNOW's 12-week cohort observed to week 39).
pub fn bgnbd_customers(
    params: &BgNbdParams,
    n: usize,
    age_days: (f64, f64),
    seed: u64,
) -> Vec<SimulatedCustomer> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let age = age_days.0 + (age_days.1 - age_days.0) * rng.uniform();
            let rate = rng.gamma(params.r, params.alpha);
            let dropout = rng.beta(params.a, params.b);
            let mut order_days = vec![0.0];
            let mut t = 0.0;
            loop {
                t += rng.exponential(rate);
                if t > age || !t.is_finite() {
                    break;
                }
                order_days.push(t);
                if rng.uniform() < dropout {
                    break;
                }
            }
            SimulatedCustomer { order_days, age }
        })
        .collect()
}

/// Draws one customer's mean order value given their own Gamma(q, γ) scale.
fn orders_for(params: &GammaGammaParams, count: usize, rng: &mut Rng) -> Vec<f64> {
    let nu = rng.gamma(params.q, params.gamma);
    (0..count).map(|_| rng.gamma(params.p, nu)).collect()
}

/// Mean repeat-order values for customers with the given repeat counts (0 counts are skipped).
pub fn mean_spend(
    params: &GammaGammaParams,
    repeat_orders: &[u32],
    seed: u64,
) -> Vec<SpendObservation> {
    let mut rng = Rng::new(seed);
    repeat_orders
        .iter()
        .filter(|x| **x > 0)
        .map(|&x| {
            let values = orders_for(params, x as usize, &mut rng);
            SpendObservation {
                x,
                mean_value: values.iter().sum::<f64>() / f64::from(x),
            }
        })
        .collect()
}

/// A whole shop as the server would hold it: summaries built from simulated orders ending at
/// `now`, with order values from Gamma-Gamma (minor units) and `discount_rate` of orders
/// discounted.
pub fn shop(
    bg: &BgNbdParams,
    gg: &GammaGammaParams,
    n: usize,
    age_days: (f64, f64),
    discount_rate: f64,
    now: i64,
    seed: u64,
) -> Vec<CustomerSummary> {
    let mut rng = Rng::new(seed ^ 0xA5A5_A5A5);
    bgnbd_customers(bg, n, age_days, seed)
        .iter()
        .map(|c| {
            let values = orders_for(gg, c.order_days.len(), &mut rng);
            let first = now - (c.age * SECONDS_PER_DAY) as i64;
            let mut summary = CustomerSummary::default();
            for (day, value) in c.order_days.iter().zip(values) {
                summary.absorb(OrderFact {
                    at: first + (day * SECONDS_PER_DAY) as i64,
                    total_minor: value.round().max(1.0) as i64,
                    discounted: rng.uniform() < discount_rate,
                });
            }
            summary
        })
        .collect()
}
