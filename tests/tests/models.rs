//! Recommendation models are stored: a second process and a restarted one serve the very model
//! the first built (same version, same answers); new orders are grown into it without a full
//! build, in every process alike; a change to an older order brings a full build that every
//! process then serves.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use attune_api::storefront::Recommendations;
use attune_server::db;
use attune_server::db::orders::{NewLine, NewOrder};
use attune_tests::*;
use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};

const DEMO_SHOP: &str = "attune-demo.myshopify.com";
/// New orders pairing two products: enough to make them each other's strongest complement.
const NEW_ORDERS: usize = 60;

async fn recs(app: &TestApp, widget: &str, product: &str) -> Recommendations {
    let r = app
        .client
        .get(app.url(&format!(
            "/storefront/recommendations?widget={widget}&product={product}&explain=1"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn ids(r: &Recommendations) -> Vec<String> {
    r.products.iter().map(|p| p.id.clone()).collect()
}

/// Lets every process's once-a-second check see the database's change.
async fn after_recheck() {
    tokio::time::sleep(attune_server::services::recommend::RECHECK + Duration::from_millis(300))
        .await;
}

async fn stored_models_are_shared_grown_and_rebuilt(backend: Backend) {
    let a = spawn_demo(backend).await;
    let shop = db::shops::find_by_domain(&a.db, "shopify", DEMO_SHOP)
        .await
        .unwrap()
        .unwrap()
        .id;
    let widget = db::widgets::list(&a.db, shop)
        .await
        .unwrap()
        .into_iter()
        .find(|w| w.strategy == "frequently_bought_together")
        .unwrap()
        .public_id;
    let products = db::catalog::all(&a.db, shop).await.unwrap();
    let sellable = |p: &&db::catalog::ProductRow| {
        p.status == "active" && p.inventory_quantity.is_none_or(|q| q > 0)
    };
    let seed = products.iter().filter(sellable).nth(3).unwrap();

    // The first process builds and stores version 1.
    assert_eq!(db::models::version(&a.db, shop).await.unwrap(), None);
    let first = recs(&a, &widget, &seed.platform_id).await;
    let info = first.model.clone().unwrap();
    assert_eq!(info.version, 1);
    assert_eq!(db::models::version(&a.db, shop).await.unwrap(), Some(1));
    assert!(!first.products.is_empty());

    // A second process serves the stored model: same version, same build, same answer.
    let b = spawn_on(a.database.clone(), true).await;
    let second = recs(&b, &widget, &seed.platform_id).await;
    assert_eq!(second.model, first.model);
    assert_eq!(ids(&second), ids(&first));

    // New orders pair the seed with a product it was never shown with.
    let partner = products
        .iter()
        .filter(sellable)
        .rev()
        .find(|p| p.id != seed.id && !ids(&first).contains(&p.platform_id))
        .unwrap();
    let now = Utc::now();
    let orders: Vec<NewOrder> = (0..NEW_ORDERS)
        .map(|n| NewOrder {
            platform_id: format!("models-test-{n}"),
            customer_id: None,
            currency: "GBP".into(),
            placed_at: now,
            lines: [seed, partner]
                .iter()
                .map(|p| NewLine {
                    product_id: Some(p.id),
                    platform_product_id: p.platform_id.clone(),
                    quantity: 1,
                    unit_price_minor: p.price_minor,
                })
                .collect(),
        })
        .collect();
    db::orders::insert_orders(&a.db, shop, &orders, |_| {})
        .await
        .unwrap();
    after_recheck().await;
    let grown_a = recs(&a, &widget, &seed.platform_id).await;
    let grown_b = recs(&b, &widget, &seed.platform_id).await;
    let grown = grown_a.model.clone().unwrap();
    // Grown in, not rebuilt: same version and build, more orders.
    assert_eq!(grown.version, 1);
    assert_eq!(grown.built_at, info.built_at);
    assert_eq!(grown.orders, info.orders + NEW_ORDERS as u64);
    assert_eq!(
        ids(&grown_a)[0],
        partner.platform_id,
        "{:?}",
        grown_a.products
    );
    let why = grown_a.products[0].explanation.as_ref().unwrap();
    assert_eq!(why.seeds, vec![seed.platform_id.clone()]);
    assert_eq!(ids(&grown_b), ids(&grown_a));
    assert_eq!(grown_b.model, grown_a.model);

    // A restart: the new process serves what is stored, grown the same way.
    a.stop().await;
    let c = spawn_on(b.database.clone(), true).await;
    let restarted = recs(&c, &widget, &seed.platform_id).await;
    assert_eq!(restarted.model, grown_a.model);
    assert_eq!(ids(&restarted), ids(&grown_a));

    // An edit to an older order cannot be grown in: one full build, version 2, for everyone.
    use db::entities::order;
    let oldest = order::Entity::find()
        .filter(order::Column::ShopId.eq(shop.get()))
        .order_by_asc(order::Column::Id)
        .one(&c.db)
        .await
        .unwrap()
        .unwrap();
    order::Entity::update_many()
        .col_expr(
            order::Column::UpdatedAt,
            Expr::value(Utc::now() + chrono::Duration::days(1)),
        )
        .filter(order::Column::Id.eq(oldest.id))
        .exec(&c.db)
        .await
        .unwrap();
    after_recheck().await;
    let rebuilt_c = recs(&c, &widget, &seed.platform_id).await;
    after_recheck().await;
    let rebuilt_b = recs(&b, &widget, &seed.platform_id).await;
    let v2 = rebuilt_c.model.clone().unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.orders, grown.orders);
    assert_eq!(rebuilt_b.model, rebuilt_c.model);
    assert_eq!(ids(&rebuilt_b), ids(&rebuilt_c));
    assert_eq!(ids(&rebuilt_c)[0], partner.platform_id);
    assert_eq!(db::models::version(&c.db, shop).await.unwrap(), Some(2));
}

both_backends!(stored_models_are_shared_grown_and_rebuilt);
