//! Calls to `/api/admin/*` with a session token: from App Bridge (`shopify.idToken()`) when
//! embedded, or from the local demo login in `attune demo`.

use std::cell::RefCell;

use attune_api::{ApiError, FieldError};
use gloo_net::http::{Request, RequestBuilder};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A failed call, ready to show: a message and per-field problems.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl Failure {
    fn plain(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == name)
            .map(|f| f.message.clone())
    }
}

thread_local! {
    static DEMO_TOKEN: RefCell<Option<(String, f64)>> = const { RefCell::new(None) };
}

fn meta(name: &str) -> Option<String> {
    let doc = web_sys::window()?.document()?;
    let el = doc
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()??;
    el.get_attribute("content")
}

pub fn is_demo() -> bool {
    meta("attune-mode").as_deref() == Some("demo")
}

fn now_secs() -> f64 {
    js_sys::Date::now() / 1000.0
}

async fn app_bridge_token() -> Option<Result<String, Failure>> {
    let window = web_sys::window()?;
    let shopify = js_sys::Reflect::get(&window, &JsValue::from_str("shopify")).ok()?;
    if shopify.is_undefined() || shopify.is_null() {
        return None;
    }
    let id_token = js_sys::Reflect::get(&shopify, &JsValue::from_str("idToken")).ok()?;
    let f: js_sys::Function = id_token.dyn_into().ok()?;
    let result = async {
        let promise: js_sys::Promise = f
            .call0(&shopify)
            .and_then(|p| p.dyn_into())
            .map_err(|_| Failure::plain("App Bridge did not return a session token"))?;
        let value = JsFuture::from(promise)
            .await
            .map_err(|_| Failure::plain("App Bridge could not get a session token"))?;
        value
            .as_string()
            .ok_or_else(|| Failure::plain("App Bridge returned an empty session token"))
    };
    Some(result.await)
}

#[derive(serde::Deserialize)]
struct DemoSession {
    token: String,
    expires_at: f64,
}

async fn demo_token(fresh: bool) -> Result<String, Failure> {
    let cached = DEMO_TOKEN.with(|t| {
        t.borrow()
            .as_ref()
            .filter(|(_, exp)| exp - now_secs() > 10.0)
            .map(|(tok, _)| tok.clone())
    });
    if let Some(token) = cached.filter(|_| !fresh) {
        return Ok(token);
    }
    let resp = Request::post("/api/admin/demo/session")
        .send()
        .await
        .map_err(|e| Failure::plain(format!("could not reach the server: {e}")))?;
    if !resp.ok() {
        return Err(Failure::plain("the local demo login is not available"));
    }
    let session: DemoSession = resp
        .json()
        .await
        .map_err(|e| Failure::plain(format!("unexpected demo login answer: {e}")))?;
    DEMO_TOKEN.with(|t| *t.borrow_mut() = Some((session.token.clone(), session.expires_at)));
    Ok(session.token)
}

async fn token(fresh: bool) -> Result<String, Failure> {
    if let Some(t) = app_bridge_token().await {
        return t;
    }
    if is_demo() {
        return demo_token(fresh).await;
    }
    // Opened from another platform's control panel: the session its verified load started.
    if meta("attune-mode").as_deref() == Some("session")
        && let Some(t) = meta("attune-session")
    {
        let expires: f64 = meta("attune-session-expires")
            .and_then(|e| e.parse().ok())
            .unwrap_or(0.0);
        if now_secs() + 5.0 < expires {
            return Ok(t);
        }
        return Err(Failure::plain(
            "Your session has ended: open Attune again from your store's control panel.",
        ));
    }
    Err(Failure::plain(
        "Open Attune from your Shopify admin to sign in.",
    ))
}

async fn send(
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<gloo_net::http::Response, Failure> {
    let mut fresh = false;
    loop {
        let token = token(fresh).await?;
        let builder = match method {
            "POST" => Request::post(path),
            "PUT" => Request::put(path),
            "DELETE" => Request::delete(path),
            _ => Request::get(path),
        };
        let builder: RequestBuilder = builder
            .header("Authorization", &format!("Bearer {token}"))
            .header("Accept", "application/json");
        let request = match body {
            Some(b) => builder.json(b),
            None => builder.build(),
        }
        .map_err(|e| Failure::plain(format!("could not build the request: {e}")))?;
        let resp = request
            .send()
            .await
            .map_err(|e| Failure::plain(format!("could not reach the server: {e}")))?;
        // Like App Bridge: retry once with a fresh token when the server asks for it.
        if resp.status() == 401
            && !fresh
            && resp
                .headers()
                .get("X-Shopify-Retry-Invalid-Session-Request")
                .is_some()
        {
            fresh = true;
            continue;
        }
        if resp.ok() {
            return Ok(resp);
        }
        return Err(match resp.json::<ApiError>().await {
            Ok(e) => Failure {
                message: e.message,
                fields: e.fields,
            },
            Err(_) => Failure::plain(format!("the server answered {}", resp.status())),
        });
    }
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, Failure> {
    decode(send("GET", path, None).await?).await
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, Failure> {
    let value = serde_json::to_value(body).map_err(|e| Failure::plain(e.to_string()))?;
    decode(send("POST", path, Some(&value)).await?).await
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, Failure> {
    let value = serde_json::to_value(body).map_err(|e| Failure::plain(e.to_string()))?;
    decode(send("PUT", path, Some(&value)).await?).await
}

pub async fn delete(path: &str) -> Result<(), Failure> {
    send("DELETE", path, None).await.map(|_| ())
}

async fn decode<T: DeserializeOwned>(resp: gloo_net::http::Response) -> Result<T, Failure> {
    resp.json()
        .await
        .map_err(|e| Failure::plain(format!("unexpected answer from the server: {e}")))
}
