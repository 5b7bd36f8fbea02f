//! A local stand-in for Shopify, for tests and `attune shopify simulate`: one shop
//! (`standin-store.myshopify.com`) on `127.0.0.1`, speaking Shopify's wire formats.
//!
//! Attune's transport sends `https://{shop}.myshopify.com/<path>` to
//! `{base_url}/shops/{shop}.myshopify.com/<path>`; bulk result URLs point at the stand-in
//! directly. It serves:
//!
//! * `POST /shops/{shop}/admin/oauth/access_token` (JSON or form): token exchange, authorization
//!   code, refresh token (rotating), client credentials (`oauth.rs`).
//! * `GET /shops/{shop}/admin/oauth/authorize`: 302 to `redirect_uri` with a signed callback query.
//! * `POST /shops/{shop}/admin/api/{version}/graphql.json`: Admin GraphQL over the shop's data
//!   (`exec.rs`), `extensions.cost` on every answer, `THROTTLED` every `throttle_every`-th request,
//!   `MAX_COST_EXCEEDED` above 1000 points, bulk operations (`bulk.rs`).
//! * `GET /files/{n}.jsonl`: bulk results.
//!
//! The data: the real catalogs of `{data_dir}/catalogs` (34 products, 354 variants, ids kept)
//! in Admin shapes, 10 collections (by vendor, product type and colour tag), and a generated,
//! deterministic order history (`history.rs`: 40 customers, 200 orders); nothing depends on
//! the run but tokens and the timestamps of what happens while it runs.

mod bulk;
mod data;
mod exec;
mod graphql;
mod history;
mod oauth;
mod rest;
mod search;
mod server;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{SecondsFormat, Utc};

use server::{Shared, State};

pub(crate) use data::read_catalogs;
/// `shopify_api`, for tests that drive the stand-in with Shopify's own client from outside
/// this crate. Not for application code: that goes through `platform::shopify`.
#[doc(hidden)]
pub use shopify_api;

/// The shop the stand-in hosts.
pub const SHOP_DOMAIN: &str = "standin-store.myshopify.com";
/// The API version its webhooks carry.
pub const WEBHOOK_API_VERSION: &str = "2026-10";

#[derive(Debug, Clone)]
pub struct StandInConfig {
    pub api_key: String,
    pub api_secret: String,
    /// Usually `../shared/data/shopify`: `catalogs/*.json` and `webhooks/official_samples/`.
    pub data_dir: PathBuf,
    /// Lifetime of expiring access tokens, in seconds (Shopify: 3600).
    pub access_token_ttl_secs: i64,
    /// Answer `THROTTLED` to every Nth GraphQL request (never twice in a row); `None`: never.
    pub throttle_every: Option<u32>,
}

impl StandInConfig {
    pub fn new(api_key: &str, api_secret: &str, data_dir: impl Into<PathBuf>) -> Self {
        StandInConfig {
            api_key: api_key.to_owned(),
            api_secret: api_secret.to_owned(),
            data_dir: data_dir.into(),
            access_token_ttl_secs: 3600,
            throttle_every: None,
        }
    }
}

/// What the stand-in has been asked, for tests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StandInStats {
    /// Token requests by grant: `token_exchange`, `authorization_code`, `refresh_token`,
    /// `client_credentials` (refused ones included).
    pub token_requests: BTreeMap<String, u64>,
    pub token_refusals: u64,
    pub authorize_requests: u64,
    /// GraphQL requests with a live token (throttled ones included).
    pub graphql_requests: u64,
    /// GraphQL requests refused with 401.
    pub unauthorized: u64,
    pub throttled: u64,
    pub bulk_operations_started: u64,
    pub bulk_downloads: u64,
    pub webhooks_sent: u64,
    /// The settings the app activated its web pixel with (`webPixelCreate`).
    pub web_pixel_settings: Option<String>,
    /// Code discounts the app created, by code (upper case), with the input they were made from.
    pub discount_codes: BTreeMap<String, serde_json::Value>,
    pub last_access_token: Option<String>,
    pub last_refresh_token: Option<String>,
}

/// A running stand-in. It serves until [`StandIn::stop`] or the end of the runtime.
pub struct StandIn {
    shared: Arc<Shared>,
    handle: actix_web::dev::ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    client: reqwest::Client,
}

