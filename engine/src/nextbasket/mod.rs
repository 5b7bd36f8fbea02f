//! "For you" next-basket recommendations: what a shopper is likely to buy in their next order.
//!
//! Two small logistic models score a per-user candidate set: **repeat** (items the shopper
//! bought before: decayed basket counts, the item's repurchase propensity, the shopper's repeat
//! rate, similar shoppers, trending popularity, session intent) and **explore** (items they have
//! not bought: co-purchase neighbours of their history, similar shoppers, title similarity,
//! trending popularity, items new since their last order, session intent). The model fits its own
//! weights (Newton's method, L2) on a leave-last-basket-out holdout of the data it is given, then
//! rebuilds its statistics on all of it. Lists are ranked by log-odds, with up to `mmax` explore
//! items allowed to take the bottom slots from repeat items (the ρ rule). Shoppers without history
//! get trending best sellers.
//!
//! Everything is deterministic: ties break by popularity, then by index; the only sampling (the
//! cap on holdout users) uses a fixed seed. Users and items are dense indices; the caller keeps
//! the mapping to its own ids. A port of the researched Python prototype (`reco.py`).

mod features;
mod fit;
mod rank;
mod similarity;
mod sparse;
mod stats;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

pub use fit::{EXPLORE_FEATURES, Feature, LogisticWeights, REPEAT_FEATURES, Weights};

use stats::Stats;

/// What the shopper did with an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Purchase,
    Cart,
    View,
}

/// One row of shopper behaviour. `order` groups purchase rows into baskets (it is ignored for
/// views and carts); when two baskets of a user share a timestamp the smaller `order` counts as
/// the earlier one, so callers that map order ids to indices should keep their natural order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    pub user: u32,
    pub item: u32,
    /// Unix seconds.
    pub ts: i64,
    pub event: Event,
    pub order: u32,
    pub qty: f32,
}

/// Optional catalog text, indexed by item; used for title similarity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemMeta {
    pub title: String,
    /// Empty when unknown.
    pub category: String,
}

/// Tuning knobs. `Config::default()` is the configuration chosen on validation splits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// Per-basket decay of a shopper's purchase history (most recent basket weighs 1).
    pub gamma: f64,
    /// Asymmetric cosine exponent for co-purchase similarity (0.5 = plain cosine).
    pub sim_alpha: f64,
    /// Co-purchase counts at which a similarity keeps half its value (significance shrinkage).
    pub sim_shrink: f64,
    /// Co-purchase neighbours kept per item.
    pub sim_nn: usize,
    /// Title neighbours kept per item.
    pub title_nn: usize,
    /// Similar shoppers used per shopper.
    pub user_nn: usize,
    /// Window for trending popularity, ending at the newest event in the data.
    pub recent_days: u32,
    /// Pseudo-count shrinking an item's repurchase propensity to the global rate.
    pub prior_item: f64,
    /// Pseudo-count shrinking a shopper's repeat rate to the global rate.
    pub prior_user: f64,
    /// Weight of a cart (and of a view) in the history used for neighbours, capped at 1 per item.
    pub w_cart: f64,
    pub w_view: f64,
    /// Explore candidates taken from each source.
    pub n_cand: usize,
    /// Ridge penalty of the logistic fits.
    pub l2: f64,
    /// Cap on holdout users used for the self-fit (a seeded sample above it).
    pub fit_max_users: usize,
    /// Explore items allowed to take bottom slots from repeat items...
    pub mmax: usize,
    /// ...when their probability is at least `rho` times the displaced item's. More slots or a
    /// lower `rho` buy explore recall with NDCG (Online Retail validation: mmax 3 / rho 0.5 gives
    /// NDCG@10 0.291, explore recall 0.025; mmax 6 / rho 0.3 gives 0.273 and 0.041).
    pub rho: f64,
    /// Worker threads for building (0 = all available cores). Results do not depend on it.
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            gamma: 0.8,
            sim_alpha: 0.5,
            sim_shrink: 10.0,
            sim_nn: 100,
            title_nn: 50,
            user_nn: 100,
            recent_days: 28,
            prior_item: 5.0,
            prior_user: 10.0,
            w_cart: 0.3,
            w_view: 0.1,
            n_cand: 100,
            l2: 1.0,
            fit_max_users: 3000,
            mmax: 3,
            rho: 0.5,
            threads: 0,
        }
    }
}

/// Which model put an item on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Repeat,
    Explore,
    Popular,
}

