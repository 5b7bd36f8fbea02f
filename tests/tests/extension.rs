//! The theme app extension passes Shopify's theme-check with zero errors, our own schema
//! checks (block targets, setting ids, asset limits), and keeps the script within budget.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use attune_tests::workspace_root;

fn node(args: &[&str]) -> (bool, String) {
    let out = Command::new("node")
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap_or_else(|e| panic!("node is required for this test: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn theme_check_reports_zero_errors() {
    let runner = std::env::var("ATTUNE_THEME_CHECK").unwrap_or_else(|_| {
        workspace_root()
            .join(".attune/oracles/theme-check/run-check.mjs")
            .display()
            .to_string()
    });
    assert!(
        std::path::Path::new(&runner).exists(),
        "theme-check runner not found at {runner}: the README's test command installs it"
    );
    let (ok, out) = node(&[&runner, "extensions/attune-theme"]);
    assert!(ok, "theme-check found errors:\n{out}");
    assert!(
        out.contains("0 offenses") || !out.contains("ERROR"),
        "{out}"
    );
}

#[test]
fn block_schemas_are_valid() {
    let (ok, out) = node(&["scripts/check-extension.mjs", "extensions/attune-theme"]);
    assert!(ok, "{out}");
    assert!(out.contains("extension ok"), "{out}");
}

#[test]
fn schema_checker_rejects_bad_extensions() {
    let (ok, out) = node(&["scripts/check-extension.mjs", "--self-test"]);
    assert!(ok, "{out}");
}

#[test]
fn storefront_script_is_within_budget() {
    let size = std::fs::metadata(workspace_root().join("extensions/attune-theme/assets/attune.js"))
        .unwrap()
        .len();
    assert!(
        size <= 10_000,
        "attune.js is {size} bytes; the budget is 10,000"
    );
}
