//! The rule being edited, as rows of reactive fields the form binds to, and its translation
//! to and from the rule language's JSON.
//!
//! The form edits a top-level `all`/`any` of conditions, where a condition may be one group
//! with its own `all`/`any`. Anything the form cannot show faithfully (deeper nesting, a
//! behaviour with several filters, a `not` of a `not`) is kept as a read-only row holding its
//! JSON, sent back unchanged, so loading and saving never alters a rule the merchant did not
//! touch.

use std::sync::atomic::{AtomicU32, Ordering};

use attune_api::segments::{
    AffinityKind, DEFAULT_AT_LEAST, DEFAULT_WITHIN_DAYS, EventKind, FIELDS, FieldKind, FieldSpec,
    Op,
};
use leptos::prelude::*;
use serde_json::{Map, Value, json};

use super::values::{operand_json, operand_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Field,
    Behaviour,
    Affinity,
    Segment,
    Group,
    /// Shown as JSON, sent back as it came.
    Raw,
}

impl Kind {
    pub const EDITABLE: [Kind; 4] = [Kind::Field, Kind::Behaviour, Kind::Affinity, Kind::Segment];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Field => "field",
            Kind::Behaviour => "event",
            Kind::Affinity => "affinity",
            Kind::Segment => "segment",
            Kind::Group => "group",
            Kind::Raw => "raw",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Field => "Profile or visit fact",
            Kind::Behaviour => "Behaviour",
            Kind::Affinity => "Affinity",
            Kind::Segment => "Member of segment",
            Kind::Group => "Group",
            Kind::Raw => "Other",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::EDITABLE.into_iter().find(|k| k.name() == name)
    }
}

const FILTERS: [&str; 5] = ["collection", "product_type", "vendor", "tag", "product"];

pub fn spec(field: &str) -> Option<FieldSpec> {
    FIELDS.iter().find(|s| s.field.name() == field).copied()
}

pub fn field_kind(field: &str) -> FieldKind {
    spec(field).map_or(FieldKind::Text, |s| s.kind)
}

/// What a new comparison on a field of `kind` starts with.
pub fn default_op(kind: FieldKind) -> Op {
    if kind.ops().contains(&Op::Gte) {
        Op::Gte
    } else {
        Op::Eq
    }
}

/// One condition row. Every kind's inputs live side by side so switching a row's kind and
/// back keeps what was typed.
#[derive(Debug, Clone, Copy)]
pub struct Cond {
    /// Stable across edits: keys the row in lists and ties server errors to it.
    pub key: u32,
    pub kind: RwSignal<Kind>,
    pub negated: RwSignal<bool>,
    pub field: RwSignal<String>,
    pub op: RwSignal<String>,
    pub value: RwSignal<String>,
    /// The upper bound of `between`.
    pub high: RwSignal<String>,
    pub event: RwSignal<String>,
    /// One behaviour filter key, or empty for none.
    pub filter: RwSignal<String>,
    pub filter_value: RwSignal<String>,
    pub at_least: RwSignal<String>,
    pub within_days: RwSignal<String>,
    pub affinity: RwSignal<String>,
    pub affinity_value: RwSignal<String>,
    pub segment: RwSignal<String>,
    /// A group's own match: all (true) or any.
    pub all: RwSignal<bool>,
    pub children: RwSignal<Vec<Cond>>,
    pub raw: RwSignal<Value>,
}

static NEXT_KEY: AtomicU32 = AtomicU32::new(1);

impl Cond {
    pub fn new(kind: Kind) -> Self {
        let first = FIELDS.first().map_or("orders_count", |s| s.field.name());
        Cond {
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            kind: RwSignal::new(kind),
            negated: RwSignal::new(false),
            field: RwSignal::new(first.to_owned()),
            op: RwSignal::new(default_op(field_kind(first)).name().to_owned()),
            value: RwSignal::new(String::new()),
            high: RwSignal::new(String::new()),
            event: RwSignal::new(EventKind::ProductViewed.name().to_owned()),
            filter: RwSignal::new(String::new()),
            filter_value: RwSignal::new(String::new()),
            at_least: RwSignal::new(DEFAULT_AT_LEAST.to_string()),
            within_days: RwSignal::new(DEFAULT_WITHIN_DAYS.to_string()),
            affinity: RwSignal::new(AffinityKind::Collection.name().to_owned()),
            affinity_value: RwSignal::new(String::new()),
            segment: RwSignal::new(String::new()),
            all: RwSignal::new(true),
            children: RwSignal::new(Vec::new()),
            raw: RwSignal::new(Value::Null),
        }
    }

