//! The installed script in headless Chromium on the stand-in's storefront.

use super::*;

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// The whole storefront in Chromium: the stand-in serves its product page with the script
/// the install registered; the shopper logs in there; the script fetches the Current
/// Customer JWT same-origin, fills the widget, sends events carrying the token, and shows
/// the visitor's offer code.
async fn browser_fills_widget_for_logged_in_shopper(backend: Backend) {
    let f = installed(backend).await;
    assert_eq!(f.bc.scripts(STORE).len(), 1);
    let customer = f.bc.customer_ids(STORE)[2];
    let tag = format!("{backend:?}").to_ascii_lowercase();
    let (st, offer) = f
        .admin(
            Method::POST,
            "/api/admin/offers",
            Some(json!({"name": "Ten off", "status": "active", "kind": "percentage", "percentage": 10,
                        "headline": "10% off <b>today</b>", "holdout_percent": 10, "presentation": "banner"})),
        )
        .await;
    assert_eq!(st, 201, "{offer}");
    let offer = offer["id"].as_i64().unwrap();
    // A visitor outside the widget's always-on holdout (measurement.rs covers that), past the
    // offer's 10% holdout and on the offered side of the coin it tosses without a model.
    let vid = (0u32..)
        .map(|i| format!("00000000-0000-4000-8000-{i:012x}"))
        .find(|k| {
            let d = bucket(&format!("offer-{offer}"), k);
            !in_holdout(&f.widget, k) && d >= 0.1 && (d - 0.1) / 0.9 < 0.5
        })
        .unwrap();

    let (_driver, c) = start_browser().await;
    // Pin the visitor id in the storefront origin's storage, on a page without the script.
    c.goto(&format!(
        "{}/customer/current.jwt?app_client_id=none",
        f.origin
    ))
    .await
    .unwrap();
    js(&c, &format!("localStorage.setItem('attune_vid', '{vid}');")).await;
    let page = format!("/products/{}/?widget={}", f.seed, f.widget);
    let page: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
    c.goto(&format!("{}/login/{customer}?redirect_to={page}", f.origin))
        .await
        .unwrap();
    let cards = format!(
        r#"section[data-attune-widget="{}"][data-attune-state="done"] .attune-recs__items .attune-card a[data-attune-product]"#,
        f.widget
    );
    let waited = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(&cards))
        .await;
    save_screenshot(&c, &format!("bigcommerce-storefront-{tag}.png")).await;
    if let Err(e) = waited {
        let state = js(&c, "const s = document.querySelector('[data-attune-widget]'); return [location.href, s && s.getAttribute('data-attune-state'), !!window.Attune];").await;
        panic!("the widget never showed products ({e}): {state}");
    }
    let mut shown = Vec::new();
    for el in c.find_all(Locator::Css(&cards)).await.unwrap() {
        shown.push(el.attr("data-attune-product").await.unwrap().unwrap());
    }
    assert_eq!(shown.len(), 3, "{shown:?}");
    let top: i64 = shown[0].parse().unwrap();
    assert!(f.family.contains(&top), "{top} not in {:?}", f.family);
    // The same answer the route gives this shopper.
    let path = format!("{}&visitor={vid}", f.recs());
    let r = f
        .get(&path, Some(&f.origin), Some(&f.token(customer)))
        .await;
    let api: Vec<String> = r
        .json::<Recommendations>()
        .await
        .unwrap()
        .products
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(shown, api);

    // The script kept our visitor id, asked BigCommerce for the token, and put it in no URL.
    let seen = js(&c, "return [window.Attune.visitorId, performance.getEntriesByType('resource').map((e) => e.name)];").await;
    assert_eq!(seen[0], json!(vid));
    let urls: Vec<&str> = seen[1]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(
        urls.iter()
            .any(|u| u.contains("/customer/current.jwt?app_client_id=bc-")),
        "{urls:?}"
    );
    assert!(
        urls.iter().all(|u| !u.contains("eyJ")),
        "a token in a URL: {urls:?}"
    );

    // The events reached us linked to the logged-in customer.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let viewed = linked_customers(&f.app, &vid, "product_viewed").await;
        let widget_seen = linked_customers(&f.app, &vid, "recommendation_viewed").await;
        if !viewed.is_empty() && !widget_seen.is_empty() {
            assert_eq!(viewed, vec![customer.to_string()]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no linked events for {vid}: {viewed:?} {widget_seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let product = column(
        &f.app,
        &format!(
            "SELECT e.platform_product_id FROM storefront_events e JOIN visitors v ON v.id = e.visitor_id \
             WHERE v.visitor_key = '{vid}' AND e.kind = 'product_viewed'"
        ),
    )
    .await;
    assert_eq!(product, vec![f.seed.to_string()]);
    // A click on a card leaves the page: the event still goes (a keepalive call with the
    // token, which needs a preflight).
    c.find(Locator::Css(&cards))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let clicked = format!(
        "SELECT e.platform_product_id FROM storefront_events e JOIN visitors v ON v.id = e.visitor_id \
         WHERE v.visitor_key = '{vid}' AND e.kind = 'recommendation_clicked'"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while column(&f.app, &clicked).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "no recommendation_clicked for {vid}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(column(&f.app, &clicked).await, vec![shown[0].clone()]);
    assert_eq!(
        linked_customers(&f.app, &vid, "recommendation_clicked").await,
        vec![customer.to_string()]
    );

    // The next page has an offer placeholder: the banner shows this visitor's code, which is
    // one of the store's coupon codes (Promotions API), and the merchant's text stays text.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(
        &f.app,
        &format!(
            "SELECT COUNT(*) FROM offer_codes WHERE offer_id = {offer} AND status = 'available'"
        ),
    )
    .await
        < 20
    {
        assert!(Instant::now() < deadline, "the code pool was not filled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    c.goto(&format!("{}/products/{}/?offer=1", f.origin, f.seed))
        .await
        .unwrap();
    let banner = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(
            ".attune-offer--banner[data-attune-offer-state='shown']",
        ))
        .await
        .unwrap_or_else(|e| panic!("no offer banner: {e}"));
    save_screenshot(&c, &format!("bigcommerce-offer-{tag}.png")).await;
    assert_eq!(
        banner.attr("data-attune-offer-id").await.unwrap(),
        Some(offer.to_string())
    );
    let code = c
        .find(Locator::Css(".attune-offer__code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let held = column(
        &f.app,
        &format!(
            "SELECT o.code FROM offer_codes o JOIN visitors v ON v.id = o.visitor_id \
             WHERE v.visitor_key = '{vid}' AND o.offer_id = {offer}"
        ),
    )
    .await;
    assert_eq!(held, vec![code.clone()]);
    assert!(
        f.bc.codes(STORE).iter().any(|(_, c)| *c == code),
        "{code} is not a coupon code of the store"
    );
    let headline = c
        .find(Locator::Css(".attune-offer__headline"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(headline, "10% off <b>today</b>");
    assert_eq!(
        js(
            &c,
            "return getComputedStyle(document.querySelector('.attune-offer')).position;"
        )
        .await,
        "fixed"
    );

    // A guest (no session cookie, another browser id): events go without a token, as
    // text/plain, and an add to cart leaving the page goes as a beacon; linked to no one.
    let guest = "00000000-0000-4000-8000-00000000beef";
    c.delete_all_cookies().await.unwrap();
    js(
        &c,
        &format!("sessionStorage.clear(); localStorage.setItem('attune_vid', '{guest}');"),
    )
    .await;
    c.goto(&format!("{}/products/{}/", f.origin, f.seed))
        .await
        .unwrap();
    let added = format!(
        "SELECT e.platform_product_id FROM storefront_events e JOIN visitors v ON v.id = e.visitor_id \
         WHERE v.visitor_key = '{guest}' AND v.customer_id IS NULL AND e.kind = 'product_added_to_cart'"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while column(&f.app, &added).await.is_empty() {
        if Instant::now() > deadline {
            panic!("no product_added_to_cart for the guest {guest}");
        }
        // The add-to-cart form posts to /cart.php, which the stand-in does not serve: a 404
        // page, then back for another try if the first click came before the script ran.
        if let Ok(button) = c
            .find(Locator::Css("form[action='/cart.php'] button"))
            .await
        {
            button.click().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.goto(&format!("{}/products/{}/", f.origin, f.seed))
            .await
            .unwrap();
    }
    assert_eq!(column(&f.app, &added).await[..1], [f.seed.to_string()]);
    assert_eq!(
        linked_customers(&f.app, guest, "product_viewed").await,
        Vec::<String>::new()
    );
    c.close().await.unwrap();
    f.stop().await;
}

both_backends!(browser_fills_widget_for_logged_in_shopper);
