//! Storefront recommendations and the app proxy: co-purchases then popularity, named errors,
//! signatures, and two processes sharing one database.

use super::*;

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

both_backends!(
    recommendations_use_co_purchases_then_popularity,
    storefront_rejects_bad_input_with_named_errors,
    app_proxy_verifies_signature_and_personalizes,
    two_processes_behave_as_one,
);
