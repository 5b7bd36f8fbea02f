//! Customers, orders and order lines. Personal data is kept to what personalization needs:
//! no names, emails, phones or addresses.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000003_create_customers_and_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("customers")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("platform_id", 64))
                .col(json_binary("tags"))
                .col(boolean("accepts_marketing").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("customers"))
                .to_owned(),
        )
        .await?;
        unique(m, "customers", &["shop_id", "platform_id"]).await?;

        m.create_table(
            Table::create()
                .table("orders")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("platform_id", 64))
                .col(big_integer_null("customer_id"))
                .col(string_len("name", 64).default(""))
                .col(string_len("currency", 3))
                .col(big_integer("subtotal_minor"))
                .col(big_integer("total_minor"))
                .col(big_integer("discount_minor").default(0))
                .col(json_binary("discount_codes"))
                .col(string_len("financial_status", 32).default(""))
                .col(timestamp_with_time_zone("placed_at"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("orders"))
                .foreign_key(
                    ForeignKey::create()
                        .from("orders", "customer_id")
                        .to("customers", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        unique(m, "orders", &["shop_id", "platform_id"]).await?;
        index(m, "orders", &["shop_id", "customer_id"]).await?;
        index(m, "orders", &["shop_id", "placed_at"]).await?;

        m.create_table(
            Table::create()
                .table("order_lines")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("order_id"))
                // Null when the product is not (or no longer) in the catalog.
                .col(big_integer_null("product_id"))
                .col(big_integer_null("variant_id"))
                .col(string_len("platform_product_id", 64).default(""))
                .col(integer("quantity"))
                .col(big_integer("unit_price_minor"))
                .foreign_key(&mut shop_fk("order_lines"))
                .foreign_key(
                    ForeignKey::create()
                        .from("order_lines", "order_id")
                        .to("orders", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("order_lines", "product_id")
                        .to("products", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from("order_lines", "variant_id")
                        .to("variants", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        index(m, "order_lines", &["order_id"]).await?;
        index(m, "order_lines", &["shop_id", "product_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["order_lines", "orders", "customers"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
