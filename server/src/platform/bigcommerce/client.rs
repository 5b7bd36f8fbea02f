//! A store's REST API (`{api}/stores/{hash}/…`, `X-Auth-Token`), respecting BigCommerce's rate
//! limits: when a response says no requests are left in the window, the next call waits for the
//! window's reset; a 429 is retried after `X-Rate-Limit-Time-Reset-Ms` (or a growing back-off
//! when the headers are missing, which means platform load).

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::Mutex;

use super::VerifyError;

const MAX_RETRIES: u32 = 5;

pub struct StoreClient {
    http: reqwest::Client,
    base: String,
    token: SecretString,
    /// When the quota ran out: wait this long before the next call.
    wait: Mutex<Option<Duration>>,
}

fn header_ms(r: &reqwest::Response, name: &str) -> Option<u64> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

impl StoreClient {
    pub fn new(
        http: reqwest::Client,
        api_origin: &str,
        store_hash: &str,
        token: SecretString,
    ) -> Self {
        Self {
            http,
            base: format!("{}/stores/{store_hash}", api_origin.trim_end_matches('/')),
            token,
            wait: Mutex::new(None),
        }
    }

    /// One call; `body` makes it a POST. Returns the JSON answer (`Null` for an empty one).
    pub async fn call(&self, path: &str, body: Option<&Value>) -> Result<Value, VerifyError> {
        let mut backoff = Duration::from_millis(250);
        for _ in 0..=MAX_RETRIES {
            if let Some(d) = self.wait.lock().await.take() {
                tokio::time::sleep(d).await;
            }
            let url = format!("{}{path}", self.base);
            let req = match body {
                Some(b) => self.http.post(url).json(b),
                None => self.http.get(url),
            }
            .header("X-Auth-Token", self.token.expose_secret())
            .header("Accept", "application/json");
            let r = req
                .send()
                .await
                .map_err(|_| VerifyError(format!("BigCommerce did not answer {path}")))?;
            if r.status().as_u16() == 429 {
                let d = header_ms(&r, "x-rate-limit-time-reset-ms")
                    .map(Duration::from_millis)
                    .unwrap_or(backoff);
                backoff *= 2;
                tokio::time::sleep(d).await;
                continue;
            }
            if header_ms(&r, "x-rate-limit-requests-left") == Some(0) {
                let reset = header_ms(&r, "x-rate-limit-time-reset-ms").unwrap_or(1000);
                *self.wait.lock().await = Some(Duration::from_millis(reset));
            }
            let status = r.status();
            if status.as_u16() == 204 {
                return Ok(Value::Null);
            }
            let v: Value = r.json().await.unwrap_or(Value::Null);
            if !status.is_success() {
                return Err(VerifyError(format!(
                    "BigCommerce answered {status} to {path}"
                )));
            }
            return Ok(v);
        }
        Err(VerifyError(format!(
            "BigCommerce kept answering 429 to {path}"
        )))
    }
}

/// The scopes Attune subscribes to.
pub const HOOK_SCOPES: [&str; 6] = [
    "store/product/*",
    "store/sku/*",
    "store/customer/*",
    "store/order/*",
    "store/cart/*",
    "store/app/uninstalled",
];

/// Registers a hook per scope to `destination`, carrying our per-store secret header; scopes
/// already registered there are left alone, so running it again changes nothing.
pub async fn register_hooks(
    client: &StoreClient,
    destination: &str,
    secret: &str,
) -> Result<usize, VerifyError> {
    let existing = client.call("/v3/hooks", None).await?;
    let have: Vec<&str> = existing
        .get("data")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter(|h| h.get("destination").and_then(Value::as_str) == Some(destination))
                .filter_map(|h| h.get("scope").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut made = 0;
    for scope in HOOK_SCOPES.iter().filter(|s| !have.contains(s)) {
        let body = serde_json::json!({
            "scope": scope,
            "destination": destination,
            "is_active": true,
            "headers": { super::webhooks::SECRET_HEADER: secret },
        });
        client.call("/v3/hooks", Some(&body)).await?;
        made += 1;
    }
    Ok(made)
}
