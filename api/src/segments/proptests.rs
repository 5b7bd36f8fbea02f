//! Validation is total on any JSON, and every valid rule survives its canonical JSON.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::*;

const WORDS: &[&str] = &[
    "all",
    "any",
    "not",
    "field",
    "op",
    "value",
    "affinity",
    "event",
    "segment",
    "collection",
    "product",
    "at_least",
    "within_days",
    "orders_count",
    "total_spent",
    "device",
    "between",
    "in",
    "eq",
    "exists",
    "contains",
    "product_viewed",
    "tag",
    "mobile",
];

/// JSON of any shape, with keys and strings drawn mostly from the language so that deep,
/// nearly valid rules come up often.
fn json() -> impl Strategy<Value = Value> {
    let word = || prop_oneof![4 => prop::sample::select(WORDS).prop_map(str::to_owned), 1 => any::<String>()];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (-10i64..10).prop_map(Value::from),
        word().prop_map(Value::from),
    ];
    leaf.prop_recursive(12, 256, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9 ]{0,10}[a-zA-Z0-9])?"
}

fn scalar(kind: FieldKind) -> BoxedStrategy<Scalar> {
    match kind {
        FieldKind::Number => (-1e9..1e9f64).prop_map(Scalar::Number).boxed(),
        FieldKind::Money => (-MAX_EXACT..=MAX_EXACT).prop_map(Scalar::Money).boxed(),
        FieldKind::Days => (0..=MAX_DAYS)
            .prop_map(|d| Scalar::Number(d as f64))
            .boxed(),
        FieldKind::Score => (1..=5i32)
            .prop_map(|s| Scalar::Number(f64::from(s)))
            .boxed(),
        FieldKind::Ratio => (0.0..=1.0f64).prop_map(Scalar::Number).boxed(),
        FieldKind::Text => text().prop_map(Scalar::Text).boxed(),
        FieldKind::OneOf(values) => prop::sample::select(values)
            .prop_map(|s| Scalar::Text(s.to_owned()))
            .boxed(),
        FieldKind::Bool => any::<bool>().prop_map(Scalar::Bool).boxed(),
    }
}

fn key(s: &Scalar) -> f64 {
    match s {
        Scalar::Number(x) => *x,
        Scalar::Money(m) => *m as f64,
        Scalar::Text(_) | Scalar::Bool(_) => 0.0,
    }
}

fn comparison() -> impl Strategy<Value = Rule> {
    (prop::sample::select(FIELDS), any::<prop::sample::Index>()).prop_flat_map(|(spec, i)| {
        let kind = spec.kind;
        let op = *i.get(kind.ops());
        let value = match op {
            Op::Exists | Op::Missing => Just(Operand::None).boxed(),
            Op::Between => (scalar(kind), scalar(kind))
                .prop_map(|(a, b)| {
                    if key(&a) <= key(&b) {
                        Operand::Range(a, b)
                    } else {
                        Operand::Range(b, a)
                    }
                })
                .boxed(),
            Op::In => prop::collection::vec(scalar(kind), 1..4)
                .prop_map(Operand::List)
                .boxed(),
            _ => scalar(kind).prop_map(Operand::One).boxed(),
        };
        value.prop_map(move |value| {
            Rule::Compare(Comparison {
                field: spec.field,
                op,
                value,
            })
        })
    })
}

fn behaviour() -> impl Strategy<Value = Rule> {
    let filter = || prop::option::of(text());
    (
        prop::sample::select(&EventKind::ALL[..]),
        (
            filter(),
            filter(),
            filter(),
            filter(),
            prop::option::of("[1-9][0-9]{0,12}"),
        ),
        1..=MAX_AT_LEAST,
        1..=MAX_WITHIN_DAYS,
    )
        .prop_map(
            |(event, (collection, product_type, vendor, tag, product), at_least, within_days)| {
                let allowed =
                    |key: &str, v: Option<String>| v.filter(|_| event.filters().contains(&key));
                Rule::Behaviour(Behaviour {
                    event,
                    collection: allowed("collection", collection),
                    product_type: allowed("product_type", product_type),
                    vendor: allowed("vendor", vendor),
                    tag: allowed("tag", tag),
                    product: allowed("product", product),
                    at_least,
                    within_days,
                })
            },
        )
}

fn rule() -> impl Strategy<Value = Rule> {
    let leaf = prop_oneof![
        4 => comparison(),
        1 => (prop::sample::select(&AffinityKind::ALL[..]), text()).prop_map(|(kind, value)| Rule::Affinity { kind, value }),
        2 => behaviour(),
        1 => "[a-zA-Z0-9_-]{1,20}".prop_map(Rule::Segment),
    ];
    leaf.prop_recursive(6, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Rule::All),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Rule::Any),
            inner.prop_map(|r| Rule::Not(Box::new(r))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_is_answered_without_panicking(rules in json(), name in json()) {
        let input = SegmentInput { name, description: Value::Null, rules, template: Value::Null };
        if let Err(errors) = input.validate() {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(["name", "rules"].iter().any(|p| e.field.starts_with(p)), "{e:?}");
            }
        }
    }

    #[test]
    fn valid_rules_survive_their_json(rule in rule()) {
        let json = rule.to_json();
        let mut errors = Vec::new();
        prop_assert_eq!(parse_rules(&json, &mut errors), Some(rule), "{:?}", errors);
    }

    #[test]
    fn a_broken_value_is_reported_at_its_path(rule in comparison(), junk in json()) {
        let mut json = rule.to_json();
        let Rule::Compare(c) = &rule else { unreachable!() };
        let junk_is_fine = parse_rules(
            &serde_json::json!({"field": c.field.name(), "op": c.op.name(), "value": junk}),
            &mut Vec::new(),
        ).is_some();
        json["value"] = junk;
        let mut errors = Vec::new();
        let parsed = parse_rules(&serde_json::json!({"any": [json]}), &mut errors);
        prop_assert_eq!(parsed.is_some(), junk_is_fine);
        for e in errors {
            prop_assert!(e.field.starts_with("rules.any[0].value"), "{e:?}");
        }
    }
}
