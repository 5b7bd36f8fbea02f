//! Storefront events: validation that names the field, consent, dedupe of repeated deliveries,
//! identity stitching from signed data only (app proxy, order webhook), and durability: a
//! process killed with SIGKILL right after answering 2xx keeps every event it acknowledged.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use attune_server::db::{self, ShopId};
use attune_tests::*;
use serde_json::{Value, json};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";

fn ms() -> i64 {
    (now() as i64) * 1000
}

async fn demo_shop(app: &TestApp) -> ShopId {
    db::shops::find_by_domain(&app.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn batch(visitor: &str, ids: &[&str]) -> Value {
    json!({
        "shop": DEMO_SHOP,
        "visitor": visitor,
        "context": {"utm_source": "newsletter", "device": "mobile", "landing_page": "/"},
        "events": ids.iter().map(|id| json!({"id": id, "type": "page_viewed", "at": ms(), "url": "/"})).collect::<Vec<_>>(),
    })
}

async fn post(app: &TestApp, path: &str, body: String) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        // What sendBeacon sends.
        .header("content-type", "text/plain;charset=UTF-8")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn visitor_events(app: &TestApp, shop: ShopId, key: &str) -> Vec<String> {
    let Some(v) = db::events::find_visitor(&app.db, shop, key).await.unwrap() else {
        return Vec::new();
    };
    let ids = db::events::person_visitors(&app.db, shop, &v)
        .await
        .unwrap();
    db::events::recent(
        &app.db,
        shop,
        &ids,
        chrono::Utc::now() - chrono::Duration::days(30),
        1000,
    )
    .await
    .unwrap()
    .into_iter()
    .map(|e| e.event_key)
    .collect()
}

async fn accepts_batches_and_drops_repeats(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop = demo_shop(&app).await;
    let body = batch("a1b2c3d4e5f60718", &["e1", "e2", "e3"]).to_string();
    let (status, answer) = post(&app, "/storefront/events", body.clone()).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer, json!({"stored": 3, "duplicates": 0}));
    // A beacon retried: nothing stored twice.
    let (status, answer) = post(&app, "/storefront/events", body).await;
    assert_eq!(status, 202);
    assert_eq!(answer, json!({"stored": 0, "duplicates": 3}));
    let mut keys = visitor_events(&app, shop, "a1b2c3d4e5f60718").await;
    keys.sort();
    assert_eq!(keys, ["e1", "e2", "e3"]);
    // The session's context is kept with the batch (and no address or agent string).
    let events = db::events::page_since(
        &app.db,
        shop,
        chrono::Utc::now() - chrono::Duration::days(1),
        0,
        10,
    )
    .await
    .unwrap();
    let with_context: Vec<_> = events
        .iter()
        .filter(|e| e.payload.get("context").is_some())
        .collect();
    assert_eq!(with_context.len(), 1);
    assert_eq!(
        with_context[0].payload["context"]["utm_source"],
        "newsletter"
    );
    let stored =
        serde_json::to_string(&events.iter().map(|e| &e.payload).collect::<Vec<_>>()).unwrap();
    assert!(
        !stored.contains("127.0.0.1"),
        "an address was stored: {stored}"
    );
}

async fn bad_batches_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_demo(backend).await;
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), ""),
        (json!({"shop": DEMO_SHOP, "events": [{"id": "1", "type": "page_viewed"}]}).to_string(), "visitor"),
        (json!({"shop": DEMO_SHOP, "visitor": "v1", "events": [{"id": "1", "type": "product_viewed"}]}).to_string(), "events[0].product"),
        (json!({"shop": DEMO_SHOP, "visitor": "v1", "events": [{"id": "1", "type": "nope"}]}).to_string(), "events[0].type"),
        (json!({"shop": DEMO_SHOP, "visitor": "v1", "events": [{"id": "1", "type": "page_viewed", "at": "yesterday"}]}).to_string(), "events[0].at"),
        (json!({"visitor": "v1", "events": [{"id": "1", "type": "page_viewed"}]}).to_string(), "shop"),
        (json!({"shop": DEMO_SHOP, "visitor": "v 1", "events": [{"id": "1", "type": "page_viewed"}]}).to_string(), "visitor"),
    ];
    for (body, field) in cases {
        let (status, answer) = post(&app, "/storefront/events", body.clone()).await;
        assert!((400..500).contains(&status), "{body}: {status}");
        if !field.is_empty() {
            let fields: Vec<&str> = answer["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["field"].as_str().unwrap())
                .collect();
            assert!(fields.contains(&field), "{body}: {answer}");
        } else {
            assert!(
                answer["message"].as_str().unwrap().contains("JSON"),
                "{answer}"
            );
        }
    }
    // Over the size limit: refused, not read.
    let big = batch("v1", &[]).to_string().replace(
        "\"events\":[]",
        &format!("\"events\":[],\"pad\":\"{}\"", "x".repeat(70_000)),
    );
    let (status, _) = post(&app, "/storefront/events", big).await;
    assert_eq!(status, 413);
    // A shop that does not have the app.
    let other = batch("v1", &["x"])
        .to_string()
        .replace(DEMO_SHOP, "someone-else.myshopify.com");
    let (status, _) = post(&app, "/storefront/events", other).await;
    assert_eq!(status, 404);
    let shop = demo_shop(&app).await;
    assert_eq!(db::events::count(&app.db, shop).await.unwrap(), 0);
}

