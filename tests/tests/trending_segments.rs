//! Trending within segments: a trending widget limited to a segment ranks what that segment's
//! customers buy, not what the whole shop buys, and says so in its explanation.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use attune_api::storefront::Recommendations;
use attune_server::db;
use attune_tests::*;
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

async fn token(app: &TestApp) -> String {
    let v: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap().to_owned()
}

async fn trending_in_a_segment(backend: Backend) {
    let app = spawn_demo(backend).await;
    let token = token(&app).await;
    let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    // Frequent customers: 8 or more orders.
    let r = app
        .client
        .post(app.url("/api/admin/segments"))
        .bearer_auth(&token)
        .json(&json!({"name": "Frequent", "rules": {"all": [{"field": "orders_count", "op": "gte", "value": 8}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let segment = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .post(app.url("/api/admin/widgets"))
        .bearer_auth(&token)
        .json(&json!({"name": "Hot with regulars", "placement": "home", "strategy": "trending",
            "max_products": 6, "title": "Trending", "rules": {"segments": [segment], "in_stock_only": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{:?}", r.text().await);
    let widget = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A member: the demo customer with the most orders.
    let mut orders: HashMap<i64, usize> = HashMap::new();
    for (c, ..) in db::orders::customer_orders(&app.db, shop).await.unwrap() {
        *orders.entry(c).or_default() += 1;
    }
    let (&member_row, &n) = orders.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(n >= 8, "the demo has a frequent customer");
    let members: Vec<i64> = orders
        .iter()
        .filter(|(_, n)| **n >= 8)
        .map(|(c, _)| *c)
        .collect();
    use sea_orm::EntityTrait;
    let member = attune_server::db::entities::customer::Entity::find_by_id(member_row)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .platform_id;
    let q = proxy_query(&format!(
        "widget={widget}&explain=1&shop={DEMO_SHOP}&logged_in_customer_id={member}&path_prefix=%2Fapps%2Fattune&timestamp={}",
        now()
    ));
    let recs: Recommendations = app
        .client
        .get(app.url(&format!("/proxy/recommendations?{q}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!recs.products.is_empty());
    let first = &recs.products[0];
    assert_eq!(
        first.explanation.as_ref().unwrap().source,
        "trending_in_segment",
        "{recs:?}"
    );
    // The top product was bought by a member of the segment.
    let lines = db::orders::customer_lines(&app.db, shop).await.unwrap();
    let products: HashMap<i64, String> = db::catalog::attributes(&app.db, shop)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, pid, ..)| (id, pid))
        .collect();
    assert!(
        lines
            .iter()
            .any(|(c, p, ..)| members.contains(c) && products[p] == first.id),
        "{} was not bought by a frequent customer",
        first.id
    );
}

both_backends!(trending_in_a_segment);
