//! A generated order history for the stand-in shop. The catalogs are real, but no order
//! history exists for them, so one is made up here, deterministically (fixed seed, fixed
//! dates): 40 customers and 200 orders (#1001..#1200) over the 180 days before
//! 2026-11-01, about 8% of them by guests.
//!
//! Co-purchase structure, on purpose: products come in families (`Store::families`: a colour
//! line of a vendor, or a vendor without colour tags). Each customer prefers one family;
//! a basket holds 1-4 distinct products, the first from the buyer's family and each next
//! one from the same family with probability 0.8 (else any product). About 4% of orders are
//! cancelled (refunded) and 15% use the code `WELCOME10` (10% off).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::data::{CURRENCY, Rng, Store, derived_id, gid, iso, money, money_set, parse_cents};

pub(super) const CUSTOMERS: usize = 40;
pub(super) const ORDERS: u64 = 200;
pub(super) const FIRST_ORDER_NUMBER: u64 = 1001;
pub(super) const CUSTOMER_BASE: u64 = 7_300_000_000_000;
pub(super) const ORDER_BASE: u64 = 5_500_000_000_000;
const SEED: u64 = 0xA77E_5EED;
const HISTORY_DAYS: i64 = 180;

/// A line of an order: the variant's GID and the quantity.
pub(super) type Line = (String, i64);

pub(super) fn history_end() -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default() // 2026-11-01T00:00:00Z
}

pub(super) fn generate(store: &mut Store) {
    let mut rng = Rng::new(SEED);
    let end = history_end();
    let start = end - Duration::days(HISTORY_DAYS);
    let families = store.families.len().max(1);
    // Heavier buyers first: weight 1 / (1 + i/6).
    let weights: Vec<f64> = (0..CUSTOMERS)
        .map(|i| 1.0 / (1.0 + i as f64 / 6.0))
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let mut orders_of: Vec<Vec<(String, DateTime<Utc>, i64)>> = vec![Vec::new(); CUSTOMERS];
    let span = (end - start).num_seconds() as f64;
    for k in 0..ORDERS {
        let at = start + Duration::seconds(((k as f64 + rng.unit()) * span / ORDERS as f64) as i64);
        let customer = if rng.chance(0.08) {
            None
        } else {
            let mut pick = rng.unit() * total_weight;
            let mut chosen = CUSTOMERS - 1;
            for (i, w) in weights.iter().enumerate() {
                if pick < *w {
                    chosen = i;
                    break;
                }
                pick -= w;
            }
            Some(chosen)
        };
        let family = customer.map_or_else(|| rng.below(families), |c| c % families);
        let size = match rng.unit() {
            x if x < 0.35 => 1,
            x if x < 0.70 => 2,
            x if x < 0.90 => 3,
            _ => 4,
        };
        let members = store
            .families
            .get(family)
            .map(|f| f.products.clone())
            .unwrap_or_default();
        let mut basket: Vec<usize> = Vec::new();
        for slot in 0..size {
            let unused: Vec<usize> = members
                .iter()
                .copied()
                .filter(|p| !basket.contains(p))
                .collect();
            let pick = if (slot == 0 || rng.chance(0.8)) && !unused.is_empty() {
                unused[rng.below(unused.len())]
            } else {
                rng.below(store.products.len())
            };
            if !basket.contains(&pick) {
                basket.push(pick);
            }
        }
        let lines: Vec<Line> = basket
            .iter()
            .map(|&p| {
                let variant = pick_variant(store, p, &mut rng);
                (variant, if rng.chance(0.1) { 2 } else { 1 })
            })
            .collect();
        let discount = rng.chance(0.15).then_some("WELCOME10");
        let cancelled = rng.chance(0.04);
        let number = FIRST_ORDER_NUMBER + k;
        let customer_gid = customer.map(|c| gid("Customer", CUSTOMER_BASE + c as u64 + 1));
        let order = build_order(
            store,
            number,
            at,
            customer_gid.as_deref(),
            &lines,
            discount,
            cancelled,
        );
        let total = order
            .pointer("/currentTotalPriceSet/shopMoney/amount")
            .and_then(Value::as_str)
            .and_then(parse_cents)
            .unwrap_or(0);
        let ogid = order["id"].as_str().unwrap_or_default().to_owned();
        if let Some(c) = customer {
            orders_of[c].push((ogid.clone(), at, total));
        }
        store.nodes.insert(ogid.clone(), order);
        store.orders.push(ogid);
    }
    for (i, orders) in orders_of.iter().enumerate() {
        let created = orders.first().map_or(
            start + Duration::days(rng.below(150) as i64),
            |(_, at, _)| *at,
        ) - Duration::days(1 + rng.below(30) as i64);
        let state = match i % 7 {
            0 => "UNSUBSCRIBED",
            1 | 3 | 5 => "SUBSCRIBED",
            _ => "NOT_SUBSCRIBED",
        };
        let spent: i64 = orders.iter().map(|(_, _, t)| t).sum();
        let mut tags: Vec<&str> = Vec::new();
        if state == "SUBSCRIBED" {
            tags.push("newsletter");
        }
        if orders.len() >= 8 {
            tags.push("vip");
        }
        if store
            .families
            .get(i % families)
            .is_some_and(|f| !f.name.contains(" / "))
        {
            tags.push("wholesale");
        }
        let last = orders.last();
        let id = CUSTOMER_BASE + i as u64 + 1;
        let cgid = gid("Customer", id);
        store.nodes.insert(
            cgid.clone(),
            json!({
                "__typename": "Customer",
                "id": cgid,
                "legacyResourceId": id.to_string(),
                "tags": tags,
                "createdAt": iso(created),
                "updatedAt": iso(last.map_or(created, |(_, at, _)| *at + Duration::minutes(5))),
                "state": "ENABLED",
                "verifiedEmail": true,
                "taxExempt": false,
                "locale": "en",
                "numberOfOrders": orders.len().to_string(),
                "amountSpent": {"amount": money(spent), "currencyCode": CURRENCY},
                "lastOrder": last.map(|(o, _, _)| json!({"__ref": o})),
                "emailMarketingConsent": {
                    "marketingState": state,
                    "marketingOptInLevel": "SINGLE_OPT_IN",
                    "consentUpdatedAt": iso(created),
                },
                // The address itself is protected; its consent is not.
                "defaultEmailAddress": {
                    "__typename": "CustomerEmailAddress",
                    "marketingState": state,
                    "marketingOptInLevel": "SINGLE_OPT_IN",
                    "marketingUpdatedAt": iso(created),
                },
                "defaultPhoneNumber": null,
                "orders": {"__connection": orders.iter().map(|(o, _, _)| json!({"__ref": o})).collect::<Vec<_>>()},
            }),
        );
        store.customers.push(cgid);
    }
}

