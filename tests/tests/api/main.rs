//! The HTTP API end to end: health, admin auth, widgets, storefront recommendations and the
//! app proxy, on SQLite and on PostgreSQL. The shared fixture lives here; the tests, by area, in
//! `admin`, `storefront` and `strategies`.
#![allow(clippy::unwrap_used)]

use attune_api::storefront::Recommendations;
use attune_api::widgets::Widget;
use attune_server::db::catalog::NewProduct;
use attune_server::db::orders::{NewLine, NewOrder};
use attune_server::db::{self, ShopId};
use attune_tests::*;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

mod admin;
mod storefront;
mod strategies;

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

fn ids(recs: &Recommendations) -> Vec<&str> {
    recs.products.iter().map(|p| p.id.as_str()).collect()
}
