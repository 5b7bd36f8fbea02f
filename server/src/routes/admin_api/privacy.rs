//! Customer data exports (from `customers/data_request`), listed and downloaded by the merchant.

use actix_web::{HttpResponse, http::header, web};
use attune_api::privacy::{DataExportList, DataExportSummary};

use crate::db::compliance;
use crate::error::AppError;
use crate::extract::AdminSession;
use crate::state::AppState;

pub async fn list(
    state: web::Data<AppState>,
    session: AdminSession,
) -> Result<HttpResponse, AppError> {
    let exports = compliance::list_exports(&state.db, session.shop)
        .await?
        .into_iter()
        .map(|e| DataExportSummary {
            id: e.id,
            request_id: e.request_id,
            customer_id: e.customer_platform_id,
            created_at: e.created_at.to_rfc3339(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(DataExportList { exports }))
}

pub async fn download(
    state: web::Data<AppState>,
    session: AdminSession,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let export = compliance::get_export(&state.db, session.shop, *id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no data export {id}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"customer-{}-data.json\"",
                export.customer_platform_id
            ),
        ))
        .json(export.data))
}
