//! Per-customer order summaries: the only per-customer state the lifetime models need, kept
//! small enough to update in O(1) as each order arrives.

use super::bgnbd::Observation;

pub(crate) const SECONDS_PER_DAY: f64 = 86_400.0;

/// One order, reduced to what the profile models use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderFact {
    /// Unix seconds.
    pub at: i64,
    /// Order total in minor units of the shop's currency.
    pub total_minor: i64,
    /// Whether any discount (code or automatic) applied.
    pub discounted: bool,
}

/// Running totals of a customer's orders.
///
/// The first order is tracked apart from the rest because the Gamma-Gamma spend model (like the
/// lifetimes package) averages repeat orders only; "first" is the earliest by (time, total,
/// discounted), so the summary does not depend on the order in which facts arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CustomerSummary {
    pub orders_count: u32,
    pub total_spent_minor: i64,
    pub discounted_orders: u32,
    /// The earliest order, once there is one.
    pub first_order: Option<OrderFact>,
    /// Unix seconds of the latest order (0 when there is none).
    pub last_order_at: i64,
}

impl CustomerSummary {
    /// The summary of a batch of orders, in any order.
    pub fn from_orders(orders: &[OrderFact]) -> Self {
        let Some(first) = orders.iter().min_by_key(|o| order_key(o)).copied() else {
            return Self::default();
        };
        Self {
            orders_count: u32::try_from(orders.len()).unwrap_or(u32::MAX),
            total_spent_minor: orders
                .iter()
                .fold(0i64, |s, o| s.saturating_add(o.total_minor)),
            discounted_orders: u32::try_from(orders.iter().filter(|o| o.discounted).count())
                .unwrap_or(u32::MAX),
            first_order: Some(first),
            last_order_at: orders.iter().map(|o| o.at).max().unwrap_or(first.at),
        }
    }

    /// Folds one more order in, in O(1). Orders may arrive out of time order.
    pub fn absorb(&mut self, order: OrderFact) {
        self.last_order_at = if self.orders_count == 0 {
            order.at
        } else {
            self.last_order_at.max(order.at)
        };
        self.orders_count = self.orders_count.saturating_add(1);
        self.total_spent_minor = self.total_spent_minor.saturating_add(order.total_minor);
        self.discounted_orders = self
            .discounted_orders
            .saturating_add(u32::from(order.discounted));
        self.first_order = Some(match self.first_order {
            Some(first) if order_key(&first) <= order_key(&order) => first,
            _ => order,
        });
    }

    /// Total spent divided by orders, rounded half away from zero; 0 without orders.
    pub fn average_order_value_minor(&self) -> i64 {
        if self.orders_count == 0 {
            return 0;
        }
        let n = i64::from(self.orders_count);
        let t = self.total_spent_minor;
        // Integer rounding: money never goes through f64 here.
        (t + t.signum() * n / 2) / n
    }

    /// Fractional days from the latest order to `now`; `None` without orders.
    pub fn days_since_last_order(&self, now: i64) -> Option<f64> {
        (self.orders_count > 0).then(|| days_between(self.last_order_at, now))
    }

    /// Share of orders that used a discount, in [0, 1]; 0 without orders.
    pub fn discount_share(&self) -> f64 {
        if self.orders_count == 0 {
            0.0
        } else {
            f64::from(self.discounted_orders) / f64::from(self.orders_count)
        }
    }

    /// Orders after the first: the "frequency" x of the lifetime models.
    pub fn repeat_orders(&self) -> u32 {
        self.orders_count.saturating_sub(1)
    }

    /// Mean total of the orders after the first (what Gamma-Gamma models), when there are any.
    pub fn repeat_order_value_minor(&self) -> Option<f64> {
        let first = self.first_order?;
        let repeats = self.repeat_orders();
        (repeats > 0)
            .then(|| (self.total_spent_minor - first.total_minor) as f64 / f64::from(repeats))
    }

    /// The BG/NBD view of this customer at `now`, in days since their first order;
    /// `None` without orders. A `now` before the last order is treated as the last order's time.
    pub fn observation(&self, now: i64) -> Option<Observation> {
        let first = self.first_order?;
        let t_x = days_between(first.at, self.last_order_at);
        let age = days_between(first.at, now).max(t_x);
        Some(Observation {
            x: self.repeat_orders(),
            t_x,
            age,
        })
    }
}

fn order_key(o: &OrderFact) -> (i64, i64, bool) {
    (o.at, o.total_minor, o.discounted)
}

/// Non-negative fractional days from `from` to `to`.
pub(crate) fn days_between(from: i64, to: i64) -> f64 {
    (to.saturating_sub(from)).max(0) as f64 / SECONDS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn order() -> impl Strategy<Value = OrderFact> {
        (
            1_500_000_000i64..1_800_000_000,
            -5_000i64..500_000,
            any::<bool>(),
        )
            .prop_map(|(at, total_minor, discounted)| OrderFact {
                at,
                total_minor,
                discounted,
            })
    }

    proptest! {
        #[test]
        fn incremental_equals_batch(
            orders in prop::collection::vec(order(), 0..40),
            seed in any::<u64>(),
        ) {
            // Absorb in a shuffled order: the summary must not depend on arrival order.
            let mut shuffled = orders.clone();
            let mut rng = super::super::rng::Rng::new(seed);
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.below(i + 1));
            }
            let mut running = CustomerSummary::default();
            for o in &shuffled {
                running.absorb(*o);
            }
            prop_assert_eq!(running, CustomerSummary::from_orders(&orders));
        }

        #[test]
        fn derived_figures_match_their_definitions(orders in prop::collection::vec(order(), 1..40)) {
            let s = CustomerSummary::from_orders(&orders);
            let now = 1_900_000_000;
            let total: i64 = orders.iter().map(|o| o.total_minor).sum();
            let aov = total as f64 / orders.len() as f64;
            prop_assert!((s.average_order_value_minor() as f64 - aov).abs() <= 0.5 + 1e-9);
            let last = orders.iter().map(|o| o.at).max().unwrap();
            prop_assert_eq!(s.days_since_last_order(now), Some((now - last) as f64 / 86_400.0));
            let share = orders.iter().filter(|o| o.discounted).count() as f64 / orders.len() as f64;
            prop_assert!((s.discount_share() - share).abs() < 1e-12);
            let obs = s.observation(now).unwrap();
            prop_assert_eq!(obs.x as usize, orders.len() - 1);
            prop_assert!(obs.t_x >= 0.0 && obs.t_x <= obs.age);
        }
    }

    #[test]
    fn empty_summary_has_no_recency() {
        let s = CustomerSummary::default();
        assert_eq!(s.days_since_last_order(0), None);
        assert_eq!(s.observation(0), None);
        assert_eq!(s.average_order_value_minor(), 0);
    }

    #[test]
    fn repeat_value_excludes_the_first_order() {
        let day = 86_400;
        let s = CustomerSummary::from_orders(&[
            OrderFact {
                at: 10 * day,
                total_minor: 3_000,
                discounted: false,
            },
            OrderFact {
                at: 0,
                total_minor: 10_000,
                discounted: true,
            },
            OrderFact {
                at: 20 * day,
                total_minor: 5_000,
                discounted: false,
            },
        ]);
        assert_eq!(s.repeat_order_value_minor(), Some(4_000.0));
        assert_eq!(
            s.observation(30 * day),
            Some(Observation {
                x: 2,
                t_x: 20.0,
                age: 30.0
            })
        );
        assert_eq!(s.average_order_value_minor(), 6_000);
        assert!((s.discount_share() - 1.0 / 3.0).abs() < 1e-12);
    }
}
