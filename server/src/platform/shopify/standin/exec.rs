//! Runs a parsed operation against the store: projects nodes onto the selection (aliases,
//! fragments, `__typename`), paginates connections with opaque cursors, and reports errors in
//! Shopify's shapes (`undefinedField`, `ACCESS_DENIED` for protected customer data). In bulk
//! mode nested connections become lines of their own with `__parentId`.

use std::cell::RefCell;
use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::data::Store;
use super::graphql::{Document, Field, Kind, Operation, Selection};

mod connection;
mod roots;

/// The most items one page may ask for.
const MAX_PAGE: i64 = 250;

/// Interfaces a fragment may be typed with: they match any node.
const INTERFACES: [&str; 8] = [
    "Node",
    "HasMetafields",
    "Publishable",
    "HasEvents",
    "LegacyInteroperability",
    "Media",
    "OnlineStorePublishable",
    "CommentEventSubject",
];

/// Fields that need protected customer data approval (Level 2): Shopify answers them with
/// `ACCESS_DENIED`, and the stand-in app has no such approval.
const PROTECTED: [(&str, &str); 13] = [
    ("Customer", "firstName"),
    ("Customer", "lastName"),
    ("Customer", "displayName"),
    ("Customer", "email"),
    ("Customer", "phone"),
    ("CustomerEmailAddress", "emailAddress"),
    ("CustomerPhoneNumber", "phoneNumber"),
    ("Customer", "defaultAddress"),
    ("Customer", "addresses"),
    ("Customer", "note"),
    ("Order", "email"),
    ("Order", "billingAddress"),
    ("Order", "shippingAddress"),
];

/// One line of a bulk result file.
pub(super) struct BulkLine {
    pub value: Value,
    /// The object's own GID and its parent's.
    pub id: Option<String>,
    pub parent: Option<String>,
}

/// Why a bulk query did not produce a file.
pub(super) enum BulkRefusal {
    /// Refused at start, as `userErrors`.
    Invalid(String),
    /// Started, then failed with `errorCode: ACCESS_DENIED`.
    AccessDenied,
}

/// The mutations the caller runs (they change state the executor does not own).
pub(super) trait Mutations {
    /// The payload of mutation `name`, `None` when this stand-in does not know it.
    fn run(&mut self, name: &str, args: &Map<String, Value>) -> Option<Value>;
}

pub(super) struct Exec<'a> {
    store: &'a Store,
    doc: &'a Document,
    vars: Map<String, Value>,
    /// Snapshots of the shop's bulk operations (`BulkOperation` nodes), oldest first.
    pub bulk_operations: Vec<Value>,
    pub scopes: Vec<String>,
    pub errors: Vec<Value>,
    /// Validation errors: with any, Shopify answers no `data` at all. A cell because they
    /// are found while expanding fragments, which only reads.
    invalid: RefCell<Vec<Value>>,
    seen: HashSet<String>,
    pub actual_cost: u64,
    lines: Option<Vec<BulkLine>>,
}

impl<'a> Exec<'a> {
    pub(super) fn new(
        store: &'a Store,
        doc: &'a Document,
        op: &Operation,
        vars: &Map<String, Value>,
    ) -> Self {
        let mut merged = vars.clone();
        for (name, default) in &op.variables {
            if let (false, Some(d)) = (merged.contains_key(name), default) {
                merged.insert(name.clone(), d.to_json(&Map::new()));
            }
        }
        Exec {
            store,
            doc,
            vars: merged,
            bulk_operations: Vec::new(),
            scopes: Vec::new(),
            errors: Vec::new(),
            invalid: RefCell::new(Vec::new()),
            seen: HashSet::new(),
            actual_cost: 0,
            lines: None,
        }
    }

    pub(super) fn run(&mut self, op: &Operation, mutations: &mut dyn Mutations) -> Value {
        let root = if op.kind == Kind::Mutation {
            "Mutation"
        } else {
            "QueryRoot"
        };
        let mut out = Map::new();
        for f in self.fields(&op.selection, root) {
            let mut path = vec![Value::from(f.key())];
            let v = match op.kind {
                Kind::Mutation => self.mutation(&f, mutations, &mut path),
                Kind::Query => self.query_field(&f, &mut path),
            };
            out.insert(f.key().to_owned(), v);
        }
        Value::Object(out)
    }

