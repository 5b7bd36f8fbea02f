//! The durable job queue and the webhook deliveries it works from.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000006_create_jobs_and_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("jobs")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(string_len("kind", 64))
                .col(json_binary("payload"))
                // queued | running | done | failed
                .col(string_len("status", 16).default("queued"))
                .col(integer("attempts").default(0))
                .col(timestamp_with_time_zone("run_at"))
                // A worker's lease; another process may take the job once it lapses.
                .col(string_len_null("locked_by", 64))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut shop_fk("jobs"))
                .to_owned(),
        )
        .await?;
        index(m, "jobs", &["status", "run_at"]).await?;

        m.create_table(
            Table::create()
                .table("webhook_receipts")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(string_len("platform", 32))
                // Deliveries can arrive for a shop we no longer hold (e.g. shop/redact), so the
                // shop is identified by its domain and linked when known.
                .col(string_len("shop_domain", 255))
                .col(big_integer_null("shop_id"))
                .col(string_len("topic", 64))
                // Dedupe key: the platform's event id (falls back to the delivery id).
                .col(string_len("event_id", 128))
                .col(string_len("webhook_id", 128).default(""))
                .col(string_len("api_version", 16).default(""))
                .col(timestamp_with_time_zone_null("triggered_at"))
                .col(text("body"))
                // received | processed | failed
                .col(string_len("status", 16).default("received"))
                .col(text_null("error"))
                .col(timestamp_with_time_zone("received_at"))
                .col(timestamp_with_time_zone_null("processed_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("webhook_receipts", "shop_id")
                        .to("shops", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "webhook_receipts",
            &["platform", "shop_domain", "event_id"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["webhook_receipts", "jobs"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
