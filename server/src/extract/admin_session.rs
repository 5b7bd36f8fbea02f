//! `AdminSession`: every `/api/admin/*` call carries a session token (`Authorization: Bearer
//! <jwt>`): Shopify's, or the one a verified BigCommerce `/load` started; the shop comes from
//! the verified token, never from a parameter.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header};

use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::platform::shopify;

#[derive(Debug, Clone)]
pub struct AdminSession {
    pub shop: ShopId,
    pub shop_domain: String,
    pub user: Option<String>,
}

impl FromRequest for AdminSession {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = super::state(&req)?;
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| {
                    AppError::InvalidSession("missing session token (Authorization: Bearer)".into())
                })?;
            let verified = match state.shopify.verify_session_token(token) {
                Ok(v) => v,
                Err(e) => {
                    // Not Shopify's: perhaps the session a BigCommerce `/load` started.
                    return match crate::platform::bigcommerce::install::admin_session(&state, token)
                        .await?
                    {
                        Some((shop, domain)) => Ok(AdminSession {
                            shop,
                            shop_domain: domain,
                            user: None,
                        }),
                        None => Err(AppError::InvalidSession(e.to_string())),
                    };
                }
            };
            let shop =
                db::shops::find_by_domain(&state.db, shopify::PLATFORM, verified.shop.as_str())
                    .await?
                    .filter(|s| s.installed)
                    .ok_or_else(|| AppError::Unauthorized("shop is not installed".into()))?;
            Ok(AdminSession {
                shop: shop.id,
                shop_domain: shop.domain,
                user: verified.user,
            })
        })
    }
}
