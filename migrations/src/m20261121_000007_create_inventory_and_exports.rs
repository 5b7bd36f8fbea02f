//! Inventory per location (a variant's stock is their sum), the link from variants to their
//! inventory items, and the customer data exports the compliance webhook produces.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000007_create_inventory_and_exports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("variants")
                .add_column(string_len("inventory_item_id", 64).default(""))
                .to_owned(),
        )
        .await?;
        index(m, "variants", &["shop_id", "inventory_item_id"]).await?;

        m.create_table(
            Table::create()
                .table("inventory_levels")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("inventory_item_id", 64))
                .col(string_len("location_id", 64))
                .col(big_integer("available"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("inventory_levels"))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "inventory_levels",
            &["shop_id", "inventory_item_id", "location_id"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table("data_exports")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                // customers/data_request
                .col(string_len("kind", 32))
                // The platform's request id and customer id, as the merchant knows them.
                .col(string_len("request_id", 64).default(""))
                .col(string_len("customer_platform_id", 64).default(""))
                .col(json_binary("data"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut shop_fk("data_exports"))
                .to_owned(),
        )
        .await?;
        index(m, "data_exports", &["shop_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("data_exports").to_owned())
            .await?;
        m.drop_table(Table::drop().table("inventory_levels").to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table("variants")
                .drop_column("inventory_item_id")
                .to_owned(),
        )
        .await
    }
}
