//! Single-use codes for smart offers through BigCommerce's Promotions API: one coupon
//! promotion per offer and rule set (found again by its name), and one code per shopper,
//! usable once and once per customer.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::client::StoreClient;
use super::verify::VerifyError;
use crate::money::decimal;
use crate::platform::{CodeSpec, CodeValue, CreatedCode};

/// The promotion's rules, as BigCommerce names them.
fn rules(spec: &CodeSpec, currency: &str) -> Value {
    let restricted = !spec.products.is_empty() || !spec.collections.is_empty();
    let discount = match spec.value {
        CodeValue::Percentage(p) => json!({ "percentage_amount": format!("{p}") }),
        CodeValue::Amount(minor) => json!({ "fixed_amount": decimal(minor, currency) }),
        CodeValue::FreeShipping { .. } => Value::Null,
    };
    let mut rule = match spec.value {
        CodeValue::FreeShipping { .. } => json!({"action": {"shipping": {"free_shipping": true}}}),
        _ if restricted => {
            let items = if spec.collections.is_empty() {
                json!({"products": ids(&spec.products)})
            } else {
                json!({"categories": ids(&spec.collections)})
            };
            json!({"action": {"cart_items": {"discount": discount, "items": items}}})
        }
        _ => json!({"action": {"cart_value": {"discount": discount}}}),
    };
    rule["apply_once"] = json!(true);
    rule["stop"] = json!(true);
    if let Some(m) = spec.minimum_subtotal_minor {
        rule["condition"] = json!({"cart": {"minimum_spend": decimal(m, currency)}});
    }
    json!([rule])
}

fn ids(list: &[String]) -> Vec<u64> {
    list.iter().filter_map(|i| i.parse().ok()).collect()
}

/// The promotion for `spec`'s offer and rules: a changed offer gets a new promotion, so codes
/// already handed out keep the terms they were given with.
fn promotion_body(spec: &CodeSpec, currency: &str) -> Value {
    let rules = rules(spec, currency);
    let digest = Sha256::digest(rules.to_string().as_bytes());
    let name = format!("{} [{}]", spec.title, &hex::encode(digest)[..8]);
    let mut body = json!({
        "name": name,
        "redemption_type": "COUPON",
        "rules": rules,
        "status": "ENABLED",
        "can_be_used_with_other_promotions": false,
    });
    if let Some(s) = &spec.starts_at {
        body["start_date"] = json!(s.to_rfc3339());
    }
    if let Some(e) = &spec.ends_at {
        body["end_date"] = json!(e.to_rfc3339());
    }
    body
}

async fn promotion_id(client: &StoreClient, body: &Value) -> Result<u64, VerifyError> {
    let name = body["name"].as_str().unwrap_or_default();
    let query: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    let found = client
        .call(
            &format!("/v3/promotions?name={query}&redemption_type=COUPON"),
            None,
        )
        .await?;
    if let Some(id) = found
        .get("data")
        .and_then(Value::as_array)
        .and_then(|l| {
            l.iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
        })
        .and_then(|p| p.get("id"))
        .and_then(Value::as_u64)
    {
        return Ok(id);
    }
    let made = client.call("/v3/promotions", Some(body)).await?;
    made.pointer("/data/id")
        .and_then(Value::as_u64)
        .ok_or_else(|| VerifyError("BigCommerce made a promotion without an id".into()))
}

/// Creates one code. `Ok(None)`: BigCommerce refused it as taken; the caller draws another.
pub async fn create_code(
    client: &StoreClient,
    spec: &CodeSpec,
    currency: &str,
) -> Result<Option<CreatedCode>, VerifyError> {
    let promotion = promotion_id(client, &promotion_body(spec, currency)).await?;
    let body = json!({"code": spec.code, "max_uses": 1, "max_uses_per_customer": 1});
    let (status, v) = client
        .send(
            reqwest::Method::POST,
            &format!("/v3/promotions/{promotion}/codes"),
            Some(&body),
        )
        .await?;
    match status {
        200..=299 => {
            let id = v
                .pointer("/data/id")
                .and_then(Value::as_u64)
                .ok_or_else(|| VerifyError("BigCommerce made a code without an id".into()))?;
            Ok(Some(CreatedCode {
                code: spec.code.clone(),
                platform_id: format!("{promotion}/{id}"),
            }))
        }
        // The code exists already (BigCommerce answers 409, or 422 naming the code).
        409 | 422 => Ok(None),
        _ => Err(VerifyError(format!(
            "BigCommerce answered {status} to a new code"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(value: CodeValue) -> CodeSpec {
        CodeSpec {
            code: "AT-ABC".into(),
            title: "Attune: Welcome (3)".into(),
            value,
            minimum_subtotal_minor: Some(5000),
            products: vec![],
            collections: vec![],
            starts_at: None,
            ends_at: None,
        }
    }

    #[test]
    fn rules_name_the_discount_and_the_minimum() {
        let b = promotion_body(&spec(CodeValue::Amount(500)), "USD");
        assert_eq!(
            b.pointer("/rules/0/action/cart_value/discount/fixed_amount"),
            Some(&json!("5.00"))
        );
        assert_eq!(
            b.pointer("/rules/0/condition/cart/minimum_spend"),
            Some(&json!("50.00"))
        );
        assert_eq!(b["redemption_type"], "COUPON");
        let mut s = spec(CodeValue::Percentage(12.5));
        s.collections = vec!["23".into()];
        let b2 = promotion_body(&s, "USD");
        assert_eq!(
            b2.pointer("/rules/0/action/cart_items/items/categories/0"),
            Some(&json!(23))
        );
        assert_eq!(
            b2.pointer("/rules/0/action/cart_items/discount/percentage_amount"),
            Some(&json!("12.5"))
        );
        // Other terms, another promotion.
        assert_ne!(b["name"], b2["name"]);
        let f = promotion_body(
            &spec(CodeValue::FreeShipping {
                max_shipping_minor: None,
            }),
            "USD",
        );
        assert_eq!(
            f.pointer("/rules/0/action/shipping/free_shipping"),
            Some(&json!(true))
        );
    }
}
