//! Shopper segments: the rule language on the wire, its validation, the field catalogue the
//! editor renders, built-in templates, and what the admin's segment screens receive.
//!
//! A rule is JSON, one of:
//!
//! ```json
//! {"all": [rule, ...]}            true when every rule is; true when empty
//! {"any": [rule, ...]}            true when some rule is; false when empty
//! {"not": rule}
//! {"field": "orders_count", "op": "gte", "value": 3}
//! {"affinity": "collection", "value": "summer"}
//! {"event": "product_viewed", "collection": "summer", "at_least": 2, "within_days": 7}
//! {"segment": "vip"}
//! ```
//!
//! Fields and the operators each kind takes are in [`FIELDS`]; a comparison on a fact the
//! visitor lacks is false, except `missing`. Groups nest at most [`MAX_DEPTH`] deep, and a rule
//! has at most [`MAX_CONDITIONS`] conditions and [`MAX_GROUPS`] groups.

mod fields;
mod parse;
mod rule;
mod templates;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use fields::{
    DEVICES, FIELDS, Field, FieldGroup, FieldKind, FieldSpec, Op, PRICE_BANDS, SOURCES,
    VISITOR_TYPES,
};
pub use parse::parse_rules;
pub use rule::{AffinityKind, Behaviour, Comparison, EventKind, Operand, Rule, Scalar};
pub use templates::{SegmentTemplate, find_template, templates};

use crate::FieldError;
use crate::storefront::Money;

pub const MAX_DEPTH: usize = 8;
pub const MAX_CONDITIONS: usize = 64;
pub const MAX_GROUPS: usize = 64;
/// Values in one `in` list.
pub const MAX_LIST: usize = 100;
pub const MAX_TEXT_CHARS: usize = 255;
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_DESCRIPTION_CHARS: usize = 500;
pub const MAX_DAYS: i64 = 36_500;
pub const MAX_AT_LEAST: u32 = 1_000;
pub const MAX_WITHIN_DAYS: u32 = 365;
pub const DEFAULT_AT_LEAST: u32 = 1;
pub const DEFAULT_WITHIN_DAYS: u32 = 30;
/// Money and other whole numbers stay within ±2^53, where `f64` (the engine's number) is exact.
pub const MAX_EXACT: i64 = 1 << 53;

/// A segment as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: String,
    pub name: String,
    pub description: String,
    pub rules: serde_json::Value,
    /// The template it was made from, if any.
    pub template: Option<String>,
    /// Profiles in the segment at the last count.
    pub size: u64,
    /// Daily sizes, oldest first.
    pub trend: Vec<u64>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentList {
    pub segments: Vec<Segment>,
}

/// The live count the editor shows while a rule is changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentPreview {
    /// Profiles that match.
    pub count: u64,
    /// Profiles looked at.
    pub total: u64,
    pub sample: Vec<SegmentMember>,
}

/// One matching profile, without personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMember {
    /// Opaque visitor id.
    pub visitor: String,
    pub is_customer: bool,
    pub orders_count: u32,
    /// `None` for visitors who never ordered.
    pub total_spent: Option<Money>,
    pub last_seen: String,
}

/// A group of similar shoppers found by clustering profiles, described in plain words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MicroSegment {
    pub size: u64,
    /// Share of all profiles, 0..=1.
    pub share: f64,
    pub description: String,
    /// Share of members who ordered at least once, 0..=1.
    pub buyer_share: f64,
    pub mean_orders: f64,
    pub mean_total_spent: Money,
    pub median_days_since_last_order: Option<f64>,
    pub mean_sessions: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MicroSegmentList {
    pub segments: Vec<MicroSegment>,
    /// How well separated the groups are (silhouette, -1..=1).
    pub silhouette: f64,
    pub profiles: u64,
}

/// Body of create, update and preview calls. Members are raw JSON so a wrong type is reported
/// against its field by [`SegmentInput::validate`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentInput {
    #[serde(default)]
    pub name: serde_json::Value,
    #[serde(default)]
    pub description: serde_json::Value,
    #[serde(default)]
    pub rules: serde_json::Value,
    /// The template id when the segment started from one.
    #[serde(default)]
    pub template: serde_json::Value,
}

/// A [`SegmentInput`] that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidSegment {
    pub name: String,
    pub description: String,
    pub template: Option<String>,
    pub rule: Rule,
    /// `rule` in canonical JSON (defaults spelled out), what to store.
    pub rules: serde_json::Value,
}

impl SegmentInput {
    pub fn new(name: &str, rules: serde_json::Value) -> Self {
        SegmentInput {
            name: name.into(),
            rules,
            ..Default::default()
        }
    }

    /// Checks every member and reports all problems at once, each naming its path
    /// (`rules.all[2].value`). Never panics, whatever the JSON.
    pub fn validate(&self) -> Result<ValidSegment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = text(&self.name, "name", MAX_NAME_CHARS, Lines::One, &mut errors);
        let description = text(
            &self.description,
            "description",
            MAX_DESCRIPTION_CHARS,
            Lines::Many,
            &mut errors,
        );
        let template = match &self.template {
            serde_json::Value::Null => None,
            serde_json::Value::String(id) if find_template(id).is_some() => Some(id.clone()),
            _ => {
                let ids: Vec<String> = templates().into_iter().map(|t| t.id).collect();
                errors.push(FieldError::new(
                    "template",
                    format!("must be one of {}", ids.join(", ")),
                ));
                None
            }
        };
        let rule = if self.rules.is_null() {
            errors.push(FieldError::new("rules", "is required"));
            None
        } else {
            parse_rules(&self.rules, &mut errors)
        };
        match (name, description, rule) {
            (Some(name), Some(description), Some(rule)) if errors.is_empty() => Ok(ValidSegment {
                name,
                description,
                template,
                rules: rule.to_json(),
                rule,
            }),
            _ => Err(errors),
        }
    }
}

/// A name is one required line; a description is optional and may have several.
#[derive(Clone, Copy, PartialEq)]
enum Lines {
    One,
    Many,
}

fn text(
    value: &serde_json::Value,
    field: &str,
    max_chars: usize,
    lines: Lines,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let required = lines == Lines::One;
    let problem = match value {
        serde_json::Value::String(s) => {
            let s = s.trim();
            if required && s.is_empty() {
                "is required".to_owned()
            } else if s.chars().count() > max_chars {
                format!("must be at most {max_chars} characters")
            } else if s
                .chars()
                .any(|c| c.is_control() && !(lines == Lines::Many && c == '\n'))
            {
                "must not contain control characters".to_owned()
            } else {
                return Some(s.to_owned());
            }
        }
        serde_json::Value::Null if !required => return Some(String::new()),
        serde_json::Value::Null => "is required".to_owned(),
        _ => "must be a string".to_owned(),
    };
    errors.push(FieldError::new(field, problem));
    None
}
