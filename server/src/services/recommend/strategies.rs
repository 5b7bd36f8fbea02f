//! Candidate lists, one recommender per widget strategy, each with what it is based on.

use std::collections::HashMap;

use attune_api::widgets::Strategy;
use attune_engine::Reason;
use attune_engine::nextbasket::{Part, Reason as NbReason};
use chrono::{DateTime, Utc};

use super::model::{ShopModel, TRENDING_HALF_LIFE_DAYS};

/// Purchases further back count less: weight = DECAY^(orders ago).
const RECENCY_DECAY: f32 = 0.85;
const MAX_HISTORY_SEEDS: usize = 30;
/// Buy again: suggest from this share of the usual interval on.
const DUE_FROM: f32 = 0.8;
/// Recently viewed products count as seeds with this weight, the latest first.
const VIEW_DECAY: f32 = 0.8;
const MAX_VIEW_SEEDS: usize = 10;

/// A candidate before the merchant's rules.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub item: u32,
    pub score: f32,
    pub reason: &'static str,
    pub source: &'static str,
    pub seeds: Vec<u32>,
    pub parts: Vec<String>,
}

/// What a recommender may know about the shopper and the page.
pub(super) struct Inputs<'a> {
    pub viewed: Option<u32>,
    /// The customer's purchases, `(our product id, placed_at)`, latest first.
    pub purchases: &'a [(i64, DateTime<Utc>)],
    /// Seeds from purchases, recent orders weighing more.
    pub history: &'a [(u32, f32)],
    pub cart: &'a [u32],
    /// Products this visitor viewed, latest first, distinct.
    pub recent_views: &'a [u32],
    /// The customer's index in the next-basket model, when it knows them.
    pub next_user: Option<u32>,
    /// Customers of the widget's segments: trending is then what *they* buy.
    pub audience: Option<&'a std::collections::HashSet<i64>>,
    pub now: i64,
}

pub(super) fn from_copurchase(
    model: &ShopModel,
    seeds: &[(u32, f32)],
    exclude: &dyn Fn(u32) -> bool,
    k: usize,
    from_history: bool,
) -> Vec<Candidate> {
    model
        .b
        .copurchase
        .recommend(seeds, exclude, k)
        .into_iter()
        .map(|s| match s.reason {
            Reason::CoPurchase { seeds, orders } => Candidate {
                item: s.item,
                score: s.score,
                reason: if from_history {
                    "based_on_your_orders"
                } else {
                    "bought_together"
                },
                source: "co_purchase",
                seeds,
                parts: vec![format!("bought together in {orders} orders")],
            },
            Reason::Popular { orders } => popular(s.item, s.score, orders),
        })
        .collect()
}

fn popular(item: u32, score: f32, orders: u32) -> Candidate {
    Candidate {
        item,
        score,
        reason: "popular",
        source: "popular",
        seeds: Vec::new(),
        parts: vec![format!("in {orders} orders")],
    }
}

/// Best sellers: the last level of every fallback chain.
pub(super) fn best_sellers(
    model: &ShopModel,
    exclude: &dyn Fn(u32) -> bool,
    k: usize,
) -> Vec<Candidate> {
    from_copurchase(model, &[], exclude, k, false)
}

fn from_coview(
    model: &ShopModel,
    seeds: &[(u32, f32)],
    exclude: &dyn Fn(u32) -> bool,
    k: usize,
) -> Vec<Candidate> {
    model
        .b
        .coview
        .recommend(seeds, exclude, k)
        .into_iter()
        .filter_map(|s| match s.reason {
            Reason::CoPurchase { seeds, orders } => Some(Candidate {
                item: s.item,
                score: s.score,
                reason: "also_viewed",
                source: "co_view",
                seeds,
                parts: vec![format!("viewed in the same sessions {orders} times")],
            }),
            // Popularity among views is not what "also viewed" promises; the chain's own
            // fallbacks fill instead.
            Reason::Popular { .. } => None,
        })
        .collect()
}

