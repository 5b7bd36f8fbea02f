//! The Shopify stand-in, driven by Shopify's own Rust client (`shopify_api`) through a
//! transport that rewrites `https://{shop}.myshopify.com/...` to the stand-in, as Attune's
//! transport does: OAuth grants, refresh rotation, Admin GraphQL, throttling, bulk
//! operations, and signed webhooks that Attune's verifier accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use attune_server::platform::shopify::standin::shopify_api;
use attune_server::platform::shopify::standin::{StandIn, StandInConfig};
use attune_server::platform::shopify::{Shopify, parse_shop, payloads};
use attune_tests::{API_KEY, API_SECRET, now, workspace_root};
use serde_json::{Value, json};
use shopify_api::bulk::BulkWaitOptions;
use shopify_api::oauth::{RequestedToken, ShopifyApp};
use shopify_api::transport::{
    BoxFuture, HttpRequest, HttpResponse, ReqwestTransport, StreamingResponse, Transport,
    TransportError,
};
use shopify_api::{Auth, RetryPolicy, ShopDomain, TokenData};

/// Sends what goes to `https://{shop}.myshopify.com/<path>` to `{base}/shops/{shop}/<path>`.
struct ToStandIn {
    inner: ReqwestTransport,
    base: String,
}

impl ToStandIn {
    fn route(&self, mut request: HttpRequest) -> HttpRequest {
        if let Some(rest) = request.url.strip_prefix("https://") {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if host.ends_with(".myshopify.com") {
                request.url = format!("{}/shops/{host}{path}", self.base);
            }
        }
        request
    }
}

impl Transport for ToStandIn {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        self.inner.send(self.route(request))
    }

    fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> BoxFuture<'_, Result<StreamingResponse, TransportError>> {
        self.inner.send_streaming(self.route(request))
    }
}

struct Fixture {
    standin: StandIn,
    app: ShopifyApp,
    shop: ShopDomain,
}

impl Fixture {
    async fn new(throttle_every: Option<u32>) -> Fixture {
        let mut config = StandInConfig::new(
            API_KEY,
            API_SECRET,
            workspace_root().join("../shared/data/shopify"),
        );
        config.throttle_every = throttle_every;
        let standin = StandIn::start(config).await.unwrap();
        let transport = ToStandIn {
            inner: ReqwestTransport::new().unwrap(),
            base: standin.base_url(),
        };
        let app = ShopifyApp::new(API_KEY, API_SECRET).with_transport(transport);
        let shop = ShopDomain::new(standin.shop_domain()).unwrap();
        Fixture { standin, app, shop }
    }

    fn session_token(&self, issued_at: i64) -> String {
        Shopify::new(API_KEY, &API_SECRET.to_owned().into(), &[]).sign_session_token(
            &parse_shop(self.standin.shop_domain()).unwrap(),
            "1",
            issued_at,
            60,
        )
    }

    async fn expiring_token(&self) -> TokenData {
        let session = self
            .app
            .verify_session_token(&self.session_token(now() as i64))
            .unwrap();
        self.app
            .exchange_session_token(&session, RequestedToken::ExpiringOffline)
            .await
            .unwrap()
    }

