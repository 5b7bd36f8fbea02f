//! A validated rule as typed data, and its canonical JSON form.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::fields::{Field, Op};

/// A rule that passed validation; see the module docs for the JSON it comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Compare(Comparison),
    Affinity {
        kind: AffinityKind,
        value: String,
    },
    Behaviour(Behaviour),
    /// Another segment of the same shop, by id.
    Segment(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub field: Field,
    pub op: Op,
    pub value: Operand,
}

/// The constant side of a comparison, already checked against the field's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// For `exists` and `missing`.
    None,
    One(Scalar),
    /// `between`: low, high, with low ≤ high.
    Range(Scalar, Scalar),
    /// `in`: at least one value.
    List(Vec<Scalar>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Number, days, score and ratio fields.
    Number(f64),
    /// Integer minor units, at most 2^53 in size so it converts to `f64` exactly.
    Money(i64),
    /// Text and one-of fields, trimmed.
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    pub event: EventKind,
    pub collection: Option<String>,
    pub product_type: Option<String>,
    pub vendor: Option<String>,
    pub tag: Option<String>,
    /// The platform's product id.
    pub product: Option<String>,
    pub at_least: u32,
    pub within_days: u32,
}

impl Behaviour {
    pub fn new(event: EventKind) -> Self {
        Behaviour {
            event,
            collection: None,
            product_type: None,
            vendor: None,
            tag: None,
            product: None,
            at_least: super::DEFAULT_AT_LEAST,
            within_days: super::DEFAULT_WITHIN_DAYS,
        }
    }

    /// The optional filters by their JSON key.
    pub fn filters(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("collection", self.collection.as_deref()),
            ("product_type", self.product_type.as_deref()),
            ("vendor", self.vendor.as_deref()),
            ("tag", self.tag.as_deref()),
            ("product", self.product.as_deref()),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AffinityKind {
    Collection,
    ProductType,
    Vendor,
    Tag,
}

impl AffinityKind {
    pub const ALL: [AffinityKind; 4] = [
        AffinityKind::Collection,
        AffinityKind::ProductType,
        AffinityKind::Vendor,
        AffinityKind::Tag,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AffinityKind::Collection => "collection",
            AffinityKind::ProductType => "product_type",
            AffinityKind::Vendor => "vendor",
            AffinityKind::Tag => "tag",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Storefront events a behaviour condition can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    PageViewed,
    ProductViewed,
    CollectionViewed,
    SearchSubmitted,
    ProductAddedToCart,
    CheckoutStarted,
    CheckoutCompleted,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::PageViewed,
        EventKind::ProductViewed,
        EventKind::CollectionViewed,
        EventKind::SearchSubmitted,
        EventKind::ProductAddedToCart,
        EventKind::CheckoutStarted,
        EventKind::CheckoutCompleted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::PageViewed => "page_viewed",
            EventKind::ProductViewed => "product_viewed",
            EventKind::CollectionViewed => "collection_viewed",
            EventKind::SearchSubmitted => "search_submitted",
            EventKind::ProductAddedToCart => "product_added_to_cart",
            EventKind::CheckoutStarted => "checkout_started",
            EventKind::CheckoutCompleted => "checkout_completed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The filters an event of this kind can satisfy: page views and searches are about no
    /// product, and a collection view only about its collection.
    pub fn filters(self) -> &'static [&'static str] {
        match self {
            EventKind::PageViewed | EventKind::SearchSubmitted => &[],
            EventKind::CollectionViewed => &["collection"],
            EventKind::ProductViewed
            | EventKind::ProductAddedToCart
            | EventKind::CheckoutStarted
            | EventKind::CheckoutCompleted => {
                &["collection", "product_type", "vendor", "tag", "product"]
            }
        }
    }
}

impl Rule {
    /// The rule as the editor writes it, with defaults spelled out.
    pub fn to_json(&self) -> Value {
        match self {
            Rule::All(rules) => {
                json!({ "all": rules.iter().map(Rule::to_json).collect::<Vec<_>>() })
            }
            Rule::Any(rules) => {
                json!({ "any": rules.iter().map(Rule::to_json).collect::<Vec<_>>() })
            }
            Rule::Not(rule) => json!({ "not": rule.to_json() }),
            Rule::Compare(c) => {
                let mut m = Map::new();
                m.insert("field".into(), c.field.name().into());
                m.insert("op".into(), c.op.name().into());
                let value = match &c.value {
                    Operand::None => None,
                    Operand::One(s) => Some(s.to_json()),
                    Operand::Range(lo, hi) => Some(json!([lo.to_json(), hi.to_json()])),
                    Operand::List(xs) => {
                        Some(Value::Array(xs.iter().map(Scalar::to_json).collect()))
                    }
                };
                if let Some(value) = value {
                    m.insert("value".into(), value);
                }
                Value::Object(m)
            }
            Rule::Affinity { kind, value } => json!({ "affinity": kind.name(), "value": value }),
            Rule::Behaviour(b) => {
                let mut m = Map::new();
                m.insert("event".into(), b.event.name().into());
                for (key, value) in b.filters() {
                    if let Some(value) = value {
                        m.insert(key.into(), value.into());
                    }
                }
                m.insert("at_least".into(), b.at_least.into());
                m.insert("within_days".into(), b.within_days.into());
                Value::Object(m)
            }
            Rule::Segment(id) => json!({ "segment": id }),
        }
    }

    /// Ids of the segments this rule refers to, so the server can check they exist and
    /// recount dependents when one changes.
    pub fn segments(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(rule) = stack.pop() {
            match rule {
                Rule::All(rules) | Rule::Any(rules) => stack.extend(rules.iter().rev()),
                Rule::Not(rule) => stack.push(rule),
                Rule::Segment(id) => out.push(id.as_str()),
                Rule::Compare(_) | Rule::Affinity { .. } | Rule::Behaviour(_) => {}
            }
        }
        out
    }
}

impl Scalar {
    pub fn to_json(&self) -> Value {
        match self {
            Scalar::Number(x) => number_json(*x),
            Scalar::Money(m) => (*m).into(),
            Scalar::Text(s) => s.as_str().into(),
            Scalar::Bool(b) => (*b).into(),
        }
    }
}

/// Whole numbers are written without a fraction, as a merchant would type them.
fn number_json(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() <= super::MAX_EXACT as f64 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}
