//! `AppProxyRequest`: a storefront call forwarded by Shopify's app proxy, with its
//! `signature` verified. Shop and logged-in customer come only from the signed parameters.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::platform::shopify;

#[derive(Debug, Clone)]
pub struct AppProxyRequest {
    pub shop: ShopId,
    /// The platform's customer id, when a customer is logged in on the storefront.
    pub customer: Option<String>,
}

impl FromRequest for AppProxyRequest {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = super::state(&req)?;
            let verified = state
                .shopify
                .verify_app_proxy(req.query_string())
                .map_err(|e| AppError::Unauthorized(e.to_string()))?;
            let shop =
                db::shops::find_by_domain(&state.db, shopify::PLATFORM, verified.shop.as_str())
                    .await?
                    .filter(|s| s.installed)
                    .ok_or_else(|| AppError::NotFound("shop is not installed".into()))?;
            Ok(AppProxyRequest {
                shop: shop.id,
                customer: verified.logged_in_customer_id,
            })
        })
    }
}
