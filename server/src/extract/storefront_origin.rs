//! `BigCommerceStorefront`: a call from a BigCommerce store's storefront script at
//! `/storefront/bigcommerce/{store}/...`. BigCommerce has no signed proxy, so:
//! - the store comes from the path and must have the app installed;
//! - `Origin` must be one of the store's storefront origins (the shop setting the sync writes);
//!   any other origin is refused (403) before the handler runs, and an allowed one is echoed
//!   in `Access-Control-Allow-Origin` by [`cors`], on answers and errors alike;
//! - a call without `Origin` is not from a browser script: refused unless the route admits
//!   anonymous server calls (public reads) and the call carries no customer token;
//! - the shopper is known only from a Current Customer JWT in [`CUSTOMER_JWT_HEADER`], verified
//!   here; a token that fails any check is a 401 naming the check, never ignored.
//!
//! `Origin` is enforced by browsers, not by us: a non-browser client can send any value. It
//! keeps other sites' scripts from calling us in a shopper's browser; identity rests on the JWT.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::platform::bigcommerce::{self, customer::verify_current_customer_jwt};

/// Where the storefront script sends the shopper's Current Customer JWT. A header, not a query
/// parameter, so that the token never appears in URLs (access logs, referrers).
pub const CUSTOMER_JWT_HEADER: &str = "x-attune-customer-jwt";

/// The shop setting listing the origins a store's storefront is served from (written by the
/// sync as `services::sync::STOREFRONT_ORIGINS`).
const STOREFRONT_ORIGINS: &str = "storefront_origins";

/// How long a store's lookup (installed? which origins?) is trusted, like the widget cache.
const STORE_TTL: Duration = Duration::from_secs(1);
/// Unknown hashes are remembered too; past this many entries the cache starts over.
const STORE_CACHE_MAX: usize = 10_000;

#[derive(Debug, Clone)]
struct Store {
    shop: ShopId,
    origins: Arc<[String]>,
}

/// Installed BigCommerce stores and their storefront origins, read at most once a second per
/// store (per worker).
#[derive(Default)]
pub struct StorefrontStores {
    entries: RwLock<HashMap<String, (Instant, Option<Store>)>>,
}

impl StorefrontStores {
    async fn get(&self, db: &DatabaseConnection, hash: &str) -> Result<Option<Store>, AppError> {
        let known = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(hash)
            .cloned();
        if let Some((at, found)) = known
            && at.elapsed() < STORE_TTL
        {
            return Ok(found);
        }
        let found = match db::shops::find_by_domain(db, bigcommerce::PLATFORM, hash)
            .await?
            .filter(|s| s.installed)
        {
            Some(shop) => {
                let origins = db::shops::setting(db, shop.id, STOREFRONT_ORIGINS)
                    .await?
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|o| o.as_str())
                    .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                    .filter(|o| !o.is_empty())
                    .collect();
                Some(Store {
                    shop: shop.id,
                    origins,
                })
            }
            None => None,
        };
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= STORE_CACHE_MAX {
            entries.clear();
        }
        entries.insert(hash.to_owned(), (Instant::now(), found.clone()));
        Ok(found)
    }
}

/// The request's `Origin`, once checked against the store's storefront origins.
#[derive(Debug, Clone)]
struct AllowedOrigin(HeaderValue);

/// Adds the CORS answer for a checked origin to every response of the BigCommerce storefront
/// routes (errors included, so the script can read why it was refused), and `Vary: Origin`
/// always: the answer depends on it.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let allowed = res.request().extensions().get::<AllowedOrigin>().cloned();
    let headers = res.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
    if let Some(AllowedOrigin(origin)) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    Ok(res)
}

/// Resolves the store from the path and checks `Origin`. `Ok(None)` origin: no `Origin` header.
async fn resolve(req: &HttpRequest) -> Result<(ShopId, String, Option<HeaderValue>), AppError> {
    let state = super::state(req)?;
    let hash = req
        .match_info()
        .get("store")
        .filter(|h| !h.is_empty() && h.len() <= 32 && h.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| AppError::NotFound("no such store (the path names no store hash)".into()))?
        .to_owned();
    let stores = req
        .app_data::<web::Data<StorefrontStores>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("storefront store cache missing")))?;
    let store = stores
        .get(&state.db, &hash)
        .await?
        .ok_or_else(|| AppError::NotFound("store is not installed".into()))?;
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return Ok((store.shop, hash, None));
    };
    let text = origin.to_str().unwrap_or_default();
    if store.origins.is_empty() {
        return Err(AppError::Forbidden(
            "this store's storefront origins are not known yet (its first sync has not finished)"
                .into(),
        ));
    }
    if !store.origins.iter().any(|o| o == text) {
        // Names the origin we saw (not secret: the caller sent it) so a merchant on a new
        // domain can tell why.
        return Err(AppError::Forbidden(format!(
            "origin {} is not one of this store's storefront origins",
            text.chars().take(200).collect::<String>()
        )));
    }
    req.extensions_mut().insert(AllowedOrigin(origin.clone()));
    Ok((store.shop, hash, Some(origin)))
}

/// A verified storefront call for a BigCommerce store. `SERVER_CALLS` admits calls without
/// `Origin` that carry no customer token (public reads); every other call must come from one of
/// the store's storefront origins.
#[derive(Debug, Clone)]
pub struct BigCommerceStorefront<const SERVER_CALLS: bool = false> {
    pub shop: ShopId,
    /// BigCommerce's customer id, only from a verified Current Customer JWT.
    pub customer: Option<String>,
}

/// A public read: also answered to server-to-server calls (no `Origin`) without a customer.
pub type BigCommercePublicRead = BigCommerceStorefront<true>;

impl<const SERVER_CALLS: bool> FromRequest for BigCommerceStorefront<SERVER_CALLS> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (shop, hash, origin) = resolve(&req).await?;
            let jwt = match req.headers().get(CUSTOMER_JWT_HEADER) {
                None => None,
                Some(v) => Some(v.to_str().map_err(|_| {
                    AppError::Unauthorized("customer token: not a JWT (not ASCII)".into())
                })?),
            };
            if origin.is_none() && (jwt.is_some() || !SERVER_CALLS) {
                return Err(AppError::Forbidden(
                    "Origin is required: this endpoint answers the store's storefront only".into(),
                ));
            }
            let Some(jwt) = jwt else {
                return Ok(BigCommerceStorefront {
                    shop,
                    customer: None,
                });
            };
            let state = super::state(&req)?;
            let bc = &state.settings.bigcommerce;
            let verified = verify_current_customer_jwt(
                jwt,
                bc.client_secret.expose_secret().as_bytes(),
                &bc.client_id,
                &hash,
                chrono::Utc::now().timestamp(),
            )
            .map_err(|e| AppError::Unauthorized(format!("customer token: {e}")))?;
            Ok(BigCommerceStorefront {
                shop,
                customer: Some(verified.id.to_string()),
            })
        })
    }
}

/// A CORS preflight for a BigCommerce storefront route: the store must exist and `Origin` must
/// be one of its storefront origins.
#[derive(Debug, Clone)]
pub struct BigCommercePreflight;

impl FromRequest for BigCommercePreflight {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match resolve(&req).await? {
                (_, _, Some(_)) => Ok(BigCommercePreflight),
                (_, _, None) => Err(AppError::Forbidden(
                    "a preflight needs Origin: this endpoint answers the store's storefront only"
                        .into(),
                )),
            }
        })
    }
}
