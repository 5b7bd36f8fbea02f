//! Storefront events get the client's event key, so a batch delivered twice (beacon retries)
//! is stored once; segments get a public id, a description and the template they came from,
//! and a daily size history for the admin's trend; products get their unit cost (when the
//! merchant entered one), for the margin boost.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000008_add_event_keys_and_segment_details"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("storefront_events")
                .add_column(string_len("event_key", 64).default(""))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "storefront_events",
            &["shop_id", "visitor_id", "event_key"],
        )
        .await?;
        // One column per ALTER: SQLite adds only one at a time.
        for (name, len) in [("public_id", 36), ("description", 500), ("template", 48)] {
            m.alter_table(
                Table::alter()
                    .table("segments")
                    .add_column(string_len(name, len).default(""))
                    .to_owned(),
            )
            .await?;
        }
        unique(m, "segments", &["shop_id", "public_id"]).await?;
        m.alter_table(
            Table::alter()
                .table("products")
                .add_column(big_integer_null("cost_minor"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("segment_sizes")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("segment_id"))
                .col(date("day"))
                .col(big_integer("size"))
                .foreign_key(&mut shop_fk("segment_sizes"))
                .foreign_key(
                    ForeignKey::create()
                        .from("segment_sizes", "segment_id")
                        .to("segments", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        unique(m, "segment_sizes", &["shop_id", "segment_id", "day"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("segment_sizes").to_owned())
            .await?;
        for (table, name) in [
            ("segments", "segments_shop_id_public_id_key"),
            (
                "storefront_events",
                "storefront_events_shop_id_visitor_id_event_key_key",
            ),
        ] {
            m.drop_index(
                Index::drop()
                    .name(name)
                    .table(String::from(table))
                    .to_owned(),
            )
            .await?;
        }
        for (table, col) in [
            ("products", "cost_minor"),
            ("segments", "template"),
            ("segments", "description"),
            ("segments", "public_id"),
            ("storefront_events", "event_key"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(String::from(table))
                    .drop_column(String::from(col))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