/// The recommender's own list, before any fallback.
pub(super) fn generate(
    model: &ShopModel,
    strategy: Strategy,
    inputs: &Inputs<'_>,
    exclude: &dyn Fn(u32) -> bool,
    want: usize,
) -> Vec<Candidate> {
    let view_seeds: Vec<(u32, f32)> = inputs
        .recent_views
        .iter()
        .take(MAX_VIEW_SEEDS)
        .enumerate()
        .map(|(age, &i)| (i, VIEW_DECAY.powi(age as i32)))
        .collect();
    let page_or_views = |weight: f32| -> Vec<(u32, f32)> {
        match inputs.viewed {
            Some(i) => vec![(i, 1.0)],
            None => view_seeds.iter().map(|&(i, w)| (i, w * weight)).collect(),
        }
    };
    match strategy {
        Strategy::Popular => best_sellers(model, exclude, want),
        Strategy::FrequentlyBoughtTogether => match inputs.viewed {
            Some(i) => from_copurchase(model, &[(i, 1.0)], exclude, want, false),
            None => from_copurchase(
                model,
                inputs.history,
                exclude,
                want,
                !inputs.history.is_empty(),
            ),
        },
        Strategy::ForYou => {
            if let (Some(nb), Some(user)) = (model.b.next.as_ref(), inputs.next_user) {
                return nb
                    .recommend(user, want, exclude)
                    .into_iter()
                    .map(|s| next_basket(s.item, s.score, &s.reason))
                    .collect();
            }
            // Anonymous or new: what they bought and what they are looking at now, the page
            // first, then this session's views; the list sharpens with every view.
            let mut seeds: Vec<(u32, f32)> = inputs.history.to_vec();
            if let Some(i) = inputs.viewed {
                seeds.push((i, 1.0));
            }
            seeds.extend(view_seeds.iter().copied());
            let mut out = from_copurchase(model, &seeds, exclude, want, !inputs.history.is_empty());
            if out.iter().all(|c| c.source == "popular") && !view_seeds.is_empty() {
                // No purchase links yet: browsing links instead.
                out = from_coview(model, &view_seeds, exclude, want);
            }
            for c in &mut out {
                if c.source != "popular" && inputs.history.is_empty() {
                    c.reason = "based_on_your_browsing";
                }
            }
            out
        }
        Strategy::SimilarItems => {
            let seed = inputs
                .viewed
                .or_else(|| inputs.recent_views.first().copied())
                .or_else(|| inputs.history.first().map(|&(i, _)| i));
            match seed {
                Some(s) => model
                    .c
                    .content
                    .similar(s, want, exclude)
                    .into_iter()
                    .map(|x| Candidate {
                        item: x.item,
                        score: x.score,
                        reason: "similar",
                        source: "content",
                        seeds: vec![s],
                        parts: vec![format!("shares {}", x.shared.join(", "))],
                    })
                    .collect(),
                None => Vec::new(),
            }
        }
        Strategy::AlsoViewed => from_coview(model, &page_or_views(1.0), exclude, want),
        Strategy::RecentlyViewed => inputs
            .recent_views
            .iter()
            .filter(|&&i| Some(i) != inputs.viewed && !exclude(i))
            .take(want)
            .enumerate()
            .map(|(n, &item)| Candidate {
                item,
                // Newest first, whatever the merchant's boosts do within the list.
                score: 1.0 / (1.0 + n as f32),
                reason: "recently_viewed",
                source: "recently_viewed",
                seeds: Vec::new(),
                parts: vec![format!("viewed {} in your recent visits", ordinal(n + 1))],
            })
            .collect(),
        Strategy::BuyAgain => buy_again(model, inputs, exclude, want),
        Strategy::CartCrossSell => {
            let mut seeds: Vec<(u32, f32)> = inputs.cart.iter().map(|&i| (i, 1.0)).collect();
            if seeds.is_empty()
                && let Some(i) = inputs.viewed
            {
                seeds.push((i, 1.0));
            }
            from_copurchase(model, &seeds, exclude, want, false)
        }
        Strategy::PostPurchase => {
            let latest = inputs.purchases.iter().map(|(_, t)| *t).max();
            let seeds: Vec<(u32, f32)> = inputs
                .purchases
                .iter()
                .filter(|(_, t)| Some(*t) == latest)
                .filter_map(|(p, _)| model.c.index_of.get(p).map(|&i| (i, 1.0)))
                .collect();
            let not_in_order = |i: u32| exclude(i) || seeds.iter().any(|&(s, _)| s == i);
            let mut out = from_copurchase(model, &seeds, &not_in_order, want, false);
            for c in &mut out {
                if c.reason == "bought_together" {
                    c.reason = "goes_with_your_order";
                }
            }
            out
        }
        Strategy::Trending if inputs.audience.is_some() => {
            let audience = inputs.audience.into_iter().flatten();
            let purchases: Vec<(u32, i64)> = audience
                .filter_map(|c| model.b.bought_by.get(c))
                .flatten()
                .copied()
                .collect();
            attune_engine::trending::trending(&purchases, model.n_products(), TRENDING_HALF_LIFE_DAYS)
                .into_iter()
                .filter(|(i, _)| !exclude(*i))
                .take(want)
                .map(|(item, score)| Candidate {
                    item,
                    score,
                    reason: "trending",
                    source: "trending_in_segment",
                    seeds: Vec::new(),
                    parts: vec![format!(
                        "recent-purchase weight {score:.2} among shoppers of this widget's segments (half-life {TRENDING_HALF_LIFE_DAYS} days)"
                    )],
                })
                .collect()
        }
        Strategy::Trending => model
            .b
            .trending
            .iter()
            .filter(|(i, _)| !exclude(*i))
            .take(want)
            .map(|&(item, score)| Candidate {
                item,
                score,
                reason: "trending",
                source: "trending",
                seeds: Vec::new(),
                parts: vec![format!(
                    "recent-purchase weight {score:.2} (half-life {TRENDING_HALF_LIFE_DAYS} days)"
                )],
            })
            .collect(),
    }
}

