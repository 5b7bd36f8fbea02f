//! One engine call for a product-page widget: co-purchase candidates for the viewed item, then
//! the merchant's rules over them with best sellers as the fallback, on a synthetic shop sized
//! like a mid-market store (4,000 products, 20,000 orders). The "for you" variant does the same
//! with the next-basket model for a known shopper.
//!
//! Run: `cargo bench -p attune-engine --bench recommend`.

use std::collections::HashSet;
use std::hint::black_box;

use attune_engine::merchandise::{self, Candidate, ItemFacts, Pin, Request, Rules};
use attune_engine::nextbasket::Weights;
use attune_engine::{CoPurchase, Event, Interaction, NextBasketConfig, NextBasketModel};
use criterion::{Criterion, criterion_group, criterion_main};

const ITEMS: usize = 4_000;
const ORDERS: usize = 20_000;
const CUSTOMERS: usize = 6_000;
const VENDORS: u32 = 30;
const TYPES: u32 = 50;
const TAGS: u32 = 200;
const COLLECTIONS: u32 = 40;
const K: usize = 8;
const DAY: i64 = 86_400;
const NOW: i64 = 20_000 * DAY;
/// The tag the merchant excludes; the generator gives it to about one item in twenty.
const CLEARANCE: u32 = 0;

/// SplitMix64: deterministic across runs and machines, and no dependency for it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.unit() * f64::from(n)) as u32
    }

    /// Low values far more often than high ones: the long tail of a shop's sales.
    fn skewed(&mut self, n: usize, power: f64) -> u32 {
        ((self.unit().powf(power) * n as f64) as u32).min(n as u32 - 1)
    }
}

struct Shop {
    facts: Vec<ItemFacts>,
    orders: Vec<(u32, i64, Vec<u32>)>,
}

fn shop() -> Shop {
    let mut rng = Rng(7);
    let facts = (0..ITEMS)
        .map(|_| {
            let price = 500 + i64::from(rng.below(19_500));
            let mut tags: Vec<u32> = (0..rng.below(6))
                .map(|_| 1 + rng.skewed(TAGS as usize - 1, 2.0))
                .collect();
            if rng.below(20) == 0 {
                tags.push(CLEARANCE);
            }
            ItemFacts {
                active: rng.below(100) < 97,
                inventory: match rng.below(100) {
                    0..10 => None,
                    10..18 => Some(0),
                    _ => Some(1 + i64::from(rng.below(200))),
                },
                price_minor: price,
                cost_minor: (rng.below(10) < 6)
                    .then(|| price * (30 + i64::from(rng.below(40))) / 100),
                vendor: rng.skewed(VENDORS as usize, 1.5),
                product_type: rng.below(TYPES),
                tags,
                collections: (0..1 + rng.below(3))
                    .map(|_| rng.below(COLLECTIONS))
                    .collect(),
                created_at: NOW - i64::from(rng.below(730)) * DAY,
                replenishable: rng.below(10) == 0,
            }
        })
        .collect();
    // Half of each basket sits near its first item (a product family), half follows overall
    // popularity, so co-purchase neighbourhoods are neither empty nor just the best sellers.
    let orders = (0..ORDERS)
        .map(|_| {
            let anchor = rng.skewed(ITEMS, 3.0);
            let size = 1 + rng.skewed(20, 2.0);
            let mut basket = vec![anchor];
            for _ in 1..size {
                let item = if rng.below(2) == 0 {
                    (anchor + rng.below(40)).min(ITEMS as u32 - 1)
                } else {
                    rng.skewed(ITEMS, 3.0)
                };
                basket.push(item);
            }
            basket.sort_unstable();
            basket.dedup();
            let customer = rng.skewed(CUSTOMERS, 1.5);
            let placed = NOW - i64::from(rng.below(365)) * DAY;
            (customer, placed, basket)
        })
        .collect();
    Shop { facts, orders }
}

fn rules(pin: u32) -> Rules {
    let mut rules = Rules::new(K);
    rules.pins = vec![Pin {
        item: pin,
        position: 2,
    }];
    rules.max_per_vendor = Some(2);
    rules.exclude_tags.insert(CLEARANCE);
    rules
}

fn candidates(scored: impl Iterator<Item = (u32, f32)>) -> Vec<Candidate> {
    scored
        .enumerate()
        .map(|(i, (item, score))| Candidate {
            item,
            score,
            provenance: i as u32,
        })
        .collect()
}

