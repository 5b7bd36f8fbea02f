//! Daily rollups: per day, per offer, widget, experiment and segment, and per arm (holdout,
//! treated, or an experiment's arm), the visitors exposed that day and what they bought
//! within the attribution window. Recomputed by a background job; the admin's history reads them.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000011_create_daily_rollups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("daily_rollups")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                // YYYY-MM-DD, UTC.
                .col(string_len("day", 10))
                // offer | widget | experiment | segment
                .col(string_len("subject_kind", 16))
                .col(string_len("subject_id", 64))
                .col(string_len("arm", 64))
                .col(big_integer("visitors"))
                .col(big_integer("converters"))
                .col(big_integer("orders"))
                .col(big_integer("revenue_minor"))
                .col(timestamp_with_time_zone("computed_at"))
                .foreign_key(&mut shop_fk("daily_rollups"))
                .to_owned(),
        )
        .await?;
        unique(
            m,
            "daily_rollups",
            &["shop_id", "day", "subject_kind", "subject_id", "arm"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("daily_rollups").to_owned())
            .await
    }
}