async fn refused_consent_stores_nothing_and_forgets(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop = demo_shop(&app).await;
    let (status, _) = post(
        &app,
        "/storefront/events",
        batch("c0ffee00c0ffee00", &["a"]).to_string(),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        visitor_events(&app, shop, "c0ffee00c0ffee00").await.len(),
        1
    );
    let mut refused = batch("c0ffee00c0ffee00", &["b", "c"]);
    refused["consent"] = json!({"analytics": false});
    let (status, answer) = post(&app, "/storefront/events", refused.to_string()).await;
    assert_eq!(status, 202);
    assert_eq!(answer["stored"], 0);
    assert!(
        visitor_events(&app, shop, "c0ffee00c0ffee00")
            .await
            .is_empty()
    );
    assert!(
        db::events::find_visitor(&app.db, shop, "c0ffee00c0ffee00")
            .await
            .unwrap()
            .is_none()
    );
}

/// Anonymous history follows the shopper: browse anonymously on one device, log in (the app
/// proxy signs the customer id), and everything is one history; an order webhook carrying the
/// visitor id links a second browser.
async fn identity_merges_on_login_and_checkout(backend: Backend) {
    let app = spawn_demo(backend).await;
    let shop = demo_shop(&app).await;
    let customer = attune_server::services::demo::shoppers()[0]
        .customer_id
        .clone();
    let (status, _) = post(
        &app,
        "/storefront/events",
        batch("aaaa0000aaaa0000", &["anon1", "anon2"]).to_string(),
    )
    .await;
    assert_eq!(status, 202);
    // Unsigned calls cannot claim a customer: a forged parameter is ignored.
    let forged = format!("/storefront/events?logged_in_customer_id={customer}");
    let (status, _) = post(
        &app,
        &forged,
        batch("aaaa0000aaaa0000", &["forged"]).to_string(),
    )
    .await;
    assert_eq!(status, 202);
    let v = db::events::find_visitor(&app.db, shop, "aaaa0000aaaa0000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.customer_id, None);
    // A bad proxy signature is refused.
    let q = format!(
        "shop={DEMO_SHOP}&logged_in_customer_id={customer}&path_prefix=/apps/attune&timestamp={}",
        now()
    );
    let (status, _) = post(
        &app,
        &format!("/proxy/events?{q}&signature=00"),
        batch("aaaa0000aaaa0000", &["x"]).to_string(),
    )
    .await;
    assert_eq!(status, 401);
    // Logged in, through the signed proxy.
    let (status, _) = post(
        &app,
        &format!("/proxy/events?{}", proxy_query(&q)),
        batch("aaaa0000aaaa0000", &["in1"]).to_string(),
    )
    .await;
    assert_eq!(status, 202);
    let v = db::events::find_visitor(&app.db, shop, "aaaa0000aaaa0000")
        .await
        .unwrap()
        .unwrap();
    let customer_row = db::orders::customer_row_id(&app.db, shop, &customer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.customer_id, Some(customer_row));
    // A second browser, anonymous, then checks out: the signed order webhook links it.
    let (status, _) = post(
        &app,
        "/storefront/events",
        batch("bbbb1111bbbb1111", &["phone1"]).to_string(),
    )
    .await;
    assert_eq!(status, 202);
    attune_server::services::events::stitch(&app.db, shop, "bbbb1111bbbb1111", &customer)
        .await
        .unwrap();
    let mut seen = visitor_events(&app, shop, "bbbb1111bbbb1111").await;
    seen.sort();
    assert_eq!(seen, ["anon1", "anon2", "forged", "in1", "phone1"]);
    let mut from_first = visitor_events(&app, shop, "aaaa0000aaaa0000").await;
    from_first.sort();
    assert_eq!(from_first, seen, "both browsers see one history");
}

both_backends!(
    accepts_batches_and_drops_repeats,
    bad_batches_are_refused_naming_the_field,
    refused_consent_stores_nothing_and_forgets,
    identity_merges_on_login_and_checkout,
);

fn attune_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("attune")
}

