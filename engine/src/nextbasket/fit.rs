//! The self-fit: hold out each eligible user's last basket, build on the rest, label every
//! candidate by whether it was in the held-out basket, and fit the two logistic models.

use super::features::{self, N_FEAT};
use super::stats::{Stats, baskets};
use super::{Config, Event, Interaction, ItemMeta};

/// A model input; see the module docs of `nextbasket` for what each measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// ln(1 + Σ γ^age) over the user's baskets holding the item.
    DecayedCount,
    /// ln(1 + baskets holding the item).
    Count,
    /// Log-odds that a buyer of the item buys it again.
    ItemRepurchase,
    /// ln(1 + distinct buyers in the trending window).
    Trending,
    /// Share of similar users' history on the item (scaled to the user's best item).
    SimilarUsers,
    /// Log-odds that the user's later baskets repeat earlier items.
    UserRepeatRate,
    /// ln(1 + views and 3x carts since the last basket).
    Intent,
    /// Co-purchase neighbours of the user's history (scaled).
    CoPurchase,
    /// Title neighbours of the user's history (scaled).
    Title,
    /// First sold after the user's last basket.
    NewSinceVisit,
    /// `NewSinceVisit` times ln(1 + buyers).
    NewPopular,
}

impl Feature {
    /// The prototype's short name.
    pub fn name(self) -> &'static str {
        match self {
            Feature::DecayedCount => "ldec",
            Feature::Count => "lcnt",
            Feature::ItemRepurchase => "reprop",
            Feature::Trending => "lpoprec",
            Feature::SimilarUsers => "ukn",
            Feature::UserRepeatRate => "urr",
            Feature::Intent => "intent",
            Feature::CoPurchase => "cf",
            Feature::Title => "ttl",
            Feature::NewSinceVisit => "nsv",
            Feature::NewPopular => "nsv_lpop",
        }
    }
}

pub const REPEAT_FEATURES: [Feature; N_FEAT] = [
    Feature::DecayedCount,
    Feature::Count,
    Feature::ItemRepurchase,
    Feature::Trending,
    Feature::SimilarUsers,
    Feature::UserRepeatRate,
    Feature::Intent,
];

pub const EXPLORE_FEATURES: [Feature; N_FEAT] = [
    Feature::CoPurchase,
    Feature::SimilarUsers,
    Feature::Title,
    Feature::Trending,
    Feature::NewSinceVisit,
    Feature::NewPopular,
    Feature::Intent,
];

/// One logistic model: `log-odds = bias + Σ coef[f] · x[f]`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LogisticWeights {
    pub coef: [f64; N_FEAT],
    pub bias: f64,
}

impl LogisticWeights {
    pub fn log_odds(&self, x: &[f64; N_FEAT]) -> f64 {
        let s: f64 = self.coef.iter().zip(x).map(|(w, v)| w * v).sum();
        self.bias + s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    /// Over [`REPEAT_FEATURES`].
    pub repeat: LogisticWeights,
    /// Over [`EXPLORE_FEATURES`].
    pub explore: LogisticWeights,
    /// Holdout users the weights were fitted on (0: defaults).
    pub fit_users: usize,
    /// Whether each model was fitted (a model without positive examples keeps its default).
    pub fitted: (bool, bool),
}

impl std::fmt::Display for Weights {
    /// `repeat: ldec=2.339 lcnt=-0.363 ... bias=-3.575; explore: cf=0.932 ... bias=-5.504`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let models = [
            ("repeat", &REPEAT_FEATURES, &self.repeat),
            ("explore", &EXPLORE_FEATURES, &self.explore),
        ];
        for (n, (label, names, w)) in models.into_iter().enumerate() {
            write!(f, "{}{label}:", if n > 0 { "; " } else { "" })?;
            for (name, c) in names.iter().zip(&w.coef) {
                write!(f, " {}={c:.3}", name.name())?;
            }
            write!(f, " bias={:.3}", w.bias)?;
        }
        Ok(())
    }
}

impl Default for Weights {
    /// What the self-fit learns on the Online Retail outer-train split: a sane prior for shops
    /// too small to fit on.
    fn default() -> Self {
        Weights {
            repeat: LogisticWeights {
                coef: [2.339, -0.363, 0.417, 0.293, 0.433, 0.355, 0.0],
                bias: -3.575,
            },
            explore: LogisticWeights {
                coef: [0.932, 2.582, 1.081, 0.343, -0.789, 0.286, 0.0],
                bias: -5.504,
            },
            fit_users: 0,
            fitted: (false, false),
        }
    }
}

