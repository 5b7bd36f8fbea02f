//! Events name the shopper only from a verified Current Customer JWT; tampered, expired and
//! other stores' tokens are 401s naming the check.

use super::*;

async fn events_link_only_verified_customers(backend: Backend) {
    let f = installed(backend).await;
    let origin = Some(f.origin.as_str());
    let customers = f.bc.customer_ids(STORE);
    let (customer, other) = (customers[0], customers[1]);
    let token = f.token(customer);

    // A guest's batch (text/plain, no token): stored, linked to no one.
    let guest = "0b0b0b0b-0000-4000-8000-000000000001";
    let r = f.events(origin, None, &f.batch(guest)).await;
    assert_eq!((r.status().as_u16(), acao(&r).as_deref()), (202, origin));
    assert_eq!(r.json::<Value>().await.unwrap()["stored"], json!(2));
    assert_eq!(visitors_named(&f.app, guest).await, 1);
    assert_eq!(
        linked_customers(&f.app, guest, "product_viewed").await,
        Vec::<String>::new()
    );

    // A logged-in shopper's batch: stored with the customer the verified token names.
    let shopper = "0b0b0b0b-0000-4000-8000-000000000002";
    let r = f.events(origin, Some(&token), &f.batch(shopper)).await;
    assert_eq!(r.status(), 202);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"stored": 2, "duplicates": 0})
    );
    assert_eq!(
        linked_customers(&f.app, shopper, "product_viewed").await,
        vec![customer.to_string()]
    );
    // The same batch again (a retry): nothing new.
    let r = f.events(origin, Some(&token), &f.batch(shopper)).await;
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"stored": 0, "duplicates": 2})
    );

    // Tokens that fail a check: a 401 naming it (readable by the script: the origin is
    // echoed), nothing stored, and reads refuse them too rather than answering a guest.
    let cases = [
        (
            "customer swapped",
            tampered(&token, |c| c["customer"]["id"] = json!(other)),
            "signature",
        ),
        (
            "store swapped",
            tampered(&token, |c| c["store_hash"] = json!("otherstore9")),
            "signature",
        ),
        (
            "expired",
            f.bc.current_customer_jwt(STORE, customer, now() as i64 - 3_600),
            "expired",
        ),
        (
            "another store's",
            f.bc.current_customer_jwt("otherstore9", customer, now() as i64),
            "store_hash",
        ),
        ("not a JWT", "not-a-token".to_owned(), "customer token"),
    ];
    for (i, (what, bad, check)) in cases.iter().enumerate() {
        let visitor = format!("0b0b0b0b-0000-4000-8000-0000000001{i:02}");
        let r = f.events(origin, Some(bad), &f.batch(&visitor)).await;
        assert_eq!(
            (r.status().as_u16(), acao(&r).as_deref()),
            (401, origin),
            "{what}"
        );
        let e = error_of(r).await;
        assert_eq!(e.error, "unauthorized", "{what}");
        assert!(
            e.message.starts_with("customer token") && e.message.contains(check),
            "{what}: {}",
            e.message
        );
        assert_eq!(visitors_named(&f.app, &visitor).await, 0, "{what}");
        let r = f.get(&f.recs(), origin, Some(bad)).await;
        assert_eq!(r.status(), 401, "{what}");
    }

    // The store comes from the path: a body naming a shop is refused, naming the field.
    let named = "0b0b0b0b-0000-4000-8000-000000000003";
    for shop in ["attune-demo.myshopify.com", STORE] {
        let mut body = f.batch(named);
        body["shop"] = json!(shop);
        let r = f.events(origin, None, &body).await;
        assert!(
            [400, 422].contains(&r.status().as_u16()),
            "{shop}: {}",
            r.status()
        );
        let e = error_of(r).await;
        assert!(e.fields.iter().any(|x| x.field == "shop"), "{shop}: {e:?}");
    }
    assert_eq!(visitors_named(&f.app, named).await, 0);

    // A verified token reaches the reads too: recommendations answered for that customer.
    let path = format!("{}&visitor={shopper}", f.recs());
    // The model may be rebuilding after the events just stored: it is given a few seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let r = f.get(&path, origin, Some(&token)).await;
        assert_eq!(r.status(), 200);
        if !r
            .json::<Recommendations>()
            .await
            .unwrap()
            .products
            .is_empty()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no recommendations for a verified customer"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    f.stop().await;
}

both_backends!(events_link_only_verified_customers);
