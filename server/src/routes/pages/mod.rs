//! HTML pages: the admin document, the session-token bounce page, static files, and in demo
//! mode the local stand-in storefront.

pub(crate) mod admin;
mod demo;

use actix_web::web;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    cfg.service(web::resource("/auth/session-token").route(web::get().to(admin::bounce)));
    if state.demo().is_some() {
        demo::configure(cfg);
    }
    cfg.service(
        actix_files::Files::new("/static", &state.settings.app.public_dir)
            .use_etag(true)
            .use_last_modified(true),
    )
    .service(web::resource("/admin").route(web::get().to(admin::document)))
    .service(web::resource("/admin/{tail:.*}").route(web::get().to(admin::document)))
    .service(web::resource("/").route(web::get().to(admin::root)));
}
