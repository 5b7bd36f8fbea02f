//! Segments: list with sizes and trend, templates, live preview while editing, CRUD, and the
//! automatically found micro-segments.

use actix_web::{HttpResponse, web};
use attune_api::segments::{SegmentInput, templates};

use crate::db;
use crate::error::AppError;
use crate::extract::AdminSession;
use crate::services::segments;
use crate::state::AppState;

async fn currency(state: &AppState, session: &AdminSession) -> Result<String, AppError> {
    Ok(db::shops::get(&state.db, session.shop)
        .await?
        .map(|s| s.currency)
        .unwrap_or_else(|| "USD".to_owned()))
}

pub async fn list(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(segments::list(&state.db, &state.segments, session.shop).await?))
}

pub async fn templates_list(_session: AdminSession) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "templates": templates() }))
}

pub async fn preview(
    state: web::Data<AppState>,
    session: AdminSession,
    body: web::Json<SegmentInput>,
) -> Result<HttpResponse, AppError> {
    // A draft may have no name yet: only its rules are checked here.
    let mut input = body.into_inner();
    if input.name.as_str().is_none_or(|n| n.trim().is_empty()) {
        input.name = "draft".into();
    }
    let valid = input.validate().map_err(AppError::Validation)?;
    let currency = currency(&state, &session).await?;
    Ok(HttpResponse::Ok().json(
        segments::preview(&state.db, &state.segments, session.shop, &valid, &currency).await?,
    ))
}

pub async fn create(
    state: web::Data<AppState>,
    session: AdminSession,
    body: web::Json<SegmentInput>,
) -> Result<HttpResponse, AppError> {
    let row = segments::create(&state.db, session.shop, &body).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": row.public_id })))
}

pub async fn update(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
    body: web::Json<SegmentInput>,
) -> Result<HttpResponse, AppError> {
    let row = segments::update(&state.db, session.shop, &id, &body).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": row.public_id })))
}

pub async fn delete(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    segments::delete(&state.db, session.shop, &id).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn micro(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    let currency = currency(&state, &session).await?;
    Ok(HttpResponse::Ok()
        .json(segments::micro(&state.db, &state.segments, session.shop, &currency).await?))
}
