//! Just enough of GraphQL to answer what Attune and `shopify_api` send: operations,
//! fragments, aliases, arguments (every literal kind, variables with defaults) and
//! directives (parsed, ignored). No validation beyond syntax: the executor reports unknown
//! fields the way Shopify does.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

mod parser;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Var(String),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    Enum(String),
    List(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The value with its variables substituted, as JSON.
    pub(super) fn to_json(&self, vars: &Map<String, Json>) -> Json {
        match self {
            Value::Var(name) => vars.get(name).cloned().unwrap_or(Json::Null),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => Json::from(*f),
            Value::Str(s) | Value::Enum(s) => Json::from(s.clone()),
            Value::Bool(b) => Json::from(*b),
            Value::Null => Json::Null,
            Value::List(items) => Json::Array(items.iter().map(|v| v.to_json(vars)).collect()),
            Value::Object(fields) => Json::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json(vars)))
                    .collect(),
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Field {
    pub alias: Option<String>,
    pub name: String,
    pub args: Vec<(String, Value)>,
    pub selection: Vec<Selection>,
}

impl Field {
    /// The key this field has in the answer.
    pub(super) fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    pub(super) fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone)]
pub(super) enum Selection {
    Field(Field),
    Spread(String),
    Inline(Option<String>, Vec<Selection>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Query,
    Mutation,
}

#[derive(Debug, Clone)]
pub(super) struct Operation {
    pub kind: Kind,
    pub name: Option<String>,
    /// Variable names and their default values.
    pub variables: Vec<(String, Option<Value>)>,
    pub selection: Vec<Selection>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Document {
    pub operations: Vec<Operation>,
    /// Name -> (type condition, selection).
    pub fragments: HashMap<String, (String, Vec<Selection>)>,
}

impl Document {
    /// The operation to run: the one named `name`, else the only one.
    pub(super) fn operation(&self, name: Option<&str>) -> Result<&Operation, String> {
        match name {
            Some(n) => self
                .operations
                .iter()
                .find(|o| o.name.as_deref() == Some(n))
                .ok_or_else(|| format!("No operation named \"{n}\"")),
            None if self.operations.len() == 1 => Ok(&self.operations[0]),
            None if self.operations.is_empty() => Err("No operations in query document".into()),
            None => Err("An operation name is required".into()),
        }
    }
}

/// A syntax error: message and 1-based line and column, as Shopify reports them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

pub(super) fn parse(text: &str) -> Result<Document, SyntaxError> {
    parser::document(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_library_bulk_documents() {
        let doc = parse(
            "mutation BulkOperationRunQuery($query: String!, $groupObjects: Boolean!) {
               bulkOperationRunQuery(query: $query, groupObjects: $groupObjects) {
                 bulkOperation { ...BulkOperationFields }
                 userErrors { field message code }
               }
             }
             fragment BulkOperationFields on BulkOperation { id type status }",
        )
        .unwrap();
        let op = doc.operation(None).unwrap();
        assert_eq!(op.kind, Kind::Mutation);
        assert_eq!(op.variables.len(), 2);
        assert!(doc.fragments.contains_key("BulkOperationFields"));
    }

    #[test]
    fn reads_literals_aliases_and_reports_positions() {
        let doc = parse(
            r#"{ a: products(first: 5, query: "updated_at:>'2026-01-01'", x: [1, -2.5e1, ENUM, null, {k: """ v """}]) @include(if: true) { nodes { id } } }"#,
        )
        .unwrap();
        let Selection::Field(f) = &doc.operations[0].selection[0] else {
            panic!("not a field")
        };
        assert_eq!(f.key(), "a");
        assert_eq!(
            f.arg("query"),
            Some(&Value::Str("updated_at:>'2026-01-01'".into()))
        );
        let json = f.arg("x").unwrap().to_json(&Map::new());
        assert_eq!(
            json,
            serde_json::json!([1, -25.0, "ENUM", null, {"k": " v "}])
        );
        let err = parse("{\n  shop { % }\n}").unwrap_err();
        assert_eq!((err.line, err.column), (2, 10));
    }
}
