//! Demo mode only: the local stand-in for App Bridge's `shopify.idToken()`. It mints a
//! session token for the demo shop exactly as Shopify would, so the admin API verifies it
//! through the same path as a real one. The route does not exist outside `attune demo`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;

/// Shopify's tokens live one minute; the admin fetches a new one when needed.
const TTL_SECS: i64 = 60;

pub async fn create(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let demo = state
        .demo()
        .ok_or_else(|| AppError::NotFound("not in demo mode".into()))?;
    let now = chrono::Utc::now().timestamp();
    let token = state
        .shopify
        .sign_session_token(&demo.shop, "demo-merchant", now, TTL_SECS);
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "token": token, "expires_at": now + TTL_SECS, "shop": demo.shop.as_str() })))
}
