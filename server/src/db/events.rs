//! Storefront visitors and their events: durable storage (many batches in one transaction),
//! identity stitching, and the reads profiles and segments are built from.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use super::entities::{storefront_event, visitor};
use super::{DbErr, ShopId};

/// One event ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub key: String,
    pub kind: &'static str,
    pub product: String,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// One visitor's batch.
#[derive(Debug, Clone)]
pub struct VisitorBatch {
    pub shop: ShopId,
    pub visitor_key: String,
    /// Our customer row id, only ever from signed data (app proxy, order webhooks).
    pub customer: Option<i64>,
    pub events: Vec<NewEvent>,
    /// The shopper refused analytics: delete the visitor (and by cascade its events and
    /// profile) instead of storing anything. Queued with the batches, so a batch sent before the
    /// refusal cannot land after it.
    pub forget: bool,
}

/// What became of one batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stored {
    pub stored: u32,
    pub duplicates: u32,
}

/// Stores every batch in one transaction: one commit (one fsync) for many requests. Either
/// all batches are durable when this returns `Ok`, or none is.
pub async fn store(
    db: &DatabaseConnection,
    batches: &[VisitorBatch],
    now: DateTime<Utc>,
) -> Result<Vec<Stored>, DbErr> {
    let txn = db.begin().await?;
    let mut ids: HashMap<(i64, &str), i64> = HashMap::new();
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        if b.forget {
            ids.remove(&(b.shop.get(), b.visitor_key.as_str()));
            forget_visitor(&txn, b.shop, &b.visitor_key).await?;
            out.push(Stored::default());
            continue;
        }
        let visitor_id = match ids.get(&(b.shop.get(), b.visitor_key.as_str())) {
            Some(&id) => id,
            None => {
                let id = upsert_visitor(&txn, b.shop, &b.visitor_key, b.customer, now).await?;
                ids.insert((b.shop.get(), b.visitor_key.as_str()), id);
                id
            }
        };
        if b.events.is_empty() {
            out.push(Stored::default());
            continue;
        }
        let rows = b.events.iter().map(|e| storefront_event::ActiveModel {
            shop_id: Set(b.shop.get()),
            visitor_id: Set(visitor_id),
            kind: Set(e.kind.to_owned()),
            platform_product_id: Set(e.product.clone()),
            payload: Set(e.payload.clone()),
            occurred_at: Set(e.occurred_at),
            received_at: Set(now),
            event_key: Set(e.key.clone()),
            ..Default::default()
        });
        let inserted = storefront_event::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    storefront_event::Column::ShopId,
                    storefront_event::Column::VisitorId,
                    storefront_event::Column::EventKey,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_with_returning_keys(&txn)
            .await?
            .len() as u32;
        out.push(Stored {
            stored: inserted,
            duplicates: b.events.len() as u32 - inserted.min(b.events.len() as u32),
        });
    }
    txn.commit().await?;
    Ok(out)
}

