//! The admin document. Embedded in the Shopify admin, it is framed only by the verified shop
//! and admin.shopify.com; without a valid `id_token` the document goes through the bounce
//! page, where App Bridge reloads it with a fresh one.

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use askama::Template;

use crate::error::AppError;
use crate::platform::shopify::{self, ShopDomain};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    api_key: &'a str,
    embedded: bool,
    demo: bool,
    /// BigCommerce: the admin session a verified load started, and when it ends (Unix seconds).
    session: Option<(&'a str, i64)>,
}

#[derive(Template)]
#[template(path = "bounce.html")]
struct BouncePage<'a> {
    api_key: &'a str,
}

fn frame_ancestors(shop: Option<&ShopDomain>) -> String {
    match shop {
        Some(s) => format!("frame-ancestors https://{s} https://admin.shopify.com;"),
        None => "frame-ancestors https://admin.shopify.com;".to_owned(),
    }
}

fn html(csp: String, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

pub async fn root(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let target = if state.demo().is_some() {
        "/demo".to_owned()
    } else {
        format!("/admin?{}", req.query_string())
    };
    HttpResponse::Found()
        .insert_header((header::LOCATION, target))
        .finish()
}

pub async fn document(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let api_key = &state.settings.shopify.api_key;
    if state.demo().is_some() {
        // Local demo: not embedded anywhere, so nobody may frame it.
        let page = AdminPage {
            api_key,
            embedded: false,
            demo: true,
            session: None,
        };
        return Ok(html(
            "frame-ancestors 'none';".into(),
            page.render().map_err(anyhow::Error::from)?,
        ));
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let id_token = params
        .iter()
        .find(|(k, _)| k == "id_token")
        .map(|(_, v)| v.as_str());
    match id_token.map(|t| state.shopify.verify_session_token(t)) {
        Some(Ok(session)) => {
            // Lazily install: only when the shop has no usable token.
            if let Err(e) = crate::services::install::ensure_installed(
                &state.db,
                &state.cipher,
                &state.oauth,
                &session.shop,
                id_token.unwrap_or_default(),
            )
            .await
            {
                tracing::warn!(error = format!("{e:#}"), "install failed");
                return Err(AppError::BadGateway(
                    "could not finish installing with Shopify; reload to retry".into(),
                ));
            }
            state.jobs.notify();
            let page = AdminPage {
                api_key,
                embedded: true,
                demo: false,
                session: None,
            };
            Ok(html(
                frame_ancestors(Some(&session.shop)),
                page.render().map_err(anyhow::Error::from)?,
            ))
        }
        _ => {
            let reload: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter().filter(|(k, _)| k != "id_token"))
                .finish();
            let reload_url = format!("{}?{}", req.path(), reload);
            let mut target = url::form_urlencoded::Serializer::new(String::new());
            target.append_pair("shopify-reload", &reload_url);
            if let Some(shop) = params
                .iter()
                .find(|(k, _)| k == "shop")
                .and_then(|(_, v)| shopify::parse_shop(v))
            {
                target.append_pair("shop", shop.as_str());
            }
            Ok(HttpResponse::Found()
                .insert_header((
                    header::LOCATION,
                    format!("/auth/session-token?{}", target.finish()),
                ))
                .finish())
        }
    }
}

/// Loads only App Bridge, which fetches a fresh session token and reloads `shopify-reload`.
pub async fn bounce(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let shop = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "shop")
        .and_then(|(_, v)| shopify::parse_shop(&v));
    let page = BouncePage {
        api_key: &state.settings.shopify.api_key,
    };
    Ok(html(
        frame_ancestors(shop.as_ref()),
        page.render().map_err(anyhow::Error::from)?,
    ))
}

/// The admin document inside BigCommerce's control panel, carrying the session a verified
/// install or load started; only that store's control panel may frame it.
pub fn bigcommerce_document(
    state: &AppState,
    store_hash: &str,
    session: &str,
    expires_at: i64,
) -> Result<HttpResponse, AppError> {
    let page = AdminPage {
        api_key: &state.settings.shopify.api_key,
        embedded: false,
        demo: false,
        session: Some((session, expires_at)),
    };
    Ok(html(
        format!("frame-ancestors https://store-{store_hash}.mybigcommerce.com;"),
        page.render().map_err(anyhow::Error::from)?,
    ))
}
