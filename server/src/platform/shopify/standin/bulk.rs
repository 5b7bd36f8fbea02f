//! Bulk operations: `bulkOperationRunQuery` snapshots the result at once, then reports the
//! operation `CREATED`, `RUNNING`, and `COMPLETED` after two polls or 300 ms, with `url` =
//! `{base}/files/{n}.jsonl`. Without `groupObjects` the file is written ungrouped: children
//! come after their parent but scattered among later lines (deterministic per query).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::data::{Rng, Store, gid, gid_number, iso, mix_str};
use super::exec::{BulkLine, BulkRefusal, Exec};
use super::graphql;

const FIRST_OPERATION: u64 = 5_000_000_001;
const RUN_TIME: Duration = Duration::from_millis(300);
const POLLS_TO_COMPLETE: u32 = 2;

pub(super) struct BulkOp {
    number: u64,
    query: String,
    created_at: DateTime<Utc>,
    started: Instant,
    polls: u32,
    completed_at: Option<DateTime<Utc>>,
    canceled_at: Option<DateTime<Utc>>,
    /// The file, or `None` when the query was denied (the operation fails).
    file: Option<File>,
}

struct File {
    jsonl: Arc<String>,
    objects: usize,
    roots: usize,
}

impl BulkOp {
    fn done(&self) -> bool {
        self.polls >= POLLS_TO_COMPLETE || self.started.elapsed() >= RUN_TIME
    }

    fn status(&self) -> &'static str {
        match (self.canceled_at, self.done(), &self.file) {
            (Some(_), _, _) => "CANCELED",
            (None, false, _) => "RUNNING",
            (None, true, Some(_)) => "COMPLETED",
            (None, true, None) => "FAILED",
        }
    }

    /// The operation as `BulkOperationFields` reads it.
    fn snapshot(&mut self, base_url: &str, just_created: bool) -> Value {
        let status = if just_created {
            "CREATED"
        } else {
            self.status()
        };
        let finished = matches!(status, "COMPLETED" | "FAILED");
        if finished && self.completed_at.is_none() {
            self.completed_at = Some(Utc::now());
        }
        let (objects, roots, size) = match (&self.file, status) {
            (Some(f), "COMPLETED") => (f.objects, f.roots, Some(f.jsonl.len())),
            (Some(f), "RUNNING") => (f.objects / 2, f.roots / 2, None),
            _ => (0, 0, None),
        };
        json!({
            "__typename": "BulkOperation",
            "id": gid("BulkOperation", self.number),
            "type": "QUERY",
            "status": status,
            "errorCode": (status == "FAILED").then_some("ACCESS_DENIED"),
            "createdAt": iso(self.created_at),
            "completedAt": self.completed_at.or(self.canceled_at).map(iso),
            "objectCount": objects.to_string(),
            "rootObjectCount": roots.to_string(),
            "fileSize": size.map(|s| s.to_string()),
            "url": (status == "COMPLETED").then(|| format!("{base_url}/files/{}.jsonl", self.number)),
            "partialDataUrl": null,
            "query": self.query,
        })
    }
}

#[derive(Default)]
pub(super) struct Bulk {
    ops: Vec<BulkOp>,
}

impl Bulk {
    /// Snapshots of every operation, oldest first; each read counts as a poll.
    pub(super) fn snapshots(&mut self, base_url: &str) -> Vec<Value> {
        self.ops
            .iter_mut()
            .map(|op| {
                op.polls += 1;
                op.snapshot(base_url, false)
            })
            .collect()
    }

    /// The result file of operation `number`, once it completed.
    pub(super) fn file(&self, number: u64) -> Option<Arc<String>> {
        let op = self.ops.iter().find(|o| o.number == number)?;
        (op.status() == "COMPLETED").then(|| op.file.as_ref().map(|f| f.jsonl.clone()))?
    }

    /// `bulkOperationRunQuery`: the payload, and whether an operation started.
    pub(super) fn run_query(
        &mut self,
        store: &Store,
        base_url: &str,
        args: &Map<String, Value>,
    ) -> (Value, bool) {
        let query = args
            .get("query")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let grouped = args
            .get("groupObjects")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let refused = |message: String| {
            json!({
                "__typename": "BulkOperationRunQueryPayload",
                "bulkOperation": null,
                "userErrors": [{"__typename": "BulkOperationUserError", "field": ["query"], "message": message, "code": "INVALID"}],
            })
        };
        let doc = match graphql::parse(&query) {
            Ok(doc) => doc,
            Err(e) => return (refused(format!("Invalid bulk query: {}", e.message)), false),
        };
        let op = match doc.operation(None) {
            Ok(op) => op,
            Err(e) => return (refused(format!("Invalid bulk query: {e}")), false),
        };
        let file = match Exec::new(store, &doc, op, &Map::new()).run_bulk(op) {
            Ok(lines) => Some(write(lines, grouped, mix_str(&query))),
            Err(BulkRefusal::Invalid(m)) => return (refused(m), false),
            Err(BulkRefusal::AccessDenied) => None,
        };
        let number = FIRST_OPERATION + self.ops.len() as u64;
        let mut op = BulkOp {
            number,
            query,
            created_at: Utc::now(),
            started: Instant::now(),
            polls: 0,
            completed_at: None,
            canceled_at: None,
            file,
        };
        let snapshot = op.snapshot(base_url, true);
        self.ops.push(op);
        let payload = json!({
            "__typename": "BulkOperationRunQueryPayload",
            "bulkOperation": snapshot,
            "userErrors": [],
        });
        (payload, true)
    }

