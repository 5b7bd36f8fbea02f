//! Merchant controls over a recommendation list: availability filters, exclusions, price range,
//! hide-purchased, boosts, diversity caps, pins and the fallback chain, as one pure function.
//!
//! The caller interns strings (vendors, product types, tags, collections; lower-cased) to `u32`
//! ids and keeps one [`ItemFacts`] per dense item index, the indices the recommenders use, so
//! [`apply`] runs on memory alone: no catalog query per request.

mod pins;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt;

/// What the rules need to know about one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFacts {
    /// Published and for sale.
    pub active: bool,
    /// Units in stock; `None` when inventory is not tracked, which counts as in stock.
    pub inventory: Option<i64>,
    pub price_minor: i64,
    /// Unit cost, when the merchant entered one; the margin boost needs it.
    pub cost_minor: Option<i64>,
    pub vendor: u32,
    pub product_type: u32,
    pub tags: Vec<u32>,
    /// One id per collection: a rule naming a collection by platform id or by handle must be
    /// interned to this same id, since the storefront accepts either.
    pub collections: Vec<u32>,
    /// Unix seconds.
    pub created_at: i64,
    /// Has a repurchase interval, so showing it again to someone who bought it makes sense.
    pub replenishable: bool,
}

/// A merchant's fixed placement: `position` is 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pin {
    pub item: u32,
    pub position: u32,
}

/// How much each signal lifts an item within its chain level; each weight in `0..=1`
/// (values outside are clamped, NaN counts as 0).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Boosts {
    /// Lifts recent items: the item's share is `exp(-age_days / 30)`.
    pub newness: f32,
    /// Lifts well-stocked items: the share is `min(units, 100) / 100`; untracked counts as full.
    pub inventory: f32,
    /// Lifts high-margin items: the share is `(price - cost) / price`; 0 without a known cost.
    pub margin: f32,
}

impl Boosts {
    fn weights(&self) -> [f32; 3] {
        [self.newness, self.inventory, self.margin]
            .map(|w| if w.is_nan() { 0.0 } else { w.clamp(0.0, 1.0) })
    }

    fn any(&self) -> bool {
        self.weights().iter().any(|&w| w > 0.0)
    }
}

/// A widget's merchant rules, compiled by the caller from the API's `WidgetRules`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// How many items the widget shows.
    pub k: usize,
    pub in_stock_only: bool,
    pub pins: Vec<Pin>,
    pub exclude_items: HashSet<u32>,
    pub exclude_collections: HashSet<u32>,
    pub exclude_tags: HashSet<u32>,
    pub exclude_vendors: HashSet<u32>,
    /// Inclusive bounds on `price_minor`.
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub max_per_vendor: Option<u32>,
    pub max_per_type: Option<u32>,
    /// Hide what the shopper bought, except replenishable items.
    pub hide_purchased: bool,
    pub boosts: Boosts,
}

impl Rules {
    /// The API's defaults (in stock only, nothing else) for a widget of `k` items.
    pub fn new(k: usize) -> Self {
        Rules {
            k,
            in_stock_only: true,
            pins: Vec::new(),
            exclude_items: HashSet::new(),
            exclude_collections: HashSet::new(),
            exclude_tags: HashSet::new(),
            exclude_vendors: HashSet::new(),
            min_price: None,
            max_price: None,
            max_per_vendor: None,
            max_per_type: None,
            hide_purchased: false,
            boosts: Boosts::default(),
        }
    }
}

/// Who is asking, for this one answer.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The item on the page being viewed: never shown, not even when pinned.
    pub viewed: Option<u32>,
    /// Items not to show in this answer, e.g. the cart's: never shown, not even when pinned.
    pub exclude: &'a [u32],
    /// What the shopper bought, for [`Rules::hide_purchased`].
    pub purchased: &'a HashSet<u32>,
    /// Unix seconds, for the newness boost.
    pub now: i64,
}

/// One entry of a candidate list. `provenance` is the caller's own index (into its reasons,
/// seeds and explanation parts), handed back untouched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub item: u32,
    pub score: f32,
    pub provenance: u32,
}

