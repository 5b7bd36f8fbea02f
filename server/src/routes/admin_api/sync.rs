//! Sync status and a manual "sync now".

use actix_web::{HttpResponse, web};

use crate::db;
use crate::error::AppError;
use crate::extract::AdminSession;
use crate::services::sync;
use crate::state::AppState;

async fn current(
    state: &AppState,
    session: &AdminSession,
) -> Result<attune_api::sync::SyncStatus, AppError> {
    let s = sync::status(state, session.shop).await?;
    Ok(attune_api::sync::SyncStatus {
        status: s.status,
        phase: s.phase,
        counts: attune_api::sync::SyncCounts {
            collections: s.counts.collections,
            products: s.counts.products,
            customers: s.counts.customers,
            orders: s.counts.orders,
        },
        started_at: s.started_at.map(|t| t.to_rfc3339()),
        finished_at: s.finished_at.map(|t| t.to_rfc3339()),
        error: s.error,
        pending_jobs: db::jobs::pending(&state.db, session.shop).await?,
    })
}

pub async fn get(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(current(&state, &session).await?))
}

/// Queues an incremental sync (a full one if the shop never synced).
pub async fn start(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    if !db::jobs::has_queued(
        &state.db,
        session.shop,
        "sync_incremental",
        Some(chrono::Utc::now() + chrono::Duration::minutes(1)),
    )
    .await?
    {
        db::jobs::enqueue(
            &state.db,
            session.shop,
            "sync_incremental",
            serde_json::json!({}),
            chrono::Utc::now(),
        )
        .await?;
        state.jobs.notify();
    }
    Ok(HttpResponse::Accepted().json(current(&state, &session).await?))
}
