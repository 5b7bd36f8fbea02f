//! `webhook_receipts` rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_receipts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub platform: String,
    pub shop_domain: String,
    pub shop_id: Option<i64>,
    pub topic: String,
    pub event_id: String,
    pub webhook_id: String,
    pub api_version: String,
    pub triggered_at: Option<DateTimeUtc>,
    pub body: String,
    pub status: String,
    pub error: Option<String>,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
