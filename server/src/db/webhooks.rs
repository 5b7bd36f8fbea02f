//! Webhook deliveries: stored before they are acknowledged, deduplicated on the platform's
//! event id, each applied by a job.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::entities::webhook_receipt;
use super::{DbErr, ShopId, jobs};

pub use webhook_receipt::Model as Receipt;

#[derive(Debug, Clone)]
pub struct NewReceipt {
    pub platform: String,
    pub shop_domain: String,
    pub shop: Option<ShopId>,
    pub topic: String,
    pub event_id: String,
    pub webhook_id: String,
    pub api_version: String,
    pub triggered_at: Option<DateTime<Utc>>,
    pub body: String,
}

/// Stores the delivery and, when it is new and its shop is known, queues the job that applies
/// it, in one transaction. Returns `false` for a duplicate (same event id already stored).
pub async fn record(db: &sea_orm::DatabaseConnection, r: NewReceipt) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let shop = r.shop;
    let row = webhook_receipt::ActiveModel {
        platform: Set(r.platform),
        shop_domain: Set(r.shop_domain),
        shop_id: Set(shop.map(ShopId::get)),
        topic: Set(r.topic),
        event_id: Set(r.event_id),
        webhook_id: Set(r.webhook_id),
        api_version: Set(r.api_version),
        triggered_at: Set(r.triggered_at),
        // A delivery for a shop we do not hold is never processed: keep no payload.
        body: Set(if shop.is_some() {
            r.body
        } else {
            String::new()
        }),
        status: Set(if shop.is_some() {
            "received"
        } else {
            "processed"
        }
        .to_owned()),
        error: Set(shop.is_none().then(|| "no such shop".to_owned())),
        received_at: Set(now),
        processed_at: Set(shop.is_none().then_some(now)),
        ..Default::default()
    };
    let inserted = webhook_receipt::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                webhook_receipt::Column::Platform,
                webhook_receipt::Column::ShopDomain,
                webhook_receipt::Column::EventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_with_returning_keys(&txn)
        .await?;
    let Some(&id) = inserted.first() else {
        txn.rollback().await?;
        return Ok(false);
    };
    if let Some(shop) = shop {
        jobs::enqueue(
            &txn,
            shop,
            "webhook",
            serde_json::json!({ "receipt": id }),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

pub async fn get(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: i64,
) -> Result<Option<Receipt>, DbErr> {
    webhook_receipt::Entity::find_by_id(id)
        .filter(webhook_receipt::Column::ShopId.eq(shop.get()))
        .one(db)
        .await
}

/// Records the outcome. A processed delivery's body is dropped: it may hold shopper personal
/// data we do not keep (emails, addresses), and only the dedupe key is needed afterwards.
pub async fn mark(
    db: &impl ConnectionTrait,
    id: i64,
    status: &str,
    error: Option<&str>,
) -> Result<(), DbErr> {
    let mut update = webhook_receipt::Entity::update_many();
    if status == "processed" {
        update = update.col_expr(webhook_receipt::Column::Body, Expr::value(""));
    }
    update
        .col_expr(webhook_receipt::Column::Status, Expr::value(status))
        .col_expr(
            webhook_receipt::Column::Error,
            Expr::value(error.map(str::to_owned)),
        )
        .col_expr(
            webhook_receipt::Column::ProcessedAt,
            Expr::value(Some(Utc::now())),
        )
        .filter(webhook_receipt::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every delivery of a shop domain (after `shop/redact`).
pub async fn delete_for_domain(
    db: &impl ConnectionTrait,
    platform: &str,
    shop_domain: &str,
) -> Result<u64, DbErr> {
    Ok(webhook_receipt::Entity::delete_many()
        .filter(webhook_receipt::Column::Platform.eq(platform))
        .filter(webhook_receipt::Column::ShopDomain.eq(shop_domain))
        .exec(db)
        .await?
        .rows_affected)
}