    async fn client(&self) -> shopify_api::Shopify {
        let token = self.expiring_token().await;
        self.app.client(&self.shop, token).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}/shops/{}{path}",
            self.standin.base_url(),
            self.standin.shop_domain()
        )
    }

    /// The token endpoint refuses `body` with HTTP 400 and the OAuth error `code`.
    async fn refused(&self, body: Value, code: &str) {
        let (status, answer) = self.post_token(body).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{answer}"
        );
    }

    async fn post_token(&self, body: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(self.url("/admin/oauth/access_token"))
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn fast() -> BulkWaitOptions {
    BulkWaitOptions::new()
        .poll_interval(Duration::from_millis(100))
        .timeout(Duration::from_secs(20))
}

#[tokio::test]
async fn token_exchange_takes_fresh_session_tokens_only() {
    let f = Fixture::new(None).await;
    let token = f.expiring_token().await;
    assert!(token.access_token.starts_with("shpat_"));
    assert!(
        token
            .refresh_token
            .as_deref()
            .is_some_and(|r| r.starts_with("shprt_"))
    );
    let scope = "read_products,read_inventory,read_customers,read_orders,write_discounts";
    assert_eq!(token.scope.as_deref(), Some(scope));
    let ttl = (token.expires_at.unwrap() - chrono::Utc::now()).num_seconds();
    assert!((3590..=3600).contains(&ttl), "{ttl}");
    assert_eq!(
        f.standin.stats().last_access_token.as_deref(),
        Some(token.access_token.as_str())
    );

    let exchange = |subject: String| {
        json!({"client_id": API_KEY, "client_secret": API_SECRET,
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": subject, "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token", "expiring": "1"})
    };
    let expired = f.session_token(now() as i64 - 600);
    f.refused(exchange(expired), "invalid_subject_token").await;
    let forged = Shopify::new(API_KEY, &"not-the-secret".to_owned().into(), &[])
        .sign_session_token(
            &parse_shop(f.standin.shop_domain()).unwrap(),
            "1",
            now() as i64,
            60,
        );
    f.refused(exchange(forged), "invalid_subject_token").await;
    let mut wrong_client = exchange(f.session_token(now() as i64));
    wrong_client["client_secret"] = json!("guess");
    f.refused(wrong_client, "invalid_client").await;
    // Without `expiring`: a token that does not expire.
    let (_, offline) = f.post_token(json!({"client_id": API_KEY, "client_secret": API_SECRET,
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": f.session_token(now() as i64)})).await;
    assert!(
        offline.get("expires_in").is_none() && offline.get("refresh_token").is_none(),
        "{offline}"
    );
    let stats = f.standin.stats();
    assert_eq!(stats.token_requests["token_exchange"], 5);
    assert_eq!(stats.token_refusals, 3);
    f.standin.stop().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_the_client_renews_on_401() {
    let f = Fixture::new(None).await;
    let first = f.expiring_token().await;
    let client = f.app.client(&f.shop, first.clone()).unwrap();
    assert!(f.standin.expire_access_token(&first.access_token));
    // Refused with 401, the client refreshes once and sends again.
    let data = client
        .graphql("{ shop { myshopifyDomain currencyCode } }", ())
        .await
        .unwrap();
    assert_eq!(data["shop"]["myshopifyDomain"], f.standin.shop_domain());
    let renewed = client.token().await.unwrap();
    assert_ne!(renewed.access_token, first.access_token);
    let r1 = first.refresh_token.clone().unwrap();
    let r2 = renewed.refresh_token.clone().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(f.standin.stats().token_requests["refresh_token"], 1);
    assert_eq!(f.standin.stats().unauthorized, 1);

    let refresh = |token: &str| json!({"client_id": API_KEY, "client_secret": API_SECRET, "grant_type": "refresh_token", "refresh_token": token});
    // The old refresh token works until the new one is first used...
    let (status, _) = f.post_token(refresh(&r1)).await;
    assert_eq!(status, 200);
    let (status, body) = f.post_token(refresh(&r2)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["refresh_token_expires_in"], 7_776_000);
    // ...and no longer once it has been.
    f.refused(refresh(&r1), "invalid_grant").await;
    f.standin.stop().await;
}

#[tokio::test]
async fn authorization_codes_come_back_signed_and_work_once() {
    let f = Fixture::new(None).await;
    let link = f.url(&format!(
        "/admin/oauth/authorize?client_id={API_KEY}&scope=read_products&redirect_uri=https%3A%2F%2Fapp.example%2Fauth%2Fcallback&state=nonce-1"
    ));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(link).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let query = location
        .strip_prefix("https://app.example/auth/callback?")
        .unwrap();
    // Attune's own check of Shopify's admin HMAC accepts it, and the library's too.
    let verified = Shopify::new(API_KEY, &API_SECRET.to_owned().into(), &[])
        .verify_admin_query(query)
        .unwrap();
    assert!(verified.iter().any(|(k, v)| k == "state" && v == "nonce-1"));
    let callback = f.app.verify_query(query).unwrap();
    let token = f.app.exchange_code_expiring(&callback).await.unwrap();
    assert_eq!(token.scope.as_deref(), Some("read_products"));
    assert!(token.refresh_token.is_some());
    let again = f.app.exchange_code(&callback).await.unwrap_err();
    assert_eq!(again.token_endpoint_status(), Some(400));
    assert_eq!(f.standin.stats().token_requests["authorization_code"], 2);
    f.standin.stop().await;
}

#[tokio::test]
async fn wrong_tokens_get_401() {
    let f = Fixture::new(None).await;
    let client = f
        .app
        .builder(&f.shop)
        .auth(Auth::access_token("shpat_wrong"))
        .build()
        .unwrap();
    let error = client.graphql("{ shop { name } }", ()).await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    let body: Value = serde_json::from_slice(error.raw_http_body().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    );
    assert_eq!(f.standin.stats().graphql_requests, 0);
    f.standin.stop().await;
}

#[tokio::test]
async fn throttled_answers_are_retried_by_the_client() {
    let f = Fixture::new(Some(2)).await;
    let client = f.client().await;
    for _ in 0..4 {
        let answer = client
            .graphql_raw("{ shop { name ianaTimezone } }", ())
            .await
            .unwrap();
        assert!(answer.errors.is_empty());
        let cost = answer.cost().unwrap();
        assert_eq!(
            (cost.requested_query_cost, cost.actual_query_cost),
            (1.0, Some(1.0))
        );
        assert_eq!(cost.throttle_status.maximum_available, 2000.0);
    }
    let stats = f.standin.stats();
    assert_eq!(
        (stats.throttled, stats.graphql_requests),
        (3, 7),
        "{stats:?}"
    );
    // Never without retries: a client that gives up sees Shopify's THROTTLED answer.
    let impatient = client.with_retry(RetryPolicy::none());
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        outcomes.push(impatient.graphql("{ shop { name } }", ()).await.is_ok());
    }
    assert_eq!(
        outcomes.iter().filter(|ok| !**ok).count(),
        1,
        "{outcomes:?}"
    );
    f.standin.stop().await;
}

const PRODUCTS: &str = "{ products { edges { node {
    id legacyResourceId title handle status vendor productType tags descriptionHtml createdAt updatedAt
    featuredMedia { preview { image { url } } }
    variants { edges { node { id title sku price compareAtPrice inventoryQuantity inventoryItem { id tracked } } } }
    collections { edges { node { id } } }
} } } }";

#[tokio::test]
async fn bulk_queries_complete_with_ungrouped_children() {
    let f = Fixture::new(None).await;
    let client = f.client().await;
    let rows: Vec<Value> = client.bulk_query_rows(PRODUCTS, fast()).await.unwrap();
    let products: Vec<&Value> = rows
        .iter()
        .filter(|r| r.get("__parentId").is_none())
        .collect();
    assert_eq!(products.len(), 34);
    let ids: HashSet<&str> = products.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let variants: Vec<&Value> = rows
        .iter()
        .filter(|r| r["id"].as_str().unwrap().contains("/ProductVariant/"))
        .collect();
    assert_eq!(variants.len(), 354);
    assert!(
        rows.iter()
            .filter_map(|r| r["__parentId"].as_str())
            .all(|p| ids.contains(p))
    );
    assert!(variants.iter().all(
        |v| v["inventoryItem"]["tracked"] == true && v["price"].as_str().unwrap().contains('.')
    ));
    assert!(
        rows.iter()
            .any(|r| r["id"].as_str().unwrap().contains("/Collection/"))
    );
    assert!(
        products
            .iter()
            .all(|p| p["status"] == "ACTIVE" && p["tags"].is_array())
    );
    // Every child comes after its parent, but not all directly after it (or its siblings).
    let position: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r["id"].as_str().unwrap(), i))
        .collect();
    let mut scattered = 0;
    for (i, row) in rows.iter().enumerate() {
        if let Some(parent) = row["__parentId"].as_str() {
            assert!(position[parent] < i);
            let previous = &rows[i - 1];
            if previous["id"] != parent && previous["__parentId"] != parent {
                scattered += 1;
            }
        }
    }
    assert!(scattered > 50, "{scattered}");
    let stats = f.standin.stats();
    assert_eq!(
        (stats.bulk_operations_started, stats.bulk_downloads),
        (1, 1)
    );

    // The lifecycle, step by step: CREATED, then COMPLETED with a file.
    let started = client.start_bulk_query("{ orders { edges { node { id name customer { id } lineItems { edges { node { id quantity product { id } } } } } } } }").await.unwrap();
    assert_eq!(started.status.as_str(), "CREATED");
    let done = client
        .wait_for_bulk_operation(&started.id, fast())
        .await
        .unwrap();
    assert_eq!(done.status.as_str(), "COMPLETED");
    assert_eq!(done.root_object_count, 200);
    assert!(done.object_count > 200 && done.file_size.unwrap() > 0);
    let refused = client
        .start_bulk_query("{ shop { name } }")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("connection"), "{refused}");
    f.standin.stop().await;
}

