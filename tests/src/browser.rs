//! A real browser for tests: headless Chromium driven through chromedriver (WebDriver).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use fantoccini::{Client, ClientBuilder, Locator};

use crate::workspace_root;

/// The chromedriver process and the browser profile; both go when dropped.
pub struct Driver {
    process: Child,
    port: u16,
    _profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find(binary: &str, env: &str) -> String {
    if let Ok(p) = std::env::var(env) {
        return p;
    }
    for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
        let p = format!("{dir}/{binary}");
        if std::path::Path::new(&p).exists() {
            return p;
        }
    }
    panic!(
        "{binary} not found: install Debian's chromium and chromium-driver (the README's test command does), or set {env}"
    );
}

/// Starts chromedriver and a fresh headless Chromium session.
pub async fn start_browser() -> (Driver, Client) {
    let chromedriver = find("chromedriver", "CHROMEDRIVER");
    let chromium = find("chromium", "CHROMIUM");
    let port = free_port();
    let process = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {chromedriver}: {e}"));
    let profile = std::env::temp_dir().join(format!("attune-chromium-{}", uuid::Uuid::new_v4()));
    let driver = Driver {
        process,
        port,
        _profile: profile.clone(),
    };
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.display()),
            ]
        }
    }))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("could not start a browser session: {e}"),
        }
    }
}

/// Saves a PNG of the page under `tests/artifacts/`.
pub async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    let dir = workspace_root().join("tests/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}
