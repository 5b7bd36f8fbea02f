//! Attribute affinities: what a shopper gravitates to, per attribute kind (collection, product
//! type, vendor, tag), as time-decayed weighted counts of purchases (weight 3) and product views
//! (weight 1) with a 30-day half-life.
//!
//! Each (kind, value) keeps its score as of its own latest event, so recording an event touches
//! only that event's attributes; reading decays every score to the asked-for time. The result
//! equals the batch sum Σ weight · 2^(−age / half-life) up to rounding.

use std::collections::BTreeMap;

pub const HALF_LIFE_DAYS: f64 = 30.0;
pub const PURCHASE_WEIGHT: f64 = 3.0;
pub const VIEW_WEIGHT: f64 = 1.0;
/// How many values per kind a profile shows.
pub const TOP_N: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeKind {
    Collection,
    ProductType,
    Vendor,
    Tag,
}

impl AttributeKind {
    pub const ALL: [Self; 4] = [Self::Collection, Self::ProductType, Self::Vendor, Self::Tag];

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Purchase,
    View,
}

impl Signal {
    pub fn weight(self) -> f64 {
        match self {
            Self::Purchase => PURCHASE_WEIGHT,
            Self::View => VIEW_WEIGHT,
        }
    }
}

/// One attribute value and its decayed score.
#[derive(Debug, Clone, PartialEq)]
pub struct Affinity {
    pub value: String,
    pub score: f64,
}

/// A score as of a moment (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Decayed {
    score: f64,
    as_of: i64,
}

/// 2^(−Δt / half-life), Δt in seconds (negative Δt grows the score).
fn decay(seconds: i64) -> f64 {
    (-(seconds as f64) / (HALF_LIFE_DAYS * 86_400.0) * std::f64::consts::LN_2).exp()
}

/// One shopper's affinities. `BTreeMap` keeps iteration, and so tie-breaking, deterministic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Affinities {
    kinds: [BTreeMap<String, Decayed>; 4],
}

impl Affinities {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one purchase or view of a product with the given attributes. Events may arrive
    /// out of time order. A product listing the same value twice counts it once.
    pub fn record<'a>(
        &mut self,
        at: i64,
        signal: Signal,
        attributes: impl IntoIterator<Item = (AttributeKind, &'a str)>,
    ) {
        let mut seen: Vec<(AttributeKind, &str)> = attributes.into_iter().collect();
        seen.sort_unstable();
        seen.dedup();
        for (kind, value) in seen {
            let entry = self.kinds[kind.index()]
                .entry(value.to_owned())
                .or_insert(Decayed {
                    score: 0.0,
                    as_of: at,
                });
            if at >= entry.as_of {
                entry.score = entry.score * decay(at - entry.as_of) + signal.weight();
                entry.as_of = at;
            } else {
                entry.score += signal.weight() * decay(entry.as_of - at);
            }
        }
    }

    /// The decayed score of one value at `now` (0 when never seen).
    pub fn score(&self, kind: AttributeKind, value: &str, now: i64) -> f64 {
        self.kinds[kind.index()]
            .get(value)
            .map_or(0.0, |d| d.score * decay(now - d.as_of))
    }

    /// The `n` highest-scoring values of a kind at `now`, best first; ties by value.
    pub fn top(&self, kind: AttributeKind, now: i64, n: usize) -> Vec<Affinity> {
        let mut all: Vec<Affinity> = self.kinds[kind.index()]
            .iter()
            .map(|(value, d)| Affinity {
                value: value.clone(),
                score: d.score * decay(now - d.as_of),
            })
            .collect();
        all.sort_by(|p, q| {
            q.score
                .total_cmp(&p.score)
                .then_with(|| p.value.cmp(&q.value))
        });
        all.truncate(n);
        all
    }

    /// The top [`TOP_N`] per kind, in the order of [`AttributeKind::ALL`].
    pub fn top_per_kind(&self, now: i64) -> [Vec<Affinity>; 4] {
        AttributeKind::ALL.map(|kind| self.top(kind, now, TOP_N))
    }