fn product_page(c: &mut Criterion) {
    let shop = shop();
    let model = CoPurchase::build(ITEMS, shop.orders.iter().map(|o| o.2.as_slice()), 100);
    // What the server over-fetches before its filters, and its best-seller fallback.
    let want = (K * 3).max(K + 8);
    let best = candidates(
        model
            .recommend(&[], |_| false, want * 4)
            .into_iter()
            .map(|s| (s.item, s.score)),
    );
    let pin = best.get(3).map_or(0, |c| c.item);
    let rules = rules(pin);
    // Shoppers land on popular pages more often; a fixed rotation of seeds averages over them.
    let mut rng = Rng(11);
    let seeds: Vec<u32> = (0..64).map(|_| rng.skewed(ITEMS, 2.0)).collect();
    let purchased = HashSet::new();

    let one_call = |seed: u32| {
        let recs = model.recommend(&[(seed, 1.0)], |i| i == seed, want);
        let primary = candidates(recs.iter().map(|s| (s.item, s.score)));
        let request = Request {
            viewed: Some(seed),
            exclude: &[],
            purchased: &purchased,
            now: NOW,
        };
        merchandise::apply(&shop.facts, &rules, &request, &[&primary, &best])
    };
    let mut group = c.benchmark_group("product_page");
    let mut turn = 0usize;
    group.bench_function("copurchase_only_k8", |b| {
        b.iter(|| {
            turn = (turn + 1) % seeds.len();
            let seed = black_box(seeds[turn]);
            black_box(model.recommend(&[(seed, 1.0)], |i| i == seed, want))
        })
    });
    group.bench_function("copurchase_then_rules_k8", |b| {
        b.iter(|| {
            turn = (turn + 1) % seeds.len();
            black_box(one_call(black_box(seeds[turn])))
        })
    });
    let primaries: Vec<Vec<Candidate>> = seeds
        .iter()
        .map(|&s| {
            let recs = model.recommend(&[(s, 1.0)], |i| i == s, want);
            candidates(recs.iter().map(|x| (x.item, x.score)))
        })
        .collect();
    let mut boosted = rules.clone();
    boosted.boosts.newness = 0.5;
    boosted.boosts.margin = 0.5;
    for (name, rules) in [
        ("rules_only_k8", &rules),
        ("rules_only_boosted_k8", &boosted),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                turn = (turn + 1) % seeds.len();
                let request = Request {
                    viewed: Some(seeds[turn]),
                    exclude: &[],
                    purchased: &purchased,
                    now: NOW,
                };
                black_box(merchandise::apply(
                    &shop.facts,
                    rules,
                    &request,
                    &[&primaries[turn], &best],
                ))
            })
        });
    }
    group.finish();

    for_you(c, &shop, &rules, &best);
}

/// "For you" for known shoppers: the next-basket model, then the same rules with best
/// sellers behind it and the shopper's own purchases hidden unless replenishable.
fn for_you(c: &mut Criterion, shop: &Shop, rules: &Rules, best: &[Candidate]) {
    let rows: Vec<Interaction> = shop
        .orders
        .iter()
        .enumerate()
        .flat_map(|(order, (user, ts, basket))| {
            basket.iter().map(move |&item| Interaction {
                user: *user,
                item,
                ts: *ts,
                event: Event::Purchase,
                order: order as u32,
                qty: 1.0,
            })
        })
        .collect();
    // The shipped prior weights instead of a self-fit: a call costs the same either way, and
    // the fit would add minutes to every bench run.
    let model = NextBasketModel::build_with_weights(
        &rows,
        CUSTOMERS,
        ITEMS,
        None,
        &NextBasketConfig::default(),
        Weights::default(),
    );
    let mut users: Vec<u32> = (0..CUSTOMERS as u32)
        .filter(|&u| model.is_known(u))
        .collect();
    users.truncate(64);
    let bought: Vec<HashSet<u32>> = users
        .iter()
        .map(|&u| {
            rows.iter()
                .filter(|r| r.user == u)
                .map(|r| r.item)
                .collect()
        })
        .collect();
    let mut rules = rules.clone();
    rules.hide_purchased = true;
    let want = (K * 3).max(K + 8);
    let mut turn = 0usize;
    c.bench_function("for_you/nextbasket_then_rules_k8", |b| {
        b.iter(|| {
            turn = (turn + 1) % users.len().max(1);
            let &user = users.get(turn)?;
            let recs = model.recommend(black_box(user), want, |_| false);
            let primary = candidates(recs.iter().map(|s| (s.item, s.score)));
            let request = Request {
                viewed: None,
                exclude: &[],
                purchased: &bought[turn],
                now: NOW,
            };
            Some(black_box(merchandise::apply(
                &shop.facts,
                &rules,
                &request,
                &[&primary, best],
            )))
        })
    });
}

criterion_group!(benches, product_page);
criterion_main!(benches);
