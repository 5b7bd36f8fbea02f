//! Shopify's search syntax for the `query:` argument of root connections, the part that
//! syncs use: `updated_at:>'2026-10-01T00:00:00Z' status:active -tag:x`. Terms are ANDed;
//! a term on a field this stand-in does not know is ignored, as Shopify ignores unknown
//! filters; a bare word matches the title.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use super::data::gid_number;

#[derive(Debug, Clone, PartialEq)]
struct Term {
    negated: bool,
    field: Option<String>,
    op: Op,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Gt,
    Ge,
    Lt,
    Le,
}

pub(super) struct Filter(Vec<Term>);

impl Filter {
    pub(super) fn parse(query: &str) -> Filter {
        let mut terms = Vec::new();
        for word in words(query) {
            if word == "AND" || word == "OR" {
                continue;
            }
            let (negated, word) = match word.strip_prefix('-') {
                Some(rest) => (true, rest.to_owned()),
                None => (false, word),
            };
            let (field, rest) = match word.split_once(':') {
                Some((f, r)) if !f.is_empty() => (Some(f.to_ascii_lowercase()), r.to_owned()),
                _ => (None, word.clone()),
            };
            let (op, value) = [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)]
                .iter()
                .find_map(|(p, op)| rest.strip_prefix(p).map(|v| (*op, v.to_owned())))
                .unwrap_or((Op::Eq, rest));
            let value = value.trim_matches(|c| c == '\'' || c == '"').to_owned();
            terms.push(Term {
                negated,
                field,
                op,
                value,
            });
        }
        Filter(terms)
    }

    pub(super) fn matches(&self, node: &Value) -> bool {
        self.0.iter().all(|t| t.matches(node) != t.negated)
    }
}

impl Term {
    fn matches(&self, node: &Value) -> bool {
        let text = |key: &str| node[key].as_str().unwrap_or_default().to_ascii_lowercase();
        let want = self.value.to_ascii_lowercase();
        let Some(field) = self.field.as_deref() else {
            return text("title").contains(&want) || text("name").contains(&want);
        };
        match field {
            "updated_at" | "created_at" | "processed_at" => {
                let key = match field {
                    "updated_at" => "updatedAt",
                    "created_at" => "createdAt",
                    _ => "processedAt",
                };
                match (time(node[key].as_str()), time(Some(&self.value))) {
                    (Some(a), Some(b)) => self.op.holds(a.cmp(&b)),
                    _ => false,
                }
            }
            "id" => match (
                node["id"].as_str().and_then(gid_number),
                self.value.parse::<u64>().ok(),
            ) {
                (Some(a), Some(b)) => self.op.holds(a.cmp(&b)),
                _ => false,
            },
            "status" => text("status") == want,
            "vendor" => text("vendor") == want,
            "product_type" => text("productType") == want,
            "handle" => text("handle") == want,
            "title" => text("title").contains(&want),
            "name" => text("name") == want || text("name") == format!("#{want}"),
            "financial_status" => text("displayFinancialStatus") == want,
            "tag" => node["tags"].as_array().is_some_and(|tags| {
                tags.iter()
                    .any(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case(&want)))
            }),
            "customer_id" => node["customer"]["__ref"]
                .as_str()
                .and_then(gid_number)
                .is_some_and(|id| id.to_string() == self.value),
            _ => true,
        }
    }
}

impl Op {
    fn holds(self, o: Ordering) -> bool {
        match self {
            Op::Eq => o == Ordering::Equal,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
        }
    }
}

fn time(s: Option<&str>) -> Option<DateTime<Utc>> {
    let s = s?;
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
                .map(|d| d.and_utc())
        })
}

/// Splits on whitespace outside quotes.
fn words(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in query.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (Some(q), c) if c == q => {
                quote = None;
                current.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            (_, c) => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_by_time_status_and_tags() {
        let p = json!({"id": "gid://shopify/Product/5", "title": "Black Thong", "status": "ACTIVE",
            "updatedAt": "2026-10-02T10:00:00Z", "tags": ["New", "sale"]});
        let f = |q: &str| Filter::parse(q).matches(&p);
        assert!(f("updated_at:>'2026-10-01T00:00:00Z'"));
        assert!(!f("updated_at:>'2026-10-02T10:00:00Z'"));
        assert!(f("updated_at:>='2026-10-02T10:00:00Z' AND status:active"));
        assert!(f("updated_at:>2026-10-01"));
        assert!(!f("status:draft"));
        assert!(f("tag:sale -tag:clearance"));
        assert!(f("id:>4 thong"));
        assert!(!f("id:<5"));
    }
}
