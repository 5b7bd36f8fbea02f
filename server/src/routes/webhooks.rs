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
