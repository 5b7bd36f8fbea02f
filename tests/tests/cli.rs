//! The `attune` binary: help on every subcommand, config errors that name the problem,
//! migrations, and graceful shutdown on SIGTERM and SIGINT.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attune_tests::*;

fn attune_bin() -> std::path::PathBuf {
    // Integration tests live in target/<profile>/deps; the binary one level up.
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    let bin = dir.join("attune");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build -p attune-server` first",
        bin.display()
    );
    bin
}

fn attune() -> Command {
    let mut c = Command::new(attune_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("ATTUNE__") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn every_subcommand_has_help() {
    for sub in [&[][..], &["serve"], &["demo"], &["migrate"]] {
        let out = attune().args(sub).arg("--help").output().unwrap();
        assert!(out.status.success(), "{sub:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{sub:?}: {text}");
    }
}

#[test]
fn serve_refuses_development_credentials() {
    let out = attune().arg("serve").output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ATTUNE__SHOPIFY__API_SECRET"), "{err}");
}

#[test]
fn bad_config_names_the_key() {
    let out = attune()
        .arg("migrate")
        .env("ATTUNE__SERVER__PORT", "eighty")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("port"), "{err}");
}

#[tokio::test]
async fn migrate_then_serve_then_stop_gracefully() {
    for signal in ["TERM", "INT"] {
        let db = TestDatabase::new(Backend::Sqlite).await;
        let out = attune()
            .arg("migrate")
            .env("ATTUNE__DATABASE__URL", &db.url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = attune()
            .arg("serve")
            .env("ATTUNE__DATABASE__URL", &db.url)
            .env("ATTUNE__SERVER__PORT", port.to_string())
            .env("ATTUNE__SHOPIFY__API_KEY", API_KEY)
            .env("ATTUNE__SHOPIFY__API_SECRET", API_SECRET)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(&url).send().await {
                assert_eq!(r.status(), 200);
                break;
            }
            assert!(Instant::now() < deadline, "server did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop after SIG{signal}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(exit.success(), "SIG{signal}: exit {exit:?}");
        let mut log = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
        assert!(log.contains("shutdown signal received"), "{log}");
        assert!(
            client.get(&url).send().await.is_err(),
            "still listening after SIG{signal}"
        );
    }
}
