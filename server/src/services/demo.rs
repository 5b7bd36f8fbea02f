//! The demo shop: real purchase history (a sample of the UCI "Online Retail" data, CC BY 4.0,
//! see `server/data/demo/README.md`) loaded into a stand-in Shopify store.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use anyhow::Context;
use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

use crate::db::catalog::{self, NewProduct};
use crate::db::orders::{self, NewLine, NewOrder};
use crate::db::shops::{self, Shop};
use crate::db::widgets::{self, WidgetFields};
use crate::platform::shopify;

pub const DEMO_SHOP: &str = "attune-demo.myshopify.com";
const CURRENCY: &str = "GBP";

const PRODUCTS_GZ: &[u8] = include_bytes!("../../data/demo/products.csv.gz");
const ORDERS_GZ: &[u8] = include_bytes!("../../data/demo/orders.csv.gz");
const SHOPPERS_CSV: &str = include_str!("../../data/demo/shoppers.csv");

/// A demo shopper the storefront can switch to (a real, anonymous customer of the sample).
#[derive(Debug, Clone)]
pub struct Shopper {
    pub customer_id: String,
    pub name: String,
    pub description: String,
}

pub fn shoppers() -> Vec<Shopper> {
    let mut reader = csv::Reader::from_reader(SHOPPERS_CSV.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .filter(|r| r.len() >= 3)
        .map(|r| Shopper {
            customer_id: r[0].to_owned(),
            name: r[1].to_owned(),
            description: r[2].to_owned(),
        })
        .collect()
}

/// What loading is doing, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum Progress {
    Products(usize),
    Customers(usize),
    Orders { done: usize, total: usize },
}

fn gunzip(bytes: &[u8]) -> anyhow::Result<String> {
    let mut out = String::new();
    flate2::read::GzDecoder::new(bytes).read_to_string(&mut out)?;
    Ok(out)
}

fn parse_ts(s: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
        .with_context(|| format!("bad timestamp {s:?}"))?
        .and_utc())
}

/// Creates the demo shop and loads its catalog and order history, unless already loaded.
/// Everything is written in one transaction: an interrupted load leaves nothing behind.
pub async fn ensure_loaded(
    db: &DatabaseConnection,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Shop> {
    let shop = shops::ensure(
        db,
        shopify::PLATFORM,
        DEMO_SHOP,
        "Attune Demo Store",
        CURRENCY,
    )
    .await?;
    if catalog::count(db, shop.id).await? > 0 {
        return Ok(shop);
    }
    let products = read_products()?;
    let (customers, orders) = read_orders()?;

    let txn = db.begin().await?;
    let product_ids = catalog::insert_products(&txn, shop.id, &products).await?;
    progress(Progress::Products(product_ids.len()));
    let customer_ids = orders::insert_customers(&txn, shop.id, &customers).await?;
    progress(Progress::Customers(customer_ids.len()));
    let total = orders.len();
    let new_orders: Vec<NewOrder> = orders
        .into_iter()
        .map(|o| NewOrder {
            platform_id: o.order_id,
            customer_id: customer_ids.get(&o.customer_id).copied(),
            currency: CURRENCY.to_owned(),
            placed_at: o.placed_at,
            lines: o
                .lines
                .into_iter()
                .map(|(item, qty, price)| NewLine {
                    product_id: product_ids.get(&item).copied(),
                    platform_product_id: item,
                    quantity: qty,
                    unit_price_minor: price,
                })
                .collect(),
        })
        .collect();
    orders::insert_orders(&txn, shop.id, &new_orders, |done| {
        progress(Progress::Orders { done, total })
    })
    .await?;
    seed_widgets(&txn, shop.id).await?;
    txn.commit().await?;
    crate::db::analyze(db).await?;
    Ok(shop)
}

/// Two starter widgets so the storefront shows something before the merchant builds their own.
async fn seed_widgets(
    db: &impl sea_orm::ConnectionTrait,
    shop: crate::db::ShopId,
) -> anyhow::Result<()> {
    for w in starter_widgets() {
        widgets::insert(db, shop, w).await?;
    }
    Ok(())
}

fn read_products() -> anyhow::Result<Vec<NewProduct>> {
    let text = gunzip(PRODUCTS_GZ)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let loaded_at = parse_ts("2011-12-09 12:00:00")?;
    reader
        .records()
        .map(|r| {
            let r = r?;
            let tags = r[5]
                .split('|')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            Ok(NewProduct {
                platform_id: r[0].to_owned(),
                handle: r[1].to_owned(),
                title: r[2].to_owned(),
                price_minor: r[3]
                    .parse()
                    .with_context(|| format!("bad price for {}", &r[0]))?,
                product_type: r[4].to_owned(),
                vendor: "Online Retail".to_owned(),
                tags,
                currency: CURRENCY.to_owned(),
                image_url: None,
                inventory_quantity: None,
                updated_at: loaded_at,
            })
        })
        .collect()
}

struct DemoOrder {
    order_id: String,
    customer_id: String,
    placed_at: DateTime<Utc>,
    lines: Vec<(String, i32, i64)>,
}

type Customers = Vec<(String, DateTime<Utc>)>;

fn read_orders() -> anyhow::Result<(Customers, Vec<DemoOrder>)> {
    let text = gunzip(ORDERS_GZ)?;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut orders: Vec<DemoOrder> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut first_seen: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for r in reader.records() {
        let r = r?;
        let (customer, order_id, ts, item) = (&r[0], &r[1], parse_ts(&r[2])?, &r[3]);
        let qty: i32 = r[4]
            .parse()
            .with_context(|| format!("bad qty in order {order_id}"))?;
        let price: i64 = r[5]
            .parse()
            .with_context(|| format!("bad price in order {order_id}"))?;
        first_seen.entry(customer.to_owned()).or_insert(ts);
        let i = *index.entry(order_id.to_owned()).or_insert_with(|| {
            orders.push(DemoOrder {
                order_id: order_id.to_owned(),
                customer_id: customer.to_owned(),
                placed_at: ts,
                lines: Vec::new(),
            });
            orders.len() - 1
        });
        orders[i].lines.push((item.to_owned(), qty, price));
    }
    Ok((first_seen.into_iter().collect(), orders))
}

/// The widgets a fresh demo starts with.
fn starter_widgets() -> Vec<WidgetFields> {
    vec![
        WidgetFields {
            name: "Product page — bought together".into(),
            placement: "product_page".into(),
            strategy: "frequently_bought_together".into(),
            max_products: 6,
            title: "Frequently bought together".into(),
            rules: serde_json::json!({}),
        },
        WidgetFields {
            name: "Home — picked for you".into(),
            placement: "home".into(),
            strategy: "for_you".into(),
            max_products: 6,
            title: "Picked for you".into(),
            rules: serde_json::json!({}),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_data_parses() {
        let products = read_products().unwrap();
        let (customers, orders) = read_orders().unwrap();
        assert!(products.len() > 1000);
        assert!(customers.len() > 500);
        assert!(orders.iter().all(|o| !o.lines.is_empty()));
        let known: std::collections::HashSet<_> = products.iter().map(|p| &p.platform_id).collect();
        assert!(
            orders
                .iter()
                .flat_map(|o| &o.lines)
                .all(|(item, _, _)| known.contains(item))
        );
        assert_eq!(shoppers().len(), 4);
    }
}
