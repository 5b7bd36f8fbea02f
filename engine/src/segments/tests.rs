use super::*;

const NOW: i64 = 1_750_000_000;
const DAY: i64 = 86_400;

fn cmp(field: Field, op: Op, value: Value) -> Rule {
    Rule::Compare { field, op, value }
}

fn no_segments(_: &str) -> Option<SegmentIndex> {
    None
}

/// Compiles `rule` and evaluates it for a visitor built by `fill` (after compiling, as the
/// server must).
fn check(rule: &Rule, fill: impl Fn(&mut Visitor, &Vocabulary)) -> bool {
    let mut vocab = Vocabulary::new();
    let compiled = compile(rule, &mut vocab, no_segments).unwrap();
    let mut v = Visitor::new();
    fill(&mut v, &vocab);
    compiled.matches(&v, NOW, &Membership::new())
}

fn with_orders(n: f64) -> impl Fn(&mut Visitor, &Vocabulary) {
    move |v, _| v.set_number(Field::OrdersCount, n)
}

fn blank(_: &mut Visitor, _: &Vocabulary) {}

#[test]
fn number_operators() {
    use Value::Number as N;
    let f = Field::OrdersCount;
    let cases = [
        (Op::Eq, N(3.0), [false, true, false]),
        (Op::Ne, N(3.0), [true, false, true]),
        (Op::Gt, N(3.0), [false, false, true]),
        (Op::Gte, N(3.0), [false, true, true]),
        (Op::Lt, N(3.0), [true, false, false]),
        (Op::Lte, N(3.0), [true, true, false]),
        (Op::Between, Value::Range(3.0, 4.0), [false, true, true]),
        (Op::In, Value::Numbers(vec![2.0, 4.0]), [true, false, true]),
    ];
    for (op, value, want) in cases {
        let rule = cmp(f, op, value);
        for (n, want) in [2.0, 3.0, 4.0].into_iter().zip(want) {
            assert_eq!(check(&rule, with_orders(n)), want, "{op:?} with {n}");
        }
        assert!(
            !check(&rule, blank),
            "{op:?} on a missing field must be false"
        );
    }
}

#[test]
fn exists_and_missing() {
    for field in [Field::OrdersCount, Field::IsCustomer, Field::UtmSource] {
        let exists = cmp(field, Op::Exists, Value::None);
        let missing = cmp(field, Op::Missing, Value::None);
        let fill = move |v: &mut Visitor, vocab: &Vocabulary| match field.ty() {
            FieldType::Number => v.set_number(field, 0.0),
            FieldType::Bool => v.set_bool(field, false),
            FieldType::Text => v.set_text(field, "x", vocab),
        };
        assert!(check(&exists, fill) && !check(&missing, fill), "{field:?}");
        assert!(
            !check(&exists, blank) && check(&missing, blank),
            "{field:?}"
        );
    }
}

#[test]
fn money_is_exact_in_minor_units() {
    let rule = cmp(
        Field::TotalSpent,
        Op::Gte,
        Value::Number(9_007_199_254_740_991.0),
    );
    assert!(check(&rule, |v, _| v
        .set_money(Field::TotalSpent, 9_007_199_254_740_991)));
    assert!(!check(&rule, |v, _| v
        .set_money(Field::TotalSpent, 9_007_199_254_740_990)));
}

#[test]
fn bool_operators() {
    let yes = cmp(Field::IsCustomer, Op::Eq, Value::Bool(true));
    let not_no = cmp(Field::IsCustomer, Op::Ne, Value::Bool(false));
    for rule in [&yes, &not_no] {
        assert!(check(rule, |v, _| v.set_bool(Field::IsCustomer, true)));
        assert!(!check(rule, |v, _| v.set_bool(Field::IsCustomer, false)));
        assert!(!check(rule, blank));
    }
}

#[test]
fn text_operators_ignore_case() {
    let f = Field::UtmCampaign;
    let eq = cmp(f, Op::Eq, Value::Text("Summer Sale".into()));
    let ne = cmp(f, Op::Ne, Value::Text("summer sale".into()));
    let any = cmp(
        f,
        Op::In,
        Value::Texts(vec!["spring".into(), "SUMMER sale".into()]),
    );
    let has = cmp(f, Op::Contains, Value::Text("SALE".into()));
    let set = |s: &'static str| move |v: &mut Visitor, vocab: &Vocabulary| v.set_text(f, s, vocab);
    for rule in [&eq, &any, &has] {
        assert!(check(rule, set(" summer SALE ")), "{rule:?}");
        assert!(!check(rule, set("winter")), "{rule:?}");
        assert!(!check(rule, blank), "{rule:?}");
    }
    assert!(check(&has, set("clearance-sale-2")));
    assert!(!check(&ne, set("Summer Sale")));
    assert!(
        check(&ne, set("winter")),
        "a value no rule mentions differs from every constant"
    );
    assert!(!check(&ne, blank));
}

