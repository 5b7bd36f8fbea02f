//! Applying a stored webhook delivery: the platform adapter turns it into a [`Change`], and
//! this module applies the change. Safe to run twice: every write is conditional on the
//! platform's `updated_at`, and deletions are tombstones.

use anyhow::Context;
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::db::catalog_changes::{self as catalog, Applied};
use crate::db::{self, ShopId, compliance, order_changes as orders};
use crate::platform::{Change, Delivery};
use crate::state::AppState;

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Stale,
    Ignored,
    ShopErased,
}

/// Applies the delivery stored as receipt `receipt_id` of `shop`. A light delivery (one that
/// only names what changed) is completed by reading the resource from the platform.
#[tracing::instrument(skip_all, fields(shop = %shop, receipt = receipt_id))]
pub async fn process_receipt(
    state: &AppState,
    shop: ShopId,
    receipt_id: i64,
) -> anyhow::Result<Outcome> {
    let db = &state.db;
    let Some(receipt) = db::webhooks::get(db, shop, receipt_id).await? else {
        // Gone with its shop (shop/redact), or never ours.
        return Ok(Outcome::Ignored);
    };
    if receipt.status == "processed" {
        return Ok(Outcome::Stale);
    }
    let shop_row = db::shops::get(db, shop)
        .await?
        .context("shop of a receipt is missing")?;
    let triggered_at = receipt.triggered_at.unwrap_or(receipt.received_at);
    let delivery = match crate::platform::read_delivery(
        &receipt.platform,
        &receipt.topic,
        receipt.body.as_bytes(),
        &shop_row.currency,
        triggered_at,
    ) {
        Ok(d) => d,
        Err(e) => {
            // A payload we cannot read will not improve on retry: record why, keep going.
            db::webhooks::mark(db, receipt_id, "failed", Some(&e.to_string())).await?;
            tracing::warn!(topic = %receipt.topic, error = %e, "webhook payload rejected");
            return Ok(Outcome::Ignored);
        }
    };
    let changes = match delivery {
        Delivery::Change(c) => vec![*c],
        Delivery::Fetch(resource) => {
            if !shop_row.installed {
                db::webhooks::mark(db, receipt_id, "processed", None).await?;
                return Ok(Outcome::Ignored);
            }
            // A failed read is retried by the job, like any platform call.
            crate::platform::connect(state, shop)
                .await?
                .fetch(&resource, &shop_row.currency, triggered_at)
                .await?
        }
    };
    let mut result = Outcome::Ignored;
    for change in changes {
        let outcome = apply(
            db,
            shop,
            &shop_row.currency,
            &receipt.shop_domain,
            &receipt.platform,
            change,
        )
        .await?;
        if outcome == Outcome::ShopErased {
            return Ok(outcome);
        }
        if result != Outcome::Applied {
            result = outcome;
        }
    }
    db::webhooks::mark(db, receipt_id, "processed", None).await?;
    tracing::info!(topic = %receipt.topic, outcome = ?result, "webhook applied");
    Ok(result)
}

fn outcome(a: Applied) -> Outcome {
    match a {
        Applied::Written => Outcome::Applied,
        Applied::Stale => Outcome::Stale,
    }
}

/// Applies one change; used by webhooks and by sync alike.
pub async fn apply(
    db: &DatabaseConnection,
    shop: ShopId,
    currency: &str,
    shop_domain: &str,
    platform: &str,
    change: Change,
) -> anyhow::Result<Outcome> {
    Ok(match change {
        Change::ProductUpserted(p) => {
            let txn = db.begin().await?;
            let a = catalog::upsert_product(&txn, shop, currency, &p).await?;
            txn.commit().await?;
            outcome(a)
        }
        Change::ProductDeleted { platform_id, at } => {
            outcome(catalog::delete_product(db, shop, currency, &platform_id, at).await?)
        }
        Change::CollectionUpserted(c) => outcome(catalog::upsert_collection(db, shop, &c).await?),
        Change::CollectionDeleted { platform_id, at } => {
            outcome(catalog::delete_collection(db, shop, &platform_id, at).await?)
        }
        Change::InventoryLevel(level) => {
            let txn = db.begin().await?;
            let a = catalog::set_inventory_level(&txn, shop, &level).await?;
            txn.commit().await?;
            outcome(a)
        }
        Change::InventoryItemCost(item) => {
            let txn = db.begin().await?;
            let a = catalog::set_item_cost(&txn, shop, &item).await?;
            txn.commit().await?;
            outcome(a)
        }
        Change::CustomerUpserted(c) => outcome(orders::upsert_customer(db, shop, &c).await?),
        Change::CustomerDeleted { platform_id, .. } => {
            outcome(orders::delete_customer(db, shop, &platform_id).await?)
        }
        Change::OrderUpserted(o) => {
            let txn = db.begin().await?;
            let a = orders::upsert_order(&txn, shop, &o).await?;
            db::offers::redeem(&txn, shop, &o.discount_codes, &o.platform_id, o.placed_at).await?;
            if let (Some(key), Some(customer)) = (&o.visitor_key, &o.customer_platform_id)
                && let Some(row) = db::orders::customer_row_id(&txn, shop, customer).await?
            {
                db::events::stitch(&txn, shop, key, row).await?;
            }
            txn.commit().await?;
            outcome(a)
        }
        Change::AppUninstalled => {
            db::shops::mark_uninstalled(db, shop).await?;
            Outcome::Applied
        }
        Change::ScopesUpdated { scopes } => {
            db::shops::set_scopes(db, shop, &scopes).await?;
            Outcome::Applied
        }
        Change::BulkOperationFinished {
            operation_id,
            status,
        } => {
            // The sync job that started the operation polls it too; this only wakes it early.
            tracing::info!(%operation_id, %status, "bulk operation finished");
            Outcome::Applied
        }
        Change::CustomerDataRequest {
            request_id,
            customer_platform_id,
            ..
        } => {
            let data = compliance::customer_data(db, shop, &customer_platform_id).await?;
            compliance::save_export(db, shop, &request_id, &customer_platform_id, data).await?;
            Outcome::Applied
        }
        Change::CustomerRedact {
            customer_platform_id,
            ..
        } => {
            let txn = db.begin().await?;
            compliance::redact_customer(&txn, shop, &customer_platform_id).await?;
            txn.commit().await?;
            Outcome::Applied
        }
        Change::ShopRedact => {
            let txn = db.begin().await?;
            compliance::redact_shop(&txn, shop).await?;
            db::webhooks::delete_for_domain(&txn, platform, shop_domain).await?;
            txn.commit().await?;
            Outcome::ShopErased
        }
        Change::Ignored { .. } => Outcome::Ignored,
    })
}
