//! Attune's schema. One file per change, named by date and verb; never edit a released one.
//!
//! Every table but `shops` carries `shop_id`, so every row belongs to exactly one shop.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_shops;
mod m20261121_000002_create_catalog;
mod m20261121_000003_create_customers_and_orders;
mod m20261121_000004_create_visitors_and_events;
mod m20261121_000005_create_merchandising;
mod m20261121_000006_create_jobs_and_webhooks;
mod m20261121_000007_create_inventory_and_exports;
mod m20261122_000008_add_event_keys_and_segment_details;
mod m20261122_000009_create_recommendation_models;
mod m20261122_000010_create_offer_codes_and_decisions;
mod m20261122_000011_create_daily_rollups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_shops::Migration),
            Box::new(m20261121_000002_create_catalog::Migration),
            Box::new(m20261121_000003_create_customers_and_orders::Migration),
            Box::new(m20261121_000004_create_visitors_and_events::Migration),
            Box::new(m20261121_000005_create_merchandising::Migration),
            Box::new(m20261121_000006_create_jobs_and_webhooks::Migration),
            Box::new(m20261121_000007_create_inventory_and_exports::Migration),
            Box::new(m20261122_000008_add_event_keys_and_segment_details::Migration),
            Box::new(m20261122_000009_create_recommendation_models::Migration),
            Box::new(m20261122_000010_create_offer_codes_and_decisions::Migration),
            Box::new(m20261122_000011_create_daily_rollups::Migration),
        ]
    }
}

/// A `shop_id` column with its foreign key; deleting a shop deletes its rows.
pub(crate) fn shop_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "shop_id")
        .to("shops", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

pub(crate) async fn unique(m: &SchemaManager<'_>, table: &str, cols: &[&str]) -> Result<(), DbErr> {
    create_index(m, table, cols, true).await
}

pub(crate) async fn index(m: &SchemaManager<'_>, table: &str, cols: &[&str]) -> Result<(), DbErr> {
    create_index(m, table, cols, false).await
}

async fn create_index(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    is_unique: bool,
) -> Result<(), DbErr> {
    let suffix = if is_unique { "key" } else { "idx" };
    let mut stmt = Index::create();
    stmt.name(format!("{table}_{}_{suffix}", cols.join("_")))
        .table(String::from(table))
        .if_not_exists();
    for c in cols {
        stmt.col(String::from(*c));
    }
    if is_unique {
        stmt.unique();
    }
    m.create_index(stmt).await
}
