//! `attune demo` only: a local stand-in for a Shopify storefront with the theme extension
//! installed. Pages render the extension's real Liquid blocks and load its real script; the
//! script calls `/apps/attune/*`, which, like Shopify's app proxy, adds the shop and the
//! logged-in customer, signs the request with the app secret, and forwards it to us.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use askama::Template;
use serde::Deserialize;

use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::platform::shopify;
use crate::services::catalog::{initials, money};
use crate::services::demo::{self, Shopper};
use crate::services::theme::PageContext;
use crate::state::{AppState, DemoContext};

const CUSTOMER_COOKIE: &str = "attune_demo_customer";
const PROXY_PREFIX: &str = "/apps/attune";
const PAGE_SIZE: u64 = 24;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/demo").route(web::get().to(home)))
        .service(web::resource("/demo/products/{handle}").route(web::get().to(product)))
        .service(web::resource("/demo/cart").route(web::get().to(cart)))
        .service(web::resource("/demo/shopper").route(web::post().to(switch_shopper)))
        .service(web::resource("/demo/assets/{file}").route(web::get().to(asset)))
        // Storefront product URLs, as the recommendation cards link them.
        .service(web::resource("/products/{handle}").route(web::get().to(product_redirect)))
        .service(
            web::resource(format!("{PROXY_PREFIX}/{{tail:.*}}"))
                .route(web::get().to(app_proxy_stand_in))
                .route(web::post().to(app_proxy_stand_in)),
        )
        // Shopify's cart API, as far as the script uses it (cart attributes).
        .service(web::resource("/cart/update.js").route(web::post().to(cart_update)));
}

struct Frame {
    shop: ShopId,
    shoppers: Vec<Shopper>,
    current_customer: Option<String>,
    shopper_description: Option<String>,
    theme_head: String,
    embed: String,
}

async fn frame(state: &AppState, req: &HttpRequest, page: PageContext) -> Result<Frame, AppError> {
    let demo = demo_ctx(state)?;
    let shop = demo_shop(state).await?;
    let shoppers = demo::shoppers();
    let current = current_customer(req, &shoppers);
    let shopper_description = current
        .as_ref()
        .and_then(|c| shoppers.iter().find(|s| &s.customer_id == c))
        .map(|s| format!("{}: {}", s.name, s.description));
    Ok(Frame {
        shop,
        shoppers,
        current_customer: current,
        shopper_description,
        theme_head: state.theme.asset_tags("/demo/assets"),
        embed: state.theme.app_embed(demo.shop.as_str(), &page)?,
    })
}

async fn demo_shop(state: &AppState) -> Result<ShopId, AppError> {
    let demo = demo_ctx(state)?;
    Ok(
        db::shops::find_by_domain(&state.db, shopify::PLATFORM, demo.shop.as_str())
            .await?
            .ok_or_else(|| AppError::NotFound("the demo shop is not loaded".into()))?
            .id,
    )
}

fn demo_ctx(state: &AppState) -> Result<&DemoContext, AppError> {
    state
        .demo()
        .ok_or_else(|| AppError::NotFound("not in demo mode".into()))
}

fn current_customer(req: &HttpRequest, shoppers: &[Shopper]) -> Option<String> {
    let value = req.cookie(CUSTOMER_COOKIE)?.value().to_owned();
    shoppers
        .iter()
        .any(|s| s.customer_id == value)
        .then_some(value)
}

/// The merchant's active widgets for these placements, rendered as the theme block would be.
async fn blocks(
    state: &AppState,
    shop: ShopId,
    placements: &[&str],
    product_id: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let widgets = db::widgets::list(&state.db, shop).await?;
    widgets
        .iter()
        .filter(|w| w.status == "active" && placements.contains(&w.placement.as_str()))
        .enumerate()
        .map(|(i, w)| {
            state
                .theme
                .recommendations_block(&format!("block-{i}"), &w.public_id, &w.title, product_id)
                .map_err(AppError::from)
        })
        .collect()
}

fn page(body: Result<String, askama::Error>) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body.map_err(anyhow::Error::from)?))
}

struct ListedProduct {
    handle: String,
    title: String,
    price: String,
    initials: String,
}

#[derive(Template)]
#[template(path = "demo/home.html")]
struct HomePage {
    shoppers: Vec<Shopper>,
    current_customer: Option<String>,
    shopper_description: Option<String>,
    theme_head: String,
    embed: String,
    back: String,
    blocks: Vec<String>,
    products: Vec<ListedProduct>,
    prev_page: Option<u64>,
    next_page: u64,
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<u64>,
}

