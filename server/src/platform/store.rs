//! The one interface services use to reach a shop's platform: [`StoreApi`]. Each adapter
//! (`shopify::store`, `bigcommerce::store`) implements it; [`connect`] picks the adapter from
//! the shop's row, so no service ever asks which platform a shop is on.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

use super::{Change, CodeSpec, CreatedCode};
use crate::db::{self, ShopId};
use crate::state::AppState;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The parts of a shop a full sync copies, in this order (products name collections, orders
/// name products and customers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Collections,
    Products,
    Customers,
    Orders,
}

impl Part {
    pub const ALL: [Part; 4] = [
        Part::Collections,
        Part::Products,
        Part::Customers,
        Part::Orders,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::Collections => "collections",
            Part::Products => "products",
            Part::Customers => "customers",
            Part::Orders => "orders",
        }
    }
}

/// What the platform says of the shop itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreProfile {
    pub name: String,
    /// ISO 4217; empty when the platform did not say.
    pub currency: String,
    /// Origins (`https://host[:port]`) the shop's storefront is served from, for storefront
    /// calls made straight to Attune (cross-origin). Empty when storefront calls arrive
    /// through a signed proxy instead.
    pub storefront_origins: Vec<String>,
}

/// A resource a light webhook named, to be read from the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Product(String),
    Customer(String),
    Order(String),
}

/// What a stored delivery means: a change in full, or a pointer to fetch.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Change(Box<Change>),
    Fetch(Resource),
}

/// One installed shop's platform API.
pub trait StoreApi: Send + Sync {
    fn profile(&self) -> BoxFuture<'_, anyhow::Result<StoreProfile>>;

    /// Everything of one part of the shop (a full sync).
    fn export<'a>(
        &'a self,
        part: Part,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>>;

    /// Whatever changed since `since` (incremental sync and reconciliation).
    fn changed_since<'a>(
        &'a self,
        since: DateTime<Utc>,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>>;

    /// The current state of a resource a webhook named (a deletion when it is gone).
    fn fetch<'a>(
        &'a self,
        resource: &'a Resource,
        currency: &'a str,
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>>;

    /// Creates one single-use code. `Ok(None)`: the platform refused the code as taken.
    fn create_code<'a>(
        &'a self,
        spec: &'a CodeSpec,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<CreatedCode>>>;

    /// Limits a handed-out code to one customer, where the platform can; `Ok(false)` when it
    /// cannot (the code stays single-use for whoever uses it first).
    fn bind_code<'a>(
        &'a self,
        code: &'a CreatedCode,
        free_shipping: bool,
        customer: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<bool>>;

    /// What an install sets up on the platform besides the sync (web pixel, webhooks,
    /// storefront script). Safe to run again.
    fn set_up<'a>(&'a self, app_url: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The adapter for `shop`'s platform, with its stored credentials.
pub async fn connect(state: &AppState, shop: ShopId) -> anyhow::Result<Box<dyn StoreApi>> {
    use anyhow::Context;
    let row = db::shops::get(&state.db, shop)
        .await?
        .context("no such shop")?;
    anyhow::ensure!(row.installed, "the shop has uninstalled the app");
    if row.platform == super::bigcommerce::PLATFORM {
        return Ok(Box::new(
            super::bigcommerce::store::BigCommerceStore::open(state, &row).await?,
        ));
    }
    Ok(Box::new(
        super::shopify::store::ShopifyStore::open(state, shop).await?,
    ))
}

/// Reads a stored delivery with the platform that sent it; no credentials needed, so
/// uninstall and erasure deliveries are read after the token is gone.
pub fn read_delivery(
    platform: &str,
    topic: &str,
    body: &[u8],
    shop_currency: &str,
    triggered_at: DateTime<Utc>,
) -> Result<Delivery, String> {
    if platform == super::bigcommerce::PLATFORM {
        return super::bigcommerce::webhooks::read(topic, body, triggered_at)
            .map_err(|e| e.to_string());
    }
    super::shopify::payloads::parse(topic, body, shop_currency, triggered_at)
        .map(|c| Delivery::Change(Box::new(c)))
        .map_err(|e| e.to_string())
}
