//! `attune demo`'s stand-ins: the demo shop loads from the bundled data, the local admin
//! login yields a real session token, the stand-in app proxy signs like Shopify, and the demo
//! storefront's endpoints reject bad input with JSON errors.
#![allow(clippy::unwrap_used)]

use attune_api::storefront::Recommendations;
use attune_api::widgets::WidgetList;
use attune_tests::*;
use serde_json::Value;

async fn demo_shop_loads_and_login_is_local_only(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop =
        attune_server::db::shops::find_by_domain(&app.db, "shopify", "attune-demo.myshopify.com")
            .await
            .unwrap()
            .unwrap();
    assert!(
        attune_server::db::catalog::count(&app.db, shop.id)
            .await
            .unwrap()
            > 3000
    );
    // Loading again is a no-op, not a duplicate.
    attune_server::services::demo::ensure_loaded(&app.db, |_| {})
        .await
        .unwrap();
    assert!(
        attune_server::db::catalog::count(&app.db, shop.id)
            .await
            .unwrap()
            < 4000
    );

    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    let list: WidgetList = app
        .client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.widgets.len(), 2, "the demo starts with two widgets");
    // Without the token the admin API still refuses.
    assert_eq!(
        app.client
            .get(app.url("/api/admin/widgets"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // The demo admin is never framed.
    let r = app
        .client
        .get(app.url("/admin/widgets"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-security-policy"],
        "frame-ancestors 'none';"
    );
    let html = r.text().await.unwrap();
    assert!(html.contains(r#"<meta name="attune-mode" content="demo">"#));
}

async fn stand_in_proxy_signs_and_personalizes(backend: Backend) {
    let app = spawn_demo(backend).await;
    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: WidgetList = app
        .client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(session["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let for_you = list
        .widgets
        .iter()
        .find(|w| w.strategy.as_str() == "for_you")
        .unwrap();
    let shoppers = attune_server::services::demo::shoppers();
    let mut seen = Vec::new();
    for customer in [
        "",
        shoppers[0].customer_id.as_str(),
        shoppers[1].customer_id.as_str(),
    ] {
        let r = app
            .client
            .get(app.url(&format!("/apps/attune/recommendations?widget={}&shop=evil.myshopify.com&logged_in_customer_id=1", for_you.id)))
            .header("cookie", format!("attune_demo_customer={customer}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let recs: Recommendations = r.json().await.unwrap();
        assert_eq!(recs.products.len(), 6);
        let ids: Vec<String> = recs.products.iter().map(|p| p.id.clone()).collect();
        assert!(!seen.contains(&ids), "{customer}: {ids:?}");
        seen.push(ids);
    }
    // A known shopper's "for you" comes from the next-basket model: their own likely repeat
    // purchases blended with products they have not bought, each explained.
    let r = app
        .client
        .get(app.url(&format!(
            "/apps/attune/recommendations?widget={}&explain=1",
            for_you.id
        )))
        .header(
            "cookie",
            format!("attune_demo_customer={}", shoppers[0].customer_id),
        )
        .send()
        .await
        .unwrap();
    let recs: Recommendations = r.json().await.unwrap();
    let sources: Vec<String> = recs
        .products
        .iter()
        .map(|p| p.explanation.as_ref().unwrap().source.clone())
        .collect();
    assert!(
        sources
            .iter()
            .all(|s| s.starts_with("next_basket") || s == "trending"),
        "{sources:?}"
    );
    assert!(
        sources.iter().any(|s| s == "next_basket_repeat"),
        "{sources:?}"
    );
}

async fn demo_pages_reject_bad_input(backend: Backend) {
    let app = spawn_demo(backend).await;
    let c = &app.client;
    let requests = vec![
        c.post(app.url("/demo/shopper"))
            .form(&[("customer", "12345")]),
        c.post(app.url("/demo/shopper")).body("no form here"),
        c.get(app.url("/demo/products/no-such-product")),
        c.get(app.url("/demo/assets/passwd")),
        c.get(app.url("/demo?page=minus-one")),
        c.get(app.url("/apps/attune/nope")),
        c.get(app.url("/apps/attune/recommendations?widget=bad")),
    ];
    for rb in requests {
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let url = r.url().to_string();
        let body = r.text().await.unwrap();
        assert!((400..500).contains(&status), "{url}: {status} {body}");
        let v: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{url}: not JSON: {body}"));
        assert!(!v["message"].as_str().unwrap().is_empty());
    }
    // Switching shopper redirects only within the demo store.
    let shopper = attune_server::services::demo::shoppers()[0]
        .customer_id
        .clone();
    let r = c
        .post(app.url("/demo/shopper"))
        .form(&[
            ("customer", shopper.as_str()),
            ("back", "https://evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/demo");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // The theme's product links land on the demo product page.
    let r = c
        .get(app.url("/products/some-handle"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/demo/products/some-handle");
}

async fn backtest_on_the_demo_history(backend: Backend) {
    let app = spawn_demo(backend).await;
    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    let list: WidgetList = app
        .client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for w in &list.widgets {
        let r = app
            .client
            .post(app.url(&format!("/api/admin/widgets/{}/backtest", w.id)))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let b: attune_api::backtest::BacktestResult = r.json().await.unwrap();
        println!("{} {:?}", w.strategy.as_str(), b);
        assert!(b.users > 500, "{b:?}");
        for m in [b.widget, b.baseline] {
            assert!(
                (0.0..=1.0).contains(&m.ndcg)
                    && (0.0..=1.0).contains(&m.recall)
                    && (0.0..=1.0).contains(&m.hit_rate)
            );
        }
        assert!(
            b.widget.ndcg > b.baseline.ndcg,
            "{} should beat best sellers on this history: {b:?}",
            w.strategy.as_str()
        );
    }
}

both_backends!(
    backtest_on_the_demo_history,
    demo_shop_loads_and_login_is_local_only,
    stand_in_proxy_signs_and_personalizes,
    demo_pages_reject_bad_input,
);
