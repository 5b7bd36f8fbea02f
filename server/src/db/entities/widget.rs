//! `widgets` rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "widgets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub public_id: String,
    pub name: String,
    pub placement: String,
    pub strategy: String,
    pub max_products: i32,
    pub title: String,
    pub segment_id: Option<i64>,
    #[sea_orm(column_type = "JsonBinary")]
    pub rules: Json,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
