//! BigCommerce webhook deliveries. Each is authenticated twice when it can be: by the per-store
//! secret header we set when creating the hook (`X-Attune-Webhook-Secret`, compared in constant
//! time), and by its Standard Webhooks signature when BigCommerce sends one (five-minute window).
//! The payload is light (`{scope, store_id, data: {type, id}, hash, created_at, producer}`): it
//! says what changed, and the job fetches the resource ([`read`]). The same event delivered twice carries
//! the same `hash`, which is the receipt's dedupe key.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::verify::{VerifyError, verify_webhook};
use chrono::{DateTime, Utc};

use crate::platform::{Change, Delivery as Meaning, Resource};

/// The header carrying the per-store secret we register on every hook.
pub const SECRET_HEADER: &str = "x-attune-webhook-secret";

/// The secret we register for `store_hash`'s hooks: derived from the client secret, so nothing
/// needs storing and no two stores share one.
pub fn store_secret(client_secret: &[u8], store_hash: &str) -> String {
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(client_secret).unwrap_or_else(|_| unreachable!());
    m.update(format!("attune webhook secret v1:{store_hash}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// A verified delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub store_hash: String,
    pub scope: String,
    pub hash: String,
    pub created_at: Option<i64>,
}

/// Headers by lower-case name.
pub struct Headers<'a> {
    pub secret: Option<&'a str>,
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

pub fn verify_delivery(
    headers: &Headers<'_>,
    body: &[u8],
    client_secret: &[u8],
    now: i64,
) -> Result<Delivery, VerifyError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| VerifyError("the body is not JSON".into()))?;
    let store_hash = v
        .get("producer")
        .and_then(Value::as_str)
        .and_then(|p| p.strip_prefix("stores/"))
        .filter(|h| !h.is_empty() && h.len() <= 32 && h.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| VerifyError("producer must be stores/{store hash}".into()))?
        .to_owned();
    let expected = store_secret(client_secret, &store_hash);
    let given = headers.secret.unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(VerifyError("missing or wrong webhook secret header".into()));
    }
    if headers.id.is_some() || headers.timestamp.is_some() || headers.signature.is_some() {
        verify_webhook(
            headers.id,
            headers.timestamp,
            headers.signature,
            body,
            client_secret,
            now,
        )?;
    }
    let scope = v
        .get("scope")
        .and_then(Value::as_str)
        .filter(|s| s.starts_with("store/"))
        .ok_or_else(|| VerifyError("scope must be store/…".into()))?
        .to_owned();
    let hash = v
        .get("hash")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty() && h.len() <= 128)
        .ok_or_else(|| VerifyError("hash is required".into()))?
        .to_owned();
    Ok(Delivery {
        store_hash,
        scope,
        hash,
        created_at: v.get("created_at").and_then(Value::as_i64),
    })
}

