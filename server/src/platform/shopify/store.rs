//! Shopify behind [`StoreApi`]: bulk exports and paginated queries through the Admin GraphQL
//! client, discount codes, and the web pixel. Deliveries carry the whole resource, so a
//! fetch is never asked of this adapter.

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::client::AdminClient;
use super::{discounts, pixel, sync};
use crate::db::ShopId;
use crate::platform::store::{BoxFuture, Part, Resource, StoreApi, StoreProfile};
use crate::platform::{Change, CodeSpec, CreatedCode};
use crate::state::AppState;

pub struct ShopifyStore {
    client: AdminClient,
}

impl ShopifyStore {
    pub async fn open(state: &AppState, shop: ShopId) -> anyhow::Result<Self> {
        let (_, client) =
            crate::services::install::admin_client(&state.db, &state.cipher, &state.oauth, shop)
                .await?;
        Ok(Self { client })
    }
}

impl StoreApi for ShopifyStore {
    fn profile(&self) -> BoxFuture<'_, anyhow::Result<StoreProfile>> {
        Box::pin(async move {
            let p = sync::shop_profile(&self.client).await?;
            Ok(StoreProfile {
                name: p.name,
                currency: p.currency,
                // Storefront calls come through the signed app proxy.
                storefront_origins: Vec::new(),
            })
        })
    }

    fn export<'a>(
        &'a self,
        part: Part,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>> {
        Box::pin(async move {
            let c = &self.client;
            Ok(match part {
                Part::Collections => sync::export_collections(c)
                    .await?
                    .into_iter()
                    .map(Change::CollectionUpserted)
                    .collect(),
                Part::Products => sync::export_products(c, currency)
                    .await?
                    .into_iter()
                    .map(Change::ProductUpserted)
                    .collect(),
                Part::Customers => sync::export_customers(c)
                    .await?
                    .into_iter()
                    .map(Change::CustomerUpserted)
                    .collect(),
                Part::Orders => sync::export_orders(c, currency)
                    .await?
                    .into_iter()
                    .map(Change::OrderUpserted)
                    .collect(),
            })
        })
    }

    fn changed_since<'a>(
        &'a self,
        since: DateTime<Utc>,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>> {
        Box::pin(async move {
            let mut out: Vec<Change> = sync::products_since(&self.client, since, currency)
                .await?
                .into_iter()
                .map(Change::ProductUpserted)
                .collect();
            out.extend(
                sync::orders_since(&self.client, since, currency)
                    .await?
                    .into_iter()
                    .map(Change::OrderUpserted),
            );
            Ok(out)
        })
    }

    fn fetch<'a>(
        &'a self,
        resource: &'a Resource,
        _currency: &'a str,
        _at: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>> {
        Box::pin(async move {
            anyhow::bail!("Shopify deliveries carry their resource; nothing fetches {resource:?}")
        })
    }

    fn create_code<'a>(
        &'a self,
        spec: &'a CodeSpec,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<CreatedCode>>> {
        Box::pin(async move {
            discounts::create_code(&self.client, spec, currency)
                .await
                .context("creating a discount code")
        })
    }

    fn bind_code<'a>(
        &'a self,
        code: &'a CreatedCode,
        free_shipping: bool,
        customer: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        Box::pin(async move {
            discounts::bind_to_customer(&self.client, &code.platform_id, free_shipping, customer)
                .await
                .context("limiting a code to its customer")?;
            Ok(true)
        })
    }

    fn set_up<'a>(&'a self, app_url: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let endpoint = format!("{}/storefront/events", app_url.trim_end_matches('/'));
            let outcome = pixel::activate(&self.client, &endpoint)
                .await
                .context("web pixel activation failed")?;
            tracing::info!(?outcome, "web pixel");
            Ok(())
        })
    }
}