    /// Shopify's requested cost: objects 1, connections 2 + `first` x the cost of a node,
    /// scalars 0, mutations 10.
    pub(super) fn requested_cost(&self, op: &Operation) -> u64 {
        match op.kind {
            Kind::Mutation => 10,
            Kind::Query => self.cost(&op.selection),
        }
    }

    fn cost(&self, selection: &[Selection]) -> u64 {
        self.fields(selection, "*")
            .iter()
            .map(|f| self.field_cost(f))
            .sum()
    }

    fn field_cost(&self, f: &Field) -> u64 {
        if f.selection.is_empty() {
            return 0;
        }
        let inner = self.fields(&f.selection, "*");
        if inner.iter().any(|x| x.name == "nodes" || x.name == "edges") {
            let size = ["first", "last"]
                .iter()
                .find_map(|a| {
                    f.arg(a)
                        .map(|v| v.to_json(&self.vars))
                        .and_then(|v| v.as_u64())
                })
                .unwrap_or(0);
            2 + size * (1 + self.cost(&self.node_selection(f)))
        } else {
            1 + self.cost(&f.selection)
        }
    }

    /// The selection's fields that apply to `typename` (`"*"`: all), fragments expanded.
    fn fields(&self, selection: &[Selection], typename: &str) -> Vec<Field> {
        let mut out = Vec::new();
        for s in selection {
            match s {
                Selection::Field(f) => out.push(f.clone()),
                Selection::Inline(on, inner) => {
                    if on.as_deref().is_none_or(|on| applies(on, typename)) {
                        out.extend(self.fields(inner, typename));
                    }
                }
                Selection::Spread(name) => match self.doc.fragments.get(name) {
                    Some((on, inner)) if applies(on, typename) => {
                        out.extend(self.fields(inner, typename))
                    }
                    Some(_) => {}
                    None => self.invalid_once(
                        format!("Fragment {name} was used, but not defined"),
                        json!({"code": "useAndDefineFragment"}),
                    ),
                },
            }
        }
        out
    }

