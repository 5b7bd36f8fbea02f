//! RFM scoring: recency, frequency and monetary value, each as a quintile score 1..=5 within the
//! shop (5 = best: most recent, most orders, most spent).
//!
//! A customer's score comes from the mid-rank of their value among the shop's customers:
//! percentile = (customers strictly worse + half of those tied) / customers, and
//! score = 1 + ⌊5 · percentile⌋. Tied values therefore always share a score, the result does not
//! depend on input order, and tiny shops stay sensible (a single customer scores 3 on everything;
//! two customers score 2 and 4, or 3 and 3 when tied). The fit keeps only the four cut values per
//! dimension, so scoring a customer outside the fitted set is a binary search.

use super::summary::CustomerSummary;

/// Per-dimension score thresholds: `cuts[s]` is the least value scoring at least s + 2.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Quintiles {
    cuts: [f64; 4],
}

impl Quintiles {
    /// `values` oriented so that larger is better.
    fn fit(values: &mut [f64]) -> Self {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let mut cuts = [f64::INFINITY; 4];
        let mut i = 0;
        while i < n {
            let j = i + values[i..].partition_point(|v| v.total_cmp(&values[i]).is_eq());
            let percentile = (i as f64 + 0.5 * (j - i) as f64) / n as f64;
            let score = score_of(percentile);
            // Scores rise with value, so the first value reaching a score is its cut; a jump over
            // a score (possible with heavy ties) gives the skipped score the same cut.
            for cut in cuts.iter_mut().take(usize::from(score) - 1) {
                if cut.is_infinite() {
                    *cut = values[i];
                }
            }
            i = j;
        }
        Self { cuts }
    }

    fn score(&self, value: f64) -> u8 {
        1 + self.cuts.iter().filter(|c| value >= **c).count() as u8
    }
}

fn score_of(percentile: f64) -> u8 {
    (1.0 + (5.0 * percentile).floor()).clamp(1.0, 5.0) as u8
}

/// A shop's RFM quintile thresholds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmScorer {
    recency: Quintiles,
    frequency: Quintiles,
    monetary: Quintiles,
}

/// RFM scores, each 1..=5 with 5 the best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RfmScores {
    pub recency: u8,
    pub frequency: u8,
    pub monetary: u8,
}

impl RfmScorer {
    /// Fits on every customer with at least one order (others have no recency to rank).
    pub fn fit(customers: &[CustomerSummary], now: i64) -> Self {
        let buyers: Vec<&CustomerSummary> =
            customers.iter().filter(|c| c.orders_count > 0).collect();
        let mut recency: Vec<f64> = buyers
            .iter()
            .filter_map(|c| c.days_since_last_order(now))
            .map(|d| -d)
            .collect();
        let mut frequency: Vec<f64> = buyers.iter().map(|c| f64::from(c.orders_count)).collect();
        let mut monetary: Vec<f64> = buyers.iter().map(|c| c.total_spent_minor as f64).collect();
        Self {
            recency: Quintiles::fit(&mut recency),
            frequency: Quintiles::fit(&mut frequency),
            monetary: Quintiles::fit(&mut monetary),
        }
    }

    /// Scores one customer; `None` without orders.
    pub fn score(&self, customer: &CustomerSummary, now: i64) -> Option<RfmScores> {
        let days = customer.days_since_last_order(now)?;
        Some(RfmScores {
            recency: self.recency.score(-days),
            frequency: self.frequency.score(f64::from(customer.orders_count)),
            monetary: self.monetary.score(customer.total_spent_minor as f64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::summary::OrderFact;
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_000 * DAY;

    fn customer(orders: u32, spent: i64, days_ago: i64) -> CustomerSummary {
        let mut c = CustomerSummary::default();
        for i in 0..orders {
            let at = NOW - days_ago * DAY - i64::from(i) * DAY;
            let total_minor = if i == 0 {
                spent - i64::from(orders - 1)
            } else {
                1
            };
            c.absorb(OrderFact {
                at,
                total_minor,
                discounted: false,
            });
        }
        c
    }

    /// The definition, by brute force over the fitted population.
    fn midrank_score(values: &[f64], v: f64) -> u8 {
        let below = values.iter().filter(|w| **w < v).count() as f64;
        let tied = values.iter().filter(|w| **w == v).count() as f64;
        score_of((below + 0.5 * tied) / values.len() as f64)
    }

    #[test]
    fn tiny_shops() {
        let one = [customer(2, 5_000, 10)];
        let s = RfmScorer::fit(&one, NOW).score(&one[0], NOW).unwrap();
        assert_eq!(
            s,
            RfmScores {
                recency: 3,
                frequency: 3,
                monetary: 3
            }
        );
        let two = [customer(1, 1_000, 50), customer(4, 9_000, 3)];
        let scorer = RfmScorer::fit(&two, NOW);
        assert_eq!(
            scorer.score(&two[0], NOW),
            Some(RfmScores {
                recency: 2,
                frequency: 2,
                monetary: 2
            })
        );
        assert_eq!(
            scorer.score(&two[1], NOW),
            Some(RfmScores {
                recency: 4,
                frequency: 4,
                monetary: 4
            })
        );
        assert_eq!(scorer.score(&CustomerSummary::default(), NOW), None);
        let empty = RfmScorer::fit(&[], NOW);
        assert_eq!(
            empty.score(&two[0], NOW),
            Some(RfmScores {
                recency: 1,
                frequency: 1,
                monetary: 1
            })
        );
    }

    #[test]
    fn ten_distinct_customers_fill_the_quintiles_evenly() {
        let shop: Vec<CustomerSummary> = (1..=10)
            .map(|i| customer(i, i64::from(i) * 1_000, 100 - i64::from(i)))
            .collect();
        let scorer = RfmScorer::fit(&shop, NOW);
        let scores: Vec<u8> = shop
            .iter()
            .map(|c| scorer.score(c, NOW).unwrap().frequency)
            .collect();
        assert_eq!(scores, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let recency: Vec<u8> = shop
            .iter()
            .map(|c| scorer.score(c, NOW).unwrap().recency)
            .collect();
        assert_eq!(
            recency, scores,
            "more recent customers were built with more orders"
        );
    }

    proptest! {
        #[test]
        fn scores_follow_the_midrank_definition(
            people in prop::collection::vec((1u32..6, 1i64..20, 0i64..60), 1..60),
        ) {
            let shop: Vec<CustomerSummary> =
                people.iter().map(|&(n, spend, ago)| customer(n, spend * 1_000 + i64::from(n), ago)).collect();
            let scorer = RfmScorer::fit(&shop, NOW);
            let freq: Vec<f64> = shop.iter().map(|c| f64::from(c.orders_count)).collect();
            let money: Vec<f64> = shop.iter().map(|c| c.total_spent_minor as f64).collect();
            let rec: Vec<f64> = shop.iter().map(|c| -c.days_since_last_order(NOW).unwrap()).collect();
            let mut reversed = shop.clone();
            reversed.reverse();
            prop_assert_eq!(RfmScorer::fit(&reversed, NOW), scorer);
            for (i, c) in shop.iter().enumerate() {
                let s = scorer.score(c, NOW).unwrap();
                prop_assert_eq!(s.frequency, midrank_score(&freq, freq[i]));
                prop_assert_eq!(s.monetary, midrank_score(&money, money[i]));
                prop_assert_eq!(s.recency, midrank_score(&rec, rec[i]));
            }
        }
    }
}
