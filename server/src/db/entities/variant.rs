//! `variants` rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "variants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub product_id: i64,
    pub platform_id: String,
    pub title: String,
    pub sku: String,
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
    pub cost_minor: Option<i64>,
    pub currency: String,
    pub inventory_quantity: Option<i64>,
    pub available: bool,
    pub inventory_item_id: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
