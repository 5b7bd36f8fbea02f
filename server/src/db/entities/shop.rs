//! `shops` rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "shops")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub platform: String,
    pub domain: String,
    pub name: String,
    pub currency: String,
    pub access_token_ciphertext: Option<String>,
    pub access_token_expires_at: Option<DateTimeUtc>,
    pub refresh_token_ciphertext: Option<String>,
    pub refresh_token_expires_at: Option<DateTimeUtc>,
    pub scopes: String,
    pub status: String,
    pub installed_at: DateTimeUtc,
    pub uninstalled_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "JsonBinary")]
    pub settings: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
