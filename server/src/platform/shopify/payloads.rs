//! Shopify webhook payloads (REST shapes, API 2026-10) -> platform-neutral [`Change`]s.
//!
//! Ids are taken from `admin_graphql_api_id` when present (exact), else from `id`. Parsing is
//! lenient about optional and null fields (real deliveries omit many) and strict about what
//! we need: a product without an id is an error naming the field, never a panic.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::platform::{
    Change, CollectionData, CustomerData, InventoryItemCostData, InventoryLevelData, OrderData,
    OrderLineData, ProductData, VariantData,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{topic} payload: {message}")]
pub struct PayloadError {
    pub topic: String,
    pub message: String,
}

struct P<'a> {
    topic: &'a str,
}

impl P<'_> {
    fn err(&self, message: impl Into<String>) -> PayloadError {
        PayloadError {
            topic: self.topic.to_owned(),
            message: message.into(),
        }
    }

    /// The exact numeric id: the tail of the GID when there is one.
    fn id(&self, v: &Value, field: &str) -> Result<String, PayloadError> {
        opt_id(v).ok_or_else(|| self.err(format!("`{field}` has no id")))
    }

    fn time(
        &self,
        v: &Value,
        field: &str,
        fallback: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, PayloadError> {
        match v.get(field) {
            None | Some(Value::Null) => Ok(fallback),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| self.err(format!("`{field}` is not an RFC 3339 time: {s:?}"))),
            Some(_) => Err(self.err(format!("`{field}` is not a string"))),
        }
    }

    fn money(&self, v: &Value, field: &str, currency: &str) -> Result<i64, PayloadError> {
        match v.get(field) {
            None | Some(Value::Null) => Ok(0),
            Some(x) => {
                let s = match x {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(self.err(format!("`{field}` is not an amount"))),
                };
                crate::money::parse_minor(&s, currency).ok_or_else(|| {
                    self.err(format!("`{field}` is not an amount in {currency}: {s:?}"))
                })
            }
        }
    }
}

fn opt_id(v: &Value) -> Option<String> {
    if let Some(tail) = v
        .get("admin_graphql_api_id")
        .and_then(Value::as_str)
        .and_then(|gid| gid.rsplit('/').next())
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some(tail.to_owned());
    }
    match v.get("id")? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.rsplit('/').next().unwrap_or(s).to_owned()),
        _ => None,
    }
}

fn id_value(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.rsplit('/').next().unwrap_or(s).to_owned()),
        _ => None,
    }
}

