//! A local stand-in for BigCommerce, for tests and `attune bigcommerce simulate`: the login
//! service (single-use install codes, `POST /oauth2/token` answered as BigCommerce does: JSON
//! in, JSON out, no `token_type`, checking the client credentials, the redirect URI, the grant
//! type, and that the code, context and scope match what it issued); each store's REST API
//! (`api`: store profile, Catalog v3, Customers v3, Orders v2, hooks, scripts, promotions and
//! codes, with rate-limit headers and 429s); and one store's storefront (`storefront`). It signs
//! load payloads, webhook deliveries and Current Customer JWTs with the app's client secret,
//! and its test API changes the store's data the way a merchant or shopper would, handing back
//! the light webhook payload BigCommerce would send.

mod api;
mod data;
mod storefront;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::Utc;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::verify::{sign_jwt, sign_webhook};
use data::StoreData;

#[derive(Default)]
struct State {
    /// code -> (store hash, scope)
    codes: HashMap<String, (String, String)>,
    token_requests: u64,
    issued: Vec<String>,
    /// access token -> store hash
    tokens: HashMap<String, String>,
    stores: HashMap<String, StoreData>,
    /// The store whose storefront this stand-in serves.
    storefront: Option<String>,
}

struct Shared {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    base_url: String,
    api_requests: AtomicU64,
    throttled: AtomicU64,
    throttle_every: AtomicU64,
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn current_customer_jwt(&self, store: &str, customer: i64, now: i64) -> String {
        let group = self
            .lock()
            .stores
            .get(store)
            .and_then(|s| {
                s.customers
                    .iter()
                    .find(|c| c["id"].as_i64() == Some(customer))
            })
            .map(|c| c["customer_group_id"].to_string())
            .unwrap_or_else(|| "0".into());
        sign_jwt(
            &json!({
                "customer": {"id": customer, "email": format!("shopper{customer}@example.com"), "group_id": group},
                "iss": "bc/apps", "sub": store, "iat": now, "exp": now + 900, "version": 1,
                "aud": self.client_id, "application_id": self.client_id,
                "store_hash": store, "operation": "current_customer",
            }),
            self.client_secret.as_bytes(),
        )
    }
}

pub struct BigCommerceStandIn {
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
    base_url: String,
}

/// What a store owner or user looks like in payloads.
pub const OWNER_ID: i64 = 1001;

/// Every third API call is answered 429 (with BigCommerce's rate-limit headers), so clients
/// are seen to wait and retry; `set_throttle_every` changes it.
const THROTTLE_EVERY: u64 = 3;

