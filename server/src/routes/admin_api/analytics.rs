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
    // The daily rollups start with the first look at the dashboard, then run every hour.
    crate::services::rollups::request(&state.db, &state.jobs, session.shop).await?;
    Ok(HttpResponse::Ok().json(analytics::dashboard(&state.db, session.shop).await?))
}

/// The stored daily rollups of the reporting period.
pub async fn rollups(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    let since = (chrono::Utc::now() - chrono::Duration::days(analytics::PERIOD_DAYS))
        .format("%Y-%m-%d")
        .to_string();
    let rows = crate::db::rollups::since(&state.db, session.shop, &since)
        .await?
        .into_iter()
        .map(|r| attune_api::analytics::RollupRow {
            day: r.day,
            subject: r.subject_kind,
            id: r.subject_id,
            arm: r.arm,
            visitors: r.visitors,
            converters: r.converters,
            orders: r.orders,
            revenue_minor: r.revenue_minor,
        })
        .collect();
    Ok(HttpResponse::Ok().json(attune_api::analytics::Rollups { rows }))
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
