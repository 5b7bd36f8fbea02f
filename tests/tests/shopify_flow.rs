//! The whole Shopify flow against the local stand-in, on SQLite and PostgreSQL: install by
//! token exchange (and by the authorization-code grant), bulk sync, a webhook, recommendations
//! from the synced history, token renewal after a 401, and incremental sync.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use attune_api::storefront::Recommendations;
use attune_api::sync::SyncStatus;
use attune_server::platform::shopify::standin::{StandIn, StandInConfig};
use attune_tests::*;
use serde_json::{Value, json};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn stand_in(throttle: Option<u32>) -> StandIn {
    let mut config = StandInConfig::new(
        API_KEY,
        API_SECRET,
        workspace_root().join("../shared/data/shopify"),
    );
    config.throttle_every = throttle;
    StandIn::start(config).await.unwrap()
}

async fn app_for(backend: Backend, standin: &StandIn) -> TestApp {
    let origin = standin.base_url();
    let port = free_port();
    spawn_with(backend, move |s| {
        s.shopify.api_origin = Some(origin);
        s.server.port = port;
        s.app.url = format!("http://127.0.0.1:{port}");
    })
    .await
}

async fn sync_status(app: &TestApp, shop: &str) -> SyncStatus {
    app.client
        .get(app.url("/api/admin/sync"))
        .bearer_auth(session_token_for(shop))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits for the shop's jobs to finish, then returns the sync status.
async fn synced(app: &TestApp, shop: &str) -> SyncStatus {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let s = sync_status(app, shop).await;
        if s.pending_jobs == 0 && s.status != "running" {
            return s;
        }
        assert!(Instant::now() < deadline, "sync did not finish: {s:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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

async fn install_sync_webhook_recommend(backend: Backend) {
    let standin = stand_in(Some(5)).await;
    let shop = standin.shop_domain().to_owned();
    let app = app_for(backend, &standin).await;

    // The merchant opens the app in the admin: token exchange, then the first sync.
    let id_token = session_token_for(&shop);
    let r = app
        .client
        .get(app.url(&format!(
            "/admin?embedded=1&shop={shop}&id_token={id_token}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert_eq!(
        r.headers()["content-security-policy"],
        format!("frame-ancestors https://{shop} https://admin.shopify.com;")
    );
    assert_eq!(
        standin
            .stats()
            .token_requests
            .get("token_exchange")
            .copied(),
        Some(1)
    );
    let s = synced(&app, &shop).await;
    assert_eq!(s.status, "done", "{s:?}");
    assert_eq!(s.counts.products, 34);
    assert_eq!(s.counts.collections, 10);
    assert_eq!(s.counts.customers, 40);
    assert_eq!(s.counts.orders, 200);
    // Unit costs came with the variants (the stand-in's are 40% of the price): every product
    // carries its cheapest variant's.
    {
        use sea_orm::{ConnectionTrait, Statement};
        let sql = "SELECT COUNT(*), SUM(CASE WHEN cost_minor = price_minor * 2 / 5 THEN 1 ELSE 0 END) \
                   FROM products WHERE price_minor > 0";
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        let all: i64 = row.try_get_by_index(0).unwrap();
        let costed: i64 = row.try_get_by_index(1).unwrap();
        assert!(all > 0);
        assert_eq!(costed, all);
    }
    assert!(
        standin.stats().throttled > 0,
        "the sync met THROTTLED answers and went on"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM products").await, 34);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 200);
    // The install also turned the web pixel on, pointed at our events endpoint, with
    // settings that match the extension's definition (the stand-in checks them as Shopify does).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let settings = loop {
        if let Some(s) = standin.stats().web_pixel_settings {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the web pixel was never activated"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
    assert!(
        settings["endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/storefront/events"),
        "{settings}"
    );
    assert!(count(&app, "SELECT COUNT(*) FROM product_collections").await > 0);
    // Tokens are stored encrypted: the access token the stand-in issued appears nowhere.
    let token = standin.stats().last_access_token.unwrap();
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM shops WHERE access_token_ciphertext LIKE '%{token}%'")
        )
        .await,
        0
    );
    // Loading the admin again does not exchange again.
    let r = app
        .client
        .get(app.url(&format!(
            "/admin?embedded=1&shop={shop}&id_token={}",
            session_token_for(&shop)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        standin
            .stats()
            .token_requests
            .get("token_exchange")
            .copied(),
        Some(1)
    );

    // Recommendations come from the synced history: a product's co-purchases are its family.
    let families = standin.product_families();
    let (_, family) = families.iter().find(|(_, f)| f.len() >= 3).unwrap();
    let seed = family[0].rsplit('/').next().unwrap().to_owned();
    let w: Value = app
        .client
        .post(app.url("/api/admin/widgets"))
        .bearer_auth(session_token_for(&shop))
        .json(&json!({"name": "FBT", "placement": "product_page", "strategy": "frequently_bought_together", "max_products": 3, "title": "Goes with"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let widget = w["id"].as_str().unwrap();
    let recs: Recommendations = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={widget}&product={seed}"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recs.products.len(), 3);
    let in_family = |id: &str| family.iter().any(|g| g.ends_with(&format!("/{id}")));
    assert!(
        in_family(&recs.products[0].id),
        "top recommendation {} is not in the seed's family {family:?}",
        recs.products[0].id
    );
    assert_eq!(recs.products[0].reason, "bought_together");

    // A webhook: a new order arrives and is applied.
    let order = standin.order_payload(9001, &[0, 1], None);
    let status = standin
        .send_webhook(&app.url("/webhooks/shopify"), "orders/create", &order)
        .await
        .unwrap();
    assert_eq!(status, 200);
    synced(&app, &shop).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 201);

    // The access token dies early: the next Admin call is refused, the client renews once with
    // the refresh token, and the new pair is stored.
    let before = count(
        &app,
        "SELECT COUNT(*) FROM shops WHERE refresh_token_ciphertext IS NOT NULL",
    )
    .await;
    assert_eq!(before, 1);
    let old_cipher: String = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT access_token_ciphertext FROM shops".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<String>(0).unwrap()
    };
    assert!(standin.expire_access_token(&token));
    // A product changes without a webhook: the incremental sync (reconciliation) repairs it.
    standin.touch_product(2).unwrap();
    let r = app
        .client
        .post(app.url("/api/admin/sync"))
        .bearer_auth(session_token_for(&shop))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let s = synced(&app, &shop).await;
    assert_eq!(s.status, "done", "{s:?}");
    assert!(s.counts.products >= 1, "{s:?}");
    assert_eq!(
        standin.stats().token_requests.get("refresh_token").copied(),
        Some(1)
    );
    let new_cipher: String = {
        use sea_orm::{ConnectionTrait, Statement};
        let row = app
            .db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT access_token_ciphertext FROM shops".to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<String>(0).unwrap()
    };
    assert_ne!(old_cipher, new_cipher);
    standin.stop().await;
}

async fn authorization_code_grant(backend: Backend) {
    let standin = stand_in(None).await;
    let shop = standin.shop_domain().to_owned();
    let app = app_for(backend, &standin).await;
    // Bad shops are refused before any redirect.
    for bad in ["evil.com", "x.myshopify.com.evil.com", ""] {
        let r = app
            .client
            .get(app.url(&format!("/auth?shop={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{bad}");
    }
    let r = app
        .client
        .get(app.url(&format!("/auth?shop={shop}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let cookie_pair = cookie.split(';').next().unwrap().to_owned();
    let authorize = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        authorize.starts_with(&format!("https://{shop}/admin/oauth/authorize?")),
        "{authorize}"
    );
    let state = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(state.len(), 64, "256-bit nonce");
    // The merchant approves at the stand-in, which redirects back with a signed callback.
    let at_standin = authorize.replacen(
        &format!("https://{shop}"),
        &format!("{}/shops/{shop}", standin.base_url()),
        1,
    );
    let r = app.client.get(&at_standin).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let callback = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        callback.starts_with(&app.url("/auth/callback?")),
        "{callback}"
    );
    // Without the browser's cookie, or with another state: refused, nothing exchanged.
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        403
    );
    let forged = format!("attune_oauth_state={}.{}", "0".repeat(64), "0".repeat(64));
    assert_eq!(
        app.client
            .get(&callback)
            .header("cookie", forged)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        standin
            .stats()
            .token_requests
            .get("authorization_code")
            .copied(),
        None
    );
    // With it: installed, redirected into the admin.
    let r = app
        .client
        .get(&callback)
        .header("cookie", &cookie_pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    assert_eq!(
        standin
            .stats()
            .token_requests
            .get("authorization_code")
            .copied(),
        Some(1)
    );
    let s = synced(&app, &shop).await;
    assert_eq!(s.counts.products, 34);
    // A replayed callback (code already used) installs nothing new.
    let r = app
        .client
        .get(&callback)
        .header("cookie", &cookie_pair)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    standin.stop().await;
}

both_backends!(install_sync_webhook_recommend, authorization_code_grant);
