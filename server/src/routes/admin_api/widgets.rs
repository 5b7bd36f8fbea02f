//! Widget CRUD.

use actix_web::{HttpResponse, web};
use attune_api::widgets::{WidgetInput, WidgetList};

use crate::error::AppError;
use crate::extract::AdminSession;
use crate::services::widgets;
use crate::state::AppState;

pub async fn list(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    let widgets = widgets::list(&state.db, session.shop).await?;
    Ok(HttpResponse::Ok().json(WidgetList { widgets }))
}

pub async fn get(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(widgets::get(&state.db, session.shop, &id).await?))
}

pub async fn create(
    state: web::Data<AppState>,
    session: AdminSession,
    body: web::Json<WidgetInput>,
) -> Result<HttpResponse, AppError> {
    let widget = widgets::create(&state.db, session.shop, &body).await?;
    Ok(HttpResponse::Created().json(widget))
}

pub async fn update(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    body: web::Json<WidgetInput>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(widgets::update(&state.db, session.shop, &id, &body).await?))
}

pub async fn delete(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    widgets::delete(&state.db, session.shop, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, serde::Deserialize)]
pub struct PreviewQuery {
    /// A product page to preview on (platform product id).
    product: Option<String>,
    /// A customer to preview as (platform customer id).
    customer: Option<String>,
    /// Comma-separated cart product ids.
    cart: Option<String>,
}

/// What the widget would show, with each product's explanation.
pub async fn preview(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    q: web::Query<PreviewQuery>,
) -> Result<HttpResponse, AppError> {
    let recs = widgets::preview(
        &state.db,
        &state.models,
        session.shop,
        &id,
        q.product.clone(),
        q.customer.clone(),
        q.cart.clone(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(recs))
}

/// Replays the widget's strategy on the shop's own history, next to best sellers.
pub async fn backtest(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let widget = widgets::get(&state.db, session.shop, &id).await?;
    let result = crate::services::backtest::run(
        &state.db,
        session.shop,
        widget.strategy,
        widget.max_products as usize,
    )
    .await?;
    Ok(HttpResponse::Ok().json(result))
}
