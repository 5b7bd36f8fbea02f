//! Health, admin authentication, widget CRUD and validation, shop isolation, the preview and
//! the admin document.

use super::*;

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
    let get_with = |token: String| app.client.get(&url).bearer_auth(token).send();
    // No token.
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-shopify-retry-invalid-session-request"], "1");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert!(body["message"].as_str().unwrap().contains("session token"));
    // Signed with the wrong secret.
    let forged = session_token_with(SHOP, "not-the-secret", now() as i64);
    let r = get_with(forged).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-shopify-retry-invalid-session-request"], "1");
    // Expired.
    let expired = session_token_with(SHOP, API_SECRET, now() as i64 - 600);
    let r = get_with(expired).await.unwrap();
    assert_eq!(r.status(), 401);
    // Valid token, but for a shop that never installed.
    let r = get_with(session_token_for("stranger.myshopify.com"))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Valid.
    let r = get_with(session_token_for(SHOP)).await.unwrap();
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

both_backends!(
    health,
    unknown_route_is_json_404,
    admin_api_requires_a_valid_session_token,
    widget_crud,
    widget_validation_names_fields,
    shops_cannot_see_each_others_widgets,
    widget_preview,
    bad_input_everywhere_gets_json_4xx,
    admin_document_is_bound_to_the_verified_shop,
);
