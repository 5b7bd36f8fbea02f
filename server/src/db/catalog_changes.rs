//! Applying catalog changes from a platform (webhooks, sync). Every write compares the
//! platform's `updated_at` with what is stored: an older change never overwrites a newer one,
//! and re-applying the same change is a no-op.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::{
    collection, inventory_level, order_line, product, product_collection, variant,
};
use super::{DbErr, ShopId};
use crate::platform::{
    CollectionData, InventoryItemCostData, InventoryLevelData, ProductData, VariantData,
};

/// Whether a change was written or skipped as stale/duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Written,
    Stale,
}

async fn find_product(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
) -> Result<Option<product::Model>, DbErr> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::PlatformId.eq(platform_id))
        .one(db)
        .await
}

fn summary(p: &ProductData) -> (i64, Option<i64>) {
    let price = p.variants.iter().map(|v| v.price_minor).min().unwrap_or(0);
    let tracked: Vec<i64> = p
        .variants
        .iter()
        .filter_map(|v| v.inventory_quantity)
        .collect();
    let stock = (!tracked.is_empty()).then(|| tracked.iter().map(|q| q.max(&0)).sum());
    (price, stock)
}

pub async fn upsert_product(
    db: &impl ConnectionTrait,
    shop: ShopId,
    currency: &str,
    p: &ProductData,
) -> Result<Applied, DbErr> {
    let existing = find_product(db, shop, &p.platform_id).await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.updated_at >= p.updated_at)
    {
        return Ok(Applied::Stale);
    }
    let (price, stock) = summary(p);
    let existing_id = existing.as_ref().map(|e| e.id);
    // Another (deleted) product may still hold this handle: free it.
    product::Entity::update_many()
        .col_expr(
            product::Column::Handle,
            sea_orm::sea_query::Expr::value(format!(
                "{}--{}",
                p.handle,
                uuid::Uuid::new_v4().simple()
            )),
        )
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::Handle.eq(p.handle.clone()))
        .filter(product::Column::PlatformId.ne(p.platform_id.clone()))
        .filter(product::Column::Status.eq("deleted"))
        .exec(db)
        .await?;
    let mut row: product::ActiveModel = match existing {
        Some(e) => e.into(),
        None => product::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(p.platform_id.clone()),
            ..Default::default()
        },
    };
    row.handle = Set(p.handle.clone());
    row.title = Set(p.title.clone());
    row.description = Set(p.description.clone());
    row.product_type = Set(p.product_type.clone());
    row.vendor = Set(p.vendor.clone());
    row.tags = Set(serde_json::json!(p.tags));
    row.status = Set(p.status.clone());
    row.image_url = Set(p.image_url.clone());
    row.price_minor = Set(price);
    row.currency = Set(currency.to_owned());
    row.inventory_quantity = Set(stock);
    row.created_at = Set(p.created_at);
    row.updated_at = Set(p.updated_at);
    // Costs the message does not carry stay as they were.
    let known_costs: HashMap<String, Option<i64>> = match &existing_id {
        Some(id) => variant::Entity::find()
            .filter(variant::Column::ShopId.eq(shop.get()))
            .filter(variant::Column::ProductId.eq(*id))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.platform_id, v.cost_minor))
            .collect(),
        None => HashMap::new(),
    };
    let cost_of = |v: &VariantData| -> Option<i64> {
        v.cost_minor
            .unwrap_or_else(|| known_costs.get(&v.platform_id).copied().flatten())
    };
    row.cost_minor = Set(product_cost(
        p.variants.iter().map(|v| (v.price_minor, cost_of(v))),
    ));
    let saved = row.save(db).await?;
    let product_id = saved.id.unwrap();
    variant::Entity::delete_many()
        .filter(variant::Column::ShopId.eq(shop.get()))
        .filter(variant::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    if !p.variants.is_empty() {
        let rows = p.variants.iter().map(|v| variant::ActiveModel {
            shop_id: Set(shop.get()),
            product_id: Set(product_id),
            platform_id: Set(v.platform_id.clone()),
            title: Set(v.title.clone()),
            sku: Set(v.sku.clone()),
            price_minor: Set(v.price_minor),
            compare_at_price_minor: Set(v.compare_at_price_minor),
            cost_minor: Set(cost_of(v)),
            currency: Set(currency.to_owned()),
            inventory_quantity: Set(v.inventory_quantity),
            available: Set(v.inventory_quantity.is_none_or(|q| q > 0)),
            inventory_item_id: Set(v.inventory_item_id.clone()),
            updated_at: Set(p.updated_at),
            ..Default::default()
        });
        variant::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    if let Some(collections) = &p.collections {
        set_product_collections(db, shop, product_id, collections).await?;
    }
    // Orders that arrived before the product now count for it.
    order_line::Entity::update_many()
        .col_expr(
            order_line::Column::ProductId,
            sea_orm::sea_query::Expr::value(product_id),
        )
        .filter(order_line::Column::ShopId.eq(shop.get()))
        .filter(order_line::Column::PlatformProductId.eq(p.platform_id.clone()))
        .filter(order_line::Column::ProductId.is_null())
        .exec(db)
        .await?;
    Ok(Applied::Written)
}

async fn set_product_collections(
    db: &impl ConnectionTrait,
    shop: ShopId,
    product_id: i64,
    collection_platform_ids: &[String],
) -> Result<(), DbErr> {
    product_collection::Entity::delete_many()
        .filter(product_collection::Column::ShopId.eq(shop.get()))
        .filter(product_collection::Column::ProductId.eq(product_id))
        .exec(db)
        .await?;
    let ids: Vec<i64> = collection::Entity::find()
        .filter(collection::Column::ShopId.eq(shop.get()))
        .filter(collection::Column::PlatformId.is_in(collection_platform_ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if !ids.is_empty() {
        let rows = ids
            .into_iter()
            .map(|collection_id| product_collection::ActiveModel {
                shop_id: Set(shop.get()),
                product_id: Set(product_id),
                collection_id: Set(collection_id),
            });
        product_collection::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Marks the product deleted as of `at` (kept as a tombstone so that an older update arriving
/// later cannot bring it back), freeing its handle.
pub async fn delete_product(
    db: &impl ConnectionTrait,
    shop: ShopId,
    currency: &str,
    platform_id: &str,
    at: DateTime<Utc>,
) -> Result<Applied, DbErr> {
    let existing = find_product(db, shop, platform_id).await?;
    if existing.as_ref().is_some_and(|e| e.updated_at >= at) {
        return Ok(Applied::Stale);
    }
    let mut row: product::ActiveModel = match existing {
        Some(e) => e.into(),
        None => product::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(platform_id.to_owned()),
            title: Set(String::new()),
            description: Set(String::new()),
            product_type: Set(String::new()),
            vendor: Set(String::new()),
            tags: Set(serde_json::json!([])),
            image_url: Set(None),
            price_minor: Set(0),
            currency: Set(currency.to_owned()),
            inventory_quantity: Set(None),
            created_at: Set(at),
            ..Default::default()
        },
    };
    row.handle = Set(format!("deleted--{platform_id}"));
    row.status = Set("deleted".to_owned());
    row.updated_at = Set(at);
    row.save(db).await?;
    Ok(Applied::Written)
}

pub async fn upsert_collection(
    db: &impl ConnectionTrait,
    shop: ShopId,
    c: &CollectionData,
) -> Result<Applied, DbErr> {
    let existing = collection::Entity::find()
        .filter(collection::Column::ShopId.eq(shop.get()))
        .filter(collection::Column::PlatformId.eq(c.platform_id.clone()))
        .one(db)
        .await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.updated_at >= c.updated_at)
    {
        return Ok(Applied::Stale);
    }
    let mut row: collection::ActiveModel = match existing {
        Some(e) => e.into(),
        None => collection::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(c.platform_id.clone()),
            ..Default::default()
        },
    };
    row.handle = Set(c.handle.clone());
    row.title = Set(c.title.clone());
    row.updated_at = Set(c.updated_at);
    row.save(db).await?;
    Ok(Applied::Written)
}

/// Removes the collection's memberships and keeps an empty tombstone dated `at`.
pub async fn delete_collection(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
    at: DateTime<Utc>,
) -> Result<Applied, DbErr> {
    let tombstone = CollectionData {
        platform_id: platform_id.to_owned(),
        handle: String::new(),
        title: String::new(),
        updated_at: at,
    };
    let applied = upsert_collection(db, shop, &tombstone).await?;
    if applied == Applied::Written
        && let Some(c) = collection::Entity::find()
            .filter(collection::Column::ShopId.eq(shop.get()))
            .filter(collection::Column::PlatformId.eq(platform_id))
            .one(db)
            .await?
    {
        product_collection::Entity::delete_many()
            .filter(product_collection::Column::CollectionId.eq(c.id))
            .exec(db)
            .await?;
    }
    Ok(applied)
}

/// Records a location's stock and recomputes the variant's and its product's totals.
/// A product's unit cost: that of its cheapest variant (whose price is the product's), when
/// known.
fn product_cost(variants: impl Iterator<Item = (i64, Option<i64>)>) -> Option<i64> {
    variants
        .min_by_key(|&(price, _)| price)
        .and_then(|(_, cost)| cost)
}

/// An inventory item's unit cost, onto its variants and their products.
pub async fn set_item_cost(
    db: &impl ConnectionTrait,
    shop: ShopId,
    item: &InventoryItemCostData,
) -> Result<Applied, DbErr> {
    let variants = variant::Entity::find()
        .filter(variant::Column::ShopId.eq(shop.get()))
        .filter(variant::Column::InventoryItemId.eq(item.inventory_item_id.clone()))
        .all(db)
        .await?;
    if variants.is_empty() {
        return Ok(Applied::Stale);
    }
    variant::Entity::update_many()
        .col_expr(
            variant::Column::CostMinor,
            sea_orm::sea_query::Expr::value(item.cost_minor),
        )
        .filter(variant::Column::ShopId.eq(shop.get()))
        .filter(variant::Column::InventoryItemId.eq(item.inventory_item_id.clone()))
        .exec(db)
        .await?;
    let mut products: Vec<i64> = variants.iter().map(|v| v.product_id).collect();
    products.sort_unstable();
    products.dedup();
    for product_id in products {
        let cost = product_cost(
            variant::Entity::find()
                .filter(variant::Column::ShopId.eq(shop.get()))
                .filter(variant::Column::ProductId.eq(product_id))
                .all(db)
                .await?
                .into_iter()
                .map(|v| (v.price_minor, v.cost_minor)),
        );
        product::Entity::update_many()
            .col_expr(
                product::Column::CostMinor,
                sea_orm::sea_query::Expr::value(cost),
            )
            .filter(product::Column::ShopId.eq(shop.get()))
            .filter(product::Column::Id.eq(product_id))
            .exec(db)
            .await?;
    }
    Ok(Applied::Written)
}

pub async fn set_inventory_level(
    db: &impl ConnectionTrait,
    shop: ShopId,
    level: &InventoryLevelData,
) -> Result<Applied, DbErr> {
    let existing = inventory_level::Entity::find()
        .filter(inventory_level::Column::ShopId.eq(shop.get()))
        .filter(inventory_level::Column::InventoryItemId.eq(level.inventory_item_id.clone()))
        .filter(inventory_level::Column::LocationId.eq(level.location_id.clone()))
        .one(db)
        .await?;
    if existing
        .as_ref()
        .is_some_and(|e| e.updated_at >= level.updated_at)
    {
        return Ok(Applied::Stale);
    }
    let mut row: inventory_level::ActiveModel = match existing {
        Some(e) => e.into(),
        None => inventory_level::ActiveModel {
            shop_id: Set(shop.get()),
            inventory_item_id: Set(level.inventory_item_id.clone()),
            location_id: Set(level.location_id.clone()),
            ..Default::default()
        },
    };
    row.available = Set(level.available);
    row.updated_at = Set(level.updated_at);
    row.save(db).await?;

    let total: i64 = inventory_level::Entity::find()
        .filter(inventory_level::Column::ShopId.eq(shop.get()))
        .filter(inventory_level::Column::InventoryItemId.eq(level.inventory_item_id.clone()))
        .all(db)
        .await?
        .iter()
        .map(|l| l.available.max(0))
        .sum();
    let variants = variant::Entity::find()
        .filter(variant::Column::ShopId.eq(shop.get()))
        .filter(variant::Column::InventoryItemId.eq(level.inventory_item_id.clone()))
        .all(db)
        .await?;
    for v in variants {
        let product_id = v.product_id;
        let mut active: variant::ActiveModel = v.into();
        active.inventory_quantity = Set(Some(total));
        active.available = Set(total > 0);
        active.update(db).await?;
        let product_total: Option<i64> = variant::Entity::find()
            .filter(variant::Column::ProductId.eq(product_id))
            .all(db)
            .await?
            .iter()
            .filter_map(|v| v.inventory_quantity)
            .map(|q| q.max(0))
            .reduce(|a, b| a + b);
        product::Entity::update_many()
            .col_expr(
                product::Column::InventoryQuantity,
                sea_orm::sea_query::Expr::value(product_total),
            )
            .filter(product::Column::Id.eq(product_id))
            .exec(db)
            .await?;
    }
    Ok(Applied::Written)
}
