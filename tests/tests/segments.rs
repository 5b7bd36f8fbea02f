//! Segments through the admin API and the storefront, on the demo shop's real order history:
//! templates that validate and count, rule errors that name their field, references that must
//! exist and not loop, counts checked against the database, behaviour picked up from posted
//! events, widgets shown only to their segments, micro-segments and the size trend.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use attune_api::segments::{MicroSegmentList, SegmentList, SegmentPreview};
use attune_api::storefront::Recommendations;
use attune_server::db::{self, ShopId};
use attune_tests::*;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

/// The demo app, called as its merchant.
struct Admin {
    app: TestApp,
    shop: ShopId,
}

impl Admin {
    async fn start(backend: Backend) -> Self {
        let app = spawn_demo(backend).await;
        let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
            .await
            .unwrap()
            .unwrap()
            .id;
        Admin { app, shop }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .app
            .client
            .request(method, self.app.url(path))
            // Session tokens live a minute, less than a slow run of this file.
            .bearer_auth(session_token_for(DEMO_SHOP));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Creates a segment; its id.
    async fn create(&self, name: &str, rules: Value) -> String {
        let body = json!({"name": name, "rules": rules});
        let (status, answer) = self
            .call(Method::POST, "/api/admin/segments", Some(body))
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["id"].as_str().unwrap().to_owned()
    }

    async fn preview(&self, rules: Value) -> SegmentPreview {
        let body = json!({"rules": rules});
        let (status, answer) = self
            .call(Method::POST, "/api/admin/segments/preview", Some(body))
            .await;
        assert_eq!(status, 200, "{answer}");
        serde_json::from_value(answer).unwrap()
    }

    async fn list(&self) -> SegmentList {
        serde_json::from_value(self.get("/api/admin/segments").await).unwrap()
    }

    /// A best-sellers widget shown only to `segments`; its id.
    async fn widget_for(&self, segments: &[&str]) -> String {
        let body = json!({"name": "Segment only", "placement": "home", "strategy": "popular",
            "max_products": 4, "title": "For you", "rules": {"segments": segments}});
        let (status, answer) = self
            .call(Method::POST, "/api/admin/widgets", Some(body))
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["id"].as_str().unwrap().to_owned()
    }

    /// The storefront's products of `widget` for `visitor`.
    async fn shown_to(&self, widget: &str, visitor: &str) -> usize {
        let path = format!("/storefront/recommendations?widget={widget}&visitor={visitor}");
        let r = self
            .app
            .client
            .get(self.app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Recommendations>().await.unwrap().products.len()
    }

    /// Posts `product_viewed` events, as the storefront script does.
    async fn viewed(&self, visitor: &str, products: &[String]) {
        let at = now() as i64 * 1000;
        let events: Vec<Value> = products
            .iter()
            .enumerate()
            .map(|(i, p)| json!({"id": format!("{visitor}-{p}-{i}"), "type": "product_viewed", "at": at, "product": p}))
            .collect();
        let body = json!({"shop": DEMO_SHOP, "visitor": visitor, "events": events});
        let r = self
            .app
            .client
            .post(self.app.url("/storefront/events"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 202, "{:?}", r.text().await);
    }

    /// Orders per customer (our row ids), straight from the database.
    async fn orders_per_customer(&self) -> HashMap<i64, Vec<i64>> {
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for (customer, _, total, _) in db::orders::customer_orders(&self.app.db, self.shop)
            .await
            .unwrap()
        {
            out.entry(customer).or_default().push(total);
        }
        out
    }
}

/// The fields a 422 names.
fn fields(answer: &Value) -> Vec<&str> {
    answer["fields"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default()
}

async fn templates_validate_count_and_save(backend: Backend) {
    let admin = Admin::start(backend).await;
    let orders = admin.orders_per_customer().await;
    let customers = orders.len() as u64;
    assert_eq!(customers, 920, "the demo sample's customers");
    let repeat_buyers = orders.values().filter(|o| o.len() >= 3).count() as u64;
    let templates = admin.get("/api/admin/segments/templates").await;
    let templates = templates["templates"].as_array().unwrap();
    // What each template holds in a fresh demo: 920 customers who last ordered in 2011,
    // none with a discount, and no storefront visits yet. VIPs depend on fitted scores.
    let expected: [(&str, Option<u64>); 8] = [
        ("new_visitor", Some(0)),
        ("returning_visitor", Some(customers)),
        ("vip", None),
        ("cart_abandoner", Some(0)),
        ("lapsed_customer", Some(customers)),
        ("discount_seeker", Some(0)),
        ("high_intent", Some(0)),
        ("paid_social", Some(0)),
    ];
    let ids: Vec<&str> = templates
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected.map(|e| e.0));
    let mut counts = HashMap::new();
    for (t, (id, count)) in templates.iter().zip(expected) {
        let preview = admin.preview(t["rules"].clone()).await;
        assert_eq!(preview.total, customers, "{id}");
        match count {
            Some(n) => assert_eq!(preview.count, n, "{id}"),
            None => assert!(
                0 < preview.count && preview.count <= repeat_buyers,
                "{id}: {preview:?}"
            ),
        }
        assert_eq!(preview.sample.len() as u64, preview.count.min(10), "{id}");
        counts.insert(id, preview.count);
    }
    // Saved only now: every save makes the admin's next count rebuild its view.
    for t in templates {
        let body = json!({"name": t["name"], "description": t["description"],
            "rules": t["rules"], "template": t["id"]});
        let (status, answer) = admin
            .call(Method::POST, "/api/admin/segments", Some(body))
            .await;
        assert_eq!(status, 201, "{}: {answer}", t["id"]);
    }

    // Listing counts every segment and records today's size: the trend's only point so far.
    let list = admin.list().await;
    assert_eq!(list.segments.len(), 8);
    for s in &list.segments {
        let template = s.template.as_deref().unwrap();
        assert_eq!(s.size, counts[template], "{template}");
        assert_eq!(s.trend, [s.size], "{template}");
        assert!(!s.description.is_empty(), "{template}");
    }
}

async fn bad_rules_name_their_field(backend: Backend) {
    let admin = Admin::start(backend).await;
    let bad = [
        (
            json!({"field": "orders_count", "op": "bigger", "value": 3}),
            "rules.op",
        ),
        (
            json!({"field": "shoe_size", "op": "eq", "value": 42}),
            "rules.field",
        ),
        (
            json!({"field": "orders_count", "op": "gte", "value": "three"}),
            "rules.value",
        ),
        (
            json!({"all": [{"field": "orders_count", "op": "gte", "value": 1},
                           {"field": "is_customer", "op": "eq", "value": "yes"}]}),
            "rules.all[1].value",
        ),
        (
            json!({"event": "product_viewed", "vendor": "X", "at_least": 0}),
            "rules.at_least",
        ),
        (
            json!({"event": "page_viewed", "vendor": "X"}),
            "rules.vendor",
        ),
        (json!({"segment": "seg_nobody"}), "rules"),
    ];
    for (rules, field) in bad {
        for (method, path) in [
            (Method::POST, "/api/admin/segments"),
            (Method::POST, "/api/admin/segments/preview"),
        ] {
            let body = json!({"name": "Bad", "rules": rules});
            let (status, answer) = admin.call(method, path, Some(body)).await;
            assert_eq!(status, 422, "{path} {rules}: {answer}");
            assert_eq!(fields(&answer), [field], "{path} {rules}: {answer}");
        }
    }
    let (status, answer) = admin
        .call(
            Method::POST,
            "/api/admin/segments",
            Some(json!({"rules": {"field": "orders_count", "op": "gte", "value": 3}})),
        )
        .await;
    assert_eq!((status, fields(&answer)), (422, vec!["name"]), "{answer}");
    assert!(
        admin.list().await.segments.is_empty(),
        "nothing bad was saved"
    );

    // Update, then a reference, then a loop between the two.
    let repeat = admin
        .create(
            "Repeat",
            json!({"field": "orders_count", "op": "gte", "value": 2}),
        )
        .await;
    let body = json!({"name": "Repeat buyers", "description": "Two orders or more",
        "rules": {"field": "orders_count", "op": "gte", "value": 3}});
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/admin/segments/{repeat}"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = admin
        .call(Method::PUT, "/api/admin/segments/seg_nobody", Some(body))
        .await;
    assert_eq!(status, 404);
    let big = admin
        .create(
            "Big repeat buyers",
            json!({"all": [{"segment": repeat}, {"field": "total_spent", "op": "gte", "value": 100_000}]}),
        )
        .await;
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/admin/segments/{repeat}"),
            Some(json!({"name": "Loop", "rules": {"segment": big}})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(fields(&answer), ["rules"], "{answer}");
    assert!(
        answer["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("refer to each other"),
        "{answer}"
    );
    let list = admin.list().await;
    let saved = list.segments.iter().find(|s| s.id == repeat).unwrap();
    assert_eq!(saved.name, "Repeat buyers");
    assert_eq!(saved.description, "Two orders or more");
    assert_eq!(
        saved.rules,
        json!({"field": "orders_count", "op": "gte", "value": 3}),
        "the loop was not saved"
    );

    // A segment another one uses stays until that one goes.
    let (status, answer) = admin
        .call(
            Method::DELETE,
            &format!("/api/admin/segments/{repeat}"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("Big repeat buyers"),
        "{answer}"
    );
    for id in [&big, &repeat] {
        let (status, _) = admin
            .call(Method::DELETE, &format!("/api/admin/segments/{id}"), None)
            .await;
        assert_eq!(status, 204);
    }
    let (status, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/admin/segments/{repeat}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert!(admin.list().await.segments.is_empty());
}

async fn a_targeted_segment_cannot_be_deleted(backend: Backend) {
    let admin = Admin::start(backend).await;
    let body = json!({"name": "Unknown audience", "placement": "home", "strategy": "popular",
        "max_products": 4, "title": "Picks", "rules": {"segments": ["seg_nobody"]}});
    let (status, answer) = admin
        .call(Method::POST, "/api/admin/widgets", Some(body))
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(fields(&answer), ["rules.segments[0]"], "{answer}");

    let segment = admin
        .create(
            "Customers",
            json!({"field": "is_customer", "op": "eq", "value": true}),
        )
        .await;
    let widget = admin.widget_for(&[&segment]).await;
    let (status, answer) = admin
        .call(
            Method::DELETE,
            &format!("/api/admin/segments/{segment}"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("Segment only"),
        "the message names the widget: {answer}"
    );
    assert_eq!(admin.list().await.segments.len(), 1);

    let body = json!({"name": "Everyone", "placement": "home", "strategy": "popular",
        "max_products": 4, "title": "Picks"});
    let (status, answer) = admin
        .call(
            Method::PUT,
            &format!("/api/admin/widgets/{widget}"),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let (status, _) = admin
        .call(
            Method::DELETE,
            &format!("/api/admin/segments/{segment}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
}

async fn preview_counts_what_the_database_holds(backend: Backend) {
    let admin = Admin::start(backend).await;
    let orders = admin.orders_per_customer().await;
    let anonymous = db::events::visitors(&admin.app.db, admin.shop)
        .await
        .unwrap()
        .iter()
        .filter(|v| v.customer_id.is_none())
        .count();
    let profiles = (orders.len() + anonymous) as u64;
    let count = |keep: &dyn Fn(&Vec<i64>) -> bool| orders.values().filter(|o| keep(o)).count();
    let three_or_more = count(&|o| o.len() >= 3) as u64;
    let big_spenders = count(&|o| o.iter().sum::<i64>() >= 100_000) as u64;
    let exactly_one = count(&|o| o.len() == 1) as u64;
    // The sample's 200 single-order customers, and more than that many repeat buyers.
    assert_eq!(exactly_one, 200);
    assert!(three_or_more > 200, "{three_or_more}");

    let rule = json!({"field": "orders_count", "op": "gte", "value": 3});
    let p = admin.preview(rule.clone()).await;
    assert_eq!((p.count, p.total), (three_or_more, profiles));
    assert_eq!(p.sample.len(), 10);
    assert!(
        p.sample
            .iter()
            .all(|m| m.is_customer && m.orders_count >= 3),
        "{:?}",
        p.sample
    );
    let p = admin.preview(json!({"not": rule})).await;
    assert_eq!(p.count, profiles - three_or_more);
    let p = admin
        .preview(json!({"field": "orders_count", "op": "eq", "value": 1}))
        .await;
    assert_eq!(p.count, exactly_one);
    let p = admin
        .preview(json!({"field": "total_spent", "op": "gte", "value": 100_000}))
        .await;
    assert_eq!(p.count, big_spenders);
    // A saved segment counts the same in the list.
    let id = admin.create("Three or more orders", rule).await;
    let list = admin.list().await;
    assert_eq!(list.segments[0].id, id);
    assert_eq!(list.segments[0].size, three_or_more);
}

/// Platform ids of `n` demo products of one product type.
async fn products_of_type(admin: &Admin, product_type: &str, n: usize) -> Vec<String> {
    let all = db::catalog::attributes(&admin.app.db, admin.shop)
        .await
        .unwrap();
    let ids: Vec<String> = all
        .into_iter()
        .filter(|p| p.2 == product_type)
        .map(|p| p.1)
        .take(n)
        .collect();
    assert_eq!(ids.len(), n, "{product_type}");
    ids
}

async fn behaviour_places_visitors_and_targets_widgets(backend: Backend) {
    let admin = Admin::start(backend).await;
    let signs = products_of_type(&admin, "Signs", 3).await;
    let mugs = products_of_type(&admin, "Mugs & cups", 3).await;
    let (sign_fan, mug_fan) = ("visitor-signs-0001", "visitor-mugs-0002");
    admin.viewed(sign_fan, &signs).await;
    admin.viewed(mug_fan, &mugs).await;

    // Made after the events, so the admin's count (cached for a minute) sees them.
    let rule = json!({"event": "product_viewed", "product_type": "Signs", "at_least": 2, "within_days": 7});
    let segment = admin.create("Sign browsers", rule.clone()).await;
    let p = admin.preview(rule).await;
    assert_eq!((p.count, p.total), (1, 922));
    assert_eq!(p.sample.len(), 1);
    assert_eq!(p.sample[0].visitor, sign_fan);
    assert!(!p.sample[0].is_customer);
    let p = admin
        .preview(json!({"event": "product_viewed", "product_type": "Signs", "at_least": 4}))
        .await;
    assert_eq!(p.count, 0, "three views are not four");
    let p = admin
        .preview(json!({"event": "product_viewed", "at_least": 3, "within_days": 1}))
        .await;
    assert_eq!(p.count, 2);
    // Every demo product has the same vendor.
    let p = admin
        .preview(json!({"event": "product_viewed", "vendor": "online retail", "at_least": 3}))
        .await;
    assert_eq!(p.count, 2, "vendors compare without regard to case");
    assert_eq!(admin.list().await.segments[0].size, 1);

    // Segment targeting is under test here, not the widget's holdout (measurement.rs): take a
    // widget neither shopper is held out of.
    let widget = loop {
        let w = admin.widget_for(&[&segment]).await;
        let holdout = attune_server::services::recommend::in_holdout;
        if !holdout(&w, sign_fan) && !holdout(&w, mug_fan) {
            break w;
        }
    };
    assert_eq!(admin.shown_to(&widget, sign_fan).await, 4);
    assert_eq!(admin.shown_to(&widget, mug_fan).await, 0);
    assert_eq!(admin.shown_to(&widget, "visitor-never-seen").await, 0);
    let path = format!("/storefront/recommendations?widget={widget}");
    let r = admin.app.client.get(admin.app.url(&path)).send().await;
    let recs: Recommendations = r.unwrap().json().await.unwrap();
    assert!(recs.products.is_empty(), "no visitor, no segment");
    // The storefront reads a visitor's events live: two sign views and they are in.
    admin.viewed(mug_fan, &signs[..2]).await;
    assert_eq!(admin.shown_to(&widget, mug_fan).await, 4);
}

async fn customer_rules_target_the_signed_proxy(backend: Backend) {
    let admin = Admin::start(backend).await;
    let orders = admin.orders_per_customer().await;
    use attune_server::db::entities::customer;
    let platform: HashMap<i64, String> = customer::Entity::find()
        .filter(customer::Column::ShopId.eq(admin.shop.get()))
        .all(&admin.app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.platform_id))
        .collect();
    let first = |keep: fn(usize) -> bool| {
        let mut ids: Vec<&String> = orders
            .iter()
            .filter(|(_, o)| keep(o.len()))
            .map(|(c, _)| &platform[c])
            .collect();
        ids.sort();
        ids[0].clone()
    };
    let (regular, newcomer) = (first(|n| n >= 5), first(|n| n == 1));

    let segment = admin
        .create(
            "Regulars",
            json!({"field": "orders_count", "op": "gte", "value": 3}),
        )
        .await;
    let widget = admin.widget_for(&[&segment]).await;
    for (customer, shown) in [(regular.as_str(), 4), (newcomer.as_str(), 0), ("", 0)] {
        let q = proxy_query(&format!(
            "widget={widget}&shop={DEMO_SHOP}&logged_in_customer_id={customer}&path_prefix=%2Fapps%2Fattune&timestamp={}",
            now()
        ));
        let r = admin
            .app
            .client
            .get(admin.app.url(&format!("/proxy/recommendations?{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{customer}");
        let recs: Recommendations = r.json().await.unwrap();
        assert_eq!(recs.products.len(), shown, "customer {customer:?}");
    }
}

async fn micro_segments_split_every_profile(backend: Backend) {
    let admin = Admin::start(backend).await;
    let micro: MicroSegmentList =
        serde_json::from_value(admin.get("/api/admin/segments/micro").await).unwrap();
    assert_eq!(micro.profiles, 920);
    assert!(micro.segments.len() >= 2, "{micro:?}");
    assert_eq!(
        micro.segments.iter().map(|m| m.size).sum::<u64>(),
        micro.profiles
    );
    for m in &micro.segments {
        assert!(m.size > 0, "{m:?}");
        assert!(!m.description.trim().is_empty(), "{m:?}");
        assert!((m.share - m.size as f64 / 920.0).abs() < 1e-9, "{m:?}");
        assert!((0.0..=1.0).contains(&m.buyer_share), "{m:?}");
    }
    let descriptions: std::collections::HashSet<&str> = micro
        .segments
        .iter()
        .map(|m| m.description.as_str())
        .collect();
    assert_eq!(
        descriptions.len(),
        micro.segments.len(),
        "each group is described differently"
    );
    assert!((-1.0..=1.0).contains(&micro.silhouette));
}

both_backends!(
    templates_validate_count_and_save,
    bad_rules_name_their_field,
    a_targeted_segment_cannot_be_deleted,
    preview_counts_what_the_database_holds,
    behaviour_places_visitors_and_targets_widgets,
    customer_rules_target_the_signed_proxy,
    micro_segments_split_every_profile,
);
