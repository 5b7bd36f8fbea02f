//! App proxy signatures: Shopify forwards `https://{shop}/apps/attune/...` to us with
//! `shop`, `logged_in_customer_id`, `path_prefix`, `timestamp` and `signature` added.
//!
//! `signature` = hex HMAC-SHA256(secret, concat of sorted `key=v1,v2` pairs, excluding
//! `signature`, values decoded and not re-encoded). Security parameters must appear once;
//! the timestamp must be within 90 s.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::shop_domain::ShopDomain;

pub const MAX_SKEW_SECS: i64 = 90;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProxyRequest {
    pub shop: ShopDomain,
    /// Empty on Shopify's side when nobody is logged in; `None` here.
    pub logged_in_customer_id: Option<String>,
    /// All parameters, decoded, repeated values in order.
    pub params: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProxyError {
    #[error("app proxy request has no `signature` parameter")]
    MissingSignature,
    #[error("app proxy parameter `{0}` appears more than once")]
    Duplicate(&'static str),
    #[error("app proxy `timestamp` is missing or not an integer")]
    BadTimestamp,
    #[error("app proxy `timestamp` is more than 90 seconds from now")]
    Stale,
    #[error("app proxy `shop` is missing or not a valid myshopify.com domain")]
    BadShop,
    #[error("app proxy signature does not match")]
    BadSignature,
}

fn group(query: &str) -> BTreeMap<String, Vec<String>> {
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        params
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    params
}

fn message(params: &BTreeMap<String, Vec<String>>) -> String {
    // BTreeMap iterates in byte order of keys, which is the required sort.
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .map(|(k, v)| format!("{k}={}", v.join(",")))
        .collect()
}

fn mac(secret: &[u8], msg: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    m.update(msg.as_bytes());
    m
}

/// Signs `query` (without a signature) the way Shopify does; returns the hex signature.
pub fn sign(query: &str, secret: &[u8]) -> String {
    hex::encode(mac(secret, &message(&group(query))).finalize().into_bytes())
}

pub fn verify(
    query: &str,
    secret: &[u8],
    now_unix: i64,
) -> Result<VerifiedProxyRequest, ProxyError> {
    let params = group(query);
    for key in ["signature", "shop", "timestamp", "hmac"] {
        if params.get(key).is_some_and(|v| v.len() > 1) {
            return Err(ProxyError::Duplicate(key));
        }
    }
    let signature = params
        .get("signature")
        .and_then(|v| v.first())
        .ok_or(ProxyError::MissingSignature)?;
    let given = hex::decode(signature).map_err(|_| ProxyError::BadSignature)?;
    // `verify_slice` compares in constant time.
    mac(secret, &message(&params))
        .verify_slice(&given)
        .map_err(|_| ProxyError::BadSignature)?;
    let ts: i64 = params
        .get("timestamp")
        .and_then(|v| v.first())
        .and_then(|t| t.parse().ok())
        .ok_or(ProxyError::BadTimestamp)?;
    if (now_unix - ts).abs() > MAX_SKEW_SECS {
        return Err(ProxyError::Stale);
    }
    let shop = params
        .get("shop")
        .and_then(|v| v.first())
        .and_then(|s| ShopDomain::parse(s))
        .ok_or(ProxyError::BadShop)?;
    let logged_in_customer_id = params
        .get("logged_in_customer_id")
        .and_then(|v| v.first())
        .filter(|s| !s.is_empty())
        .cloned();
    Ok(VerifiedProxyRequest {
        shop,
        logged_in_customer_id,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_vector() {
        let q = "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555";
        assert_eq!(
            sign(q, b"hush"),
            "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
        );
        let signed = format!("{q}&signature={}", sign(q, b"hush"));
        let v = verify(&signed, b"hush", 1317327555 + 30).unwrap();
        assert_eq!(v.shop.as_str(), "shop-name.myshopify.com");
        assert_eq!(v.logged_in_customer_id.as_deref(), Some("1"));
    }

    #[test]
    fn rejects_tampering_staleness_and_duplicates() {
        let q = "shop=a.myshopify.com&logged_in_customer_id=&path_prefix=%2Fapps%2Fattune&timestamp=1000";
        let sig = sign(q, b"s");
        let ok = format!("{q}&signature={sig}");
        assert!(
            verify(&ok, b"s", 1000)
                .unwrap()
                .logged_in_customer_id
                .is_none()
        );
        assert_eq!(
            verify(&ok, b"t", 1000).unwrap_err(),
            ProxyError::BadSignature
        );
        assert_eq!(verify(&ok, b"s", 1091).unwrap_err(), ProxyError::Stale);
        let tampered = ok.replace("logged_in_customer_id=", "logged_in_customer_id=7");
        assert_eq!(
            verify(&tampered, b"s", 1000).unwrap_err(),
            ProxyError::BadSignature
        );
        let dup = format!("{ok}&shop=b.myshopify.com");
        assert_eq!(
            verify(&dup, b"s", 1000).unwrap_err(),
            ProxyError::Duplicate("shop")
        );
        assert_eq!(
            verify(q, b"s", 1000).unwrap_err(),
            ProxyError::MissingSignature
        );
    }
}
