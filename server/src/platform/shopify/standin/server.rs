//! The stand-in's HTTP side: routes, shared state, access-token checks, query cost and the
//! leaky bucket, and the `THROTTLED` answers `throttle_every` asks for.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::StandInStats;
use super::bulk::Bulk;
use super::data::Store;
use super::exec::{Exec, Mutations};
use super::graphql;
use super::oauth::{App, Tokens};

const BUCKET: f64 = 2000.0;
const RESTORE_RATE: f64 = 100.0;
const MAX_QUERY_COST: u64 = 1000;
const SUPPORTED_VERSIONS: [&str; 6] = [
    "2025-10", "2026-01", "2026-04", "2026-07", "2026-10", "unstable",
];

pub(super) struct Shared {
    pub api_key: String,
    pub api_secret: String,
    pub ttl: i64,
    pub throttle_every: Option<u32>,
    pub shop: String,
    pub base_url: String,
    pub store: RwLock<Store>,
    pub state: Mutex<State>,
}

#[derive(Default)]
pub(super) struct State {
    pub tokens: Tokens,
    pub bulk: Bulk,
    pub stats: StandInStats,
    graphql_seen: u64,
    last_throttled: bool,
    /// Points left and when; `None` = full.
    bucket: Option<(f64, Instant)>,
}

impl State {
    fn available(&self) -> f64 {
        self.bucket.map_or(BUCKET, |(left, at)| {
            (left + at.elapsed().as_secs_f64() * RESTORE_RATE).min(BUCKET)
        })
    }

    fn spend(&mut self, cost: f64) -> f64 {
        let left = (self.available() - cost).max(0.0);
        self.bucket = Some((left, Instant::now()));
        left
    }
}

impl Shared {
    // Store and state are always taken in this order: store, then state.
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn store(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn store_mut(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }

    fn app(&self) -> App<'_> {
        App {
            api_key: &self.api_key,
            api_secret: &self.api_secret,
            shop: &self.shop,
            ttl: self.ttl,
        }
    }
}

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/shops/{shop}/admin/oauth/access_token",
        web::post().to(token),
    )
    .route(
        "/shops/{shop}/admin/oauth/authorize",
        web::get().to(authorize),
    )
    .route(
        "/shops/{shop}/admin/api/{version}/graphql.json",
        web::post().to(graphql),
    )
    .route("/files/{name}", web::get().to(file));
}

pub(super) async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(json!({"errors": "Not Found"}))
}

async fn token(
    shared: web::Data<Shared>,
    shop: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if *shop != shared.shop {
        return not_found().await;
    }
    let params = params(&req, &body);
    let mut state = shared.state();
    let (grant, answer) = state
        .tokens
        .grant(&shared.app(), &params, Utc::now().timestamp());
    *state.stats.token_requests.entry(grant).or_default() += 1;
    match answer {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(refusal) => {
            state.stats.token_refusals += 1;
            HttpResponse::BadRequest().json(refusal.body())
        }
    }
}

/// The fields of a token request, JSON or form-encoded, as strings.
fn params(req: &HttpRequest, body: &[u8]) -> BTreeMap<String, String> {
    let json_body = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"))
        || body.trim_ascii_start().starts_with(b"{");
    if json_body {
        let parsed: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
        return parsed
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
    }
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn authorize(
    shared: web::Data<Shared>,
    shop: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    if *shop != shared.shop {
        return not_found().await;
    }
    let mut state = shared.state();
    state.stats.authorize_requests += 1;
    match state
        .tokens
        .authorize(&shared.app(), req.query_string(), Utc::now().timestamp())
    {
        Ok(location) => HttpResponse::Found()
            .insert_header(("Location", location))
            .finish(),
        Err(message) => HttpResponse::BadRequest()
            .content_type("text/plain")
            .body(message),
    }
}

async fn file(shared: web::Data<Shared>, name: web::Path<String>) -> HttpResponse {
    let number = name
        .strip_suffix(".jsonl")
        .and_then(|n| n.parse::<u64>().ok());
    let mut state = shared.state();
    match number.and_then(|n| state.bulk.file(n)) {
        Some(jsonl) => {
            state.stats.bulk_downloads += 1;
            HttpResponse::Ok().content_type("application/jsonl").body(jsonl.as_bytes().to_vec())
        }
        None => HttpResponse::NotFound().content_type("application/xml").body(
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>",
        ),
    }
}

fn cost(requested: u64, actual: Option<u64>, available: f64) -> Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {"maximumAvailable": BUCKET, "currentlyAvailable": available.floor(), "restoreRate": RESTORE_RATE},
    })
}

