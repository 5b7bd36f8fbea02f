//! The root fields of queries and mutations, and bulk queries over a root connection.

use serde_json::{Map, Value, json};

use super::super::data::gid_number;
use super::super::graphql::{Field, Kind, Operation};
use super::super::search::Filter;
use super::{BulkLine, BulkRefusal, Exec, Mutations};

impl<'a> Exec<'a> {
    /// The lines of a bulk query: one root connection, every item, nested connections as lines.
    pub(in super::super) fn run_bulk(
        &mut self,
        op: &Operation,
    ) -> Result<Vec<BulkLine>, BulkRefusal> {
        let invalid = |m: &str| BulkRefusal::Invalid(format!("Invalid bulk query: {m}"));
        if op.kind == Kind::Mutation {
            return Err(invalid("a bulk query cannot be a mutation"));
        }
        let roots = self.fields(&op.selection, "QueryRoot");
        let [root] = roots.as_slice() else {
            return Err(invalid(
                "Bulk queries must contain exactly one top-level field",
            ));
        };
        let store = self.store;
        let list = match root.name.as_str() {
            "products" => &store.products,
            "collections" => &store.collections,
            "customers" => &store.customers,
            "orders" => &store.orders,
            other => {
                return Err(invalid(&format!(
                    "Bulk queries must contain at least one connection: `{other}` is not one this stand-in exports (products, collections, customers, orders)"
                )));
            }
        };
        self.lines = Some(Vec::new());
        let selection = self.node_selection(root);
        let mut path = vec![Value::from(root.key())];
        for item in self.root_items(list, root) {
            let at = self.lines.as_ref().map_or(0, Vec::len);
            let value = self.select(item, &selection, &mut path);
            if let Some(lines) = self.lines.as_mut() {
                let id = item["id"].as_str().map(str::to_owned);
                lines.insert(
                    at,
                    BulkLine {
                        value,
                        id,
                        parent: None,
                    },
                );
            }
        }
        if let Some(e) = self.take_invalid().first() {
            return Err(invalid(e["message"].as_str().unwrap_or("invalid")));
        }
        if !self.errors.is_empty() {
            return Err(BulkRefusal::AccessDenied);
        }
        Ok(self.lines.take().unwrap_or_default())
    }

    pub(super) fn query_field(&mut self, f: &Field, path: &mut Vec<Value>) -> Value {
        let store = self.store;
        let by_type = |t: &str| match t {
            "product" => Some("Product"),
            "collection" => Some("Collection"),
            "customer" => Some("Customer"),
            "order" => Some("Order"),
            "productVariant" => Some("ProductVariant"),
            "bulkOperation" => Some("BulkOperation"),
            _ => None,
        };
        match f.name.as_str() {
            "__typename" => Value::from("QueryRoot"),
            "shop" => self.object(&store.shop, f, path),
            "products" => self.root_connection(&store.products, f, path),
            "collections" => self.root_connection(&store.collections, f, path),
            "customers" => self.root_connection(&store.customers, f, path),
            "orders" => self.root_connection(&store.orders, f, path),
            "product" | "collection" | "customer" | "order" | "productVariant"
            | "bulkOperation" | "node" => {
                let id = self.arg(f, "id");
                let node = self.lookup(id.as_str().unwrap_or_default(), by_type(&f.name));
                node.map_or(Value::Null, |n| self.object(&n, f, path))
            }
            "nodes" => {
                let ids = self.arg(f, "ids");
                let nodes: Vec<Option<Value>> = ids
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|id| self.lookup(id.as_str().unwrap_or_default(), None))
                    .collect();
                Value::Array(
                    nodes
                        .into_iter()
                        .map(|n| n.map_or(Value::Null, |n| self.object(&n, f, path)))
                        .collect(),
                )
            }
            "productByHandle" | "collectionByHandle" => {
                let handle = self.arg(f, "handle");
                let list = if f.name == "productByHandle" {
                    &store.products
                } else {
                    &store.collections
                };
                let node = list
                    .iter()
                    .filter_map(|g| store.node(g))
                    .find(|n| n["handle"] == handle);
                node.map_or(Value::Null, |n| self.object(n, f, path))
            }
            "currentBulkOperation" => {
                let kind = self.arg(f, "type");
                let kind = kind.as_str().unwrap_or("QUERY");
                let op = self
                    .bulk_operations
                    .iter()
                    .rev()
                    .find(|o| o["type"] == kind)
                    .cloned();
                op.map_or(Value::Null, |o| self.object(&o, f, path))
            }
            "bulkOperations" => {
                let ops = self.bulk_operations.clone();
                self.connection(ops.iter().collect(), f, path)
            }
            "currentAppInstallation" => {
                let scopes: Vec<Value> = self
                    .scopes
                    .iter()
                    .map(|s| json!({"__typename": "AccessScope", "handle": s}))
                    .collect();
                let app = json!({"__typename": "AppInstallation", "id": "gid://shopify/AppInstallation/1", "accessScopes": scopes});
                self.object(&app, f, path)
            }
            name => {
                self.undefined("QueryRoot", name);
                Value::Null
            }
        }
    }

    fn lookup(&self, id: &str, want: Option<&str>) -> Option<Value> {
        let node = self
            .store
            .node(id)
            .cloned()
            .or_else(|| self.bulk_operations.iter().find(|o| o["id"] == id).cloned())?;
        want.is_none_or(|t| node["__typename"] == t).then_some(node)
    }

    pub(super) fn mutation(
        &mut self,
        f: &Field,
        mutations: &mut dyn Mutations,
        path: &mut Vec<Value>,
    ) -> Value {
        if f.name == "__typename" {
            return Value::from("Mutation");
        }
        let args: Map<String, Value> = f
            .args
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json(&self.vars)))
            .collect();
        match mutations.run(&f.name, &args) {
            Some(payload) => self.object(&payload, f, path),
            None => {
                self.undefined("Mutation", &f.name);
                Value::Null
            }
        }
    }

    fn root_items(&self, list: &[String], f: &Field) -> Vec<&'a Value> {
        let store = self.store;
        let query = self.arg(f, "query");
        let filter = Filter::parse(query.as_str().unwrap_or_default());
        let mut items: Vec<&'a Value> = list
            .iter()
            .filter_map(|g| store.node(g))
            .filter(|n| filter.matches(n))
            .collect();
        let key = match self.arg(f, "sortKey").as_str().unwrap_or("ID") {
            "UPDATED_AT" => "updatedAt",
            "CREATED_AT" => "createdAt",
            "PROCESSED_AT" => "processedAt",
            "TITLE" => "title",
            _ => "",
        };
        let number = |n: &Value| n["id"].as_str().and_then(gid_number).unwrap_or(0);
        items.sort_by(|a, b| {
            let (x, y) = (
                a[key].as_str().unwrap_or_default(),
                b[key].as_str().unwrap_or_default(),
            );
            x.cmp(y).then(number(a).cmp(&number(b)))
        });
        items
    }

    fn root_connection(&mut self, list: &[String], f: &Field, path: &mut Vec<Value>) -> Value {
        let items = self.root_items(list, f);
        self.connection(items, f, path)
    }
}
