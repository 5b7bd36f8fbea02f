//! Checks of the leaves of a rule (comparisons, affinities, behaviours, memberships) and of
//! the values in them.

use serde_json::{Map, Value};

use super::{FILTERS, Parser, list, shown};
use crate::segments::fields::{Field, FieldKind, Op};
use crate::segments::rule::{
    AffinityKind, Behaviour, Comparison, EventKind, Operand, Rule, Scalar,
};
use crate::segments::{
    DEFAULT_AT_LEAST, DEFAULT_WITHIN_DAYS, FIELDS, MAX_AT_LEAST, MAX_DAYS, MAX_EXACT, MAX_LIST,
    MAX_TEXT_CHARS, MAX_WITHIN_DAYS,
};

impl Parser<'_> {
    pub(super) fn comparison(&mut self, obj: &Map<String, Value>, path: &str) -> Option<Rule> {
        let field_path = format!("{path}.field");
        let field = match obj.get("field") {
            Some(Value::String(name)) => {
                let field = Field::parse(name);
                if field.is_none() {
                    let names = list(FIELDS.iter().map(|s| s.field.name()));
                    self.err(
                        &field_path,
                        format!("unknown field '{}'; expected one of {names}", shown(name)),
                    );
                }
                field
            }
            _ => {
                self.err(&field_path, "must be a field name");
                None
            }
        };
        let op_path = format!("{path}.op");
        let ops = || list(Op::ALL.iter().map(|o| o.name()));
        let op = match obj.get("op") {
            Some(Value::String(name)) => {
                let op = Op::parse(name);
                if op.is_none() {
                    self.err(
                        &op_path,
                        format!(
                            "unknown operator '{}'; expected one of {}",
                            shown(name),
                            ops()
                        ),
                    );
                }
                op
            }
            None | Some(Value::Null) => {
                self.err(&op_path, format!("is required; one of {}", ops()));
                None
            }
            Some(_) => {
                self.err(
                    &op_path,
                    format!("must be an operator name; one of {}", ops()),
                );
                None
            }
        };
        let (field, op) = (field?, op?);
        let kind = field.kind();
        if !kind.ops().contains(&op) {
            let allowed = list(kind.ops().iter().map(|o| o.name()));
            let message = format!(
                "'{}' does not apply to {} ({}); use one of {allowed}",
                op.name(),
                field.name(),
                kind.name()
            );
            self.err(&op_path, message);
            return None;
        }
        let value = self.operand(kind, op, obj.get("value"), &format!("{path}.value"))?;
        Some(Rule::Compare(Comparison { field, op, value }))
    }

    fn operand(
        &mut self,
        kind: FieldKind,
        op: Op,
        value: Option<&Value>,
        path: &str,
    ) -> Option<Operand> {
        let value = match (op, value) {
            (Op::Exists | Op::Missing, None | Some(Value::Null)) => return Some(Operand::None),
            (Op::Exists | Op::Missing, Some(_)) => {
                self.err(
                    path,
                    format!("must be left out: '{}' takes no value", op.name()),
                );
                return None;
            }
            (_, None | Some(Value::Null)) => {
                self.err(path, "is required");
                return None;
            }
            (_, Some(value)) => value,
        };
        match op {
            Op::Between => {
                let Some([lo, hi]) = value.as_array().map(Vec::as_slice) else {
                    self.err(path, "must be a list of two values: [low, high]");
                    return None;
                };
                let lo = self.scalar(kind, lo, &format!("{path}[0]"));
                let hi = self.scalar(kind, hi, &format!("{path}[1]"));
                let (lo, hi) = (lo?, hi?);
                let ordered = match (&lo, &hi) {
                    (Scalar::Number(a), Scalar::Number(b)) => a <= b,
                    (Scalar::Money(a), Scalar::Money(b)) => a <= b,
                    _ => false,
                };
                if !ordered {
                    self.err(path, "low must not be above high");
                    return None;
                }
                Some(Operand::Range(lo, hi))
            }
            Op::In => {
                let items = match value.as_array() {
                    Some(items) if items.len() > MAX_LIST => {
                        self.err(path, format!("must have at most {MAX_LIST} values"));
                        return None;
                    }
                    Some(items) if !items.is_empty() => items,
                    _ => {
                        self.err(path, "must be a non-empty list of values");
                        return None;
                    }
                };
                let scalars: Vec<Option<Scalar>> = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.scalar(kind, item, &format!("{path}[{i}]")))
                    .collect();
                scalars
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Operand::List)
            }
            _ => self.scalar(kind, value, path).map(Operand::One),
        }
    }

    fn scalar(&mut self, kind: FieldKind, value: &Value, path: &str) -> Option<Scalar> {
        let number = value.as_f64();
        let whole = whole(value);
        let scalar = match kind {
            FieldKind::Number => number.map(Scalar::Number),
            FieldKind::Money => whole.map(Scalar::Money),
            FieldKind::Days => whole
                .filter(|d| (0..=MAX_DAYS).contains(d))
                .map(|d| Scalar::Number(d as f64)),
            FieldKind::Score => whole
                .filter(|s| (1..=5).contains(s))
                .map(|s| Scalar::Number(s as f64)),
            FieldKind::Ratio => number
                .filter(|r| (0.0..=1.0).contains(r))
                .map(Scalar::Number),
            FieldKind::Text => return self.text(value, path).map(Scalar::Text),
            FieldKind::OneOf(allowed) => value
                .as_str()
                .filter(|s| allowed.contains(s))
                .map(|s| Scalar::Text(s.to_owned())),
            FieldKind::Bool => value.as_bool().map(Scalar::Bool),
        };
        if scalar.is_none() {
            let message = match kind {
                FieldKind::Number => "must be a number".to_owned(),
                FieldKind::Money => {
                    "must be a number of minor units (a whole number, e.g. 5000 for 50.00)"
                        .to_owned()
                }
                FieldKind::Days => format!("must be a whole number of days from 0 to {MAX_DAYS}"),
                FieldKind::Score => "must be a score from 1 to 5".to_owned(),
                FieldKind::Ratio => "must be a number from 0 to 1".to_owned(),
                FieldKind::OneOf(allowed) => {
                    format!("must be one of {}", list(allowed.iter().copied()))
                }
                FieldKind::Text => "must be text".to_owned(),
                FieldKind::Bool => "must be true or false".to_owned(),
            };
            self.err(path, message);
        }
        scalar
    }

    /// Names and text values: trimmed, non-empty, bounded, printable.
    fn text(&mut self, value: &Value, path: &str) -> Option<String> {
        let Some(s) = value.as_str() else {
            self.err(path, "must be text");
            return None;
        };
        let s = s.trim();
        let problem = if s.is_empty() {
            Some("must not be empty".to_owned())
        } else if s.chars().count() > MAX_TEXT_CHARS {
            Some(format!("must be at most {MAX_TEXT_CHARS} characters"))
        } else if s.chars().any(char::is_control) {
            Some("must not contain control characters".to_owned())
        } else {
            None
        };
        match problem {
            Some(message) => {
                self.err(path, message);
                None
            }
            None => Some(s.to_owned()),
        }
    }

    pub(super) fn affinity(&mut self, obj: &Map<String, Value>, path: &str) -> Option<Rule> {
        let kind = obj
            .get("affinity")
            .and_then(Value::as_str)
            .and_then(AffinityKind::parse);
        if kind.is_none() {
            let kinds = list(AffinityKind::ALL.iter().map(|k| k.name()));
            self.err(
                &format!("{path}.affinity"),
                format!("must be one of {kinds}"),
            );
        }
        let value = self.text(
            obj.get("value").unwrap_or(&Value::Null),
            &format!("{path}.value"),
        );
        Some(Rule::Affinity {
            kind: kind?,
            value: value?,
        })
    }

    pub(super) fn behaviour(&mut self, obj: &Map<String, Value>, path: &str) -> Option<Rule> {
        let event = obj
            .get("event")
            .and_then(Value::as_str)
            .and_then(EventKind::parse);
        if event.is_none() {
            let events = list(EventKind::ALL.iter().map(|k| k.name()));
            self.err(&format!("{path}.event"), format!("must be one of {events}"));
        }
        let mut ok = event.is_some();
        let mut filters: [Option<String>; 5] = Default::default();
        for (key, slot) in FILTERS.into_iter().zip(&mut filters) {
            let Some(value) = obj.get(key).filter(|v| !v.is_null()) else {
                continue;
            };
            let key_path = format!("{path}.{key}");
            if let Some(event) = event.filter(|e| !e.filters().contains(&key)) {
                let allowed = match event.filters() {
                    [] => "none".to_owned(),
                    keys => list(keys.iter().copied()),
                };
                let message = format!(
                    "does not apply to {} events (filters for them: {allowed})",
                    event.name()
                );
                self.err(&key_path, message);
                ok = false;
                continue;
            }
            *slot = if key == "product" {
                self.product(value, &key_path)
            } else {
                self.text(value, &key_path)
            };
            ok &= slot.is_some();
        }
        let at_least = self.bounded(obj, "at_least", path, 1..=MAX_AT_LEAST, DEFAULT_AT_LEAST);
        let within_days = self.bounded(
            obj,
            "within_days",
            path,
            1..=MAX_WITHIN_DAYS,
            DEFAULT_WITHIN_DAYS,
        );
        let [collection, product_type, vendor, tag, product] = filters;
        let behaviour = Behaviour {
            event: event?,
            collection,
            product_type,
            vendor,
            tag,
            product,
            at_least: at_least?,
            within_days: within_days?,
        };
        ok.then_some(Rule::Behaviour(behaviour))
    }

    fn bounded(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        path: &str,
        range: std::ops::RangeInclusive<u32>,
        default: u32,
    ) -> Option<u32> {
        let Some(value) = obj.get(key).filter(|v| !v.is_null()) else {
            return Some(default);
        };
        let n = whole(value)
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| range.contains(n));
        if n.is_none() {
            let message = format!(
                "must be a whole number from {} to {}",
                range.start(),
                range.end()
            );
            self.err(&format!("{path}.{key}"), message);
        }
        n
    }

    /// The platform's product id, as text or a number.
    fn product(&mut self, value: &Value, path: &str) -> Option<String> {
        let id = match value {
            Value::String(s) => Some(s.trim().to_owned()),
            Value::Number(_) => whole(value).filter(|n| *n > 0).map(|n| n.to_string()),
            _ => None,
        }
        .filter(|s| id_ok(s));
        if id.is_none() {
            self.err(path, "must be a product id");
        }
        id
    }

    pub(super) fn segment(&mut self, obj: &Map<String, Value>, path: &str) -> Option<Rule> {
        let id = obj
            .get("segment")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| id_ok(s));
        if id.is_none() {
            self.err(&format!("{path}.segment"), "must be a segment id");
        }
        id.map(|id| Rule::Segment(id.to_owned()))
    }
}

/// Whole numbers, also when written with a zero fraction, within the range `f64` holds exactly.
fn whole(value: &Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|x| x.fract() == 0.0 && x.abs() <= MAX_EXACT as f64)
                .map(|x| x as i64)
        })
        .filter(|n| n.unsigned_abs() <= MAX_EXACT as u64)
}

fn id_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
