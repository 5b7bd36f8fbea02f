//! BigCommerce webhook deliveries. Each is authenticated twice when it can be: by the per-store
//! secret header we set when creating the hook (`X-Attune-Webhook-Secret`, compared in constant
//! time), and by its Standard Webhooks signature when BigCommerce sends one (five-minute window).
//! The payload is light (`{scope, store_id, data: {type, id}, hash, created_at, producer}`): it
//! says what changed, and the job fetches the resource. The same event delivered twice carries
//! the same `hash`, which is the receipt's dedupe key.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::verify::{VerifyError, verify_webhook};
use crate::platform::Change;

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

/// What a stored delivery means. Light payloads name a resource; fetching it belongs to the
/// BigCommerce sync (not built yet), so until then only the uninstall acts.
pub fn to_change(scope: &str) -> Change {
    match scope {
        "store/app/uninstalled" => Change::AppUninstalled,
        other => Change::Ignored {
            topic: other.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
}
