//! The stand-in's store API at `/stores/{hash}/v2|v3/...`, in BigCommerce's wire formats:
//! `X-Auth-Token` checked against the tokens issued for that store; every answer carries the
//! `X-Rate-Limit-*` headers, and every `throttle_every`-th call is a 429 with them (clients are
//! seen to wait and retry). v3 lists are `{data, meta: {pagination}}` with `limit`/`page`;
//! v2 lists are bare arrays, 204 past the end. Filters: `id:in`, `date_modified:min`
//! (Catalog and Customers v3), `min_date_modified` and `sort=date_modified:asc` (Orders v2).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::data::{StoreData, time_of};

const QUOTA: u64 = 150;
const RESET_MS: &str = "50";

fn problem(status: StatusCode, title: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({"status": status.as_u16(), "title": title, "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"}))
}

fn unprocessable(message: &str) -> HttpResponse {
    problem(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn query(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

fn since(q: &HashMap<String, String>, key: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(raw) = q.get(key) else {
        return Ok(None);
    };
    if let Some(t) = time_of(&json!(raw)) {
        return Ok(Some(t));
    }
    match raw
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
    {
        Some(t) => Ok(Some(t)),
        None => Err(format!("{key} must be a date")),
    }
}

fn ids_in(q: &HashMap<String, String>) -> Result<Option<Vec<i64>>, String> {
    let Some(raw) = q.get("id:in") else {
        return Ok(None);
    };
    raw.split(',')
        .map(|s| s.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
        .map_err(|_| "id:in must list ids".to_owned())
}

fn paging(q: &HashMap<String, String>, default: usize) -> Result<(usize, usize), String> {
    let num = |k: &str, d: usize| match q.get(k) {
        None => Ok(d),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("{k} must be a positive integer")),
    };
    Ok((num("limit", default)?.min(250), num("page", 1)?))
}

/// A v3 list page.
fn v3_page(all: Vec<Value>, q: &HashMap<String, String>) -> HttpResponse {
    let (limit, page) = match paging(q, 50) {
        Ok(p) => p,
        Err(r) => return unprocessable(&r),
    };
    let total = all.len();
    let data: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    HttpResponse::Ok().json(json!({
        "data": data,
        "meta": {"pagination": {
            "total": total, "count": data.len(), "per_page": limit, "current_page": page,
            "total_pages": total.div_ceil(limit), "links": {"current": format!("?page={page}&limit={limit}")},
        }},
    }))
}

fn modified_since(v: &Value, since: Option<DateTime<Utc>>) -> bool {
    since.is_none_or(|s| time_of(&v["date_modified"]).is_some_and(|t| t >= s))
}

fn strip_includes(p: &Value, q: &HashMap<String, String>) -> Value {
    let include = q.get("include").cloned().unwrap_or_default();
    let mut p = p.clone();
    if let Some(o) = p.as_object_mut() {
        for part in ["variants", "images"] {
            if !include.split(',').any(|i| i.trim() == part) {
                o.remove(part);
            }
        }
    }
    p
}

/// Every call to a store's API.
pub(super) async fn store_api(
    shared: web::Data<Shared>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (store, tail) = path.into_inner();
    let n = shared.api_requests.fetch_add(1, Ordering::SeqCst) + 1;
    let every = shared.throttle_every.load(Ordering::SeqCst);
    if every > 0 && n.is_multiple_of(every) {
        shared.throttled.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::TooManyRequests()
            .insert_header(("X-Rate-Limit-Time-Reset-Ms", RESET_MS))
            .insert_header(("X-Rate-Limit-Time-Window-Ms", "30000"))
            .insert_header(("X-Rate-Limit-Requests-Left", "0"))
            .insert_header(("X-Rate-Limit-Requests-Quota", QUOTA.to_string()))
            .finish();
    }
    let mut st = shared.lock();
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if st.tokens.get(token) != Some(&store) {
        return problem(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let body: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(_) => return problem(StatusCode::BAD_REQUEST, "The request body is not JSON"),
        }
    };
    let Some(data) = st.stores.get_mut(&store) else {
        return problem(StatusCode::NOT_FOUND, "No such store");
    };
    let mut res = route(data, req.method(), &tail, &query(&req), body);
    let left = QUOTA - (n % QUOTA);
    let h = res.headers_mut();
    for (k, v) in [
        ("x-rate-limit-requests-left", left.to_string()),
        ("x-rate-limit-requests-quota", QUOTA.to_string()),
        ("x-rate-limit-time-window-ms", "30000".to_owned()),
        ("x-rate-limit-time-reset-ms", "15000".to_owned()),
    ] {
        if let (Ok(k), Ok(v)) = (
            actix_web::http::header::HeaderName::from_bytes(k.as_bytes()),
            actix_web::http::header::HeaderValue::from_str(&v),
        ) {
            h.insert(k, v);
        }
    }
    res
}

fn route(
    s: &mut StoreData,
    method: &Method,
    tail: &str,
    q: &HashMap<String, String>,
    body: Option<Value>,
) -> HttpResponse {
    let parts: Vec<&str> = tail.trim_matches('/').split('/').collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    match (parts.as_slice(), get, post) {
        (["v2", "store"], true, _) => HttpResponse::Ok().json(json!({
            "id": "1001", "name": s.name, "domain": s.secure_url.split("://").nth(1).unwrap_or_default(),
            "secure_url": s.secure_url, "control_panel_base_url": s.secure_url,
            "admin_email": "owner@example.com", "order_email": "orders@example.com",
            "currency": super::data::CURRENCY, "currency_symbol": "$", "decimal_places": 2,
            "timezone": {"name": "Etc/UTC", "raw_offset": 0, "dst_offset": 0},
            "plan_name": "Standard", "is_price_entered_with_tax": false, "features": {"stencil_enabled": true},
        })),
        (["v3", "catalog", "categories"], true, _) => v3_page(s.categories.clone(), q),
        (["v3", "catalog", "brands"], true, _) => v3_page(s.brands.clone(), q),
        (["v3", "catalog", "products"], true, _) => {
            let (since, ids) = match (since(q, "date_modified:min"), ids_in(q)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(r), _) | (_, Err(r)) => return unprocessable(&r),
            };
            let all = s
                .products
                .iter()
                .filter(|p| modified_since(p, since))
                .filter(|p| {
                    ids.as_ref()
                        .is_none_or(|l| l.contains(&p["id"].as_i64().unwrap_or(-1)))
                })
                .map(|p| strip_includes(p, q))
                .collect();
            v3_page(all, q)
        }
        (["v3", "catalog", "products", id], true, _) => {
            match s.products.iter().find(|p| p["id"].as_i64().is_some_and(|x| id.parse() == Ok(x))) {
                Some(p) => HttpResponse::Ok().json(json!({"data": strip_includes(p, q), "meta": {}})),
                None => problem(StatusCode::NOT_FOUND, "The product was not found."),
            }
        }
        (["v3", "customers"], true, _) => {
            let (since, ids) = match (since(q, "date_modified:min"), ids_in(q)) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(r), _) | (_, Err(r)) => return unprocessable(&r),
            };
            let all = s
                .customers
                .iter()
                .filter(|c| modified_since(c, since))
                .filter(|c| {
                    ids.as_ref()
                        .is_none_or(|l| l.contains(&c["id"].as_i64().unwrap_or(-1)))
                })
                .cloned()
                .collect();
            v3_page(all, q)
        }
        (["v2", "orders"], true, _) => {
            let since = match since(q, "min_date_modified") {
                Ok(t) => t,
                Err(r) => return unprocessable(&r),
            };
            let (limit, page) = match paging(q, 50) {
                Ok(p) => p,
                Err(r) => return unprocessable(&r),
            };
            let mut all: Vec<&Value> = s
                .orders
                .iter()
                .map(|o| &o.order)
                .filter(|o| modified_since(o, since))
                .collect();
            match q.get("sort").map(String::as_str) {
                None | Some("id:asc") => {}
                Some("date_modified:asc") => all.sort_by_key(|o| time_of(&o["date_modified"])),
                Some(other) => {
                    return problem(
                        StatusCode::BAD_REQUEST,
                        &format!("sort {other} is not supported"),
                    );
                }
            }
            let page: Vec<&Value> = all.into_iter().skip((page - 1) * limit).take(limit).collect();
            if page.is_empty() {
                HttpResponse::NoContent().finish()
            } else {
                HttpResponse::Ok().json(page)
            }
        }
        (["v2", "orders", id, rest @ ..], true, _) => {
            let Some(o) = s.orders.iter().find(|o| o.order["id"].as_i64().is_some_and(|x| id.parse() == Ok(x))) else {
                return problem(StatusCode::NOT_FOUND, "The requested resource was not found.");
            };
            match rest {
                [] => HttpResponse::Ok().json(&o.order),
                ["products"] => HttpResponse::Ok().json(&o.products),
                ["coupons"] if o.coupons.is_empty() => HttpResponse::NoContent().finish(),
                ["coupons"] => HttpResponse::Ok().json(&o.coupons),
                _ => problem(StatusCode::NOT_FOUND, "No such resource"),
            }
        }
        (["v3", "hooks"], true, _) => v3_page(s.hooks.clone(), q),
        (["v3", "hooks"], _, true) => {
            let Some(hook) = body.filter(|b| {
                b.get("scope")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with("store/"))
                    && b.get("destination").and_then(Value::as_str).is_some()
            }) else {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "scope and destination are required",
                );
            };
            let mut hook = hook;
            hook["id"] = json!(s.hooks.len() + 1);
            s.hooks.push(hook.clone());
            HttpResponse::Ok().json(json!({"data": hook, "meta": {}}))
        }
        (["v3", "content", "scripts"], true, _) => v3_page(s.scripts.clone(), q),
        (["v3", "content", "scripts"], _, true) => {
            let Some(mut b) = body else {
                return problem(StatusCode::UNPROCESSABLE_ENTITY, "a script body is required");
            };
            if let Err(r) = valid_script(&b) {
                return unprocessable(&r);
            }
            if s.scripts.len() >= 10 {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "an app may install at most 10 scripts",
                );
            }
            b["uuid"] = json!(uuid::Uuid::new_v4().to_string());
            b["date_created"] = json!(super::data::rfc3339(Utc::now()));
            s.scripts.push(b.clone());
            HttpResponse::Ok().json(json!({"data": b, "meta": {}}))
        }
        (["v3", "content", "scripts", uuid], _, _) if method == Method::PUT => {
            let Some(b) = body.filter(|b| b.is_object()) else {
                return problem(StatusCode::UNPROCESSABLE_ENTITY, "a script body is required");
            };
            let Some(script) = s.scripts.iter_mut().find(|x| x["uuid"] == json!(uuid)) else {
                return problem(StatusCode::NOT_FOUND, "The script was not found.");
            };
            let mut merged = script.clone();
            for (k, v) in b.as_object().into_iter().flatten() {
                merged[k] = v.clone();
            }
            if let Err(r) = valid_script(&merged) {
                return unprocessable(&r);
            }
            *script = merged.clone();
            HttpResponse::Ok().json(json!({"data": merged, "meta": {}}))
        }
        (["v3", "promotions"], true, _) => {
            let all = s
                .promotions
                .iter()
                .filter(|p| q.get("name").is_none_or(|n| p["name"] == json!(n)))
                .filter(|p| {
                    q.get("redemption_type")
                        .is_none_or(|r| p["redemption_type"] == json!(r))
                })
                .cloned()
                .collect();
            v3_page(all, q)
        }
        (["v3", "promotions"], _, true) => {
            let Some(mut b) = body else {
                return problem(StatusCode::UNPROCESSABLE_ENTITY, "a promotion body is required");
            };
            let named = b["name"].as_str().is_some_and(|n| !n.is_empty() && n.len() <= 255);
            let typed = matches!(b["redemption_type"].as_str(), Some("AUTOMATIC" | "COUPON"));
            let ruled = b["rules"].as_array().is_some_and(|r| {
                !r.is_empty() && r.iter().all(|r| r.get("action").is_some_and(Value::is_object))
            });
            if !(named && typed && ruled) {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "name, redemption_type and rules (each with an action) are required",
                );
            }
            b["id"] = json!(s.promotions.len() + 1);
            b["current_uses"] = json!(0);
            s.promotions.push(b.clone());
            HttpResponse::Created().json(json!({"data": b, "meta": {}}))
        }
        (["v3", "promotions", id, "codes"], _, _) => {
            let Some(pid) = id.parse::<u64>().ok().filter(|p| {
                s.promotions
                    .iter()
                    .any(|x| x["id"] == json!(p) && x["redemption_type"] == json!("COUPON"))
            }) else {
                return problem(StatusCode::NOT_FOUND, "The coupon promotion was not found.");
            };
            if get {
                let list = s
                    .codes
                    .iter()
                    .filter(|(p, _)| *p == pid)
                    .map(|(_, c)| c.clone())
                    .collect();
                return v3_page(list, q);
            }
            if !post {
                return problem(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
            }
            let Some(code) = body
                .as_ref()
                .and_then(|b| b["code"].as_str())
                .map(str::to_owned)
                .filter(|c| !c.is_empty() && c.len() <= 50)
            else {
                return problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "code is required (1 to 50 characters)",
                );
            };
            if s
                .codes
                .iter()
                .any(|(_, c)| c["code"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(&code)))
            {
                return problem(StatusCode::CONFLICT, "The coupon code is a duplicate.");
            }
            let b = body.unwrap_or_default();
            let made = json!({
                "id": s.codes.len() + 1, "code": code, "current_uses": 0,
                "max_uses": b["max_uses"], "max_uses_per_customer": b["max_uses_per_customer"],
                "created": super::data::rfc3339(Utc::now()),
            });
            s.codes.push((pid, made.clone()));
            HttpResponse::Created().json(json!({"data": made, "meta": {}}))
        }
        _ => problem(StatusCode::NOT_FOUND, "The requested resource was not found."),
    }
}

fn valid_script(b: &Value) -> Result<(), String> {
    let name = b["name"].as_str().is_some_and(|n| !n.is_empty());
    let kind_ok = match b["kind"].as_str() {
        Some("src") => b["src"].as_str().is_some_and(|s| s.starts_with("http")),
        Some("script_tag") => b["html"].as_str().is_some_and(|h| h.contains("<script")),
        _ => false,
    };
    let enums = [
        ("load_method", &["default", "async", "defer"][..]),
        ("location", &["head", "footer"][..]),
        (
            "visibility",
            &["storefront", "all_pages", "checkout", "order_confirmation"][..],
        ),
        (
            "consent_category",
            &["essential", "functional", "analytics", "targeting"][..],
        ),
    ];
    let enums_ok = enums.iter().all(|(k, allowed)| {
        b.get(*k)
            .is_none_or(|v| v.as_str().is_some_and(|v| allowed.contains(&v)))
    });
    if name && kind_ok && enums_ok {
        Ok(())
    } else {
        Err("a script needs a name, a kind with its src (an absolute URL) or html, and known load_method, location, visibility and consent_category".to_owned())
    }
}
