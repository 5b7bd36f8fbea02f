//! Extractors that verify a request's signature and resolve its tenant before any handler
//! runs. A handler that takes one of these can only see the verified shop.

mod admin_session;
mod app_proxy;
pub mod storefront_origin;
pub mod webhook;

pub use admin_session::AdminSession;
pub use app_proxy::AppProxyRequest;
pub use storefront_origin::{BigCommercePreflight, BigCommercePublicRead, BigCommerceStorefront};
pub use webhook::ShopifyWebhook;

use actix_web::{HttpRequest, web};

use crate::error::AppError;
use crate::state::AppState;

pub(crate) fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state missing")))
}
