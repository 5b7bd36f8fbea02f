//! The smart offer on the demo store in headless Chromium, on SQLite and PostgreSQL: the real
//! theme script asks the signed app proxy, shows the visitor's code in a banner fixed to the
//! viewport without shifting the page, as an accessible region with named controls, then as a
//! modal dialog that takes focus and closes with Escape, and a dismissed code stays dismissed
//! for the session. Screenshots go to `tests/artifacts/`.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::time::{Duration, Instant};

use attune_engine::experiments::bucket;
use attune_server::db::{self, ShopId};
use attune_tests::browser::{Client, Locator, save_screenshot, start_browser};
use attune_tests::*;
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

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

async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Layout shifts the page has had so far (the browser's own record, buffered from the start).
const LAYOUT_SHIFT: &str = r#"
const done = arguments[arguments.length - 1];
let total = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
}).observe({ type: 'layout-shift', buffered: true });
setTimeout(() => done(total), 500);
"#;

async fn offer_on_the_storefront(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop: ShopId = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let token = admin_token(&app).await;
    let body = json!({
        "name": "Welcome back", "status": "active", "kind": "percentage", "percentage": 15,
        "headline": "15% off <b>today</b>", "body": "On everything in your cart.", "holdout_percent": 10,
        "presentation": "banner",
    });
    let r = app
        .client
        .post(app.url("/api/admin/offers"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let offer: Value = r.json().await.unwrap();
    let id = offer["id"].as_i64().unwrap();
    eventually("the code pool", || async {
        let (available, _, _) = db::offers::code_counts(&app.db, shop, id).await.unwrap();
        (available >= 20).then_some(())
    })
    .await;

    // A visitor the policy offers to: past the 10% holdout, on the offered side of the coin it
    // tosses while it has no model yet.
    let key = (0u32..)
        .map(|i| format!("00000000-0000-4000-8000-{i:012x}"))
        .find(|k| {
            let d = bucket(&format!("offer-{id}"), k);
            d >= 0.1 && (d - 0.1) / 0.9 < 0.5
        })
        .unwrap();

    let (_driver, c) = start_browser().await;
    c.goto(&app.url("/demo")).await.unwrap();
    c.find(Locator::Css("#demo-consent-accept"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    js(
        &c,
        &format!("localStorage.setItem('attune_vid', '{key}'); sessionStorage.clear();"),
    )
    .await;
    c.goto(&app.url("/demo")).await.unwrap();
    eventually("the visitor's first events", || async {
        db::events::find_visitor(&app.db, shop, &key)
            .await
            .unwrap()
            .map(|_| ())
    })
    .await;

    // The next page shows the offer.
    c.goto(&app.url("/demo/cart")).await.unwrap();
    let banner = eventually("the offer banner", || async {
        c.find(Locator::Css(
            "[data-attune-offer][data-attune-offer-state='shown']",
        ))
        .await
        .ok()
    })
    .await;
    let code = db::offers::held_code(
        &app.db,
        shop,
        id,
        db::events::find_visitor(&app.db, shop, &key)
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap()
    .expect("the visitor holds a code");
    assert_eq!(
        banner.attr("role").await.unwrap().as_deref(),
        Some("region")
    );
    assert!(
        !banner
            .attr("aria-label")
            .await
            .unwrap()
            .unwrap_or_default()
            .is_empty()
    );
    let shown = c
        .find(Locator::Css(".attune-offer__code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(shown, code.code);
    // Merchant text is text, never markup.
    let headline = c
        .find(Locator::Css(".attune-offer__headline"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(headline, "15% off <b>today</b>");
    let apply = c
        .find(Locator::Css("[data-attune-offer-apply]"))
        .await
        .unwrap();
    assert_eq!(
        apply.attr("href").await.unwrap().unwrap(),
        format!("/discount/{}?redirect=%2Fcart", code.code)
    );
    let position = js(
        &c,
        "return getComputedStyle(document.querySelector('[data-attune-offer]')).position;",
    )
    .await;
    assert_eq!(position, "fixed");
    // Every control has a name and a comfortable target.
    let controls = js(
        &c,
        "return [...document.querySelectorAll('.attune-offer button, .attune-offer a')].map(b => [b.getAttribute('aria-label') || b.textContent.trim(), b.getBoundingClientRect().height]);",
    )
    .await;
    for pair in controls.as_array().unwrap() {
        assert!(!pair[0].as_str().unwrap().is_empty(), "{controls}");
        assert!(pair[1].as_f64().unwrap() >= 44.0, "{controls}");
    }
    let shift = c
        .execute_async(LAYOUT_SHIFT, vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(shift < 0.001, "the page shifted by {shift}");
    save_screenshot(&c, &format!("offer-banner-{}.png", tag(backend))).await;

    // The merchant switches to a dialog: the same visitor, the same code, in a modal that
    // takes focus and closes with Escape.
    let mut edited = body.clone();
    edited["presentation"] = json!("dialog");
    let r = app
        .client
        .put(app.url(&format!("/api/admin/offers/{id}")))
        .bearer_auth(admin_token(&app).await)
        .json(&edited)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    c.goto(&app.url("/demo")).await.unwrap();
    eventually("the offer dialog", || async {
        c.find(Locator::Css("dialog[data-attune-offer][open]"))
            .await
            .ok()
    })
    .await;
    let focus_inside = js(
        &c,
        "return !!document.activeElement.closest('dialog[data-attune-offer]');",
    )
    .await;
    assert_eq!(focus_inside, true);
    let labelled = js(&c, "const d = document.querySelector('dialog[data-attune-offer]'); return document.getElementById(d.getAttribute('aria-labelledby')).textContent;").await;
    assert_eq!(labelled, "15% off <b>today</b>");
    let dialog_code = c
        .find(Locator::Css("dialog .attune-offer__code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        dialog_code, code.code,
        "asked again, the visitor keeps their code"
    );
    save_screenshot(&c, &format!("offer-dialog-{}.png", tag(backend))).await;
    c.active_element()
        .await
        .unwrap()
        .send_keys("\u{e00c}")
        .await
        .unwrap();
    eventually("the dialog to close", || async {
        let open = js(&c, "const d = document.querySelector('dialog[data-attune-offer]'); return d ? d.open : false;").await;
        (open == false).then_some(())
    })
    .await;
    // Dismissed for the session: the next page shows nothing.
    c.goto(&app.url("/demo")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let shown = js(
        &c,
        "return document.querySelectorAll(\"[data-attune-offer-state='shown']\").length;",
    )
    .await;
    assert_eq!(shown, 0);
}

fn tag(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

both_backends!(offer_on_the_storefront);
