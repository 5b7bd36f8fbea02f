//! Strategies and merchant controls: similar items and explanations, pins, exclusions, stock and
//! diversity rules, buy again, cart cross-sell and post-purchase.

use super::*;

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

both_backends!(
    similar_items_and_explanations,
    merchant_controls,
    lifecycle_strategies,
);