/// One term of a model score: `contribution = weight * value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Part {
    pub feature: Feature,
    pub value: f32,
    pub contribution: f32,
}

/// Why an item was recommended.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Bought before; `parts` are the largest positive score terms, best first.
    Repeat { probability: f32, parts: Vec<Part> },
    /// Not bought before. `reserved`: placed by the explore reservation, below repeat items.
    Explore {
        probability: f32,
        reserved: bool,
        parts: Vec<Part>,
    },
    /// Trending best seller (no history, or the candidates ran out).
    Popular { recent_buyers: u32, buyers: u32 },
}

impl Reason {
    pub fn source(&self) -> Source {
        match self {
            Reason::Repeat { .. } => Source::Repeat,
            Reason::Explore { .. } => Source::Explore,
            Reason::Popular { .. } => Source::Popular,
        }
    }
}

/// A recommended item. `score` orders one list (log-odds for the models, recent buyers for
/// popularity); it is not comparable across lists.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub item: u32,
    pub score: f32,
    pub reason: Reason,
}

/// A built next-basket model.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NextBasketModel {
    cfg: Config,
    stats: Stats,
    weights: Weights,
}

impl NextBasketModel {
    /// Fits the weights on a holdout of `rows`, then builds on all of them. Rows whose user or
    /// item is out of range are ignored. `meta`, when given, is indexed by item.
    pub fn build(
        rows: &[Interaction],
        n_users: usize,
        n_items: usize,
        meta: Option<&[ItemMeta]>,
        cfg: &Config,
    ) -> Self {
        let rows = in_range(rows, n_users, n_items);
        let weights = fit::self_fit(&rows, n_users, n_items, meta, cfg);
        Self::build_with_weights(&rows, n_users, n_items, meta, cfg, weights)
    }

    /// Builds with given weights (no self-fit), e.g. weights kept from an earlier build.
    pub fn build_with_weights(
        rows: &[Interaction],
        n_users: usize,
        n_items: usize,
        meta: Option<&[ItemMeta]>,
        cfg: &Config,
        weights: Weights,
    ) -> Self {
        let rows = in_range(rows, n_users, n_items);
        NextBasketModel {
            cfg: cfg.clone(),
            stats: Stats::build(&rows, n_users, n_items, meta, cfg),
            weights,
        }
    }

    /// The weights in use (learned, or the defaults when the data had no usable holdout).
    pub fn weights(&self) -> &Weights {
        &self.weights
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Whether the user has any behaviour in the data (otherwise they get popular items).
    pub fn is_known(&self, user: u32) -> bool {
        self.stats.is_known(user)
    }

    /// Up to `k` distinct items for `user`, best first; items `exclude` rejects are never
    /// returned. Fewer than `k` only when the data has fewer eligible items.
    pub fn recommend(&self, user: u32, k: usize, exclude: impl Fn(u32) -> bool) -> Vec<Scored> {
        if k == 0 {
            return Vec::new();
        }
        if !self.stats.is_known(user) {
            return rank::popular(&self.stats, k, &exclude, &[]);
        }
        let mut ws = features::Workspace::new(&self.stats);
        let cand = features::candidates(&self.stats, &self.cfg, user, &mut ws);
        rank::rank(&cand, &self.stats, &self.weights, &self.cfg, k, &exclude)
    }

    /// [`recommend`](Self::recommend) for many users at once, on `cfg.threads` threads; the
    /// result is in the order of `users`.
    pub fn recommend_many(
        &self,
        users: &[u32],
        k: usize,
        exclude: impl Fn(u32, u32) -> bool + Sync,
    ) -> Vec<Vec<Scored>> {
        features::par_map(users, self.cfg.threads, &self.stats, |ws, &u| {
            if k == 0 {
                Vec::new()
            } else if !self.stats.is_known(u) {
                rank::popular(&self.stats, k, &|i| exclude(u, i), &[])
            } else {
                let cand = features::candidates(&self.stats, &self.cfg, u, ws);
                rank::rank(&cand, &self.stats, &self.weights, &self.cfg, k, &|i| {
                    exclude(u, i)
                })
            }
        })
    }
}

fn in_range(rows: &[Interaction], n_users: usize, n_items: usize) -> Cow<'_, [Interaction]> {
    let ok = |r: &Interaction| (r.user as usize) < n_users && (r.item as usize) < n_items;
    if rows.iter().all(ok) {
        Cow::Borrowed(rows)
    } else {
        Cow::Owned(rows.iter().copied().filter(ok).collect())
    }
}
