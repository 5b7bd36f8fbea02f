//! The stand-in store's storefront, served at the stand-in's own origin (the store's
//! `secure_url`): product pages as a Stencil theme renders them (the `product_id` input of the
//! add-to-cart form) with the scripts installed through the Scripts API in the footer, a
//! shopper login (a session cookie), and `/customer/current.jwt?app_client_id=` answering
//! the logged-in shopper's Current Customer JWT as text (404 for a guest).

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;

use super::Shared;

const SESSION_COOKIE: &str = "SHOP_SESSION_TOKEN";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn query(req: &HttpRequest, key: &str) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// `GET /products/{id}/`: the product page of the one store this stand-in serves a storefront
/// for; `?widget=ID` adds a recommendations placeholder, `?offer=1` an offer placeholder.
pub(super) async fn product_page(
    shared: web::Data<Shared>,
    id: web::Path<i64>,
    req: HttpRequest,
) -> HttpResponse {
    let st = shared.lock();
    let Some(store) = st.storefront.as_ref().and_then(|h| st.stores.get(h)) else {
        return HttpResponse::NotFound().body("no storefront");
    };
    let Some(p) = store
        .products
        .iter()
        .find(|p| p["id"].as_i64() == Some(*id))
    else {
        return HttpResponse::NotFound().body("no such product");
    };
    let name = escape(p["name"].as_str().unwrap_or_default());
    let widget = query(&req, "widget")
        .map(|w| {
            format!(
                r#"<section class="attune-recs" data-attune-widget="{}"><h2>You may also like</h2><div class="attune-recs__items"></div></section>"#,
                escape(&w)
            )
        })
        .unwrap_or_default();
    let offer = query(&req, "offer")
        .filter(|o| o == "1")
        .map(|_| r#"<div data-attune-offer></div>"#.to_owned())
        .unwrap_or_default();
    let scripts: String = store
        .scripts
        .iter()
        .filter(|s| s["enabled"] != Value::Bool(false) && s["kind"] == "src")
        .map(|s| {
            let defer = match s["load_method"].as_str() {
                Some("defer") => " defer",
                Some("async") => " async",
                _ => "",
            };
            format!(
                r#"<script src="{}"{defer}></script>"#,
                escape(s["src"].as_str().unwrap_or_default())
            )
        })
        .collect();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{name}</title></head>
<body><main class="productView"><h1 class="productView-title">{name}</h1>
<form method="post" action="/cart.php" data-cart-item-add><input type="hidden" name="action" value="add"><input type="hidden" name="product_id" value="{id}"><input name="qty[]" value="1"><button type="submit">Add to Cart</button></form>
{offer}{widget}</main>
<footer>{scripts}</footer></body></html>"#,
            id = *id
        ))
}

/// `GET /login/{customer_id}?redirect_to=/path`: the shopper logs in.
pub(super) async fn login(
    shared: web::Data<Shared>,
    customer: web::Path<i64>,
    req: HttpRequest,
) -> HttpResponse {
    let st = shared.lock();
    let known = st
        .storefront
        .as_ref()
        .and_then(|h| st.stores.get(h))
        .is_some_and(|s| {
            s.customers
                .iter()
                .any(|c| c["id"].as_i64() == Some(*customer))
        });
    if !known {
        return HttpResponse::NotFound().body("no such customer");
    }
    let to = query(&req, "redirect_to")
        .filter(|t| t.starts_with('/') && !t.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    HttpResponse::Found()
        .cookie(
            Cookie::build(SESSION_COOKIE, customer.to_string())
                .path("/")
                .http_only(true)
                .finish(),
        )
        .insert_header((header::LOCATION, to))
        .finish()
}

/// `GET /customer/current.jwt?app_client_id=X`.
pub(super) async fn current_jwt(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if query(&req, "app_client_id").as_deref() != Some(shared.client_id.as_str()) {
        return HttpResponse::Forbidden().body("app_client_id does not name an installed app");
    }
    let customer = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| c.value().parse::<i64>().ok());
    let store = shared.lock().storefront.clone();
    match (customer, store) {
        (Some(c), Some(store)) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(shared.current_customer_jwt(&store, c, chrono::Utc::now().timestamp())),
        _ => HttpResponse::NotFound().body("not logged in"),
    }
}
