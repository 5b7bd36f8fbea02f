//! Products and variants of one shop.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::{product, variant};
use super::{DbErr, ShopId};

pub use product::Model as ProductRow;

/// A product as the catalog sync or demo loader hands it over.
#[derive(Debug, Clone)]
pub struct NewProduct {
    pub platform_id: String,
    pub handle: String,
    pub title: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    pub price_minor: i64,
    pub currency: String,
    pub image_url: Option<String>,
    pub inventory_quantity: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

const BATCH: usize = 500;

/// Inserts products, each with one default variant. Returns platform id -> our id.
pub async fn insert_products(
    db: &impl ConnectionTrait,
    shop: ShopId,
    products: &[NewProduct],
) -> Result<HashMap<String, i64>, DbErr> {
    for chunk in products.chunks(BATCH) {
        let rows = chunk.iter().map(|p| product::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(p.platform_id.clone()),
            handle: Set(p.handle.clone()),
            title: Set(p.title.clone()),
            description: Set(String::new()),
            product_type: Set(p.product_type.clone()),
            vendor: Set(p.vendor.clone()),
            tags: Set(serde_json::json!(p.tags)),
            status: Set("active".to_owned()),
            image_url: Set(p.image_url.clone()),
            price_minor: Set(p.price_minor),
            currency: Set(p.currency.clone()),
            inventory_quantity: Set(p.inventory_quantity),
            created_at: Set(p.updated_at),
            updated_at: Set(p.updated_at),
            ..Default::default()
        });
        product::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    let ids = product_ids(db, shop).await?;
    for chunk in products.chunks(BATCH) {
        let rows = chunk.iter().filter_map(|p| {
            let product_id = *ids.get(&p.platform_id)?;
            Some(variant::ActiveModel {
                shop_id: Set(shop.get()),
                product_id: Set(product_id),
                platform_id: Set(format!("{}-default", p.platform_id)),
                title: Set("Default".to_owned()),
                sku: Set(p.platform_id.clone()),
                price_minor: Set(p.price_minor),
                compare_at_price_minor: Set(None),
                cost_minor: Set(None),
                currency: Set(p.currency.clone()),
                inventory_quantity: Set(p.inventory_quantity),
                available: Set(p.inventory_quantity.is_none_or(|q| q > 0)),
                inventory_item_id: Set(String::new()),
                updated_at: Set(p.updated_at),
                ..Default::default()
            })
        });
        variant::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(ids)
}

/// Platform product id -> our product id, for the whole shop.
pub async fn product_ids(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<HashMap<String, i64>, DbErr> {
    let rows: Vec<(String, i64)> = product::Entity::find()
        .select_only()
        .column(product::Column::PlatformId)
        .column(product::Column::Id)
        .filter(product::Column::ShopId.eq(shop.get()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn count(db: &impl ConnectionTrait, shop: ShopId) -> Result<u64, DbErr> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .count(db)
        .await
}

/// Products by our ids, in no particular order.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    shop: ShopId,
    ids: &[i64],
) -> Result<Vec<ProductRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await
}

pub async fn by_platform_id(
    db: &impl ConnectionTrait,
    shop: ShopId,
    platform_id: &str,
) -> Result<Option<ProductRow>, DbErr> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::PlatformId.eq(platform_id))
        .one(db)
        .await
}

pub async fn by_handle(
    db: &impl ConnectionTrait,
    shop: ShopId,
    handle: &str,
) -> Result<Option<ProductRow>, DbErr> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::Handle.eq(handle))
        .one(db)
        .await
}

/// A page of active products, newest first by title for a stable storefront listing.
pub async fn page(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offset: u64,
    limit: u64,
) -> Result<Vec<ProductRow>, DbErr> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::Status.eq("active"))
        .order_by_asc(product::Column::Title)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await
}

/// `(id, title, product_type, vendor, tags, description)` of every product of a shop.
pub type ProductTexts = Vec<(i64, String, String, String, serde_json::Value, String)>;

