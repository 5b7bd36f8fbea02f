use serde_json::{Value, json};

use super::*;

fn errors(rules: Value) -> Vec<(String, String)> {
    SegmentInput::new("x", rules)
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

fn one_error(rules: Value) -> (String, String) {
    let errs = errors(rules);
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap()
}

fn valid(rules: Value) -> Rule {
    SegmentInput::new("x", rules).validate().unwrap().rule
}

#[test]
fn catalogue_lists_every_field_once() {
    assert_eq!(FIELDS.len(), 26);
    for (i, spec) in FIELDS.iter().enumerate() {
        assert_eq!(Field::parse(spec.field.name()), Some(spec.field));
        assert_eq!(spec.field.spec(), *spec);
        assert!(FIELDS[..i].iter().all(|s| s.field != spec.field));
        assert_eq!(json!(spec.field), json!(spec.field.name()));
    }
    let money = serde_json::to_value(Field::TotalSpent.spec()).unwrap();
    assert_eq!(
        money,
        json!({"name": "total_spent", "label": "Total spent", "kind": {"type": "money"}, "group": "profile"})
    );
    let device = serde_json::to_value(Field::Device.spec().kind).unwrap();
    assert_eq!(
        device,
        json!({"type": "one_of", "values": ["mobile", "tablet", "desktop"]})
    );
}

#[test]
fn templates_validate_and_are_canonical() {
    let all = templates();
    assert_eq!(all.len(), 8);
    for t in all {
        let input = SegmentInput {
            template: t.id.clone().into(),
            ..SegmentInput::new(&t.name, t.rules.clone())
        };
        let v = input
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e:?}", t.id));
        assert_eq!(v.template.as_deref(), Some(t.id.as_str()));
        assert_eq!(parse_rules(&v.rules, &mut Vec::new()), Some(v.rule));
    }
    assert!(find_template("vip").is_some() && find_template("nope").is_none());
}

#[test]
fn cart_abandoner_reads_as_intended() {
    let rule = valid(find_template("cart_abandoner").unwrap().rules);
    let mut added = Behaviour::new(EventKind::ProductAddedToCart);
    added.within_days = 3;
    let mut completed = Behaviour::new(EventKind::CheckoutCompleted);
    completed.within_days = 3;
    let want = Rule::All(vec![
        Rule::Behaviour(added),
        Rule::Not(Box::new(Rule::Behaviour(completed))),
    ]);
    assert_eq!(rule, want);
}