pub async fn home(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let f = frame(
        &state,
        &req,
        PageContext {
            page_type: "index",
            ..Default::default()
        },
    )
    .await?;
    let page_no = q.page.unwrap_or(0).min(10_000);
    let products = db::catalog::page(&state.db, f.shop, page_no * PAGE_SIZE, PAGE_SIZE)
        .await?
        .into_iter()
        .map(|p| ListedProduct {
            initials: initials(&p.title),
            price: money(p.price_minor, &p.currency).formatted,
            handle: p.handle,
            title: p.title,
        })
        .collect();
    let blocks = blocks(&state, f.shop, &["home", "collection"], None).await?;
    page(
        HomePage {
            shoppers: f.shoppers,
            current_customer: f.current_customer,
            shopper_description: f.shopper_description,
            theme_head: f.theme_head,
            embed: f.embed,
            back: "/demo".into(),
            blocks,
            products,
            prev_page: page_no.checked_sub(1),
            next_page: page_no + 1,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "demo/product.html")]
struct ProductPage {
    shoppers: Vec<Shopper>,
    current_customer: Option<String>,
    shopper_description: Option<String>,
    theme_head: String,
    embed: String,
    back: String,
    blocks: Vec<String>,
    title: String,
    price: String,
    product_type: String,
    initials: String,
}

pub async fn product(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let shop = demo_shop(&state).await?;
    let p = db::catalog::by_handle(&state.db, shop, &handle)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no product with handle {handle}")))?;
    let f = frame(
        &state,
        &req,
        PageContext {
            page_type: "product",
            product: Some(p.platform_id.clone()),
            ..Default::default()
        },
    )
    .await?;
    let blocks = blocks(&state, f.shop, &["product_page"], Some(&p.platform_id)).await?;
    page(
        ProductPage {
            shoppers: f.shoppers,
            current_customer: f.current_customer,
            shopper_description: f.shopper_description,
            theme_head: f.theme_head,
            embed: f.embed,
            back: format!("/demo/products/{}", p.handle),
            blocks,
            initials: initials(&p.title),
            price: money(p.price_minor, &p.currency).formatted,
            title: p.title,
            product_type: p.product_type,
        }
        .render(),
    )
}

#[derive(Template)]
#[template(path = "demo/cart.html")]
struct CartPage {
    shoppers: Vec<Shopper>,
    current_customer: Option<String>,
    shopper_description: Option<String>,
    theme_head: String,
    embed: String,
    back: String,
    blocks: Vec<String>,
}

pub async fn cart(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let f = frame(
        &state,
        &req,
        PageContext {
            page_type: "cart",
            ..Default::default()
        },
    )
    .await?;
    let blocks = blocks(&state, f.shop, &["cart", "post_purchase"], None).await?;
    page(
        CartPage {
            shoppers: f.shoppers,
            current_customer: f.current_customer,
            shopper_description: f.shopper_description,
            theme_head: f.theme_head,
            embed: f.embed,
            back: "/demo/cart".into(),
            blocks,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub struct SwitchForm {
    customer: String,
    back: Option<String>,
}

/// Logs the demo storefront in as one of the sample's customers (or out).
pub async fn switch_shopper(
    state: web::Data<AppState>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    demo_ctx(&state)?;
    let shoppers = demo::shoppers();
    let known = form.customer.is_empty() || shoppers.iter().any(|s| s.customer_id == form.customer);
    if !known {
        return Err(AppError::field(
            "customer",
            "is not one of the demo shoppers",
        ));
    }
    // Only same-site paths: never an open redirect.
    let back = form
        .back
        .as_deref()
        .filter(|b| b.starts_with("/demo") && !b.starts_with("//"))
        .unwrap_or("/demo");
    let mut cookie = Cookie::build(CUSTOMER_COOKIE, form.customer.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    if form.customer.is_empty() {
        cookie.make_removal();
    }
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, back.to_owned()))
        .finish())
}

pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (body, content_type) = crate::services::theme::Theme::asset(&file)
        .ok_or_else(|| AppError::NotFound(format!("no asset {file}")))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

pub async fn product_redirect(handle: web::Path<String>) -> HttpResponse {
    let mut path = String::from("/demo/products/");
    path.extend(url::form_urlencoded::byte_serialize(handle.as_bytes()));
    HttpResponse::Found()
        .insert_header((header::LOCATION, path))
        .finish()
}

/// What Shopify's app proxy does: forward `/apps/attune/<tail>?<query>` to our proxy path with
/// `shop`, `logged_in_customer_id`, `path_prefix` and `timestamp` added and signed.
pub async fn app_proxy_stand_in(
    state: web::Data<AppState>,
    req: HttpRequest,
    tail: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let demo = demo_ctx(&state)?;
    let shoppers = demo::shoppers();
    let customer = current_customer(&req, &shoppers).unwrap_or_default();
    let reserved = [
        "shop",
        "logged_in_customer_id",
        "path_prefix",
        "timestamp",
        "signature",
    ];
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if !reserved.contains(&k.as_ref()) {
            query.append_pair(&k, &v);
        }
    }
    query
        .append_pair("shop", demo.shop.as_str())
        .append_pair("logged_in_customer_id", &customer)
        .append_pair("path_prefix", PROXY_PREFIX)
        .append_pair("timestamp", &chrono::Utc::now().timestamp().to_string());
    let query = query.finish();
    let signature = state
        .shopify
        .sign_app_proxy(&query)
        .map_err(|e| anyhow::anyhow!("demo app proxy could not sign: {e}"))?;
    let proxy_path = state.settings.shopify.app_proxy_path.trim_end_matches('/');
    let url = format!(
        "{}{proxy_path}/{tail}?{query}&signature={signature}",
        demo.self_url
    );
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(|e| anyhow::anyhow!("demo app proxy: {e}"))?;
    let mut call = state.http.request(method, url);
    if !body.is_empty() {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE)
            && let Ok(ct) = ct.to_str()
        {
            call = call.header(reqwest::header::CONTENT_TYPE, ct);
        }
        call = call.body(body.to_vec());
    }
    let upstream = call
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("demo app proxy could not reach the app: {e}"))?;
    let status = actix_web::http::StatusCode::from_u16(upstream.status().as_u16())
        .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY);
    let content_type = upstream
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let body = upstream
        .bytes()
        .await
        .map_err(|e| anyhow::anyhow!("demo app proxy lost the app's answer: {e}"))?;
    Ok(HttpResponse::build(status)
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}

/// Accepts cart attribute updates like Shopify's `/cart/update.js` (the demo keeps no cart).
pub async fn cart_update(body: web::Bytes) -> Result<HttpResponse, AppError> {
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| AppError::BadRequest(format!("request body is not valid JSON: {e}")))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "attributes": v.get("attributes") })))
}
