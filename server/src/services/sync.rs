//! Keeping our copy of a shop current: a full sync after install (bulk exports), incremental
//! syncs of what changed since the last one, and a periodic reconciliation that repairs
//! missed webhooks. Progress is kept in the shop's settings (`sync`), for the admin and CLI.
//! Every change goes through the same conditional writes as webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::db::{self, ShopId};
use crate::platform::shopify::sync as shopify_sync;
use crate::platform::{Change, shopify};
use crate::services::{install, webhooks};
use crate::state::AppState;

/// How often reconciliation runs after a sync.
pub const RECONCILE_EVERY_HOURS: i64 = 6;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncCounts {
    pub collections: u64,
    pub products: u64,
    pub customers: u64,
    pub orders: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncStatus {
    /// idle | running | done | failed
    pub status: String,
    /// What a running sync is doing (`collections`, `products`, ...).
    pub phase: String,
    pub counts: SyncCounts,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Changes up to this time are in; the next incremental sync asks for later ones.
    pub cursor: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

pub async fn status(state: &AppState, shop: ShopId) -> anyhow::Result<SyncStatus> {
    Ok(db::shops::setting(&state.db, shop, "sync")
        .await?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| SyncStatus {
            status: "idle".into(),
            ..Default::default()
        }))
}

async fn save(state: &AppState, shop: ShopId, s: &SyncStatus) -> anyhow::Result<()> {
    db::shops::put_setting(&state.db, shop, "sync", serde_json::to_value(s)?).await?;
    Ok(())
}

async fn apply_all(
    state: &AppState,
    shop: ShopId,
    currency: &str,
    domain: &str,
    changes: impl IntoIterator<Item = Change>,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for c in changes {
        webhooks::apply(&state.db, shop, currency, domain, shopify::PLATFORM, c).await?;
        n += 1;
    }
    Ok(n)
}

/// The whole shop through bulk operations.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn full(state: &AppState, shop: ShopId) -> anyhow::Result<SyncStatus> {
    let (domain, client) =
        install::admin_client(&state.db, &state.cipher, &state.oauth, shop).await?;
    let started = Utc::now();
    let mut s = SyncStatus {
        status: "running".into(),
        started_at: Some(started),
        ..Default::default()
    };
    let result: anyhow::Result<()> = async {
        let profile = shopify_sync::shop_profile(&client).await?;
        let currency = if profile.currency.len() == 3 {
            profile.currency.clone()
        } else {
            "USD".into()
        };
        db::shops::set_profile(&state.db, shop, &profile.name, &currency).await?;
        let d = domain.as_str();

        s.phase = "collections".into();
        save(state, shop, &s).await?;
        let collections = shopify_sync::export_collections(&client).await?;
        s.counts.collections = apply_all(
            state,
            shop,
            &currency,
            d,
            collections.into_iter().map(Change::CollectionUpserted),
        )
        .await?;

        s.phase = "products".into();
        save(state, shop, &s).await?;
        let products = shopify_sync::export_products(&client, &currency).await?;
        s.counts.products = apply_all(
            state,
            shop,
            &currency,
            d,
            products.into_iter().map(Change::ProductUpserted),
        )
        .await?;

        s.phase = "customers".into();
        save(state, shop, &s).await?;
        let customers = shopify_sync::export_customers(&client).await?;
        s.counts.customers = apply_all(
            state,
            shop,
            &currency,
            d,
            customers.into_iter().map(Change::CustomerUpserted),
        )
        .await?;

        s.phase = "orders".into();
        save(state, shop, &s).await?;
        let orders = shopify_sync::export_orders(&client, &currency).await?;
        s.counts.orders = apply_all(
            state,
            shop,
            &currency,
            d,
            orders.into_iter().map(Change::OrderUpserted),
        )
        .await?;
        Ok(())
    }
    .await;
    finish(state, shop, s, started, result).await
}

/// What changed since the last sync (products and orders), via paginated queries. Also the
/// periodic reconciliation: whatever a missed webhook did not bring, this does.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn incremental(state: &AppState, shop: ShopId) -> anyhow::Result<SyncStatus> {
    let previous = status(state, shop).await?;
    let Some(since) = previous.cursor else {
        return full(state, shop).await;
    };
    let (domain, client) =
        install::admin_client(&state.db, &state.cipher, &state.oauth, shop).await?;
    let started = Utc::now();
    let currency = db::shops::get(&state.db, shop)
        .await?
        .map(|s| s.currency)
        .unwrap_or_else(|| "USD".into());
    let mut s = SyncStatus {
        status: "running".into(),
        phase: "incremental".into(),
        started_at: Some(started),
        cursor: previous.cursor,
        ..Default::default()
    };
    save(state, shop, &s).await?;
    // Overlap a minute: clocks differ and the conditional writes make re-reads harmless.
    let since = since - chrono::Duration::minutes(1);
    let result: anyhow::Result<()> = async {
        let d = domain.as_str();
        let products = shopify_sync::products_since(&client, since, &currency).await?;
        s.counts.products = apply_all(
            state,
            shop,
            &currency,
            d,
            products.into_iter().map(Change::ProductUpserted),
        )
        .await?;
        let orders = shopify_sync::orders_since(&client, since, &currency).await?;
        s.counts.orders = apply_all(
            state,
            shop,
            &currency,
            d,
            orders.into_iter().map(Change::OrderUpserted),
        )
        .await?;
        Ok(())
    }
    .await;
    finish(state, shop, s, started, result).await
}

async fn finish(
    state: &AppState,
    shop: ShopId,
    mut s: SyncStatus,
    started: DateTime<Utc>,
    result: anyhow::Result<()>,
) -> anyhow::Result<SyncStatus> {
    s.finished_at = Some(Utc::now());
    match result {
        Ok(()) => {
            s.status = "done".into();
            s.phase = String::new();
            s.cursor = Some(started);
            save(state, shop, &s).await?;
            // After a sync's bulk writes, let PostgreSQL's planner see the new row counts.
            db::analyze(&state.db).await?;
            schedule_reconciliation(state, shop).await?;
            Ok(s)
        }
        Err(e) => {
            s.status = "failed".into();
            s.error = Some(format!("{e:#}"));
            save(state, shop, &s).await?;
            Err(e)
        }
    }
}

async fn schedule_reconciliation(state: &AppState, shop: ShopId) -> anyhow::Result<()> {
    if !db::jobs::has_queued(&state.db, shop, "sync_incremental", None).await? {
        let at = Utc::now() + chrono::Duration::hours(RECONCILE_EVERY_HOURS);
        db::jobs::enqueue(
            &state.db,
            shop,
            "sync_incremental",
            serde_json::json!({}),
            at,
        )
        .await?;
    }
    Ok(())
}
