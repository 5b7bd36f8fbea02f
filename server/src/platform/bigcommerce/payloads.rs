//! BigCommerce's REST resources (Catalog v3 products and categories, Customers v3, Orders v2)
//! read into the platform-neutral data the services store. Every field is checked; a resource
//! we cannot read is an error naming the field, never a panic.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::platform::{
    CollectionData, CustomerData, OrderData, OrderLineData, ProductData, VariantData,
};

#[derive(Debug, thiserror::Error)]
#[error("BigCommerce {resource}: {message}")]
pub struct PayloadError {
    pub resource: &'static str,
    pub message: String,
}

fn err(resource: &'static str, message: impl Into<String>) -> PayloadError {
    PayloadError {
        resource,
        message: message.into(),
    }
}

/// An integer id (BigCommerce sends numbers; a string of digits is accepted too).
fn id(v: &Value, field: &str, resource: &'static str) -> Result<String, PayloadError> {
    match v.get(field) {
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.to_string()),
        Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(s.clone())
        }
        _ => Err(err(
            resource,
            format!("`{field}` must be a positive integer id"),
        )),
    }
}

fn text(v: &Value, field: &str) -> String {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn int(v: &Value, field: &str) -> Option<i64> {
    v.get(field).and_then(Value::as_i64)
}

/// Money as BigCommerce writes it: a JSON number (`12.5`, Catalog v3) or a decimal string
/// (`"12.5000"`, Orders v2). `Ok(None)` when absent or null.
fn money(
    v: &Value,
    field: &str,
    currency: &str,
    resource: &'static str,
) -> Result<Option<i64>, PayloadError> {
    let raw = match v.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(err(resource, format!("`{field}` must be an amount"))),
    };
    crate::money::parse_minor(&raw, currency)
        .map(Some)
        .ok_or_else(|| err(resource, format!("`{field}` is not an amount: {raw:?}")))
}

/// Catalog and Customers v3 write ISO 8601; Orders v2 write RFC 2822.
fn time(v: &Value, field: &str) -> Option<DateTime<Utc>> {
    let s = v.get(field)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn required_time(
    v: &Value,
    field: &str,
    resource: &'static str,
) -> Result<DateTime<Utc>, PayloadError> {
    time(v, field).ok_or_else(|| err(resource, format!("`{field}` must be a date")))
}

/// `/slug/` → `slug`.
fn handle(v: &Value) -> String {
    v.pointer("/custom_url/url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim_matches('/')
        .replace('/', "-")
}

/// Names of the store's categories and brands, for products (which carry only their ids).
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub categories: HashMap<String, String>,
    pub brands: HashMap<String, String>,
}

pub fn category(v: &Value, at: DateTime<Utc>) -> Result<CollectionData, PayloadError> {
    Ok(CollectionData {
        platform_id: id(v, "id", "category")?,
        handle: handle(v),
        title: text(v, "name"),
        // Categories carry no modification time: the sync's own time orders the writes.
        updated_at: at,
    })
}

/// `(id, name)` of a category or brand.
pub fn named(v: &Value, resource: &'static str) -> Result<(String, String), PayloadError> {
    Ok((id(v, "id", resource)?, text(v, "name")))
}

pub fn product(v: &Value, names: &Names, currency: &str) -> Result<ProductData, PayloadError> {
    const R: &str = "product";
    let platform_id = id(v, "id", R)?;
    let categories: Vec<String> = v
        .get("categories")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|c| c.as_u64())
                .map(|c| c.to_string())
                .collect()
        })
        .unwrap_or_default();
    let product_type = categories
        .iter()
        .find_map(|c| names.categories.get(c))
        .cloned()
        .unwrap_or_default();
    let vendor = v
        .get("brand_id")
        .and_then(Value::as_u64)
        .filter(|b| *b > 0)
        .and_then(|b| names.brands.get(&b.to_string()))
        .cloned()
        .unwrap_or_default();
    let tags = text(v, "search_keywords")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let visible = v.get("is_visible").and_then(Value::as_bool).unwrap_or(true);
    let status = if visible && text(v, "availability") != "disabled" {
        "active"
    } else {
        "draft"
    };
    let images: &[Value] = v
        .get("images")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let image_url = images
        .iter()
        .find(|i| i.get("is_thumbnail").and_then(Value::as_bool) == Some(true))
        .or_else(|| images.first())
        .and_then(|i| i.get("url_standard"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let tracking = text(v, "inventory_tracking");
    let product_price =
        money(v, "price", currency, R)?.ok_or_else(|| err(R, "`price` is required"))?;
    let mut variants = Vec::new();
    for (i, var) in v
        .get("variants")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let vid = id(var, "id", "variant").map_err(|e| err(R, format!("variants[{i}]: {e}")))?;
        let list_price = money(var, "price", currency, R)?.unwrap_or(product_price);
        // `calculated_price` is what the shopper pays (sale price included).
        let price = money(var, "calculated_price", currency, R)?.unwrap_or(list_price);
        let title = var
            .get("option_values")
            .and_then(Value::as_array)
            .map(|o| {
                o.iter()
                    .filter_map(|x| x.get("label").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" / ")
            })
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Default".into());
        let quantity = match tracking.as_str() {
            "product" => int(v, "inventory_level"),
            "variant" => int(var, "inventory_level"),
            _ => None,
        };
        let cost = money(var, "cost_price", currency, R)?.filter(|c| *c > 0);
        let purchasable = var.get("purchasing_disabled").and_then(Value::as_bool) != Some(true);
        variants.push(VariantData {
            platform_id: vid.clone(),
            title,
            sku: text(var, "sku"),
            price_minor: price,
            compare_at_price_minor: (list_price > price).then_some(list_price),
            inventory_item_id: vid,
            // A variant that cannot be bought is out of stock for recommendations.
            inventory_quantity: if purchasable { quantity } else { Some(0) },
            cost_minor: Some(cost),
        });
    }
    if variants.is_empty() {
        // Without `include=variants` (or a product with no options): the product is its own
        // variant.
        let cost = money(v, "cost_price", currency, R)?.filter(|c| *c > 0);
        let price = money(v, "calculated_price", currency, R)?.unwrap_or(product_price);
        variants.push(VariantData {
            platform_id: format!("p{platform_id}"),
            title: "Default".into(),
            sku: text(v, "sku"),
            price_minor: price,
            compare_at_price_minor: (product_price > price).then_some(product_price),
            inventory_item_id: format!("p{platform_id}"),
            inventory_quantity: (tracking != "none" && !tracking.is_empty())
                .then(|| int(v, "inventory_level"))
                .flatten(),
            cost_minor: Some(cost),
        });
    }
    let updated_at = required_time(v, "date_modified", R)?;
    Ok(ProductData {
        handle: handle(v),
        title: text(v, "name"),
        description: crate::platform::shopify::payloads::strip_html(&text(v, "description")),
        product_type,
        vendor,
        tags,
        status: status.into(),
        image_url,
        variants,
        collections: Some(categories),
        created_at: time(v, "date_created").unwrap_or(updated_at),
        updated_at,
        platform_id,
    })
}

