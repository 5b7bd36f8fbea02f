//! `/api/admin/*`: the embedded admin's JSON API. Every call needs an [`AdminSession`].
//!
//! [`AdminSession`]: crate::extract::AdminSession

mod analytics;
mod demo_session;
mod experiments;
mod offers;
mod privacy;
mod segments;
mod sync;
mod widgets;

use actix_web::web;

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState) {
    let mut scope = web::scope("/api/admin")
        .service(
            web::resource("/widgets")
                .route(web::get().to(widgets::list))
                .route(web::post().to(widgets::create)),
        )
        .service(
            web::resource("/experiments")
                .route(web::get().to(experiments::list))
                .route(web::post().to(experiments::create)),
        )
        .service(
            web::resource("/experiments/{id}")
                .route(web::get().to(experiments::get))
                .route(web::put().to(experiments::update)),
        )
        .service(
            web::resource("/experiments/{id}/results").route(web::get().to(experiments::results)),
        )
        .service(web::resource("/analytics").route(web::get().to(analytics::dashboard)))
        .service(web::resource("/analytics/rollups").route(web::get().to(analytics::rollups)))
        .service(web::resource("/analytics/offers/{id}").route(web::get().to(analytics::offer)))
        .service(web::resource("/analytics/widgets/{id}").route(web::get().to(analytics::widget)))
        .service(
            web::resource("/offers")
                .route(web::get().to(offers::list))
                .route(web::post().to(offers::create)),
        )
        .service(
            web::resource("/offers/{id}")
                .route(web::get().to(offers::get))
                .route(web::put().to(offers::update))
                .route(web::delete().to(offers::delete)),
        )
        .service(
            web::resource("/segments")
                .route(web::get().to(segments::list))
                .route(web::post().to(segments::create)),
        )
        .service(
            web::resource("/segments/templates").route(web::get().to(segments::templates_list)),
        )
        .service(web::resource("/segments/preview").route(web::post().to(segments::preview)))
        .service(web::resource("/segments/micro").route(web::get().to(segments::micro)))
        .service(
            web::resource("/segments/{id}")
                .route(web::put().to(segments::update))
                .route(web::delete().to(segments::delete)),
        )
        .service(web::resource("/privacy/exports").route(web::get().to(privacy::list)))
        .service(
            web::resource("/sync")
                .route(web::get().to(sync::get))
                .route(web::post().to(sync::start)),
        )
        .service(web::resource("/privacy/exports/{id}").route(web::get().to(privacy::download)))
        .service(web::resource("/widgets/{id}/preview").route(web::get().to(widgets::preview)))
        .service(web::resource("/widgets/{id}/backtest").route(web::post().to(widgets::backtest)))
        .service(
            web::resource("/widgets/{id}")
                .route(web::get().to(widgets::get))
                .route(web::put().to(widgets::update))
                .route(web::delete().to(widgets::delete)),
        );
    if state.demo().is_some() {
        scope = scope
            .service(web::resource("/demo/session").route(web::post().to(demo_session::create)));
    }
    cfg.service(scope);
}
