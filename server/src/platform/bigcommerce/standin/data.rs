//! The stand-in store's data, in BigCommerce's REST shapes: the real catalogs (Shopify's
//! payload folder, `catalogs/*.json`) converted to Catalog v3 products, brands and categories,
//! and a generated, deterministic history of Customers v3 and Orders v2.
//!
//! Co-purchase structure, on purpose (as the Shopify stand-in's): products come in families (a
//! colour line of a vendor, or a vendor without colour tags). Each customer prefers one family;
//! a basket holds 1-4 distinct products, the first from the buyer's family and each next one
//! from the same family with probability 0.8. About 8% of orders are by guests
//! (`customer_id` 0), 4% are cancelled, and 15% use the coupon `WELCOME10` (10% off).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

pub(super) const CURRENCY: &str = "USD";
const CUSTOMERS: usize = 40;
const ORDERS: u64 = 200;
const FIRST_ORDER_ID: i64 = 100;
const FIRST_PRODUCT_ID: i64 = 111;
const FIRST_VARIANT_ID: i64 = 1_001;
const SEED: u64 = 0xB1C0_5EED;
const HISTORY_DAYS: i64 = 180;

/// An Orders v2 order with its sub-resources.
#[derive(Debug, Clone)]
pub(super) struct StoredOrder {
    pub order: Value,
    pub products: Vec<Value>,
    pub coupons: Vec<Value>,
}

#[derive(Debug, Default)]
pub(super) struct StoreData {
    pub name: String,
    /// The storefront's origin (`secure_url`): the stand-in serves the storefront itself.
    pub secure_url: String,
    pub categories: Vec<Value>,
    pub brands: Vec<Value>,
    pub products: Vec<Value>,
    pub customers: Vec<Value>,
    pub orders: Vec<StoredOrder>,
    pub families: Vec<(String, Vec<i64>)>,
    pub hooks: Vec<Value>,
    pub scripts: Vec<Value>,
    pub promotions: Vec<Value>,
    /// (promotion id, code object)
    pub codes: Vec<(u64, Value)>,
    /// Bumped by every change made through the test API (webhook hashes differ by it).
    pub revision: u64,
}

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

pub(super) fn rfc2822(t: DateTime<Utc>) -> String {
    t.to_rfc2822()
}

/// Amounts as Orders v2 writes them: strings with four decimals.
pub(super) fn v2_money(cents: i64) -> String {
    format!("{}.{:02}00", cents / 100, cents % 100)
}

/// Amounts as Catalog v3 writes them: JSON numbers.
fn v3_money(cents: i64) -> Value {
    json!(cents as f64 / 100.0)
}

fn parse_cents(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<2}");
    Some(whole.parse::<i64>().ok()? * 100 + frac.get(..2)?.parse::<i64>().ok()?)
}

pub(super) fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// When the generated history ends: 2026-11-01T00:00:00Z.
fn history_end() -> DateTime<Utc> {
    DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default()
}

impl StoreData {
    /// An installed store with nothing in it (a store the tests only install).
    pub(super) fn empty(hash: &str, secure_url: &str) -> Self {
        Self {
            name: format!("Stand-in store {hash}"),
            secure_url: secure_url.to_owned(),
            ..Self::default()
        }
    }

    pub(super) fn load(data_dir: &Path, hash: &str, secure_url: &str) -> anyhow::Result<Self> {
        let source = crate::platform::shopify::standin::read_catalogs(data_dir)?;
        let mut store = Self::empty(hash, secure_url);
        store.add_catalog(&source)?;
        store.add_history();
        Ok(store)
    }

    fn category_id(&mut self, name: &str, url: &str) -> i64 {
        if let Some(c) = self.categories.iter().find(|c| c["name"] == json!(name)) {
            return c["id"].as_i64().unwrap_or_default();
        }
        let id = 20 + self.categories.len() as i64;
        self.categories.push(json!({
            "id": id, "parent_id": 0, "name": name, "description": "", "views": 0,
            "sort_order": self.categories.len(), "is_visible": true, "default_product_sort": "use_store_settings",
            "custom_url": {"url": format!("/{url}/"), "is_customized": false},
        }));
        id
    }

