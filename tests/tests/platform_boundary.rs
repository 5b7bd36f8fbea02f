//! Only `server/src/platform/` may branch on which platform a shop is on: no `match` or `if` on
//! a platform name or constant anywhere else in the server. The scanner proves itself on the one
//! dispatch that is allowed (in `platform/mod.rs`).
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use attune_tests::workspace_root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines that compare or match on a platform.
fn branches(source: &str) -> Vec<String> {
    const NAMES: [&str; 4] = [
        "\"shopify\"",
        "\"bigcommerce\"",
        "shopify::PLATFORM",
        "bigcommerce::PLATFORM",
    ];
    source
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
        .filter(|l| {
            let compares = NAMES.iter().any(|n| {
                l.contains(&format!("== {n}"))
                    || l.contains(&format!("!= {n}"))
                    || l.contains(&format!("{n} =>"))
                    || l.contains(&format!("{n} |"))
            }) || l.contains("platform ==")
                || l.contains("platform !=")
                || l.contains("PLATFORM ==");
            let matches = l.starts_with("match ") && l.contains("platform");
            compares || matches
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn only_the_platform_module_branches_on_the_platform() {
    let src = workspace_root().join("server/src");
    let platform = src.join("platform");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = Vec::new();
    let mut inside = 0;
    for f in &files {
        let b = branches(&std::fs::read_to_string(f).unwrap());
        if f.starts_with(&platform) {
            inside += b.len();
        } else {
            found.extend(
                b.into_iter()
                    .map(|l| format!("{}: {l}", f.strip_prefix(&src).unwrap().display())),
            );
        }
    }
    assert!(
        inside > 0,
        "the scanner should see the platform module's own dispatch"
    );
    assert!(
        found.is_empty(),
        "platform branches outside server/src/platform/:\n{}",
        found.join("\n")
    );
}
