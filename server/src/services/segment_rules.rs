//! Segment rules: from the validated wire rule ([`attune_api::segments::Rule`]) to the engine's
//! AST. Kept apart from storage so the mapping is checked without a database.

use attune_api::segments as wire;
use attune_engine::segments as engine;

/// The engine form of a validated rule. Total: the wire type can only hold what validation
/// let through, and anything the engine would not accept it rejects when compiling.
pub fn to_engine(rule: &wire::Rule) -> engine::Rule {
    match rule {
        wire::Rule::All(rules) => engine::Rule::All(rules.iter().map(to_engine).collect()),
        wire::Rule::Any(rules) => engine::Rule::Any(rules.iter().map(to_engine).collect()),
        wire::Rule::Not(rule) => engine::Rule::Not(Box::new(to_engine(rule))),
        wire::Rule::Compare(c) => engine::Rule::Compare {
            field: field(c.field),
            op: op(c.op),
            value: value(&c.value),
        },
        wire::Rule::Affinity { kind, value } => engine::Rule::Affinity {
            kind: affinity(*kind),
            value: value.clone(),
        },
        wire::Rule::Behaviour(b) => engine::Rule::Behaviour(engine::Behaviour {
            event: event(b.event),
            collection: b.collection.clone(),
            product_type: b.product_type.clone(),
            vendor: b.vendor.clone(),
            tag: b.tag.clone(),
            product: b.product.clone(),
            at_least: b.at_least,
            within_days: b.within_days,
        }),
        wire::Rule::Segment(id) => engine::Rule::Member(id.clone()),
    }
}

fn value(operand: &wire::Operand) -> engine::Value {
    match operand {
        wire::Operand::None => engine::Value::None,
        wire::Operand::One(wire::Scalar::Text(s)) => engine::Value::Text(s.clone()),
        wire::Operand::One(wire::Scalar::Bool(b)) => engine::Value::Bool(*b),
        wire::Operand::One(s) => engine::Value::Number(number(s)),
        wire::Operand::Range(lo, hi) => engine::Value::Range(number(lo), number(hi)),
        wire::Operand::List(items) => {
            let texts: Option<Vec<String>> = items
                .iter()
                .map(|s| match s {
                    wire::Scalar::Text(t) => Some(t.clone()),
                    _ => None,
                })
                .collect();
            match texts {
                Some(texts) => engine::Value::Texts(texts),
                None => engine::Value::Numbers(items.iter().map(number).collect()),
            }
        }
    }
}

/// Money is exact: validation keeps minor units within ±2^53. A non-number becomes NaN, which
/// the engine refuses to compile rather than compare.
fn number(s: &wire::Scalar) -> f64 {
    match s {
        wire::Scalar::Number(x) => *x,
        wire::Scalar::Money(minor) => *minor as f64,
        wire::Scalar::Text(_) | wire::Scalar::Bool(_) => f64::NAN,
    }
}

fn field(f: wire::Field) -> engine::Field {
    use engine::Field as E;
    use wire::Field as W;
    match f {
        W::OrdersCount => E::OrdersCount,
        W::TotalSpent => E::TotalSpent,
        W::AverageOrderValue => E::AverageOrderValue,
        W::DaysSinceLastOrder => E::DaysSinceLastOrder,
        W::RecencyScore => E::RecencyScore,
        W::FrequencyScore => E::FrequencyScore,
        W::MonetaryScore => E::MonetaryScore,
        W::DiscountShare => E::DiscountShare,
        W::PredictedClv => E::PredictedClv,
        W::ChurnRisk => E::ChurnRisk,
        W::PredictedDaysToNextOrder => E::PredictedDaysToNextOrder,
        W::PriceBand => E::PriceBand,
        W::IsCustomer => E::IsCustomer,
        W::PagesViewed => E::PagesViewed,
        W::SessionsCount => E::SessionsCount,
        W::CartValue => E::CartValue,
        W::CartItems => E::CartItems,
        W::DaysSinceFirstSeen => E::DaysSinceFirstSeen,
        W::VisitorType => E::VisitorType,
        W::Source => E::Source,
        W::UtmSource => E::UtmSource,
        W::UtmMedium => E::UtmMedium,
        W::UtmCampaign => E::UtmCampaign,
        W::ReferrerDomain => E::ReferrerDomain,
        W::LandingPage => E::LandingPage,
        W::Device => E::Device,
    }
}

fn op(o: wire::Op) -> engine::Op {
    use engine::Op as E;
    use wire::Op as W;
    match o {
        W::Eq => E::Eq,
        W::Ne => E::Ne,
        W::Gt => E::Gt,
        W::Gte => E::Gte,
        W::Lt => E::Lt,
        W::Lte => E::Lte,
        W::Between => E::Between,
        W::In => E::In,
        W::Contains => E::Contains,
        W::Exists => E::Exists,
        W::Missing => E::Missing,
    }
}

