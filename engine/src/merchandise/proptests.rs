//! Properties of [`apply`] on random catalogs, rules, requests and chains, checked against
//! eligibility written out again here from the documentation.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::tests::{NOW, list};
use super::*;

const N: u32 = 24;
/// Candidate and pin ids go a little past the catalog: unknown items must be dropped.
const IDS: u32 = N + 3;

fn arb_fact() -> impl Strategy<Value = ItemFacts> {
    (
        (prop::bool::weighted(0.85), prop::option::of(-2i64..6)),
        (0i64..1_000, prop::option::of(0i64..1_200)),
        (0u32..4, 0u32..4),
        (
            prop::collection::vec(0u32..6, 0..3),
            prop::collection::vec(0u32..4, 0..3),
        ),
        (0i64..NOW, any::<bool>()),
    )
        .prop_map(
            |((active, inventory), (price, cost), (vendor, ty), (tags, collections), (t, rep))| {
                ItemFacts {
                    active,
                    inventory,
                    price_minor: price,
                    cost_minor: cost,
                    vendor,
                    product_type: ty,
                    tags,
                    collections,
                    created_at: t,
                    replenishable: rep,
                }
            },
        )
}

fn arb_set(max: u32, len: usize) -> impl Strategy<Value = HashSet<u32>> {
    prop::collection::hash_set(0..max, 0..len)
}

prop_compose! {
    fn arb_rules(caps: bool)(
        k in 0usize..12,
        in_stock_only in any::<bool>(),
        // Distinct positions, as the API guarantees; items may repeat.
        pins in prop::collection::hash_map(1u32..14, 0..IDS, 0..4),
        sets in (arb_set(IDS, 3), arb_set(4, 2), arb_set(6, 2), arb_set(4, 2)),
        price in (prop::option::of(0i64..500), prop::option::of(500i64..1_000)),
        cap in (prop::option::of(1u32..3), prop::option::of(1u32..3)),
        hide_purchased in any::<bool>(),
        boosts in prop::option::of((0f32..=1.0, 0f32..=1.0, 0f32..=1.0)),
    ) -> Rules {
        let (newness, inventory, margin) = boosts.unwrap_or_default();
        Rules {
            k,
            in_stock_only,
            pins: pins.into_iter().map(|(position, item)| Pin { item, position }).collect(),
            exclude_items: sets.0,
            exclude_collections: sets.1,
            exclude_tags: sets.2,
            exclude_vendors: sets.3,
            min_price: price.0,
            max_price: price.1,
            max_per_vendor: cap.0.filter(|_| caps),
            max_per_type: cap.1.filter(|_| caps),
            hide_purchased,
            boosts: Boosts { newness, inventory, margin },
        }
    }
}

fn arb_chain() -> impl Strategy<Value = Vec<Vec<Candidate>>> {
    prop::collection::vec(
        prop::collection::vec((0..IDS, -1f32..1.0), 0..16).prop_map(|v| list(&v)),
        0..4,
    )
}

#[derive(Debug)]
struct Case {
    facts: Vec<ItemFacts>,
    rules: Rules,
    viewed: Option<u32>,
    exclude: Vec<u32>,
    purchased: HashSet<u32>,
    chain: Vec<Vec<Candidate>>,
}

fn arb_case(caps: bool) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(arb_fact(), N as usize),
        arb_rules(caps),
        prop::option::of(0..IDS),
        prop::collection::vec(0..IDS, 0..3),
        arb_set(IDS, 8),
        arb_chain(),
    )
        .prop_map(|(facts, rules, viewed, exclude, purchased, chain)| Case {
            facts,
            rules,
            viewed,
            exclude,
            purchased,
            chain,
        })
}

impl Case {
    fn run(&self) -> Outcome {
        let request = Request {
            viewed: self.viewed,
            exclude: &self.exclude,
            purchased: &self.purchased,
            now: NOW,
        };
        let chain: Vec<&[Candidate]> = self.chain.iter().map(Vec::as_slice).collect();
        apply(&self.facts, &self.rules, &request, &chain)
    }

    /// Written out apart from the implementation, from the rules' documentation.
    fn sellable(&self, item: u32) -> bool {
        let Some(f) = self.facts.get(item as usize) else {
            return false;
        };
        f.active
            && (!self.rules.in_stock_only || f.inventory.is_none_or(|q| q > 0))
            && self.viewed != Some(item)
            && !self.exclude.contains(&item)
    }

    fn eligible(&self, item: u32) -> bool {
        if !self.sellable(item) {
            return false;
        }
        let (r, f) = (&self.rules, &self.facts[item as usize]);
        let purchased_hidden =
            r.hide_purchased && self.purchased.contains(&item) && !f.replenishable;
        !purchased_hidden
            && !r.exclude_items.contains(&item)
            && !r.exclude_vendors.contains(&f.vendor)
            && !f.tags.iter().any(|t| r.exclude_tags.contains(t))
            && !f
                .collections
                .iter()
                .any(|c| r.exclude_collections.contains(c))
            && r.min_price.is_none_or(|lo| f.price_minor >= lo)
            && r.max_price.is_none_or(|hi| f.price_minor <= hi)
    }

