//! `/storefront/bigcommerce/{store}/{recommendations,events,offer}`: the storefront script
//! `public/attune-bigcommerce.js` calls these cross-origin from the store's own storefront.
//! The extractors resolve the store, check `Origin` and verify the shopper's Current Customer
//! JWT; the work is the same as for the app-proxied endpoints.
//!
//! Calls without `Origin` (not from a browser): recommendations without a customer token are
//! answered, as the unsigned `/storefront/recommendations` is; events and offers are refused,
//! since they write data or hand out codes.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use super::offer::OfferQuery;
use super::recommendations::RecommendationsQuery;
use super::{events, offer, recommendations};
use crate::error::AppError;
use crate::extract::{BigCommercePreflight, BigCommercePublicRead, BigCommerceStorefront};
use crate::services;
use crate::state::AppState;

/// Headers the script sends: the JSON body's type and the shopper's token.
const ALLOW_HEADERS: &str = "Content-Type, X-Attune-Customer-Jwt";
/// Short, so that a store's changed origins are not outlived by cached preflights.
const PREFLIGHT_MAX_AGE: &str = "600";

pub async fn recommendations(
    state: web::Data<AppState>,
    sf: BigCommercePublicRead,
    query: web::Query<RecommendationsQuery>,
) -> Result<HttpResponse, AppError> {
    recommendations::for_shop(&state, sf.shop, sf.customer, &query).await
}

pub async fn offer(
    state: web::Data<AppState>,
    sf: BigCommerceStorefront,
    query: web::Query<OfferQuery>,
) -> Result<HttpResponse, AppError> {
    offer::for_shop(&state, sf.shop, sf.customer.as_deref(), &query).await
}

/// The same batches as `/storefront/events`; the store comes from the path, so the body must
/// not name a shop. Read as bytes whatever the content type (`sendBeacon` sends `text/plain`).
pub async fn events(
    state: web::Data<AppState>,
    sf: BigCommerceStorefront,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Checked before the batch is read, whose own check of `shop` is the Shopify domain's.
    let names_shop = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .is_some_and(|v| v.get("shop").is_some_and(|s| !s.is_null()));
    if names_shop {
        return Err(AppError::field(
            "shop",
            "must not be sent: the store comes from the path",
        ));
    }
    let batch = events::parse(&body)?;
    let a = services::events::ingest(
        &state.db,
        &state.events,
        sf.shop,
        batch,
        sf.customer.as_deref(),
    )
    .await?;
    Ok(events::accepted_reply(&a))
}

fn preflight(methods: &'static str) -> HttpResponse {
    // `Access-Control-Allow-Origin` and `Vary` come from the scope's CORS middleware.
    HttpResponse::NoContent()
        .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, methods))
        .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
        .finish()
}

pub async fn preflight_get(_: BigCommercePreflight) -> HttpResponse {
    preflight("GET, OPTIONS")
}

pub async fn preflight_post(_: BigCommercePreflight) -> HttpResponse {
    preflight("POST, OPTIONS")
}
