//! `POST /webhooks/shopify`: every topic, compliance included. Verified, stored, answered.
//! The work happens in a job; only forgetting tokens on `app/uninstalled` happens at once.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::db;
use crate::error::AppError;
use crate::extract::ShopifyWebhook;
use crate::platform::shopify::{self, PLATFORM};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks/shopify")
            .app_data(web::PayloadConfig::new(crate::extract::webhook::MAX_BODY))
            .route(web::post().to(receive)),
    );
    cfg.service(
        web::resource("/webhooks/bigcommerce")
            .app_data(web::PayloadConfig::new(crate::extract::webhook::MAX_BODY))
            .route(web::post().to(receive_bigcommerce)),
    );
}

/// `POST /webhooks/bigcommerce`: verified (store secret header, and the Standard Webhooks
/// signature when present), stored once per event `hash`, answered; applied by a job.
pub async fn receive_bigcommerce(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    use crate::platform::bigcommerce::{self, webhooks};
    use secrecy::ExposeSecret;
    let bc = &state.settings.bigcommerce;
    if bc.client_id.is_empty() {
        return Err(AppError::NotFound(
            "BigCommerce is not configured on this server".into(),
        ));
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = webhooks::verify_delivery(
        &webhooks::Headers {
            secret: header(webhooks::SECRET_HEADER),
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
        },
        &body,
        bc.client_secret.expose_secret().as_bytes(),
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| AppError::Unauthorized(format!("webhook: {e}")))?;
    let shop =
        db::shops::find_by_domain(&state.db, bigcommerce::PLATFORM, &delivery.store_hash).await?;
    if delivery.scope == "store/app/uninstalled"
        && let Some(s) = &shop
    {
        db::shops::mark_uninstalled(&state.db, s.id).await?;
    }
    let body = String::from_utf8(body.to_vec())
        .map_err(|_| AppError::BadRequest("the body is not UTF-8".into()))?;
    let new = db::webhooks::record(
        &state.db,
        db::webhooks::NewReceipt {
            platform: bigcommerce::PLATFORM.to_owned(),
            shop_domain: delivery.store_hash,
            shop: shop.map(|s| s.id),
            topic: delivery.scope,
            event_id: delivery.hash,
            webhook_id: header("webhook-id").unwrap_or_default().to_owned(),
            api_version: "v3".to_owned(),
            triggered_at: delivery
                .created_at
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0)),
            body,
        },
    )
    .await?;
    if new {
        state.jobs.notify();
    }
    Ok(HttpResponse::Ok().json(json!({ "received": true, "duplicate": !new })))
}

pub async fn receive(
    state: web::Data<AppState>,
    webhook: ShopifyWebhook,
) -> Result<HttpResponse, AppError> {
    let meta = webhook.meta;
    let shop = db::shops::find_by_domain(&state.db, PLATFORM, meta.shop.as_str()).await?;
    if meta.topic == "app/uninstalled"
        && let Some(s) = &shop
    {
        db::shops::mark_uninstalled(&state.db, s.id).await?;
    }
    let triggered_at = meta
        .triggered_at
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc));
    let new = db::webhooks::record(
        &state.db,
        db::webhooks::NewReceipt {
            platform: shopify::PLATFORM.to_owned(),
            shop_domain: meta.shop.as_str().to_owned(),
            shop: shop.map(|s| s.id),
            topic: meta.topic,
            event_id: meta.event_id,
            webhook_id: meta.webhook_id,
            api_version: meta.api_version,
            triggered_at,
            body: webhook.body,
        },
    )
    .await?;
    if new {
        state.jobs.notify();
    }
    Ok(HttpResponse::Ok().json(json!({ "received": true, "duplicate": !new })))
}