pub fn customer(v: &Value) -> Result<CustomerData, PayloadError> {
    const R: &str = "customer";
    let updated_at = required_time(v, "date_modified", R)?;
    let tags = int(v, "customer_group_id")
        .filter(|g| *g > 0)
        .map(|g| vec![format!("group-{g}")])
        .unwrap_or_default();
    Ok(CustomerData {
        platform_id: id(v, "id", R)?,
        tags,
        accepts_marketing: v
            .get("accepts_product_review_abandoned_cart_emails")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created_at: time(v, "date_created").unwrap_or(updated_at),
        updated_at,
    })
}

/// Statuses after which an order no longer counts as a purchase.
const CANCELLED: [&str; 2] = ["Cancelled", "Declined"];

/// An Orders v2 order with its lines (`/v2/orders/{id}/products`) and codes
/// (`/v2/orders/{id}/coupons`).
pub fn order(
    v: &Value,
    lines: &[Value],
    coupons: &[Value],
    shop_currency: &str,
) -> Result<OrderData, PayloadError> {
    const R: &str = "order";
    let platform_id = id(v, "id", R)?;
    let currency = Some(text(v, "currency_code"))
        .filter(|c| c.len() == 3)
        .unwrap_or_else(|| shop_currency.to_owned());
    let c = currency.as_str();
    let updated_at = required_time(v, "date_modified", R)?;
    let placed_at = required_time(v, "date_created", R)?;
    let status = text(v, "status");
    let customer = id(v, "customer_id", R).ok().filter(|c| c != "0");
    let discount = money(v, "discount_amount", c, R)?.unwrap_or(0)
        + money(v, "coupon_discount", c, R)?.unwrap_or(0);
    let mut out_lines = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let quantity = int(l, "quantity")
            .and_then(|q| i32::try_from(q).ok())
            .filter(|q| *q >= 0)
            .ok_or_else(|| err(R, format!("products[{i}]: `quantity` must be a count")))?;
        let unit = match money(l, "price_inc_tax", c, R)? {
            Some(p) => p,
            None => money(l, "base_price", c, R)?.unwrap_or(0),
        };
        out_lines.push(OrderLineData {
            product_platform_id: id(l, "product_id", R).ok().filter(|p| p != "0"),
            variant_platform_id: id(l, "variant_id", R).ok().filter(|p| p != "0"),
            quantity,
            unit_price_minor: unit,
        });
    }
    let financial_status = match status.as_str() {
        "Refunded" => "refunded",
        "Partially Refunded" => "partially_refunded",
        "Pending" | "Awaiting Payment" | "Incomplete" => "pending",
        s if CANCELLED.contains(&s) => "voided",
        _ => "paid",
    };
    Ok(OrderData {
        name: format!("#{platform_id}"),
        customer_platform_id: customer,
        subtotal_minor: money(v, "subtotal_inc_tax", c, R)?.unwrap_or(0),
        total_minor: money(v, "total_inc_tax", c, R)?.unwrap_or(0),
        discount_minor: discount,
        discount_codes: coupons
            .iter()
            .map(|c| text(c, "code"))
            .filter(|c| !c.is_empty())
            .collect(),
        financial_status: financial_status.into(),
        placed_at,
        cancelled_at: CANCELLED.contains(&status.as_str()).then_some(updated_at),
        updated_at,
        lines: out_lines,
        visitor_key: None,
        currency,
        platform_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_product_with_variants_reads_names_stock_and_costs() {
        let names = Names {
            categories: [("23".to_owned(), "Shoes".to_owned())].into(),
            brands: [("5".to_owned(), "Acme".to_owned())].into(),
        };
        let p = json!({"id": 77, "name": "Trail runner", "description": "<p>Light <b>and</b> fast</p>",
        "price": 120.0, "categories": [23, 24], "brand_id": 5, "inventory_tracking": "variant",
        "inventory_level": 9, "is_visible": true, "availability": "available",
        "date_created": "2026-01-01T00:00:00+00:00", "date_modified": "2026-02-01T10:00:00+00:00",
        "custom_url": {"url": "/trail-runner/"}, "search_keywords": "running, trail,",
        "images": [{"url_standard": "https://cdn/a.jpg", "is_thumbnail": false}, {"url_standard": "https://cdn/b.jpg", "is_thumbnail": true}],
        "variants": [
            {"id": 501, "price": null, "calculated_price": 99.5, "cost_price": 40, "inventory_level": 3, "sku": "TR-9", "option_values": [{"label": "9"}]},
            {"id": 502, "price": 125, "calculated_price": 125, "cost_price": 0, "inventory_level": 0, "purchasing_disabled": true, "option_values": []}
        ]});
        let d = product(&p, &names, "USD").unwrap();
        assert_eq!(d.platform_id, "77");
        assert_eq!(
            (
                d.handle.as_str(),
                d.product_type.as_str(),
                d.vendor.as_str()
            ),
            ("trail-runner", "Shoes", "Acme")
        );
        assert_eq!(d.description, "Light and fast");
        assert_eq!(d.tags, vec!["running", "trail"]);
        assert_eq!(d.image_url.as_deref(), Some("https://cdn/b.jpg"));
        assert_eq!(
            d.collections.as_deref(),
            Some(&["23".to_owned(), "24".to_owned()][..])
        );
        let v = &d.variants;
        assert_eq!(
            (v[0].price_minor, v[0].compare_at_price_minor),
            (9950, Some(12000))
        );
        assert_eq!(
            (v[0].inventory_quantity, v[0].cost_minor),
            (Some(3), Some(Some(4000)))
        );
        assert_eq!(v[0].title, "9");
        assert_eq!(
            (v[1].price_minor, v[1].inventory_quantity, v[1].cost_minor),
            (12500, Some(0), Some(None))
        );
        assert_eq!(d.status, "active");
    }

    #[test]
    fn an_order_reads_rfc2822_dates_string_money_guests_and_codes() {
        let o = json!({"id": 100, "customer_id": 0, "date_created": "Tue, 20 Nov 2012 00:00:00 +0000",
            "date_modified": "Wed, 21 Nov 2012 08:00:00 +0000", "status": "Cancelled",
            "subtotal_inc_tax": "45.5000", "total_inc_tax": "50.0000", "discount_amount": "0.0000",
            "coupon_discount": "5.0000", "currency_code": "EUR"});
        let lines = [
            json!({"product_id": 77, "variant_id": 501, "quantity": 2, "base_price": "20.0000", "price_inc_tax": "22.7500"}),
        ];
        let coupons = [json!({"code": "AT-XYZ"})];
        let d = order(&o, &lines, &coupons, "USD").unwrap();
        assert_eq!(d.customer_platform_id, None);
        assert_eq!(
            (d.total_minor, d.discount_minor, d.currency.as_str()),
            (5000, 500, "EUR")
        );
        assert_eq!(d.lines[0].unit_price_minor, 2275);
        assert_eq!(d.discount_codes, vec!["AT-XYZ"]);
        assert!(d.cancelled_at.is_some());
        assert_eq!(d.placed_at.to_rfc3339(), "2012-11-20T00:00:00+00:00");
    }

    #[test]
    fn bad_fields_are_named_errors() {
        let names = Names::default();
        let e = product(&json!({"id": "x"}), &names, "USD").unwrap_err();
        assert!(e.to_string().contains("`id`"), "{e}");
        let e = product(
            &json!({"id": 1, "price": "1.2.3", "date_modified": "2026-01-01T00:00:00Z"}),
            &names,
            "USD",
        )
        .unwrap_err();
        assert!(e.to_string().contains("`price`"), "{e}");
        let e = order(
            &json!({"id": 1, "date_modified": "yesterday"}),
            &[],
            &[],
            "USD",
        )
        .unwrap_err();
        assert!(e.to_string().contains("date_modified"), "{e}");
        let e = customer(&json!({"id": 3})).unwrap_err();
        assert!(e.to_string().contains("date_modified"), "{e}");
    }
}
