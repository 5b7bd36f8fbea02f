//! Smart offer CRUD.

use actix_web::{HttpResponse, web};
use attune_api::offers::{OfferInput, OfferList};

use crate::error::AppError;
use crate::extract::AdminSession;
use crate::services::offers;
use crate::state::AppState;

fn id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::field("id", "is not an offer id"))
}

pub async fn list(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    let offers = offers::list(&state.db, session.shop).await?;
    Ok(HttpResponse::Ok().json(OfferList { offers }))
}

pub async fn get(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(offers::get(&state.db, session.shop, id(&path)?).await?))
}

pub async fn create(
    state: web::Data<AppState>,
    session: AdminSession,
    body: web::Json<OfferInput>,
) -> Result<HttpResponse, AppError> {
    let offer = offers::create(&state.db, &state.jobs, session.shop, &body).await?;
    Ok(HttpResponse::Created().json(offer))
}

pub async fn update(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
    body: web::Json<OfferInput>,
) -> Result<HttpResponse, AppError> {
    let offer = offers::update(&state.db, &state.jobs, session.shop, id(&path)?, &body).await?;
    Ok(HttpResponse::Ok().json(offer))
}

pub async fn delete(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    offers::delete(&state.db, session.shop, id(&path)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
