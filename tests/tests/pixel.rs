//! The web pixel's real source, run by `tests/pixel/harness.mjs` in Node with a stand-in for
//! Shopify's strict sandbox, posting Shopify's standard events to a spawned server: every
//! event lands with the right kind, product id and value, a replayed page stores nothing twice,
//! a refused beacon falls back to fetch, and the buyer's personal data never leaves the pixel.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use attune_server::db::{self, ShopId};
use attune_tests::*;
use serde_json::Value;

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

const STANDARD_EVENTS: [&str; 7] = [
    "checkout_completed",
    "checkout_started",
    "collection_viewed",
    "page_viewed",
    "product_added_to_cart",
    "product_viewed",
    "search_submitted",
];

/// What the harness dispatched, as the shop's catalog names it.
struct Fixture {
    shop: ShopId,
    viewed: String,
    added: String,
    collection: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let shop = db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let products = db::catalog::page(&app.db, shop, 0, 2).await.unwrap();
    assert_eq!(products.len(), 2, "the demo catalog has too few products");
    let collection = db::catalog::all_collection_links(&app.db, shop)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, pid, _)| pid)
        .next()
        .unwrap_or_else(|| "2001".to_owned());
    Fixture {
        shop,
        viewed: products[0].platform_id.clone(),
        added: products[1].platform_id.clone(),
        collection,
    }
}

/// Runs the harness against `app` and returns its report.
async fn run_harness(app: &TestApp, f: &Fixture, extra: &[&str]) -> Value {
    let root = workspace_root();
    let node = std::env::var("NODE").unwrap_or_else(|_| "node".to_owned());
    let mut cmd = tokio::process::Command::new(&node);
    cmd.current_dir(&root)
        .arg(root.join("tests/pixel/harness.mjs"))
        .arg(app.url("/storefront/events"))
        .arg(DEMO_SHOP)
        .arg(format!("--products={},{}", f.viewed, f.added))
        .arg(format!("--collection={}", f.collection))
        .args(extra)
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the pixel harness did not finish within 60 s")
        .unwrap_or_else(|e| panic!("could not run {node} (Node 20 or later is needed): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the pixel harness failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the harness printed no report ({e}):\n{stdout}\n{stderr}"))
}

/// The visitor's stored events by event key.
async fn stored(
    app: &TestApp,
    shop: ShopId,
    visitor: &str,
) -> HashMap<String, db::entities::storefront_event::Model> {
    let v = db::events::find_visitor(&app.db, shop, visitor)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("visitor {visitor} was not stored"));
    assert_eq!(
        v.customer_id, None,
        "an unsigned pixel call claimed a customer"
    );
    db::events::recent(
        &app.db,
        shop,
        &[v.id],
        chrono::Utc::now() - chrono::Duration::days(1),
        1000,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|e| (e.event_key.clone(), e))
    .collect()
}

