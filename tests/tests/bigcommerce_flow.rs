//! The whole BigCommerce flow against the local stand-in, on SQLite and PostgreSQL: the
//! single-click install, the setup it queues (hooks, the storefront script) and the first sync
//! (Catalog v3, Customers v3, Orders v2, page by page, through 429s), recommendations learned
//! from the synced orders, light webhooks completed by fetching what they name (an order, a
//! changed and a deleted product; a repeated delivery changes nothing), reconciliation by
//! `date_modified`, and a smart offer's code pool made as Promotions API coupon codes.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use attune_api::storefront::Recommendations;
use attune_api::sync::SyncStatus;
use attune_server::platform::bigcommerce::standin::BigCommerceStandIn;
use attune_server::platform::bigcommerce::webhooks::{SECRET_HEADER, store_secret};
use attune_tests::*;
use serde_json::{Value, json};

const CLIENT_ID: &str = "bc-flow-client";
const CLIENT_SECRET: &str = "bc-flow-secret-for-tests";
const SCOPES: &str = "store_v2_products_read_only store_v2_customers_read_only store_v2_orders_read_only store_v2_marketing store_v2_content";
const STORE: &str = "flow42store";

fn session_of(html: &str) -> String {
    let key = r#"<meta name="attune-session" content=""#;
    let start = html.find(key).unwrap() + key.len();
    let end = html[start..].find('"').unwrap();
    html[start..start + end].to_owned()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn text(app: &TestApp, sql: &str) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<String>(0).unwrap()
}

struct Flow {
    bc: BigCommerceStandIn,
    app: TestApp,
    session: String,
}

