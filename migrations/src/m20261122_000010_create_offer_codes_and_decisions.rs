//! Smart offers at work: the pool of single-use discount codes created on the platform ahead of
//! need, the log of every offer decision (offered or not, and why) that measurement and the
//! intent model learn from, and the storefront visitor an order came from, for attribution.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{index, shop_fk, unique};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000010_create_offer_codes_and_decisions"
    }
}

fn offer_fk(table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, "offer_id")
        .to("offers", "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("offer_codes")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("offer_id"))
                .col(string_len("code", 32))
                // The platform's id for the discount behind the code.
                .col(string_len("platform_id", 200))
                // available | assigned | redeemed
                .col(string_len("status", 16))
                .col(big_integer_null("visitor_id"))
                // The discount the code was handed out at, counted against the daily budget.
                .col(big_integer_null("committed_minor"))
                .col(timestamp_with_time_zone_null("assigned_at"))
                .col(timestamp_with_time_zone_null("redeemed_at"))
                .col(string_len_null("order_platform_id", 200))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut shop_fk("offer_codes"))
                .foreign_key(&mut offer_fk("offer_codes"))
                .to_owned(),
        )
        .await?;
        unique(m, "offer_codes", &["shop_id", "code"]).await?;
        index(m, "offer_codes", &["offer_id", "status"]).await?;

        m.create_table(
            Table::create()
                .table("offer_decisions")
                .if_not_exists()
                .col(big_pk_auto("id"))
                .col(big_integer("shop_id"))
                .col(big_integer("offer_id"))
                .col(big_integer("visitor_id"))
                .col(timestamp_with_time_zone("decided_at"))
                // offer | no_offer
                .col(string_len("action", 16))
                .col(string_len("why", 32))
                // The guardrail that blocked an offer the policy wanted, if any.
                .col(string_len_null("guardrail", 32))
                .col(double_null("p_without"))
                .col(double_null("p_with"))
                .col(double_null("expected_gain"))
                // The session features decided on, and what drove the decision.
                .col(json_binary("features"))
                .col(json_binary("drivers"))
                .col(big_integer_null("code_id"))
                .col(big_integer_null("discount_minor"))
                .foreign_key(&mut shop_fk("offer_decisions"))
                .foreign_key(&mut offer_fk("offer_decisions"))
                .to_owned(),
        )
        .await?;
        index(m, "offer_decisions", &["shop_id", "offer_id", "decided_at"]).await?;
        index(m, "offer_decisions", &["offer_id", "visitor_id"]).await?;

        m.alter_table(
            Table::alter()
                .table("orders")
                .add_column(big_integer_null("visitor_id"))
                .to_owned(),
        )
        .await?;
        index(m, "orders", &["shop_id", "visitor_id"]).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("orders")
                .drop_column("visitor_id")
                .to_owned(),
        )
        .await?;
        for t in ["offer_decisions", "offer_codes"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
