//! Widget measurement through the real endpoints, on SQLite and PostgreSQL: the always-on
//! holdout (the same visitors every time, shown nothing), impressions and clicks from the
//! storefront's events, orders attributed within the window, and the widget's report: arms that
//! match the deterministic split, a funnel that counts exactly what happened, and a clean
//! sample-ratio check.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use attune_server::db::entities::{order, order_line};
use attune_server::db::{self, ShopId};
use attune_server::services::recommend::in_holdout;
use attune_tests::*;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

async fn admin_get(app: &TestApp, path: &str) -> Value {
    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = app
        .client
        .get(app.url(path))
        .bearer_auth(session["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn widget_holdout_and_report(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop: ShopId = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let widgets = admin_get(&app, "/api/admin/widgets").await;
    let widget = widgets["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["placement"] == "home")
        .unwrap_or(&widgets["widgets"][0])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let product = db::catalog::page(&app.db, shop, 0, 1).await.unwrap()[0]
        .platform_id
        .clone();

    // 400 visitors see the widget; every fourth clicks a product, every eighth also adds it to
    // the cart and orders it.
    let keys: Vec<String> = (0..400)
        .map(|i| {
            format!(
                "m-{i:04}-{}",
                if backend == Backend::Sqlite { "s" } else { "p" }
            )
        })
        .collect();
    let now_ms = now() as i64 * 1000;
    for (i, key) in keys.iter().enumerate() {
        let mut events = vec![
            json!({"id": format!("{key}-v"), "type": "recommendation_viewed", "widget": widget, "at": now_ms - 3_600_000}),
        ];
        if i % 4 == 0 {
            events.push(json!({"id": format!("{key}-c"), "type": "recommendation_clicked", "widget": widget, "product": product, "at": now_ms - 3_000_000}));
        }
        if i % 8 == 0 {
            events.push(json!({"id": format!("{key}-a"), "type": "product_added_to_cart", "product": product, "quantity": 1, "at": now_ms - 2_900_000}));
        }
        let body = json!({"shop": DEMO_SHOP, "visitor": key, "context": {}, "events": events});
        let r = app
            .client
            .post(app.url("/storefront/events"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{:?}", r.text().await);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while db::events::visitors(&app.db, shop).await.unwrap().len() < keys.len() {
        assert!(Instant::now() < deadline, "visitors not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ids: std::collections::HashMap<String, i64> = db::events::visitors(&app.db, shop)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.visitor_key, v.id))
        .collect();
    let placed = chrono::Utc::now() - chrono::Duration::minutes(45);
    for (i, key) in keys.iter().enumerate().filter(|(i, _)| i % 8 == 0) {
        let o = order::ActiveModel {
            shop_id: Set(shop.get()),
            platform_id: Set(format!("m-order-{i}")),
            name: Set(format!("#M{i}")),
            currency: Set("GBP".into()),
            subtotal_minor: Set(2_500),
            total_minor: Set(2_500),
            discount_minor: Set(0),
            discount_codes: Set(json!([])),
            financial_status: Set("paid".into()),
            placed_at: Set(placed),
            updated_at: Set(placed),
            visitor_id: Set(Some(ids[key])),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        order_line::ActiveModel {
            shop_id: Set(shop.get()),
            order_id: Set(o.id),
            platform_product_id: Set(product.clone()),
            quantity: Set(2),
            unit_price_minor: Set(1_000),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }

    // The holdout: the same visitors every time, shown nothing; the others see products.
    let held: Vec<&String> = keys.iter().filter(|k| in_holdout(&widget, k)).collect();
    assert!(
        (5..=40).contains(&held.len()),
        "{} of 400 held out",
        held.len()
    );
    let ask = |key: String| {
        let url = app.url(&format!(
            "/storefront/recommendations?widget={widget}&visitor={key}"
        ));
        let client = app.client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        let r = ask(held[0].clone()).await;
        assert_eq!(r["holdout"], true);
        assert!(r["products"].as_array().unwrap().is_empty());
    }
    let shown = keys.iter().find(|k| !in_holdout(&widget, k)).unwrap();
    let r = ask(shown.clone()).await;
    assert!(r.get("holdout").is_none());
    assert!(!r["products"].as_array().unwrap().is_empty());

    // The report: arms by the split, the funnel exactly as planted.
    let report = admin_get(&app, &format!("/api/admin/analytics/widgets/{widget}")).await;
    assert_eq!(report["arms"][0]["visitors"], held.len() as u64);
    assert_eq!(
        report["arms"][1]["visitors"],
        (keys.len() - held.len()) as u64
    );
    let shown_idx = |m: usize| {
        keys.iter()
            .enumerate()
            .filter(|(i, k)| i % m == 0 && !in_holdout(&widget, k))
            .count() as u64
    };
    let f = &report["funnel"];
    assert_eq!(f["viewers"], (keys.len() - held.len()) as u64);
    assert_eq!(f["clickers"], shown_idx(4));
    assert_eq!(f["added_to_cart"], shown_idx(8));
    assert_eq!(f["ordered"], shown_idx(8));
    assert_eq!(f["attributed_revenue_minor"], shown_idx(8) as i64 * 2_000);
    assert!(report["srm_p_value"].as_f64().unwrap() > 0.001, "{report}");
    assert!(report["verdict"].as_str().unwrap().len() > 20);
    // The dashboard carries it too.
    let dash = admin_get(&app, "/api/admin/analytics").await;
    assert!(
        dash["reports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["subject"] == "widget" && r["id"] == widget)
    );

    // The dashboard started the daily rollups: they add up to the report.
    let deadline = Instant::now() + Duration::from_secs(60);
    let rows = loop {
        let r = admin_get(&app, "/api/admin/analytics/rollups").await;
        let rows: Vec<Value> = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["subject"] == "widget" && r["id"] == widget)
            .cloned()
            .collect();
        if !rows.is_empty() {
            break rows;
        }
        assert!(Instant::now() < deadline, "no rollups");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let sum = |arm: &str, field: &str| -> i64 {
        rows.iter()
            .filter(|r| r["arm"] == arm)
            .map(|r| r[field].as_i64().unwrap())
            .sum()
    };
    assert_eq!(sum("holdout", "visitors"), held.len() as i64);
    assert_eq!(sum("treated", "visitors"), (keys.len() - held.len()) as i64);
    assert_eq!(
        sum("treated", "orders") + sum("holdout", "orders"),
        (keys.len() as i64 + 7) / 8
    );
    assert_eq!(
        sum("treated", "revenue_minor"),
        report["arms"][1]["revenue_minor"].as_i64().unwrap()
    );
}

both_backends!(widget_holdout_and_report);
