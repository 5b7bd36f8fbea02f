//! `GET {app_proxy_path}/offer?visitor=..&cart_subtotal=..&explain=1`: the smart-offer decision
//! for this visitor. Only through the signed app proxy: a code is worth money, so the shop (and
//! any logged-in customer) must come from Shopify's signature, never from the caller.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::recommendations::storefront_id;
use crate::error::AppError;
use crate::extract::AppProxyRequest;
use crate::services::offers::decide::{self, Ask};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct OfferQuery {
    visitor: Option<String>,
    /// The cart's subtotal in minor units, when the shopper has a cart.
    cart_subtotal: Option<String>,
    explain: Option<String>,
}

pub async fn proxied(
    state: web::Data<AppState>,
    proxy: AppProxyRequest,
    query: web::Query<OfferQuery>,
) -> Result<HttpResponse, AppError> {
    for_shop(&state, proxy.shop, proxy.customer.as_deref(), &query).await
}

/// The decision for a shop (and customer, if any) the caller's extractor verified.
pub(super) async fn for_shop(
    state: &AppState,
    shop: crate::db::ShopId,
    customer: Option<&str>,
    query: &OfferQuery,
) -> Result<HttpResponse, AppError> {
    let visitor = storefront_id(query.visitor.as_deref(), "visitor")?
        .ok_or_else(|| AppError::field("visitor", "is required"))?;
    let cart_subtotal_minor = match query.cart_subtotal.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .filter(|v| (0..=1_000_000_000_000).contains(v))
                .ok_or_else(|| {
                    AppError::field(
                        "cart_subtotal",
                        "must be a whole number of minor units, 0 or more",
                    )
                })?,
        ),
    };
    let explain = match query.explain.as_deref() {
        None | Some("0") | Some("false") => false,
        Some("1") | Some("true") => true,
        Some(_) => return Err(AppError::field("explain", "must be 1 or 0")),
    };
    let answer = decide::for_visitor(
        state,
        shop,
        Ask {
            visitor_key: &visitor,
            customer,
            cart_subtotal_minor,
            explain,
        },
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(answer))
}