fn affinity(k: wire::AffinityKind) -> engine::AffinityKind {
    match k {
        wire::AffinityKind::Collection => engine::AffinityKind::Collection,
        wire::AffinityKind::ProductType => engine::AffinityKind::ProductType,
        wire::AffinityKind::Vendor => engine::AffinityKind::Vendor,
        wire::AffinityKind::Tag => engine::AffinityKind::Tag,
    }
}

fn event(k: wire::EventKind) -> engine::EventKind {
    use engine::EventKind as E;
    use wire::EventKind as W;
    match k {
        W::PageViewed => E::PageViewed,
        W::ProductViewed => E::ProductViewed,
        W::CollectionViewed => E::CollectionViewed,
        W::SearchSubmitted => E::SearchSubmitted,
        W::ProductAddedToCart => E::ProductAddedToCart,
        W::CheckoutStarted => E::CheckoutStarted,
        W::CheckoutCompleted => E::CheckoutCompleted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::{
        EventFacts, EventKind, Field, Membership, SegmentSet, Visitor, Vocabulary, compile,
    };
    use serde_json::json;

    fn parse(rules: serde_json::Value) -> engine::Rule {
        to_engine(&wire::SegmentInput::new("x", rules).validate().unwrap().rule)
    }

    #[test]
    fn names_and_operators_match_the_engine() {
        for spec in wire::FIELDS {
            assert_eq!(field(spec.field).name(), spec.field.name());
        }
        for o in wire::Op::ALL {
            assert_eq!(op(o).name(), o.name());
        }
        for (w, e) in wire::EventKind::ALL.into_iter().zip(engine::EventKind::ALL) {
            assert_eq!(event(w), e);
        }
        for (w, e) in wire::AffinityKind::ALL
            .into_iter()
            .zip(engine::AffinityKind::ALL)
        {
            assert_eq!(affinity(w), e);
        }
    }

    #[test]
    fn every_template_compiles_together() {
        let rules: Vec<(String, engine::Rule)> = wire::templates()
            .into_iter()
            .map(|t| (t.id, parse(t.rules)))
            .collect();
        let mut vocab = Vocabulary::new();
        let set = SegmentSet::build(rules.iter().map(|(id, r)| (id.as_str(), r)), &mut vocab);
        assert_eq!(set.unwrap().len(), rules.len());
    }

    #[test]
    fn values_keep_their_meaning() {
        let rule = parse(json!({"all": [
            {"field": "total_spent", "op": "between", "value": [9_007_199_254_740_991_i64, 9_007_199_254_740_992_i64]},
            {"field": "device", "op": "in", "value": ["mobile"]},
            {"field": "is_customer", "op": "eq", "value": true},
            {"segment": "vip"}
        ]}));
        let vip = parse(json!({"field": "orders_count", "op": "gte", "value": 3}));
        let mut vocab = Vocabulary::new();
        let set = SegmentSet::build([("vip", &vip), ("draft", &rule)], &mut vocab).unwrap();
        let mut v = Visitor::new();
        v.set_money(Field::TotalSpent, 9_007_199_254_740_991);
        v.set_text(Field::Device, "Mobile", &vocab);
        v.set_bool(Field::IsCustomer, true);
        v.set_number(Field::OrdersCount, 3.0);
        let draft = set.index_of("draft").unwrap();
        assert!(set.evaluate(&v, 0).contains(draft));
        v.set_money(Field::TotalSpent, 9_007_199_254_740_990);
        assert!(!set.evaluate(&v, 0).contains(draft));
    }

    #[test]
    fn templates_mean_what_they_say() {
        let now = 1_750_000_000;
        let day = 86_400;
        let abandoner = parse(wire::find_template("cart_abandoner").unwrap().rules);
        let lapsed = parse(wire::find_template("lapsed_customer").unwrap().rules);
        let mut vocab = Vocabulary::new();
        let abandoner = compile(&abandoner, &mut vocab, |_| None).unwrap();
        let lapsed = compile(&lapsed, &mut vocab, |_| None).unwrap();
        let none = Membership::new();
        let mut v = Visitor::new();
        v.push_event(EventFacts::new(EventKind::ProductAddedToCart, now - day));
        assert!(abandoner.matches(&v, now, &none));
        v.push_event(EventFacts::new(EventKind::CheckoutCompleted, now - 2 * day));
        assert!(!abandoner.matches(&v, now, &none));
        v.set_bool(Field::IsCustomer, true);
        v.set_number(Field::DaysSinceLastOrder, 121.0);
        assert!(lapsed.matches(&v, now, &none));
        v.set_number(Field::DaysSinceLastOrder, 120.0);
        assert!(!lapsed.matches(&v, now, &none));
        v.set_number(Field::ChurnRisk, 0.7);
        assert!(lapsed.matches(&v, now, &none));
    }
}