/// What content similarity reads of every product of the shop.
pub async fn texts(db: &impl ConnectionTrait, shop: ShopId) -> Result<ProductTexts, DbErr> {
    product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::Title)
        .column(product::Column::ProductType)
        .column(product::Column::Vendor)
        .column(product::Column::Tags)
        .column(product::Column::Description)
        .filter(product::Column::ShopId.eq(shop.get()))
        .order_by_asc(product::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Changes whenever a product is added or updated.
pub async fn fingerprint(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<(i64, Option<DateTime<Utc>>), DbErr> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = product::Entity::find()
        .select_only()
        .column_as(product::Column::Id.count(), "count")
        .column_as(product::Column::UpdatedAt.max(), "last_update")
        .filter(product::Column::ShopId.eq(shop.get()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(row.unwrap_or((0, None)))
}

/// The collections (platform id and handle) of each of these products.
pub async fn collections_of(
    db: &impl ConnectionTrait,
    shop: ShopId,
    product_ids: &[i64],
) -> Result<HashMap<i64, Vec<(String, String)>>, DbErr> {
    use super::entities::{collection, product_collection};
    if product_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links = product_collection::Entity::find()
        .filter(product_collection::Column::ShopId.eq(shop.get()))
        .filter(product_collection::Column::ProductId.is_in(product_ids.iter().copied()))
        .all(db)
        .await?;
    let collections: HashMap<i64, (String, String)> = collection::Entity::find()
        .filter(collection::Column::ShopId.eq(shop.get()))
        .filter(collection::Column::Id.is_in(links.iter().map(|l| l.collection_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.platform_id, c.handle)))
        .collect();
    let mut out: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for l in links {
        if let Some(c) = collections.get(&l.collection_id) {
            out.entry(l.product_id).or_default().push(c.clone());
        }
    }
    Ok(out)
}

/// `(id, platform id, product type, vendor, tags, price)` of every product of a shop.
pub type ProductAttributes = Vec<(i64, String, String, String, serde_json::Value, i64)>;

/// What profiles and segments read of every product: the attributes affinities and behaviour
/// conditions are about.
pub async fn attributes(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<ProductAttributes, DbErr> {
    product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .column(product::Column::PlatformId)
        .column(product::Column::ProductType)
        .column(product::Column::Vendor)
        .column(product::Column::Tags)
        .column(product::Column::PriceMinor)
        .filter(product::Column::ShopId.eq(shop.get()))
        .order_by_asc(product::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// `(product id, collection platform id, collection handle)` for every product of a shop
/// that is in a collection.
pub async fn all_collection_links(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<Vec<(i64, String, String)>, DbErr> {
    use super::entities::{collection, product_collection};
    let names: HashMap<i64, (String, String)> = collection::Entity::find()
        .filter(collection::Column::ShopId.eq(shop.get()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, (c.platform_id, c.handle)))
        .collect();
    Ok(product_collection::Entity::find()
        .filter(product_collection::Column::ShopId.eq(shop.get()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| {
            names
                .get(&l.collection_id)
                .map(|(pid, handle)| (l.product_id, pid.clone(), handle.clone()))
        })
        .collect())
}

/// Every product of a shop, in id order (the order models index them in).
pub async fn all(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<ProductRow>, DbErr> {
    product::Entity::find()
        .filter(product::Column::ShopId.eq(shop.get()))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await
}

/// Our ids of the shop's products, ascending.
pub async fn ids_in_order(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<i64>, DbErr> {
    product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::ShopId.eq(shop.get()))
        .order_by_asc(product::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Changes when stock, unit costs or collection membership change, which do not always touch
/// a product's `updated_at` (inventory levels and item costs arrive on their own):
/// `(total stock, total cost, collection links)`.
pub async fn stock_fingerprint(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<(Option<i64>, Option<i64>, i64), DbErr> {
    use super::entities::product_collection;
    use sea_orm::PaginatorTrait;
    use sea_orm::sea_query::{Expr, Func, SimpleExpr};
    // PostgreSQL sums BIGINT into NUMERIC: cast back so both databases answer an integer.
    let sum =
        |c: product::Column| SimpleExpr::from(Func::cast_as(Func::sum(Expr::col(c)), "BIGINT"));
    let sums: Option<(Option<i64>, Option<i64>)> = product::Entity::find()
        .select_only()
        .column_as(sum(product::Column::InventoryQuantity), "stock")
        .column_as(sum(product::Column::CostMinor), "cost")
        .filter(product::Column::ShopId.eq(shop.get()))
        .into_tuple()
        .one(db)
        .await?;
    let (stock, cost) = sums.unwrap_or((None, None));
    let links = product_collection::Entity::find()
        .filter(product_collection::Column::ShopId.eq(shop.get()))
        .count(db)
        .await?;
    Ok((stock, cost, links as i64))
}