/// The visitor's row id, creating the row on first sight. A known customer (signed) is
/// attached; an anonymous call never detaches one.
async fn upsert_visitor(
    db: &impl ConnectionTrait,
    shop: ShopId,
    key: &str,
    customer: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let mut update = vec![visitor::Column::LastSeenAt];
    if customer.is_some() {
        update.push(visitor::Column::CustomerId);
    }
    let keys = visitor::Entity::insert(visitor::ActiveModel {
        shop_id: Set(shop.get()),
        visitor_key: Set(key.to_owned()),
        customer_id: Set(customer),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([visitor::Column::ShopId, visitor::Column::VisitorKey])
            .update_columns(update)
            .to_owned(),
    )
    .exec_with_returning_keys(db)
    .await?;
    keys.first()
        .copied()
        .ok_or_else(|| DbErr::RecordNotInserted)
}

/// Links a known visitor to a customer (from signed data). A visitor we hold nothing about
/// (never consented, or forgotten since) is not created.
pub async fn stitch(
    db: &impl ConnectionTrait,
    shop: ShopId,
    visitor_key: &str,
    customer: i64,
) -> Result<bool, DbErr> {
    let r = visitor::Entity::update_many()
        .col_expr(
            visitor::Column::CustomerId,
            sea_orm::sea_query::Expr::value(customer),
        )
        .filter(visitor::Column::ShopId.eq(shop.get()))
        .filter(visitor::Column::VisitorKey.eq(visitor_key))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn find_visitor(
    db: &impl ConnectionTrait,
    shop: ShopId,
    key: &str,
) -> Result<Option<visitor::Model>, DbErr> {
    visitor::Entity::find()
        .filter(visitor::Column::ShopId.eq(shop.get()))
        .filter(visitor::Column::VisitorKey.eq(key))
        .one(db)
        .await
}

/// The shopper behind a visitor: the visitor alone, or once stitched, every visitor (device)
/// of the same customer, so anonymous history follows the shopper after login.
pub async fn person_visitors(
    db: &impl ConnectionTrait,
    shop: ShopId,
    v: &visitor::Model,
) -> Result<Vec<i64>, DbErr> {
    let Some(customer) = v.customer_id else {
        return Ok(vec![v.id]);
    };
    let mut ids: Vec<i64> = visitor::Entity::find()
        .select_only()
        .column(visitor::Column::Id)
        .filter(visitor::Column::ShopId.eq(shop.get()))
        .filter(visitor::Column::CustomerId.eq(customer))
        .into_tuple()
        .all(db)
        .await?;
    if !ids.contains(&v.id) {
        ids.push(v.id);
    }
    Ok(ids)
}

/// The most recent events of these visitors, newest first.
pub async fn recent(
    db: &impl ConnectionTrait,
    shop: ShopId,
    visitors: &[i64],
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<storefront_event::Model>, DbErr> {
    storefront_event::Entity::find()
        .filter(storefront_event::Column::ShopId.eq(shop.get()))
        .filter(storefront_event::Column::VisitorId.is_in(visitors.iter().copied()))
        .filter(storefront_event::Column::OccurredAt.gte(since))
        .order_by_desc(storefront_event::Column::OccurredAt)
        .order_by_desc(storefront_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Events of a shop since a time, oldest first, in pages (`after` = last id seen).
pub async fn page_since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    since: DateTime<Utc>,
    after: i64,
    limit: u64,
) -> Result<Vec<storefront_event::Model>, DbErr> {
    storefront_event::Entity::find()
        .filter(storefront_event::Column::ShopId.eq(shop.get()))
        .filter(storefront_event::Column::OccurredAt.gte(since))
        .filter(storefront_event::Column::Id.gt(after))
        .order_by_asc(storefront_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// All visitors of a shop with their customer link.
pub async fn visitors(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<Vec<visitor::Model>, DbErr> {
    visitor::Entity::find()
        .filter(visitor::Column::ShopId.eq(shop.get()))
        .order_by_asc(visitor::Column::Id)
        .all(db)
        .await
}

/// How many events a shop holds (for the admin and tests).
pub async fn count(db: &impl ConnectionTrait, shop: ShopId) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    storefront_event::Entity::find()
        .filter(storefront_event::Column::ShopId.eq(shop.get()))
        .count(db)
        .await
}

/// Forgets a visitor that withdrew consent: the row and, by cascade, its events and profile.
pub async fn forget_visitor(
    db: &impl ConnectionTrait,
    shop: ShopId,
    key: &str,
) -> Result<u64, DbErr> {
    if let Some(v) = find_visitor(db, shop, key).await? {
        super::offers::forget_visitors(db, shop, &[v.id]).await?;
    }
    let r = visitor::Entity::delete_many()
        .filter(visitor::Column::ShopId.eq(shop.get()))
        .filter(visitor::Column::VisitorKey.eq(key))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Every visitor (browser) stitched to this customer.
pub async fn visitors_of_customer(
    db: &impl ConnectionTrait,
    shop: ShopId,
    customer: i64,
) -> Result<Vec<i64>, DbErr> {
    visitor::Entity::find()
        .select_only()
        .column(visitor::Column::Id)
        .filter(visitor::Column::ShopId.eq(shop.get()))
        .filter(visitor::Column::CustomerId.eq(customer))
        .into_tuple()
        .all(db)
        .await
}

/// `(visitor id, product platform id, at)` of every product view since `since`, grouped by
/// visitor and in time order: the browsing sessions "also viewed" learns from.
pub async fn product_views(
    db: &impl ConnectionTrait,
    shop: ShopId,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, String, DateTime<Utc>)>, DbErr> {
    storefront_event::Entity::find()
        .select_only()
        .column(storefront_event::Column::VisitorId)
        .column(storefront_event::Column::PlatformProductId)
        .column(storefront_event::Column::OccurredAt)
        .filter(storefront_event::Column::ShopId.eq(shop.get()))
        .filter(storefront_event::Column::Kind.eq("product_viewed"))
        .filter(storefront_event::Column::OccurredAt.gte(since))
        .order_by_asc(storefront_event::Column::VisitorId)
        .order_by_asc(storefront_event::Column::OccurredAt)
        .into_tuple()
        .all(db)
        .await
}

/// A shop's events of these kinds since a time, oldest first (measurement reads them).
pub async fn of_kinds_since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    kinds: &[&str],
    since: DateTime<Utc>,
) -> Result<Vec<storefront_event::Model>, DbErr> {
    storefront_event::Entity::find()
        .filter(storefront_event::Column::ShopId.eq(shop.get()))
        .filter(storefront_event::Column::Kind.is_in(kinds.iter().copied()))
        .filter(storefront_event::Column::OccurredAt.gte(since))
        .order_by_asc(storefront_event::Column::OccurredAt)
        .order_by_asc(storefront_event::Column::Id)
        .all(db)
        .await
}