async fn graphql(
    shared: web::Data<Shared>,
    path: web::Path<(String, String)>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let (shop, version) = path.into_inner();
    if shop != shared.shop {
        return not_found().await;
    }
    let version = if SUPPORTED_VERSIONS.contains(&version.as_str()) {
        version
    } else {
        SUPPORTED_VERSIONS[0].to_owned()
    };
    let reply = |status: u16, body: Value| {
        let status = actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::OK);
        HttpResponse::build(status)
            .insert_header(("X-Shopify-API-Version", version.clone()))
            .json(body)
    };
    let token = req
        .headers()
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let store = shared.store();
    let mut state = shared.state();
    let Some(scopes) = state
        .tokens
        .check(token, Utc::now().timestamp())
        .map(|t| t.scope.clone())
    else {
        state.stats.unauthorized += 1;
        return reply(
            401,
            json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}),
        );
    };
    state.stats.graphql_requests += 1;
    let request: Map<String, Value> = serde_json::from_slice(&body).unwrap_or_default();
    let Some(text) = request.get("query").and_then(Value::as_str) else {
        return reply(
            400,
            json!({"errors": {"query": "Required parameter missing or invalid"}}),
        );
    };
    let available = state.available();
    let doc = match graphql::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let error =
                json!({"message": e.message, "locations": [{"line": e.line, "column": e.column}]});
            return reply(
                200,
                json!({"errors": [error], "extensions": {"cost": cost(0, None, available)}}),
            );
        }
    };
    let op = match doc.operation(request.get("operationName").and_then(Value::as_str)) {
        Ok(op) => op,
        Err(message) => {
            let cost = cost(0, None, available);
            return reply(
                200,
                json!({"errors": [{"message": message}], "extensions": {"cost": cost}}),
            );
        }
    };
    let variables = request
        .get("variables")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut exec = Exec::new(&store, &doc, op, &variables);
    let requested = exec.requested_cost(op);
    if requested > MAX_QUERY_COST {
        let message = format!(
            "Query cost is {requested}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
        );
        let error = json!({"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": MAX_QUERY_COST, "documentation": "https://shopify.dev/api/usage/rate-limits"}});
        return reply(
            200,
            json!({"errors": [error], "extensions": {"cost": cost(requested, None, available)}}),
        );
    }
    state.graphql_seen += 1;
    let throttle = shared
        .throttle_every
        .is_some_and(|n| n > 0 && state.graphql_seen.is_multiple_of(u64::from(n)))
        && !state.last_throttled;
    state.last_throttled = throttle;
    if throttle {
        state.stats.throttled += 1;
        // Little left: the client waits (requested - available) / restore rate, a fraction of a second.
        let left = (requested as f64 - 20.0).max(0.0);
        let error = json!({"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}});
        return reply(
            200,
            json!({"errors": [error], "extensions": {"cost": cost(requested, None, left)}}),
        );
    }
    exec.scopes = scopes.split(',').map(str::to_owned).collect();
    exec.bulk_operations = state.bulk.snapshots(&shared.base_url);
    let State { bulk, stats, .. } = &mut *state;
    let mut runner = Runner {
        store: &store,
        bulk,
        stats,
        base_url: &shared.base_url,
    };
    let data = exec.run(op, &mut runner);
    let invalid = exec.take_invalid();
    if !invalid.is_empty() {
        return reply(
            200,
            json!({"errors": invalid, "extensions": {"cost": cost(requested, None, available)}}),
        );
    }
    let actual = match op.kind {
        graphql::Kind::Mutation => requested,
        graphql::Kind::Query => exec.actual_cost.min(requested),
    };
    let left = state.spend(actual as f64);
    let mut answer =
        json!({"data": data, "extensions": {"cost": cost(requested, Some(actual), left)}});
    if !exec.errors.is_empty() {
        answer["errors"] = Value::Array(std::mem::take(&mut exec.errors));
    }
    reply(200, answer)
}

/// The mutations that change the stand-in's state.
struct Runner<'a> {
    store: &'a Store,
    bulk: &'a mut Bulk,
    stats: &'a mut StandInStats,
    base_url: &'a str,
}