    /// Drops values whose score at `now` has decayed below `min_score`, bounding a long-lived
    /// profile's size (a single view falls below 0.01 after about 200 days).
    pub fn prune(&mut self, now: i64, min_score: f64) {
        for map in &mut self.kinds {
            map.retain(|_, d| d.score * decay(now - d.as_of) >= min_score);
        }
    }

    /// Every stored value with its score and the time that score is as of, for persistence.
    pub fn entries(&self) -> impl Iterator<Item = (AttributeKind, &str, f64, i64)> + '_ {
        AttributeKind::ALL.into_iter().flat_map(move |kind| {
            self.kinds[kind.index()]
                .iter()
                .map(move |(v, d)| (kind, v.as_str(), d.score, d.as_of))
        })
    }

    /// Restores one entry saved from [`Self::entries`].
    pub fn restore(&mut self, kind: AttributeKind, value: &str, score: f64, as_of: i64) {
        self.kinds[kind.index()].insert(value.to_owned(), Decayed { score, as_of });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;

    #[test]
    fn purchases_outweigh_views_and_fade_by_half_in_thirty_days() {
        let mut a = Affinities::new();
        a.record(
            0,
            Signal::Purchase,
            [
                (AttributeKind::Vendor, "Acme"),
                (AttributeKind::Tag, "linen"),
            ],
        );
        a.record(0, Signal::View, [(AttributeKind::Vendor, "Bolt")]);
        a.record(
            0,
            Signal::View,
            [
                (AttributeKind::Vendor, "Bolt"),
                (AttributeKind::Vendor, "Bolt"),
            ],
        );
        let top = a.top(AttributeKind::Vendor, 30 * DAY, 5);
        assert_eq!(
            top.iter().map(|x| x.value.as_str()).collect::<Vec<_>>(),
            ["Acme", "Bolt"]
        );
        assert!((top[0].score - 1.5).abs() < 1e-12);
        assert!(
            (top[1].score - 1.0).abs() < 1e-12,
            "a duplicated attribute counts once per event"
        );
        assert_eq!(a.score(AttributeKind::Collection, "x", 0), 0.0);
        let mut pruned = a.clone();
        pruned.prune(30 * DAY, 1.2);
        assert_eq!(pruned.top(AttributeKind::Vendor, 30 * DAY, 5).len(), 1);
        let mut restored = Affinities::new();
        for (kind, value, score, as_of) in a.entries() {
            restored.restore(kind, value, score, as_of);
        }
        assert_eq!(restored, a);
    }

    fn event() -> impl Strategy<Value = (i64, bool, Vec<(u8, u8)>)> {
        (
            0i64..400 * DAY,
            any::<bool>(),
            prop::collection::vec((0u8..4, 0u8..8), 1..5),
        )
    }

    proptest! {
        #[test]
        fn incremental_matches_the_batch_sum(events in prop::collection::vec(event(), 0..60), now_day in 0i64..500) {
            let now = now_day * DAY;
            let values: Vec<String> = (0..8).map(|i| format!("v{i}")).collect();
            let mut a = Affinities::new();
            for (at, purchase, attrs) in &events {
                let signal = if *purchase { Signal::Purchase } else { Signal::View };
                a.record(*at, signal, attrs.iter().map(|&(k, v)| (AttributeKind::ALL[k as usize], values[v as usize].as_str())));
            }
            for (k, kind) in AttributeKind::ALL.into_iter().enumerate() {
                for (v, value) in values.iter().enumerate() {
                    let batch: f64 = events
                        .iter()
                        .filter(|(_, _, attrs)| attrs.contains(&(k as u8, v as u8)))
                        .map(|(at, purchase, _)| {
                            let w = if *purchase { 3.0 } else { 1.0 };
                            w * 0.5f64.powf((now - at) as f64 / (30.0 * DAY as f64))
                        })
                        .sum();
                    let got = a.score(kind, value, now);
                    prop_assert!((got - batch).abs() <= 1e-9 * batch.max(1.0), "{kind:?} {value}: {got} vs {batch}");
                }
                let top = a.top(kind, now, TOP_N);
                prop_assert!(top.len() <= TOP_N);
                prop_assert!(top.windows(2).all(|w| w[0].score >= w[1].score));
            }
        }
    }
}
