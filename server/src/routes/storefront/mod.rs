//! Storefront endpoints, called by the theme extension's script: directly at
//! `/storefront/*`, or through Shopify's app proxy at `{app_proxy_path}/*` (signed).

mod events;
mod offer;
mod recommendations;

use actix_web::web;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.service(
        web::resource("/storefront/recommendations").route(web::get().to(recommendations::direct)),
    );
    let body_limit = web::PayloadConfig::new(attune_api::events::MAX_BODY_BYTES);
    cfg.service(
        web::resource("/storefront/events")
            .app_data(body_limit.clone())
            .route(web::post().to(events::direct))
            .route(web::method(actix_web::http::Method::OPTIONS).to(events::preflight)),
    );
    let proxy = state
        .settings
        .shopify
        .app_proxy_path
        .trim_end_matches('/')
        .to_owned();
    cfg.service(
        web::resource(format!("{proxy}/recommendations"))
            .route(web::get().to(recommendations::proxied)),
    );
    cfg.service(web::resource(format!("{proxy}/offer")).route(web::get().to(offer::proxied)));
    cfg.service(
        web::resource(format!("{proxy}/events"))
            .app_data(body_limit)
            .route(web::post().to(events::proxied)),
    );
}