#[test]
fn comparisons_type_their_values() {
    let rule = valid(json!({"all": [
        {"field": "total_spent", "op": "between", "value": [1000, 5000.0]},
        {"field": "device", "op": "in", "value": ["mobile", "tablet"]},
        {"field": "utm_campaign", "op": "contains", "value": " Summer "},
        {"field": "is_customer", "op": "exists"},
        {"field": "churn_risk", "op": "lt", "value": 0.25}
    ]}));
    let Rule::All(rules) = rule else { panic!() };
    let values: Vec<&Operand> = rules
        .iter()
        .map(|r| match r {
            Rule::Compare(c) => &c.value,
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        values,
        [
            &Operand::Range(Scalar::Money(1000), Scalar::Money(5000)),
            &Operand::List(vec![
                Scalar::Text("mobile".into()),
                Scalar::Text("tablet".into())
            ]),
            &Operand::One(Scalar::Text("Summer".into())),
            &Operand::None,
            &Operand::One(Scalar::Number(0.25)),
        ]
    );
}

#[test]
fn problems_name_their_path() {
    let cases = [
        (
            json!({"all": [{"segment": "a"}, {"segment": "b"}, {"field": "total_spent", "op": "gt", "value": "lots"}]}),
            "rules.all[2].value",
            "must be a number of minor units",
        ),
        (
            json!({"any": [{"field": "orders_count", "op": "gtt", "value": 1}]}),
            "rules.any[0].op",
            "unknown operator 'gtt'; expected one of eq, ne",
        ),
        (
            json!({"field": "orders", "op": "gt", "value": 1}),
            "rules.field",
            "unknown field 'orders'; expected one of orders_count, total_spent",
        ),
        (
            json!({"field": "total_spent", "op": "contains", "value": "1"}),
            "rules.op",
            "'contains' does not apply to total_spent (money)",
        ),
        (
            json!({"field": "total_spent", "op": "gt", "value": 12.5}),
            "rules.value",
            "must be a number of minor units",
        ),
        (
            json!({"field": "orders_count", "op": "between", "value": [5, 1]}),
            "rules.value",
            "low must not be above high",
        ),
        (
            json!({"field": "orders_count", "op": "between", "value": 5}),
            "rules.value",
            "must be a list of two values",
        ),
        (
            json!({"field": "orders_count", "op": "between", "value": [1, "2"]}),
            "rules.value[1]",
            "must be a number",
        ),
        (
            json!({"field": "device", "op": "in", "value": []}),
            "rules.value",
            "must be a non-empty list",
        ),
        (
            json!({"field": "device", "op": "in", "value": ["mobile", "phone"]}),
            "rules.value[1]",
            "must be one of mobile, tablet, desktop",
        ),
        (
            json!({"field": "recency_score", "op": "eq", "value": 6}),
            "rules.value",
            "must be a score from 1 to 5",
        ),
        (
            json!({"field": "churn_risk", "op": "eq", "value": 1.5}),
            "rules.value",
            "must be a number from 0 to 1",
        ),
        (
            json!({"field": "is_customer", "op": "eq", "value": "yes"}),
            "rules.value",
            "must be true or false",
        ),
        (
            json!({"field": "is_customer", "op": "exists", "value": true}),
            "rules.value",
            "takes no value",
        ),
        (
            json!({"field": "orders_count", "op": "gt"}),
            "rules.value",
            "is required",
        ),
        (
            json!({"field": "utm_source", "op": "eq", "value": "  "}),
            "rules.value",
            "must not be empty",
        ),
        (
            json!({"field": "orders_count", "op": "gt", "valeu": 1, "value": 1}),
            "rules.valeu",
            "unknown key 'valeu'; a comparison has field, op, value",
        ),
        (json!({"all": [], "any": []}), "rules", "mixes 'all', 'any'"),
        (
            json!({"colour": "red"}),
            "rules",
            "is not a rule: it has 'colour'",
        ),
        (json!([1]), "rules", "must be a rule"),
        (json!({"not": {}}), "rules.not", "is empty"),
        (json!({"any": {}}), "rules.any", "must be a list of rules"),
        (
            json!({"affinity": "brand", "value": "x"}),
            "rules.affinity",
            "must be one of collection, product_type, vendor, tag",
        ),
        (
            json!({"event": "viewed"}),
            "rules.event",
            "must be one of page_viewed",
        ),
        (
            json!({"event": "page_viewed", "collection": "x"}),
            "rules.collection",
            "does not apply to page_viewed events (filters for them: none)",
        ),
        (
            json!({"event": "collection_viewed", "tag": "x"}),
            "rules.tag",
            "(filters for them: collection)",
        ),
        (
            json!({"event": "product_viewed", "within_days": 400}),
            "rules.within_days",
            "must be a whole number from 1 to 365",
        ),
        (
            json!({"event": "product_viewed", "at_least": 0}),
            "rules.at_least",
            "from 1 to 1000",
        ),
        (
            json!({"event": "product_viewed", "product": "a b"}),
            "rules.product",
            "must be a product id",
        ),
        (
            json!({"segment": ""}),
            "rules.segment",
            "must be a segment id",
        ),
    ];
    for (rules, path, message) in cases {
        let (got_path, got) = one_error(rules.clone());
        assert_eq!(got_path, path, "{rules}: {got}");
        assert!(got.contains(message), "{rules}: {got}");
    }
}

#[test]
fn every_problem_is_reported() {
    let errs = errors(json!({"all": [
        {"field": "nope", "op": "gt", "value": 1},
        {"field": "orders_count", "op": "gtt", "value": 1},
        {"field": "orders_count", "op": "gt", "value": "x"}
    ]}));
    let paths: Vec<&str> = errs.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "rules.all[0].field",
            "rules.all[1].op",
            "rules.all[2].value"
        ]
    );
    let input = SegmentInput {
        name: "".into(),
        description: 3.into(),
        rules: Value::Null,
        template: "x".into(),
    };
    let fields: Vec<String> = input
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["name", "description", "template", "rules"]);
}

#[test]
fn behaviour_defaults_and_product_numbers() {
    let rule = valid(json!({"event": "checkout_completed", "product": 123}));
    let mut want = Behaviour::new(EventKind::CheckoutCompleted);
    want.product = Some("123".into());
    assert_eq!((want.at_least, want.within_days), (1, 30));
    assert_eq!(rule, Rule::Behaviour(want));
    assert_eq!(
        rule.to_json(),
        json!({"event": "checkout_completed", "product": "123", "at_least": 1, "within_days": 30})
    );
}

fn nested(depth: usize) -> Value {
    let mut rule = json!({"segment": "s"});
    for _ in 0..depth {
        rule = json!({"not": rule});
    }
    rule
}

#[test]
fn size_limits() {
    assert!(SegmentInput::new("x", nested(MAX_DEPTH)).validate().is_ok());
    let (path, message) = one_error(nested(MAX_DEPTH + 1));
    assert_eq!(path, format!("rules{}", ".not".repeat(MAX_DEPTH)));
    assert!(message.contains("more than 8 deep"), "{message}");

    let leaf = json!({"field": "orders_count", "op": "gt", "value": 1});
    assert!(
        SegmentInput::new("x", json!({"any": vec![leaf.clone(); MAX_CONDITIONS]}))
            .validate()
            .is_ok()
    );
    let (path, message) = one_error(json!({"any": vec![leaf; MAX_CONDITIONS + 1]}));
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("rules", "has more than 64 conditions")
    );
    let (_, message) = one_error(json!({"any": vec![json!({"all": []}); MAX_GROUPS]}));
    assert_eq!(message, "has more than 64 groups (all, any, not)");
    // Garbage counts towards the limit too, so a huge list is cut short.
    let errs = errors(json!({"any": vec![json!(1); 100_000]}));
    assert_eq!(errs.len(), MAX_CONDITIONS + 1);
    assert_eq!(errs[MAX_CONDITIONS].1, "has more than 64 conditions");
}

#[test]
fn segment_references_are_listed() {
    let rule = valid(json!({"any": [{"segment": "a"}, {"not": {"segment": "b"}}]}));
    assert_eq!(rule.segments(), ["a", "b"]);
}