#[test]
fn operators_that_do_not_apply_are_rejected() {
    let mut vocab = Vocabulary::new();
    let bad = [
        (
            cmp(Field::TotalSpent, Op::Contains, Value::Text("1".into())),
            true,
        ),
        (cmp(Field::IsCustomer, Op::Gt, Value::Bool(true)), true),
        (cmp(Field::Device, Op::Gt, Value::Number(1.0)), true),
        (
            cmp(Field::TotalSpent, Op::Eq, Value::Text("1".into())),
            false,
        ),
        (
            cmp(Field::TotalSpent, Op::Eq, Value::Number(f64::NAN)),
            false,
        ),
        (
            cmp(Field::TotalSpent, Op::Between, Value::Range(5.0, 1.0)),
            false,
        ),
        (
            cmp(Field::TotalSpent, Op::In, Value::Numbers(vec![])),
            false,
        ),
        (cmp(Field::Device, Op::In, Value::Texts(vec![])), false),
        (
            cmp(Field::Device, Op::Contains, Value::Text("  ".into())),
            false,
        ),
        (
            cmp(Field::Device, Op::Exists, Value::Text("x".into())),
            false,
        ),
    ];
    for (rule, is_operator) in bad {
        match compile(&rule, &mut vocab, no_segments) {
            Err(CompileError::Operator { .. }) if is_operator => {}
            Err(CompileError::Value { .. }) if !is_operator => {}
            other => panic!("{rule:?} gave {other:?}"),
        }
    }
}

#[test]
fn affinities_match_top_lists_case_insensitively() {
    let rule = Rule::Affinity {
        kind: AffinityKind::Collection,
        value: "Summer".into(),
    };
    let fill = |kind| {
        move |v: &mut Visitor, vocab: &Vocabulary| {
            v.set_affinities(kind, vocab.get("SUMMER"));
        }
    };
    assert!(check(&rule, fill(AffinityKind::Collection)));
    assert!(!check(&rule, fill(AffinityKind::Tag)));
    assert!(!check(&rule, blank));
}

fn viewed(v: &mut Visitor, vocab: &Vocabulary, days_ago: i64, collection: &str) {
    let ids: Vec<u32> = vocab.get(collection).into_iter().collect();
    v.push_event(EventFacts {
        collections: &ids,
        product: vocab.get("123"),
        ..EventFacts::new(EventKind::ProductViewed, NOW - days_ago * DAY)
    });
}

#[test]
fn behaviour_counts_matching_events_in_the_window() {
    let mut b = Behaviour::new(EventKind::ProductViewed, 2, 7);
    b.collection = Some("shoes".into());
    let rule = Rule::Behaviour(b.clone());
    assert!(check(&rule, |v, vocab| {
        viewed(v, vocab, 1, "shoes");
        viewed(v, vocab, 7, "Shoes");
    }));
    assert!(!check(&rule, |v, vocab| {
        viewed(v, vocab, 1, "shoes");
        viewed(v, vocab, 8, "shoes");
        viewed(v, vocab, 1, "hats");
    }));
    let mut by_product = Behaviour::new(EventKind::ProductViewed, 1, 30);
    by_product.product = Some("123".into());
    assert!(check(&Rule::Behaviour(by_product.clone()), |v, vocab| {
        viewed(v, vocab, 3, "x")
    }));
    by_product.event = EventKind::ProductAddedToCart;
    assert!(!check(&Rule::Behaviour(by_product), |v, vocab| viewed(
        v, vocab, 3, "x"
    )));
    b.within_days = 0;
    let mut vocab = Vocabulary::new();
    assert_eq!(
        compile(&Rule::Behaviour(b), &mut vocab, no_segments),
        Err(CompileError::WithinDays(0))
    );
}

#[test]
fn groups_and_their_empty_cases() {
    let yes = cmp(Field::OrdersCount, Op::Exists, Value::None);
    let no = cmp(Field::OrdersCount, Op::Missing, Value::None);
    let o = with_orders(1.0);
    assert!(check(&Rule::All(vec![]), &o));
    assert!(!check(&Rule::Any(vec![]), &o));
    assert!(check(&Rule::All(vec![yes.clone(), yes.clone()]), &o));
    assert!(!check(&Rule::All(vec![yes.clone(), no.clone()]), &o));
    assert!(check(&Rule::Any(vec![no.clone(), yes]), &o));
    assert!(check(&Rule::Not(Box::new(no)), &o));
}

