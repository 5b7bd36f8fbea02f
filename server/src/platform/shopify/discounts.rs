//! Single-use discount codes for smart offers: one code discount per code, usable once, once per
//! customer (`discountCodeBasicCreate`, or `discountCodeFreeShippingCreate` for free shipping).

use serde_json::{Value, json};

use super::client::AdminClient;
use super::sync::SyncError;
use crate::money::decimal;
use crate::platform::{CodeSpec, CodeValue, CreatedCode};

const BASIC_CREATE: &str = include_str!("../../../graphql/discount_code_basic_create.graphql");
const FREE_SHIPPING_CREATE: &str =
    include_str!("../../../graphql/discount_code_free_shipping_create.graphql");
const BASIC_UPDATE: &str = include_str!("../../../graphql/discount_code_basic_update.graphql");
const FREE_SHIPPING_UPDATE: &str =
    include_str!("../../../graphql/discount_code_free_shipping_update.graphql");

fn gid(kind: &str, id: &str) -> String {
    format!("gid://shopify/{kind}/{id}")
}

/// The mutation input for one code, as Shopify's schema names it.
fn input(spec: &CodeSpec, currency: &str) -> Value {
    let mut i = json!({
        "title": spec.title,
        "code": spec.code,
        "usageLimit": 1,
        "appliesOncePerCustomer": true,
        "context": {"all": "ALL"},
        "combinesWith": {"orderDiscounts": false, "productDiscounts": false, "shippingDiscounts": false},
    });
    if let Some(s) = &spec.starts_at {
        i["startsAt"] = json!(s.to_rfc3339());
    }
    if let Some(e) = &spec.ends_at {
        i["endsAt"] = json!(e.to_rfc3339());
    }
    if let Some(m) = spec.minimum_subtotal_minor {
        i["minimumRequirement"] =
            json!({"subtotal": {"greaterThanOrEqualToSubtotal": decimal(m, currency)}});
    }
    let items = if spec.products.is_empty() && spec.collections.is_empty() {
        json!({"all": true})
    } else if spec.collections.is_empty() {
        json!({"products": {"productsToAdd": spec.products.iter().map(|p| gid("Product", p)).collect::<Vec<_>>()}})
    } else {
        json!({"collections": {"add": spec.collections.iter().map(|c| gid("Collection", c)).collect::<Vec<_>>()}})
    };
    match spec.value {
        CodeValue::Percentage(p) => {
            i["customerGets"] = json!({"value": {"percentage": p / 100.0}, "items": items});
        }
        CodeValue::Amount(minor) => {
            i["customerGets"] = json!({
                "value": {"discountAmount": {"amount": decimal(minor, currency), "appliesOnEachItem": false}},
                "items": items,
            });
        }
        CodeValue::FreeShipping { max_shipping_minor } => {
            i["destination"] = json!({"all": true});
            if let Some(m) = max_shipping_minor {
                i["maximumShippingPrice"] = json!(decimal(m, currency));
            }
        }
    }
    i
}

/// Creates one code. `Ok(None)`: Shopify refused the code as taken (another discount has it);
/// the caller draws another.
pub async fn create_code(
    client: &AdminClient,
    spec: &CodeSpec,
    currency: &str,
) -> Result<Option<CreatedCode>, SyncError> {
    let (doc, var, field) = match spec.value {
        CodeValue::FreeShipping { .. } => (
            FREE_SHIPPING_CREATE,
            "freeShippingCodeDiscount",
            "discountCodeFreeShippingCreate",
        ),
        _ => (BASIC_CREATE, "basicCodeDiscount", "discountCodeBasicCreate"),
    };
    let v = client
        .graphql(doc, json!({ var: input(spec, currency) }))
        .await?;
    let Some(payload) = accepted(&v, field)? else {
        return Ok(None);
    };
    let id = payload
        .pointer("/codeDiscountNode/id")
        .and_then(Value::as_str)
        .ok_or_else(|| SyncError::Data(format!("{field} answered no discount")))?;
    Ok(Some(CreatedCode {
        code: spec.code.clone(),
        platform_id: id.to_owned(),
    }))
}

/// Limits a handed-out code to the customer it was handed to (their platform id), so nobody
/// else can use it.
pub async fn bind_to_customer(
    client: &AdminClient,
    discount_id: &str,
    free_shipping: bool,
    customer: &str,
) -> Result<(), SyncError> {
    let (doc, var, field) = if free_shipping {
        (
            FREE_SHIPPING_UPDATE,
            "freeShippingCodeDiscount",
            "discountCodeFreeShippingUpdate",
        )
    } else {
        (BASIC_UPDATE, "basicCodeDiscount", "discountCodeBasicUpdate")
    };
    let input = json!({"context": {"customers": {"add": [gid("Customer", customer)]}}});
    let v = client
        .graphql(doc, json!({"id": discount_id, var: input}))
        .await?;
    accepted(&v, field)?
        .map(|_| ())
        .ok_or_else(|| SyncError::Data(format!("{field}: the discount's code is taken")))
}

/// The mutation's payload when it has no `userErrors`; `None` when the only complaint is a
/// code already taken; an error naming the first complaint otherwise.
fn accepted<'a>(answer: &'a Value, field: &str) -> Result<Option<&'a Value>, SyncError> {
    let payload = answer
        .get(field)
        .ok_or_else(|| SyncError::Data(format!("no {field} in the answer")))?;
    let errors = payload.get("userErrors").and_then(Value::as_array);
    let Some(first) = errors.and_then(|e| e.first()) else {
        return Ok(Some(payload));
    };
    if errors.is_some_and(|e| {
        e.iter()
            .any(|e| e.get("code").and_then(Value::as_str) == Some("TAKEN"))
    }) {
        return Ok(None);
    }
    Err(SyncError::Data(format!(
        "{field} refused: {}",
        first
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimals_in_the_currencys_units() {
        assert_eq!(decimal(1234, "USD"), "12.34");
        assert_eq!(decimal(5, "EUR"), "0.05");
        assert_eq!(decimal(500, "JPY"), "500");
    }

    #[test]
    fn a_code_is_single_use_and_scoped() {
        let spec = CodeSpec {
            code: "AT-ABCD".into(),
            title: "Attune: Welcome".into(),
            value: CodeValue::Percentage(12.5),
            minimum_subtotal_minor: Some(5000),
            products: vec!["42".into()],
            collections: vec![],
            starts_at: None,
            ends_at: None,
        };
        let i = input(&spec, "GBP");
        assert_eq!(i["usageLimit"], 1);
        assert_eq!(i["appliesOncePerCustomer"], true);
        assert_eq!(i["customerGets"]["value"]["percentage"], 0.125);
        assert_eq!(
            i["customerGets"]["items"]["products"]["productsToAdd"][0],
            "gid://shopify/Product/42"
        );
        assert_eq!(
            i["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"],
            "50.00"
        );
    }
}
