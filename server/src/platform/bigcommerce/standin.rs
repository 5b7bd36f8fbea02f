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
    HttpResponse::Ok().json(json!({
        "access_token": access,
        "scope": scope,
        "user": {"id": OWNER_ID, "username": "owner", "email": "owner@example.com"},
        "owner": {"id": OWNER_ID, "username": "owner", "email": "owner@example.com"},
        "context": format!("stores/{store}"),
        "account_uuid": uuid::Uuid::new_v4().to_string(),
    }))
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
