use std::collections::HashSet;

use super::*;

pub(super) const DAY: i64 = 86_400;
pub(super) const NOW: i64 = 1_000 * DAY;

fn fact(vendor: u32) -> ItemFacts {
    ItemFacts {
        active: true,
        price_minor: 1_000,
        vendor,
        created_at: NOW - 365 * DAY,
        ..ItemFacts::default()
    }
}

pub(super) fn list(items: &[(u32, f32)]) -> Vec<Candidate> {
    items
        .iter()
        .enumerate()
        .map(|(i, &(item, score))| Candidate {
            item,
            score,
            provenance: i as u32,
        })
        .collect()
}

fn run(facts: &[ItemFacts], rules: &Rules, chain: &[&[Candidate]]) -> Outcome {
    let none = HashSet::new();
    let request = Request {
        viewed: None,
        exclude: &[],
        purchased: &none,
        now: NOW,
    };
    apply(facts, rules, &request, chain)
}

fn ids(o: &Outcome) -> Vec<u32> {
    o.items.iter().map(|c| c.item).collect()
}

fn names(o: &Outcome) -> Vec<String> {
    o.applied.iter().map(ToString::to_string).collect()
}

#[test]
fn newness_boost_reorders_within_a_level_only() {
    let mut facts = vec![fact(0); 4];
    facts[1].created_at = NOW - DAY;
    facts[3].created_at = NOW;
    let mut rules = Rules::new(4);
    rules.boosts.newness = 1.0;
    let primary = list(&[(0, 1.0), (1, 0.8)]);
    let fallback = list(&[(2, 0.9), (3, 0.85)]);
    let out = run(&facts, &rules, &[&primary, &fallback]);
    // 1 overtakes 0 (0.8 * ~1.97 > 1.0); 3 overtakes 2 but stays below the primary level.
    assert_eq!(ids(&out), [1, 0, 3, 2]);
    assert!(out.items[0].score > 1.5);
    assert_eq!(
        names(&out),
        ["active_only", "in_stock_only", "boosts", "fallback:1"]
    );
}

#[test]
fn without_boosts_the_callers_order_is_kept() {
    let facts = vec![fact(0); 3];
    let primary = list(&[(2, 0.1), (0, 0.9), (1, 0.5)]);
    let out = run(&facts, &Rules::new(3), &[&primary]);
    assert_eq!(ids(&out), [2, 0, 1]);
    assert_eq!(names(&out), ["active_only", "in_stock_only"]);
}

#[test]
fn boosts_lift_negative_scores_too() {
    let mut facts = vec![fact(0); 2];
    facts[1].cost_minor = Some(100);
    let mut rules = Rules::new(2);
    rules.boosts.margin = 1.0;
    // Log-odds: 1 starts below 0 and its 90% margin lifts it above.
    let primary = list(&[(0, -1.0), (1, -1.5)]);
    let out = run(&facts, &rules, &[&primary]);
    assert_eq!(ids(&out), [1, 0]);
    assert!((out.items[0].score - (-1.5 / 1.9)).abs() < 1e-5);
    assert_eq!(out.items[1].score, -1.0, "unknown cost: no margin lift");
}

#[test]
fn inventory_boost_uses_stock_and_counts_untracked_as_full() {
    let mut facts = vec![fact(0); 3];
    facts[0].inventory = Some(5);
    facts[1].inventory = Some(500);
    let mut rules = Rules::new(3);
    rules.boosts.inventory = 1.0;
    let primary = list(&[(0, 1.0), (1, 0.6), (2, 0.55)]);
    let out = run(&facts, &rules, &[&primary]);
    assert_eq!(ids(&out), [1, 2, 0]);
}

#[test]
fn a_pinned_candidate_appears_once_at_its_pin() {
    let facts = vec![fact(0); 5];
    let mut rules = Rules::new(4);
    rules.pins = vec![Pin {
        item: 3,
        position: 2,
    }];
    let primary = list(&[(3, 1.0), (0, 0.9), (1, 0.8), (2, 0.7), (4, 0.6)]);
    let out = run(&facts, &rules, &[&primary]);
    assert_eq!(ids(&out), [0, 3, 1, 2]);
    assert_eq!(out.items[1].origin, Origin::Pinned { position: 2 });
    assert!(names(&out).contains(&"pins".to_owned()));
}

