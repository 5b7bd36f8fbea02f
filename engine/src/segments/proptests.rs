//! Properties of evaluation over random valid rules and visitors, and of cycle detection over
//! random membership graphs.

use proptest::prelude::*;

use super::*;

const NOW: i64 = 1_750_000_000;
const WORDS: [&str; 3] = ["a", "b", "c"];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(&WORDS[..]).prop_map(str::to_owned)
}

fn number_op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Eq, Op::Ne, Op::Gt, Op::Gte, Op::Lt, Op::Lte])
}

/// Small pools of fields and values, so random visitors often hit random constants.
fn leaf() -> impl Strategy<Value = Rule> {
    let numeric = prop::sample::select(vec![
        Field::OrdersCount,
        Field::TotalSpent,
        Field::ChurnRisk,
    ]);
    let text = prop::sample::select(vec![Field::Device, Field::UtmSource]);
    let any_field =
        prop::sample::select(vec![Field::OrdersCount, Field::IsCustomer, Field::Device]);
    let small = 0..4i32;
    prop_oneof![
        (numeric.clone(), number_op(), small.clone()).prop_map(|(field, op, x)| Rule::Compare {
            field,
            op,
            value: Value::Number(f64::from(x)),
        }),
        (numeric.clone(), small.clone(), 0..3i32).prop_map(|(field, lo, w)| Rule::Compare {
            field,
            op: Op::Between,
            value: Value::Range(f64::from(lo), f64::from(lo + w)),
        }),
        (numeric, prop::collection::vec(small, 1..3)).prop_map(|(field, xs)| Rule::Compare {
            field,
            op: Op::In,
            value: Value::Numbers(xs.into_iter().map(f64::from).collect()),
        }),
        (any::<bool>(), any::<bool>()).prop_map(|(eq, b)| Rule::Compare {
            field: Field::IsCustomer,
            op: if eq { Op::Eq } else { Op::Ne },
            value: Value::Bool(b),
        }),
        (
            text.clone(),
            prop::sample::select(vec![Op::Eq, Op::Ne, Op::Contains]),
            word()
        )
            .prop_map(|(field, op, s)| Rule::Compare {
                field,
                op,
                value: Value::Text(s)
            }),
        (text, prop::collection::vec(word(), 1..3)).prop_map(|(field, xs)| Rule::Compare {
            field,
            op: Op::In,
            value: Value::Texts(xs),
        }),
        (any_field, any::<bool>()).prop_map(|(field, e)| Rule::Compare {
            field,
            op: if e { Op::Exists } else { Op::Missing },
            value: Value::None,
        }),
        (prop::sample::select(&AffinityKind::ALL[..2]), word())
            .prop_map(|(kind, value)| Rule::Affinity { kind, value }),
        (
            prop::sample::select(&EventKind::ALL[..2]),
            prop::option::of(word()),
            0..3u32,
            1..10u32
        )
            .prop_map(|(event, collection, at_least, within_days)| {
                Rule::Behaviour(Behaviour {
                    collection,
                    ..Behaviour::new(event, at_least, within_days)
                })
            }),
    ]
}

/// Depth at most 4, so the identities below may wrap two more levels each.
fn rule() -> impl Strategy<Value = Rule> {
    leaf().prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rule::All),
            prop::collection::vec(inner.clone(), 0..3).prop_map(Rule::Any),
            inner.prop_map(|r| Rule::Not(Box::new(r))),
        ]
    })
}

