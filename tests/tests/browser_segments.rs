//! Segments in a real browser: build a segment in the admin with form controls only, see the
//! live count agree with the preview API, save it, limit a widget to it, and see the
//! storefront answer shoppers outside the segment with nothing and those inside with products.
//! Screenshots go to `tests/artifacts/`.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use attune_api::segments::{SegmentInput, SegmentPreview, templates};
use attune_api::storefront::Recommendations;
use attune_api::widgets::{Placement, Strategy, Widget, WidgetInput};
use attune_server::services::demo::{DEMO_SHOP, shoppers};
use attune_tests::browser::{Client, Locator, save_screenshot, start_browser};
use attune_tests::*;
use serde_json::{Value, json};

/// Orders that put a shopper in the segment built here. The demo shoppers have 7 to 17
/// orders, so some fall on each side.
const THRESHOLD: usize = 10;
const NAME: &str = "Frequent buyers";

/// A fresh admin session token: they live a minute, shorter than this test.
async fn admin_token(app: &TestApp) -> String {
    let session: Value = app
        .client
        .post(app.url("/api/admin/demo/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    session["token"].as_str().unwrap().to_owned()
}

async fn preview_count(app: &TestApp, rules: Value) -> u64 {
    let token = admin_token(app).await;
    let r = app
        .client
        .post(app.url("/api/admin/segments/preview"))
        .bearer_auth(&token)
        .json(&SegmentInput::new("", rules))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<SegmentPreview>().await.unwrap().count
}

/// Non-cancelled orders of a demo customer, straight from the database.
async fn orders_of(app: &TestApp, customer: &str) -> usize {
    use attune_server::db::{orders, shops};
    let shop = shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap();
    let row = orders::customer_row_id(&app.db, shop.id, customer)
        .await
        .unwrap()
        .unwrap();
    orders::orders_of_customer(&app.db, shop.id, row)
        .await
        .unwrap()
        .len()
}

async fn storefront_products(app: &TestApp, widget: &str, customer: &str) -> Vec<String> {
    let q = proxy_query(&format!(
        "widget={widget}&shop={DEMO_SHOP}&logged_in_customer_id={customer}&path_prefix=%2Fapps%2Fattune&timestamp={}",
        now()
    ));
    let r = app
        .client
        .get(app.url(&format!("/proxy/recommendations?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let recs: Recommendations = r.json().await.unwrap();
    recs.products.into_iter().map(|p| p.id).collect()
}

/// Long enough for the server's first look at every profile, which the segment pages wait on
/// (tens of seconds on PostgreSQL for the demo shop).
const PATIENCE: Duration = Duration::from_secs(180);

async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// Waits until the editor's live count shows `expected`; fails with what it showed instead.
async fn wait_for_count(c: &Client, expected: u64) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let el = wait_css(c, "[data-testid=segment-count]").await;
        let shown = el.attr("data-count").await.unwrap();
        if shown.as_deref() == Some(expected.to_string().as_str()) {
            return;
        }
        if Instant::now() > deadline {
            let text = el.text().await.unwrap_or_default();
            panic!("the live count shows {shown:?} ({text:?}); the preview API says {expected}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The key of the last condition row, which the row's control ids are made from.
async fn last_row_key(c: &Client) -> String {
    let rows = c
        .find_all(Locator::Css("ol.conditions > li.condition"))
        .await
        .unwrap();
    rows.last()
        .unwrap()
        .attr("data-key")
        .await
        .unwrap()
        .unwrap()
}

async fn select(c: &Client, css: &str, value: &str) {
    wait_css(c, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("could not pick {value} in {css}: {e}"));
}

async fn click(c: &Client, css: &str) {
    wait_css(c, css).await.click().await.unwrap();
}

async fn segment_to_widget_to_storefront(backend: Backend) {
    let bundle = workspace_root().join("public/admin/pkg/attune_frontend_bg.wasm");
    assert!(
        bundle.exists(),
        "the admin bundle is missing: run scripts/build-frontend.sh (the README's test command does)"
    );
    let app = spawn_demo(backend).await;
    let tag = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let (_driver, c) = start_browser().await;

    // From the list to a new segment.
    c.goto(&app.url("/admin/segments")).await.unwrap();
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::LinkText("New segment"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(&c, "#segment-name")
        .await
        .send_keys(NAME)
        .await
        .unwrap();

    // orders_count ≥ THRESHOLD, picked and typed into the row's own controls.
    click(&c, "[data-testid=add-condition]").await;
    let key = last_row_key(&c).await;
    select(&c, &format!("#c{key}-kind"), "field").await;
    select(&c, &format!("#c{key}-field"), "orders_count").await;
    select(&c, &format!("#c{key}-op"), "gte").await;
    wait_css(&c, &format!("#c{key}-value"))
        .await
        .send_keys(&THRESHOLD.to_string())
        .await
        .unwrap();
    let rules = json!({"all": [{"field": "orders_count", "op": "gte", "value": THRESHOLD}]});
    let expected = preview_count(&app, rules).await;
    let everyone = preview_count(&app, json!({"all": []})).await;
    assert!(
        expected > 0 && expected < everyone,
        "the rule should split the shoppers: {expected} of {everyone}"
    );
    wait_for_count(&c, expected).await;
    // The sample is of members: every one has at least THRESHOLD orders.
    let orders = c
        .find_all(Locator::Css(
            "[data-testid=segment-sample] tbody tr td:nth-child(2)",
        ))
        .await
        .unwrap();
    assert!(!orders.is_empty());
    for cell in orders {
        let n: usize = cell.text().await.unwrap().trim().parse().unwrap();
        assert!(n >= THRESHOLD, "a sample member has {n} orders");
    }

    // A row the server rejects shows its message under that row, not elsewhere.
    click(&c, "[data-testid=add-condition]").await;
    let bad = last_row_key(&c).await;
    select(&c, &format!("#c{bad}-kind"), "segment").await;
    let err = wait_css(&c, &format!("[data-row-errors='{bad}'] li")).await;
    let text = err.text().await.unwrap();
    assert!(text.contains("segment id"), "{text}");
    assert!(
        c.find_all(Locator::Css(&format!("[data-row-errors='{key}'] li")))
            .await
            .unwrap()
            .is_empty()
    );
    click(&c, &format!("li.condition[data-key='{bad}'] .cond-remove")).await;
    wait_for_count(&c, expected).await;
    save_screenshot(&c, &format!("segment-editor-{tag}.png")).await;
    if backend == Backend::Sqlite {
        save_screenshot(&c, "segment-editor.png").await;
    }

    // Saved, it is listed with its size.
    click(&c, "button[type=submit]").await;
    let row = c
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::XPath(&format!("//tr[td/a[text()='{NAME}']]")))
        .await
        .unwrap();
    let segment = row.attr("data-segment-id").await.unwrap().unwrap();
    let size = row
        .find(Locator::Css("[data-testid=segment-size]"))
        .await
        .unwrap()
        .attr("data-size")
        .await
        .unwrap();
    assert_eq!(size, Some(expected.to_string()));
    // The found groups load after the list; wait for them before the picture.
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(
            "[data-testid=micro-segments][data-state=done]",
        ))
        .await
        .unwrap();
    save_screenshot(&c, &format!("segments-list-{tag}.png")).await;
    if backend == Backend::Sqlite {
        save_screenshot(&c, "segments-list.png").await;
    }

    // Shoppers on each side of the threshold, by their orders in the database.
    let mut inside = None;
    let mut outside = None;
    for s in shoppers() {
        let n = orders_of(&app, &s.customer_id).await;
        if n >= THRESHOLD {
            inside.get_or_insert(s.customer_id);
        } else {
            outside.get_or_insert(s.customer_id);
        }
    }
    let (inside, outside) = (inside.unwrap(), outside.unwrap());

    // A widget everyone sees, until the admin limits it to the segment.
    let r = app
        .client
        .post(app.url("/api/admin/widgets"))
        .bearer_auth(admin_token(&app).await)
        .json(&WidgetInput::new(
            "Regulars' picks",
            Placement::Home,
            Strategy::Popular,
            4,
            "Picked for regulars",
        ))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let widget: Widget = serde_json::from_str(&body).unwrap();
    assert!(
        !storefront_products(&app, &widget.id, &outside)
            .await
            .is_empty()
    );

    c.goto(&app.url(&format!("/admin/widgets/{}", widget.id)))
        .await
        .unwrap();
    click(&c, &format!("#segment-{segment}")).await;
    save_screenshot(&c, &format!("widget-audience-{tag}.png")).await;
    click(&c, "button[type=submit]").await;
    c.wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&format!("tr[data-widget-id='{}']", widget.id)))
        .await
        .unwrap();
    let r = app
        .client
        .get(app.url(&format!("/api/admin/widgets/{}", widget.id)))
        .bearer_auth(admin_token(&app).await)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let saved: Widget = serde_json::from_str(&body).unwrap();
    assert_eq!(saved.rules.segments, vec![segment.clone()]);

    let products = storefront_products(&app, &widget.id, &inside).await;
    assert!(
        !products.is_empty(),
        "customer {inside} is in the segment and saw nothing"
    );
    let products = storefront_products(&app, &widget.id, &outside).await;
    assert!(
        products.is_empty(),
        "customer {outside} is outside the segment and saw {products:?}"
    );

    // Editing shows the saved rule in its controls; deleting a segment a widget uses is
    // refused with the server's reason, and nothing typed is lost.
    c.goto(&app.url(&format!("/admin/segments/{segment}")))
        .await
        .unwrap();
    wait_for_count(&c, expected).await;
    let key = last_row_key(&c).await;
    let threshold = THRESHOLD.to_string();
    for (control, value) in [
        ("field", "orders_count"),
        ("op", "gte"),
        ("value", threshold.as_str()),
    ] {
        let shown = wait_css(&c, &format!("#c{key}-{control}"))
            .await
            .prop("value")
            .await
            .unwrap();
        assert_eq!(shown.as_deref(), Some(value), "{control}");
    }
    wait_css(&c, "#segment-description")
        .await
        .send_keys("Ten orders or more")
        .await
        .unwrap();
    click(&c, "[data-testid=delete-segment]").await;
    c.accept_alert().await.unwrap();
    let banner = wait_css(&c, ".segment-form .banner--critical").await;
    let text = banner.text().await.unwrap();
    assert!(text.contains("Regulars' picks"), "{text}");
    let kept = wait_css(&c, "#segment-description")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Ten orders or more"));

    // A template fills the builder, its group included, and the count still agrees.
    c.goto(&app.url("/admin/segments/new")).await.unwrap();
    select(&c, "#segment-template", "lapsed_customer").await;
    let template = templates()
        .into_iter()
        .find(|t| t.id == "lapsed_customer")
        .unwrap();
    let expected = preview_count(&app, template.rules).await;
    wait_for_count(&c, expected).await;
    let name = wait_css(&c, "#segment-name")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(name.as_deref(), Some(template.name.as_str()));
    let nested = c
        .find_all(Locator::Css(
            "li.condition--group ol.conditions > li.condition",
        ))
        .await
        .unwrap();
    assert_eq!(nested.len(), 2);
    // The other kinds of condition, for the picture.
    click(&c, "[data-testid=add-condition]").await;
    let key = last_row_key(&c).await;
    select(&c, &format!("#c{key}-kind"), "event").await;
    select(&c, &format!("#c{key}-filter"), "collection").await;
    wait_css(&c, &format!("#c{key}-filter-value"))
        .await
        .send_keys("summer")
        .await
        .unwrap();
    click(&c, "[data-testid=add-condition]").await;
    let key = last_row_key(&c).await;
    select(&c, &format!("#c{key}-kind"), "affinity").await;
    select(&c, &format!("#c{key}-affinity"), "vendor").await;
    save_screenshot(&c, &format!("segment-editor-template-{tag}.png")).await;
    c.close().await.unwrap();
}

both_backends!(segment_to_widget_to_storefront);
