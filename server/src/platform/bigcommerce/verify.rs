//! Verification of BigCommerce's signed inputs:
//! - `signed_payload_jwt` on `/load`, `/uninstall` and `/remove_user`: HS256 only (a token naming
//!   any other algorithm is refused before its signature is looked at), signed with the app's
//!   client secret, `aud` = our client id, `iss` = "bc", `sub` = `stores/{hash}`, within `nbf` and
//!   `exp` (a short leeway for clock skew).
//! - Standard Webhooks signatures on webhook deliveries: `webhook-id`, `webhook-timestamp`
//!   (integer seconds, at most five minutes off) and `webhook-signature` (`v1,<base64>` entries,
//!   any one matching) over `{id}.{timestamp}.{body}` with the client secret as the key.
//!
//! Signatures are compared in constant time (`Mac::verify_slice`). `jsonwebtoken` is not used:
//! HS256 with our own claim rules is a few lines over the `hmac`/`sha2`/`base64` crates we already
//! have, where that crate would bring key-format and asymmetric-algorithm code we refuse anyway.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};

/// Webhook signatures decode as the Standard Webhooks reference does (Python's `base64`): unused
/// bits in the last symbol are ignored. The MAC is compared on the decoded bytes, so this admits
/// no forgery; it keeps our verdicts equal to the reference's.
const LENIENT_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);
/// JWT segments must be canonical base64url, with or without their `=` padding, as BigCommerce's
/// client (PyJWT) requires.
const JWT_SEGMENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Seconds of clock skew tolerated on `nbf`, `iat` and `exp`.
pub const LEEWAY_SECS: i64 = 30;
/// How far a webhook's timestamp may be from now, either way.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError(msg.into()))
}

/// The verified claims of a load/uninstall/remove_user payload.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadPayload {
    pub store_hash: String,
    pub user_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// Whether the user opening the app is the store owner (multi-user stores).
    pub is_owner: bool,
    pub url: Option<String>,
    pub jti: Option<String>,
    pub exp: i64,
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!())
}

pub(super) fn int_claim(
    claims: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, VerifyError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
        {
            Some(n) => Ok(Some(n)),
            None => fail(format!("the {name} claim is not a number")),
        },
    }
}

/// Checks an HS256 JWT's form and signature (any other algorithm is refused before the signature
/// is looked at) and returns its claims.
pub(crate) fn verify_hs256(token: &str, secret: &[u8]) -> Result<Value, VerifyError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return fail("not a JWT (three dot-separated parts)");
    };
    let header: Value = JWT_SEGMENT
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| VerifyError("the JWT header is not base64url JSON".into()))?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return fail("only HS256 tokens are accepted");
    }
    let sig = JWT_SEGMENT
        .decode(s)
        .map_err(|_| VerifyError("the signature is not base64url".into()))?;
    let mut m = mac(secret);
    m.update(h.as_bytes());
    m.update(b".");
    m.update(p.as_bytes());
    m.verify_slice(&sig)
        .map_err(|_| VerifyError("bad signature".into()))?;
    JWT_SEGMENT
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| VerifyError("the JWT payload is not base64url JSON".into()))
}

/// Verifies a `signed_payload_jwt` at `now` (Unix seconds).
pub fn verify_signed_payload_jwt(
    token: &str,
    client_secret: &[u8],
    client_id: &str,
    now: i64,
) -> Result<LoadPayload, VerifyError> {
    let claims = verify_hs256(token, client_secret)?;
    let Some(c) = claims.as_object() else {
        return fail("the JWT payload is not an object");
    };
    let aud_ok = match c.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !aud_ok {
        return fail("the token is not for this app (aud)");
    }
    if c.get("iss").and_then(Value::as_str) != Some("bc") {
        return fail("the token is not from BigCommerce (iss)");
    }
    let Some(exp) = int_claim(c, "exp")? else {
        return fail("the token has no expiry (exp)");
    };
    if now >= exp + LEEWAY_SECS {
        return fail("the token has expired");
    }
    if int_claim(c, "nbf")?.is_some_and(|nbf| now + LEEWAY_SECS < nbf) {
        return fail("the token is not valid yet (nbf)");
    }
    if int_claim(c, "iat")?.is_some_and(|iat| now + LEEWAY_SECS < iat) {
        return fail("the token was issued in the future (iat)");
    }
    let store_hash = c
        .get("sub")
        .and_then(Value::as_str)
        .and_then(|s| s.strip_prefix("stores/"))
        .filter(|h| {
            !h.is_empty() && h.len() <= 32 && h.chars().all(|ch| ch.is_ascii_alphanumeric())
        })
        .ok_or_else(|| VerifyError("the token names no store (sub = stores/{hash})".into()))?
        .to_owned();
    let id = |v: Option<&Value>| v.and_then(|u| u.get("id")).and_then(Value::as_i64);
    let (user_id, owner_id) = (id(c.get("user")), id(c.get("owner")));
    Ok(LoadPayload {
        store_hash,
        user_id,
        owner_id,
        is_owner: user_id.is_some() && user_id == owner_id,
        url: c.get("url").and_then(Value::as_str).map(str::to_owned),
        jti: c.get("jti").and_then(Value::as_str).map(str::to_owned),
        exp,
    })
}

