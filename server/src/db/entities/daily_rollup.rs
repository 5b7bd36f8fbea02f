//! `daily_rollups` rows: one day of one subject's arm.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_rollups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shop_id: i64,
    pub day: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub arm: String,
    pub visitors: i64,
    pub converters: i64,
    pub orders: i64,
    pub revenue_minor: i64,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
