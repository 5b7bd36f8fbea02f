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

    /// One call; `body` makes it a POST. Returns the JSON answer (`Null` for an empty one);
    /// any answer but a success is an error.
    pub async fn call(&self, path: &str, body: Option<&Value>) -> Result<Value, VerifyError> {
        let method = if body.is_some() {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let (status, v) = self.send(method, path, body).await?;
        if !(200..300).contains(&status) {
            return Err(VerifyError(format!(
                "BigCommerce answered {status} to {path}{}",
                detail(&v)
            )));
        }
        Ok(v)
    }

    /// A GET whose 404 means "gone" (`Ok(None)`), not a failure.
    pub async fn get_optional(&self, path: &str) -> Result<Option<Value>, VerifyError> {
        let (status, v) = self.send(reqwest::Method::GET, path, None).await?;
        match status {
            404 => Ok(None),
            200..=299 => Ok(Some(v)),
            _ => Err(VerifyError(format!(
                "BigCommerce answered {status} to {path}{}",
                detail(&v)
            ))),
        }
    }

    /// One request with the rate limits honoured: returns the status and the JSON answer
    /// (`Null` when empty) of whatever BigCommerce finally answered other than 429.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), VerifyError> {
        let mut backoff = Duration::from_millis(250);
        for _ in 0..=MAX_RETRIES {
            if let Some(d) = self.wait.lock().await.take() {
                tokio::time::sleep(d).await;
            }
            let url = format!("{}{path}", self.base);
            let mut req = self
                .http
                .request(method.clone(), url)
                .header("X-Auth-Token", self.token.expose_secret())
                .header("Accept", "application/json");
            if let Some(b) = body {
                req = req.json(b);
            }
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
            let status = r.status().as_u16();
            if status == 204 {
                return Ok((status, Value::Null));
            }
            let bytes = r
                .bytes()
                .await
                .map_err(|_| VerifyError(format!("BigCommerce's answer to {path} broke off")))?;
            let v = if bytes.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice(&bytes) {
                    Ok(v) => v,
                    Err(_) if !(200..300).contains(&status) => Value::Null,
                    Err(_) => {
                        return Err(VerifyError(format!(
                            "BigCommerce answered {path} with something other than JSON"
                        )));
                    }
                }
            };
            return Ok((status, v));
        }
        Err(VerifyError(format!(
            "BigCommerce kept answering 429 to {path}"
        )))
    }

    /// Every item of a paginated v3 collection (`{data, meta: {pagination}}`). `path` may
    /// carry filters already.
    pub async fn all_v3(&self, path: &str) -> Result<Vec<Value>, VerifyError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        for page in 1.. {
            let v = self
                .call(&format!("{path}{sep}limit={V3_PAGE}&page={page}"), None)
                .await?;
            let data = v
                .get("data")
                .and_then(Value::as_array)
                .ok_or_else(|| VerifyError(format!("{path}: the answer has no data list")))?;
            out.extend(data.iter().cloned());
            let total_pages = v
                .pointer("/meta/pagination/total_pages")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            if data.is_empty() || page >= total_pages {
                break;
            }
        }
        Ok(out)
    }

    /// Every item of a paginated v2 list (a plain array; past the end, 204 or `[]`).
    pub async fn all_v2(&self, path: &str) -> Result<Vec<Value>, VerifyError> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut out = Vec::new();
        for page in 1.. {
            let v = self
                .call(&format!("{path}{sep}limit={V2_PAGE}&page={page}"), None)
                .await?;
            let list = match v {
                Value::Null => break,
                Value::Array(l) => l,
                _ => return Err(VerifyError(format!("{path}: the answer is not a list"))),
            };
            let n = list.len();
            out.extend(list);
            if n < V2_PAGE {
                break;
            }
        }
        Ok(out)
    }
}

/// Page sizes: the most BigCommerce serves per page.
const V3_PAGE: usize = 250;
const V2_PAGE: usize = 250;

/// BigCommerce's error title, when it sent one.
fn detail(v: &Value) -> String {
    v.get("title")
        .and_then(Value::as_str)
        .map(|t| format!(": {t}"))
        .unwrap_or_default()
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