    /// The selection made on each node of a connection field (`nodes {…}` and `edges { node {…} }`).
    fn node_selection(&self, f: &Field) -> Vec<Selection> {
        let mut out = Vec::new();
        for x in self.fields(&f.selection, "*") {
            match x.name.as_str() {
                "nodes" => out.extend(x.selection.iter().cloned()),
                "edges" => {
                    for e in self.fields(&x.selection, "*") {
                        if e.name == "node" {
                            out.extend(e.selection.iter().cloned());
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn arg(&self, f: &Field, name: &str) -> Value {
        f.arg(name).map_or(Value::Null, |v| v.to_json(&self.vars))
    }
    fn object(&mut self, v: &Value, f: &Field, path: &mut Vec<Value>) -> Value {
        if f.selection.is_empty() {
            let t = v["__typename"].as_str().unwrap_or("Object");
            self.invalid_once(
                format!("Field must have selections (field '{}' returns {t} but has no selections. Did you mean '{} {{ ... }}'?)", f.name, f.name),
                json!({"code": "selectionMismatch", "nodeName": format!("field '{}'", f.name), "typeName": t}),
            );
            return Value::Null;
        }
        self.select(v, &f.selection, path)
    }

    fn select(&mut self, obj: &Value, selection: &[Selection], path: &mut Vec<Value>) -> Value {
        self.actual_cost += 1;
        let typename = obj["__typename"].as_str().unwrap_or("Object").to_owned();
        let parent = obj["id"].as_str().map(str::to_owned);
        let mut out = Map::new();
        for f in self.fields(selection, &typename) {
            path.push(Value::from(f.key()));
            let v = if f.name == "__typename" {
                Some(Value::from(typename.as_str()))
            } else {
                match obj.get(&f.name) {
                    Some(v) => self.value(v, &f, parent.as_deref(), path),
                    None if PROTECTED.contains(&(typename.as_str(), f.name.as_str())) => {
                        let m = format!(
                            "This app is not approved to access the {} field of the {typename} object. See https://shopify.dev/docs/apps/launch/protected-customer-data for more details.",
                            f.name
                        );
                        self.field_error(&m, path, Some("ACCESS_DENIED"));
                        Some(Value::Null)
                    }
                    None => {
                        self.undefined(&typename, &f.name);
                        Some(Value::Null)
                    }
                }
            };
            path.pop();
            if let Some(v) = v {
                out.insert(f.key().to_owned(), v);
            }
        }
        Value::Object(out)
    }

    /// A field's value; `None` leaves the field out (a nested connection in a bulk query).
    fn value(
        &mut self,
        v: &Value,
        f: &Field,
        parent: Option<&str>,
        path: &mut Vec<Value>,
    ) -> Option<Value> {
        let store = self.store;
        if let Some(gid) = v.get("__ref").and_then(Value::as_str) {
            return Some(
                store
                    .node(gid)
                    .map_or(Value::Null, |n| self.object(n, f, path)),
            );
        }
        if let Some(items) = v.get("__connection").and_then(Value::as_array) {
            let items: Vec<&Value> = items
                .iter()
                .filter_map(|i| match i.get("__ref").and_then(Value::as_str) {
                    Some(gid) => store.node(gid),
                    None => Some(i),
                })
                .collect();
            if self.lines.is_none() {
                return Some(self.connection(items, f, path));
            }
            let selection = self.node_selection(f);
            for item in items {
                let at = self.lines.as_ref().map_or(0, Vec::len);
                let mut value = self.select(item, &selection, path);
                if let (Some(p), Some(o)) = (parent, value.as_object_mut()) {
                    o.insert("__parentId".into(), Value::from(p));
                }
                if let Some(lines) = self.lines.as_mut() {
                    let id = item["id"].as_str().map(str::to_owned);
                    lines.insert(
                        at,
                        BulkLine {
                            value,
                            id,
                            parent: parent.map(str::to_owned),
                        },
                    );
                }
            }
            return None;
        }
        Some(match v {
            Value::Object(_) => self.object(v, f, path),
            Value::Array(a) if !f.selection.is_empty() || a.iter().any(Value::is_object) => {
                let items = a.iter().map(|x| {
                    if x.is_null() {
                        Value::Null
                    } else {
                        self.object(x, f, path)
                    }
                });
                Value::Array(items.collect())
            }
            _ if !f.selection.is_empty() && !v.is_null() => {
                self.invalid_once(
                    format!("Selections can't be made on scalars (field '{}' returns a scalar but has selections)", f.name),
                    json!({"code": "selectionMismatch", "nodeName": format!("field '{}'", f.name)}),
                );
                Value::Null
            }
            _ => v.clone(),
        })
    }

    fn undefined(&mut self, typename: &str, field: &str) {
        self.invalid_once(
            format!("Field '{field}' doesn't exist on type '{typename}'"),
            json!({"code": "undefinedField", "typeName": typename, "fieldName": field}),
        );
    }

    fn invalid_once(&self, message: String, extensions: Value) {
        let mut list = self.invalid.borrow_mut();
        if !list.iter().any(|e| e["message"] == message.as_str()) {
            list.push(json!({"message": message, "extensions": extensions}));
        }
    }

    fn field_error(&mut self, message: &str, path: &[Value], code: Option<&str>) {
        if self.seen.insert(format!("{message}{}", path.len())) {
            let mut e = json!({"message": message, "path": path});
            if let Some(code) = code {
                e["extensions"] = json!({"code": code, "documentation": "https://shopify.dev/api/usage/access-scopes"});
            }
            self.errors.push(e);
        }
    }

    /// Validation errors found so far, each message once.
    pub(super) fn take_invalid(&mut self) -> Vec<Value> {
        std::mem::take(self.invalid.get_mut())
    }
}

fn applies(on: &str, typename: &str) -> bool {
    typename == "*"
        || on == typename
        || INTERFACES.contains(&on)
        || (matches!(typename, "Connection" | "Edge") && on.ends_with(typename))
}
