//! A/B/n experiments and their results.

use actix_web::{HttpResponse, web};
use attune_api::experiments::{ExperimentInput, ExperimentList, Subject};

use crate::error::AppError;
use crate::extract::AdminSession;
use crate::services::experiments;
use crate::state::AppState;

fn id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::field("id", "is not an experiment id"))
}

pub async fn list(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    let experiments = experiments::list(&state.db, session.shop).await?;
    Ok(HttpResponse::Ok().json(ExperimentList { experiments }))
}

pub async fn get(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(experiments::get(&state.db, session.shop, id(&path)?).await?))
}

/// Offer arms need codes ready before visitors are placed in them.
async fn refill_arms(
    state: &AppState,
    session: &AdminSession,
    input: &ExperimentInput,
) -> Result<(), AppError> {
    if input.subject == Subject::Offer {
        for offer in input.arms.iter().filter_map(|a| a.offer) {
            crate::services::offers::codes::request_refill(
                &state.db,
                &state.jobs,
                session.shop,
                offer,
            )
            .await?;
        }
    }
    Ok(())
}

pub async fn create(
    state: web::Data<AppState>,
    session: AdminSession,
    body: web::Json<ExperimentInput>,
) -> Result<HttpResponse, AppError> {
    let e = experiments::save(&state.db, &state.experiments, session.shop, None, &body).await?;
    refill_arms(&state, &session, &body).await?;
    Ok(HttpResponse::Created().json(e))
}

pub async fn update(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
    body: web::Json<ExperimentInput>,
) -> Result<HttpResponse, AppError> {
    let e = experiments::save(
        &state.db,
        &state.experiments,
        session.shop,
        Some(id(&path)?),
        &body,
    )
    .await?;
    refill_arms(&state, &session, &body).await?;
    Ok(HttpResponse::Ok().json(e))
}

pub async fn results(
    state: web::Data<AppState>,
    session: AdminSession,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(experiments::results(&state.db, session.shop, id(&path)?).await?))
}