    /// A row for `value`; `nested` rows (inside a group) cannot hold another group.
    pub fn from_json(value: &Value, nested: bool, exp: u32) -> Self {
        let (negated, inner) = match value.as_object().and_then(|o| only(o, "not")) {
            Some(inner) => (true, inner),
            None => (false, value),
        };
        match Cond::plain(inner, nested, exp) {
            Some(c) => {
                c.negated.set(negated);
                c
            }
            None => {
                let c = Cond::new(Kind::Raw);
                c.raw.set(value.clone());
                c
            }
        }
    }

    fn plain(value: &Value, nested: bool, exp: u32) -> Option<Self> {
        let obj = value.as_object()?;
        let keys_within = |allowed: &[&str]| obj.keys().all(|k| allowed.contains(&k.as_str()));
        if let Some((all, items)) = group(obj) {
            if nested {
                return None;
            }
            let c = Cond::new(Kind::Group);
            c.all.set(all);
            c.children.set(
                items
                    .iter()
                    .map(|v| Cond::from_json(v, true, exp))
                    .collect(),
            );
            return Some(c);
        }
        if let Some(field) = obj.get("field").and_then(Value::as_str) {
            let kind = spec(field)?.kind;
            let op = Op::parse(obj.get("op")?.as_str()?)?;
            if !keys_within(&["field", "op", "value"]) || !kind.ops().contains(&op) {
                return None;
            }
            let (text, high) = operand_text(kind, op, obj.get("value"), exp)?;
            let c = Cond::new(Kind::Field);
            c.field.set(field.to_owned());
            c.op.set(op.name().to_owned());
            c.value.set(text);
            c.high.set(high);
            return Some(c);
        }
        if let Some(event) = obj.get("event").and_then(Value::as_str) {
            let event = EventKind::parse(event)?;
            let mut allowed = vec!["event", "at_least", "within_days"];
            allowed.extend(FILTERS);
            if !keys_within(&allowed) {
                return None;
            }
            let set: Vec<(&str, &Value)> = FILTERS
                .iter()
                .filter_map(|k| obj.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
                .collect();
            let c = Cond::new(Kind::Behaviour);
            c.event.set(event.name().to_owned());
            match set.as_slice() {
                [] => {}
                [(key, v)] if event.filters().contains(key) => {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) if *key == "product" => n.to_string(),
                        _ => return None,
                    };
                    c.filter.set((*key).to_owned());
                    c.filter_value.set(text);
                }
                _ => return None,
            }
            for (key, signal) in [("at_least", c.at_least), ("within_days", c.within_days)] {
                match obj.get(key) {
                    None | Some(Value::Null) => {}
                    Some(v) => signal.set(v.as_u64()?.to_string()),
                }
            }
            return Some(c);
        }
        if let Some(kind) = obj.get("affinity").and_then(Value::as_str) {
            let kind = AffinityKind::parse(kind)?;
            let text = obj.get("value")?.as_str()?;
            if !keys_within(&["affinity", "value"]) {
                return None;
            }
            let c = Cond::new(Kind::Affinity);
            c.affinity.set(kind.name().to_owned());
            c.affinity_value.set(text.to_owned());
            return Some(c);
        }
        let id = only(obj, "segment")?.as_str()?;
        let c = Cond::new(Kind::Segment);
        c.segment.set(id.to_owned());
        Some(c)
    }
}

/// The member of a one-member object.
fn only<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    (obj.len() == 1).then(|| obj.get(key)).flatten()
}

/// `{"all": [...]}` → `(true, [...])`, `{"any": [...]}` → `(false, [...])`.
fn group(obj: &Map<String, Value>) -> Option<(bool, &Vec<Value>)> {
    only(obj, "all")
        .and_then(Value::as_array)
        .map(|items| (true, items))
        .or_else(|| {
            only(obj, "any")
                .and_then(Value::as_array)
                .map(|items| (false, items))
        })
}

/// The whole rule: a top-level match over rows.
#[derive(Debug, Clone, Copy)]
pub struct Draft {
    pub all: RwSignal<bool>,
    pub rows: RwSignal<Vec<Cond>>,
}

impl Draft {
    pub fn new() -> Self {
        Draft {
            all: RwSignal::new(true),
            rows: RwSignal::new(Vec::new()),
        }
    }

    /// Replaces the draft with `rules`. A rule that is not a group becomes the one condition
    /// of an `all`, which means the same.
    pub fn load(&self, rules: &Value, exp: u32) {
        match rules.as_object().and_then(group) {
            Some((all, items)) => {
                self.all.set(all);
                self.rows.set(
                    items
                        .iter()
                        .map(|v| Cond::from_json(v, false, exp))
                        .collect(),
                );
            }
            None => {
                self.all.set(true);
                self.rows.set(vec![Cond::from_json(rules, false, exp)]);
            }
        }
    }

