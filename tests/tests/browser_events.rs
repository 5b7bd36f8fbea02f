//! Shopper events through the theme's real script in headless Chromium, on the demo store with
//! its stand-in of Shopify's Customer Privacy API and app proxy: a declined banner keeps
//! everything in the browser, an accepted one stores the right events and the session once,
//! withdrawing consent makes the server forget (and takes the id off the cart), and logging in
//! joins the anonymous history.
//! Every "nothing arrived" is paired with a "something arrives" in the same browser, so a broken
//! pipeline cannot pass for privacy. Screenshots go to `tests/artifacts/`.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, Instant};

use attune_server::db::entities::{product, storefront_event, visitor};
use attune_server::db::{self, ShopId};
use attune_tests::browser::{Client, Locator, save_screenshot, start_browser};
use attune_tests::*;
use serde_json::Value;

const DEMO_SHOP: &str = "attune-demo.myshopify.com";
/// Well past the script's one-second batching delay.
const SETTLE: Duration = Duration::from_millis(2500);

struct Store {
    app: TestApp,
    shop: ShopId,
    products: Vec<product::Model>,
    tag: &'static str,
}

async fn store(backend: Backend) -> Store {
    let app = spawn_demo(backend).await;
    let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let products = db::catalog::page(&app.db, shop, 0, 4).await.unwrap();
    assert_eq!(products.len(), 4, "the demo catalog has too few products");
    // Nothing before the browser: every row later on came from it.
    assert!(
        db::events::visitors(&app.db, shop)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(db::events::count(&app.db, shop).await.unwrap(), 0);
    let tag = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    Store {
        app,
        shop,
        products,
        tag,
    }
}

impl Store {
    fn product_url(&self, i: usize) -> String {
        self.app
            .url(&format!("/demo/products/{}", self.products[i].handle))
    }

    async fn visitors(&self) -> Vec<visitor::Model> {
        db::events::visitors(&self.app.db, self.shop).await.unwrap()
    }

    async fn count(&self) -> u64 {
        db::events::count(&self.app.db, self.shop).await.unwrap()
    }

    /// The shopper's events as profiles read them: every visitor stitched to the same person.
    async fn person_events(&self, key: &str) -> Vec<storefront_event::Model> {
        let Some(v) = db::events::find_visitor(&self.app.db, self.shop, key)
            .await
            .unwrap()
        else {
            return Vec::new();
        };
        let ids = db::events::person_visitors(&self.app.db, self.shop, &v)
            .await
            .unwrap();
        db::events::recent(
            &self.app.db,
            self.shop,
            &ids,
            chrono::Utc::now() - chrono::Duration::days(1),
            1000,
        )
        .await
        .unwrap()
    }
}

/// Polls `check` until it yields a value; panics naming `what` after 20 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn stored_vid(c: &Client) -> Option<String> {
    c.execute("return localStorage.getItem('attune_vid');", vec![])
        .await
        .unwrap()
        .as_str()
        .map(str::to_owned)
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Opens the consent banner again, as a store's "privacy preferences" link would, and answers.
async fn change_consent(c: &Client, button: &str) {
    c.execute(
        "document.getElementById('demo-consent').hidden = false;",
        vec![],
    )
    .await
    .unwrap();
    click(c, button).await;
}

fn has_product_view(events: &[storefront_event::Model], product: &str) -> bool {
    events
        .iter()
        .any(|e| e.kind == "product_viewed" && e.platform_product_id == product)
}

fn has_page_view(events: &[storefront_event::Model], path: &str) -> bool {
    events
        .iter()
        .any(|e| e.kind == "page_viewed" && e.payload["url"] == path)
}

/// The device class the landing page should report: by the narrower of screen and window,
/// since a phone's layout viewport can be wider than its screen. (Headless Chromium reports
/// an 800 px screen whatever the window size, so this is not simply "desktop".)
async fn device_class(c: &Client) -> &'static str {
    let w = c
        .execute(
            "return Math.min(screen.width || 1e4, window.innerWidth || 1e4);",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    match w {
        w if w < 768.0 => "mobile",
        w if w < 1025.0 => "tablet",
        _ => "desktop",
    }
}

/// A dotted-quad IPv4 address anywhere in `s`.
fn ipv4_in(s: &str) -> Option<&str> {
    s.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|t| {
            let parts: Vec<&str> = t.split('.').collect();
            parts.len() == 4
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.parse::<u8>().is_ok())
        })
}