    pub(super) fn cancel(&mut self, base_url: &str, args: &Map<String, Value>) -> Value {
        let number = args.get("id").and_then(Value::as_str).and_then(gid_number);
        let Some(op) = self.ops.iter_mut().find(|o| Some(o.number) == number) else {
            return json!({"__typename": "BulkOperationCancelPayload", "bulkOperation": null,
                "userErrors": [{"__typename": "UserError", "field": ["id"], "message": "Bulk operation does not exist"}]});
        };
        let mut errors = Vec::new();
        if op.status() == "RUNNING" {
            op.canceled_at = Some(Utc::now());
        } else {
            errors.push(json!({"__typename": "UserError", "field": ["id"],
                "message": format!("A bulk operation cannot be canceled when it is {}", op.status().to_lowercase())}));
        }
        json!({"__typename": "BulkOperationCancelPayload", "bulkOperation": op.snapshot(base_url, false), "userErrors": errors})
    }
}

/// The JSONL file. Grouped: each object followed by its children. Ungrouped: each child is
/// placed after its parent at a pseudo-random distance, so children rarely follow directly.
fn write(lines: Vec<BulkLine>, grouped: bool, seed: u64) -> File {
    let roots = lines.iter().filter(|l| l.parent.is_none()).count();
    let objects = lines.len();
    let mut ordered: Vec<(f64, Value)> = Vec::with_capacity(lines.len());
    let mut rng = Rng::new(seed);
    let mut keys: HashMap<String, f64> = HashMap::new();
    let mut root_index = 0.0;
    for line in lines {
        let key = match (&line.parent, grouped) {
            (_, true) => ordered.len() as f64,
            (None, false) => {
                root_index += 10.0;
                root_index
            }
            (Some(p), false) => keys.get(p).copied().unwrap_or(0.0) + 1.0 + rng.unit() * 45.0,
        };
        if let Some(id) = line.id {
            keys.insert(id, key);
        }
        ordered.push((key, line.value));
    }
    ordered.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut jsonl = String::new();
    for (_, v) in ordered {
        jsonl.push_str(&v.to_string());
        jsonl.push('\n');
    }
    File {
        jsonl: Arc::new(jsonl),
        objects,
        roots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<BulkLine> {
        let mut out = Vec::new();
        for p in 0..6 {
            let pid = format!("gid://shopify/Product/{p}");
            out.push(BulkLine {
                value: json!({"id": pid}),
                id: Some(pid.clone()),
                parent: None,
            });
            for v in 0..4 {
                let vid = format!("gid://shopify/ProductVariant/{p}{v}");
                let value = json!({"id": vid, "__parentId": pid});
                out.push(BulkLine {
                    value,
                    id: Some(vid),
                    parent: Some(pid.clone()),
                });
            }
        }
        out
    }

    fn ids(file: &File) -> Vec<(String, Option<String>)> {
        file.jsonl
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|v| {
                (
                    v["id"].as_str().unwrap().to_owned(),
                    v["__parentId"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn grouped_files_keep_children_under_their_parent_and_ungrouped_ones_scatter_them() {
        let grouped = ids(&write(lines(), true, 1));
        let expected: Vec<_> = lines()
            .into_iter()
            .map(|l| (l.id.unwrap(), l.parent))
            .collect();
        assert_eq!(grouped, expected);
        let ungrouped = write(lines(), false, 1);
        assert_eq!((ungrouped.objects, ungrouped.roots), (30, 6));
        let rows = ids(&ungrouped);
        let at = |id: &str| rows.iter().position(|(i, _)| i == id).unwrap();
        let mut apart = 0;
        for (i, (_, parent)) in rows.iter().enumerate() {
            if let Some(p) = parent {
                assert!(at(p) < i);
                apart += usize::from(rows[i - 1].0 != *p && rows[i - 1].1.as_ref() != Some(p));
            }
        }
        assert!(apart > 0);
        // The same query gives the same file.
        assert_eq!(write(lines(), false, 1).jsonl, ungrouped.jsonl);
    }
}
