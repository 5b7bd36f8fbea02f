//! Every GraphQL document Attune sends (server/graphql/*.graphql) validates against Shopify's
//! Admin API 2026-10 schema, deprecated fields included as failures.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use attune_tests::workspace_root;

#[test]
fn every_document_validates_against_the_admin_schema() {
    let oracle = workspace_root().join(".attune/oracles/graphql");
    assert!(
        oracle.join("node_modules/graphql").exists(),
        "schema validator not installed: the README's test command installs it"
    );
    let docs: Vec<String> = std::fs::read_dir(workspace_root().join("server/graphql"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "graphql"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(docs.len() >= 7, "{docs:?}");
    let out = Command::new("node")
        .arg(oracle.join("validate.mjs"))
        .arg(oracle.join("admin_2026-10.json.gz"))
        .args(&docs)
        .env("NO_DEPRECATED", "1")
        .output()
        .expect("node is required");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("{} passed, 0 failed", docs.len())),
        "{text}"
    );
}

#[test]
fn the_validator_rejects_a_wrong_field() {
    let oracle = workspace_root().join(".attune/oracles/graphql");
    let bad = std::env::temp_dir().join(format!("attune-bad-{}.graphql", std::process::id()));
    std::fs::write(
        &bad,
        "{ products(first: 1) { nodes { id priceInPennies } } }",
    )
    .unwrap();
    let out = Command::new("node")
        .arg(oracle.join("validate.mjs"))
        .arg(oracle.join("admin_2026-10.json.gz"))
        .arg(&bad)
        .output()
        .expect("node is required");
    let _ = std::fs::remove_file(&bad);
    assert!(!out.status.success());
}
