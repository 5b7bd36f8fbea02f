//! `offers` rows: a merchant's smart offer. `rules` holds the guardrails, product scope and
//! presentation (`attune_api::offers::OfferRules`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub name: String,
    pub kind: String,
    pub value: i64,
    pub min_subtotal_minor: Option<i64>,
    pub segment_id: Option<i64>,
    #[sea_orm(column_type = "JsonBinary")]
    pub rules: Json,
    pub status: String,
    pub starts_at: Option<DateTimeUtc>,
    pub ends_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
