use attune_api::FieldError;
use attune_api::segments::{FieldKind, Op, SegmentInput, templates};
use leptos::prelude::*;
use serde_json::{Value, json};

use super::draft::{Cond, Draft, Kind};
use super::live::{RuleErrors, grouped};
use super::values::*;

/// The rule as the server stores it (defaults spelled out), for comparing meaning.
fn canonical(rules: &Value) -> Value {
    SegmentInput::new("x", rules.clone())
        .validate()
        .unwrap_or_else(|e| panic!("{rules} is invalid: {e:?}"))
        .rules
}

fn round_trip(rules: &Value, exp: u32) -> Value {
    let draft = Draft::new();
    draft.load(rules, exp);
    draft.build(exp).rules
}

#[test]
fn money_is_typed_in_major_units_exactly() {
    assert_eq!(parse_major("49.99", 2), Some(4999));
    assert_eq!(parse_major(" 50 ", 2), Some(5000));
    assert_eq!(parse_major("0.5", 2), Some(50));
    assert_eq!(parse_major("-1.25", 2), Some(-125));
    assert_eq!(parse_major("1.999", 2), None);
    assert_eq!(parse_major("1,5", 2), None);
    assert_eq!(parse_major("", 2), None);
    assert_eq!(parse_major("1200", 0), Some(1200));
    assert_eq!(parse_major("1.5", 0), None);
    assert_eq!(parse_major("1.234", 3), Some(1234));
    for (minor, exp) in [
        (4999, 2),
        (5000, 2),
        (50, 2),
        (-125, 2),
        (1200, 0),
        (1234, 3),
        (0, 2),
    ] {
        assert_eq!(parse_major(&format_major(minor, exp), exp), Some(minor));
    }
    assert_eq!(format_major(5000, 2), "50");
    assert_eq!(format_major(4950, 2), "49.5");
    assert_eq!(exponent("jpy"), 0);
    assert_eq!(exponent("GBP"), 2);
    assert_eq!(exponent("KWD"), 3);
}

#[test]
fn values_convert_by_kind() {
    assert_eq!(scalar_json(FieldKind::Money, "12.30", 2), Ok(json!(1230)));
    assert!(scalar_json(FieldKind::Money, "abc", 2).is_err());
    assert_eq!(scalar_json(FieldKind::Ratio, "70", 2), Ok(json!(0.7)));
    assert!(scalar_json(FieldKind::Ratio, "170", 2).is_err());
    assert_eq!(scalar_json(FieldKind::Number, "3", 2), Ok(json!(3)));
    assert_eq!(scalar_json(FieldKind::Number, "2.5", 2), Ok(json!(2.5)));
    // Left for the server to name.
    assert_eq!(scalar_json(FieldKind::Days, "soon", 2), Ok(json!("soon")));
    assert_eq!(scalar_json(FieldKind::Bool, "false", 2), Ok(json!(false)));
    assert_eq!(
        operand_json(FieldKind::Money, Op::Between, "10", "20.5", 2),
        Ok(Some(json!([1000, 2050])))
    );
    assert_eq!(
        operand_json(FieldKind::Number, Op::In, "1, 2,,3", "", 2),
        Ok(Some(json!([1, 2, 3])))
    );
    assert_eq!(
        operand_json(FieldKind::Number, Op::Exists, "9", "", 2),
        Ok(None)
    );
    assert_eq!(
        operand_json(FieldKind::Number, Op::Gte, " ", "", 2),
        Ok(None)
    );
    assert_eq!(
        scalar_text(FieldKind::Ratio, &json!(0.07), 2).as_deref(),
        Some("7")
    );
    assert_eq!(
        scalar_text(FieldKind::Money, &json!(4999), 2).as_deref(),
        Some("49.99")
    );
    assert_eq!(humanize("organic_search"), "Organic search");
    assert_eq!(grouped(1_234_567), "1,234,567");
    assert_eq!(grouped(12), "12");
}

