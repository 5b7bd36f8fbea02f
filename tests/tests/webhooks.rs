//! Shopify webhooks end to end: signature checks, durable receipts, dedupe, out-of-order
//! updates, uninstall, and the compliance topics (proved by scanning every table).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use attune_tests::*;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

const SHOP: &str = "hooked-shop.myshopify.com";
const OTHER: &str = "bystander.myshopify.com";

fn sample(name: &str) -> Value {
    let path = workspace_root()
        .join("../shared/data/shopify/webhooks/official_samples")
        .join(name);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

async fn send(
    app: &TestApp,
    topic: &str,
    shop: &str,
    body: &Value,
    event_id: &str,
    lowercase: bool,
) -> reqwest::Response {
    let body = body.to_string();
    let hmac = shopify_signer(API_SECRET).sign_webhook(body.as_bytes());
    let h = |name: &str| {
        if lowercase {
            format!("shopify-{}", name.to_lowercase())
        } else {
            format!("X-Shopify-{name}")
        }
    };
    app.client
        .post(app.url("/webhooks/shopify"))
        .header("content-type", "application/json")
        .header(h("Hmac-Sha256"), hmac)
        .header(h("Topic"), topic)
        .header(h("Shop-Domain"), shop)
        .header(h("API-Version"), "2026-10")
        .header(h("Webhook-Id"), uuid::Uuid::new_v4().to_string())
        .header(h("Event-Id"), event_id)
        .header(h("Triggered-At"), chrono::Utc::now().to_rfc3339())
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Waits until every stored delivery has been applied by the background worker.
async fn settle(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = count(
            &app.db,
            "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')",
        )
        .await;
        if pending == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{pending} jobs still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn installed(app: &TestApp, shop: &str) -> i64 {
    attune_server::db::shops::ensure(&app.db, "shopify", shop, "Shop", "USD")
        .await
        .unwrap()
        .id
        .get()
}

fn product(id: u64, title: &str, updated_at: &str) -> Value {
    let mut p = sample("products_update.json");
    p["admin_graphql_api_id"] = json!(format!("gid://shopify/Product/{id}"));
    p["id"] = json!(id);
    p["title"] = json!(title);
    p["handle"] = json!(format!("p-{id}"));
    p["updated_at"] = json!(updated_at);
    p
}

async fn title_of(app: &TestApp, id: u64) -> Option<String> {
    let shop = attune_server::db::shops::find_by_domain(&app.db, "shopify", SHOP)
        .await
        .unwrap()
        .unwrap();
    attune_server::db::catalog::by_platform_id(&app.db, shop.id, &id.to_string())
        .await
        .unwrap()
        .map(|p| p.title)
}

async fn rejects_bad_signatures(backend: Backend) {
    let app = spawn_app(backend).await;
    installed(&app, SHOP).await;
    let body = json!({"id": 1}).to_string();
    let base = || {
        app.client
            .post(app.url("/webhooks/shopify"))
            .header("X-Shopify-Topic", "products/update")
            .header("X-Shopify-Shop-Domain", SHOP)
            .header("X-Shopify-API-Version", "2026-10")
            .header("X-Shopify-Webhook-Id", "w1")
            .body(body.clone())
    };
    let forged = shopify_signer("wrong").sign_webhook(body.as_bytes());
    for r in [
        base(),
        base().header("X-Shopify-Hmac-Sha256", forged),
        base().header("X-Shopify-Hmac-Sha256", ""),
    ] {
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 401);
        // Only the embedded admin's session-token 401s ask App Bridge to retry.
        assert!(
            !r.headers()
                .contains_key("x-shopify-retry-invalid-session-request")
        );
        let v: Value = r.json().await.unwrap();
        assert!(v["message"].as_str().unwrap().contains("webhook"), "{v}");
    }
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM webhook_receipts").await,
        0
    );
}

async fn duplicates_and_reordering_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    installed(&app, SHOP).await;
    // The same delivery three times, with both header styles: stored once.
    for i in 0..3 {
        let r = send(
            &app,
            "products/create",
            SHOP,
            &product(7, "First", "2026-01-01T00:00:00Z"),
            "evt-create",
            i == 1,
        )
        .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["duplicate"], i > 0);
    }
    // Newer update arrives before an older one.
    send(
        &app,
        "products/update",
        SHOP,
        &product(7, "Third", "2026-01-03T00:00:00Z"),
        "evt-3",
        false,
    )
    .await;
    send(
        &app,
        "products/update",
        SHOP,
        &product(7, "Second", "2026-01-02T00:00:00Z"),
        "evt-2",
        false,
    )
    .await;
    // The same change delivered again under another event id (a second subscription).
    send(
        &app,
        "products/update",
        SHOP,
        &product(7, "Third", "2026-01-03T00:00:00Z"),
        "evt-3b",
        false,
    )
    .await;
    settle(&app).await;
    assert_eq!(title_of(&app, 7).await.as_deref(), Some("Third"));
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM webhook_receipts").await,
        4
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM products").await, 1);
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM variants").await, 2);

    // A delete, then an older update arriving late: the product stays deleted.
    send(
        &app,
        "products/delete",
        SHOP,
        &json!({"id": 7}),
        "evt-del",
        false,
    )
    .await;
    settle(&app).await;
    send(
        &app,
        "products/update",
        SHOP,
        &product(7, "Zombie", "2026-01-04T00:00:00Z"),
        "evt-late",
        false,
    )
    .await;
    settle(&app).await;
    let shop = attune_server::db::shops::find_by_domain(&app.db, "shopify", SHOP)
        .await
        .unwrap()
        .unwrap();
    let p = attune_server::db::catalog::by_platform_id(&app.db, shop.id, "7")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status, "deleted");

    // Orders: created, then paid (newer), then a stale `updated` resent.
    let mut order = sample("orders_create.json");
    order["cancelled_at"] = Value::Null;
    order["updated_at"] = json!("2026-02-01T00:00:00Z");
    order["financial_status"] = json!("pending");
    send(&app, "orders/create", SHOP, &order, "o-1", false).await;
    let mut paid = order.clone();
    paid["updated_at"] = json!("2026-02-02T00:00:00Z");
    paid["financial_status"] = json!("paid");
    send(&app, "orders/paid", SHOP, &paid, "o-2", false).await;
    send(&app, "orders/updated", SHOP, &order, "o-3", false).await;
    settle(&app).await;
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM orders WHERE financial_status = 'paid'"
        )
        .await,
        1
    );
    assert_eq!(count(&app.db, "SELECT COUNT(*) FROM orders").await, 1);
    let lines = order["line_items"].as_array().unwrap().len() as i64;
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM order_lines").await,
        lines
    );
    // Processed deliveries keep no payload.
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM webhook_receipts WHERE body <> ''"
        )
        .await,
        0
    );
}