#[tokio::test]
async fn products_page_and_filter_by_update_time() {
    let f = Fixture::new(None).await;
    let client = f.client().await;
    let query = "query($after: String, $q: String) {
        products(first: 10, after: $after, query: $q, sortKey: UPDATED_AT) {
            nodes { id title updatedAt variants(first: 5) { nodes { id price } } }
            pageInfo { hasNextPage endCursor }
        } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = client
            .graphql(query, json!({"after": after}))
            .await
            .unwrap();
        let page = &data["products"];
        seen.extend(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen.len(), 34);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 34);
    // Nothing changed since 2026 until a product is touched.
    let recent = json!({"q": "updated_at:>'2026-01-01T00:00:00Z'"});
    assert_eq!(
        client.graphql(query, recent.clone()).await.unwrap()["products"]["nodes"],
        json!([])
    );
    let touched = f.standin.touch_product(3).unwrap();
    let nodes = client.graphql(query, recent).await.unwrap()["products"]["nodes"].clone();
    assert_eq!(nodes.as_array().unwrap().len(), 1);
    assert_eq!(nodes[0]["id"], touched["admin_graphql_api_id"]);
    // What real Shopify refuses: too costly a page, protected customer fields, unknown fields.
    let costly = client
        .graphql(
            "{ products(first: 250) { nodes { variants(first: 100) { nodes { id } } } } }",
            (),
        )
        .await
        .unwrap_err();
    assert_eq!(costly.graphql_errors()[0].code(), Some("MAX_COST_EXCEEDED"));
    let denied = client
        .graphql(
            "{ customers(first: 2) { nodes { id defaultEmailAddress { emailAddress } } } }",
            (),
        )
        .await
        .unwrap_err();
    assert_eq!(denied.graphql_errors()[0].code(), Some("ACCESS_DENIED"));
    let unknown = client.graphql("{ shop { nope } }", ()).await.unwrap_err();
    assert_eq!(
        unknown.graphql_errors()[0].message,
        "Field 'nope' doesn't exist on type 'Shop'"
    );
    f.standin.stop().await;
}

