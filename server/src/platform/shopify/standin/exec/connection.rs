//! Connections: `first`/`last`/`after`/`before`/`reverse`, opaque cursors, `nodes`, `edges`
//! and `pageInfo`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::super::data::gid_number;
use super::super::graphql::Field;
use super::{Exec, MAX_PAGE};

impl Exec<'_> {
    pub(super) fn connection(
        &mut self,
        mut items: Vec<&Value>,
        f: &Field,
        path: &mut Vec<Value>,
    ) -> Value {
        self.actual_cost += 2;
        let size = |v: Value| v.as_i64();
        let (first, last) = (size(self.arg(f, "first")), size(self.arg(f, "last")));
        if first.is_none() && last.is_none() {
            self.field_error("you must provide one of first or last", path, None);
            return Value::Null;
        }
        if let Some(n) = first.or(last).filter(|n| !(0..=MAX_PAGE).contains(n)) {
            self.field_error(
                &format!("The requested page size {n} must be between 0 and {MAX_PAGE}"),
                path,
                None,
            );
            return Value::Null;
        }
        if self.arg(f, "reverse") == true {
            items.reverse();
        }
        let position = |cursor: &Value| {
            let id = cursor.as_str().and_then(decode_cursor)?;
            items
                .iter()
                .position(|n| n["id"].as_str().and_then(gid_number) == Some(id))
        };
        let (after, before) = (self.arg(f, "after"), self.arg(f, "before"));
        let mut lo = 0;
        let mut hi = items.len();
        for (cursor, is_after) in [(&after, true), (&before, false)] {
            if cursor.is_null() {
                continue;
            }
            match position(cursor) {
                Some(i) if is_after => lo = i + 1,
                Some(i) => hi = i,
                None => {
                    self.field_error("Invalid cursor for current pagination sort.", path, None);
                    return Value::Null;
                }
            }
        }
        let hi = hi.max(lo);
        let mut start = lo;
        let mut end = hi;
        if let Some(n) = first {
            end = end.min(start + n as usize);
        }
        if let Some(n) = last {
            start = start.max(end.saturating_sub(n as usize));
        }
        let page: Vec<&Value> = items[start..end].to_vec();
        let mut out = Map::new();
        for x in self.fields(&f.selection, "Connection") {
            path.push(Value::from(x.key()));
            let v = match x.name.as_str() {
                "__typename" => Value::from("Connection"),
                "nodes" => Value::Array(page.iter().map(|n| self.object(n, &x, path)).collect()),
                "edges" => {
                    let mut edges = Vec::new();
                    for n in &page {
                        let mut edge = Map::new();
                        for e in self.fields(&x.selection, "Edge") {
                            let v = match e.name.as_str() {
                                "cursor" => Value::from(cursor_of(n)),
                                "node" => self.object(n, &e, path),
                                "__typename" => Value::from("Edge"),
                                other => {
                                    self.undefined("Edge", other);
                                    Value::Null
                                }
                            };
                            edge.insert(e.key().to_owned(), v);
                        }
                        edges.push(Value::Object(edge));
                    }
                    Value::Array(edges)
                }
                "pageInfo" => {
                    let info = json!({
                        "__typename": "PageInfo",
                        "hasNextPage": end < hi,
                        "hasPreviousPage": start > lo,
                        "startCursor": page.first().map(|n| cursor_of(n)),
                        "endCursor": page.last().map(|n| cursor_of(n)),
                    });
                    self.object(&info, &x, path)
                }
                other => {
                    self.undefined("Connection", other);
                    Value::Null
                }
            };
            path.pop();
            out.insert(x.key().to_owned(), v);
        }
        Value::Object(out)
    }
}

fn cursor_of(node: &Value) -> String {
    let id = node["id"].as_str().and_then(gid_number).unwrap_or(0);
    STANDARD.encode(json!({"last_id": id, "last_value": id.to_string()}).to_string())
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let bytes = STANDARD.decode(cursor).ok()?;
    serde_json::from_slice::<Value>(&bytes).ok()?["last_id"].as_u64()
}