    /// The rule as JSON, with where each row sits in it and the problems found before asking
    /// the server. Reads every field, so a memo of it changes whenever anything is edited.
    pub fn build(&self, exp: u32) -> Built {
        let key = if self.all.get() { "all" } else { "any" };
        let mut built = Built::default();
        let items: Vec<Value> = self
            .rows
            .get()
            .iter()
            .enumerate()
            .map(|(i, c)| built.cond(c, format!("rules.{key}[{i}]"), exp))
            .collect();
        built.rules = json!({ key: items });
        built
    }
}

impl Default for Draft {
    fn default() -> Self {
        Draft::new()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Built {
    pub rules: Value,
    /// Each row's key and its path in `rules` as the server names it (`rules.all[2]`).
    pub paths: Vec<(u32, String)>,
    /// Problems found here, by row key: values the server would misread (money, percentages).
    pub local: Vec<(u32, String)>,
}

impl Built {
    fn cond(&mut self, c: &Cond, path: String, exp: u32) -> Value {
        self.paths.push((c.key, path.clone()));
        let kind = c.kind.get();
        let negated = c.negated.get();
        let inner = if negated { format!("{path}.not") } else { path };
        let body = match kind {
            // Sent as it came, its own `not` included.
            Kind::Raw => return c.raw.get(),
            Kind::Field => {
                let field = c.field.get();
                let op = c.op.get();
                let mut m = Map::new();
                m.insert("field".into(), field.as_str().into());
                m.insert("op".into(), op.as_str().into());
                if let (Some(spec), Some(op)) = (spec(&field), Op::parse(&op)) {
                    match operand_json(spec.kind, op, &c.value.get(), &c.high.get(), exp) {
                        Ok(Some(v)) => {
                            m.insert("value".into(), v);
                        }
                        Ok(None) => {}
                        Err(message) => self.local.push((c.key, format!("Value {message}"))),
                    }
                }
                Value::Object(m)
            }
            Kind::Behaviour => {
                let event = c.event.get();
                let mut m = Map::new();
                m.insert("event".into(), event.as_str().into());
                let filter = c.filter.get();
                let applies = EventKind::parse(&event)
                    .is_some_and(|e| e.filters().contains(&filter.as_str()));
                if applies {
                    m.insert(filter, c.filter_value.get().trim().into());
                }
                m.insert("at_least".into(), whole(&c.at_least.get()));
                m.insert("within_days".into(), whole(&c.within_days.get()));
                Value::Object(m)
            }
            Kind::Affinity => json!({
                "affinity": c.affinity.get(),
                "value": c.affinity_value.get().trim(),
            }),
            Kind::Segment => json!({ "segment": c.segment.get() }),
            Kind::Group => {
                let key = if c.all.get() { "all" } else { "any" };
                let items: Vec<Value> = c
                    .children
                    .get()
                    .iter()
                    .enumerate()
                    .map(|(j, child)| self.cond(child, format!("{inner}.{key}[{j}]"), exp))
                    .collect();
                json!({ key: items })
            }
        };
        if negated {
            json!({ "not": body })
        } else {
            body
        }
    }

    /// The row an error path is about (the one whose path is its longest prefix), and what
    /// the rest of the path names, in words.
    pub fn row_of(&self, field: &str) -> Option<(u32, &'static str)> {
        let (key, path) = self
            .paths
            .iter()
            .filter(|(_, p)| {
                field.strip_prefix(p.as_str()).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                })
            })
            .max_by_key(|(_, p)| p.len())?;
        let rest = field[path.len()..].trim_start_matches(".not");
        let part = rest
            .trim_start_matches('.')
            .split(['.', '['])
            .next()
            .unwrap_or("");
        let what = match part {
            "value" => "Value",
            "op" => "Operator",
            "field" => "Field",
            "event" => "Event",
            "at_least" => "At least",
            "within_days" => "Within days",
            "affinity" => "Affinity",
            "segment" => "Segment",
            "collection" | "product_type" | "vendor" | "tag" | "product" => "Filter",
            _ => "",
        };
        Some((*key, what))
    }
}

/// A count as typed: a whole number when it is one, else the text for the server to name.
fn whole(text: &str) -> Value {
    let t = text.trim();
    t.parse::<u64>()
        .map_or_else(|_| Value::from(t), Value::from)
}