    fn brand_id(&mut self, name: &str) -> i64 {
        if let Some(b) = self.brands.iter().find(|b| b["name"] == json!(name)) {
            return b["id"].as_i64().unwrap_or_default();
        }
        let id = 1 + self.brands.len() as i64;
        self.brands.push(json!({
            "id": id, "name": name, "page_title": name, "meta_keywords": [],
            "custom_url": {"url": format!("/brands/{}/", slug(name)), "is_customized": false},
        }));
        id
    }

    fn add_catalog(&mut self, source: &[Value]) -> anyhow::Result<()> {
        let mut families: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut next_variant = FIRST_VARIANT_ID;
        for (index, p) in source.iter().enumerate() {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            let id = FIRST_PRODUCT_ID + index as i64;
            let vendor = text(&p["vendor"]);
            let kind = text(&p["product_type"]);
            let tags: Vec<String> = p["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            let colour = tags
                .iter()
                .find_map(|t| t.strip_prefix("filter-colour_"))
                .map(str::to_owned);
            let mut categories = Vec::new();
            if !kind.is_empty() {
                categories.push(self.category_id(&kind, &slug(&kind)));
            }
            if let Some(c) = &colour {
                categories.push(self.category_id(&format!("Colour: {c}"), &format!("colour-{c}")));
            }
            let brand = if vendor.is_empty() {
                0
            } else {
                self.brand_id(&vendor)
            };
            let family = match &colour {
                Some(c) => format!("{vendor} / {c}"),
                None => vendor.clone(),
            };
            families.entry(family).or_default().push(id);
            let options: Vec<String> = p["options"]
                .as_array()
                .map(|o| o.iter().map(|o| text(&o["name"])).collect())
                .unwrap_or_default();
            let mut variants = Vec::new();
            let mut total = 0;
            for v in p["variants"].as_array().into_iter().flatten() {
                let vid = next_variant;
                next_variant += 1;
                let price = parse_cents(&text(&v["price"])).unwrap_or(0);
                let compare = v["compare_at_price"]
                    .as_str()
                    .and_then(parse_cents)
                    .filter(|c| *c > price);
                let stock = if v["available"].as_bool().unwrap_or(false) {
                    1 + (mix(vid as u64) % 40) as i64
                } else {
                    0
                };
                total += stock;
                let values: Vec<Value> = ["option1", "option2", "option3"]
                    .iter()
                    .zip(&options)
                    .filter_map(|(k, name)| {
                        v[*k]
                            .as_str()
                            .filter(|val| *val != "Default Title")
                            .map(|val| json!({"label": val, "option_display_name": name}))
                    })
                    .collect();
                variants.push(json!({
                    "id": vid, "product_id": id, "sku": text(&v["sku"]),
                    // A sale: the list price is the catalog's compare-at price.
                    "price": compare.map(v3_money),
                    "calculated_price": v3_money(price),
                    "sale_price": compare.map(|_| v3_money(price)),
                    // The catalogs carry no costs: a made-up 40% of the price.
                    "cost_price": v3_money(price * 2 / 5),
                    "inventory_level": stock, "purchasing_disabled": false,
                    "option_values": values,
                }));
            }
            anyhow::ensure!(
                !variants.is_empty(),
                "catalog product #{index} has no variants"
            );
            let base_price = variants[0]["price"]
                .as_f64()
                .or_else(|| variants[0]["calculated_price"].as_f64())
                .unwrap_or(0.0);
            let images: Vec<Value> = p["images"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, img)| {
                    let src = text(&img["src"]);
                    json!({"id": id * 100 + i as i64, "product_id": id, "is_thumbnail": i == 0,
                           "url_standard": src, "url_thumbnail": src, "url_zoom": src, "sort_order": i})
                })
                .collect();
            let created = time_of(&p["created_at"]).unwrap_or_else(history_end);
            let modified = time_of(&p["updated_at"]).unwrap_or(created);
            self.products.push(json!({
                "id": id, "name": text(&p["title"]), "type": "physical", "sku": "",
                "description": text(&p["body_html"]),
                "price": base_price, "calculated_price": variants[0]["calculated_price"],
                "categories": categories, "brand_id": brand,
                "inventory_tracking": "variant", "inventory_level": total,
                "is_visible": true, "availability": "available",
                "search_keywords": tags.join(", "),
                "custom_url": {"url": format!("/{}/", text(&p["handle"])), "is_customized": false},
                "date_created": rfc3339(created), "date_modified": rfc3339(modified),
                "variants": variants, "images": images,
            }));
        }
        self.families = families.into_iter().collect();
        Ok(())
    }

