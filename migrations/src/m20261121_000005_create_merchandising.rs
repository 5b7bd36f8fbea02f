//! What merchants build: segments, recommendation widgets, offers and experiments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000005_create_merchandising"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("segments")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("name", 120))
                .col(json_binary("rules"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("segments"))
                .to_owned(),
        )
        .await?;
        index(m, "segments", &["shop_id"]).await?;

        m.create_table(
            Table::create()
                .table("widgets")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                // Random public id the merchant pastes into the theme block.
                .col(string_len("public_id", 36))
                .col(string_len("name", 120))
                .col(string_len("placement", 32))
                .col(string_len("strategy", 48))
                .col(integer("max_products"))
                .col(string_len("title", 200).default(""))
                .col(big_integer_null("segment_id"))
                // Merchant controls (pins, exclusions, boosts...).
                .col(json_binary("rules"))
                // active | paused
                .col(string_len("status", 16).default("active"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("widgets"))
                .foreign_key(
                    ForeignKey::create()
                        .from("widgets", "segment_id")
                        .to("segments", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        unique(m, "widgets", &["public_id"]).await?;
        index(m, "widgets", &["shop_id"]).await?;

        m.create_table(
            Table::create()
                .table("offers")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("name", 120))
                // percentage | fixed_amount | free_shipping
                .col(string_len("kind", 32))
                // Basis points for percentages, minor units for fixed amounts.
                .col(big_integer("value"))
                .col(big_integer_null("min_subtotal_minor"))
                .col(big_integer_null("segment_id"))
                // Guardrails and product scope.
                .col(json_binary("rules"))
                .col(string_len("status", 16).default("draft"))
                .col(timestamp_with_time_zone_null("starts_at"))
                .col(timestamp_with_time_zone_null("ends_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("offers"))
                .foreign_key(
                    ForeignKey::create()
                        .from("offers", "segment_id")
                        .to("segments", "id")
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        index(m, "offers", &["shop_id"]).await?;

        m.create_table(
            Table::create()
                .table("experiments")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("name", 120))
                // widget | offer
                .col(string_len("subject_kind", 16))
                .col(big_integer("subject_id"))
                // Arms with their traffic weights; a holdout is always one of them.
                .col(json_binary("arms"))
                .col(string_len("status", 16).default("draft"))
                .col(timestamp_with_time_zone_null("started_at"))
                .col(timestamp_with_time_zone_null("ended_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("experiments"))
                .to_owned(),
        )
        .await?;
        index(m, "experiments", &["shop_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["experiments", "offers", "widgets", "segments"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