/// One of the product's variants, in stock ones preferred.
pub(super) fn pick_variant(store: &Store, product: usize, rng: &mut Rng) -> String {
    let refs: Vec<String> = store.nodes[&store.products[product]]
        .pointer("/variants/__connection")
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|r| r["__ref"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let in_stock: Vec<&String> = refs
        .iter()
        .filter(|r| store.nodes[*r]["availableForSale"] == true)
        .collect();
    match in_stock.len() {
        0 => refs[rng.below(refs.len())].clone(),
        n => in_stock[rng.below(n)].clone(),
    }
}

/// An Order node, totals computed in integer cents from the variants' prices.
pub(super) fn build_order(
    store: &Store,
    number: u64,
    at: DateTime<Utc>,
    customer: Option<&str>,
    lines: &[Line],
    discount_code: Option<&str>,
    cancelled: bool,
) -> Value {
    let percent_off = if discount_code.is_some() { 10 } else { 0 };
    let (mut subtotal, mut discounts, mut quantity) = (0i64, 0i64, 0i64);
    let mut items = Vec::new();
    for (pos, (variant_gid, qty)) in lines.iter().enumerate() {
        let Some(variant) = store.node(variant_gid) else {
            continue;
        };
        let product_gid = variant["product"]["__ref"].as_str().unwrap_or_default();
        let product = store.node(product_gid).cloned().unwrap_or(Value::Null);
        let unit = variant["price"].as_str().and_then(parse_cents).unwrap_or(0);
        let off = unit * percent_off / 100;
        subtotal += (unit - off) * qty;
        discounts += off * qty;
        quantity += qty;
        let title = product["title"].as_str().unwrap_or_default();
        let variant_title = variant["title"].as_str().unwrap_or_default();
        let id = derived_id("LineItem", number * 100 + pos as u64);
        items.push(json!({
            "__typename": "LineItem",
            "id": gid("LineItem", id),
            "name": format!("{title} - {variant_title}"),
            "title": title,
            "variantTitle": variant_title,
            "quantity": qty,
            "currentQuantity": if cancelled { 0 } else { *qty },
            "sku": variant["sku"],
            "vendor": product["vendor"],
            "requiresShipping": true,
            "product": {"__ref": product_gid},
            "variant": {"__ref": variant_gid},
            "originalUnitPriceSet": money_set(unit),
            "discountedUnitPriceSet": money_set(unit - off),
            "originalTotalSet": money_set(unit * qty),
            "discountedTotalSet": money_set((unit - off) * qty),
        }));
    }
    let id = ORDER_BASE + number;
    let current = if cancelled { 0 } else { subtotal };
    let ogid = gid("Order", id);
    json!({
        "__typename": "Order",
        "id": ogid,
        "legacyResourceId": id.to_string(),
        "name": format!("#{number}"),
        "number": number - 1000,
        "createdAt": iso(at),
        "processedAt": iso(at),
        "updatedAt": iso(at + Duration::hours(if cancelled { 48 } else { 1 })),
        "cancelledAt": cancelled.then(|| iso(at + Duration::hours(48))),
        "cancelReason": cancelled.then_some("CUSTOMER"),
        "closed": !cancelled,
        "test": false,
        "sourceName": "web",
        "tags": [],
        "displayFinancialStatus": if cancelled { "REFUNDED" } else { "PAID" },
        "displayFulfillmentStatus": if cancelled { "UNFULFILLED" } else { "FULFILLED" },
        "currencyCode": CURRENCY,
        "presentmentCurrencyCode": CURRENCY,
        "customer": customer.map(|c| json!({"__ref": c})),
        "discountCodes": discount_code.into_iter().collect::<Vec<_>>(),
        "subtotalLineItemsQuantity": quantity,
        "subtotalPriceSet": money_set(subtotal),
        "currentSubtotalPriceSet": money_set(current),
        "totalPriceSet": money_set(subtotal),
        "currentTotalPriceSet": money_set(current),
        "totalDiscountsSet": money_set(discounts),
        "currentTotalDiscountsSet": money_set(if cancelled { 0 } else { discounts }),
        "totalShippingPriceSet": money_set(0),
        "totalTaxSet": money_set(0),
        "currentTotalTaxSet": money_set(0),
        "totalRefundedSet": money_set(if cancelled { subtotal } else { 0 }),
        "lineItems": {"__connection": items},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Store {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/shopify");
        Store::load(&dir, "standin-store.myshopify.com").unwrap()
    }

    #[test]
    fn the_shop_has_the_documented_sizes() {
        let s = store();
        let variants = s
            .nodes
            .values()
            .filter(|n| n["__typename"] == "ProductVariant")
            .count();
        let sizes = (
            s.products.len(),
            variants,
            s.collections.len(),
            s.customers.len(),
            s.orders.len(),
        );
        assert_eq!(sizes, (34, 354, 10, CUSTOMERS, ORDERS as usize));
        assert_eq!(s.families.len(), 5);
    }

    /// Most multi-product baskets stay within one family: the structure recommenders learn.
    #[test]
    fn baskets_follow_families() {
        let s = store();
        let family_of = |product_gid: &str| {
            let i = s.products.iter().position(|p| p == product_gid).unwrap();
            s.families
                .iter()
                .position(|f| f.products.contains(&i))
                .unwrap()
        };
        let (mut multi, mut within) = (0, 0);
        for o in &s.orders {
            let families: Vec<usize> = s.nodes[o]["lineItems"]["__connection"]
                .as_array()
                .unwrap()
                .iter()
                .map(|li| family_of(li["product"]["__ref"].as_str().unwrap()))
                .collect();
            if families.len() > 1 {
                multi += 1;
                within += usize::from(families.iter().all(|f| *f == families[0]));
            }
        }
        assert!(multi > 100, "{multi}");
        assert!(within * 2 > multi, "{within} of {multi}");
        // Every order total is the sum of its lines, in cents.
        for o in &s.orders {
            let order = &s.nodes[o];
            let lines: i64 = order["lineItems"]["__connection"]
                .as_array()
                .unwrap()
                .iter()
                .map(|li| {
                    parse_cents(
                        li["discountedUnitPriceSet"]["shopMoney"]["amount"]
                            .as_str()
                            .unwrap(),
                    )
                    .unwrap()
                        * li["quantity"].as_i64().unwrap()
                })
                .sum();
            let total = order["totalPriceSet"]["shopMoney"]["amount"]
                .as_str()
                .unwrap();
            assert_eq!(parse_cents(total), Some(lines), "{o}");
        }
    }
}
