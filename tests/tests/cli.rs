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
    for sub in [
        &[][..],
        &["serve"],
        &["demo"],
        &["migrate"],
        &["eval"],
        &["shopify"],
        &["shopify", "simulate"],
        &["generate-key"],
        &["rotate-keys"],
    ] {
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
fn serve_refuses_to_run_without_a_token_key() {
    let out = attune()
        .arg("serve")
        .env("ATTUNE__SHOPIFY__API_KEY", API_KEY)
        .env("ATTUNE__SHOPIFY__API_SECRET", API_SECRET)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("ATTUNE__SECURITY__TOKEN_KEYS"));
}

#[test]
fn simulate_runs_the_whole_flow_against_the_stand_in() {
    let dir = std::env::temp_dir().join(format!("attune-sim-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = attune()
        .args(["shopify", "simulate", "--data"])
        .arg(workspace_root().join("../shared/data/shopify"))
        .env(
            "ATTUNE__DATABASE__URL",
            format!("sqlite://{}", dir.join("sim.db").display()),
        )
        .env("ATTUNE__SERVER__PORT", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("[########################] done"),
        "{stderr}"
    );
    assert!(stderr.contains("products    34"), "{stderr}");
    assert!(stderr.contains("HTTP 200"), "{stderr}");
    assert!(stdout.contains("Recommendations for product"), "{stdout}");
    assert!(stdout.contains("[bought_together]"), "{stdout}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn keys_rotate() {
    let db = std::env::temp_dir().join(format!("attune-keys-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", db.display());
    let k1 = String::from_utf8(
        attune()
            .arg("generate-key")
            .arg("--id")
            .arg("k1")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let k2 = String::from_utf8(
        attune()
            .arg("generate-key")
            .arg("--id")
            .arg("k2")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    assert!(k1.starts_with("k1:") && k2.starts_with("k2:"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = attune_server::db::connect(&url, 2).await.unwrap();
        attune_server::db::migrate(&conn).await.unwrap();
        let c1 = attune_server::crypto::TokenCipher::new(&[k1.clone().into()]).unwrap();
        let shop =
            attune_server::db::shops::ensure(&conn, "shopify", "rot.myshopify.com", "R", "USD")
                .await
                .unwrap();
        let sealed = attune_server::services::install::seal(
            &c1,
            "rot.myshopify.com",
            &attune_server::platform::shopify::TokenData::new("shpat_rotate_me"),
        );
        attune_server::db::shops::store_tokens(&conn, shop.id, &sealed)
            .await
            .unwrap();
    });
    let out = attune()
        .arg("rotate-keys")
        .env("ATTUNE__DATABASE__URL", &url)
        .env("ATTUNE__SECURITY__TOKEN_KEYS", format!("{k2},{k1}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-encrypted 1"));
    rt.block_on(async {
        let conn = attune_server::db::connect(&url, 2).await.unwrap();
        let shop = attune_server::db::shops::find_by_domain(&conn, "shopify", "rot.myshopify.com")
            .await
            .unwrap()
            .unwrap();
        let sealed = attune_server::db::shops::sealed_tokens(&conn, shop.id)
            .await
            .unwrap()
            .unwrap();
        assert!(sealed.access.starts_with("v1:k2:"));
        // Readable with the new key alone.
        let c2 = attune_server::crypto::TokenCipher::new(&[k2.clone().into()]).unwrap();
        let t =
            attune_server::services::install::unseal(&c2, "rot.myshopify.com", &sealed).unwrap();
        assert_eq!(t.access_token, "shpat_rotate_me");
    });
    let _ = std::fs::remove_file(db);
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
            .env(
                "ATTUNE__SECURITY__TOKEN_KEYS",
                attune_server::crypto::TokenCipher::generate_key("t1"),
            )
            .env("RUST_LOG", "debug")
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
        // Requests whose query strings carry a session token and a shopper id.
        for path in [
            "/admin?shop=a.myshopify.com&id_token=SECRET-TOKEN-MARKER",
            "/proxy/recommendations?logged_in_customer_id=CUSTOMER-MARKER&signature=00",
            "/auth/callback?code=OAUTH-CODE-MARKER&state=x",
        ] {
            let _ = client
                .get(format!("http://127.0.0.1:{port}{path}"))
                .send()
                .await
                .unwrap();
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
        assert!(log.contains("request done"), "request logging is on: {log}");
        for secret in [
            "SECRET-TOKEN-MARKER",
            "CUSTOMER-MARKER",
            "OAUTH-CODE-MARKER",
            "client_ip",
        ] {
            assert!(!log.contains(secret), "log leaks {secret}: {log}");
        }
        assert!(
            client.get(&url).send().await.is_err(),
            "still listening after SIG{signal}"
        );
    }
}
