//! Privacy obligations: a customer's data export, a customer's erasure, a shop's erasure.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use super::entities::{
    customer, data_export, order, order_line, profile, recommendation_model, shop,
    storefront_event, visitor,
};
use super::{DbErr, ShopId};

/// Everything we hold about the customer, as one JSON document.
pub async fn customer_data(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    customer_platform_id: &str,
) -> Result<Value, DbErr> {
    let Some(c) = customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop_id.get()))
        .filter(customer::Column::PlatformId.eq(customer_platform_id))
        .one(db)
        .await?
    else {
        return Ok(json!({ "customer_id": customer_platform_id, "found": false }));
    };
    let orders = order::Entity::find()
        .filter(order::Column::ShopId.eq(shop_id.get()))
        .filter(order::Column::CustomerId.eq(c.id))
        .order_by_asc(order::Column::PlacedAt)
        .all(db)
        .await?;
    let mut order_docs = Vec::new();
    for o in &orders {
        let lines = order_line::Entity::find()
            .filter(order_line::Column::OrderId.eq(o.id))
            .all(db)
            .await?;
        order_docs.push(json!({
            "order_id": o.platform_id, "name": o.name, "placed_at": o.placed_at,
            "currency": o.currency, "total_minor": o.total_minor, "discount_codes": o.discount_codes,
            "lines": lines.iter().map(|l| json!({"product_id": l.platform_product_id, "quantity": l.quantity, "unit_price_minor": l.unit_price_minor})).collect::<Vec<_>>(),
        }));
    }
    let visitors = visitor::Entity::find()
        .filter(visitor::Column::ShopId.eq(shop_id.get()))
        .filter(visitor::Column::CustomerId.eq(c.id))
        .all(db)
        .await?;
    let mut visitor_docs = Vec::new();
    for v in &visitors {
        let events = storefront_event::Entity::find()
            .filter(storefront_event::Column::VisitorId.eq(v.id))
            .order_by_asc(storefront_event::Column::OccurredAt)
            .all(db)
            .await?;
        let profile = profile::Entity::find()
            .filter(profile::Column::VisitorId.eq(v.id))
            .one(db)
            .await?;
        visitor_docs.push(json!({
            "visitor_id": v.visitor_key, "first_seen_at": v.first_seen_at, "last_seen_at": v.last_seen_at,
            "profile": profile.map(|p| p.features),
            "events": events.iter().map(|e| json!({"kind": e.kind, "product_id": e.platform_product_id, "occurred_at": e.occurred_at, "payload": e.payload})).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "customer_id": c.platform_id,
        "found": true,
        "customer": { "tags": c.tags, "accepts_marketing": c.accepts_marketing, "created_at": c.created_at, "updated_at": c.updated_at },
        "orders": order_docs,
        "visitors": visitor_docs,
    }))
}

pub async fn save_export(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    request_id: &str,
    customer_platform_id: &str,
    data: Value,
) -> Result<i64, DbErr> {
    let row = data_export::ActiveModel {
        shop_id: Set(shop_id.get()),
        kind: Set("customers/data_request".to_owned()),
        request_id: Set(request_id.to_owned()),
        customer_platform_id: Set(customer_platform_id.to_owned()),
        data: Set(data),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

pub use data_export::Model as DataExport;

pub async fn list_exports(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
) -> Result<Vec<DataExport>, DbErr> {
    data_export::Entity::find()
        .filter(data_export::Column::ShopId.eq(shop_id.get()))
        .order_by_desc(data_export::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn get_export(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    id: i64,
) -> Result<Option<DataExport>, DbErr> {
    data_export::Entity::find_by_id(id)
        .filter(data_export::Column::ShopId.eq(shop_id.get()))
        .one(db)
        .await
}

/// Erases the customer: their visitors (with events, profiles and offer decisions), exports about them and the
/// customer row itself. Their orders stay as anonymous baskets (no customer link, no personal
/// fields are stored on orders).
pub async fn redact_customer(
    db: &impl ConnectionTrait,
    shop_id: ShopId,
    customer_platform_id: &str,
) -> Result<(), DbErr> {
    if let Some(c) = customer::Entity::find()
        .filter(customer::Column::ShopId.eq(shop_id.get()))
        .filter(customer::Column::PlatformId.eq(customer_platform_id))
        .one(db)
        .await?
    {
        let visitor_ids: Vec<i64> = visitor::Entity::find()
            .filter(visitor::Column::ShopId.eq(shop_id.get()))
            .filter(visitor::Column::CustomerId.eq(c.id))
            .all(db)
            .await?
            .into_iter()
            .map(|v| v.id)
            .collect();
        if !visitor_ids.is_empty() {
            super::offers::forget_visitors(db, shop_id, &visitor_ids).await?;
            storefront_event::Entity::delete_many()
                .filter(storefront_event::Column::VisitorId.is_in(visitor_ids.clone()))
                .exec(db)
                .await?;
            profile::Entity::delete_many()
                .filter(profile::Column::VisitorId.is_in(visitor_ids.clone()))
                .exec(db)
                .await?;
            visitor::Entity::delete_many()
                .filter(visitor::Column::Id.is_in(visitor_ids))
                .exec(db)
                .await?;
        }
        order::Entity::update_many()
            .col_expr(
                order::Column::CustomerId,
                sea_orm::sea_query::Expr::value(Option::<i64>::None),
            )
            .filter(order::Column::ShopId.eq(shop_id.get()))
            .filter(order::Column::CustomerId.eq(c.id))
            .exec(db)
            .await?;
        customer::Entity::delete_by_id(c.id).exec(db).await?;
        // The stored recommendation model knows the customer's purchases by their row id:
        // every process builds a new one without them.
        recommendation_model::Entity::delete_many()
            .filter(recommendation_model::Column::ShopId.eq(shop_id.get()))
            .exec(db)
            .await?;
    }
    data_export::Entity::delete_many()
        .filter(data_export::Column::ShopId.eq(shop_id.get()))
        .filter(data_export::Column::CustomerPlatformId.eq(customer_platform_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Erases the shop and, through the schema's cascades, every row that belongs to it.
pub async fn redact_shop(db: &impl ConnectionTrait, shop_id: ShopId) -> Result<(), DbErr> {
    shop::Entity::delete_by_id(shop_id.get()).exec(db).await?;
    Ok(())
}