async fn uninstall_forgets_tokens_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = installed(&app, SHOP).await;
    app.db
        .execute_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("UPDATE shops SET access_token_ciphertext = 'v1:k:x', refresh_token_ciphertext = 'v1:k:y' WHERE id = {id}"),
        ))
        .await
        .unwrap();
    let mut shop_payload = sample("app_uninstalled.json");
    shop_payload["myshopify_domain"] = json!(SHOP);
    let r = send(&app, "app/uninstalled", SHOP, &shop_payload, "u-1", false).await;
    assert_eq!(r.status(), 200);
    // Before any job ran: tokens are gone and the admin is closed.
    assert_eq!(count(&app.db, &format!("SELECT COUNT(*) FROM shops WHERE id = {id} AND access_token_ciphertext IS NULL AND refresh_token_ciphertext IS NULL AND status = 'uninstalled'")).await, 1);
    let r = app
        .client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(session_token_for(SHOP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// Every row of every table, as text.
async fn dump(db: &DatabaseConnection) -> Vec<(String, String)> {
    let backend = db.get_database_backend();
    let tables_sql = match backend {
        DbBackend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, tables_sql.to_owned()))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(tables.len() >= 19, "{tables:?}");
    let mut out = Vec::new();
    for t in tables {
        let sql = match backend {
            DbBackend::Postgres => format!("SELECT row_to_json(x)::text FROM \"{t}\" x"),
            _ => {
                let cols: Vec<String> = db
                    .query_all_raw(Statement::from_string(
                        backend,
                        format!("SELECT name FROM pragma_table_info('{t}')"),
                    ))
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get_by_index::<String>(0).unwrap())
                    .collect();
                format!(
                    "SELECT json_array({}) FROM \"{t}\"",
                    cols.iter()
                        // JSON cannot hold BLOBs (stored models): hex them.
                        .map(|c| format!(
                            "CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") ELSE \"{c}\" END"
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        for r in db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
        {
            out.push((t.clone(), r.try_get_by_index::<String>(0).unwrap()));
        }
    }
    out
}

async fn compliance_topics(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop_id = installed(&app, SHOP).await;
    let other_id = installed(&app, OTHER).await;
    let customer_gid = "gid://shopify/Customer/4242424242";
    let email = "erase-me@example.com";
    let mut customer = sample("customers_create.json");
    customer["admin_graphql_api_id"] = json!(customer_gid);
    customer["email"] = json!(email);
    customer["updated_at"] = json!("2026-01-01T00:00:00Z");
    send(&app, "customers/create", SHOP, &customer, "c-1", false).await;
    let mut order = sample("orders_create.json");
    order["customer"]["admin_graphql_api_id"] = json!(customer_gid);
    order["customer"]["email"] = json!(email);
    order["email"] = json!(email);
    order["updated_at"] = json!("2026-01-02T00:00:00Z");
    send(&app, "orders/create", SHOP, &order, "c-2", false).await;
    // The same customer id at another shop is another person: untouched.
    send(&app, "customers/create", OTHER, &customer, "c-1", false).await;
    settle(&app).await;
    // A visitor of this customer with events.
    let now = chrono::Utc::now().to_rfc3339();
    let b = app.db.get_database_backend();
    let cid = count(
        &app.db,
        &format!("SELECT id FROM customers WHERE shop_id = {shop_id}"),
    )
    .await;
    app.db.execute_raw(Statement::from_sql_and_values(b, match b {
        DbBackend::Postgres => "INSERT INTO visitors (shop_id, visitor_key, customer_id, first_seen_at, last_seen_at) VALUES ($1, 'vis-erase-me', $2, $3::timestamptz, $3::timestamptz)",
        _ => "INSERT INTO visitors (shop_id, visitor_key, customer_id, first_seen_at, last_seen_at) VALUES (?, 'vis-erase-me', ?, ?, ?)",
    }, match b {
        DbBackend::Postgres => vec![shop_id.into(), cid.into(), now.clone().into()],
        _ => vec![shop_id.into(), cid.into(), now.clone().into(), now.clone().into()],
    })).await.unwrap();
    let vid = count(
        &app.db,
        "SELECT id FROM visitors WHERE visitor_key = 'vis-erase-me'",
    )
    .await;
    app.db.execute_raw(Statement::from_sql_and_values(b, match b {
        DbBackend::Postgres => "INSERT INTO storefront_events (shop_id, visitor_id, kind, platform_product_id, payload, occurred_at, received_at) VALUES ($1, $2, 'product_viewed', '1', '{\"note\":\"event-of-erase-me\"}'::jsonb, $3::timestamptz, $3::timestamptz)",
        _ => "INSERT INTO storefront_events (shop_id, visitor_id, kind, platform_product_id, payload, occurred_at, received_at) VALUES (?, ?, 'product_viewed', '1', '{\"note\":\"event-of-erase-me\"}', ?, ?)",
    }, match b {
        DbBackend::Postgres => vec![shop_id.into(), vid.into(), now.clone().into()],
        _ => vec![shop_id.into(), vid.into(), now.clone().into(), now.clone().into()],
    })).await.unwrap();

    // customers/data_request: an export the merchant downloads in the admin.
    let request = json!({"shop_id": 1, "shop_domain": SHOP, "orders_requested": [], "customer": {"id": 4242424242u64, "email": email, "phone": null}, "data_request": {"id": 9999}});
    send(
        &app,
        "customers/data_request",
        SHOP,
        &request,
        "dr-1",
        false,
    )
    .await;
    settle(&app).await;
    let token = session_token_for(SHOP);
    let list: Value = app
        .client
        .get(app.url("/api/admin/privacy/exports"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let export_id = list["exports"][0]["id"].as_i64().unwrap();
    assert_eq!(list["exports"][0]["customer_id"], "4242424242");
    let r = app
        .client
        .get(app.url(&format!("/api/admin/privacy/exports/{export_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let data: Value = r.json().await.unwrap();
    assert_eq!(data["orders"].as_array().unwrap().len(), 1);
    assert_eq!(data["visitors"][0]["events"].as_array().unwrap().len(), 1);
    // Another shop's admin cannot read it.
    let r = app
        .client
        .get(app.url(&format!("/api/admin/privacy/exports/{export_id}")))
        .bearer_auth(session_token_for(OTHER))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // A stored recommendation model knows the customer's purchases by row id: it must go.
    let shop = attune_server::db::shops::find_by_domain(&app.db, "shopify", SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    attune_server::services::recommend::ModelCache::default()
        .get(&app.db, shop)
        .await
        .unwrap();
    let stored_models =
        format!("SELECT COUNT(*) FROM recommendation_models WHERE shop_id = {shop_id}");
    assert_eq!(count(&app.db, &stored_models).await, 1);

    // Before erasure the scan does see the customer, so the checks below can fail.
    let before = dump(&app.db).await;
    assert!(before.iter().any(|(_, r)| r.contains("vis-erase-me")));
    assert!(before.iter().any(|(_, r)| r.contains("event-of-erase-me")));
    assert!(before.iter().any(|(t, r)| t == "customers"
        && r.contains("4242424242")
        && !r.contains(&format!(",{other_id},"))));

    // customers/redact: nothing of this customer remains anywhere at this shop.
    let redact = json!({"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 4242424242u64, "email": email, "phone": null}, "orders_to_redact": []});
    send(&app, "customers/redact", SHOP, &redact, "cr-1", false).await;
    settle(&app).await;
    for (table, row) in dump(&app.db).await {
        assert!(!row.contains(email), "{table} still holds the email: {row}");
        assert!(
            !row.contains("vis-erase-me") && !row.contains("event-of-erase-me"),
            "{table} still holds the visitor: {row}"
        );
        if row.contains("4242424242") {
            assert!(
                row.contains(&format!("{other_id}")),
                "{table} still holds the customer id at the redacted shop: {row}"
            );
        }
    }
    assert_eq!(
        count(&app.db, "SELECT COUNT(*) FROM orders").await,
        1,
        "orders stay as anonymous baskets"
    );
    assert_eq!(count(&app.db, &stored_models).await, 0);
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM customers WHERE shop_id = {other_id}")
        )
        .await,
        1
    );

    // shop/redact: no row of that shop remains; the other shop is intact.
    send(
        &app,
        "shop/redact",
        SHOP,
        &json!({"shop_id": 1, "shop_domain": SHOP}),
        "sr-1",
        false,
    )
    .await;
    settle(&app).await;
    for (table, row) in dump(&app.db).await {
        assert!(!row.contains(SHOP), "{table} still names the shop: {row}");
    }
    for table in [
        "products",
        "variants",
        "customers",
        "orders",
        "order_lines",
        "visitors",
        "storefront_events",
        "jobs",
        "data_exports",
        "widgets",
    ] {
        assert_eq!(
            count(
                &app.db,
                &format!("SELECT COUNT(*) FROM {table} WHERE shop_id = {shop_id}")
            )
            .await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM shops WHERE id = {other_id}")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) FROM customers WHERE shop_id = {other_id}")
        )
        .await,
        1
    );
}

/// Unit costs (the margin boost reads them): `inventory_items/update` brings them, a products
/// webhook (which carries none) keeps them, a removed cost is cleared.
async fn item_costs_arrive_and_stay(backend: Backend) {
    let app = spawn_app(backend).await;
    installed(&app, SHOP).await;
    let shop = attune_server::db::shops::find_by_domain(&app.db, "shopify", SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let cost = || async {
        attune_server::db::catalog::by_platform_id(&app.db, shop, "501")
            .await
            .unwrap()
            .unwrap()
            .cost_minor
    };
    let mut p = product(501, "Mug", "2026-03-01T00:00:00Z");
    let mut variant = p["variants"][0].clone();
    variant["id"] = json!(601);
    variant["inventory_item_id"] = json!(9001);
    variant["price"] = json!("12.00");
    p["variants"] = json!([variant]);
    send(&app, "products/update", SHOP, &p, "cost-1", false).await;
    settle(&app).await;
    assert_eq!(cost().await, None);

    let item = |c: Value| {
        json!({"id": 9001, "sku": "MUG", "cost": c, "tracked": true,
        "updated_at": "2026-03-02T00:00:00Z", "admin_graphql_api_id": "gid://shopify/InventoryItem/9001"})
    };
    let r = send(
        &app,
        "inventory_items/update",
        SHOP,
        &item(json!("4.80")),
        "cost-2",
        false,
    )
    .await;
    assert_eq!(r.status(), 200);
    settle(&app).await;
    assert_eq!(cost().await, Some(480));

    // A newer product update carries no cost: the known one stays.
    p["title"] = json!("Mug, blue");
    p["updated_at"] = json!("2026-03-03T00:00:00Z");
    send(&app, "products/update", SHOP, &p, "cost-3", false).await;
    settle(&app).await;
    assert_eq!(title_of(&app, 501).await.as_deref(), Some("Mug, blue"));
    assert_eq!(cost().await, Some(480));

    // A malformed cost is refused and changes nothing; a removed one clears it.
    let r = send(
        &app,
        "inventory_items/update",
        SHOP,
        &item(json!("four")),
        "cost-4",
        false,
    )
    .await;
    settle(&app).await;
    assert_eq!(cost().await, Some(480), "{:?}", r.status());
    send(
        &app,
        "inventory_items/update",
        SHOP,
        &item(Value::Null),
        "cost-5",
        false,
    )
    .await;
    settle(&app).await;
    assert_eq!(cost().await, None);
}

both_backends!(
    item_costs_arrive_and_stay,
    rejects_bad_signatures,
    duplicates_and_reordering_change_nothing,
    uninstall_forgets_tokens_at_once,
    compliance_topics,
);
