//! Storefront visitors (first-party anonymous ids, optionally stitched to a customer),
//! their profiles and the events they send. No IP addresses are stored.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000004_create_visitors_and_events"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("visitors")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                // The anonymous id the storefront script generated.
                .col(string_len("visitor_key", 64))
                .col(big_integer_null("customer_id"))
                .col(timestamp_with_time_zone("first_seen_at"))
                .col(timestamp_with_time_zone("last_seen_at"))
                .foreign_key(&mut shop_fk("visitors"))
                .foreign_key(
                    ForeignKey::create()
                        .from("visitors", "customer_id")
                        .to("customers", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        unique(m, "visitors", &["shop_id", "visitor_key"]).await?;
        index(m, "visitors", &["shop_id", "customer_id"]).await?;

        m.create_table(
            Table::create()
                .table("profiles")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("visitor_id"))
                // Derived features (counts, affinities, predictions), kept current incrementally.
                .col(json_binary("features"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("profiles"))
                .foreign_key(
                    ForeignKey::create()
                        .from("profiles", "visitor_id")
                        .to("visitors", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        unique(m, "profiles", &["shop_id", "visitor_id"]).await?;

        m.create_table(
            Table::create()
                .table("storefront_events")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("visitor_id"))
                // page_viewed, product_viewed, product_added_to_cart, ...
                .col(string_len("kind", 48))
                .col(string_len("platform_product_id", 64).default(""))
                .col(json_binary("payload"))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(timestamp_with_time_zone("received_at"))
                .foreign_key(&mut shop_fk("storefront_events"))
                .foreign_key(
                    ForeignKey::create()
                        .from("storefront_events", "visitor_id")
                        .to("visitors", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(
            m,
            "storefront_events",
            &["shop_id", "visitor_id", "occurred_at"],
        )
        .await?;
        index(m, "storefront_events", &["shop_id", "occurred_at"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["storefront_events", "profiles", "visitors"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