fn answers(report: &Value, round: u64) -> (u64, u64) {
    report["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["round"] == round)
        .fold((0, 0), |(s, d), p| {
            assert_eq!(p["status"], 202, "{p}");
            (
                s + p["answer"]["stored"].as_u64().unwrap(),
                d + p["answer"]["duplicates"].as_u64().unwrap(),
            )
        })
}

/// Checks every dispatched event against what the server stored. `minor` are the unit price,
/// cart line and checkout total in minor units of the harness's currency.
fn check_events(
    report: &Value,
    events: &HashMap<String, db::entities::storefront_event::Model>,
    f: &Fixture,
    minor: [i64; 3],
) {
    let [unit, line, total] = minor;
    let dispatched = report["dispatched"].as_array().unwrap();
    assert_eq!(dispatched.len(), 7);
    assert_eq!(events.len(), 7, "stored: {:?}", events.keys());
    for d in dispatched {
        let key = d["id"].as_str().unwrap();
        let e = events
            .get(key)
            .unwrap_or_else(|| panic!("{d} was not stored"));
        let kind = d["name"].as_str().unwrap();
        assert_eq!(e.kind, kind, "{key}");
        // Shopify's ISO timestamp, not the time the batch arrived.
        let at = chrono::DateTime::parse_from_rfc3339(d["timestamp"].as_str().unwrap()).unwrap();
        assert_eq!(e.occurred_at.timestamp(), at.timestamp(), "{kind}");
        let p = &e.payload;
        match kind {
            "page_viewed" => {
                assert_eq!(p["url"], "/collections/frontpage", "path only, no query")
            }
            "product_viewed" => {
                assert_eq!(e.platform_product_id, f.viewed, "from a gid");
                assert_eq!(p["value_minor"], unit);
            }
            "collection_viewed" => assert_eq!(p["collection"], f.collection.as_str()),
            "search_submitted" => assert_eq!(p["query"], "wool throw"),
            "product_added_to_cart" => {
                assert_eq!(e.platform_product_id, f.added, "from a numeric id");
                assert_eq!(p["quantity"], 2);
                assert_eq!(p["value_minor"], line);
            }
            "checkout_started" | "checkout_completed" => {
                assert_eq!(p["value_minor"], total, "{kind}");
                assert_eq!(p["cart_items"], 1, "{kind}");
            }
            other => panic!("unexpected kind {other}"),
        }
    }
    let all =
        serde_json::to_string(&events.values().map(|e| &e.payload).collect::<Vec<_>>()).unwrap();
    for personal in [
        "pat.doe",
        "5555550123",
        "Harness Street",
        "Testville",
        "10001",
    ] {
        assert!(
            !all.contains(personal),
            "the buyer's {personal} reached the server: {all}"
        );
    }
}

async fn pixel_events_are_stored_once(backend: Backend) {
    let app = spawn_demo(backend).await;
    let f = fixture(&app).await;
    assert_eq!(db::events::count(&app.db, f.shop).await.unwrap(), 0);
    let report = run_harness(&app, &f, &["--rounds=2"]).await;
    let subscribed: Vec<&str> = report["subscribed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(subscribed, STANDARD_EVENTS);
    // The id the theme's app embed shares, and the mark that keeps the embed quiet.
    let visitor = report["visitor"].as_str().unwrap();
    assert!(attune_api::events::is_storefront_id(visitor), "{visitor}");
    assert!(report["pixel_mark"].as_str().is_some(), "{report}");
    let posts = report["posts"].as_array().unwrap();
    assert!(
        posts.iter().all(|p| p["transport"] == "beacon"),
        "{posts:?}"
    );
    assert!(
        posts
            .iter()
            .all(|p| p["request"]["shop"] == DEMO_SHOP && p["request"]["visitor"] == visitor),
        "{posts:?}"
    );
    assert_eq!(answers(&report, 1), (7, 0), "first delivery");
    assert_eq!(answers(&report, 2), (0, 7), "the same events again");
    let events = stored(&app, f.shop, visitor).await;
    check_events(&report, &events, &f, [1999, 3998, 4550]);
    assert_eq!(db::events::count(&app.db, f.shop).await.unwrap(), 7);
}

/// The sandbox's `sendBeacon` answers with a promise; when it resolves `false` the batch must
/// still arrive, by fetch. Yen have no minor unit: ¥1500 is 1500, not 150000.
async fn refused_beacon_falls_back_to_fetch(backend: Backend) {
    let app = spawn_demo(backend).await;
    let f = fixture(&app).await;
    let report = run_harness(
        &app,
        &f,
        &["--rounds=1", "--beacon-fails", "--currency=JPY"],
    )
    .await;
    let posts = report["posts"].as_array().unwrap();
    assert!(!posts.is_empty(), "nothing was sent: {report}");
    assert!(posts.iter().all(|p| p["transport"] == "fetch"), "{posts:?}");
    assert_eq!(answers(&report, 1), (7, 0));
    let events = stored(&app, f.shop, report["visitor"].as_str().unwrap()).await;
    check_events(&report, &events, &f, [1500, 3000, 3400]);
    assert_eq!(db::events::count(&app.db, f.shop).await.unwrap(), 7);
}

both_backends!(
    pixel_events_are_stored_once,
    refused_beacon_falls_back_to_fetch
);
