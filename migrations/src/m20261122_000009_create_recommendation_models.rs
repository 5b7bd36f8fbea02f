//! Built recommendation models, one per shop, so a restarted process serves at once and every
//! process serves the same model: `version` grows with each build, `source` says which orders
//! it was built from, `data` is the model's binary encoding.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000009_create_recommendation_models"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("recommendation_models")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("version"))
                .col(string_len("source", 200))
                .col(timestamp_with_time_zone("built_at"))
                .col(binary("data"))
                .foreign_key(&mut shop_fk("recommendation_models"))
                .to_owned(),
        )
        .await?;
        unique(m, "recommendation_models", &["shop_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("recommendation_models").to_owned())
            .await
    }
}
