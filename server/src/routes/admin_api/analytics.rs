//! Measurement: the dashboard and each offer's report against its holdout.

use actix_web::{HttpResponse, web};

use crate::error::AppError;
use crate::extract::AdminSession;
use crate::services::analytics;
use crate::state::AppState;

pub async fn dashboard(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(analytics::dashboard(&state.db, session.shop).await?))
}

pub async fn offer(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::field("id", "is not an offer id"))?;
    Ok(HttpResponse::Ok().json(analytics::offer(&state.db, session.shop, id).await?))
}

pub async fn widget(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(analytics::widget(&state.db, session.shop, &path).await?))
}
