//! Shops: one row per installed store, whichever platform it is on.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000001_create_shops"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("shops")
                .if_not_exists()
                .col(big_pk_auto("id"))
                // `shopify` or `bigcommerce`; only platform/ code interprets it.
                .col(string_len("platform", 32))
                // The platform's canonical identity: `x.myshopify.com` or a BigCommerce store hash.
                .col(string_len("domain", 255))
                .col(string_len("name", 255).default(""))
                .col(string_len("currency", 3).default("USD"))
                // Tokens are stored only encrypted (nonce + ciphertext, base64); never in clear.
                .col(text_null("access_token_ciphertext"))
                .col(timestamp_with_time_zone_null("access_token_expires_at"))
                .col(text_null("refresh_token_ciphertext"))
                .col(timestamp_with_time_zone_null("refresh_token_expires_at"))
                .col(text("scopes").default(""))
                // installed | uninstalled
                .col(string_len("status", 16).default("installed"))
                .col(timestamp_with_time_zone("installed_at"))
                .col(timestamp_with_time_zone_null("uninstalled_at"))
                .col(json_binary("settings"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("shops_platform_domain_key")
                .table("shops")
                .col("platform")
                .col("domain")
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("shops").to_owned()).await
    }
}
