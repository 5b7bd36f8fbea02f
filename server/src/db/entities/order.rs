//! `orders` rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub platform_id: String,
    pub customer_id: Option<i64>,
    pub name: String,
    pub currency: String,
    pub subtotal_minor: i64,
    pub total_minor: i64,
    pub discount_minor: i64,
    #[sea_orm(column_type = "JsonBinary")]
    pub discount_codes: Json,
    pub financial_status: String,
    pub placed_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// The storefront visitor the order came from, when the cart carried our visitor id.
    pub visitor_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
