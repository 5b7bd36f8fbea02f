//! `POST /storefront/events`: batches of shopper events from the web pixel (direct, CORS) and
//! the theme's app embed (through the signed app proxy, which also tells us who is logged in).
//!
//! The body is read as bytes whatever its content type: `navigator.sendBeacon` sends
//! `text/plain` so that no CORS preflight is needed.

use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;

use attune_api::events::parse_batch;

use crate::db;
use crate::error::AppError;
use crate::extract::AppProxyRequest;
use crate::platform::shopify;
use crate::services::events;
use crate::state::AppState;

pub(super) fn parse(body: &[u8]) -> Result<attune_api::events::EventBatch, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    parse_batch(&value, Utc::now().timestamp()).map_err(AppError::Validation)
}

/// The answer to a stored batch, without CORS headers (the caller's route adds its own).
pub(super) fn accepted_reply(a: &attune_api::events::EventsAccepted) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(events::accepted_json(a))
}

fn accepted(a: &attune_api::events::EventsAccepted) -> HttpResponse {
    let mut r = accepted_reply(a);
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    r
}

/// Unsigned: the shop is named in the body and must have the app installed. No customer
/// identity is taken from an unsigned call.
pub async fn direct(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let batch = parse(&body)?;
    let domain = batch.shop.clone().ok_or_else(|| {
        AppError::field("shop", "is required when not called through the app proxy")
    })?;
    let shop = db::shops::find_by_domain(&state.db, shopify::PLATFORM, &domain)
        .await?
        .filter(|s| s.installed)
        .ok_or_else(|| AppError::NotFound("shop is not installed".into()))?;
    let a = events::ingest(&state.db, &state.events, shop.id, batch, None).await?;
    Ok(accepted(&a))
}

/// Through the app proxy: shop and logged-in customer come from the verified signature.
pub async fn proxied(
    state: web::Data<AppState>,
    proxy: AppProxyRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let batch = parse(&body)?;
    let a = events::ingest(
        &state.db,
        &state.events,
        proxy.shop,
        batch,
        proxy.customer.as_deref(),
    )
    .await?;
    Ok(accepted(&a))
}

/// CORS preflight for `application/json` posts from the pixel's sandbox.
pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Content-Type"))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
        .finish()
}