#[tokio::test]
async fn webhooks_are_signed_as_shopify_signs_them_and_payloads_match_the_api() {
    let f = Fixture::new(None).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Vec<(String, Vec<u8>)>, Vec<u8>)>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let server = actix_web::HttpServer::new(move || {
        let tx = tx.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
                    .collect();
                tx.send((headers, body.to_vec())).unwrap();
                async { actix_web::HttpResponse::Ok().finish() }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);

    let product = f.standin.product_payload(0).unwrap();
    assert_eq!(
        f.standin
            .send_webhook(&target, "products/update", &product)
            .await
            .unwrap(),
        200
    );
    let (headers, body) = rx.recv().await.unwrap();
    let verifier = Shopify::new(API_KEY, &API_SECRET.to_owned().into(), &[]);
    let verified = verifier
        .verify_webhook(
            headers.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
            &body,
        )
        .unwrap();
    assert_eq!(
        (verified.topic.as_str(), verified.api_version.as_str()),
        ("products/update", "2026-10")
    );
    assert_eq!(verified.shop.as_str(), f.standin.shop_domain());
    let tampered = [body.as_slice(), b" "].concat();
    assert!(
        verifier
            .verify_webhook(
                headers.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
                &tampered
            )
            .is_err()
    );
    payloads::parse("products/update", &body, "USD", chrono::Utc::now()).unwrap();

    // The ids in the payloads are the API's.
    let client = f.client().await;
    let found = client
        .graphql(
            "query($id: ID!) { product(id: $id) { title variants(first: 100) { nodes { id } } } }",
            json!({"id": product["admin_graphql_api_id"]}),
        )
        .await
        .unwrap();
    assert_eq!(found["product"]["title"], product["title"]);
    let variant_ids: Vec<&Value> = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["admin_graphql_api_id"])
        .collect();
    assert_eq!(
        found["product"]["variants"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| &n["id"])
            .collect::<Vec<_>>(),
        variant_ids
    );
    let order = f
        .standin
        .order_payload(5001, &[0, 7], Some(7_300_000_000_001));
    let body = serde_json::to_vec(&order).unwrap();
    payloads::parse("orders/create", &body, "USD", chrono::Utc::now()).unwrap();
    let found = client.graphql("query($id: ID!) { order(id: $id) { name customer { id } lineItems(first: 5) { nodes { product { id } } } } }",
        json!({"id": order["admin_graphql_api_id"]})).await.unwrap();
    assert_eq!(found["order"]["name"], "#5001");
    assert_eq!(
        found["order"]["customer"]["id"],
        "gid://shopify/Customer/7300000000001"
    );
    let line_products: Vec<&Value> = found["order"]["lineItems"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["product"]["id"])
        .collect();
    assert_eq!(
        line_products,
        [
            &product["admin_graphql_api_id"],
            &f.standin.product_payload(7).unwrap()["admin_graphql_api_id"]
        ]
    );
    assert_eq!(order["line_items"][0]["product_id"], product["id"]);
    handle.stop(true).await;
    f.standin.stop().await;
}

#[tokio::test]
async fn the_shop_is_the_same_on_every_run() {
    let a = Fixture::new(None).await;
    let b = Fixture::new(None).await;
    let query = "{ customers { edges { node { id tags numberOfOrders amountSpent { amount } defaultEmailAddress { marketingState } } } } }";
    let rows_a: Vec<Value> = a
        .client()
        .await
        .bulk_query_rows(query, fast())
        .await
        .unwrap();
    let rows_b: Vec<Value> = b
        .client()
        .await
        .bulk_query_rows(query, fast())
        .await
        .unwrap();
    assert_eq!(rows_a.len(), 40);
    assert!(
        rows_a
            .iter()
            .all(|r| r["defaultEmailAddress"]["marketingState"].is_string())
    );
    assert_eq!(rows_a, rows_b);
    assert_eq!(a.standin.product_families(), b.standin.product_families());
    assert_eq!(a.standin.product_families().len(), 5);
    a.standin.stop().await;
    b.standin.stop().await;
}