/// Where a chosen item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The merchant pinned it at this (1-based) position.
    Pinned { position: u32 },
    /// The chain's list number `level` (0 = the primary recommender).
    Chain { level: usize, provenance: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chosen {
    pub item: u32,
    /// The candidate's score after boosts (0 for pins). Comparable only within one level.
    pub score: f32,
    pub origin: Origin,
}

/// A rule in force for an answer, for the explanation the storefront returns; its `Display`
/// is the stable name (`in_stock_only`, `fallback:1`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    ActiveOnly,
    InStockOnly,
    ExcludeViewed,
    HidePurchased,
    Exclusions,
    PriceRange,
    Boosts,
    DiversityCaps,
    /// At least one pin was placed.
    Pins,
    /// This fallback level contributed at least one item.
    Fallback(usize),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Rule::ActiveOnly => "active_only",
            Rule::InStockOnly => "in_stock_only",
            Rule::ExcludeViewed => "exclude_viewed",
            Rule::HidePurchased => "hide_purchased",
            Rule::Exclusions => "exclusions",
            Rule::PriceRange => "price_range",
            Rule::Boosts => "boosts",
            Rule::DiversityCaps => "diversity_caps",
            Rule::Pins => "pins",
            Rule::Fallback(level) => return write!(f, "fallback:{level}"),
        };
        f.write_str(name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub items: Vec<Chosen>,
    pub applied: Vec<Rule>,
}

/// The widget's list: at most `rules.k` distinct items.
///
/// `chain` holds candidate lists in priority order (the strategy's results, its own fallback,
/// best sellers, ...). Each list is filtered; a later list is read only while the earlier ones
/// left the answer short, and its items always come after theirs. Boosts re-order items
/// within one list (stably; without boosts the caller's order is kept). Diversity caps bound
/// what the recommenders pick over the whole answer; pins are the merchant's explicit choice
/// and neither count against a cap nor are dropped by one. Pass bounded lists (a few times `k`):
/// with boosts on, a list that is read at all is scored in full.
///
/// Pins go to their exact positions when the item is sellable (known, active, in stock if
/// required, not viewed or request-excluded); other rules do not apply to them. When too few items precede
/// a pin, it moves up to follow the last of them; a full answer therefore has every pin within
/// reach at its position. Pins sharing a position take consecutive slots in the order given.
/// A pin beyond `k` shows only when the answer is otherwise short, after the chain's items.
///
/// The answer has exactly `k` items whenever the chain and the sellable pins hold at least
/// `k` distinct eligible items, unless diversity caps rule some out.
pub fn apply(
    facts: &[ItemFacts],
    rules: &Rules,
    request: &Request<'_>,
    chain: &[&[Candidate]],
) -> Outcome {
    let k = rules.k;
    let filter = Filter::new(facts, rules, request);
    let (placed, late) = pins::resolve(&rules.pins, k, |item| filter.sellable(item));
    let mut pick = Picker::new(facts, rules, placed.iter().map(|p| p.pin.item));
    let room = k - placed.len();
    let weights = rules.boosts.weights();
    let boosting = rules.boosts.any();
    let mut contributed = Vec::new();
    let mut scored: Vec<(f32, Candidate)> = Vec::new();
    for (level, list) in chain.iter().enumerate() {
        if pick.chosen.len() >= room {
            break;
        }
        let before = pick.chosen.len();
        if boosting {
            scored.clear();
            scored.extend(list.iter().filter(|c| filter.passes(c.item)).map(|c| {
                let lifted = boosted(c.score, &facts[c.item as usize], weights, request.now);
                (lifted, *c)
            }));
            scored.sort_by(|a, b| rank_key(b.0).total_cmp(&rank_key(a.0)));
            for &(score, c) in &scored {
                if pick.chosen.len() >= room {
                    break;
                }
                pick.offer(c, score, level);
            }
        } else {
            for c in list.iter() {
                if pick.chosen.len() >= room {
                    break;
                }
                if filter.passes(c.item) {
                    pick.offer(*c, c.score, level);
                }
            }
        }
        if level > 0 && pick.chosen.len() > before {
            contributed.push(level);
        }
    }
    let items = pins::merge(placed, late, pick.chosen, k);
    let applied = applied(rules, request, &items, contributed);
    Outcome { items, applied }
}

/// NaN scores rank last rather than first.
fn rank_key(score: f32) -> f32 {
    if score.is_nan() {
        f32::NEG_INFINITY
    } else {
        score
    }
}

/// Applies the boost factor so it always moves an item up, whatever the sign of its score
/// (next-basket scores are log-odds, often negative).
fn boosted(score: f32, facts: &ItemFacts, [w_new, w_stock, w_margin]: [f32; 3], now: i64) -> f32 {
    let age_days = (now - facts.created_at).max(0) as f32 / 86_400.0;
    let newness = (-age_days / 30.0).exp();
    let stock = facts
        .inventory
        .map_or(1.0, |q| q.clamp(0, 100) as f32 / 100.0);
    let margin = match facts.cost_minor {
        Some(cost) if facts.price_minor > 0 => {
            ((facts.price_minor - cost) as f32 / facts.price_minor as f32).clamp(0.0, 1.0)
        }
        _ => 0.0,
    };
    let factor = 1.0 + w_new * newness + w_stock * stock + w_margin * margin;
    if score >= 0.0 {
        score * factor
    } else {
        score / factor
    }
}

