//! The BigCommerce storefront against the local stand-in, on SQLite and PostgreSQL: the
//! `/storefront/bigcommerce/{store}/*` routes answer only the store's own storefront origins
//! (echoed with `Vary: Origin`, preflights included), name the shopper only from a verified
//! Current Customer JWT (a tampered, expired or other store's token is a 401 naming the
//! check), refuse writes without `Origin` and bodies that name a shop; and in headless
//! Chromium the installed script (`public/attune-bigcommerce.js`) fills a widget on the
//! stand-in's product page for a logged-in shopper, whose events are stored linked to that
//! customer, and shows a smart offer whose code is one of the store's coupon codes. The shared
//! installed-store fixture lives here; the tests in `origins`, `events` and `browser`.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use attune_api::ApiError;
use attune_api::storefront::Recommendations;
use attune_api::sync::SyncStatus;
use attune_engine::experiments::bucket;
use attune_server::platform::bigcommerce::standin::BigCommerceStandIn;
use attune_server::services::recommend::in_holdout;
use attune_tests::browser::{Client, Locator, save_screenshot, start_browser};
use attune_tests::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, VARY,
};
use reqwest::{Method, Response};
use serde_json::{Value, json};

mod browser;
mod events;
mod origins;

const CLIENT_ID: &str = "bc-storefront-client";
const CLIENT_SECRET: &str = "bc-storefront-secret-for-tests";
const SCOPES: &str = "store_v2_products_read_only store_v2_customers_read_only store_v2_orders_read_only store_v2_marketing store_v2_content";
const STORE: &str = "front7store";
const JWT_HEADER: &str = "X-Attune-Customer-Jwt";
const FOREIGN: &str = "https://shop.attacker.example";

fn session_of(html: &str) -> String {
    let key = r#"<meta name="attune-session" content=""#;
    let start = html.find(key).unwrap() + key.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

/// The first column of every row `sql` returns, as text.
async fn column(app: &TestApp, sql: &str) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<String>(0)
                .or_else(|_| r.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        })
        .collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    column(app, sql).await[0].parse().unwrap()
}

/// The BigCommerce customer ids (as stored) linked to the events of `kind` that `visitor` sent.
async fn linked_customers(app: &TestApp, visitor: &str, kind: &str) -> Vec<String> {
    column(
        app,
        &format!(
            "SELECT c.platform_id FROM storefront_events e JOIN visitors v ON v.id = e.visitor_id \
             JOIN customers c ON c.id = v.customer_id \
             WHERE v.visitor_key = '{visitor}' AND e.kind = '{kind}'"
        ),
    )
    .await
}

async fn visitors_named(app: &TestApp, visitor: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) FROM visitors WHERE visitor_key = '{visitor}'"),
    )
    .await
}

fn acao(r: &Response) -> Option<String> {
    r.headers()
        .get(ACCESS_CONTROL_ALLOW_ORIGIN)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn varies_on_origin(r: &Response) -> bool {
    r.headers().get_all(VARY).iter().any(|v| {
        v.to_str()
            .unwrap()
            .split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("origin"))
    })
}

async fn error_of(r: Response) -> ApiError {
    r.json().await.unwrap()
}

struct Store {
    bc: BigCommerceStandIn,
    app: TestApp,
    session: String,
    /// The store's storefront origin, as its `/v2/store` names it.
    origin: String,
    widget: String,
    /// A product whose co-purchases are its family, and that family.
    seed: i64,
    family: Vec<i64>,
}

