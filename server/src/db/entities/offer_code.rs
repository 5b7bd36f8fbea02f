//! `offer_codes` rows: single-use discount codes, created on the platform before they are needed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub offer_id: i64,
    pub code: String,
    pub platform_id: String,
    pub status: String,
    pub visitor_id: Option<i64>,
    pub committed_minor: Option<i64>,
    pub assigned_at: Option<DateTimeUtc>,
    pub redeemed_at: Option<DateTimeUtc>,
    pub order_platform_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
