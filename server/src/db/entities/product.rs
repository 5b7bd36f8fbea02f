//! `products` rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub platform_id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub product_type: String,
    pub vendor: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub tags: Json,
    pub status: String,
    pub image_url: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub inventory_quantity: Option<i64>,
    /// Unit cost in minor units, when the merchant entered one (margin boost).
    pub cost_minor: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
