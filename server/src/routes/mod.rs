//! HTTP routes: thin handlers that extract, call one service, and answer with `api` types.

pub mod admin_api;
pub mod bigcommerce;
pub mod health;
pub mod install;
pub mod pages;
pub mod storefront;
pub mod webhooks;

use actix_web::web;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)));
    admin_api::configure(cfg, state);
    storefront::configure(cfg, state);
    webhooks::configure(cfg);
    install::configure(cfg);
    bigcommerce::configure(cfg);
    pages::configure(cfg, state);
}