async fn declined_consent_stores_nothing(backend: Backend) {
    let s = store(backend).await;
    let (_driver, c) = start_browser().await;

    // No choice yet counts as allowed (like regions without a consent requirement), so the
    // first page reports: the pipeline works in this browser.
    c.goto(&s.app.url("/demo")).await.unwrap();
    let first = eventually("the first page's events", || async {
        let v = s.visitors().await;
        (v.len() == 1 && s.count().await > 0).then(|| v[0].visitor_key.clone())
    })
    .await;
    assert_eq!(stored_vid(&c).await.as_deref(), Some(first.as_str()));
    save_screenshot(&c, &format!("consent-banner-{}.png", s.tag)).await;

    click(&c, "#demo-consent-decline").await;
    // The refusal makes the server forget what this browser sent before it.
    eventually("the declined visitor to be forgotten", || async {
        (s.visitors().await.is_empty() && s.count().await == 0).then_some(())
    })
    .await;
    assert_eq!(stored_vid(&c).await, None);

    for i in 0..3 {
        c.goto(&s.product_url(i)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::time::sleep(SETTLE).await;
    assert_eq!(stored_vid(&c).await, None, "a visitor id was kept");
    let in_page = c
        .execute("return window.Attune.visitorId;", vec![])
        .await
        .unwrap();
    assert_eq!(in_page, Value::Null);
    save_screenshot(&c, &format!("consent-declined-{}.png", s.tag)).await;
    // Leaving the page flushes (pagehide): nothing either.
    c.goto(&s.app.url("/demo")).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    assert!(s.visitors().await.is_empty(), "{:?}", s.visitors().await);
    assert_eq!(s.count().await, 0);

    // Accepting now starts reporting, from the next page on, under a new id.
    change_consent(&c, "#demo-consent-accept").await;
    c.goto(&s.product_url(3)).await.unwrap();
    let vid = stored_vid(&c).await.expect("no visitor id after accepting");
    assert_ne!(vid, first, "the forgotten id came back");
    let events = eventually("events after accepting", || async {
        let e = s.person_events(&vid).await;
        has_product_view(&e, &s.products[3].platform_id).then_some(e)
    })
    .await;
    let keys: Vec<String> = s
        .visitors()
        .await
        .into_iter()
        .map(|v| v.visitor_key)
        .collect();
    assert_eq!(keys, std::slice::from_ref(&vid));
    for p in &s.products[..3] {
        assert!(
            !has_product_view(&events, &p.platform_id),
            "a product viewed while declined was stored: {}",
            p.platform_id
        );
    }
    c.close().await.unwrap();
}

async fn accepted_consent_stores_events_and_session_once(backend: Backend) {
    let s = store(backend).await;
    let (_driver, c) = start_browser().await;
    c.goto(&s.app.url("/demo")).await.unwrap();
    let device = device_class(&c).await;
    click(&c, "#demo-consent-accept").await;
    let vid = stored_vid(&c).await.expect("no visitor id after accepting");
    c.goto(&s.product_url(0)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.goto(&s.product_url(1)).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    save_screenshot(&c, &format!("consent-accepted-{}.png", s.tag)).await;
    c.goto(&s.app.url("/demo")).await.unwrap();

    let paths = [
        "/demo".to_owned(),
        format!("/demo/products/{}", s.products[0].handle),
        format!("/demo/products/{}", s.products[1].handle),
    ];
    let events = eventually("every page's events", || async {
        let e = s.person_events(&vid).await;
        let pages = e.iter().filter(|e| e.kind == "page_viewed").count();
        (pages >= 4 && e.iter().filter(|e| e.kind == "product_viewed").count() >= 2).then_some(e)
    })
    .await;
    let mut viewed: Vec<&str> = events
        .iter()
        .filter(|e| e.kind == "product_viewed")
        .map(|e| e.platform_product_id.as_str())
        .collect();
    viewed.sort_unstable();
    let mut want = vec![
        s.products[0].platform_id.as_str(),
        s.products[1].platform_id.as_str(),
    ];
    want.sort_unstable();
    assert_eq!(viewed, want, "product views by platform id");
    let urls: HashSet<&str> = events
        .iter()
        .filter(|e| e.kind == "page_viewed")
        .map(|e| e.payload["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, paths.iter().map(String::as_str).collect());
    // The widgets on those pages report coming into view, for measurement.
    let widget_views: Vec<&storefront_event::Model> = events
        .iter()
        .filter(|e| e.kind == "recommendation_viewed")
        .collect();
    assert!(!widget_views.is_empty());
    assert!(widget_views.iter().all(|e| e.payload["widget"].is_string()));
    for e in events.iter().filter(|e| e.kind != "recommendation_viewed") {
        assert!(
            ["page_viewed", "product_viewed"].contains(&e.kind.as_str()),
            "{e:?}"
        );
        assert!(
            e.platform_product_id.is_empty() == (e.kind == "page_viewed"),
            "{e:?}"
        );
    }

    // The session's context: once, from the landing page.
    let with_context: Vec<&Value> = events
        .iter()
        .filter_map(|e| e.payload.get("context"))
        .collect();
    assert_eq!(with_context.len(), 1, "{with_context:?}");
    assert_eq!(with_context[0]["landing_page"], "/demo");
    assert_eq!(with_context[0]["device"], device);
    assert!(with_context[0].get("referrer").is_none(), "a direct visit");

    // No address in anything stored about this shopper.
    let rows = format!("{events:?} {:?}", s.visitors().await);
    assert_eq!(ipv4_in(&rows), None, "an IP address was stored: {rows}");
    assert!(!rows.contains("::1"), "an IP address was stored: {rows}");
    c.close().await.unwrap();
}

async fn withdrawn_consent_forgets_the_visitor(backend: Backend) {
    let s = store(backend).await;
    let (_driver, c) = start_browser().await;
    c.goto(&s.app.url("/demo")).await.unwrap();
    click(&c, "#demo-consent-accept").await;
    c.goto(&s.product_url(0)).await.unwrap();
    let vid = stored_vid(&c).await.expect("no visitor id after accepting");
    eventually("the accepted visitor's events", || async {
        let e = s.person_events(&vid).await;
        (has_product_view(&e, &s.products[0].platform_id) && has_page_view(&e, "/demo"))
            .then_some(())
    })
    .await;

    // Watch what the page sends when the shopper changes their mind.
    c.execute(
        "window.__sent = []; const f = window.fetch; window.fetch = function (u, o) { \
         window.__sent.push([String(u), o && typeof o.body === 'string' ? o.body : '']); \
         return f.apply(this, arguments); };",
        vec![],
    )
    .await
    .unwrap();
    change_consent(&c, "#demo-consent-decline").await;
    eventually("the visitor to be forgotten", || async {
        let gone = db::events::find_visitor(&s.app.db, s.shop, &vid)
            .await
            .unwrap()
            .is_none();
        (gone && s.count().await == 0).then_some(())
    })
    .await;
    assert_eq!(stored_vid(&c).await, None);
    // The id comes off the cart too: an order webhook carrying it would link it again.
    let sent = c.execute("return window.__sent;", vec![]).await.unwrap();
    let cleared = sent.as_array().unwrap().iter().any(|call| {
        call[0].as_str().unwrap().ends_with("/cart/update.js")
            && serde_json::from_str::<Value>(call[1].as_str().unwrap())
                .is_ok_and(|b| b["attributes"]["_attune_visitor"] == "")
    });
    assert!(cleared, "the cart still carries the visitor id: {sent}");
    // And it stays forgotten while the shopper keeps browsing.
    c.goto(&s.product_url(1)).await.unwrap();
    tokio::time::sleep(SETTLE).await;
    c.goto(&s.app.url("/demo")).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(s.visitors().await.is_empty());
    assert_eq!(s.count().await, 0);
    c.close().await.unwrap();
}

async fn login_joins_the_anonymous_history(backend: Backend) {
    let s = store(backend).await;
    let shopper = attune_server::services::demo::shoppers()
        .into_iter()
        .next()
        .unwrap();
    let (_driver, c) = start_browser().await;
    c.goto(&s.app.url("/demo")).await.unwrap();
    click(&c, "#demo-consent-accept").await;
    c.goto(&s.product_url(0)).await.unwrap();
    let vid = stored_vid(&c).await.expect("no visitor id after accepting");
    let anonymous = eventually("the anonymous events", || async {
        let e = s.person_events(&vid).await;
        (has_product_view(&e, &s.products[0].platform_id) && has_page_view(&e, "/demo"))
            .then_some(e)
    })
    .await;
    let v = db::events::find_visitor(&s.app.db, s.shop, &vid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.customer_id, None, "nobody is logged in yet");

    // The shopper switcher logs in; the demo's app proxy signs the customer id from then on.
    c.find(Locator::Css("#shopper"))
        .await
        .unwrap()
        .select_by_value(&shopper.customer_id)
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(&format!(
            "#shopper option[value='{}'][selected]",
            shopper.customer_id
        )))
        .await
        .unwrap();
    c.goto(&s.product_url(1)).await.unwrap();
    save_screenshot(&c, &format!("logged-in-{}.png", s.tag)).await;
    assert_eq!(
        stored_vid(&c).await.as_deref(),
        Some(vid.as_str()),
        "logging in must keep the browser's id"
    );
    let events = eventually("the logged-in events, stitched", || async {
        let customer = db::orders::customer_row_id(&s.app.db, s.shop, &shopper.customer_id)
            .await
            .unwrap()?;
        let v = db::events::find_visitor(&s.app.db, s.shop, &vid)
            .await
            .unwrap()?;
        let e = s.person_events(&vid).await;
        (v.customer_id == Some(customer) && has_product_view(&e, &s.products[1].platform_id))
            .then_some(e)
    })
    .await;
    let v = db::events::find_visitor(&s.app.db, s.shop, &vid)
        .await
        .unwrap()
        .unwrap();
    let person = db::events::person_visitors(&s.app.db, s.shop, &v)
        .await
        .unwrap();
    assert!(person.contains(&v.id), "{person:?}");
    let keys: HashSet<&str> = events.iter().map(|e| e.event_key.as_str()).collect();
    for e in &anonymous {
        assert!(
            keys.contains(e.event_key.as_str()),
            "anonymous {} {} is missing after login",
            e.kind,
            e.event_key
        );
    }
    assert!(has_product_view(&events, &s.products[0].platform_id));
    c.close().await.unwrap();
}

both_backends!(
    declined_consent_stores_nothing,
    accepted_consent_stores_events_and_session_once,
    withdrawn_consent_forgets_the_visitor,
    login_joins_the_anonymous_history,
);
