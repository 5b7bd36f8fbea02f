//! Customers, orders and order lines of one shop, and the purchase data models learn from.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::{customer, order, order_line};
use super::{DbErr, ShopId};

const BATCH: usize = 500;

/// Inserts customers known only by their platform id. Returns platform id -> our id.
pub async fn insert_customers(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_ids: &[(String, DateTime<Utc>)],
) -> Result<HashMap<String, i64>, DbErr> {
    for chunk in platform_ids.chunks(BATCH) {
        let rows = chunk.iter().map(|(pid, created)| customer::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(pid.clone()),
            tags: Set(serde_json::json!([])),
            accepts_marketing: Set(false),
            created_at: Set(*created),
            updated_at: Set(*created),
            ..Default::default()
        });
        customer::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let rows: Vec<(String, i64)> = customer::Entity::find()
        .select_only()
        .column(customer::Column::PlatformId)
        .column(customer::Column::Id)
        .filter(customer::Column::ShopId.eq(shop.get()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub platform_id: String,
    pub customer_id: Option<i64>,
    pub currency: String,
    pub placed_at: DateTime<Utc>,
    pub lines: Vec<NewLine>,
}

#[derive(Debug, Clone)]
pub struct NewLine {
    pub product_id: Option<i64>,
    pub platform_product_id: String,
    pub quantity: i32,
    pub unit_price_minor: i64,
}

/// Inserts orders with their lines; totals are the sum of the lines.
pub async fn insert_orders(
    db: &impl ConnectionTrait,
    shop: ShopId,
    orders: &[NewOrder],
    mut progress: impl FnMut(usize),
) -> Result<(), DbErr> {
    for chunk in orders.chunks(BATCH) {
        let rows = chunk.iter().map(|o| {
            let subtotal: i64 = o
                .lines
                .iter()
                .map(|l| l.unit_price_minor * l.quantity as i64)
                .sum();
            order::ActiveModel {
                shop_id: Set(shop.get()),
                platform_id: Set(o.platform_id.clone()),
                customer_id: Set(o.customer_id),
                name: Set(format!("#{}", o.platform_id)),
                currency: Set(o.currency.clone()),
                subtotal_minor: Set(subtotal),
                total_minor: Set(subtotal),
                discount_minor: Set(0),
                discount_codes: Set(serde_json::json!([])),
                financial_status: Set("paid".to_owned()),
                placed_at: Set(o.placed_at),
                cancelled_at: Set(None),
                updated_at: Set(o.placed_at),
                ..Default::default()
            }
        });
        order::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let ids: HashMap<String, i64> = order::Entity::find()
        .select_only()
        .column(order::Column::PlatformId)
        .column(order::Column::Id)
        .filter(order::Column::ShopId.eq(shop.get()))
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut done = 0;
    let mut batch = Vec::with_capacity(BATCH * 2);
    for o in orders {
        let Some(&order_id) = ids.get(&o.platform_id) else {
            continue;
        };
        for l in &o.lines {
            batch.push(order_line::ActiveModel {
                shop_id: Set(shop.get()),
                order_id: Set(order_id),
                product_id: Set(l.product_id),
                variant_id: Set(None),
                platform_product_id: Set(l.platform_product_id.clone()),
                quantity: Set(l.quantity),
                unit_price_minor: Set(l.unit_price_minor),
                ..Default::default()
            });
        }
        done += 1;
        if batch.len() >= BATCH * 2 {
            order_line::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(db)
                .await?;
            progress(done);
        }
    }
    if !batch.is_empty() {
        order_line::Entity::insert_many(batch)
            .exec_without_returning(db)
            .await?;
    }
    progress(done);
    Ok(())
}

/// Changes whenever an order is added, removed or updated: models built from an older
/// fingerprint are stale. Every process computes it from the database alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrdersFingerprint {
    pub count: i64,
    pub max_id: i64,
    pub last_update: Option<DateTime<Utc>>,
}

/// Whether the orders a model was built from are all still there as they were, so that only
/// orders added since (ids above `then.max_id`) are new to it. An edit is seen through its
/// `updated_at` (the platform's), a deletion through the count.
pub async fn only_added_since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    then: &OrdersFingerprint,
) -> Result<bool, DbErr> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = order::Entity::find()
        .select_only()
        .column_as(order::Column::Id.count(), "count")
        .column_as(order::Column::UpdatedAt.max(), "last_update")
        .filter(order::Column::ShopId.eq(shop.get()))
        .filter(order::Column::Id.lte(then.max_id))
        .into_tuple()
        .one(db)
        .await?;
    let (count, last_update) = row.unwrap_or((0, None));
    Ok(count == then.count && last_update == then.last_update)
}

pub async fn fingerprint(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<OrdersFingerprint, DbErr> {
    let row: Option<(i64, Option<i64>, Option<DateTime<Utc>>)> = order::Entity::find()
        .select_only()
        .column_as(order::Column::Id.count(), "count")
        .column_as(order::Column::Id.max(), "max_id")
        .column_as(order::Column::UpdatedAt.max(), "last_update")
        .filter(order::Column::ShopId.eq(shop.get()))
        .into_tuple()
        .one(db)
        .await?;
    let (count, max_id, last_update) = row.unwrap_or((0, None, None));
    Ok(OrdersFingerprint {
        count,
        max_id: max_id.unwrap_or(0),
        last_update,
    })
}

/// The customer's purchased products, most recent order first: `(product id, placed_at)`.
pub async fn customer_purchases(
    db: &impl ConnectionTrait,
    shop: ShopId,
    customer_platform_id: &str,
) -> Result<Vec<(i64, DateTime<Utc>)>, DbErr> {
    let Some(customer) = customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop.get()))
        .filter(customer::Column::PlatformId.eq(customer_platform_id))
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    order_line::Entity::find()
        .select_only()
        .column(order_line::Column::ProductId)
        .column(order::Column::PlacedAt)
        .inner_join(order::Entity)
        .filter(order_line::Column::ShopId.eq(shop.get()))
        .filter(order::Column::CustomerId.eq(customer.id))
        .filter(order::Column::CancelledAt.is_null())
        .filter(order_line::Column::ProductId.is_not_null())
        .order_by_desc(order::Column::PlacedAt)
        .into_tuple()
        .all(db)
        .await
}

