//! `ShopifyWebhook`: a delivery whose HMAC over the raw body verified (constant time, either
//! header set). Anything else is refused with 401 before the body is looked at.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::error::AppError;
use crate::platform::shopify::VerifiedWebhook;

/// Shopify's payloads are far below this; anything larger is not a webhook of ours.
pub const MAX_BODY: usize = 5 * 1024 * 1024;

pub struct ShopifyWebhook {
    pub meta: VerifiedWebhook,
    pub body: String,
}

impl FromRequest for ShopifyWebhook {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = super::state(&req)?;
            let body = body.await.map_err(|e| {
                AppError::BadRequest(format!("could not read the webhook body: {e}"))
            })?;
            let headers = req
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_bytes()));
            let meta = state
                .shopify
                .verify_webhook(headers, &body)
                .map_err(|e| AppError::Unauthorized(e.to_string()))?;
            let body = String::from_utf8(body.to_vec())
                .map_err(|_| AppError::BadRequest("webhook body is not UTF-8".into()))?;
            Ok(ShopifyWebhook { meta, body })
        })
    }
}