impl StandIn {
    /// Loads the data and listens on `127.0.0.1:0`, on the current Tokio runtime.
    pub async fn start(config: StandInConfig) -> anyhow::Result<StandIn> {
        let dir = config.data_dir.clone();
        let store = tokio::task::spawn_blocking(move || data::Store::load(&dir, SHOP_DOMAIN))
            .await
            .context("loading the stand-in's data")??;
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").context("binding the stand-in")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            api_key: config.api_key,
            api_secret: config.api_secret,
            ttl: config.access_token_ttl_secs,
            throttle_every: config.throttle_every,
            shop: SHOP_DOMAIN.to_owned(),
            base_url: format!("http://127.0.0.1:{port}"),
            store: RwLock::new(store),
            state: Mutex::new(State::default()),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .configure(server::routes)
                .default_service(web::to(server::not_found))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .context("starting the stand-in")?
        .run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the webhook client")?;
        Ok(StandIn {
            shared,
            handle,
            task,
            client,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn shop_domain(&self) -> &str {
        &self.shared.shop
    }

    /// POSTs `payload` to `target_url` as Shopify delivers a webhook: HMAC of the raw body
    /// with the API secret, topic, shop, API version, fresh webhook and event ids, time.
    /// Returns the HTTP status of the answer.
    pub async fn send_webhook(
        &self,
        target_url: &str,
        topic: &str,
        payload: &serde_json::Value,
    ) -> anyhow::Result<u16> {
        let body = serde_json::to_vec(payload).context("serializing the webhook payload")?;
        let hmac = STANDARD.encode(oauth::hmac_sha256(&self.shared.api_secret, &body));
        let response = self
            .client
            .post(target_url)
            .header("Content-Type", "application/json")
            .header("X-Shopify-Hmac-Sha256", hmac)
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", self.shop_domain())
            .header("X-Shopify-API-Version", WEBHOOK_API_VERSION)
            .header("X-Shopify-Webhook-Id", uuid::Uuid::new_v4().to_string())
            .header("X-Shopify-Event-Id", uuid::Uuid::new_v4().to_string())
            .header(
                "X-Shopify-Triggered-At",
                Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true),
            )
            .body(body)
            .send()
            .await
            .with_context(|| format!("delivering the {topic} webhook"))?;
        self.shared.state().stats.webhooks_sent += 1;
        Ok(response.status().as_u16())
    }

    /// The `products/update` REST payload of the `index`-th catalog product (catalog files
    /// in name order, products in file order), with the ids the GraphQL API returns.
    pub fn product_payload(&self, index: usize) -> Option<serde_json::Value> {
        rest::product_payload(&self.shared.store(), index)
    }

    /// An `orders/create` REST payload for order `#order_number` of the catalog products at
    /// `product_indices` (an in-stock variant of each, quantity 1), by the customer with
    /// legacy id `customer_id`. The order is added to the shop, so the API returns it too.
    pub fn order_payload(
        &self,
        order_number: u64,
        product_indices: &[usize],
        customer_id: Option<u64>,
    ) -> serde_json::Value {
        rest::order_payload(
            &mut self.shared.store_mut(),
            order_number,
            product_indices,
            customer_id,
            Utc::now(),
        )
    }

    /// Marks the `index`-th product as updated now (its `updatedAt`, so incremental syncs see
    /// it) and returns its `products/update` payload.
    pub fn touch_product(&self, index: usize) -> Option<serde_json::Value> {
        {
            let mut store = self.shared.store_mut();
            let gid = store.products.get(index)?.clone();
            let node = store.nodes.get_mut(&gid)?;
            node["updatedAt"] = serde_json::Value::from(data::iso(Utc::now()));
        }
        self.product_payload(index)
    }

    /// The product families the order history is built from (see `history.rs`): for each,
    /// its name and the GIDs of its products.
    pub fn product_families(&self) -> Vec<(String, Vec<String>)> {
        let store = self.shared.store();
        store
            .families
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    f.products
                        .iter()
                        .map(|&i| store.products[i].clone())
                        .collect(),
                )
            })
            .collect()
    }

    /// Ends an access token's life now (to test renewal on a 401). `false` if unknown.
    pub fn expire_access_token(&self, token: &str) -> bool {
        let mut state = self.shared.state();
        match state.tokens.access.get_mut(token) {
            Some(t) => {
                t.expires_at = Some(Utc::now().timestamp() - 1);
                true
            }
            None => false,
        }
    }

    pub fn stats(&self) -> StandInStats {
        let state = self.shared.state();
        StandInStats {
            last_access_token: state.tokens.last_access.clone(),
            last_refresh_token: state.tokens.last_refresh.clone(),
            ..state.stats.clone()
        }
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        // The server's own result: it stopped either way.
        let _ = self.task.await;
    }
}
