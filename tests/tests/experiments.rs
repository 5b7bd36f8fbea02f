//! A/B/n experiments through the real endpoints, on SQLite and PostgreSQL: validation that
//! names the arm and field, one running experiment per subject, visitors served their arm's
//! recommender (or offer) the same way every time, and results per arm against the control
//! whose visitor counts match the deterministic split, with a clean sample-ratio check.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use attune_api::experiments::Arm;
use attune_server::db::{self, ShopId};
use attune_server::services::experiments::arm_of;
use attune_server::services::recommend::in_holdout;
use attune_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(session["token"].as_str().unwrap());
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn fields(v: &Value) -> Vec<String> {
    v["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn arrive(app: &TestApp, keys: &[String], events: impl Fn(&str) -> Vec<Value>) {
    for key in keys {
        let body = json!({"shop": DEMO_SHOP, "visitor": key, "context": {}, "events": events(key)});
        let r = app
            .client
            .post(app.url("/storefront/events"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202);
    }
}

async fn stored(app: &TestApp, shop: ShopId, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while db::events::visitors(&app.db, shop).await.unwrap().len() < n {
        assert!(Instant::now() < deadline, "visitors not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn widget_experiment(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let (s, w) = admin(&app, Method::POST, "/api/admin/widgets", Some(json!({
        "name": "Home picks", "placement": "home", "strategy": "popular", "max_products": 4, "title": "Picks"
    }))).await;
    assert_eq!(s, 201, "{w}");
    let widget = w["id"].as_str().unwrap().to_owned();

    // Bad input names the arm and the field.
    let (s, v) = admin(
        &app,
        Method::POST,
        "/api/admin/experiments",
        Some(json!({
            "name": "x", "subject": "widget", "subject_id": widget,
            "arms": [{"name": "A", "weight": 1, "strategy": "popular"}, {"name": "a", "weight": 0}],
        })),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let f = fields(&v);
    for want in ["arms[1].name", "arms[1].weight", "arms[1].strategy"] {
        assert!(f.contains(&want.to_owned()), "{want} in {f:?}");
    }
    let arms = json!([
        {"name": "Best sellers", "weight": 1, "strategy": "popular"},
        {"name": "Trending", "weight": 1, "strategy": "trending"},
        {"name": "Similar", "weight": 2, "strategy": "similar_items"},
    ]);
    let (s, e) = admin(&app, Method::POST, "/api/admin/experiments", Some(json!({
        "name": "Which recommender?", "subject": "widget", "subject_id": widget, "arms": arms, "status": "running",
    }))).await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_i64().unwrap();
    assert!(e["started_at"].is_string());
    // A second running experiment on the same widget is refused.
    let (s, v) = admin(&app, Method::POST, "/api/admin/experiments", Some(json!({
        "name": "Again", "subject": "widget", "subject_id": widget, "arms": arms, "status": "running",
    }))).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(fields(&v), ["status"]);

    // Each visitor gets their arm's recommender, every time.
    let parsed: Vec<Arm> = serde_json::from_value(arms.clone()).unwrap();
    let keys: Vec<String> = (0..240).map(|i| format!("x-{i:04}")).collect();
    for key in keys.iter().take(12).filter(|k| !in_holdout(&widget, k)) {
        let arm = &parsed[arm_of(id, &parsed, key)];
        for _ in 0..2 {
            let r: Value = app
                .client
                .get(app.url(&format!(
                    "/storefront/recommendations?widget={widget}&visitor={key}"
                )))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                r["widget"]["strategy"],
                json!(arm.strategy.unwrap()),
                "{key}"
            );
        }
    }

    // Results: visitors who saw the widget (its holdout aside), by arm.
    let ms = now() as i64 * 1000;
    arrive(&app, &keys, |k| vec![json!({"id": format!("{k}-v"), "type": "recommendation_viewed", "widget": widget, "at": ms})]).await;
    stored(&app, shop, keys.len()).await;
    let (s, r) = admin(
        &app,
        Method::GET,
        &format!("/api/admin/experiments/{id}/results"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let mut want = vec![0u64; 3];
    for k in keys.iter().filter(|k| !in_holdout(&widget, k)) {
        want[arm_of(id, &parsed, k)] += 1;
    }
    let got: Vec<u64> = r["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["summary"]["visitors"].as_u64().unwrap())
        .collect();
    assert_eq!(got, want);
    assert!(r["srm_p_value"].as_f64().unwrap() > 0.001, "{r}");
    assert!(r["arms"][0]["metrics"].as_array().unwrap().is_empty());
    assert_eq!(r["arms"][1]["metrics"].as_array().unwrap().len(), 4);
    assert!(
        r["arms"][2]["verdict"]
            .as_str()
            .unwrap()
            .starts_with("Not enough data yet"),
        "{r}"
    );

    // Stopped: everyone is back on the widget's own recommender.
    let (s, _) = admin(&app, Method::PUT, &format!("/api/admin/experiments/{id}"), Some(json!({
        "name": "Which recommender?", "subject": "widget", "subject_id": widget, "arms": arms, "status": "stopped",
    }))).await;
    assert_eq!(s, 200);
    let key = keys
        .iter()
        .find(|k| !in_holdout(&widget, k) && arm_of(id, &parsed, k) == 2)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r: Value = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={widget}&visitor={key}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["widget"]["strategy"], "popular");
}

async fn offer_experiment(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let offer = |name: &str, pct: u32, status: &str| {
        json!({
            "name": name, "status": status, "kind": "percentage", "percentage": pct, "headline": format!("{pct}% off"), "holdout_percent": 5
        })
    };
    let (_, a) = admin(
        &app,
        Method::POST,
        "/api/admin/offers",
        Some(offer("Ten", 10, "active")),
    )
    .await;
    let (_, b) = admin(
        &app,
        Method::POST,
        "/api/admin/offers",
        Some(offer("Fifteen", 15, "draft")),
    )
    .await;
    let (a, b) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let arms =
        json!([{"name": "10%", "weight": 1, "offer": a}, {"name": "15%", "weight": 1, "offer": b}]);
    let (s, v) = admin(&app, Method::POST, "/api/admin/experiments", Some(json!({
        "name": "How much off?", "subject": "offer", "subject_id": a.to_string(),
        "arms": [{"name": "10%", "weight": 1, "offer": a}, {"name": "nope", "weight": 1, "offer": 999_999}], "status": "running",
    }))).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(fields(&v), ["arms[1].offer"]);
    let (s, e) = admin(&app, Method::POST, "/api/admin/experiments", Some(json!({
        "name": "How much off?", "subject": "offer", "subject_id": a.to_string(), "arms": arms, "status": "running",
    }))).await;
    assert_eq!(s, 201, "{e}");
    let id = e["id"].as_i64().unwrap();
    // Both arms' pools fill (the draft one because it is in a running experiment).
    let deadline = Instant::now() + Duration::from_secs(30);
    for o in [a, b] {
        while db::offers::code_counts(&app.db, shop, o).await.unwrap().0 < 20 {
            assert!(Instant::now() < deadline, "pool of offer {o} not filled");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let parsed: Vec<Arm> = serde_json::from_value(arms).unwrap();
    let keys: Vec<String> = (0..40).map(|i| format!("o-{i:04}")).collect();
    let ms = now() as i64 * 1000;
    arrive(&app, &keys, |k| {
        vec![json!({"id": format!("{k}-p"), "type": "page_viewed", "url": "/", "at": ms})]
    })
    .await;
    stored(&app, shop, keys.len()).await;
    let mut shown = [0usize; 2];
    for k in &keys {
        let q = proxy_query(&format!(
            "visitor={k}&shop={DEMO_SHOP}&logged_in_customer_id=&path_prefix=%2Fapps%2Fattune&timestamp={}",
            now()
        ));
        let r: Value = app
            .client
            .get(app.url(&format!("/proxy/offer?{q}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if r["decision"] == "offer" {
            let arm = arm_of(id, &parsed, k);
            assert_eq!(
                r["offer"]["id"],
                parsed[arm].offer.unwrap(),
                "{k} got another arm's offer"
            );
            shown[arm] += 1;
        }
    }
    assert!(shown[0] > 0 && shown[1] > 0, "{shown:?}");
    let (s, r) = admin(
        &app,
        Method::GET,
        &format!("/api/admin/experiments/{id}/results"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let total: u64 = r["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["summary"]["visitors"].as_u64().unwrap())
        .sum();
    let held = db::offers::decisions_since(
        &app.db,
        shop,
        a,
        chrono::Utc::now() - chrono::Duration::days(1),
        1000,
    )
    .await
    .unwrap()
    .into_iter()
    .chain(
        db::offers::decisions_since(
            &app.db,
            shop,
            b,
            chrono::Utc::now() - chrono::Duration::days(1),
            1000,
        )
        .await
        .unwrap(),
    )
    .filter(|d| d.why == "holdout")
    .count() as u64;
    assert_eq!(total + held, keys.len() as u64);
}

both_backends!(widget_experiment, offer_experiment);
