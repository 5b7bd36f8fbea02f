//! BigCommerce's single-click install against the local stand-in, on SQLite and PostgreSQL:
//! `/auth` checks the granted scopes and the store, exchanges the code (once) and keeps the token
//! only encrypted; `/load` verifies the signed payload and opens the admin with a short-lived
//! session of its own, which the admin API accepts for that store alone; `/remove_user` and
//! `/uninstall` verify too, only the owner uninstalls, and uninstalling forgets the token at once.
#![allow(clippy::unwrap_used)]

use attune_server::platform::bigcommerce::standin::{BigCommerceStandIn, OWNER_ID};
use attune_tests::*;
use serde_json::Value;

const CLIENT_ID: &str = "bc-client-id";
const CLIENT_SECRET: &str = "bc-client-secret-for-tests";
const SCOPES: &str = "store_v2_products_read_only store_v2_customers_read_only store_v2_orders_read_only store_v2_marketing store_v2_content";

fn session_of(html: &str) -> Option<String> {
    let start = html.find(r#"<meta name="attune-session" content=""#)?
        + r#"<meta name="attune-session" content=""#.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

async fn get(app: &TestApp, path: &str) -> (u16, String, Option<String>) {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    let csp = r
        .headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), r.text().await.unwrap(), csp)
}