/// Which items may be shown at all.
struct Filter<'a> {
    facts: &'a [ItemFacts],
    rules: &'a Rules,
    request: &'a Request<'a>,
}

impl<'a> Filter<'a> {
    fn new(facts: &'a [ItemFacts], rules: &'a Rules, request: &'a Request<'a>) -> Self {
        Filter {
            facts,
            rules,
            request,
        }
    }

    /// What a pin needs: the merchant's own exclusions do not override their pin.
    fn sellable(&self, item: u32) -> bool {
        self.facts.get(item as usize).is_some_and(|f| {
            f.active
                && (!self.rules.in_stock_only || f.inventory.is_none_or(|q| q > 0))
                && self.request.viewed != Some(item)
                && !self.request.exclude.contains(&item)
        })
    }

    fn passes(&self, item: u32) -> bool {
        if !self.sellable(item) {
            return false;
        }
        let (r, f) = (self.rules, &self.facts[item as usize]);
        let hidden = r.hide_purchased && !f.replenishable && self.request.purchased.contains(&item);
        let excluded = r.exclude_items.contains(&item)
            || r.exclude_vendors.contains(&f.vendor)
            || f.tags.iter().any(|t| r.exclude_tags.contains(t))
            || f.collections
                .iter()
                .any(|c| r.exclude_collections.contains(c));
        let priced = r.min_price.is_none_or(|lo| f.price_minor >= lo)
            && r.max_price.is_none_or(|hi| f.price_minor <= hi);
        !hidden && !excluded && priced
    }
}

/// Takes filtered candidates in order, skipping repeats and whatever a cap rules out.
struct Picker<'a> {
    facts: &'a [ItemFacts],
    rules: &'a Rules,
    /// Placed pins: never repeated; outside the caps.
    pinned: Vec<u32>,
    chosen: Vec<Chosen>,
}

impl<'a> Picker<'a> {
    fn new(facts: &'a [ItemFacts], rules: &'a Rules, pinned: impl Iterator<Item = u32>) -> Self {
        Picker {
            facts,
            rules,
            pinned: pinned.collect(),
            chosen: Vec::with_capacity(rules.k),
        }
    }

    fn offer(&mut self, c: Candidate, score: f32, level: usize) {
        if self.pinned.contains(&c.item) || self.chosen.iter().any(|x| x.item == c.item) {
            return;
        }
        let f = &self.facts[c.item as usize];
        let shown = self.chosen.iter().map(|x| &self.facts[x.item as usize]);
        let (mut vendors, mut types) = (0u32, 0u32);
        for g in shown {
            vendors += u32::from(g.vendor == f.vendor);
            types += u32::from(g.product_type == f.product_type);
        }
        if self.rules.max_per_vendor.is_some_and(|m| vendors >= m)
            || self.rules.max_per_type.is_some_and(|m| types >= m)
        {
            return;
        }
        self.chosen.push(Chosen {
            item: c.item,
            score,
            origin: Origin::Chain {
                level,
                provenance: c.provenance,
            },
        });
    }
}

/// Rules in force for this answer: configured and with something to act on, mirroring what
/// the storefront explanations listed before; pins and fallbacks only when they placed items.
fn applied(
    rules: &Rules,
    request: &Request<'_>,
    items: &[Chosen],
    levels: Vec<usize>,
) -> Vec<Rule> {
    let mut out = vec![Rule::ActiveOnly];
    let flags = [
        (rules.in_stock_only, Rule::InStockOnly),
        (request.viewed.is_some(), Rule::ExcludeViewed),
        (
            rules.hide_purchased && !request.purchased.is_empty(),
            Rule::HidePurchased,
        ),
        (
            !(rules.exclude_items.is_empty()
                && rules.exclude_collections.is_empty()
                && rules.exclude_tags.is_empty()
                && rules.exclude_vendors.is_empty()),
            Rule::Exclusions,
        ),
        (
            rules.min_price.is_some() || rules.max_price.is_some(),
            Rule::PriceRange,
        ),
        (rules.boosts.any(), Rule::Boosts),
        (
            rules.max_per_vendor.is_some() || rules.max_per_type.is_some(),
            Rule::DiversityCaps,
        ),
        (
            items
                .iter()
                .any(|c| matches!(c.origin, Origin::Pinned { .. })),
            Rule::Pins,
        ),
    ];
    out.extend(flags.into_iter().filter(|(on, _)| *on).map(|(_, r)| r));
    out.extend(levels.into_iter().map(Rule::Fallback));
    out
}