/// Many clients post batches; the server is killed with SIGKILL mid-stream. Every batch it
/// answered 202 must be in the database afterwards.
async fn sigkill_loses_nothing_acknowledged(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(attune_bin());
    for (k, _) in std::env::vars() {
        if k.starts_with("ATTUNE__") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .arg("demo")
        .env("ATTUNE__DATABASE__URL", &database.url)
        .env("ATTUNE__SERVER__PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    while client.get(format!("{base}/readyz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "demo did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let mut tasks = Vec::new();
    for worker in 0..32 {
        let client = client.clone();
        let base = base.clone();
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let visitor = format!("{worker:08x}feedface");
            for n in 0.. {
                let ids: Vec<String> = (0..20).map(|i| format!("w{worker}-{n}-{i}")).collect();
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                let r = client
                    .post(format!("{base}/storefront/events"))
                    .body(batch(&visitor, &refs).to_string())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 202 => {
                        let mut a = acked.lock().unwrap();
                        a.extend(ids.into_iter().map(|id| (visitor.clone(), id)));
                    }
                    _ => return,
                }
            }
        }));
    }
    // Let acknowledgements pile up, then kill without warning.
    let deadline = Instant::now() + Duration::from_secs(180);
    while acked.lock().unwrap().len() < 2_000 {
        assert!(Instant::now() < deadline, "too few events acknowledged");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for t in tasks {
        let _ = t.await;
    }
    let acked = acked.lock().unwrap().clone();
    let conn = db::connect(&database.url, 2).await.unwrap();
    let shop = db::shops::find_by_domain(&conn, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut stored: HashSet<(String, String)> = HashSet::new();
    for v in db::events::visitors(&conn, shop).await.unwrap() {
        for e in db::events::recent(
            &conn,
            shop,
            &[v.id],
            chrono::Utc::now() - chrono::Duration::days(1),
            1_000_000,
        )
        .await
        .unwrap()
        {
            stored.insert((v.visitor_key.clone(), e.event_key));
        }
    }
    let lost: Vec<_> = acked.iter().filter(|k| !stored.contains(*k)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged events lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        lost.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_acknowledged_sqlite() {
    sigkill_loses_nothing_acknowledged(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_nothing_acknowledged_postgres() {
    sigkill_loses_nothing_acknowledged(Backend::Postgres).await
}
