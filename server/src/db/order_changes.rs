//! Applying customer and order changes from a platform, with the same rule as the catalog:
//! an older `updated_at` never overwrites newer state; the same change twice is a no-op.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::catalog_changes::Applied;
use super::entities::{customer, order, order_line, product, variant};
use super::{DbErr, ShopId};
use crate::platform::{CustomerData, OrderData};

async fn find_customer(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
) -> Result<Option<customer::Model>, DbErr> {
    customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop.get()))
        .filter(customer::Column::PlatformId.eq(platform_id))
        .one(db)
        .await
}

pub async fn upsert_customer(
    db: &impl ConnectionTrait,
    shop: ShopId,
    c: &CustomerData,
) -> Result<Applied, DbErr> {
    let existing = find_customer(db, shop, &c.platform_id).await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.updated_at >= c.updated_at)
    {
        return Ok(Applied::Stale);
    }
    let mut row: customer::ActiveModel = match existing {
        Some(e) => e.into(),
        None => customer::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(c.platform_id.clone()),
            created_at: Set(c.created_at),
            ..Default::default()
        },
    };
    row.tags = Set(serde_json::json!(c.tags));
    row.accepts_marketing = Set(c.accepts_marketing);
    row.updated_at = Set(c.updated_at);
    row.save(db).await?;
    Ok(Applied::Written)
}

/// The customer's row id, creating a bare row (known only by its id) when an order names a
/// customer we have not seen yet. `at` dates the bare row so any real update wins.
async fn customer_id_for(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
    at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    if let Some(c) = find_customer(db, shop, platform_id).await? {
        return Ok(c.id);
    }
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let row = customer::ActiveModel {
        shop_id: Set(shop.get()),
        platform_id: Set(platform_id.to_owned()),
        tags: Set(serde_json::json!([])),
        accepts_marketing: Set(false),
        created_at: Set(at),
        updated_at: Set(epoch),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

/// Deletes the customer row; their orders stay as anonymous baskets.
pub async fn delete_customer(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
) -> Result<Applied, DbErr> {
    let res = customer::Entity::delete_many()
        .filter(customer::Column::ShopId.eq(shop.get()))
        .filter(customer::Column::PlatformId.eq(platform_id))
        .exec(db)
        .await?;
    Ok(if res.rows_affected > 0 {
        Applied::Written
    } else {
        Applied::Stale
    })
}

pub async fn upsert_order(
    db: &impl ConnectionTrait,
    shop: ShopId,
    o: &OrderData,
) -> Result<Applied, DbErr> {
    let existing = order::Entity::find()
        .filter(order::Column::ShopId.eq(shop.get()))
        .filter(order::Column::PlatformId.eq(o.platform_id.clone()))
        .one(db)
        .await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.updated_at >= o.updated_at)
    {
        return Ok(Applied::Stale);
    }
    let customer_id = match &o.customer_platform_id {
        Some(c) => Some(customer_id_for(db, shop, c, o.placed_at).await?),
        None => None,
    };
    let mut row: order::ActiveModel = match existing {
        Some(e) => e.into(),
        None => order::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(o.platform_id.clone()),
            ..Default::default()
        },
    };
    row.customer_id = Set(customer_id);
    row.name = Set(o.name.clone());
    row.currency = Set(o.currency.clone());
    row.subtotal_minor = Set(o.subtotal_minor);
    row.total_minor = Set(o.total_minor);
    row.discount_minor = Set(o.discount_minor);
    row.discount_codes = Set(serde_json::json!(o.discount_codes));
    row.financial_status = Set(o.financial_status.clone());
    row.placed_at = Set(o.placed_at);
    row.cancelled_at = Set(o.cancelled_at);
    row.updated_at = Set(o.updated_at);
    if let Some(key) = &o.visitor_key {
        let visitor = super::events::find_visitor(db, shop, key).await?;
        row.visitor_id = Set(visitor.map(|v| v.id));
    }
    let order_id = row.save(db).await?.id.unwrap();

    order_line::Entity::delete_many()
        .filter(order_line::Column::ShopId.eq(shop.get()))
        .filter(order_line::Column::OrderId.eq(order_id))
        .exec(db)
        .await?;
    let product_ids: Vec<String> = o
        .lines
        .iter()
        .filter_map(|l| l.product_platform_id.clone())
        .collect();
    let products: std::collections::HashMap<String, i64> = product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::PlatformId.is_in(product_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.platform_id, p.id))
        .collect();
    let variant_ids: Vec<String> = o
        .lines
        .iter()
        .filter_map(|l| l.variant_platform_id.clone())
        .collect();
    let variants: std::collections::HashMap<String, i64> = variant::Entity::find()
        .filter(variant::Column::ShopId.eq(shop.get()))
        .filter(variant::Column::PlatformId.is_in(variant_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.platform_id, v.id))
        .collect();
    if !o.lines.is_empty() {
        let rows = o.lines.iter().map(|l| order_line::ActiveModel {
            shop_id: Set(shop.get()),
            order_id: Set(order_id),
            product_id: Set(l
                .product_platform_id
                .as_ref()
                .and_then(|p| products.get(p).copied())),
            variant_id: Set(l
                .variant_platform_id
                .as_ref()
                .and_then(|v| variants.get(v).copied())),
            platform_product_id: Set(l.product_platform_id.clone().unwrap_or_default()),
            quantity: Set(l.quantity),
            unit_price_minor: Set(l.unit_price_minor),
            ..Default::default()
        });
        order_line::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(Applied::Written)
}