async fn token(shared: web::Data<Shared>, body: web::Json<Value>) -> HttpResponse {
    let s = &shared;
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut st = s.lock();
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
    let base = s.base_url.clone();
    st.stores
        .entry(store.clone())
        .or_insert_with(|| StoreData::empty(&store, &base));
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
    /// Listens on `127.0.0.1:0` on the current Tokio runtime; stores exist once installed, and
    /// hold nothing.
    pub async fn start(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> std::io::Result<Self> {
        Self::serve(client_id, client_secret, redirect_uri, None).await
    }

    /// As [`start`](Self::start), with `store` holding a catalog made from `data_dir`'s
    /// `catalogs/*.json` and a generated history of customers and orders; its storefront is
    /// served at the stand-in's own origin.
    pub async fn start_with_store(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        data_dir: &Path,
        store: &str,
    ) -> std::io::Result<Self> {
        Self::serve(
            client_id,
            client_secret,
            redirect_uri,
            Some((data_dir, store)),
        )
        .await
    }

    async fn serve(
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        store: Option<(&Path, &str)>,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let mut state = State::default();
        if let Some((dir, hash)) = store {
            let data = StoreData::load(dir, hash, &base_url)
                .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
            state.stores.insert(hash.to_owned(), data);
            state.storefront = Some(hash.to_owned());
        }
        let shared = Arc::new(Shared {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            base_url: base_url.clone(),
            api_requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            throttle_every: AtomicU64::new(THROTTLE_EVERY),
            state: Mutex::new(state),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .route("/oauth2/token", web::post().to(token))
                .route("/stores/{store}/{tail:.*}", web::to(api::store_api))
                .route("/products/{id}", web::get().to(storefront::product_page))
                .route("/products/{id}/", web::get().to(storefront::product_page))
                .route("/login/{customer}", web::get().to(storefront::login))
                .route(
                    "/customer/current.jwt",
                    web::get().to(storefront::current_jwt),
                )
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

    /// The origin the store's `/v2/store` names as its storefront (`secure_url`).
    pub fn storefront_origin(&self, _store: &str) -> String {
        self.base_url.clone()
    }

    /// Every `n`-th API call is answered 429 (0: never).
    pub fn set_throttle_every(&self, n: u64) {
        self.shared.throttle_every.store(n, Ordering::SeqCst);
    }

    /// A single-use install code for `store`, as BigCommerce puts on the `/auth` redirect.
    pub fn authorize(&self, store: &str, scope: &str) -> String {
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        self.shared
            .lock()
            .codes
            .insert(code.clone(), (store.to_owned(), scope.to_owned()));
        code
    }

    fn read<T: Default>(&self, store: &str, f: impl FnOnce(&StoreData) -> T) -> T {
        self.shared
            .lock()
            .stores
            .get(store)
            .map(f)
            .unwrap_or_default()
    }

    fn write<T: Default>(&self, store: &str, f: impl FnOnce(&mut StoreData) -> T) -> T {
        self.shared
            .lock()
            .stores
            .get_mut(store)
            .map(|s| {
                s.revision += 1;
                f(s)
            })
            .unwrap_or_default()
    }

    /// The hooks registered for `store`.
    pub fn hooks(&self, store: &str) -> Vec<Value> {
        self.read(store, |s| s.hooks.clone())
    }

    /// The scripts installed through the Scripts API.
    pub fn scripts(&self, store: &str) -> Vec<Value> {
        self.read(store, |s| s.scripts.clone())
    }

    /// The store's Catalog v3 products, with variants and images.
    pub fn products(&self, store: &str) -> Vec<Value> {
        self.read(store, |s| s.products.clone())
    }

    /// The store's customer ids.
    pub fn customer_ids(&self, store: &str) -> Vec<i64> {
        self.read(store, |s| {
            s.customers
                .iter()
                .filter_map(|c| c["id"].as_i64())
                .collect()
        })
    }

    /// Products bought together in the generated history: (family name, product ids).
    pub fn product_families(&self, store: &str) -> Vec<(String, Vec<i64>)> {
        self.read(store, |s| s.families.clone())
    }

    pub fn promotions(&self, store: &str) -> Vec<Value> {
        self.read(store, |s| s.promotions.clone())
    }

    /// Every coupon code made: (promotion id, code).
    pub fn codes(&self, store: &str) -> Vec<(u64, String)> {
        self.read(store, |s| {
            s.codes
                .iter()
                .map(|(p, c)| (*p, c["code"].as_str().unwrap_or_default().to_owned()))
                .collect()
        })
    }

    /// The merchant edits the `index`-th product (its name and `date_modified` change); its id.
    pub fn touch_product(&self, store: &str, index: usize) -> i64 {
        self.write(store, |s| {
            let rev = s.revision;
            let Some(p) = s.products.get_mut(index) else {
                return 0;
            };
            let name = p["name"].as_str().unwrap_or_default();
            let base = name.split(" (edit ").next().unwrap_or(name).to_owned();
            p["name"] = json!(format!("{base} (edit {rev})"));
            p["date_modified"] = json!(data::rfc3339(Utc::now()));
            p["id"].as_i64().unwrap_or_default()
        })
    }

    /// The merchant deletes a product.
    pub fn delete_product(&self, store: &str, id: i64) {
        self.write(store, |s| {
            s.products.retain(|p| p["id"].as_i64() != Some(id))
        });
    }

    /// A shopper places an order now: the `customer`-th customer (by position), these lines
    /// (product id, quantity). Its id.
    pub fn add_order(&self, store: &str, customer: usize, lines: &[(i64, i64)]) -> i64 {
        self.add_order_with(store, customer, lines, false)
    }

    /// As [`add_order`](Self::add_order); `coupon`: the order used `WELCOME10`.
    pub fn add_order_with(
        &self,
        store: &str,
        customer: usize,
        lines: &[(i64, i64)],
        coupon: bool,
    ) -> i64 {
        self.write(store, |s| {
            let id = s
                .orders
                .iter()
                .filter_map(|o| o.order["id"].as_i64())
                .max()
                .unwrap_or(99)
                + 1;
            let customer_id = s
                .customers
                .get(customer)
                .and_then(|c| c["id"].as_i64())
                .unwrap_or(0);
            let order = s.build_order(id, customer_id, Utc::now(), lines, coupon, false, 0);
            s.orders.push(order);
            id
        })
    }

    /// The light payload BigCommerce delivers for `scope` (e.g. `store/order/created`) about
    /// the resource `id`; its `hash` differs with every change made through this API.
    pub fn light_payload(&self, store: &str, scope: &str, id: i64) -> Vec<u8> {
        let rev = self.read(store, |s| s.revision);
        let kind = scope.split('/').nth(1).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(format!("{store}|{scope}|{id}|{rev}")));
        json!({
            "scope": scope, "store_id": "1001",
            "data": {"type": kind, "id": id},
            "hash": &hash[..40], "created_at": Utc::now().timestamp(),
            "producer": format!("stores/{store}"),
        })
        .to_string()
        .into_bytes()
    }

    /// A Current Customer JWT for `customer_id` of `store`, issued at `now`, as
    /// `/customer/current.jwt` answers it.
    pub fn current_customer_jwt(&self, store: &str, customer_id: i64, now: i64) -> String {
        self.shared.current_customer_jwt(store, customer_id, now)
    }

    /// API calls answered 429.
    pub fn throttled(&self) -> u64 {
        self.shared.throttled.load(Ordering::SeqCst)
    }

    pub fn token_requests(&self) -> u64 {
        self.shared.lock().token_requests
    }

    /// Access tokens handed out so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.lock().issued.clone()
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