/// Leave-last-basket-out, the same rule as the offline evaluation: every user with 2+ baskets
/// whose last basket is strictly later than their first holds it out; their rows at or after
/// its time are dropped. Returns the remaining rows and, per held-out user (ascending), the
/// held-out items (sorted).
pub(crate) fn holdout(rows: &[Interaction]) -> (Vec<Interaction>, Vec<(u32, Vec<u32>)>) {
    let (bk, _) = baskets(rows);
    // Per held-out user: (cut time, held-out order).
    let mut cut: std::collections::HashMap<u32, (i64, u32)> = std::collections::HashMap::new();
    for user_baskets in bk.chunk_by(|a, b| a.user == b.user) {
        if let (Some(first), Some(last)) = (user_baskets.first(), user_baskets.last())
            && user_baskets.len() >= 2
            && first.t < last.t
        {
            cut.insert(last.user, (last.t, last.order));
        }
    }
    let mut train = Vec::with_capacity(rows.len());
    let mut gt: Vec<(u32, u32)> = Vec::new();
    for r in rows {
        match cut.get(&r.user) {
            None => train.push(*r),
            Some(&(t, order)) => {
                if r.ts < t {
                    train.push(*r);
                }
                if r.event == Event::Purchase && r.order == order {
                    gt.push((r.user, r.item));
                }
            }
        }
    }
    gt.sort_unstable();
    gt.dedup();
    let gt = gt
        .chunk_by(|a, b| a.0 == b.0)
        .map(|g| (g[0].0, g.iter().map(|&(_, i)| i).collect()))
        .collect();
    (train, gt)
}

/// SplitMix64: a tiny seeded generator for the holdout-user sample.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A sorted sample of `n` of `v` (partial Fisher-Yates with a fixed seed).
fn sample<T: Ord>(mut v: Vec<T>, n: usize) -> Vec<T> {
    if v.len() <= n {
        return v;
    }
    let mut state = 0u64;
    for i in 0..n {
        let j = i + (splitmix(&mut state) % (v.len() - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(n);
    v.sort_unstable();
    v
}

/// Labelled feature rows: (x, in held-out basket).
#[derive(Default)]
struct Labelled {
    x: Vec<[f64; N_FEAT]>,
    y: Vec<bool>,
}

/// Learns both models' weights from `rows`, or returns the defaults (per model) when the
/// holdout gives nothing to learn from.
pub(crate) fn self_fit(
    rows: &[Interaction],
    n_users: usize,
    n_items: usize,
    meta: Option<&[ItemMeta]>,
    cfg: &Config,
) -> Weights {
    let (train, gt) = holdout(rows);
    let gt = sample(gt, cfg.fit_max_users);
    if gt.is_empty() {
        return Weights::default();
    }
    let st = Stats::build(&train, n_users, n_items, meta, cfg);
    let per_user = features::par_map(&gt, cfg.threads, &st, |ws, (u, items)| {
        let c = features::candidates(&st, cfg, *u, ws);
        let mut rep = Labelled::default();
        let mut new = Labelled::default();
        for ((i, seen), x) in c.items.iter().zip(&c.seen).zip(&c.x) {
            let target = if *seen { &mut rep } else { &mut new };
            target.x.push(*x);
            target.y.push(items.binary_search(i).is_ok());
        }
        (rep, new)
    });
    let mut rep = Labelled::default();
    let mut new = Labelled::default();
    for (r, n) in per_user {
        rep.x.extend(r.x);
        rep.y.extend(r.y);
        new.x.extend(n.x);
        new.y.extend(n.y);
    }
    let defaults = Weights::default();
    let (repeat, rep_ok) = match logistic(&rep.x, &rep.y, cfg.l2) {
        Some(w) => (w, true),
        None => (defaults.repeat, false),
    };
    let (explore, new_ok) = match logistic(&new.x, &new.y, cfg.l2) {
        Some(w) => (w, true),
        None => (defaults.explore, false),
    };
    Weights {
        repeat,
        explore,
        fit_users: gt.len(),
        fitted: (rep_ok, new_ok),
    }
}

/// L2-regularised logistic regression (the bias is all but unpenalised); see [`crate::logistic`].
/// `None` without both positive and negative examples.
pub(crate) fn logistic(x: &[[f64; N_FEAT]], y: &[bool], l2: f64) -> Option<LogisticWeights> {
    let mut ridge = vec![l2; N_FEAT + 1];
    ridge[N_FEAT] = 1e-6;
    let rows: Vec<[f64; N_FEAT + 1]> = x
        .iter()
        .map(|xi| {
            let mut xa = [1.0; N_FEAT + 1];
            xa[..N_FEAT].copy_from_slice(xi);
            xa
        })
        .collect();
    let beta = crate::logistic::fit(&rows, y, &ridge)?;
    let mut coef = [0.0; N_FEAT];
    coef.copy_from_slice(&beta[..N_FEAT]);
    Some(LogisticWeights {
        coef,
        bias: beta[N_FEAT],
    })
}