/// What a stored delivery means. Light payloads only name the resource (`data: {type, id}`),
/// so most become a [`Delivery::Fetch`]; deletions and the uninstall act on the payload alone.
/// Cart events are received but not kept: Attune stores no carts.
pub fn read(scope: &str, body: &[u8], at: DateTime<Utc>) -> Result<Meaning, VerifyError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| VerifyError("the body is not JSON".into()))?;
    let data = v.get("data").unwrap_or(&Value::Null);
    let id_at = |ptr: &str| -> Result<String, VerifyError> {
        match data.pointer(ptr) {
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(s.clone())
            }
            _ => Err(VerifyError(format!(
                "{scope}: data{} must be an id",
                ptr.replace('/', ".")
            ))),
        }
    };
    let parts: Vec<&str> = scope.split('/').collect();
    let ignored = || {
        Meaning::Change(Box::new(Change::Ignored {
            topic: scope.to_owned(),
        }))
    };
    Ok(match parts.as_slice() {
        ["store", "app", "uninstalled"] => Meaning::Change(Box::new(Change::AppUninstalled)),
        ["store", "product", "deleted"] => Meaning::Change(Box::new(Change::ProductDeleted {
            platform_id: id_at("/id")?,
            at,
        })),
        ["store", "product", ..] => Meaning::Fetch(Resource::Product(id_at("/id")?)),
        // A SKU (variant) changed: its product is read again.
        ["store", "sku", ..] => match id_at("/sku/product_id") {
            Ok(product) => Meaning::Fetch(Resource::Product(product)),
            Err(_) => ignored(),
        },
        ["store", "customer", "deleted"] => Meaning::Change(Box::new(Change::CustomerDeleted {
            platform_id: id_at("/id")?,
            at,
        })),
        ["store", "customer", "address", ..] => match id_at("/address/customer_id") {
            Ok(customer) => Meaning::Fetch(Resource::Customer(customer)),
            Err(_) => ignored(),
        },
        ["store", "customer", ..] => Meaning::Fetch(Resource::Customer(id_at("/id")?)),
        ["store", "order", ..] => Meaning::Fetch(Resource::Order(id_at("/id")?)),
        _ => ignored(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Delivery as Meaning;
    use crate::platform::bigcommerce::verify::sign_webhook;

    fn body(store: &str) -> Vec<u8> {
        serde_json::json!({"scope": "store/order/created", "store_id": "1", "data": {"type": "order", "id": 42},
            "hash": "h-1", "created_at": 1000, "producer": format!("stores/{store}")})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn both_the_store_secret_and_the_signature_are_checked() {
        let b = body("abc");
        let secret = store_secret(b"cs", "abc");
        let sig = sign_webhook("m1", 1000, &b, b"cs");
        let ok = Headers {
            secret: Some(&secret),
            id: Some("m1"),
            timestamp: Some("1000"),
            signature: Some(&sig),
        };
        let d = verify_delivery(&ok, &b, b"cs", 1010).unwrap();
        assert_eq!(
            (d.store_hash.as_str(), d.scope.as_str(), d.hash.as_str()),
            ("abc", "store/order/created", "h-1")
        );
        // Without a signature, the secret alone.
        let plain = Headers {
            secret: Some(&secret),
            id: None,
            timestamp: None,
            signature: None,
        };
        assert!(verify_delivery(&plain, &b, b"cs", 1010).is_ok());
        // Another store's secret, a bad signature, a stale one: refused.
        let other = store_secret(b"cs", "xyz");
        assert!(
            verify_delivery(
                &Headers {
                    secret: Some(&other),
                    ..plain
                },
                &b,
                b"cs",
                1010
            )
            .is_err()
        );
        let bad = Headers {
            signature: Some("v1,AAAA"),
            ..ok
        };
        assert!(verify_delivery(&bad, &b, b"cs", 1010).is_err());
        assert!(verify_delivery(&ok, &b, b"cs", 1000 + 301).is_err());
        assert_ne!(store_secret(b"cs", "abc"), store_secret(b"cs2", "abc"));
    }

    #[test]
    fn light_payloads_name_what_to_fetch() {
        let at = Utc::now();
        let read = |scope: &str, data: serde_json::Value| {
            let b = serde_json::json!({"scope": scope, "data": data, "hash": "h", "producer": "stores/abc"});
            super::read(scope, b.to_string().as_bytes(), at)
        };
        let id = serde_json::json!({"type": "x", "id": 42});
        assert_eq!(
            read("store/product/updated", id.clone()).unwrap(),
            Meaning::Fetch(Resource::Product("42".into()))
        );
        assert_eq!(
            read("store/product/deleted", id.clone()).unwrap(),
            Meaning::Change(Box::new(Change::ProductDeleted {
                platform_id: "42".into(),
                at
            }))
        );
        assert_eq!(
            read("store/sku/inventory/updated", serde_json::json!({"type": "sku", "id": 9, "sku": {"product_id": 42, "variant_id": 9}})).unwrap(),
            Meaning::Fetch(Resource::Product("42".into()))
        );
        assert_eq!(
            read("store/order/statusUpdated", id.clone()).unwrap(),
            Meaning::Fetch(Resource::Order("42".into()))
        );
        assert_eq!(
            read("store/customer/created", id.clone()).unwrap(),
            Meaning::Fetch(Resource::Customer("42".into()))
        );
        assert_eq!(
            read("store/app/uninstalled", serde_json::json!({})).unwrap(),
            Meaning::Change(Box::new(Change::AppUninstalled))
        );
        assert!(matches!(
            read("store/cart/created", id).unwrap(),
            Meaning::Change(c) if matches!(*c, Change::Ignored { .. })
        ));
        let e = read(
            "store/order/created",
            serde_json::json!({"type": "order", "id": "x1"}),
        )
        .unwrap_err();
        assert!(e.0.contains("data.id"), "{}", e.0);
        assert!(super::read("store/order/created", b"not json", at).is_err());
    }
}