#[test]
fn every_template_survives_the_form() {
    for t in templates() {
        let back = round_trip(&t.rules, 2);
        let wrapped = if t.rules.get("all").is_some() || t.rules.get("any").is_some() {
            t.rules.clone()
        } else {
            json!({ "all": [t.rules] })
        };
        assert_eq!(canonical(&back), canonical(&wrapped), "template {}", t.id);
    }
}

#[test]
fn what_the_form_cannot_show_is_kept_verbatim() {
    let deep = json!({"any": [
        {"all": [{"any": [{"field": "orders_count", "op": "gt", "value": 1}]}]},
        {"not": {"not": {"segment": "seg_a"}}},
        {"event": "product_viewed", "vendor": "Acme", "tag": "red", "at_least": 2, "within_days": 7},
        {"field": "total_spent", "op": "between", "value": [1000, 5000]},
        {"field": "source", "op": "in", "value": ["email", "referral"]},
        {"not": {"affinity": "vendor", "value": "Acme"}},
    ]});
    let draft = Draft::new();
    draft.load(&deep, 2);
    let rows = draft.rows.get_untracked();
    let kinds: Vec<Kind> = rows.iter().map(|c| c.kind.get_untracked()).collect();
    assert_eq!(
        kinds,
        [
            Kind::Group,
            Kind::Raw,
            Kind::Raw,
            Kind::Field,
            Kind::Field,
            Kind::Affinity
        ]
    );
    let nested = rows[0].children.get_untracked();
    assert_eq!(nested[0].kind.get_untracked(), Kind::Raw);
    assert_eq!(rows[3].value.get_untracked(), "10");
    assert_eq!(rows[3].high.get_untracked(), "50");
    assert_eq!(rows[4].value.get_untracked(), "email, referral");
    assert!(rows[5].negated.get_untracked());
    assert_eq!(canonical(&draft.build(2).rules), canonical(&deep));
}

#[test]
fn errors_land_on_the_row_their_path_names() {
    let draft = Draft::new();
    let plain = Cond::new(Kind::Field);
    let group = Cond::new(Kind::Group);
    let inner = Cond::new(Kind::Behaviour);
    group.negated.set(true);
    group.all.set(false);
    group.children.set(vec![Cond::new(Kind::Segment), inner]);
    draft.rows.set(vec![plain, group]);
    let built = draft.build(2);
    assert_eq!(
        built.row_of("rules.all[0].value"),
        Some((plain.key, "Value"))
    );
    assert_eq!(
        built.row_of("rules.all[1].not.any[1].within_days"),
        Some((inner.key, "Within days"))
    );
    assert_eq!(built.row_of("rules.all[1]"), Some((group.key, "")));
    assert_eq!(built.row_of("rules.all[10].value"), None);
    assert_eq!(built.row_of("rules"), None);
    let placed = RuleErrors::place(
        &built,
        &[
            FieldError::new("rules.all[0].value", "is required"),
            FieldError::new("rules", "refers to itself"),
            FieldError::new("name", "is required"),
        ],
    );
    assert_eq!(
        placed.rows,
        vec![(plain.key, "Value is required".to_owned())]
    );
    assert_eq!(placed.general, vec!["Refers to itself".to_owned()]);
}

#[test]
fn local_problems_are_caught_before_the_server_sees_them() {
    let draft = Draft::new();
    let c = Cond::new(Kind::Field);
    c.field.set("total_spent".into());
    c.op.set("gte".into());
    c.value.set("12,50".into());
    draft.rows.set(vec![c]);
    let built = draft.build(2);
    assert_eq!(built.local.len(), 1);
    assert_eq!(built.local[0].0, c.key);
    c.value.set("12.50".into());
    let built = draft.build(2);
    assert!(built.local.is_empty());
    assert_eq!(
        built.rules,
        json!({"all": [{"field": "total_spent", "op": "gte", "value": 1250}]})
    );
}
