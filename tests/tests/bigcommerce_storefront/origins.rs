//! Storefront origins: own origins only, echoed with `Vary: Origin`, preflights, writes without
//! `Origin` refused, unknown stores.

use super::*;

async fn origins_and_preflights(backend: Backend) {
    let f = installed(backend).await;
    let origin = Some(f.origin.as_str());
    assert!(f.origin.starts_with("http://127.0.0.1:"), "{}", f.origin);

    // The store's own storefront: answered, its origin echoed, and the answer varies on it.
    let r = f.get(&f.recs(), origin, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(acao(&r).as_deref(), origin);
    assert!(varies_on_origin(&r), "{:?}", r.headers());
    let answer: Recommendations = r.json().await.unwrap();
    assert_eq!(answer.products.len(), 3, "{answer:?}");
    let top: i64 = answer.products[0].id.parse().unwrap();
    assert!(f.family.contains(&top), "{top} not in {:?}", f.family);

    // Another site, or the store's host on another port: refused, with no CORS grant.
    let (host, _) = f.origin.rsplit_once(':').unwrap();
    for other in [FOREIGN.to_owned(), format!("{host}:1")] {
        let r = f.get(&f.recs(), Some(&other), None).await;
        assert_eq!(r.status(), 403, "{other}");
        assert_eq!(acao(&r), None);
        assert!(varies_on_origin(&r));
        assert!(error_of(r).await.message.contains(&other));
        let r = f
            .events(Some(&other), None, &f.batch("feed0000feed0001"))
            .await;
        assert_eq!(r.status(), 403, "{other}");
        assert_eq!(acao(&r), None);
    }

    // Preflights: the store's origin may send the token header; another origin, or none, not.
    for (path, method) in [
        ("/events", "POST"),
        ("/offer", "GET"),
        ("/recommendations", "GET"),
    ] {
        let preflight = |o: Option<&str>| {
            let mut r = f
                .app
                .client
                .request(
                    Method::OPTIONS,
                    f.app.url(&format!("/storefront/bigcommerce/{STORE}{path}")),
                )
                .header("access-control-request-method", method)
                .header(
                    "access-control-request-headers",
                    "content-type,x-attune-customer-jwt",
                );
            if let Some(o) = o {
                r = r.header("origin", o);
            }
            r.send()
        };
        let r = preflight(origin).await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        assert_eq!(acao(&r).as_deref(), origin, "{path}");
        assert!(varies_on_origin(&r), "{path}");
        let h = |name| {
            r.headers()
                .get(name)
                .unwrap()
                .to_str()
                .unwrap()
                .to_ascii_lowercase()
        };
        let allowed = h(ACCESS_CONTROL_ALLOW_HEADERS);
        assert!(
            allowed.contains("x-attune-customer-jwt") && allowed.contains("content-type"),
            "{path}: {allowed}"
        );
        let methods = h(ACCESS_CONTROL_ALLOW_METHODS);
        assert!(
            methods.contains(&method.to_ascii_lowercase()),
            "{path}: {methods}"
        );
        let r = preflight(Some(FOREIGN)).await.unwrap();
        assert_eq!((r.status().as_u16(), acao(&r)), (403, None), "{path}");
        let r = preflight(None).await.unwrap();
        assert_eq!(r.status(), 403, "{path} without Origin");
    }

    // Without Origin (not a browser): a public read is answered, but not one carrying a
    // customer's token; writes and codes are refused.
    let r = f.get(&f.recs(), None, None).await;
    assert_eq!((r.status().as_u16(), acao(&r)), (200, None));
    assert_eq!(r.json::<Recommendations>().await.unwrap().products.len(), 3);
    let token = f.token(f.bc.customer_ids(STORE)[0]);
    let r = f.get(&f.recs(), None, Some(&token)).await;
    assert_eq!(r.status(), 403);
    assert!(error_of(r).await.message.contains("Origin"));
    let r = f.events(None, None, &f.batch("feed0000feed0002")).await;
    assert_eq!(r.status(), 403);
    assert!(error_of(r).await.message.contains("Origin"));
    let offer = "/offer?visitor=feed0000feed0003";
    assert_eq!(f.get(offer, None, None).await.status(), 403);
    // From the store's origin the offer route answers (no offer is set up: no code).
    let r = f.get(offer, origin, Some(&token)).await;
    assert_eq!((r.status().as_u16(), acao(&r).as_deref()), (200, origin));
    let answer: Value = r.json().await.unwrap();
    assert!(
        answer["decision"] != json!("offer") && answer["offer"].is_null(),
        "{answer}"
    );
    assert_eq!(
        count(&f.app, "SELECT COUNT(*) FROM storefront_events").await,
        0,
        "nothing refused was stored"
    );

    // A store that is not installed, or not a store hash.
    for store in ["nosuchstore", "bad%2Dhash!"] {
        let r = f
            .app
            .client
            .get(f.app.url(&format!(
                "/storefront/bigcommerce/{store}/recommendations?widget={}",
                f.widget
            )))
            .header("origin", &f.origin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{store}");
    }
    f.stop().await;
}

both_backends!(origins_and_preflights);