/// Verifies a Standard Webhooks delivery at `now` (Unix seconds). `secret` is the raw key (the
/// app's client secret).
pub fn verify_webhook(
    id: Option<&str>,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    secret: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let (Some(id), Some(ts), Some(sig)) = (
        id.filter(|v| !v.is_empty()),
        timestamp.filter(|v| !v.is_empty()),
        signature.filter(|v| !v.is_empty()),
    ) else {
        return fail("missing webhook-id, webhook-timestamp or webhook-signature");
    };
    let Ok(at) = ts.parse::<i64>() else {
        return fail("webhook-timestamp is not whole seconds");
    };
    if at < now - WEBHOOK_TOLERANCE_SECS {
        return fail("webhook-timestamp is too old");
    }
    if at > now + WEBHOOK_TOLERANCE_SECS {
        return fail("webhook-timestamp is in the future");
    }
    for entry in sig.split(' ') {
        let Some((version, value)) = entry.split_once(',') else {
            return fail("webhook-signature entry is not version,signature");
        };
        if version != "v1" {
            continue;
        }
        let Ok(given) = LENIENT_STANDARD.decode(value) else {
            return fail("webhook-signature is not base64");
        };
        let mut m = mac(secret);
        m.update(id.as_bytes());
        m.update(b".");
        m.update(ts.as_bytes());
        m.update(b".");
        m.update(body);
        if m.verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    fail("no webhook-signature matches")
}

/// Signs like BigCommerce does, for the stand-in and tests.
pub fn sign_webhook(id: &str, timestamp: i64, body: &[u8], secret: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(format!("{id}.{timestamp}.").as_bytes());
    m.update(body);
    format!("v1,{}", STANDARD.encode(m.finalize().into_bytes()))
}

/// An HS256 JWT over these claims, for the stand-in and tests.
pub fn sign_jwt(claims: &Value, secret: &[u8]) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut m = mac(secret);
    m.update(format!("{h}.{p}").as_bytes());
    format!(
        "{h}.{p}.{}",
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(user: i64, owner: i64) -> Value {
        json!({"aud": "app", "iss": "bc", "iat": 1000, "nbf": 1000, "exp": 1000 + 86_400,
               "sub": "stores/abc123", "user": {"id": user}, "owner": {"id": owner}, "url": "/x", "jti": "j-1"})
    }

    #[test]
    fn a_load_payload_names_its_store_and_whether_the_owner_opened_it() {
        let p =
            verify_signed_payload_jwt(&sign_jwt(&claims(7, 7), b"s"), b"s", "app", 2000).unwrap();
        assert_eq!(
            (p.store_hash.as_str(), p.is_owner, p.url.as_deref()),
            ("abc123", true, Some("/x"))
        );
        let p =
            verify_signed_payload_jwt(&sign_jwt(&claims(8, 7), b"s"), b"s", "app", 2000).unwrap();
        assert!(!p.is_owner);
        // Expiry with the leeway, and the wrong app.
        let t = sign_jwt(&claims(7, 7), b"s");
        assert!(verify_signed_payload_jwt(&t, b"s", "app", 1000 + 86_400 + LEEWAY_SECS).is_err());
        assert!(verify_signed_payload_jwt(&t, b"s", "other", 2000).is_err());
    }

    #[test]
    fn webhook_signatures_cover_id_time_and_body() {
        let sig = sign_webhook("msg_1", 5000, b"{}", b"k");
        assert!(verify_webhook(Some("msg_1"), Some("5000"), Some(&sig), b"{}", b"k", 5100).is_ok());
        assert!(
            verify_webhook(Some("msg_2"), Some("5000"), Some(&sig), b"{}", b"k", 5100).is_err()
        );
        assert!(
            verify_webhook(Some("msg_1"), Some("5000"), Some(&sig), b"{ }", b"k", 5100).is_err()
        );
        assert!(
            verify_webhook(
                Some("msg_1"),
                Some("5000"),
                Some(&sig),
                b"{}",
                b"k",
                5000 + 301
            )
            .is_err()
        );
        assert!(verify_webhook(None, Some("5000"), Some(&sig), b"{}", b"k", 5100).is_err());
    }
}