async fn widgets_with(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/api/admin/widgets"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// The BigCommerce stand-in and an app configured for it on a free port (returned, for the
/// registered redirect and webhook URLs).
async fn bigcommerce_app(backend: Backend) -> (BigCommerceStandIn, TestApp, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = format!("http://127.0.0.1:{port}/bigcommerce/auth");
    let bc = BigCommerceStandIn::start(CLIENT_ID, CLIENT_SECRET, &redirect)
        .await
        .unwrap();
    let origin = bc.base_url().to_owned();
    let app = spawn_with(backend, move |s| {
        s.server.port = port;
        s.app.url = format!("http://127.0.0.1:{port}");
        s.bigcommerce.client_id = CLIENT_ID.into();
        s.bigcommerce.client_secret = CLIENT_SECRET.to_owned().into();
        s.bigcommerce.api_origin = origin.clone();
        s.bigcommerce.login_origin = origin;
    })
    .await;
    (bc, app, port)
}

async fn install_load_uninstall(backend: Backend) {
    let (bc, app, port) = bigcommerce_app(backend).await;
    let store = "abc123xyz";

    // Too few scopes, or no store: refused, naming the field, before any exchange.
    let code = bc.authorize(store, "store_v2_products_read_only");
    let (s, body, _) = get(
        &app,
        &format!(
            "/bigcommerce/auth?code={code}&scope=store_v2_products_read_only&context=stores/{store}"
        ),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body.contains("scope") && body.contains("store_v2_orders_read_only"),
        "{body}"
    );
    let (s, body, _) = get(
        &app,
        &format!("/bigcommerce/auth?code={code}&scope=x&context=shops/{store}"),
    )
    .await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("context"));
    assert_eq!(bc.token_requests(), 0);

    // The install: code exchanged, the admin opened with its own session.
    let code = bc.authorize(store, SCOPES);
    let q = format!(
        "/bigcommerce/auth?code={code}&scope={}&context=stores/{store}",
        SCOPES.replace(' ', "+")
    );
    let (s, html, csp) = get(&app, &q).await;
    assert_eq!(s, 200, "{html}");
    assert_eq!(
        csp.unwrap(),
        format!("frame-ancestors https://store-{store}.mybigcommerce.com;")
    );
    let session = session_of(&html).expect("the admin document carries a session");
    assert_eq!(widgets_with(&app, &session).await, 200);
    // The token is stored only encrypted.
    let token = bc.issued_tokens().pop().unwrap();
    assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM shops WHERE platform = 'bigcommerce' AND domain = '{store}' AND access_token_ciphertext IS NOT NULL")).await, 1);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM shops WHERE access_token_ciphertext LIKE '%{token}%'")
        )
        .await,
        0
    );
    // The same code again: BigCommerce refuses it, and so do we.
    let (s, _, _) = get(&app, &q).await;
    assert_eq!(s, 502);

    // In the background the store's hooks are registered, each carrying its secret header,
    // through the rate limiter's 429s.
    let destination = format!("http://127.0.0.1:{port}/webhooks/bigcommerce");
    let secret = attune_server::platform::bigcommerce::webhooks::store_secret(
        CLIENT_SECRET.as_bytes(),
        store,
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while bc.hooks(store).len() < 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "hooks not registered: {:?}",
            bc.hooks(store)
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let hooks = bc.hooks(store);
    let mut scopes: Vec<&str> = hooks.iter().map(|h| h["scope"].as_str().unwrap()).collect();
    scopes.sort_unstable();
    assert_eq!(
        scopes,
        [
            "store/app/uninstalled",
            "store/cart/*",
            "store/customer/*",
            "store/order/*",
            "store/product/*",
            "store/sku/*"
        ]
    );
    for h in &hooks {
        assert_eq!(h["destination"], destination.as_str());
        assert_eq!(h["headers"]["x-attune-webhook-secret"], secret.as_str());
        assert_eq!(h["is_active"], true);
    }
    assert!(bc.throttled() > 0, "the registration met 429s and went on");
    // Installing again registers nothing twice.
    let again = bc.authorize(store, SCOPES);
    let (s, _, _) = get(
        &app,
        &format!(
            "/bigcommerce/auth?code={again}&scope={}&context=stores/{store}",
            SCOPES.replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(s, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(bc.hooks(store).len(), 6);

    // Load: the signed payload is verified; tampered, expired or foreign ones are refused.
    let now = now() as i64;
    let (s, html, _) = get(
        &app,
        &format!(
            "/bigcommerce/load?signed_payload_jwt={}",
            bc.signed_payload(store, 2002, now)
        ),
    )
    .await;
    assert_eq!(s, 200, "{html}");
    let loaded = session_of(&html).unwrap();
    assert_eq!(widgets_with(&app, &loaded).await, 200);
    let good = bc.signed_payload(store, 2002, now);
    let tampered = format!("{}x", &good[..good.len() - 1]);
    for (jwt, why) in [
        (tampered, "tampered"),
        (bc.signed_payload(store, 2002, now - 2 * 86_400), "expired"),
        (bc.signed_payload("otherstore1", 2002, now), "not installed"),
    ] {
        let (s, body, _) = get(&app, &format!("/bigcommerce/load?signed_payload_jwt={jwt}")).await;
        assert_eq!(s, 401, "{why}: {body}");
    }
    assert_eq!(widgets_with(&app, "not-a-session").await, 401);

    // Users: a removed user is acknowledged; only the owner uninstalls.
    let (s, _, _) = get(
        &app,
        &format!(
            "/bigcommerce/remove_user?signed_payload_jwt={}",
            bc.signed_payload(store, 2002, now)
        ),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _, _) = get(
        &app,
        &format!(
            "/bigcommerce/uninstall?signed_payload_jwt={}",
            bc.signed_payload(store, 2002, now)
        ),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _, _) = get(
        &app,
        &format!(
            "/bigcommerce/uninstall?signed_payload_jwt={}",
            bc.signed_payload(store, OWNER_ID, now)
        ),
    )
    .await;
    assert_eq!(s, 204);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM shops WHERE platform = 'bigcommerce' AND access_token_ciphertext IS NULL").await, 1);
    assert_eq!(
        widgets_with(&app, &loaded).await,
        401,
        "an uninstalled store's session is dead"
    );
    let (s, _, _) = get(
        &app,
        &format!(
            "/bigcommerce/load?signed_payload_jwt={}",
            bc.signed_payload(store, OWNER_ID, now)
        ),
    )
    .await;
    assert_eq!(s, 401);
}

async fn unconfigured_servers_say_so(backend: Backend) {
    let app = spawn_app(backend).await;
    let (s, body, _) = get(&app, "/bigcommerce/load?signed_payload_jwt=x.y.z").await;
    assert_eq!(s, 404);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["message"].as_str().unwrap().contains("not configured"));
}

/// Webhooks: the store's secret header and the Standard Webhooks signature both checked, one
/// receipt per event hash, and an uninstall acted on at once.
async fn webhooks_are_verified_and_deduplicated(backend: Backend) {
    use attune_server::platform::bigcommerce::webhooks::{SECRET_HEADER, store_secret};
    let (bc, app, _) = bigcommerce_app(backend).await;
    let store = "hooks42";
    let code = bc.authorize(store, SCOPES);
    let (s, _, _) = get(
        &app,
        &format!(
            "/bigcommerce/auth?code={code}&scope={}&context=stores/{store}",
            SCOPES.replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(s, 200);
    let secret = store_secret(CLIENT_SECRET.as_bytes(), store);
    let deliver = |scope: &str, hash: &str, secret: &str, signed: bool| {
        let body =
            serde_json::json!({"scope": scope, "store_id": "1", "data": {"type": "order", "id": 7},
            "hash": hash, "created_at": now(), "producer": format!("stores/{store}")})
            .to_string();
        let mut r = app
            .client
            .post(app.url("/webhooks/bigcommerce"))
            .header(SECRET_HEADER, secret)
            .body(body.clone());
        if signed {
            for (k, v) in bc.webhook_headers(body.as_bytes(), now() as i64) {
                r = r.header(k, v);
            }
        }
        r.send()
    };
    let r = deliver("store/order/created", "h-1", &secret, true)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["duplicate"], false);
    let r = deliver("store/order/created", "h-1", &secret, true)
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["duplicate"],
        true,
        "the same event hash twice"
    );
    assert_eq!(
        deliver("store/order/created", "h-2", "wrong", true)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        deliver("store/order/created", "h-3", &secret, false)
            .await
            .unwrap()
            .status(),
        200,
        "secret alone, unsigned"
    );
    let tampered = app
        .client
        .post(app.url("/webhooks/bigcommerce"))
        .header(SECRET_HEADER, &secret)
        .header("webhook-id", "msg_x")
        .header("webhook-timestamp", now().to_string())
        .header("webhook-signature", "v1,AAAA")
        .body(serde_json::json!({"scope": "store/order/created", "hash": "h-4", "producer": format!("stores/{store}")}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 401);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM webhook_receipts WHERE platform = 'bigcommerce'"
        )
        .await,
        2
    );
    let r = deliver("store/app/uninstalled", "h-5", &secret, true)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM shops WHERE platform = 'bigcommerce' AND access_token_ciphertext IS NULL").await, 1);
}

both_backends!(
    install_load_uninstall,
    unconfigured_servers_say_so,
    webhooks_are_verified_and_deduplicated
);