#[derive(Debug, Clone)]
struct Facts {
    orders: Option<u8>,
    spent: Option<u8>,
    churn: Option<u8>,
    customer: Option<bool>,
    device: Option<&'static str>,
    utm: Option<&'static str>,
    collections: Vec<&'static str>,
    events: Vec<(bool, i64, Option<&'static str>)>,
}

fn facts() -> impl Strategy<Value = Facts> {
    let text = || prop::option::of(prop::sample::select(vec!["a", "B", "c", "zz", "xa"]));
    let opt = || prop::option::of(0..4u8);
    (
        (opt(), opt(), opt(), prop::option::of(any::<bool>())),
        (text(), text()),
        prop::sample::subsequence(&WORDS[..], 0..=3),
        prop::collection::vec(
            (
                any::<bool>(),
                0..12i64,
                prop::option::of(prop::sample::select(&WORDS[..])),
            ),
            0..8,
        ),
    )
        .prop_map(
            |((orders, spent, churn, customer), (device, utm), collections, events)| Facts {
                orders,
                spent,
                churn,
                customer,
                device,
                utm,
                collections,
                events,
            },
        )
}

fn visitor(f: &Facts, vocab: &Vocabulary) -> Visitor {
    let mut v = Visitor::new();
    let numbers = [
        (Field::OrdersCount, f.orders),
        (Field::TotalSpent, f.spent),
        (Field::ChurnRisk, f.churn),
    ];
    for (field, x) in numbers {
        if let Some(x) = x {
            v.set_number(field, f64::from(x));
        }
    }
    if let Some(b) = f.customer {
        v.set_bool(Field::IsCustomer, b);
    }
    for (field, s) in [(Field::Device, f.device), (Field::UtmSource, f.utm)] {
        if let Some(s) = s {
            v.set_text(field, s, vocab);
        }
    }
    v.set_affinities(
        AffinityKind::Collection,
        f.collections.iter().filter_map(|s| vocab.get(s)),
    );
    for &(viewed, days_ago, collection) in &f.events {
        let ids: Vec<u32> = collection.and_then(|c| vocab.get(c)).into_iter().collect();
        let kind = if viewed {
            EventKind::ProductViewed
        } else {
            EventKind::PageViewed
        };
        v.push_event(EventFacts {
            collections: &ids,
            ..EventFacts::new(kind, NOW - days_ago * 86_400 - 1)
        });
    }
    v
}

fn not(r: Rule) -> Rule {
    Rule::Not(Box::new(r))
}

/// Evaluates several rules for one visitor, all compiled before the visitor is filled.
fn eval_all(rules: &[Rule], f: &Facts) -> Vec<bool> {
    let mut vocab = Vocabulary::new();
    let compiled: Vec<Compiled> = rules
        .iter()
        .map(|r| compile(r, &mut vocab, |_| None).unwrap())
        .collect();
    let v = visitor(f, &vocab);
    compiled
        .iter()
        .map(|c| c.matches(&v, NOW, &Membership::new()))
        .collect()
}

proptest! {
    #[test]
    fn double_negation(r in rule(), f in facts()) {
        let got = eval_all(&[r.clone(), not(not(r))], &f);
        prop_assert_eq!(got[0], got[1]);
    }

    #[test]
    fn group_identities(a in rule(), b in rule(), f in facts()) {
        let got = eval_all(&[
            a.clone(),
            b.clone(),
            Rule::All(vec![a.clone()]),
            Rule::Any(vec![a.clone()]),
            Rule::All(vec![a.clone(), Rule::All(vec![])]),
            Rule::Any(vec![a.clone(), Rule::Any(vec![])]),
            Rule::All(vec![a.clone(), b.clone()]),
            Rule::Any(vec![a.clone(), b.clone()]),
            not(Rule::Any(vec![not(a.clone()), not(b.clone())])),
            not(Rule::All(vec![not(a.clone()), not(b.clone())])),
            Rule::All(vec![a.clone(), not(a.clone())]),
            Rule::Any(vec![a.clone(), not(a)]),
        ], &f);
        let (a, b) = (got[0], got[1]);
        prop_assert_eq!(&got[2..6], &[a, a, a, a]);
        prop_assert_eq!(got[6], a && b);
        prop_assert_eq!(got[7], a || b);
        prop_assert_eq!(got[8], got[6], "de Morgan over all");
        prop_assert_eq!(got[9], got[7], "de Morgan over any");
        prop_assert!(!got[10] && got[11]);
    }

    #[test]
    fn a_set_agrees_with_its_rules(a in rule(), b in rule(), f in facts()) {
        let both = Rule::All(vec![Rule::Member("a".into()), Rule::Member("b".into())]);
        let mut vocab = Vocabulary::new();
        let set = SegmentSet::build([("both", &both), ("a", &a), ("b", &b)], &mut vocab).unwrap();
        let v = visitor(&f, &vocab);
        let m = set.evaluate(&v, NOW);
        let direct = eval_all(&[a, b], &f);
        let is = |id| m.contains(set.index_of(id).unwrap());
        prop_assert_eq!((is("a"), is("b"), is("both")), (direct[0], direct[1], direct[0] && direct[1]));
    }

    #[test]
    fn cycles_are_rejected(edges in prop::collection::vec(prop::collection::vec(any::<bool>(), 6), 1..6)) {
        let n = edges.len();
        let ids: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
        let rules: Vec<Rule> = edges
            .iter()
            .map(|row| Rule::Any(row.iter().take(n).enumerate().filter(|(_, e)| **e).map(|(j, _)| Rule::Member(ids[j].clone())).collect()))
            .collect();
        let edge = |i: usize, j: usize| edges[i][j];
        let mut vocab = Vocabulary::new();
        let built = SegmentSet::build(ids.iter().map(String::as_str).zip(&rules), &mut vocab);
        match built {
            Ok(set) => {
                prop_assert!(acyclic(n, edge));
                for i in 0..n {
                    for j in 0..n {
                        if edge(i, j) {
                            prop_assert!(set.index_of(&ids[j]) < set.index_of(&ids[i]));
                        }
                    }
                }
            }
            Err(SetError { error: CompileError::Cycle(path), .. }) => {
                prop_assert!(!acyclic(n, edge));
                prop_assert_eq!(path.first(), path.last());
                let at = |id: &String| ids.iter().position(|x| x == id).unwrap();
                for w in path.windows(2) {
                    prop_assert!(edge(at(&w[0]), at(&w[1])));
                }
            }
            Err(other) => prop_assert!(false, "{other}"),
        }
    }
}

/// Kahn's algorithm: a different method from the set's depth-first search.
fn acyclic(n: usize, edge: impl Fn(usize, usize) -> bool) -> bool {
    let mut removed = vec![false; n];
    for _ in 0..n {
        let sink = (0..n).find(|&i| !removed[i] && (0..n).all(|j| removed[j] || !edge(i, j)));
        match sink {
            Some(i) => removed[i] = true,
            None => return false,
        }
    }
    true
}