#[test]
fn limits() {
    let leaf = cmp(Field::OrdersCount, Op::Exists, Value::None);
    let mut deep = leaf.clone();
    for _ in 0..MAX_DEPTH {
        deep = Rule::Not(Box::new(deep));
    }
    let mut vocab = Vocabulary::new();
    assert!(compile(&deep, &mut vocab, no_segments).is_ok());
    let deeper = Rule::Not(Box::new(deep));
    assert_eq!(
        compile(&deeper, &mut vocab, no_segments),
        Err(CompileError::TooDeep)
    );
    let wide = Rule::All(vec![leaf; MAX_CONDITIONS + 1]);
    assert_eq!(
        compile(&wide, &mut vocab, no_segments),
        Err(CompileError::TooManyConditions)
    );
    let hollow = Rule::All(vec![Rule::Any(vec![]); MAX_GROUPS]);
    assert_eq!(
        compile(&hollow, &mut vocab, no_segments),
        Err(CompileError::TooManyGroups)
    );
}

fn member(id: &str) -> Rule {
    Rule::Member(id.into())
}

#[test]
fn sets_order_dependencies_and_reject_cycles() {
    let vip = cmp(Field::OrdersCount, Op::Gte, Value::Number(3.0));
    let not_vip = Rule::Not(Box::new(member("vip")));
    let defs = [("not_vip", &not_vip), ("vip", &vip)];
    let mut vocab = Vocabulary::new();
    let set = SegmentSet::build(defs, &mut vocab).unwrap();
    assert_eq!(set.ids(), ["vip", "not_vip"]);
    let mut v = Visitor::new();
    v.set_number(Field::OrdersCount, 5.0);
    let m = set.evaluate(&v, NOW);
    assert!(m.contains(set.index_of("vip").unwrap()));
    assert!(!m.contains(set.index_of("not_vip").unwrap()));
    assert_eq!(m.iter().collect::<Vec<_>>(), [SegmentIndex(0)]);

    let (a, b, c) = (member("b"), member("c"), Rule::All(vec![member("a")]));
    let err = SegmentSet::build([("a", &a), ("b", &b), ("c", &c)], &mut vocab).unwrap_err();
    assert_eq!(
        err.error,
        CompileError::Cycle(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let own = member("x");
    let err = SegmentSet::build([("x", &own)], &mut vocab).unwrap_err();
    assert_eq!(err.error, CompileError::Cycle(vec!["x".into(), "x".into()]));
    let err = SegmentSet::build([("y", &member("nope"))], &mut vocab).unwrap_err();
    assert_eq!(
        (err.segment.as_str(), err.error),
        ("y", CompileError::UnknownSegment("nope".into()))
    );
    let err = SegmentSet::build([("y", &vip), ("y", &vip)], &mut vocab).unwrap_err();
    assert_eq!(err.error, CompileError::DuplicateSegment("y".into()));
}

#[test]
fn live_count_evaluates_what_the_draft_needs() {
    let vip = cmp(Field::OrdersCount, Op::Gte, Value::Number(3.0));
    let mut vocab = Vocabulary::new();
    let set = SegmentSet::build([("vip", &vip)], &mut vocab).unwrap();
    let draft = Rule::All(vec![
        member("vip"),
        cmp(Field::IsCustomer, Op::Eq, Value::Bool(true)),
    ]);
    let draft = compile(&draft, &mut vocab, |id| set.index_of(id)).unwrap();
    let visitors: Vec<Visitor> = (0..10)
        .map(|i| {
            let mut v = Visitor::new();
            v.set_number(Field::OrdersCount, f64::from(i));
            v.set_bool(Field::IsCustomer, i % 2 == 0);
            v
        })
        .collect();
    assert_eq!(set.count(&draft, &visitors, NOW), 3); // 4, 6 and 8
}

#[test]
fn visitors_can_be_reused() {
    let mut vocab = Vocabulary::new();
    vocab.intern("a");
    let mut v = Visitor::new();
    v.set_text(Field::Device, "A", &vocab);
    v.set_text(Field::Device, "b", &vocab);
    v.set_number(Field::CartItems, 2.0);
    viewed(&mut v, &vocab, 1, "a");
    assert_eq!(v.events().len(), 1);
    assert_eq!(v.collections(&v.events()[0]), [0]);
    assert_eq!(v.text(Field::Device), Some((None, "b")));
    v.clear();
    assert_eq!(v.number(Field::CartItems), None);
    assert_eq!(v.text(Field::Device), None);
    assert!(v.events().is_empty());
}
