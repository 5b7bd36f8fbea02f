//! Keeping our copy of a shop current: a full sync after install (the platform's full export), incremental
//! syncs of what changed since the last one, and a periodic reconciliation that repairs
//! missed webhooks. Progress is kept in the shop's settings (`sync`), for the admin and CLI.
//! Every change goes through the same conditional writes as webhooks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use anyhow::Context;

use crate::db::{self, ShopId};
use crate::platform::{self, Change, Part};
use crate::services::webhooks;
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
    platform: &str,
    changes: impl IntoIterator<Item = Change>,
) -> anyhow::Result<u64> {
    let mut n = 0;
    for c in changes {
        webhooks::apply(&state.db, shop, currency, domain, platform, c).await?;
        n += 1;
    }
    Ok(n)
}

/// The whole shop, part by part, through whatever the platform offers for a full export.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn full(state: &AppState, shop: ShopId) -> anyhow::Result<SyncStatus> {
    let store = platform::connect(state, shop).await?;
    let row = db::shops::get(&state.db, shop)
        .await?
        .context("no such shop")?;
    let started = Utc::now();
    let mut s = SyncStatus {
        status: "running".into(),
        started_at: Some(started),
        ..Default::default()
    };
    let result: anyhow::Result<()> = async {
        let profile = store.profile().await?;
        let currency = if profile.currency.len() == 3 {
            profile.currency.clone()
        } else {
            "USD".into()
        };
        db::shops::set_profile(&state.db, shop, &profile.name, &currency).await?;
        db::shops::put_setting(
            &state.db,
            shop,
            STOREFRONT_ORIGINS,
            serde_json::json!(profile.storefront_origins),
        )
        .await?;
        for part in Part::ALL {
            s.phase = part.as_str().into();
            save(state, shop, &s).await?;
            let changes = store.export(part, &currency).await?;
            let n = apply_all(state, shop, &currency, &row.domain, &row.platform, changes).await?;
            match part {
                Part::Collections => s.counts.collections = n,
                Part::Products => s.counts.products = n,
                Part::Customers => s.counts.customers = n,
                Part::Orders => s.counts.orders = n,
            }
        }
        Ok(())
    }
    .await;
    finish(state, shop, s, started, result).await
}

/// The shop setting that lists the origins its storefront calls Attune from.
pub const STOREFRONT_ORIGINS: &str = "storefront_origins";

/// What changed since the last sync, via the platform's filtered queries. Also the periodic
/// reconciliation: whatever a missed webhook did not bring, this does.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn incremental(state: &AppState, shop: ShopId) -> anyhow::Result<SyncStatus> {
    let previous = status(state, shop).await?;
    let Some(since) = previous.cursor else {
        return full(state, shop).await;
    };
    let store = platform::connect(state, shop).await?;
    let row = db::shops::get(&state.db, shop)
        .await?
        .context("no such shop")?;
    let started = Utc::now();
    let currency = row.currency.clone();
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
        let changes = store.changed_since(since, &currency).await?;
        for c in changes {
            match &c {
                Change::ProductUpserted(_) => s.counts.products += 1,
                Change::CollectionUpserted(_) => s.counts.collections += 1,
                Change::CustomerUpserted(_) => s.counts.customers += 1,
                Change::OrderUpserted(_) => s.counts.orders += 1,
                _ => {}
            }
            webhooks::apply(&state.db, shop, &currency, &row.domain, &row.platform, c).await?;
        }
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
