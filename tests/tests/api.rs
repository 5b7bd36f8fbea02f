//! The HTTP API end to end: health, admin auth, widgets, storefront recommendations and the
//! app proxy, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used)]

use attune_api::storefront::Recommendations;
use attune_api::widgets::Widget;
use attune_server::db::catalog::NewProduct;
use attune_server::db::orders::{NewLine, NewOrder};
use attune_server::db::{self, ShopId};
use attune_tests::*;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

const SHOP: &str = "fixture-shop.myshopify.com";
const OTHER_SHOP: &str = "other-shop.myshopify.com";

/// Products A..I; I is out of stock. Orders are chosen so that:
/// A's strongest complement is B, then C; I is bought with A but unavailable;
/// customer c1 (bought A, B, C) has H as the only complement of their history;
/// customer c2 (bought D, E, F) has G.
async fn load_fixture(app: &TestApp, domain: &str) -> ShopId {
    let shop = db::shops::ensure(&app.db, "shopify", domain, "Fixture", "USD")
        .await
        .unwrap();
    give_tokens(&app.db, domain).await;
    let ts = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let products: Vec<NewProduct> = "ABCDEFGHI"
        .chars()
        .map(|c| NewProduct {
            platform_id: format!("P{c}"),
            handle: format!("product-{}", c.to_ascii_lowercase()),
            title: format!("Product {c}"),
            product_type: "Thing".into(),
            vendor: "Fixture".into(),
            tags: vec![],
            price_minor: 1000 + c as i64,
            currency: "USD".into(),
            image_url: None,
            inventory_quantity: if c == 'I' { Some(0) } else { None },
            updated_at: ts,
        })
        .collect();
    let ids = db::catalog::insert_products(&app.db, shop.id, &products)
        .await
        .unwrap();
    let customers = db::orders::insert_customers(
        &app.db,
        shop.id,
        &[("c1".to_owned(), ts), ("c2".to_owned(), ts)],
    )
    .await
    .unwrap();
    let baskets: [(&str, Option<&str>, &str); 9] = [
        ("o1", Some("c1"), "ABI"),
        ("o2", Some("c1"), "ABCI"),
        ("o3", Some("c2"), "DE"),
        ("o4", Some("c2"), "DEF"),
        ("o5", None, "AC"),
        ("o6", None, "ABI"),
        ("o7", None, "DG"),
        ("o8", None, "CH"),
        ("o9", None, "AI"),
    ];
    let orders: Vec<NewOrder> = baskets
        .iter()
        .enumerate()
        .map(|(n, (id, customer, items))| NewOrder {
            platform_id: id.to_string(),
            customer_id: customer.map(|c| customers[c]),
            currency: "USD".into(),
            placed_at: ts + chrono::Duration::days(n as i64),
            lines: items
                .chars()
                .map(|c| NewLine {
                    product_id: Some(ids[&format!("P{c}")]),
                    platform_product_id: format!("P{c}"),
                    quantity: 1,
                    unit_price_minor: 1000,
                })
                .collect(),
        })
        .collect();
    db::orders::insert_orders(&app.db, shop.id, &orders, |_| {})
        .await
        .unwrap();
    shop.id
}

async fn create_widget(app: &TestApp, shop: &str, body: Value) -> Widget {
    let resp = app
        .client
        .post(app.url("/api/admin/widgets"))
        .bearer_auth(session_token_for(shop))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{:?}", resp.text().await);
    resp.json().await.unwrap()
}

fn widget_body(name: &str, placement: &str, strategy: &str, n: u32) -> Value {
    json!({"name": name, "placement": placement, "strategy": strategy, "max_products": n, "title": "You may also like"})
}

async fn health(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
}

async fn unknown_route_is_json_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.client.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().unwrap().contains("/nope"));
}

