//! BigCommerce's single-click app callbacks (registered in the Developer Portal):
//! `/bigcommerce/auth`, `/bigcommerce/load`, `/bigcommerce/uninstall`, `/bigcommerce/remove_user`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::error::AppError;
use crate::platform::bigcommerce::install;
use crate::routes::pages::admin::bigcommerce_document;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/bigcommerce/auth").route(web::get().to(auth)))
        .service(web::resource("/bigcommerce/load").route(web::get().to(load)))
        .service(web::resource("/bigcommerce/uninstall").route(web::get().to(uninstall)))
        .service(web::resource("/bigcommerce/remove_user").route(web::get().to(remove_user)));
}

#[derive(Debug, Deserialize)]
pub struct AuthQuery {
    code: Option<String>,
    scope: Option<String>,
    context: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignedQuery {
    signed_payload_jwt: Option<String>,
}

fn jwt(q: &SignedQuery) -> Result<&str, AppError> {
    q.signed_payload_jwt
        .as_deref()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| AppError::field("signed_payload_jwt", "is required"))
}

async fn auth(
    state: web::Data<AppState>,
    q: web::Query<AuthQuery>,
) -> Result<HttpResponse, AppError> {
    let opened = install::auth(
        &state,
        q.code.as_deref().unwrap_or_default(),
        q.scope.as_deref().unwrap_or_default(),
        q.context.as_deref().unwrap_or_default(),
    )
    .await?;
    bigcommerce_document(
        &state,
        &opened.store_hash,
        &opened.session,
        opened.expires_at,
    )
}

async fn load(
    state: web::Data<AppState>,
    q: web::Query<SignedQuery>,
) -> Result<HttpResponse, AppError> {
    let opened = install::load(&state, jwt(&q)?).await?;
    bigcommerce_document(
        &state,
        &opened.store_hash,
        &opened.session,
        opened.expires_at,
    )
}

async fn uninstall(
    state: web::Data<AppState>,
    q: web::Query<SignedQuery>,
) -> Result<HttpResponse, AppError> {
    install::uninstall(&state, jwt(&q)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn remove_user(
    state: web::Data<AppState>,
    q: web::Query<SignedQuery>,
) -> Result<HttpResponse, AppError> {
    install::remove_user(&state, jwt(&q)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
