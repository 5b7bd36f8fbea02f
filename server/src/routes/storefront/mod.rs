//! Storefront endpoints, called by the theme extension's script: directly at
//! `/storefront/*`, or through Shopify's app proxy at `{app_proxy_path}/*` (signed); and
//! BigCommerce's storefront script at `/storefront/bigcommerce/{store}/*` (CORS, own origins only).

mod bigcommerce;
mod events;
mod offer;
mod recommendations;

use actix_web::http::Method;
use actix_web::{middleware, web};

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
            .route(web::method(Method::OPTIONS).to(events::preflight)),
    );
    cfg.service(
        web::scope("/storefront/bigcommerce/{store}")
            .app_data(web::Data::new(
                crate::extract::storefront_origin::StorefrontStores::default(),
            ))
            .wrap(middleware::from_fn(crate::extract::storefront_origin::cors))
            .service(
                web::resource("/recommendations")
                    .route(web::get().to(bigcommerce::recommendations))
                    .route(web::method(Method::OPTIONS).to(bigcommerce::preflight_get)),
            )
            .service(
                web::resource("/offer")
                    .route(web::get().to(bigcommerce::offer))
                    .route(web::method(Method::OPTIONS).to(bigcommerce::preflight_get)),
            )
            .service(
                web::resource("/events")
                    .app_data(body_limit.clone())
                    .route(web::post().to(bigcommerce::events))
                    .route(web::method(Method::OPTIONS).to(bigcommerce::preflight_post)),
            ),
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