/// `(order id, product id, placed_at, customer id)` for every line of every non-cancelled
/// order (or of those with an id above `after`), grouped by order.
pub async fn basket_lines_timed(
    db: &impl ConnectionTrait,
    shop: ShopId,
    after: Option<i64>,
) -> Result<Vec<(i64, i64, DateTime<Utc>, Option<i64>)>, DbErr> {
    let mut q = order_line::Entity::find();
    if let Some(after) = after {
        q = q.filter(order_line::Column::OrderId.gt(after));
    }
    q.select_only()
        .column(order_line::Column::OrderId)
        .column(order_line::Column::ProductId)
        .column(order::Column::PlacedAt)
        .column(order::Column::CustomerId)
        .inner_join(order::Entity)
        .filter(order_line::Column::ShopId.eq(shop.get()))
        .filter(order_line::Column::ProductId.is_not_null())
        .filter(order::Column::CancelledAt.is_null())
        .order_by_asc(order_line::Column::OrderId)
        .into_tuple()
        .all(db)
        .await
}

/// The platform id of our customer row `id`.
pub async fn customer_platform_id(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: i64,
) -> Result<Option<String>, DbErr> {
    Ok(customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop.get()))
        .filter(customer::Column::Id.eq(id))
        .one(db)
        .await?
        .map(|c| c.platform_id))
}

/// Our row id of the customer with this platform id, if we know them.
pub async fn customer_row_id(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
) -> Result<Option<i64>, DbErr> {
    Ok(customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop.get()))
        .filter(customer::Column::PlatformId.eq(platform_id))
        .one(db)
        .await?
        .map(|c| c.id))
}

/// `(customer id, placed_at, total, discount)` of non-cancelled orders with a customer, oldest
/// first: all of the shop's, or one customer's.
async fn order_facts(
    db: &impl ConnectionTrait,
    shop: ShopId,
    customer: Option<i64>,
) -> Result<Vec<(i64, DateTime<Utc>, i64, i64)>, DbErr> {
    order::Entity::find()
        .select_only()
        .column(order::Column::CustomerId)
        .column(order::Column::PlacedAt)
        .column(order::Column::TotalMinor)
        .column(order::Column::DiscountMinor)
        .filter(order::Column::ShopId.eq(shop.get()))
        .filter(match customer {
            Some(c) => order::Column::CustomerId.eq(c),
            None => order::Column::CustomerId.is_not_null(),
        })
        .filter(order::Column::CancelledAt.is_null())
        .order_by_asc(order::Column::PlacedAt)
        .into_tuple()
        .all(db)
        .await
}

/// `(customer id, product id, placed_at, unit price, quantity)` of lines bought by known
/// customers in non-cancelled orders: all of the shop's, or one customer's.
async fn line_facts(
    db: &impl ConnectionTrait,
    shop: ShopId,
    customer: Option<i64>,
) -> Result<Vec<(i64, i64, DateTime<Utc>, i64, i32)>, DbErr> {
    order_line::Entity::find()
        .select_only()
        .column(order::Column::CustomerId)
        .column(order_line::Column::ProductId)
        .column(order::Column::PlacedAt)
        .column(order_line::Column::UnitPriceMinor)
        .column(order_line::Column::Quantity)
        .inner_join(order::Entity)
        .filter(order_line::Column::ShopId.eq(shop.get()))
        .filter(order_line::Column::ProductId.is_not_null())
        .filter(match customer {
            Some(c) => order::Column::CustomerId.eq(c),
            None => order::Column::CustomerId.is_not_null(),
        })
        .filter(order::Column::CancelledAt.is_null())
        .into_tuple()
        .all(db)
        .await
}

/// Every customer's orders: what customer value models learn from.
pub async fn customer_orders(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<Vec<(i64, DateTime<Utc>, i64, i64)>, DbErr> {
    order_facts(db, shop, None).await
}

/// Every customer's purchased lines: affinities and price bands.
pub async fn customer_lines(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<Vec<(i64, i64, DateTime<Utc>, i64, i32)>, DbErr> {
    line_facts(db, shop, None).await
}

/// One customer's orders, as [`customer_orders`] gives them.
pub async fn orders_of_customer(
    db: &impl ConnectionTrait,
    shop: ShopId,
    customer: i64,
) -> Result<Vec<(i64, DateTime<Utc>, i64, i64)>, DbErr> {
    order_facts(db, shop, Some(customer)).await
}

/// One customer's purchased lines, as [`customer_lines`] gives them.
pub async fn lines_of_customer(
    db: &impl ConnectionTrait,
    shop: ShopId,
    customer: i64,
) -> Result<Vec<(i64, i64, DateTime<Utc>, i64, i32)>, DbErr> {
    line_facts(db, shop, Some(customer)).await
}