impl Mutations for Runner<'_> {
    fn run(&mut self, name: &str, args: &Map<String, Value>) -> Option<Value> {
        match name {
            "bulkOperationRunQuery" => {
                let (payload, started) = self.bulk.run_query(self.store, self.base_url, args);
                if started {
                    self.stats.bulk_operations_started += 1;
                }
                Some(payload)
            }
            "bulkOperationCancel" => Some(self.bulk.cancel(self.base_url, args)),
            "webPixelCreate" => {
                let settings = args
                    .get("webPixel")
                    .and_then(|w| w.get("settings"))
                    .cloned()
                    .unwrap_or(Value::Null);
                // Shopify checks the settings against the extension's definition: ours
                // declares one text field, `endpoint`.
                let parsed: Option<Value> =
                    settings.as_str().and_then(|s| serde_json::from_str(s).ok());
                let valid = parsed
                    .as_ref()
                    .and_then(|p| p.as_object())
                    .is_some_and(|o| {
                        o.len() == 1 && o.get("endpoint").is_some_and(Value::is_string)
                    });
                Some(if self.stats.web_pixel_settings.is_some() {
                    json!({"userErrors": [{"code": "TAKEN", "field": ["webPixel"], "message": "Web pixel is taken."}], "webPixel": null})
                } else if !valid {
                    json!({"userErrors": [{"code": "INVALID_SETTINGS", "field": ["webPixel", "settings"], "message": "The provided settings does not match the expected settings definition on the app."}], "webPixel": null})
                } else {
                    self.stats.web_pixel_settings = settings.as_str().map(str::to_owned);
                    json!({"userErrors": [], "webPixel": {"id": "gid://shopify/WebPixel/1", "settings": settings}})
                })
            }
            "discountCodeBasicCreate" => Some(self.create_code(args, "basicCodeDiscount", true)),
            "discountCodeFreeShippingCreate" => {
                Some(self.create_code(args, "freeShippingCodeDiscount", false))
            }
            "discountCodeBasicUpdate" => Some(self.update_code(args, "basicCodeDiscount")),
            "discountCodeFreeShippingUpdate" => {
                Some(self.update_code(args, "freeShippingCodeDiscount"))
            }
            _ => None,
        }
    }
}

impl Runner<'_> {
    /// Merges the input's fields into the discount with this id (what the app uses: `context`).
    fn update_code(&mut self, args: &Map<String, Value>, input: &str) -> Value {
        let id = args.get("id").and_then(Value::as_str).unwrap_or_default();
        let Some(changes) = args.get(input).and_then(Value::as_object) else {
            return json!({"codeDiscountNode": null, "userErrors": [{"field": [input], "code": "BLANK", "message": "Input can't be blank"}]});
        };
        let Some(found) = self
            .stats
            .discount_codes
            .values_mut()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(id))
        else {
            return json!({"codeDiscountNode": null, "userErrors": [{"field": ["id"], "code": "INVALID", "message": "Discount does not exist"}]});
        };
        if let Some(obj) = found.as_object_mut() {
            for (k, v) in changes {
                obj.insert(k.clone(), v.clone());
            }
        }
        json!({"codeDiscountNode": {"id": id}, "userErrors": []})
    }

    /// Shopify's checks that matter to a caller: a code is required and unique in the shop
    /// (case-insensitively), and a basic discount says what the customer gets.
    fn create_code(&mut self, args: &Map<String, Value>, input: &str, basic: bool) -> Value {
        let refuse = |field: &str, code: &str, message: &str| json!({"codeDiscountNode": null, "userErrors": [{"field": [input, field], "code": code, "message": message}]});
        let Some(i) = args.get(input).and_then(Value::as_object) else {
            return refuse("", "BLANK", "Input can't be blank");
        };
        let Some(code) = i
            .get("code")
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
        else {
            return refuse("code", "BLANK", "Code can't be blank");
        };
        if code.len() > 255 {
            return refuse(
                "code",
                "TOO_LONG",
                "Code is too long (maximum is 255 characters)",
            );
        }
        let key = code.to_uppercase();
        if self.stats.discount_codes.contains_key(&key) {
            return refuse(
                "code",
                "TAKEN",
                "Code must be unique. Please try a different code.",
            );
        }
        if basic {
            let value = i.get("customerGets").and_then(|g| g.get("value"));
            let ok = match value {
                Some(v) => {
                    v.get("percentage")
                        .and_then(Value::as_f64)
                        .is_some_and(|p| p > 0.0 && p <= 1.0)
                        || v.pointer("/discountAmount/amount")
                            .and_then(Value::as_str)
                            .and_then(|a| a.parse::<f64>().ok())
                            .is_some_and(|a| a > 0.0)
                }
                None => false,
            };
            if !ok {
                return refuse("customerGets", "INVALID", "Customer gets value is invalid");
            }
        }
        let n = self.stats.discount_codes.len() + 1;
        let mut stored = i.clone();
        stored.insert(
            "id".into(),
            json!(format!("gid://shopify/DiscountCodeNode/{n}")),
        );
        self.stats.discount_codes.insert(key, Value::Object(stored));
        json!({"codeDiscountNode": {"id": format!("gid://shopify/DiscountCodeNode/{n}")}, "userErrors": []})
    }
}
