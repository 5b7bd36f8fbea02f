//! `offer_decisions` rows: every decision the offer policy made, for measurement and learning.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_decisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub offer_id: i64,
    pub visitor_id: i64,
    pub decided_at: DateTimeUtc,
    pub action: String,
    pub why: String,
    pub guardrail: Option<String>,
    pub p_without: Option<f64>,
    pub p_with: Option<f64>,
    pub expected_gain: Option<f64>,
    #[sea_orm(column_type = "JsonBinary")]
    pub features: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub drivers: Json,
    pub code_id: Option<i64>,
    pub discount_minor: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
