//! The merchant → shopper loop in a real browser (headless Chromium via chromedriver):
//! create a widget in the admin, open the demo storefront, see that widget's products, and
//! see them change with the shopper. Screenshots go to `tests/artifacts/`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use attune_api::storefront::Recommendations;
use attune_tests::browser::{Client, Locator, save_screenshot, start_browser};
use attune_tests::*;

/// Waits until the recommendations block of `widget` shows its cards; returns product ids.
async fn block_products(client: &Client, widget: &str) -> Vec<String> {
    let selector = format!(
        r#"section[data-attune-widget="{widget}"] .attune-grid[data-attune-widget="{widget}"] a[data-attune-product]"#
    );
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(&selector))
        .await
        .unwrap_or_else(|e| panic!("the block of widget {widget} never showed products: {e}"));
    let mut ids = Vec::new();
    for el in client.find_all(Locator::Css(&selector)).await.unwrap() {
        ids.push(el.attr("data-attune-product").await.unwrap().unwrap());
    }
    ids
}

async fn api_products(app: &TestApp, widget: &str, customer: &str) -> Vec<String> {
    let q = proxy_query(&format!(
        "widget={widget}&shop=attune-demo.myshopify.com&logged_in_customer_id={customer}&path_prefix=%2Fapps%2Fattune&timestamp={}",
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
    recs.products.into_iter().map(|p| p.id).collect()
}

async fn merchant_to_shopper_loop(backend: Backend) {
    let bundle = workspace_root().join("public/admin/pkg/attune_frontend_bg.wasm");
    assert!(
        bundle.exists(),
        "the admin bundle is missing: run scripts/build-frontend.sh (the README's test command does)"
    );
    let app = spawn_demo(backend).await;
    let (_driver, c) = start_browser().await;
    let tag = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };

    // The admin: a bad submission shows the error next to its field.
    c.goto(&app.url("/admin/widgets/new")).await.unwrap();
    let name = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#name"))
        .await
        .unwrap();
    let count = c.find(Locator::Css("#max_products")).await.unwrap();
    count.clear().await.unwrap();
    count.send_keys("99").await.unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let err = c
        .wait()
        .for_element(Locator::Css(".field-error[data-field=name]"))
        .await
        .unwrap();
    assert!(err.text().await.unwrap().contains("required"));
    let err = c
        .find(Locator::Css(".field-error[data-field=max_products]"))
        .await
        .unwrap();
    assert!(err.text().await.unwrap().contains("1 to 24"));

    // Now a valid widget for the home page.
    name.send_keys("Browser test picks").await.unwrap();
    count.clear().await.unwrap();
    count.send_keys("5").await.unwrap();
    let title = c.find(Locator::Css("#title")).await.unwrap();
    title.clear().await.unwrap();
    title.send_keys("Hand-picked for you").await.unwrap();
    c.find(Locator::Css("#placement"))
        .await
        .unwrap()
        .select_by_value("home")
        .await
        .unwrap();
    c.find(Locator::Css("#strategy"))
        .await
        .unwrap()
        .select_by_value("for_you")
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let row = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath("//tr[td[text()='Browser test picks']]"))
        .await
        .unwrap();
    let widget = row.attr("data-widget-id").await.unwrap().unwrap();
    save_screenshot(&c, &format!("admin-widgets-{tag}.png")).await;

    // The widget's preview in the admin shows each product with why it is there.
    c.goto(&app.url(&format!("/admin/widgets/{widget}")))
        .await
        .unwrap();
    let first = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(
            "[data-testid=widget-preview] .preview-list li",
        ))
        .await
        .unwrap();
    let text = first.text().await.unwrap();
    assert!(
        text.contains("popular") || text.contains("bought_together"),
        "{text}"
    );
    // The backtest on the shop's own history, next to best sellers.
    c.find(Locator::Css("[data-testid=run-backtest]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let table = c
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(Locator::Css("[data-testid=backtest-result]"))
        .await
        .unwrap();
    let text = table.text().await.unwrap();
    assert!(
        text.contains("This widget") && text.contains("Best sellers"),
        "{text}"
    );
    save_screenshot(&c, &format!("admin-preview-{tag}.png")).await;

    // The storefront renders the theme block for it, filled with that widget's products. The
    // demo's shopper consents by default, so pin one outside the widget's holdout (which
    // measurement.rs covers): a random one would be held out one time in twenty.
    let vid = (0u32..)
        .map(|i| format!("00000000-0000-4000-8000-{i:012x}"))
        .find(|k| !attune_server::services::recommend::in_holdout(&widget, k))
        .unwrap();
    c.goto(&app.url("/demo")).await.unwrap();
    c.execute(
        &format!("localStorage.setItem('attune_vid', '{vid}');"),
        vec![],
    )
    .await
    .unwrap();
    c.goto(&app.url("/demo")).await.unwrap();
    let anonymous = block_products(&c, &widget).await;
    assert_eq!(anonymous.len(), 5, "{anonymous:?}");
    assert_eq!(anonymous, api_products(&app, &widget, "").await);
    let heading = c
        .find(Locator::Css(&format!(
            r#"section[data-attune-widget="{widget}"] h2"#
        )))
        .await
        .unwrap();
    assert_eq!(heading.text().await.unwrap(), "Hand-picked for you");

    // Different shoppers see different products.
    let shoppers = attune_server::services::demo::shoppers();
    let mut seen = vec![anonymous];
    for s in shoppers.iter().take(2) {
        c.find(Locator::Css("#shopper"))
            .await
            .unwrap()
            .select_by_value(&s.customer_id)
            .await
            .unwrap();
        // Selecting submits the form; wait for the page that knows the shopper.
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(&format!(
                "#shopper option[value='{}'][selected]",
                s.customer_id
            )))
            .await
            .unwrap();
        let products = block_products(&c, &widget).await;
        assert_eq!(
            products,
            api_products(&app, &widget, &s.customer_id).await,
            "shopper {}",
            s.customer_id
        );
        assert!(
            !seen.contains(&products),
            "shopper {} saw the same products as someone else: {products:?}",
            s.customer_id
        );
        seen.push(products);
    }
    save_screenshot(&c, &format!("demo-storefront-{tag}.png")).await;
    c.close().await.unwrap();
}

both_backends!(merchant_to_shopper_loop);
