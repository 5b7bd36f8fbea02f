//! From the editor's JSON to a [`Rule`], naming the path of every problem.

use serde_json::{Map, Value};

mod leaves;

use super::rule::Rule;
use super::{MAX_CONDITIONS, MAX_DEPTH, MAX_GROUPS};
use crate::FieldError;

const KINDS: [&str; 7] = ["all", "any", "not", "field", "affinity", "event", "segment"];
const FILTERS: [&str; 5] = ["collection", "product_type", "vendor", "tag", "product"];

/// Parses the `rules` member of a segment body. `None` when anything was wrong, with every
/// problem found pushed to `errors`; the work is bounded by the size limits whatever the input.
pub fn parse_rules(value: &Value, errors: &mut Vec<FieldError>) -> Option<Rule> {
    let before = errors.len();
    let mut p = Parser {
        errors,
        conditions: 0,
        groups: 0,
        stopped: false,
    };
    let rule = p.rule(value, "rules", 0);
    rule.filter(|_| p.errors.len() == before)
}

struct Parser<'e> {
    errors: &'e mut Vec<FieldError>,
    conditions: usize,
    groups: usize,
    /// Set once a size limit is hit: the rest of the input is not looked at.
    stopped: bool,
}

impl Parser<'_> {
    fn err(&mut self, path: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(path, message));
    }

    fn rule(&mut self, value: &Value, path: &str, depth: usize) -> Option<Rule> {
        let obj = value.as_object();
        let kinds: Vec<&str> = KINDS
            .into_iter()
            .filter(|k| obj.is_some_and(|o| o.contains_key(*k)))
            .collect();
        // Everything counts towards a limit, malformed entries too, so no input is unbounded work.
        if matches!(kinds.as_slice(), ["all" | "any" | "not"]) {
            self.groups += 1;
            if self.groups > MAX_GROUPS {
                self.limit(format!("has more than {MAX_GROUPS} groups (all, any, not)"));
            }
        } else {
            self.conditions += 1;
            if self.conditions > MAX_CONDITIONS {
                self.limit(format!("has more than {MAX_CONDITIONS} conditions"));
            }
        }
        if self.stopped {
            return None;
        }
        let Some(obj) = obj else {
            self.err(
                path,
                format!("must be a rule: an object with one of {}", list(KINDS)),
            );
            return None;
        };
        let kind = match kinds.as_slice() {
            [kind] => *kind,
            [] if obj.is_empty() => {
                self.err(path, format!("is empty; a rule has one of {}", list(KINDS)));
                return None;
            }
            [] => {
                let keys = quoted(obj.keys().map(String::as_str));
                self.err(
                    path,
                    format!(
                        "is not a rule: it has {keys} but needs one of {}",
                        list(KINDS)
                    ),
                );
                return None;
            }
            _ => {
                let message = format!(
                    "mixes {}; a rule has exactly one of them",
                    quoted(kinds.iter().copied())
                );
                self.err(path, message);
                return None;
            }
        };
        self.unknown_keys(obj, path, kind);
        match kind {
            "all" | "any" | "not" if depth >= MAX_DEPTH => {
                self.err(path, format!("nests groups more than {MAX_DEPTH} deep"));
                None
            }
            "all" | "any" => self.group(obj, kind, path, depth),
            "not" => {
                let inner = obj.get("not").unwrap_or(&Value::Null);
                let rule = self.rule(inner, &format!("{path}.not"), depth + 1)?;
                Some(Rule::Not(Box::new(rule)))
            }
            "field" => self.comparison(obj, path),
            "affinity" => self.affinity(obj, path),
            "event" => self.behaviour(obj, path),
            _ => self.segment(obj, path),
        }
    }

    fn limit(&mut self, message: String) {
        if !self.stopped {
            self.err("rules", message);
            self.stopped = true;
        }
    }

    fn unknown_keys(&mut self, obj: &Map<String, Value>, path: &str, kind: &str) {
        let (what, allowed): (&str, &[&str]) = match kind {
            "all" => ("an 'all' group", &["all"]),
            "any" => ("an 'any' group", &["any"]),
            "not" => ("a 'not'", &["not"]),
            "field" => ("a comparison", &["field", "op", "value"]),
            "affinity" => ("an affinity", &["affinity", "value"]),
            "event" => (
                "a behaviour",
                &[
                    "event",
                    "collection",
                    "product_type",
                    "vendor",
                    "tag",
                    "product",
                    "at_least",
                    "within_days",
                ],
            ),
            _ => ("a segment membership", &["segment"]),
        };
        // A handful is enough to fix a typo; all of them could be a megabyte of messages.
        for key in obj
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .take(5)
        {
            let message = format!(
                "unknown key '{}'; {what} has {}",
                shown(key),
                list(allowed.iter().copied())
            );
            self.err(&format!("{path}.{}", shown(key)), message);
        }
    }

    fn group(
        &mut self,
        obj: &Map<String, Value>,
        kind: &str,
        path: &str,
        depth: usize,
    ) -> Option<Rule> {
        let path = format!("{path}.{kind}");
        let Some(items) = obj.get(kind).and_then(Value::as_array) else {
            self.err(&path, "must be a list of rules");
            return None;
        };
        let mut rules = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.rule(item, &format!("{path}[{i}]"), depth + 1) {
                Some(rule) => rules.push(rule),
                None => ok = false,
            }
            if self.stopped {
                return None;
            }
        }
        ok.then(|| {
            if kind == "all" {
                Rule::All(rules)
            } else {
                Rule::Any(rules)
            }
        })
    }
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

fn quoted<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let shown: Vec<String> = items
        .into_iter()
        .take(10)
        .map(|s| format!("'{}'", shown(s)))
        .collect();
    shown.join(", ")
}

/// Echoes input back in messages without letting a huge key make a huge message.
fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() > MAX {
        let mut short: String = s.chars().take(MAX).collect();
        short.push('…');
        short
    } else {
        s.to_owned()
    }
}