async fn admin_api_requires_a_valid_session_token(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let url = app.url("/api/admin/widgets");
    // No token.
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-shopify-retry-invalid-session-request"], "1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("session token"));
    // Signed with the wrong secret.
    let forged = session_token_with(SHOP, "not-the-secret", now() as i64);
    let r = app
        .client
        .get(&url)
        .bearer_auth(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-shopify-retry-invalid-session-request"], "1");
    // Expired.
    let expired = session_token_with(SHOP, API_SECRET, now() as i64 - 600);
    let r = app
        .client
        .get(&url)
        .bearer_auth(expired)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Valid token, but for a shop that never installed.
    let r = app
        .client
        .get(&url)
        .bearer_auth(session_token_for("stranger.myshopify.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Valid.
    let r = app
        .client
        .get(&url)
        .bearer_auth(session_token_for(SHOP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The demo login does not exist outside demo mode.
    let r = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn widget_crud(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let token = session_token_for(SHOP);
    let w = create_widget(
        &app,
        SHOP,
        widget_body("PDP", "product_page", "frequently_bought_together", 4),
    )
    .await;
    assert_eq!(w.name, "PDP");
    assert_eq!(w.max_products, 4);

    let list: Value = app
        .client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["widgets"].as_array().unwrap().len(), 1);
    assert_eq!(list["widgets"][0]["id"], w.id.as_str());

    let r = app
        .client
        .put(app.url(&format!("/api/admin/widgets/{}", w.id)))
        .bearer_auth(&token)
        .json(&widget_body("Home", "home", "popular", 8))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Widget = r.json().await.unwrap();
    assert_eq!((updated.name.as_str(), updated.max_products), ("Home", 8));
    let fetched: Widget = app
        .client
        .get(app.url(&format!("/api/admin/widgets/{}", w.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, updated);

    let r = app
        .client
        .delete(app.url(&format!("/api/admin/widgets/{}", w.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .client
        .get(app.url(&format!("/api/admin/widgets/{}", w.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .delete(app.url(&format!("/api/admin/widgets/{}", w.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn widget_validation_names_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let token = session_token_for(SHOP);
    let url = app.url("/api/admin/widgets");
    let r = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"name": "", "placement": "sidebar", "strategy": "magic", "max_products": 99, "title": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["name", "title", "placement", "strategy", "max_products"]
    );

    let r = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );

    let r = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("Content-Type"),
        "{body}"
    );

    let r = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let r = app
        .client
        .get(app.url("/api/admin/widgets/not-an-id"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "id");
    // Nothing was stored by the rejected calls.
    let list: Value = app
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["widgets"].as_array().unwrap().is_empty());
}

async fn shops_cannot_see_each_others_widgets(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    load_fixture(&app, OTHER_SHOP).await;
    let w = create_widget(&app, SHOP, widget_body("Mine", "home", "popular", 3)).await;
    let other = session_token_for(OTHER_SHOP);
    let path = format!("/api/admin/widgets/{}", w.id);
    assert_eq!(
        app.client
            .get(app.url(&path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = app
        .client
        .put(app.url(&path))
        .bearer_auth(&other)
        .json(&widget_body("Stolen", "home", "popular", 3))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        app.client
            .delete(app.url(&path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let list: Value = app
        .client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["widgets"].as_array().unwrap().is_empty());
    // And the other shop's signed proxy cannot serve it either.
    let q = proxy_query(&format!(
        "widget={}&shop={OTHER_SHOP}&logged_in_customer_id=&path_prefix=%2Fapps%2Fattune&timestamp={}",
        w.id,
        now()
    ));
    let r = app
        .client
        .get(app.url(&format!("/proxy/recommendations?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

fn ids(recs: &Recommendations) -> Vec<&str> {
    recs.products.iter().map(|p| p.id.as_str()).collect()
}

async fn recommendations_use_co_purchases_then_popularity(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let w = create_widget(
        &app,
        SHOP,
        widget_body("FBT", "product_page", "frequently_bought_together", 4),
    )
    .await;
    // A visitor outside the widget's holdout (measurement.rs covers the holdout).
    let visitor = (0..)
        .map(|i| format!("v-{i}"))
        .find(|v| !attune_server::services::recommend::in_holdout(&w.id, v))
        .unwrap();
    let recs: Recommendations = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}&product=PA&visitor={visitor}",
            w.id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let got = ids(&recs);
    assert_eq!(&got[..2], ["PB", "PC"], "{got:?}");
    assert!(
        !got.contains(&"PA"),
        "the viewed product is not recommended"
    );
    assert!(
        !got.contains(&"PI"),
        "out-of-stock products are not recommended"
    );
    assert_eq!(got.len(), 4);
    assert_eq!(recs.products[0].reason, "bought_together");
    assert_eq!(recs.products[3].reason, "popular");
    assert_eq!(recs.products[0].price.formatted, "$10.66");

    // Popular: best sellers first (A is in 5 orders), never the out-of-stock one.
    let pop = create_widget(&app, SHOP, widget_body("Best", "home", "popular", 3)).await;
    let recs: Recommendations = app
        .client
        .get(app.url(&format!("/storefront/recommendations?widget={}", pop.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&recs)[0], "PA");
    assert!(recs.products.iter().all(|p| p.reason == "popular"));

    // HTML fragment for the theme block.
    let r = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}&product=PA&format=html",
            w.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"data-attune-count="4""#), "{html}");
    assert_eq!(html.matches("class=\"attune-card\"").count(), 4);
    assert!(html.contains(r#"data-attune-product="PB""#));
    assert!(html.contains("/products/product-b"));
}

async fn storefront_rejects_bad_input_with_named_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let w = create_widget(&app, SHOP, widget_body("FBT", "product_page", "popular", 4)).await;
    let cases = [
        ("", "widget"),
        ("widget=", "widget"),
        ("widget=abc", "widget"),
        (
            &format!("widget={}&product=%3Cscript%3E", w.id) as &str,
            "product",
        ),
        (
            &format!("widget={}&visitor={}", w.id, "x".repeat(65)),
            "visitor",
        ),
        (&format!("widget={}&format=xml", w.id), "format"),
    ];
    for (query, field) in cases {
        let r = app
            .client
            .get(app.url(&format!("/storefront/recommendations?{query}")))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        assert!((400..500).contains(&status), "{query}: {status}");
        assert_eq!(body["fields"][0]["field"], field, "{query}: {body}");
    }
    let r = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}&widget={}",
            w.id, w.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("widget"),
        "{body}"
    );
    let r = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}",
            uuid::Uuid::new_v4()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn app_proxy_verifies_signature_and_personalizes(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let w = create_widget(&app, SHOP, widget_body("For you", "home", "for_you", 3)).await;
    let base = |customer: &str, ts: u64| {
        format!(
            "widget={}&shop={SHOP}&logged_in_customer_id={customer}&path_prefix=%2Fapps%2Fattune&timestamp={ts}",
            w.id
        )
    };
    let get = |q: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/proxy/recommendations?{q}"));
        async move { client.get(url).send().await.unwrap() }
    };
    // Unsigned, tampered, stale.
    assert_eq!(get(base("c1", now())).await.status(), 401);
    let tampered = proxy_query(&base("c1", now()))
        .replace("logged_in_customer_id=c1", "logged_in_customer_id=c2");
    assert_eq!(get(tampered).await.status(), 401);
    let stale = get(proxy_query(&base("c1", now() - 300))).await;
    assert_eq!(stale.status(), 401);
    assert!(
        !stale
            .headers()
            .contains_key("x-shopify-retry-invalid-session-request")
    );
    let body: Value = stale.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("timestamp"),
        "{body}"
    );

    let recs_for = |customer: &'static str| {
        let q = proxy_query(&base(customer, now()));
        let fut = get(q);
        async move {
            let r = fut.await;
            assert_eq!(r.status(), 200);
            r.json::<Recommendations>().await.unwrap()
        }
    };
    let c1 = recs_for("c1").await;
    let c2 = recs_for("c2").await;
    let anon = recs_for("").await;
    // Each customer's complement first, nothing they already bought.
    assert_eq!(ids(&c1)[0], "PH", "{:?}", ids(&c1));
    assert_eq!(c1.products[0].reason, "based_on_your_orders");
    assert!(ids(&c1).iter().all(|p| !["PA", "PB", "PC"].contains(p)));
    assert_eq!(ids(&c2)[0], "PG", "{:?}", ids(&c2));
    assert!(ids(&c2).iter().all(|p| !["PD", "PE", "PF"].contains(p)));
    assert_ne!(ids(&c1), ids(&c2));
    // Anonymous shoppers get best sellers.
    assert!(anon.products.iter().all(|p| p.reason == "popular"));
}

async fn two_processes_behave_as_one(backend: Backend) {
    let a = spawn_app(backend).await;
    load_fixture(&a, SHOP).await;
    let b = spawn_on(a.database.clone(), false).await;
    let w = create_widget(
        &a,
        SHOP,
        widget_body("Shared", "product_page", "frequently_bought_together", 2),
    )
    .await;
    let fetched: Widget = b
        .client
        .get(b.url(&format!("/api/admin/widgets/{}", w.id)))
        .bearer_auth(session_token_for(SHOP))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched.id, w.id);
    let from_a: Recommendations = a
        .client
        .get(a.url(&format!(
            "/storefront/recommendations?widget={}&product=PA",
            w.id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let from_b: Recommendations = b
        .client
        .get(b.url(&format!(
            "/storefront/recommendations?widget={}&product=PA",
            w.id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(from_a, from_b);
    // A new order written through one process changes what the other recommends.
    let shop = db::shops::find_by_domain(&a.db, "shopify", SHOP)
        .await
        .unwrap()
        .unwrap();
    let ids_map = db::catalog::product_ids(&a.db, shop.id).await.unwrap();
    let extra: Vec<NewOrder> = (0..5)
        .map(|n| NewOrder {
            platform_id: format!("x{n}"),
            customer_id: None,
            currency: "USD".into(),
            placed_at: Utc::now(),
            lines: ["PA", "PF"]
                .iter()
                .map(|p| NewLine {
                    product_id: Some(ids_map[*p]),
                    platform_product_id: p.to_string(),
                    quantity: 1,
                    unit_price_minor: 1,
                })
                .collect(),
        })
        .collect();
    db::orders::insert_orders(&a.db, shop.id, &extra, |_| {})
        .await
        .unwrap();
    // A process looks at the database at most once a second; B must see A's orders by then.
    tokio::time::sleep(
        attune_server::services::recommend::RECHECK + std::time::Duration::from_millis(100),
    )
    .await;
    let after_b: Recommendations = b
        .client
        .get(b.url(&format!(
            "/storefront/recommendations?widget={}&product=PA",
            w.id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&after_b)[0], "PF", "{:?}", ids(&after_b));
    b.stop().await;
}

/// Content similarity works on day one, with no orders; explanations on request.
async fn similar_items_and_explanations(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = db::shops::ensure(&app.db, "shopify", SHOP, "Fixture", "USD")
        .await
        .unwrap();
    give_tokens(&app.db, SHOP).await;
    let ts = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mk = |id: &str, title: &str, ty: &str, vendor: &str| NewProduct {
        platform_id: id.into(),
        handle: id.to_lowercase(),
        title: title.into(),
        product_type: ty.into(),
        vendor: vendor.into(),
        tags: vec![],
        price_minor: 500,
        currency: "USD".into(),
        image_url: None,
        inventory_quantity: None,
        updated_at: ts,
    };
    db::catalog::insert_products(
        &app.db,
        shop.id,
        &[
            mk("RED", "Red heart mug", "Mugs", "Acme"),
            mk("BLUE", "Blue heart mug", "Mugs", "Acme"),
            mk("TOTE", "Canvas tote bag", "Bags", "Acme"),
            mk("GNOME", "Garden gnome", "Garden", "Elsewhere"),
        ],
    )
    .await
    .unwrap();
    let w = create_widget(
        &app,
        SHOP,
        widget_body("Similar", "product_page", "similar_items", 2),
    )
    .await;
    let url = |extra: &str| {
        app.url(&format!(
            "/storefront/recommendations?widget={}&product=RED{extra}",
            w.id
        ))
    };
    let recs: Recommendations = app
        .client
        .get(url(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&recs)[0], "BLUE", "{:?}", ids(&recs));
    assert_eq!(recs.products[0].reason, "similar");
    assert!(recs.products.iter().all(|p| p.explanation.is_none()));
    let raw: Value = app
        .client
        .get(url(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(raw["products"][0].get("explanation").is_none());
    let recs: Recommendations = app
        .client
        .get(url("&explain=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = recs.products[0].explanation.as_ref().unwrap();
    assert_eq!(e.source, "content");
    assert_eq!(e.seeds, ["RED"]);
    assert!(
        e.parts[0].contains("type:mugs") || e.parts[0].contains("heart"),
        "{e:?}"
    );
    assert!(
        e.rules.contains(&"in_stock_only".to_owned())
            && e.rules.contains(&"exclude_viewed".to_owned())
    );
    let r = app.client.get(url("&explain=maybe")).send().await.unwrap();
    assert_eq!(r.status(), 422);
    // Trending and co-purchase explanations on the order fixture of another shop.
    load_fixture(&app, OTHER_SHOP).await;
    let fbt = create_widget(
        &app,
        OTHER_SHOP,
        widget_body("FBT", "product_page", "frequently_bought_together", 3),
    )
    .await;
    let recs: Recommendations = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}&product=PA&explain=1",
            fbt.id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = recs.products[0].explanation.as_ref().unwrap();
    assert_eq!(
        (e.source.as_str(), e.seeds.as_slice()),
        ("co_purchase", &["PA".to_owned()][..])
    );
    assert!(e.parts[0].contains("bought together in 3 orders"), "{e:?}");
    let trending = create_widget(&app, OTHER_SHOP, widget_body("Hot", "home", "trending", 3)).await;
    let recs: Recommendations = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}&product=PA",
            trending.id
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recs.products.len(), 3);
    assert!(
        recs.products
            .iter()
            .all(|p| p.reason == "trending" && p.id != "PA" && p.id != "PI"),
        "{recs:?}"
    );
}

/// The merchant's controls: pins, exclusions, price range, stock, diversity, cart exclusions.
async fn merchant_controls(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let with_rules = |rules: Value| {
        let mut b = widget_body("Controlled", "home", "popular", 4);
        b["rules"] = rules;
        b
    };
    let get = |id: String, extra: &'static str| {
        let url = app.url(&format!("/storefront/recommendations?widget={id}{extra}"));
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Recommendations>()
                .await
                .unwrap()
        }
    };
    // Popular order is A(5) I(4, out of stock) B C D (3 each) ...; prices are 1000 + letter code.
    let w = create_widget(
        &app,
        SHOP,
        with_rules(json!({"pins": [{"product_id": "PH", "position": 1}], "exclude_products": ["PB"], "max_price_minor": 1068})),
    )
    .await;
    assert_eq!(w.rules.pins.len(), 1);
    let recs = get(w.id.clone(), "").await;
    assert_eq!(ids(&recs), ["PH", "PA", "PC", "PD"]);
    assert_eq!(recs.products[0].reason, "pinned");
    // The cart's products are left out for this answer only.
    let recs = get(w.id.clone(), "&exclude=PA,PC&explain=1").await;
    assert!(
        !ids(&recs).contains(&"PA") && !ids(&recs).contains(&"PC"),
        "{:?}",
        ids(&recs)
    );
    assert_eq!(
        recs.products[0].explanation.as_ref().unwrap().source,
        "pinned"
    );
    // Diversity: one product per type (all fixture products share one type), plus the pin.
    let w = create_widget(
        &app,
        SHOP,
        with_rules(json!({"pins": [{"product_id": "PH", "position": 2}], "max_per_type": 1})),
    )
    .await;
    assert_eq!(ids(&get(w.id.clone(), "").await), ["PA", "PH"]);
    // Out-of-stock products only when the merchant turns the stock rule off.
    let w = create_widget(&app, SHOP, with_rules(json!({"in_stock_only": false}))).await;
    assert_eq!(ids(&get(w.id.clone(), "").await)[..2], ["PA", "PI"]);
    // Bad rules are refused, naming the field; bad cart lists too.
    let r = app
        .client
        .post(app.url("/api/admin/widgets"))
        .bearer_auth(session_token_for(SHOP))
        .json(&with_rules(
            json!({"pins": [{"product_id": "PH", "position": 99}], "colour": "red"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "rules", "{body}");
    let r = app
        .client
        .post(app.url("/api/admin/widgets"))
        .bearer_auth(session_token_for(SHOP))
        .json(&with_rules(
            json!({"pins": [{"product_id": "PH", "position": 99}]}),
        ))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["fields"][0]["field"], "rules.pins[0].position",
        "{body}"
    );
    let r = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={}&exclude=a%20b",
            w.id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// Buy again (from learned repurchase intervals), cart cross-sell and post-purchase.
async fn lifecycle_strategies(backend: Backend) {
    let app = spawn_app(backend).await;
    let fixture_shop = load_fixture(&app, SHOP).await;
    let proxied = |widget: &str, customer: &str, extra: &str| {
        let q = proxy_query(&format!(
            "widget={widget}{extra}&shop={SHOP}&logged_in_customer_id={customer}&path_prefix=%2Fapps%2Fattune&timestamp={}",
            now()
        ));
        let url = app.url(&format!("/proxy/recommendations?{q}"));
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Recommendations>()
                .await
                .unwrap()
        }
    };
    // Cart cross-sell: complements of every cart item, none of the cart itself.
    let cart = create_widget(
        &app,
        SHOP,
        widget_body("Cart", "cart", "cart_cross_sell", 3),
    )
    .await;
    let recs = proxied(&cart.id, "", "&cart=PA,PD").await;
    assert_eq!(ids(&recs)[0], "PB", "{:?}", ids(&recs));
    assert!(ids(&recs).contains(&"PE"), "{:?}", ids(&recs));
    assert!(ids(&recs).iter().all(|p| *p != "PA" && *p != "PD"));
    // Post-purchase: complements of the latest order (c1's o2: A, B, C, I) -> H.
    let post = create_widget(
        &app,
        SHOP,
        widget_body("Thanks", "post_purchase", "post_purchase", 2),
    )
    .await;
    let recs = proxied(&post.id, "c1", "").await;
    assert_eq!(ids(&recs)[0], "PH", "{:?}", ids(&recs));
    assert_eq!(recs.products[0].reason, "goes_with_your_order");
    // Buy again: R is rebought about every 30 days (three repurchases shop-wide); c3 bought it
    // 31 days ago, so it is due; S, bought once, is not replenishable.
    let ids_map = db::catalog::product_ids(&app.db, fixture_shop)
        .await
        .unwrap();
    let customers = db::orders::insert_customers(
        &app.db,
        fixture_shop,
        &[("c3".to_owned(), Utc::now()), ("c4".to_owned(), Utc::now())],
    )
    .await
    .unwrap();
    let day = chrono::Duration::days(1);
    let order = |id: &str, customer: &str, ago_days: i64, product: &str| NewOrder {
        platform_id: id.into(),
        customer_id: Some(customers[customer]),
        currency: "USD".into(),
        placed_at: Utc::now() - day * ago_days as i32,
        lines: vec![NewLine {
            product_id: Some(ids_map[product]),
            platform_product_id: product.into(),
            quantity: 1,
            unit_price_minor: 100,
        }],
    };
    db::orders::insert_orders(
        &app.db,
        fixture_shop,
        &[
            order("r1", "c3", 91, "PE"),
            order("r2", "c3", 61, "PE"),
            order("r3", "c3", 31, "PE"),
            order("r4", "c4", 70, "PE"),
            order("r5", "c4", 40, "PE"),
            order("s1", "c3", 31, "PF"),
        ],
        |_| {},
    )
    .await
    .unwrap();
    // Models look at the database at most once a second.
    tokio::time::sleep(
        attune_server::services::recommend::RECHECK + std::time::Duration::from_millis(100),
    )
    .await;
    let again = create_widget(&app, SHOP, widget_body("Again", "home", "buy_again", 3)).await;
    let recs = proxied(&again.id, "c3", "&explain=1").await;
    assert_eq!(ids(&recs)[0], "PE", "{:?}", ids(&recs));
    assert_eq!(recs.products[0].reason, "buy_again");
    let e = recs.products[0].explanation.as_ref().unwrap();
    assert!(e.parts[0].contains("every 30 days"), "{e:?}");
    assert!(
        recs.products
            .iter()
            .skip(1)
            .all(|p| p.reason != "buy_again"),
        "only E is due"
    );
}

/// The admin's preview: the list a shopper would get, always with explanations.
async fn widget_preview(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    load_fixture(&app, OTHER_SHOP).await;
    let w = create_widget(
        &app,
        SHOP,
        widget_body("FBT", "product_page", "frequently_bought_together", 2),
    )
    .await;
    let url = |q: &str| app.url(&format!("/api/admin/widgets/{}/preview?{q}", w.id));
    let recs: Recommendations = app
        .client
        .get(url("product=PA"))
        .bearer_auth(session_token_for(SHOP))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&recs), ["PB", "PC"]);
    assert!(recs.products.iter().all(|p| p.explanation.is_some()));
    let r = app
        .client
        .get(url("product=%3Cx%3E"))
        .bearer_auth(session_token_for(SHOP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .get(url(""))
        .bearer_auth(session_token_for(OTHER_SHOP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "another shop cannot preview it");
    assert_eq!(app.client.get(url("")).send().await.unwrap().status(), 401);
}

both_backends!(
    health,
    widget_preview,
    lifecycle_strategies,
    merchant_controls,
    similar_items_and_explanations,
    unknown_route_is_json_404,
    admin_api_requires_a_valid_session_token,
    widget_crud,
    widget_validation_names_fields,
    shops_cannot_see_each_others_widgets,
    recommendations_use_co_purchases_then_popularity,
    storefront_rejects_bad_input_with_named_errors,
    app_proxy_verifies_signature_and_personalizes,
    two_processes_behave_as_one,
    bad_input_everywhere_gets_json_4xx,
    admin_document_is_bound_to_the_verified_shop,
);

/// Every endpoint answers bad input with a 4xx JSON body naming the problem.
async fn bad_input_everywhere_gets_json_4xx(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let token = session_token_for(SHOP);
    let c = &app.client;
    let w = create_widget(&app, SHOP, widget_body("W", "home", "popular", 2)).await;
    let requests = vec![
        c.patch(app.url("/api/admin/widgets")).bearer_auth(&token),
        c.post(app.url(&format!("/api/admin/widgets/{}", w.id)))
            .bearer_auth(&token),
        c.post(app.url("/api/admin/widgets"))
            .bearer_auth(&token)
            .json(&json!([1, 2])),
        c.post(app.url("/api/admin/widgets"))
            .bearer_auth(&token)
            .json(&json!({"max_products": "four"})),
        c.put(app.url(&format!("/api/admin/widgets/{}", w.id)))
            .bearer_auth(&token)
            .json(&json!(null)),
        c.get(app.url("/api/admin/widgets/%00")).bearer_auth(&token),
        c.post(app.url("/storefront/recommendations")),
        c.get(app.url("/storefront/recommendations?widget=%ZZ")),
        c.get(app.url("/proxy/recommendations?signature=zz&shop=a&timestamp=x")),
        c.get(app.url("/static/does-not-exist.js")),
        c.post(app.url("/healthz")),
        c.get(app.url("/demo")),
    ];
    for rb in requests {
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let url = r.url().to_string();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = r.text().await.unwrap();
        assert!((400..500).contains(&status), "{url}: {status} {body}");
        assert!(ct.starts_with("application/json"), "{url}: {ct} {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert!(
            !v["error"].as_str().unwrap().is_empty() && !v["message"].as_str().unwrap().is_empty(),
            "{url}: {v}"
        );
    }
}

/// The admin document: framed only by the verified shop, bounced without a valid id_token.
async fn admin_document_is_bound_to_the_verified_shop(backend: Backend) {
    let app = spawn_app(backend).await;
    load_fixture(&app, SHOP).await;
    let r = app
        .client
        .get(app.url(&format!("/admin?shop={SHOP}&host=abc&embedded=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/auth/session-token?shopify-reload="),
        "{location}"
    );
    let r = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-security-policy"],
        format!("frame-ancestors https://{SHOP} https://admin.shopify.com;")
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("cdn.shopify.com/shopifycloud/app-bridge.js")
    );

    let token = session_token_for(SHOP);
    let r = app
        .client
        .get(app.url(&format!("/admin?shop={SHOP}&id_token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-security-policy"],
        format!("frame-ancestors https://{SHOP} https://admin.shopify.com;")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!(
        r#"<meta name="shopify-api-key" content="{API_KEY}">"#
    )));
    assert!(html.contains("app-bridge.js"));
    // A spoofed shop parameter never reaches the CSP.
    let r = app
        .client
        .get(app.url("/auth/session-token?shop=evil.com%20https://x"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-security-policy"],
        "frame-ancestors https://admin.shopify.com;"
    );
}
