//! Catalog: products, variants, collections and their memberships.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000002_create_catalog"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("products")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                // The platform's id, kept apart from ours.
                .col(string_len("platform_id", 64))
                .col(string_len("handle", 255))
                .col(string_len("title", 255))
                .col(text("description").default(""))
                .col(string_len("product_type", 255).default(""))
                .col(string_len("vendor", 255).default(""))
                .col(json_binary("tags"))
                // active | draft | archived
                .col(string_len("status", 16).default("active"))
                .col(text_null("image_url"))
                // Lowest variant price, integer minor units of `currency`.
                .col(big_integer("price_minor"))
                .col(string_len("currency", 3))
                .col(big_integer_null("inventory_quantity"))
                .col(timestamp_with_time_zone("created_at"))
                // The platform's updated_at: webhooks older than this never overwrite the row.
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("products"))
                .to_owned(),
        )
        .await?;
        unique(m, "products", &["shop_id", "platform_id"]).await?;
        unique(m, "products", &["shop_id", "handle"]).await?;

        m.create_table(
            Table::create()
                .table("variants")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("product_id"))
                .col(string_len("platform_id", 64))
                .col(string_len("title", 255).default(""))
                .col(string_len("sku", 255).default(""))
                .col(big_integer("price_minor"))
                .col(big_integer_null("compare_at_price_minor"))
                .col(big_integer_null("cost_minor"))
                .col(string_len("currency", 3))
                .col(big_integer_null("inventory_quantity"))
                .col(boolean("available").default(true))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("variants"))
                .foreign_key(
                    ForeignKey::create()
                        .from("variants", "product_id")
                        .to("products", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        unique(m, "variants", &["shop_id", "platform_id"]).await?;
        index(m, "variants", &["product_id"]).await?;

        m.create_table(
            Table::create()
                .table("collections")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("platform_id", 64))
                .col(string_len("handle", 255))
                .col(string_len("title", 255))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("collections"))
                .to_owned(),
        )
        .await?;
        unique(m, "collections", &["shop_id", "platform_id"]).await?;

        m.create_table(
            Table::create()
                .table("product_collections")
                .if_not_exists()
                .col(big_integer("shop_id"))
                .col(big_integer("product_id"))
                .col(big_integer("collection_id"))
                .primary_key(Index::create().col("product_id").col("collection_id"))
                .foreign_key(&mut shop_fk("product_collections"))
                .foreign_key(
                    ForeignKey::create()
                        .from("product_collections", "product_id")
                        .to("products", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("product_collections", "collection_id")
                        .to("collections", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "product_collections", &["collection_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["product_collections", "collections", "variants", "products"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
