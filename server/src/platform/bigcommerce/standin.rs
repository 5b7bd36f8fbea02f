//! A local stand-in for BigCommerce's login service, for tests and `attune` runs without a
//! store: it issues single-use install codes for a store and answers `POST /oauth2/token` as
//! BigCommerce does (JSON in, JSON out, no `token_type`), checking the client credentials, the
//! redirect URI, the grant type, and that the code, context and scope match what it issued.
//! It also signs load payloads and webhook deliveries with the app's client secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use super::verify::{sign_jwt, sign_webhook};

#[derive(Default)]
struct State {
    /// code -> (store hash, scope)
    codes: HashMap<String, (String, String)>,
    token_requests: u64,
    issued: Vec<String>,
    /// access token -> store hash
    tokens: HashMap<String, String>,
    /// store hash -> registered hooks
    hooks: HashMap<String, Vec<Value>>,
    api_requests: u64,
    throttled: u64,
}

struct Shared {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    state: Mutex<State>,
}

pub struct BigCommerceStandIn {
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
    base_url: String,
}

/// What a store owner or user looks like in payloads.
pub const OWNER_ID: i64 = 1001;

async fn token(shared: web::Data<Shared>, body: web::Json<Value>) -> HttpResponse {
    let s = &shared;
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut st = match s.state.lock() {
        Ok(st) => st,
        Err(p) => p.into_inner(),
    };
    st.token_requests += 1;
    let refuse = |msg: &str| {
        HttpResponse::BadRequest()
            .json(json!({"error": "invalid_request", "error_description": msg}))
    };
    if field("client_id") != s.client_id || field("client_secret") != s.client_secret {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    if field("grant_type") != "authorization_code" {
        return refuse("grant_type must be authorization_code");
    }
    if field("redirect_uri") != s.redirect_uri {
        return refuse("redirect_uri does not match the app's auth callback");
    }
    let Some((store, scope)) = st.codes.remove(&field("code")) else {
        return refuse("invalid or used code");
    };
    if field("context") != format!("stores/{store}") || field("scope") != scope {
        return refuse("context or scope does not match the code");
    }
    let access = format!("bc-token-{}", uuid::Uuid::new_v4().simple());
    st.issued.push(access.clone());
    st.tokens.insert(access.clone(), store.clone());
    HttpResponse::Ok().json(json!({
        "access_token": access,
        "scope": scope,
        "user": {"id": OWNER_ID, "username": "owner", "email": "owner@example.com"},
        "owner": {"id": OWNER_ID, "username": "owner", "email": "owner@example.com"},
        "context": format!("stores/{store}"),
        "account_uuid": uuid::Uuid::new_v4().to_string(),
    }))
}

/// Every third API call is answered 429 (with BigCommerce's rate-limit headers), so clients
/// are seen to wait and retry.
const THROTTLE_EVERY: u64 = 3;

async fn hooks(
    shared: web::Data<Shared>,
    store: web::Path<String>,
    req: actix_web::HttpRequest,
    body: Option<web::Json<Value>>,
) -> HttpResponse {
    let mut st = match shared.state.lock() {
        Ok(st) => st,
        Err(p) => p.into_inner(),
    };
    st.api_requests += 1;
    if st.api_requests % THROTTLE_EVERY == 0 {
        st.throttled += 1;
        return HttpResponse::TooManyRequests()
            .insert_header(("X-Rate-Limit-Time-Reset-Ms", "50"))
            .insert_header(("X-Rate-Limit-Time-Window-Ms", "30000"))
            .insert_header(("X-Rate-Limit-Requests-Left", "0"))
            .insert_header(("X-Rate-Limit-Requests-Quota", "150"))
            .finish();
    }
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if st.tokens.get(token) != Some(&*store) {
        return HttpResponse::Unauthorized().json(json!({"status": 401, "title": "Unauthorized"}));
    }
    let list = st.hooks.entry(store.into_inner()).or_default();
    let Some(body) = body else {
        return HttpResponse::Ok().json(json!({"data": list, "meta": {}}));
    };
    let valid = body
        .get("scope")
        .and_then(Value::as_str)
        .is_some_and(|s| s.starts_with("store/"))
        && body.get("destination").and_then(Value::as_str).is_some();
    if !valid {
        return HttpResponse::UnprocessableEntity()
            .json(json!({"status": 422, "title": "scope and destination are required"}));
    }
    let mut hook = body.into_inner();
    hook["id"] = json!(list.len() + 1);
    list.push(hook.clone());
    HttpResponse::Ok().json(json!({"data": hook, "meta": {}}))
}

impl BigCommerceStandIn {
    /// Listens on `127.0.0.1:0` on the current Tokio runtime.
    pub async fn start(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            state: Mutex::new(State::default()),
        });
        let data = web::Data::from(shared.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/oauth2/token", web::post().to(token))
                .route("/stores/{store}/v3/hooks", web::get().to(hooks))
                .route("/stores/{store}/v3/hooks", web::post().to(hooks))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            shared,
            handle,
            base_url,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A single-use install code for `store`, as BigCommerce puts on the `/auth` redirect.
    pub fn authorize(&self, store: &str, scope: &str) -> String {
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        if let Ok(mut st) = self.shared.state.lock() {
            st.codes
                .insert(code.clone(), (store.to_owned(), scope.to_owned()));
        }
        code
    }

    /// The hooks registered for `store`.
    pub fn hooks(&self, store: &str) -> Vec<Value> {
        self.shared
            .state
            .lock()
            .map(|s| s.hooks.get(store).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// API calls answered 429.
    pub fn throttled(&self) -> u64 {
        self.shared.state.lock().map(|s| s.throttled).unwrap_or(0)
    }

    pub fn token_requests(&self) -> u64 {
        self.shared
            .state
            .lock()
            .map(|s| s.token_requests)
            .unwrap_or(0)
    }

    /// Access tokens handed out so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared
            .state
            .lock()
            .map(|s| s.issued.clone())
            .unwrap_or_default()
    }

    /// A `signed_payload_jwt` for `store` opened by `user`, issued at `now`.
    pub fn signed_payload(&self, store: &str, user: i64, now: i64) -> String {
        sign_jwt(
            &json!({
                "aud": self.shared.client_id, "iss": "bc", "iat": now, "nbf": now, "exp": now + 86_400,
                "jti": uuid::Uuid::new_v4().to_string(), "sub": format!("stores/{store}"),
                "user": {"id": user, "email": "user@example.com", "locale": "en"},
                "owner": {"id": OWNER_ID, "email": "owner@example.com"},
                "url": "/", "channel_id": null,
            }),
            self.shared.client_secret.as_bytes(),
        )
    }

    /// Standard Webhooks headers for a delivery of `body`.
    pub fn webhook_headers(&self, body: &[u8], now: i64) -> [(String, String); 3] {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let sig = sign_webhook(&id, now, body, self.shared.client_secret.as_bytes());
        [
            ("webhook-id".into(), id),
            ("webhook-timestamp".into(), now.to_string()),
            ("webhook-signature".into(), sig),
        ]
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}