impl Store {
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.session);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits for the store's jobs (the first sync) to finish.
    async fn settled(&self) -> SyncStatus {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (_, v) = self.admin(Method::GET, "/api/admin/sync", None).await;
            let s: SyncStatus = serde_json::from_value(v).unwrap();
            if s.pending_jobs == 0 && s.status != "running" {
                return s;
            }
            assert!(Instant::now() < deadline, "jobs did not finish: {s:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A call to this store's storefront route `path`, from `origin`, with a customer token.
    async fn call(
        &self,
        method: Method,
        path: &str,
        origin: Option<&str>,
        jwt: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let url = self
            .app
            .url(&format!("/storefront/bigcommerce/{STORE}{path}"));
        let mut r = self.app.client.request(method, url);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(t) = jwt {
            r = r.header(JWT_HEADER, t);
        }
        if let Some(b) = body {
            // As the script sends it: text/plain without a token (no preflight).
            let kind = if jwt.is_some() {
                "application/json"
            } else {
                "text/plain;charset=UTF-8"
            };
            r = r.header("content-type", kind).body(b.to_string());
        }
        r.send().await.unwrap()
    }

    async fn get(&self, path: &str, origin: Option<&str>, jwt: Option<&str>) -> Response {
        self.call(Method::GET, path, origin, jwt, None).await
    }

    async fn events(&self, origin: Option<&str>, jwt: Option<&str>, body: &Value) -> Response {
        self.call(Method::POST, "/events", origin, jwt, Some(body))
            .await
    }

    fn recs(&self) -> String {
        format!(
            "/recommendations?widget={}&product={}",
            self.widget, self.seed
        )
    }

    /// A batch from the storefront script: `visitor` saw the seed product.
    fn batch(&self, visitor: &str) -> Value {
        let at = chrono::Utc::now().timestamp_millis();
        let page = format!("/products/{}/", self.seed);
        json!({
            "visitor": visitor,
            "context": {"landing_page": page, "device": "desktop"},
            "events": [
                {"id": format!("{visitor}-1"), "type": "page_viewed", "at": at, "url": page},
                {"id": format!("{visitor}-2"), "type": "product_viewed", "at": at, "product": self.seed.to_string()},
            ],
        })
    }

    fn token(&self, customer: i64) -> String {
        self.bc.current_customer_jwt(STORE, customer, now() as i64)
    }

    async fn stop(self) {
        self.bc.stop().await;
        self.app.stop().await;
    }
}

/// Installs the app on the stand-in's store, waits for the first sync (which records the
/// storefront origins) and creates a "frequently bought together" widget.
async fn installed(backend: Backend) -> Store {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/bigcommerce/auth");
    let data = workspace_root().join("../shared/data/shopify");
    let bc =
        BigCommerceStandIn::start_with_store(CLIENT_ID, CLIENT_SECRET, &redirect, &data, STORE)
            .await
            .unwrap();
    let api = bc.base_url().to_owned();
    let app = spawn_with(backend, move |s| {
        s.server.port = port;
        s.app.url = format!("http://127.0.0.1:{port}");
        s.bigcommerce.client_id = CLIENT_ID.into();
        s.bigcommerce.client_secret = CLIENT_SECRET.to_owned().into();
        s.bigcommerce.api_origin = api.clone();
        s.bigcommerce.login_origin = api;
    })
    .await;
    let code = bc.authorize(STORE, SCOPES);
    let r = app
        .client
        .get(app.url(&format!(
            "/bigcommerce/auth?code={code}&scope={}&context=stores/{STORE}",
            SCOPES.replace(' ', "+")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = session_of(&r.text().await.unwrap());
    let origin = bc.storefront_origin(STORE);
    let (_, family) = bc
        .product_families(STORE)
        .into_iter()
        .find(|(_, m)| m.len() >= 3)
        .unwrap();
    let mut store = Store {
        bc,
        app,
        session,
        origin,
        widget: String::new(),
        seed: family[0],
        family,
    };
    let s = store.settled().await;
    assert_eq!(s.status, "done", "{s:?}");
    let (st, w) = store
        .admin(
            Method::POST,
            "/api/admin/widgets",
            Some(json!({"name": "FBT", "placement": "product_page", "strategy": "frequently_bought_together", "max_products": 3, "title": "Goes with"})),
        )
        .await;
    assert_eq!(st, 201, "{w}");
    store.widget = w["id"].as_str().unwrap().to_owned();
    store
}

/// `token` with its payload changed by `edit`, under the original signature.
fn tampered(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    edit(&mut claims);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}