    fn add_history(&mut self) {
        let mut rng = Rng(SEED);
        let end = history_end();
        let start = end - Duration::days(HISTORY_DAYS);
        let weights: Vec<f64> = (0..CUSTOMERS)
            .map(|i| 1.0 / (1.0 + i as f64 / 6.0))
            .collect();
        let total_weight: f64 = weights.iter().sum();
        let span = (end - start).num_seconds() as f64;
        let mut first_order: Vec<Option<DateTime<Utc>>> = vec![None; CUSTOMERS];
        let mut last_order: Vec<Option<DateTime<Utc>>> = vec![None; CUSTOMERS];
        for k in 0..ORDERS {
            let at =
                start + Duration::seconds(((k as f64 + rng.unit()) * span / ORDERS as f64) as i64);
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
            let families = self.families.len().max(1);
            let family = customer.map_or_else(|| rng.below(families), |c| c % families);
            let members = self
                .families
                .get(family)
                .map(|f| f.1.clone())
                .unwrap_or_default();
            let size = match rng.unit() {
                x if x < 0.35 => 1,
                x if x < 0.70 => 2,
                x if x < 0.90 => 3,
                _ => 4,
            };
            let mut basket: Vec<i64> = Vec::new();
            for slot in 0..size {
                let unused: Vec<i64> = members
                    .iter()
                    .copied()
                    .filter(|p| !basket.contains(p))
                    .collect();
                let pick = if (slot == 0 || rng.chance(0.8)) && !unused.is_empty() {
                    unused[rng.below(unused.len())]
                } else {
                    self.products[rng.below(self.products.len())]["id"]
                        .as_i64()
                        .unwrap_or_default()
                };
                if !basket.contains(&pick) {
                    basket.push(pick);
                }
            }
            let lines: Vec<(i64, i64)> = basket
                .iter()
                .map(|&p| (p, if rng.chance(0.1) { 2 } else { 1 }))
                .collect();
            let coupon = rng.chance(0.15);
            let cancelled = rng.chance(0.04);
            let variant_pick = rng.next();
            if let Some(c) = customer {
                first_order[c].get_or_insert(at);
                last_order[c] = Some(at);
            }
            let customer_id = customer.map_or(0, |c| c as i64 + 1);
            let order = self.build_order(
                FIRST_ORDER_ID + k as i64,
                customer_id,
                at,
                &lines,
                coupon,
                cancelled,
                variant_pick,
            );
            self.orders.push(order);
        }
        for i in 0..CUSTOMERS {
            let created = first_order[i].unwrap_or(start + Duration::days(rng.below(150) as i64))
                - Duration::days(1 + rng.below(30) as i64);
            let modified = last_order[i].map_or(created, |at| at + Duration::minutes(5));
            let n = i + 1;
            self.customers.push(json!({
                "id": n, "email": format!("shopper{n}@example.com"),
                "first_name": "Shopper", "last_name": format!("No. {n}"), "company": "",
                "phone": "", "customer_group_id": (i % 3) as i64,
                "notes": "", "tax_exempt_category": "", "registration_ip_address": "",
                "accepts_product_review_abandoned_cart_emails": i % 2 == 0,
                "date_created": rfc3339(created), "date_modified": rfc3339(modified),
                "origin_channel_id": 1, "channel_ids": null,
            }));
        }
    }

