//! Segment evaluation: one storefront visitor against a realistic rule (the per-request cost),
//! and the live count the admin shows while a rule is edited (100k profiles).

use std::hint::black_box;

use attune_engine::segments::{
    AffinityKind, Behaviour, EventFacts, EventKind, Field, Membership, Op, Rule, SegmentSet, Value,
    Visitor, Vocabulary, compile,
};
use criterion::{Criterion, criterion_group, criterion_main};

const NOW: i64 = 1_750_000_000;
const DAY: i64 = 86_400;
const COLLECTIONS: [&str; 8] = [
    "summer", "sale", "shoes", "hats", "bags", "new", "men", "women",
];
const TAGS: [&str; 6] = ["linen", "cotton", "eco", "gift", "bestseller", "limited"];

/// Deterministic, so every run measures the same visitors.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn cmp(field: Field, op: Op, value: Value) -> Rule {
    Rule::Compare { field, op, value }
}

fn vip() -> Rule {
    Rule::All(vec![
        cmp(Field::MonetaryScore, Op::Gte, Value::Number(4.0)),
        cmp(Field::OrdersCount, Op::Gte, Value::Number(3.0)),
    ])
}

/// Six conditions: a membership, an affinity, a behaviour, a money, a one-of and a negation.
fn summer_vips() -> Rule {
    let mut viewed = Behaviour::new(EventKind::ProductViewed, 2, 7);
    viewed.collection = Some("Summer".into());
    Rule::All(vec![
        Rule::Member("vip".into()),
        Rule::Affinity {
            kind: AffinityKind::Collection,
            value: "summer".into(),
        },
        Rule::Behaviour(viewed),
        cmp(Field::CartValue, Op::Gt, Value::Number(0.0)),
        cmp(
            Field::Device,
            Op::In,
            Value::Texts(vec!["mobile".into(), "tablet".into()]),
        ),
        Rule::Not(Box::new(cmp(
            Field::Source,
            Op::Eq,
            Value::Text("paid_social".into()),
        ))),
    ])
}

/// An event as the server holds it before the engine sees it: names, not ids.
struct RawEvent {
    kind: EventKind,
    at: i64,
    product: String,
    collections: [&'static str; 2],
    tag: &'static str,
}

fn raw_events(rng: &mut Rng, n: usize) -> Vec<RawEvent> {
    let kinds = [
        EventKind::PageViewed,
        EventKind::ProductViewed,
        EventKind::ProductViewed,
        EventKind::CollectionViewed,
        EventKind::ProductAddedToCart,
    ];
    (0..n)
        .map(|i| RawEvent {
            kind: kinds[rng.below(kinds.len() as u64) as usize],
            // Oldest first, spread over 30 days, as the server appends them.
            at: NOW - (n - i) as i64 * 30 * DAY / n.max(1) as i64,
            product: rng.below(2_000).to_string(),
            collections: [rng.pick(&COLLECTIONS), rng.pick(&COLLECTIONS)],
            tag: rng.pick(&TAGS),
        })
        .collect()
}

/// Fills a visitor the way the server would: names looked up in the vocabulary, unknown ones
/// dropped.
fn fill(v: &mut Visitor, rng: &mut Rng, events: &[RawEvent], vocab: &Vocabulary) {
    v.clear();
    v.set_number(Field::MonetaryScore, (1 + rng.below(5)) as f64);
    v.set_number(Field::OrdersCount, rng.below(8) as f64);
    v.set_money(Field::CartValue, rng.below(3) as i64 * 2_500);
    v.set_bool(Field::IsCustomer, rng.below(2) == 0);
    let device = rng.pick(&["mobile", "desktop", "tablet"]);
    v.set_text(Field::Device, device, vocab);
    let source = rng.pick(&["direct", "paid_social", "organic_search", "email"]);
    v.set_text(Field::Source, source, vocab);
    let top = [rng.pick(&COLLECTIONS), rng.pick(&COLLECTIONS)];
    v.set_affinities(
        AffinityKind::Collection,
        top.iter().filter_map(|c| vocab.get(c)),
    );
    let mut collections = Vec::with_capacity(2);
    for e in events {
        collections.clear();
        collections.extend(e.collections.iter().filter_map(|c| vocab.get(c)));
        let tags: Option<u32> = vocab.get(e.tag);
        v.push_event(EventFacts {
            product: vocab.get(&e.product),
            collections: &collections,
            tags: tags.as_slice(),
            ..EventFacts::new(e.kind, e.at)
        });
    }
}

fn one_visitor(c: &mut Criterion) {
    let (vip, rule) = (vip(), summer_vips());
    let mut vocab = Vocabulary::new();
    let set = SegmentSet::build([("summer_vips", &rule), ("vip", &vip)], &mut vocab)
        .expect("bench rules are valid");
    let target = compile(&rule, &mut vocab, |id| set.index_of(id)).expect("valid");
    // A visitor in the segment, so no condition short-circuits the rest of the rule.
    let mut v = Visitor::new();
    let raw = raw_events(&mut Rng(7), 200);
    fill(&mut v, &mut Rng(7), &raw, &vocab);
    v.set_number(Field::MonetaryScore, 5.0);
    v.set_number(Field::OrdersCount, 4.0);
    v.set_money(Field::CartValue, 4_200);
    v.set_text(Field::Device, "Mobile", &vocab);
    v.set_text(Field::Source, "email", &vocab);
    v.set_affinities(AffinityKind::Collection, vocab.get("summer"));
    let summer: Vec<u32> = vocab.get("summer").into_iter().collect();
    for _ in 0..2 {
        v.push_event(EventFacts {
            collections: &summer,
            ..EventFacts::new(EventKind::ProductViewed, NOW - DAY)
        });
    }
    let earlier = set.evaluate(&v, NOW);
    assert!(earlier.contains(set.index_of("summer_vips").expect("built")));

    let mut g = c.benchmark_group("segments/one_visitor_202_events");
    g.bench_function("six_condition_rule", |b| {
        b.iter(|| target.matches(black_box(&v), NOW, black_box(&earlier)))
    });
    let mut out = Membership::new();
    g.bench_function("set_of_two_with_membership", |b| {
        b.iter(|| set.evaluate_into(black_box(&v), NOW, &mut out))
    });
    g.bench_function("fill_visitor_200_events", |b| {
        let mut scratch = Visitor::new();
        b.iter(|| fill(&mut scratch, &mut Rng(7), &raw, black_box(&vocab)))
    });
    g.finish();
}

fn live_count(c: &mut Criterion) {
    let (vip, rule) = (vip(), summer_vips());
    let mut vocab = Vocabulary::new();
    let set = SegmentSet::build([("vip", &vip)], &mut vocab).expect("valid");
    let draft = compile(&rule, &mut vocab, |id| set.index_of(id)).expect("valid");
    let mut rng = Rng(42);
    let visitors: Vec<Visitor> = (0..100_000)
        .map(|_| {
            let mut v = Visitor::new();
            let n = rng.below(40) as usize;
            let raw = raw_events(&mut rng, n);
            fill(&mut v, &mut rng, &raw, &vocab);
            v
        })
        .collect();
    let matched = set.count(&draft, &visitors, NOW);
    println!("live count: {matched} of {} match", visitors.len());

    let mut g = c.benchmark_group("segments/live_count");
    g.sample_size(10);
    g.bench_function("100k_visitors_six_condition_rule", |b| {
        b.iter(|| set.count(black_box(&draft), &visitors, NOW))
    });
    g.finish();
}

criterion_group!(benches, one_visitor, live_count);
criterion_main!(benches);
