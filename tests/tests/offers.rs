//! Smart offers end to end against the Shopify stand-in, on SQLite and PostgreSQL: validation
//! that names the field, a code pool created through `discountCodeBasicCreate` (single use, once
//! per customer), decisions through the signed app proxy only, many visitors at once never
//! sharing a code, the daily budget and frequency cap holding under that concurrency, the same
//! answer when a visitor asks again, an always-on holdout, and redemption read from the order
//! webhook.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use attune_api::offers::{Offer, OfferAnswer};
use attune_server::platform::shopify::standin::{StandIn, StandInConfig};
use attune_tests::*;
use serde_json::{Value, json};

async fn stand_in() -> StandIn {
    let config = StandInConfig::new(
        API_KEY,
        API_SECRET,
        workspace_root().join("../shared/data/shopify"),
    );
    StandIn::start(config).await.unwrap()
}

async fn app_for(backend: Backend, standin: &StandIn) -> TestApp {
    let origin = standin.base_url();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    spawn_with(backend, move |s| {
        s.shopify.api_origin = Some(origin);
        s.server.port = port;
        s.app.url = format!("http://127.0.0.1:{port}");
    })
    .await
}

async fn admin(
    app: &TestApp,
    shop: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app
        .client
        .request(method, app.url(path))
        .bearer_auth(session_token_for(shop));
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Visitors who consented: their first events create them.
async fn arrive(app: &TestApp, shop: &str, visitor: &str) {
    let ms = now() as i64 * 1000;
    let body = json!({
        "shop": shop,
        "visitor": visitor,
        "context": {"device": "desktop", "landing_page": "/"},
        "events": [
            {"id": format!("{visitor}-1"), "type": "page_viewed", "at": ms - 60_000, "url": "/"},
            {"id": format!("{visitor}-2"), "type": "product_added_to_cart", "at": ms - 30_000,
             "product": "1", "quantity": 1, "value_minor": 4500, "cart_value_minor": 4500, "cart_items": 1},
        ],
    });
    let r = app
        .client
        .post(app.url("/storefront/events"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202, "{:?}", r.text().await);
}

/// Events are written by the event sink shortly after they are accepted.
async fn visitors_stored(app: &TestApp, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(app, "SELECT COUNT(*) FROM visitors").await < n {
        assert!(Instant::now() < deadline, "visitors were not stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ask(app: &TestApp, shop: &str, visitor: &str, customer: &str) -> (u16, Value) {
    let q = proxy_query(&format!(
        "visitor={visitor}&cart_subtotal=4500&explain=1&shop={shop}&logged_in_customer_id={customer}&path_prefix=%2Fapps%2Fattune&timestamp={}",
        now()
    ));
    let r = app
        .client
        .get(app.url(&format!("/proxy/offer?{q}")))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn offer_state(app: &TestApp, shop: &str, id: i64) -> Offer {
    let (s, v) = admin(
        app,
        shop,
        reqwest::Method::GET,
        &format!("/api/admin/offers/{id}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    serde_json::from_value(v).unwrap()
}

async fn pool_filled(app: &TestApp, shop: &str, id: i64, want: u64) -> Offer {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let o = offer_state(app, shop, id).await;
        if o.codes.available >= want {
            return o;
        }
        assert!(Instant::now() < deadline, "pool not filled: {:?}", o.codes);
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

async fn offers_end_to_end(backend: Backend) {
    let standin = stand_in().await;
    let shop = standin.shop_domain().to_owned();
    let app = app_for(backend, &standin).await;
    // Install by opening the admin (token exchange).
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

    // Bad input names its fields.
    let (s, v) = admin(
        &app,
        &shop,
        reqwest::Method::POST,
        "/api/admin/offers",
        Some(json!({"name": "", "kind": "percentage", "percentage": 120, "headline": "x", "max_discount_minor": 500})),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let fields: HashSet<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains("name")
            && fields.contains("percentage")
            && fields.contains("max_discount_minor"),
        "{v}"
    );
    let (s, v) = admin(
        &app,
        &shop,
        reqwest::Method::POST,
        "/api/admin/offers",
        Some(json!({"name": "x", "kind": "bogus"})),
    )
    .await;
    assert_eq!(s, 400, "{v}");

    // A fixed-amount offer, 5.00 off, at most 15.00 of codes per day, one code per visitor.
    let (s, v) = admin(
        &app,
        &shop,
        reqwest::Method::POST,
        "/api/admin/offers",
        Some(json!({
            "name": "Cart nudge", "status": "active", "kind": "fixed_amount", "amount_minor": 500,
            "minimum_subtotal_minor": 3000, "daily_budget_minor": 1500, "frequency_cap": 1,
            "headline": "5.00 off your cart", "body": "Today only.", "holdout_percent": 10,
        })),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let budgeted: Offer = serde_json::from_value(v).unwrap();

    // Its pool fills through the platform, each code a single-use discount.
    pool_filled(&app, &shop, budgeted.id, 20).await;
    let made = standin.stats().discount_codes;
    assert_eq!(made.len(), 20);
    for input in made.values() {
        assert_eq!(input["usageLimit"], 1);
        assert_eq!(input["appliesOncePerCustomer"], true);
        assert_eq!(
            input["customerGets"]["value"]["discountAmount"]["amount"],
            "5.00"
        );
        assert_eq!(
            input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"],
            "30.00"
        );
    }

    // Without consent (no visitor row), nothing is decided.
    let (s, v) = ask(&app, &shop, "nobody-here", "").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["decision"], "none");
    assert_eq!(v["reason"], "no_consent");
    // Unsigned calls cannot reach offers at all.
    let r = app
        .client
        .get(app.url("/proxy/offer?visitor=v1&shop=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Sixty visitors ask at once.
    let visitors: Vec<String> = (0..60)
        .map(|i| format!("visitor-{i:03}-{}", backend_tag(backend)))
        .collect();
    for v in &visitors {
        arrive(&app, &shop, v).await;
    }
    visitors_stored(&app, 60).await;
    let answers: Vec<(String, OfferAnswer)> = futures_join(&app, &shop, &visitors).await;
    let offered: Vec<&(String, OfferAnswer)> = answers
        .iter()
        .filter(|(_, a)| a.decision == "offer")
        .collect();
    let codes: HashSet<&str> = offered
        .iter()
        .map(|(_, a)| a.offer.as_ref().unwrap().code.as_str())
        .collect();
    assert_eq!(codes.len(), offered.len(), "a code was handed out twice");
    // The daily budget allows three 5.00 codes, whatever the concurrency.
    assert_eq!(offered.len(), 3, "{answers:?}");
    let reasons: HashMap<&str, usize> = answers.iter().fold(HashMap::new(), |mut m, (_, a)| {
        *m.entry(a.reason.as_str()).or_default() += 1;
        m
    });
    assert!(
        reasons.get("daily_budget").copied().unwrap_or(0) > 0,
        "{reasons:?}"
    );
    assert!(
        reasons.get("holdout").copied().unwrap_or(0) > 0,
        "{reasons:?}"
    );
    for code in &codes {
        assert!(
            made.contains_key(*code),
            "{code} was not created on the platform"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM offer_codes WHERE status = 'assigned'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(DISTINCT visitor_id) FROM offer_codes WHERE status = 'assigned'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT CAST(COALESCE(SUM(committed_minor), 0) AS BIGINT) FROM offer_codes"
        )
        .await,
        1500
    );
    // Every decision is logged, with why; holdout visitors were never offered.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM offer_decisions").await,
        60
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM offer_decisions WHERE why = 'holdout' AND action = 'offer'"
        )
        .await,
        0
    );

    // Asking again: the same answer and the same code.
    let (lucky, first) = offered[0];
    let (s, again) = ask(&app, &shop, lucky, "").await;
    assert_eq!(s, 200);
    assert_eq!(
        again["offer"]["code"],
        first.offer.as_ref().unwrap().code.as_str()
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM offer_decisions").await,
        60
    );

    // The shopper uses the code: the order webhook marks it redeemed, and it is not offered again.
    let code = first.offer.as_ref().unwrap().code.clone();
    let mut order = standin.order_payload(7001, &[0], None);
    order["discount_codes"] = json!([{"code": code, "amount": "5.00", "type": "fixed_amount"}]);
    let status = standin
        .send_webhook(&app.url("/webhooks/shopify"), "orders/create", &order)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(
        &app,
        "SELECT COUNT(*) FROM offer_codes WHERE status = 'redeemed'",
    )
    .await
        == 0
    {
        assert!(Instant::now() < deadline, "the redemption was not recorded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, after) = ask(&app, &shop, lucky, "").await;
    assert_eq!(after["decision"], "none");
    assert_eq!(after["reason"], "redeemed");
    assert_eq!(
        offer_state(&app, &shop, budgeted.id).await.codes.redeemed,
        1
    );
    // The report credits the offer with that order, apart from what it measures against the
    // holdout.
    let (s, report) = admin(
        &app,
        &shop,
        reqwest::Method::GET,
        &format!("/api/admin/analytics/offers/{}", budgeted.id),
        None,
    )
    .await;
    assert_eq!(s, 200, "{report}");
    let economics = &report["economics"];
    assert_eq!(economics["codes_redeemed"], 1);
    assert_eq!(economics["codes_handed_out"], 3);
    assert_eq!(economics["discount_cost_minor"], 500);
    let subtotal = count(
        &app,
        &format!(
            "SELECT subtotal_minor FROM orders WHERE platform_id = '{}'",
            order["id"]
        ),
    )
    .await;
    assert!(subtotal > 0);
    assert_eq!(economics["attributed_revenue_minor"], subtotal);

    // A visitor who withdraws consent takes their decisions with them; their code stays
    // counted against the budget, unlinked.
    let (leaver, _) = offered[1];
    let withdraw = json!({"shop": shop, "visitor": leaver, "consent": {"analytics": false}, "context": {}, "events": []});
    let r = app
        .client
        .post(app.url("/storefront/events"))
        .json(&withdraw)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&app, "SELECT COUNT(*) FROM offer_decisions").await != 59 {
        assert!(
            Instant::now() < deadline,
            "the withdrawn visitor's decisions stayed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM offer_codes WHERE committed_minor IS NOT NULL AND visitor_id IS NULL").await, 1);
}

/// Two code pools, many visitors at once, no budget: every offered visitor gets a distinct code
/// until the pool runs dry, then "no_code_ready" (never a shared code) while the pool refills.
async fn codes_are_never_shared(backend: Backend) {
    let standin = stand_in().await;
    let shop = standin.shop_domain().to_owned();
    let app = app_for(backend, &standin).await;
    app.client
        .get(app.url(&format!(
            "/admin?embedded=1&shop={shop}&id_token={}",
            session_token_for(&shop)
        )))
        .send()
        .await
        .unwrap();
    let (s, v) = admin(
        &app,
        &shop,
        reqwest::Method::POST,
        "/api/admin/offers",
        Some(json!({"name": "Ten percent", "status": "active", "kind": "percentage", "percentage": 10,
                    "headline": "10% off", "holdout_percent": 5})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    pool_filled(&app, &shop, id, 20).await;
    let visitors: Vec<String> = (0..120).map(|i| format!("many-{i:03}")).collect();
    for v in &visitors {
        arrive(&app, &shop, v).await;
    }
    visitors_stored(&app, 120).await;
    let answers = futures_join(&app, &shop, &visitors).await;
    let codes: Vec<&str> = answers
        .iter()
        .filter_map(|(_, a)| a.offer.as_ref().map(|o| o.code.as_str()))
        .collect();
    let unique: HashSet<&&str> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "a code was handed out twice");
    assert!(codes.len() >= 20, "only {} offered", codes.len());
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM (SELECT code FROM offer_codes WHERE status = 'assigned' GROUP BY code HAVING COUNT(DISTINCT visitor_id) > 1) t").await,
        0
    );
    let made = standin.stats().discount_codes;
    assert_eq!(
        made.values().next().unwrap()["customerGets"]["value"]["percentage"],
        0.1
    );

    // A logged-in customer's code becomes theirs alone on the platform.
    pool_filled(&app, &shop, id, 1).await;
    let key = (0u32..)
        .map(|i| format!("known-{i}"))
        .find(|k| {
            let d = attune_engine::experiments::bucket(&format!("offer-{id}"), k);
            d >= 0.05 && (d - 0.05) / 0.95 < 0.5
        })
        .unwrap();
    arrive(&app, &shop, &key).await;
    visitors_stored(&app, 121).await;
    let (s, v) = ask(&app, &shop, &key, "7001").await;
    assert_eq!(s, 200);
    assert_eq!(v["decision"], "offer", "{v}");
    let code = v["offer"]["code"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let bound = standin.stats().discount_codes[&code]["context"].clone();
        if bound == json!({"customers": {"add": ["gid://shopify/Customer/7001"]}}) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the code was not limited to its customer: {bound}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn backend_tag(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "s",
        Backend::Postgres => "p",
    }
}

async fn futures_join(
    app: &TestApp,
    shop: &str,
    visitors: &[String],
) -> Vec<(String, OfferAnswer)> {
    let mut tasks = Vec::new();
    for v in visitors {
        let client = app.client.clone();
        let base = app.address.clone();
        let (v, shop) = (v.clone(), shop.to_owned());
        tasks.push(tokio::spawn(async move {
            let q = proxy_query(&format!(
                "visitor={v}&cart_subtotal=4500&shop={shop}&logged_in_customer_id=&path_prefix=%2Fapps%2Fattune&timestamp={}",
                now()
            ));
            let r = client.get(format!("{base}/proxy/offer?{q}")).send().await.unwrap();
            assert_eq!(r.status(), 200);
            (v, r.json::<OfferAnswer>().await.unwrap())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

both_backends!(offers_end_to_end, codes_are_never_shared);