    /// An Orders v2 order for these lines (product id, quantity), totals in integer cents from
    /// the variants' prices; `variant_pick` chooses among a product's in-stock variants.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn build_order(
        &self,
        id: i64,
        customer_id: i64,
        at: DateTime<Utc>,
        lines: &[(i64, i64)],
        coupon: bool,
        cancelled: bool,
        variant_pick: u64,
    ) -> StoredOrder {
        let mut subtotal = 0;
        let mut items = 0;
        let mut products = Vec::new();
        for (pos, (product_id, qty)) in lines.iter().enumerate() {
            let Some(p) = self.products.iter().find(|p| p["id"] == json!(product_id)) else {
                continue;
            };
            let variants: Vec<&Value> = p["variants"].as_array().into_iter().flatten().collect();
            let in_stock: Vec<&&Value> = variants
                .iter()
                .filter(|v| v["inventory_level"].as_i64().unwrap_or(0) > 0)
                .collect();
            let pick = mix(variant_pick.wrapping_add(pos as u64)) as usize;
            let variant = match in_stock.len() {
                0 => variants[pick % variants.len().max(1)],
                n => *in_stock[pick % n],
            };
            let unit = (variant["calculated_price"].as_f64().unwrap_or(0.0) * 100.0).round() as i64;
            subtotal += unit * qty;
            items += qty;
            products.push(json!({
                "id": id * 10 + pos as i64, "order_id": id, "product_id": product_id,
                "variant_id": variant["id"], "order_address_id": 1,
                "name": p["name"], "sku": variant["sku"], "type": "physical",
                "base_price": v2_money(unit), "price_ex_tax": v2_money(unit),
                "price_inc_tax": v2_money(unit), "price_tax": "0.0000",
                "base_total": v2_money(unit * qty), "total_ex_tax": v2_money(unit * qty),
                "total_inc_tax": v2_money(unit * qty), "total_tax": "0.0000",
                "quantity": qty, "is_refunded": false, "quantity_refunded": 0,
                "product_options": variant["option_values"],
            }));
        }
        let off = if coupon { subtotal / 10 } else { 0 };
        let coupons = if coupon {
            vec![
                json!({"id": id, "coupon_id": 7, "order_id": id, "code": "WELCOME10",
                        "amount": "10.0000", "type": 1, "discount": v2_money(off)}),
            ]
        } else {
            Vec::new()
        };
        let (status, status_id) = if cancelled {
            ("Cancelled", 5)
        } else {
            ("Completed", 10)
        };
        let modified = at + Duration::minutes(if cancelled { 90 } else { 2 });
        let order = json!({
            "id": id, "customer_id": customer_id,
            "date_created": rfc2822(at), "date_modified": rfc2822(modified), "date_shipped": "",
            "status_id": status_id, "status": status, "custom_status": status,
            "subtotal_ex_tax": v2_money(subtotal), "subtotal_inc_tax": v2_money(subtotal),
            "subtotal_tax": "0.0000", "base_shipping_cost": "0.0000",
            "total_ex_tax": v2_money(subtotal - off), "total_inc_tax": v2_money(subtotal - off),
            "total_tax": "0.0000", "items_total": items, "items_shipped": 0,
            "payment_method": "Test Payment Gateway", "payment_status": if cancelled { "void" } else { "captured" },
            "refunded_amount": "0.0000", "discount_amount": "0.0000",
            "coupon_discount": v2_money(off), "currency_code": CURRENCY,
            "default_currency_code": CURRENCY, "order_source": "www", "channel_id": 1,
            "products": {"url": format!("/v2/orders/{id}/products"), "resource": format!("/orders/{id}/products")},
            "coupons": {"url": format!("/v2/orders/{id}/coupons"), "resource": format!("/orders/{id}/coupons")},
        });
        StoredOrder {
            order,
            products,
            coupons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_dates_are_written_as_bigcommerce_does() {
        assert_eq!(v2_money(1505), "15.0500");
        assert_eq!(parse_cents("15.5"), Some(1550));
        assert_eq!(parse_cents("15"), Some(1500));
        let t = history_end();
        assert_eq!(rfc2822(t), "Sun, 1 Nov 2026 00:00:00 +0000");
        assert_eq!(time_of(&json!(rfc2822(t))), Some(t));
        assert_eq!(rfc3339(t), "2026-11-01T00:00:00+00:00");
    }
}
