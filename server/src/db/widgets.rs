//! Recommendation widgets, always within one shop.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::entities::widget;
use super::{DbErr, ShopId};

pub use widget::Model as WidgetRow;

/// The fields a merchant sets.
#[derive(Debug, Clone)]
pub struct WidgetFields {
    pub name: String,
    pub placement: String,
    pub strategy: String,
    pub max_products: i32,
    pub title: String,
    /// The merchant's controls, already validated (`attune_api::widgets::WidgetRules`).
    pub rules: serde_json::Value,
}

pub async fn list(db: &DatabaseConnection, shop: ShopId) -> Result<Vec<WidgetRow>, DbErr> {
    widget::Entity::find()
        .filter(widget::Column::ShopId.eq(shop.get()))
        .order_by_asc(widget::Column::Id)
        .all(db)
        .await
}

pub async fn get(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
) -> Result<Option<WidgetRow>, DbErr> {
    widget::Entity::find()
        .filter(widget::Column::ShopId.eq(shop.get()))
        .filter(widget::Column::PublicId.eq(public_id))
        .one(db)
        .await
}

/// The storefront knows a widget only by its public id; this resolves its shop.
/// Callers must then treat the returned shop as the tenant for everything else.
pub async fn find_public(
    db: &DatabaseConnection,
    public_id: &str,
) -> Result<Option<(ShopId, WidgetRow)>, DbErr> {
    Ok(widget::Entity::find()
        .filter(widget::Column::PublicId.eq(public_id))
        .one(db)
        .await?
        .map(|w| (ShopId::from_row(w.shop_id), w)))
}

pub async fn insert(
    db: &impl ConnectionTrait,
    shop: ShopId,
    fields: WidgetFields,
) -> Result<WidgetRow, DbErr> {
    let now = Utc::now();
    widget::ActiveModel {
        shop_id: Set(shop.get()),
        public_id: Set(uuid::Uuid::new_v4().to_string()),
        name: Set(fields.name),
        placement: Set(fields.placement),
        strategy: Set(fields.strategy),
        max_products: Set(fields.max_products),
        title: Set(fields.title),
        segment_id: Set(None),
        rules: Set(fields.rules),
        status: Set("active".to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
    fields: WidgetFields,
) -> Result<Option<WidgetRow>, DbErr> {
    let Some(existing) = get(db, shop, public_id).await? else {
        return Ok(None);
    };
    let mut active: widget::ActiveModel = existing.into();
    active.name = Set(fields.name);
    active.placement = Set(fields.placement);
    active.strategy = Set(fields.strategy);
    active.max_products = Set(fields.max_products);
    active.title = Set(fields.title);
    active.rules = Set(fields.rules);
    active.updated_at = Set(Utc::now());
    active.update(db).await.map(Some)
}

/// Returns whether a widget was deleted.
pub async fn delete(db: &DatabaseConnection, shop: ShopId, public_id: &str) -> Result<bool, DbErr> {
    let res = widget::Entity::delete_many()
        .filter(widget::Column::ShopId.eq(shop.get()))
        .filter(widget::Column::PublicId.eq(public_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}
