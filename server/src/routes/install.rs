//! Installs from outside the Shopify admin: the authorization-code grant.
//!
//! `GET /auth?shop=..` (with Shopify's `hmac` when it comes from Shopify) validates the shop,
//! binds a 256-bit state nonce to the browser in a signed, HttpOnly, SameSite cookie, and
//! redirects to Shopify's grant screen. `GET /auth/callback` checks the cookie's signature and
//! compares the nonce in constant time, then has the platform adapter verify the callback's
//! HMAC and timestamp and exchange the code for an expiring offline token.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use aes_gcm::aead::{OsRng, rand_core::RngCore};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::AppError;
use crate::platform::shopify;
use crate::services::install;
use crate::state::AppState;

const STATE_COOKIE: &str = "attune_oauth_state";
const CALLBACK_PATH: &str = "/auth/callback";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/auth").route(web::get().to(begin)))
        .service(web::resource(CALLBACK_PATH).route(web::get().to(callback)));
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn sign_state(state: &AppState, nonce: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(
        state.settings.shopify.api_secret.expose_secret().as_bytes(),
    )
    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"attune-oauth-state:");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub async fn begin(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let query = req.query_string();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let shop_param =
        param(&params, "shop").ok_or_else(|| AppError::field("shop", "is required"))?;
    let shop = shopify::parse_shop(shop_param)
        .ok_or_else(|| AppError::field("shop", "is not a valid myshopify.com domain"))?;
    // From Shopify's admin the request is signed: then the signature must hold.
    if param(&params, "hmac").is_some() {
        state
            .shopify
            .verify_admin_query(query)
            .map_err(|e| AppError::Unauthorized(e.to_string()))?;
    }
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    let cookie = Cookie::build(
        STATE_COOKIE,
        format!("{nonce}.{}", sign_state(&state, &nonce)),
    )
    .path(CALLBACK_PATH)
    .http_only(true)
    .secure(state.settings.app.url.starts_with("https://"))
    .same_site(SameSite::Lax)
    .max_age(CookieDuration::minutes(10))
    .finish();
    let redirect_uri = format!(
        "{}{CALLBACK_PATH}",
        state.settings.app.url.trim_end_matches('/')
    );
    let scopes: Vec<&str> = state
        .settings
        .shopify
        .scopes
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let target = state
        .oauth
        .authorization_url(&shop, &scopes, &redirect_uri, &nonce);
    Ok(HttpResponse::Found()
        .cookie(cookie)
        .insert_header((header::LOCATION, target))
        .finish())
}

/// The admin URL Shopify gave as `host`, when it is a Shopify admin host.
fn embedded_app_url(host_param: &str, api_key: &str) -> Option<String> {
    if host_param.is_empty()
        || !host_param
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
    {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(host_param.trim_end_matches('='))
        .ok()?;
    let host = String::from_utf8(decoded).ok()?;
    let hostname = url::Url::parse(&format!("https://{host}"))
        .ok()?
        .host_str()?
        .to_owned();
    (hostname.ends_with(".shopify.com") || hostname.ends_with(".myshopify.com"))
        .then(|| format!("https://{}/apps/{api_key}", host.trim_end_matches('/')))
}

pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let query = req.query_string();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let given = param(&params, "state").ok_or_else(|| AppError::field("state", "is required"))?;
    let cookie = req.cookie(STATE_COOKIE).ok_or_else(|| {
        AppError::Forbidden("the install was not started in this browser (no state cookie)".into())
    })?;
    let (nonce, signature) = cookie
        .value()
        .split_once('.')
        .ok_or_else(|| AppError::Forbidden("the state cookie is malformed".into()))?;
    let expected = sign_state(&state, nonce);
    let cookie_ok: bool = expected.as_bytes().ct_eq(signature.as_bytes()).into();
    let state_ok: bool = nonce.as_bytes().ct_eq(given.as_bytes()).into();
    if !(cookie_ok && state_ok) {
        return Err(AppError::Forbidden(
            "the OAuth state does not match this browser's".into(),
        ));
    }
    let (shop, token) = state
        .oauth
        .exchange_code(query)
        .await
        .map_err(|e| AppError::Unauthorized(e.to_string()))?;
    let required: Vec<&str> = state
        .settings
        .shopify
        .scopes
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let granted = token.scopes();
    if let Some(missing) = required.iter().find(|s| !granted.contains(s)) {
        return Err(AppError::Forbidden(format!(
            "the grant lacks the scope {missing}"
        )));
    }
    install::install_with(&state.db, &state.cipher, &shop, &token).await?;
    state.jobs.notify();
    let mut clear = Cookie::build(STATE_COOKIE, "").path(CALLBACK_PATH).finish();
    clear.make_removal();
    let target = param(&params, "host")
        .and_then(|h| embedded_app_url(h, &state.settings.shopify.api_key))
        .unwrap_or_else(|| format!("/admin?shop={shop}"));
    Ok(HttpResponse::Found()
        .cookie(clear)
        .insert_header((header::LOCATION, target))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_must_be_a_shopify_admin() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD_NO_PAD.encode(s);
        assert_eq!(
            embedded_app_url(&b64("admin.shopify.com/store/demo"), "k").as_deref(),
            Some("https://admin.shopify.com/store/demo/apps/k")
        );
        assert!(embedded_app_url(&b64("evil.com/admin.shopify.com"), "k").is_none());
        assert!(embedded_app_url(&b64("admin.shopify.com.evil.com"), "k").is_none());
        assert!(embedded_app_url("not base64!", "k").is_none());
    }
}