/// The strategy's own fallback, between its list and best sellers: something related to the
/// page or the shopper when the primary list runs short.
pub(super) fn fallback(
    model: &ShopModel,
    strategy: Strategy,
    inputs: &Inputs<'_>,
    exclude: &dyn Fn(u32) -> bool,
    want: usize,
) -> Vec<Candidate> {
    match strategy {
        Strategy::SimilarItems | Strategy::AlsoViewed => {
            let seeds: Vec<(u32, f32)> = inputs
                .viewed
                .or_else(|| inputs.recent_views.first().copied())
                .map(|s| vec![(s, 1.0)])
                .unwrap_or_default();
            from_copurchase(model, &seeds, exclude, want, false)
                .into_iter()
                .filter(|c| c.source != "popular")
                .collect()
        }
        Strategy::BuyAgain | Strategy::RecentlyViewed => from_copurchase(
            model,
            inputs.history,
            exclude,
            want,
            !inputs.history.is_empty(),
        )
        .into_iter()
        .filter(|c| c.source != "popular")
        .collect(),
        _ => Vec::new(),
    }
}

fn buy_again(
    model: &ShopModel,
    inputs: &Inputs<'_>,
    exclude: &dyn Fn(u32) -> bool,
    want: usize,
) -> Vec<Candidate> {
    let mut last: HashMap<u32, i64> = HashMap::new();
    for (product_id, placed_at) in inputs.purchases {
        if let Some(&i) = model.c.index_of.get(product_id) {
            let t = last.entry(i).or_insert(0);
            *t = (*t).max(placed_at.timestamp());
        }
    }
    let last: Vec<(u32, i64)> = last.into_iter().collect();
    attune_engine::replenishment::due(&last, &model.b.intervals, inputs.now, DUE_FROM)
        .into_iter()
        .filter(|(i, _)| !exclude(*i))
        .take(want)
        .map(|(item, ratio)| {
            let interval = model
                .b
                .intervals
                .get(item as usize)
                .copied()
                .flatten()
                .unwrap_or(0.0);
            Candidate {
                item,
                score: 1.0 / (1.0 + (ratio - 1.0).abs()),
                reason: "buy_again",
                source: "replenishment",
                seeds: vec![item],
                parts: vec![format!(
                    "usually bought again every {interval:.0} days; {:.0}% of that has passed",
                    ratio * 100.0
                )],
            }
        })
        .collect()
}

fn next_basket(item: u32, score: f32, reason: &NbReason) -> Candidate {
    let (reason, source, parts) = match reason {
        NbReason::Repeat { probability, parts } => (
            "buy_again",
            "next_basket_repeat",
            describe(probability, parts),
        ),
        NbReason::Explore {
            probability, parts, ..
        } => (
            "for_you",
            "next_basket_explore",
            describe(probability, parts),
        ),
        NbReason::Popular {
            recent_buyers,
            buyers,
        } => (
            "popular",
            "trending",
            vec![format!("{recent_buyers} recent buyers, {buyers} in all")],
        ),
    };
    Candidate {
        item,
        score,
        reason,
        source,
        seeds: Vec::new(),
        parts,
    }
}

/// The largest terms of a next-basket score, in words.
fn describe(probability: &f32, parts: &[Part]) -> Vec<String> {
    let mut out = vec![format!("chance in next basket {:.0}%", probability * 100.0)];
    out.extend(
        parts
            .iter()
            .map(|p| format!("{} {:+.2}", p.feature.name(), p.contribution)),
    );
    out
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "last".to_owned(),
        2 => "second to last".to_owned(),
        n => format!("{n}th to last"),
    }
}

/// The customer's products as seeds, recent orders weighing more.
pub(super) fn history_seeds(
    model: &ShopModel,
    purchases: &[(i64, DateTime<Utc>)],
) -> Vec<(u32, f32)> {
    let mut weights: HashMap<u32, f32> = HashMap::new();
    let mut orders_ago = 0i32;
    let mut last_time = None;
    for (product_id, placed_at) in purchases {
        if last_time.is_some_and(|t| t != *placed_at) {
            orders_ago += 1;
        }
        last_time = Some(*placed_at);
        if let Some(&idx) = model.c.index_of.get(product_id) {
            *weights.entry(idx).or_insert(0.0) += RECENCY_DECAY.powi(orders_ago);
        }
    }
    let mut seeds: Vec<(u32, f32)> = weights.into_iter().collect();
    seeds.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    seeds.truncate(MAX_HISTORY_SEEDS);
    seeds
}