    /// Sellable pins after dropping repeats of an item (its earliest position wins).
    fn effective_pins(&self) -> Vec<Pin> {
        let mut pins: Vec<Pin> = self.rules.pins.clone();
        pins.sort_by_key(|p| p.position);
        let mut seen = HashSet::new();
        pins.retain(|p| self.sellable(p.item) && seen.insert(p.item));
        pins
    }

    fn eligible_in(&self, level: usize) -> Vec<u32> {
        let mut seen = HashSet::new();
        self.chain[level]
            .iter()
            .map(|c| c.item)
            .filter(|&i| self.eligible(i) && seen.insert(i))
            .collect()
    }
}

fn is_pin(c: &Chosen) -> bool {
    matches!(c.origin, Origin::Pinned { .. })
}

fn level_of(c: &Chosen) -> Option<usize> {
    match c.origin {
        Origin::Chain { level, .. } => Some(level),
        Origin::Pinned { .. } => None,
    }
}

proptest! {
    #[test]
    fn only_eligible_distinct_items_and_sellable_pins(case in arb_case(true)) {
        let out = case.run();
        prop_assert!(out.items.len() <= case.rules.k);
        let mut seen = HashSet::new();
        for c in &out.items {
            prop_assert!(seen.insert(c.item), "duplicate {}", c.item);
            prop_assert!(case.sellable(c.item));
            match c.origin {
                Origin::Pinned { position } => {
                    let pin = Pin { item: c.item, position };
                    prop_assert!(case.rules.pins.contains(&pin));
                }
                Origin::Chain { level, provenance } => {
                    // Covers exclusions, price range and hide-purchased.
                    prop_assert!(case.eligible(c.item));
                    let source = case.chain[level][provenance as usize];
                    prop_assert_eq!(source.item, c.item);
                    // Taken from the first list where it is eligible.
                    for earlier in 0..level {
                        prop_assert!(!case.eligible_in(earlier).contains(&c.item));
                    }
                }
            }
        }
    }

    #[test]
    fn pins_within_reach_always_appear_and_hold_their_position_when_the_list_is_full(
        case in arb_case(true),
    ) {
        let out = case.run();
        let full = out.items.len() == case.rules.k;
        for pin in case.effective_pins() {
            if pin.position as usize > case.rules.k {
                continue;
            }
            let at = out.items.iter().position(|c| c.item == pin.item);
            prop_assert!(at.is_some(), "pin {:?} missing", pin);
            if full {
                prop_assert_eq!(at, Some(pin.position as usize - 1));
            }
        }
    }

    #[test]
    fn exactly_k_when_enough_and_fallbacks_fill_in_order(case in arb_case(false)) {
        let out = case.run();
        let k = case.rules.k;
        let pins = case.effective_pins();
        let mut distinct: HashSet<u32> = pins.iter().map(|p| p.item).collect();
        for level in 0..case.chain.len() {
            distinct.extend(case.eligible_in(level));
        }
        prop_assert_eq!(out.items.len(), k.min(distinct.len()));
        // Levels never interleave: a fallback item never precedes a primary one.
        let levels: Vec<usize> = out.items.iter().filter_map(level_of).collect();
        prop_assert!(levels.windows(2).all(|w| w[0] <= w[1]));
        // A level is read only when the earlier ones are used up.
        let shown: HashSet<u32> = out.items.iter().map(|c| c.item).collect();
        if let Some(&deepest) = levels.last() {
            let placed: HashSet<u32> = pins
                .iter()
                .filter(|p| p.position as usize <= k)
                .map(|p| p.item)
                .collect();
            for level in 0..deepest {
                for item in case.eligible_in(level) {
                    prop_assert!(shown.contains(&item) || placed.contains(&item));
                }
            }
        }
    }

    #[test]
    fn diversity_caps_bind_everything_but_pins(case in arb_case(true)) {
        let out = case.run();
        for (cap, key) in [
            (case.rules.max_per_vendor, (|f: &ItemFacts| f.vendor) as fn(&ItemFacts) -> u32),
            (case.rules.max_per_type, |f: &ItemFacts| f.product_type),
        ] {
            let Some(cap) = cap else { continue };
            let mut picked: HashMap<u32, u32> = HashMap::new();
            for c in &out.items {
                if !is_pin(c) {
                    *picked.entry(key(&case.facts[c.item as usize])).or_default() += 1;
                }
            }
            for (group, n) in picked {
                prop_assert!(n <= cap, "group {} has {} picked items over the cap {}", group, n, cap);
            }
        }
    }

    #[test]
    fn boosted_scores_descend_within_each_level(case in arb_case(true)) {
        let out = case.run();
        let chain: Vec<&Chosen> = out.items.iter().filter(|c| !is_pin(c)).collect();
        for w in chain.windows(2) {
            if level_of(w[0]) == level_of(w[1]) && case.rules.boosts.any() {
                prop_assert!(w[0].score >= w[1].score);
            }
        }
    }
}
