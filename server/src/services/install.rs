//! Installing a shop: tokens from the platform, encrypted at rest, then the first sync.
//! Token exchange happens lazily, only when the shop has no usable token.

use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::crypto::TokenCipher;
use crate::db::{self, ShopId, shops::SealedTokens};
use crate::platform::shopify::client::{AdminClient, ShopifyOAuth, TokenSink};
use crate::platform::shopify::{self, ShopDomain, TokenData};

fn access_context(domain: &str) -> String {
    format!("shops/{domain}/access_token")
}

fn refresh_context(domain: &str) -> String {
    format!("shops/{domain}/refresh_token")
}

pub fn seal(cipher: &TokenCipher, domain: &str, t: &TokenData) -> SealedTokens {
    SealedTokens {
        access: cipher.encrypt(&t.access_token, &access_context(domain)),
        access_expires_at: t.expires_at,
        refresh: t
            .refresh_token
            .as_ref()
            .map(|r| cipher.encrypt(r, &refresh_context(domain))),
        refresh_expires_at: t.refresh_token_expires_at,
        scopes: t.scope.clone().unwrap_or_default(),
    }
}

pub fn unseal(cipher: &TokenCipher, domain: &str, s: &SealedTokens) -> anyhow::Result<TokenData> {
    let mut t = TokenData::new(
        cipher
            .decrypt(&s.access, &access_context(domain))?
            .expose_secret(),
    );
    t.expires_at = s.access_expires_at;
    t.refresh_token = match &s.refresh {
        Some(r) => Some(
            cipher
                .decrypt(r, &refresh_context(domain))?
                .expose_secret()
                .to_owned(),
        ),
        None => None,
    };
    t.refresh_token_expires_at = s.refresh_expires_at;
    t.scope = Some(s.scopes.clone()).filter(|s| !s.is_empty());
    Ok(t)
}

/// Persists tokens the Admin client renewed, encrypted, as one pair.
pub struct DbTokenSink {
    pub db: DatabaseConnection,
    pub cipher: Arc<TokenCipher>,
}

impl TokenSink for DbTokenSink {
    fn save(
        &self,
        shop: ShopDomain,
        token: TokenData,
    ) -> shopify_api::transport::BoxFuture<'static, Result<(), String>> {
        let db = self.db.clone();
        let cipher = self.cipher.clone();
        Box::pin(async move {
            let sealed = seal(&cipher, shop.as_str(), &token);
            let row = db::shops::find_by_domain(&db, shopify::PLATFORM, shop.as_str())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| "renewed a token of an unknown shop".to_owned())?;
            db::shops::store_tokens(&db, row.id, &sealed)
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(shop = %row.id, "access token renewed");
            Ok(())
        })
    }
}

/// After a verified admin load: if the shop has no usable token, exchange the session token
/// for an expiring offline one, store it, and queue the first sync. Returns the shop.
pub async fn ensure_installed(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    oauth: &ShopifyOAuth,
    shop: &ShopDomain,
    session_token: &str,
) -> anyhow::Result<ShopId> {
    if let Some(existing) = db::shops::find_by_domain(db, shopify::PLATFORM, shop.as_str()).await?
        && existing.installed
        && let Some(sealed) = db::shops::sealed_tokens(db, existing.id).await?
        && unseal(cipher, shop.as_str(), &sealed)
            .is_ok_and(|t| t.can_refresh() || !t.expires_within(std::time::Duration::from_secs(60)))
    {
        return Ok(existing.id);
    }
    let token = oauth
        .exchange_session_token(session_token)
        .await
        .context("token exchange failed")?;
    install_with(db, cipher, shop, &token).await
}

/// Stores `token` for `shop`, marks it installed and queues its first full sync and the
/// platform's own setup (the web pixel).
pub async fn install_with(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    shop: &ShopDomain,
    token: &TokenData,
) -> anyhow::Result<ShopId> {
    let sealed = seal(cipher, shop.as_str(), token);
    let id = db::shops::install(db, shopify::PLATFORM, shop.as_str(), &sealed).await?;
    queue_first_sync(db, id).await?;
    tracing::info!(shop = %id, "shop installed");
    Ok(id)
}

/// After any platform's install: the platform's setup (webhooks, pixel, storefront script)
/// and the first full sync, in the background.
pub async fn queue_first_sync(db: &DatabaseConnection, shop: ShopId) -> Result<(), db::DbErr> {
    let now = chrono::Utc::now();
    db::jobs::enqueue(db, shop, "platform_setup", serde_json::json!({}), now).await?;
    db::jobs::enqueue(db, shop, "sync_full", serde_json::json!({}), now).await?;
    Ok(())
}

/// An Admin API client for the shop, with its stored tokens.
pub async fn admin_client(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    oauth: &ShopifyOAuth,
    shop: ShopId,
) -> anyhow::Result<(ShopDomain, AdminClient)> {
    let row = db::shops::get(db, shop).await?.context("no such shop")?;
    anyhow::ensure!(row.installed, "the shop has uninstalled the app");
    let domain = shopify::parse_shop(&row.domain).context("stored shop domain is invalid")?;
    let sealed = db::shops::sealed_tokens(db, shop)
        .await?
        .context("the shop has no access token")?;
    let token = unseal(cipher, &row.domain, &sealed)?;
    let client = oauth.admin_client(&domain, token)?;
    Ok((domain, client))
}

/// Sets up what the shop's platform needs besides the sync (job `platform_setup`; safe to
/// run again).
pub async fn set_up(state: &crate::state::AppState, shop: ShopId) -> anyhow::Result<()> {
    let store = crate::platform::connect(state, shop).await?;
    store.set_up(&state.settings.app.url).await?;
    tracing::info!(shop = %shop, "platform set up");
    Ok(())
}