#[test]
fn a_pin_moves_up_when_too_few_items_precede_it() {
    let facts = vec![fact(0); 5];
    let mut rules = Rules::new(8);
    rules.pins = vec![Pin {
        item: 4,
        position: 6,
    }];
    let primary = list(&[(0, 1.0), (1, 0.9)]);
    assert_eq!(ids(&run(&facts, &rules, &[&primary])), [0, 1, 4]);
}

#[test]
fn shared_positions_take_consecutive_slots_and_far_pins_only_top_up() {
    let facts = vec![fact(0); 8];
    let mut rules = Rules::new(4);
    rules.pins = vec![
        Pin {
            item: 5,
            position: 2,
        },
        Pin {
            item: 6,
            position: 2,
        },
        Pin {
            item: 7,
            position: 9,
        },
    ];
    let full = list(&[(0, 1.0), (1, 0.9), (2, 0.8)]);
    assert_eq!(ids(&run(&facts, &rules, &[&full])), [0, 5, 6, 1]);
    let short = list(&[(0, 1.0)]);
    assert_eq!(ids(&run(&facts, &rules, &[&short])), [0, 5, 6, 7]);
    // A tie on the last slot pushes the second pin out, so it must not cost a filled item.
    rules.k = 2;
    assert_eq!(ids(&run(&facts, &rules, &[&full])), [0, 5]);
}

#[test]
fn pins_skip_what_cannot_be_sold_but_override_merchant_exclusions() {
    let mut facts = vec![fact(0); 4];
    facts[1].inventory = Some(0);
    facts[2].tags = vec![9];
    let mut rules = Rules::new(3);
    rules.exclude_tags.insert(9);
    rules.pins = vec![
        Pin {
            item: 1,
            position: 1,
        },
        Pin {
            item: 2,
            position: 2,
        },
        Pin {
            item: 40,
            position: 3,
        },
    ];
    let primary = list(&[(2, 1.0), (0, 0.5), (3, 0.4)]);
    assert_eq!(ids(&run(&facts, &rules, &[&primary])), [0, 2, 3]);
}

#[test]
fn hide_purchased_keeps_replenishable_items() {
    let mut facts = vec![fact(0); 3];
    facts[1].replenishable = true;
    let mut rules = Rules::new(3);
    rules.hide_purchased = true;
    let bought: HashSet<u32> = [0, 1].into();
    let request = Request {
        viewed: Some(2),
        exclude: &[],
        purchased: &bought,
        now: NOW,
    };
    let primary = list(&[(0, 1.0), (1, 0.9), (2, 0.8)]);
    let out = apply(&facts, &rules, &request, &[&primary]);
    assert_eq!(ids(&out), [1]);
    assert_eq!(
        names(&out),
        [
            "active_only",
            "in_stock_only",
            "exclude_viewed",
            "hide_purchased"
        ]
    );
}

#[test]
fn caps_skip_within_a_level_before_falling_back() {
    let facts = vec![fact(0), fact(0), fact(1), fact(0), fact(2)];
    let mut rules = Rules::new(3);
    rules.max_per_vendor = Some(1);
    let primary = list(&[(0, 1.0), (1, 0.9), (2, 0.8)]);
    let fallback = list(&[(3, 1.0), (4, 0.9)]);
    let out = run(&facts, &rules, &[&primary, &fallback]);
    assert_eq!(ids(&out), [0, 2, 4]);
    assert_eq!(
        out.items[2].origin,
        Origin::Chain {
            level: 1,
            provenance: 1
        }
    );
}

#[test]
fn unused_fallbacks_are_not_reported_and_k_zero_is_empty() {
    let facts = vec![fact(0); 3];
    let primary = list(&[(0, 1.0), (1, 0.9)]);
    let fallback = list(&[(2, 1.0)]);
    let out = run(&facts, &Rules::new(2), &[&primary, &fallback]);
    assert!(!names(&out).iter().any(|n| n.starts_with("fallback")));
    assert!(run(&facts, &Rules::new(0), &[&primary]).items.is_empty());
}