impl Flow {
    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self
            .app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.session);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Waits for the store's jobs to finish, then returns the sync status.
    async fn settled(&self) -> SyncStatus {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (_, v) = self
                .admin(reqwest::Method::GET, "/api/admin/sync", None)
                .await;
            let s: SyncStatus = serde_json::from_value(v).unwrap();
            if s.pending_jobs == 0 && s.status != "running" {
                return s;
            }
            assert!(Instant::now() < deadline, "jobs did not finish: {s:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Delivers a light webhook as BigCommerce does: our secret header and a Standard
    /// Webhooks signature.
    async fn deliver(&self, body: &[u8]) -> u16 {
        let mut r = self
            .app
            .client
            .post(self.app.url("/webhooks/bigcommerce"))
            .header("content-type", "application/json")
            .header(SECRET_HEADER, store_secret(CLIENT_SECRET.as_bytes(), STORE));
        for (k, v) in self.bc.webhook_headers(body, now() as i64) {
            r = r.header(k, v);
        }
        r.body(body.to_vec())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

async fn installed(backend: Backend) -> Flow {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/bigcommerce/auth");
    let bc = BigCommerceStandIn::start_with_store(
        CLIENT_ID,
        CLIENT_SECRET,
        &redirect,
        &workspace_root().join("../shared/data/shopify"),
        STORE,
    )
    .await
    .unwrap();
    let origin = bc.base_url().to_owned();
    let app = spawn_with(backend, move |s| {
        s.server.port = port;
        s.app.url = format!("http://127.0.0.1:{port}");
        s.bigcommerce.client_id = CLIENT_ID.into();
        s.bigcommerce.client_secret = CLIENT_SECRET.to_owned().into();
        s.bigcommerce.api_origin = origin.clone();
        s.bigcommerce.login_origin = origin;
    })
    .await;
    let code = bc.authorize(STORE, SCOPES);
    let r = app
        .client
        .get(app.url(&format!(
            "/bigcommerce/auth?code={code}&scope={}&context=stores/{STORE}",
            SCOPES.replace(' ', "+")
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = session_of(&r.text().await.unwrap());
    Flow { bc, app, session }
}

async fn install_sync_webhook_recommend(backend: Backend) {
    let f = installed(backend).await;
    let s = f.settled().await;
    assert_eq!(s.status, "done", "{s:?}");
    let products = f.bc.products(STORE);
    assert!(products.len() >= 20);
    assert_eq!(s.counts.products, products.len() as u64);
    assert!(
        s.counts.collections > 0 && s.counts.customers > 0 && s.counts.orders > 0,
        "{s:?}"
    );
    assert_eq!(
        count(&f.app, "SELECT COUNT(*) FROM products").await,
        products.len() as i64
    );
    assert_eq!(
        count(&f.app, "SELECT COUNT(*) FROM orders").await,
        s.counts.orders as i64
    );
    assert!(count(&f.app, "SELECT COUNT(*) FROM product_collections").await > 0);
    assert!(f.bc.throttled() > 0, "the sync met 429s and went on");
    // Guests' orders have no customer; every other order names a synced customer.
    assert!(
        count(
            &f.app,
            "SELECT COUNT(*) FROM orders WHERE customer_id IS NULL"
        )
        .await
            > 0
    );
    assert!(count(&f.app, "SELECT COUNT(*) FROM order_lines").await > s.counts.orders as i64);

    // The setup: one hook per scope, carrying our secret, and the storefront script.
    let hooks = f.bc.hooks(STORE);
    assert_eq!(hooks.len(), 6, "{hooks:?}");
    let secret = store_secret(CLIENT_SECRET.as_bytes(), STORE);
    assert!(
        hooks
            .iter()
            .all(|h| h["headers"][SECRET_HEADER] == json!(secret))
    );
    let scripts = f.bc.scripts(STORE);
    assert_eq!(scripts.len(), 1, "{scripts:?}");
    let script = &scripts[0];
    assert_eq!(script["auto_uninstall"], json!(true));
    assert_eq!(script["consent_category"], json!("analytics"));
    assert_eq!(script["location"], json!("footer"));
    assert_eq!(script["load_method"], json!("defer"));
    let src = script["src"].as_str().unwrap();
    assert!(
        src.ends_with(&format!(
            "/static/attune-bigcommerce.js?store={STORE}&client_id={CLIENT_ID}"
        )),
        "{src}"
    );
    // The script is served from public/.
    let path = src.split_once("/static/").unwrap().1;
    let r = f
        .app
        .client
        .get(f.app.url(&format!("/static/{path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The token is stored only encrypted.
    let token = f.bc.issued_tokens().pop().unwrap();
    assert_eq!(
        count(
            &f.app,
            &format!("SELECT COUNT(*) FROM shops WHERE access_token_ciphertext LIKE '%{token}%'")
        )
        .await,
        0
    );

    // Recommendations learned from the synced orders: a product's co-purchases are its family.
    let families = f.bc.product_families(STORE);
    let (_, family) = families.iter().find(|(_, m)| m.len() >= 3).unwrap();
    let seed = family[0];
    let (st, w) = f
        .admin(
            reqwest::Method::POST,
            "/api/admin/widgets",
            Some(json!({"name": "FBT", "placement": "product_page", "strategy": "frequently_bought_together", "max_products": 3, "title": "Goes with"})),
        )
        .await;
    assert_eq!(st, 201, "{w}");
    let widget = w["id"].as_str().unwrap().to_owned();
    let recommend = || async {
        let r = f
            .app
            .client
            .get(f.app.url(&format!(
                "/storefront/recommendations?widget={widget}&product={seed}&explain=1"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Recommendations>().await.unwrap()
    };
    let recs = recommend().await;
    assert_eq!(recs.products.len(), 3);
    let top: i64 = recs.products[0].id.parse().unwrap();
    assert!(family.contains(&top), "top {top} is not in {family:?}");
    assert_eq!(recs.products[0].reason, "bought_together");

    // A light webhook names a new order: it is fetched with its lines and applied.
    let orders = count(&f.app, "SELECT COUNT(*) FROM orders").await;
    let order = f.bc.add_order(STORE, 0, &[(family[1], 1), (family[2], 2)]);
    let body = f.bc.light_payload(STORE, "store/order/created", order);
    assert_eq!(f.deliver(&body).await, 200);
    // The same event again (same hash): stored once, applied once.
    assert_eq!(f.deliver(&body).await, 200);
    f.settled().await;
    assert_eq!(
        count(&f.app, "SELECT COUNT(*) FROM orders").await,
        orders + 1
    );
    assert_eq!(
        count(
            &f.app,
            &format!("SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.platform_id = '{order}'")
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &f.app,
            "SELECT COUNT(*) FROM webhook_receipts WHERE platform = 'bigcommerce'"
        )
        .await,
        1
    );

    // A product changes: the webhook names it, and its new state is read.
    let changed = f.bc.touch_product(STORE, 0);
    let name =
        f.bc.products(STORE)
            .iter()
            .find(|p| p["id"] == json!(changed))
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned();
    let body = f.bc.light_payload(STORE, "store/product/updated", changed);
    assert_eq!(f.deliver(&body).await, 200);
    f.settled().await;
    assert_eq!(
        text(
            &f.app,
            &format!("SELECT title FROM products WHERE platform_id = '{changed}'")
        )
        .await,
        name
    );
    // A product is deleted: it is no longer recommended.
    let gone = top;
    f.bc.delete_product(STORE, gone);
    let body = f.bc.light_payload(STORE, "store/product/deleted", gone);
    assert_eq!(f.deliver(&body).await, 200);
    f.settled().await;
    // Answers are kept per model version; the deletion moves it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let recs = recommend().await;
        if recs.products.iter().all(|p| p.id != gone.to_string()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a deleted product is still recommended"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // A change without a webhook: the incremental sync (date_modified) repairs it.
    let quiet = f.bc.touch_product(STORE, 3);
    let name =
        f.bc.products(STORE)
            .iter()
            .find(|p| p["id"] == json!(quiet))
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned();
    let (st, _) = f
        .admin(reqwest::Method::POST, "/api/admin/sync", None)
        .await;
    assert_eq!(st, 202);
    let s = f.settled().await;
    assert_eq!(s.status, "done", "{s:?}");
    assert!(
        s.counts.products >= 1 && s.counts.products < products.len() as u64,
        "{s:?}"
    );
    assert_eq!(
        text(
            &f.app,
            &format!("SELECT title FROM products WHERE platform_id = '{quiet}'")
        )
        .await,
        name
    );
    f.bc.stop().await;
}

async fn offer_codes_are_promotion_codes(backend: Backend) {
    let f = installed(backend).await;
    f.settled().await;
    let (st, v) = f
        .admin(
            reqwest::Method::POST,
            "/api/admin/offers",
            Some(json!({"name": "Five off", "status": "active", "kind": "fixed_amount", "amount_minor": 500,
                        "minimum_subtotal_minor": 3000, "headline": "5 off", "holdout_percent": 5})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(
        &f.app,
        &format!("SELECT COUNT(*) FROM offer_codes WHERE offer_id = {id} AND status = 'available'"),
    )
    .await
        < 20
    {
        assert!(Instant::now() < deadline, "the code pool was not filled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Each code exists on the platform, single-use, under one promotion with the offer's terms.
    let codes = f.bc.codes(STORE);
    assert_eq!(codes.len(), 20, "{codes:?}");
    let distinct: HashSet<&String> = codes.iter().map(|(_, c)| c).collect();
    assert_eq!(distinct.len(), 20);
    let promotions = f.bc.promotions(STORE);
    assert_eq!(promotions.len(), 1, "{promotions:?}");
    let p = &promotions[0];
    assert_eq!(p["redemption_type"], json!("COUPON"));
    assert_eq!(
        p.pointer("/rules/0/action/cart_value/discount/fixed_amount"),
        Some(&json!("5.00"))
    );
    assert_eq!(
        p.pointer("/rules/0/condition/cart/minimum_spend"),
        Some(&json!("30.00"))
    );
    let stored = count(
        &f.app,
        &format!(
            "SELECT COUNT(*) FROM offer_codes WHERE offer_id = {id} AND platform_id LIKE '{}/%'",
            p["id"]
        ),
    )
    .await;
    assert_eq!(stored, 20);
    f.bc.stop().await;
}

both_backends!(
    install_sync_webhook_recommend,
    offer_codes_are_promotion_codes
);
