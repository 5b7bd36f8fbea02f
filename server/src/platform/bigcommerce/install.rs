//! BigCommerce's app callbacks: `/auth` (install: scopes checked, code exchanged, token sealed),
//! `/load` (the control panel opens the app), `/uninstall` and `/remove_user`. Each verifies
//! what BigCommerce signed before doing anything.

use secrecy::ExposeSecret;

use super::{PLATFORM, oauth, session, verify};
use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::state::AppState;

/// An admin session for a store, ready for the admin document.
pub struct Opened {
    pub shop: ShopId,
    pub store_hash: String,
    pub session: String,
    pub expires_at: i64,
}

fn configured(state: &AppState) -> Result<(&str, &[u8]), AppError> {
    let bc = &state.settings.bigcommerce;
    if bc.client_id.is_empty() {
        return Err(AppError::NotFound(
            "BigCommerce is not configured on this server".into(),
        ));
    }
    Ok((
        bc.client_id.as_str(),
        bc.client_secret.expose_secret().as_bytes(),
    ))
}

pub(super) fn access_context(store_hash: &str) -> String {
    format!("bigcommerce/{store_hash}/access_token")
}

pub fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}/bigcommerce/auth",
        state.settings.app.url.trim_end_matches('/')
    )
}

fn unauthorized(e: verify::VerifyError) -> AppError {
    AppError::Unauthorized(format!("signed_payload_jwt: {e}"))
}

/// `GET /bigcommerce/auth?code=..&scope=..&context=stores/{hash}`.
pub async fn auth(
    state: &AppState,
    code: &str,
    scope: &str,
    context: &str,
) -> Result<Opened, AppError> {
    let (client_id, secret) = configured(state)?;
    let store_hash = context
        .strip_prefix("stores/")
        .filter(|h| !h.is_empty() && h.len() <= 32 && h.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| AppError::field("context", "must be stores/{store hash}"))?
        .to_owned();
    if code.trim().is_empty() {
        return Err(AppError::field("code", "is required"));
    }
    let granted: Vec<&str> = scope.split_whitespace().collect();
    let missing: Vec<&str> = state
        .settings
        .bigcommerce
        .scopes
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty() && !granted.contains(s))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::field(
            "scope",
            format!("lacks the app's scopes: {}", missing.join(", ")),
        ));
    }
    let installed = oauth::exchange_code(
        &state.http,
        oauth::Exchange {
            login_origin: &state.settings.bigcommerce.login_origin,
            client_id,
            client_secret: &state.settings.bigcommerce.client_secret,
            redirect_uri: &redirect_uri(state),
            code,
            scope,
            context,
        },
    )
    .await
    .map_err(|e| AppError::BadGateway(e.0))?;
    if installed.store_hash() != Some(store_hash.as_str()) {
        return Err(AppError::BadGateway(
            "BigCommerce answered for another store".into(),
        ));
    }
    let sealed = db::shops::SealedTokens {
        access: state.cipher.encrypt(
            installed.access_token.expose_secret(),
            &access_context(&store_hash),
        ),
        access_expires_at: None,
        refresh: None,
        refresh_expires_at: None,
        scopes: installed.scope.replace(' ', ","),
    };
    let shop = db::shops::install(&state.db, PLATFORM, &store_hash, &sealed).await?;
    tracing::info!(shop = %shop, platform = PLATFORM, "store installed");
    // Hooks, the storefront script and the first sync run in the background: the merchant
    // sees the admin at once.
    crate::services::install::queue_first_sync(&state.db, shop).await?;
    state.jobs.notify();
    let now = chrono::Utc::now().timestamp();
    let (session, expires_at) = session::mint(&store_hash, Some(installed.user.id), secret, now);
    Ok(Opened {
        shop,
        store_hash,
        session,
        expires_at,
    })
}

/// `GET /bigcommerce/load?signed_payload_jwt=..`: the control panel opens the app.
pub async fn load(state: &AppState, jwt: &str) -> Result<Opened, AppError> {
    let (client_id, secret) = configured(state)?;
    let now = chrono::Utc::now().timestamp();
    let p = verify::verify_signed_payload_jwt(jwt, secret, client_id, now).map_err(unauthorized)?;
    let shop = db::shops::find_by_domain(&state.db, PLATFORM, &p.store_hash)
        .await?
        .filter(|s| s.installed)
        .ok_or_else(|| AppError::Unauthorized("this store has not installed the app".into()))?;
    let (session, expires_at) = session::mint(&p.store_hash, p.user_id, secret, now);
    Ok(Opened {
        shop: shop.id,
        store_hash: p.store_hash,
        session,
        expires_at,
    })
}

/// `GET /bigcommerce/uninstall?signed_payload_jwt=..`: stop serving the store, forget its token.
pub async fn uninstall(state: &AppState, jwt: &str) -> Result<(), AppError> {
    let (client_id, secret) = configured(state)?;
    let now = chrono::Utc::now().timestamp();
    let p = verify::verify_signed_payload_jwt(jwt, secret, client_id, now).map_err(unauthorized)?;
    if !p.is_owner {
        return Err(AppError::Forbidden(
            "only the store owner can uninstall the app".into(),
        ));
    }
    if let Some(shop) = db::shops::find_by_domain(&state.db, PLATFORM, &p.store_hash).await? {
        db::shops::mark_uninstalled(&state.db, shop.id).await?;
        tracing::info!(shop = %shop.id, platform = PLATFORM, "store uninstalled");
    }
    Ok(())
}

/// `GET /bigcommerce/remove_user?signed_payload_jwt=..`: a user lost access. Attune keeps no
/// per-user data, so this only verifies and acknowledges.
pub async fn remove_user(state: &AppState, jwt: &str) -> Result<(), AppError> {
    let (client_id, secret) = configured(state)?;
    let now = chrono::Utc::now().timestamp();
    verify::verify_signed_payload_jwt(jwt, secret, client_id, now).map_err(unauthorized)?;
    Ok(())
}

/// The store behind an Attune admin session token, for the admin API.
pub async fn admin_session(
    state: &AppState,
    token: &str,
) -> Result<Option<(ShopId, String)>, AppError> {
    let Ok((_, secret)) = configured(state) else {
        return Ok(None);
    };
    let Ok(store) = session::verify(token, secret, chrono::Utc::now().timestamp()) else {
        return Ok(None);
    };
    Ok(db::shops::find_by_domain(&state.db, PLATFORM, &store)
        .await?
        .filter(|s| s.installed)
        .map(|s| (s.id, s.domain)))
}