fn text(v: &Value, field: &str) -> String {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn tags(v: &Value) -> Vec<String> {
    match v.get("tags") {
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Visible text of product HTML, for content-based similarity.
pub fn strip_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parses a delivery. `shop_currency` prices products (their payloads carry none);
/// `triggered_at` dates deletions and payloads without `updated_at`.
pub fn parse(
    topic: &str,
    body: &[u8],
    shop_currency: &str,
    triggered_at: DateTime<Utc>,
) -> Result<Change, PayloadError> {
    let p = P { topic };
    let v: Value = serde_json::from_slice(body).map_err(|e| p.err(format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(p.err("not a JSON object"));
    }
    Ok(match topic {
        "products/create" | "products/update" => {
            Change::ProductUpserted(product(&p, &v, shop_currency, triggered_at)?)
        }
        "products/delete" => Change::ProductDeleted {
            platform_id: p.id(&v, "id")?,
            at: triggered_at,
        },
        "collections/create" | "collections/update" => Change::CollectionUpserted(CollectionData {
            platform_id: p.id(&v, "id")?,
            handle: text(&v, "handle"),
            title: text(&v, "title"),
            updated_at: p.time(&v, "updated_at", triggered_at)?,
        }),
        "collections/delete" => Change::CollectionDeleted {
            platform_id: p.id(&v, "id")?,
            at: triggered_at,
        },
        "inventory_levels/update" => Change::InventoryLevel(InventoryLevelData {
            inventory_item_id: v
                .get("inventory_item_id")
                .and_then(id_value)
                .ok_or_else(|| p.err("`inventory_item_id` is missing"))?,
            location_id: v
                .get("location_id")
                .and_then(id_value)
                .ok_or_else(|| p.err("`location_id` is missing"))?,
            available: v.get("available").and_then(Value::as_i64).unwrap_or(0),
            updated_at: p.time(&v, "updated_at", triggered_at)?,
        }),
        "inventory_items/update" => Change::InventoryItemCost(InventoryItemCostData {
            inventory_item_id: p.id(&v, "id")?,
            cost_minor: match v.get("cost") {
                None | Some(Value::Null) => None,
                Some(_) => Some(p.money(&v, "cost", shop_currency)?),
            },
        }),
        "customers/create" | "customers/update" => {
            let updated_at = p.time(&v, "updated_at", triggered_at)?;
            let marketing = v
                .get("email_marketing_consent")
                .and_then(|c| c.get("state"))
                .and_then(Value::as_str)
                .map(|s| s == "subscribed")
                .or_else(|| v.get("accepts_marketing").and_then(Value::as_bool))
                .unwrap_or(false);
            Change::CustomerUpserted(CustomerData {
                platform_id: p.id(&v, "id")?,
                tags: tags(&v),
                accepts_marketing: marketing,
                created_at: p.time(&v, "created_at", updated_at)?,
                updated_at,
            })
        }
        "customers/delete" => Change::CustomerDeleted {
            platform_id: p.id(&v, "id")?,
            at: triggered_at,
        },
        "orders/create" | "orders/updated" | "orders/paid" | "orders/cancelled" => {
            Change::OrderUpserted(order(&p, &v, shop_currency, triggered_at)?)
        }
        "app/uninstalled" => Change::AppUninstalled,
        "app/scopes_update" => Change::ScopesUpdated {
            scopes: v
                .get("current")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        },
        "bulk_operations/finish" => Change::BulkOperationFinished {
            operation_id: text(&v, "admin_graphql_api_id"),
            status: text(&v, "status"),
        },
        "customers/data_request" => Change::CustomerDataRequest {
            request_id: v
                .get("data_request")
                .and_then(|d| d.get("id"))
                .and_then(id_value)
                .unwrap_or_default(),
            customer_platform_id: v
                .get("customer")
                .and_then(|c| c.get("id"))
                .and_then(id_value)
                .ok_or_else(|| p.err("`customer.id` is missing"))?,
            order_platform_ids: id_list(&v, "orders_requested"),
        },
        "customers/redact" => Change::CustomerRedact {
            customer_platform_id: v
                .get("customer")
                .and_then(|c| c.get("id"))
                .and_then(id_value)
                .ok_or_else(|| p.err("`customer.id` is missing"))?,
            order_platform_ids: id_list(&v, "orders_to_redact"),
        },
        "shop/redact" => Change::ShopRedact,
        other => Change::Ignored {
            topic: other.to_owned(),
        },
    })
}

fn id_list(v: &Value, field: &str) -> Vec<String> {
    v.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(id_value).collect())
        .unwrap_or_default()
}

fn product(
    p: &P,
    v: &Value,
    currency: &str,
    triggered_at: DateTime<Utc>,
) -> Result<ProductData, PayloadError> {
    let updated_at = p.time(v, "updated_at", triggered_at)?;
    let variants = v
        .get("variants")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .map(|x| {
                    Ok(VariantData {
                        platform_id: p.id(x, "variants[].id")?,
                        title: text(x, "title"),
                        sku: text(x, "sku"),
                        price_minor: p.money(x, "price", currency)?,
                        compare_at_price_minor: match x.get("compare_at_price") {
                            None | Some(Value::Null) => None,
                            Some(_) => Some(p.money(x, "compare_at_price", currency)?),
                        },
                        inventory_item_id: x
                            .get("inventory_item_id")
                            .and_then(id_value)
                            .unwrap_or_default(),
                        inventory_quantity: x.get("inventory_quantity").and_then(Value::as_i64),
                        // Product webhooks carry no costs: `inventory_items/update` does.
                        cost_minor: None,
                    })
                })
                .collect::<Result<Vec<_>, PayloadError>>()
        })
        .transpose()?
        .unwrap_or_default();
    let image_url = v
        .get("image")
        .and_then(|i| i.get("src"))
        .or_else(|| {
            v.get("images")
                .and_then(|a| a.get(0))
                .and_then(|i| i.get("src"))
        })
        .and_then(Value::as_str)
        .map(str::to_owned);
    let title = text(v, "title");
    Ok(ProductData {
        platform_id: p.id(v, "id")?,
        handle: Some(text(v, "handle"))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| slug(&title)),
        description: strip_html(&text(v, "body_html")),
        product_type: text(v, "product_type"),
        vendor: text(v, "vendor"),
        tags: tags(v),
        status: Some(text(v, "status"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "active".into()),
        image_url,
        variants,
        collections: None,
        created_at: p.time(v, "created_at", updated_at)?,
        updated_at,
        title,
    })
}

fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

fn order(
    p: &P,
    v: &Value,
    shop_currency: &str,
    triggered_at: DateTime<Utc>,
) -> Result<OrderData, PayloadError> {
    let currency = Some(text(v, "currency"))
        .filter(|c| c.len() == 3)
        .unwrap_or_else(|| shop_currency.to_owned());
    let updated_at = p.time(v, "updated_at", triggered_at)?;
    let created = p.time(v, "created_at", updated_at)?;
    let lines = v
        .get("line_items")
        .and_then(Value::as_array)
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    Ok(OrderLineData {
                        product_platform_id: l.get("product_id").and_then(id_value),
                        variant_platform_id: l.get("variant_id").and_then(id_value),
                        quantity: l
                            .get("quantity")
                            .and_then(Value::as_i64)
                            .and_then(|q| i32::try_from(q).ok())
                            .ok_or_else(|| p.err("`line_items[].quantity` is missing"))?,
                        unit_price_minor: p.money(l, "price", &currency)?,
                    })
                })
                .collect::<Result<Vec<_>, PayloadError>>()
        })
        .transpose()?
        .unwrap_or_default();
    let visitor_key = v
        .get("note_attributes")
        .and_then(Value::as_array)
        .and_then(|attrs| {
            attrs.iter().find(|a| {
                a.get("name").and_then(Value::as_str)
                    == Some(crate::platform::VISITOR_CART_ATTRIBUTE)
            })
        })
        .and_then(|a| a.get("value").and_then(Value::as_str))
        .map(str::trim)
        .filter(|k| attune_api::events::is_storefront_id(k))
        .map(str::to_owned);
    Ok(OrderData {
        visitor_key,
        platform_id: p.id(v, "id")?,
        name: text(v, "name"),
        customer_platform_id: v.get("customer").filter(|c| !c.is_null()).and_then(opt_id),
        subtotal_minor: p.money(v, "subtotal_price", &currency)?,
        total_minor: p.money(v, "total_price", &currency)?,
        discount_minor: p.money(v, "total_discounts", &currency)?,
        discount_codes: v
            .get("discount_codes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.get("code").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        financial_status: text(v, "financial_status"),
        placed_at: p.time(v, "processed_at", created)?,
        cancelled_at: match v.get("cancelled_at") {
            None | Some(Value::Null) => None,
            Some(_) => Some(p.time(v, "cancelled_at", updated_at)?),
        },
        updated_at,
        lines,
        currency,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/shopify/webhooks/official_samples")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    #[test]
    fn official_product_sample() {
        let Change::ProductUpserted(p) = parse(
            "products/update",
            &sample("products_update.json"),
            "USD",
            now(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(p.platform_id, "788032119674292922", "exact id from the GID");
        assert_eq!(p.tags, ["example", "mens", "t-shirt"]);
        assert_eq!(p.variants.len(), 2);
        assert_eq!(p.variants[0].price_minor, 1999);
        assert_eq!(p.variants[0].compare_at_price_minor, Some(2499));
        assert_eq!(p.variants[0].inventory_quantity, Some(75));
        assert_eq!(p.description, "An example T-Shirt");
    }

    #[test]
    fn official_order_sample() {
        let Change::OrderUpserted(o) =
            parse("orders/create", &sample("orders_create.json"), "USD", now()).unwrap()
        else {
            panic!()
        };
        assert_eq!(o.platform_id, "820982911946154508");
        assert_eq!(o.total_minor, 40495);
        assert_eq!(o.discount_minor, 2000);
        assert_eq!(
            o.customer_platform_id.as_deref(),
            Some("115310627314723954")
        );
        assert!(o.cancelled_at.is_some());
        assert!(!o.lines.is_empty());
    }

    #[test]
    fn every_official_sample_parses_without_error() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/shopify/webhooks/official_samples");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            let topic = name.replacen('_', "/", 1);
            let body = std::fs::read(&path).unwrap();
            parse(&topic, &body, "USD", now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn bad_payloads_name_the_problem() {
        let e = parse("products/update", br#"{"title": "x"}"#, "USD", now()).unwrap_err();
        assert!(e.to_string().contains("`id`"), "{e}");
        let e = parse(
            "orders/create",
            br#"{"id": 1, "total_price": "1.234"}"#,
            "USD",
            now(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("total_price"), "{e}");
        assert!(parse("products/update", b"[]", "USD", now()).is_err());
        assert!(parse("products/update", b"{", "USD", now()).is_err());
        assert_eq!(
            parse("carts/create", b"{}", "USD", now()).unwrap(),
            Change::Ignored {
                topic: "carts/create".into()
            }
        );
    }
}
