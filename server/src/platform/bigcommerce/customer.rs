//! The Current Customer JWT (PLATFORM.md B5): the storefront script fetches it same-origin from
//! `/customer/current.jwt?app_client_id=..` and hands it to us; only a token that passes every
//! check here names a customer. HS256 only with the app's client secret, `iss` = "bc/apps",
//! `aud` = our client id, `operation` = "current_customer", the store (`store_hash`, and `sub`
//! when present) equal to the store the call is for, within `iat`/`exp` (a short leeway; the
//! tokens live 15 minutes), and `customer.id` a positive integer.
//!
//! The email the token carries is never read: a customer id is all we need, and an email would
//! only be one more piece of personal data to keep out of logs.

use serde_json::Value;

use super::verify::{LEEWAY_SECS, VerifyError, int_claim, verify_hs256};

/// Longer than any token BigCommerce issues; refused before any decoding.
const MAX_TOKEN_BYTES: usize = 4096;

/// The verified shopper of a Current Customer JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentCustomer {
    /// BigCommerce's customer id.
    pub id: i64,
    /// When the token stops being accepted (Unix seconds, before the leeway).
    pub exp: i64,
}

fn fail<T>(msg: &str) -> Result<T, VerifyError> {
    Err(VerifyError(msg.to_owned()))
}

/// Verifies a Current Customer JWT for `store_hash` at `now` (Unix seconds).
pub fn verify_current_customer_jwt(
    jwt: &str,
    client_secret: &[u8],
    client_id: &str,
    store_hash: &str,
    now: i64,
) -> Result<CurrentCustomer, VerifyError> {
    let jwt = jwt.trim();
    if jwt.len() > MAX_TOKEN_BYTES {
        return fail("the token is too long");
    }
    if client_id.is_empty() || client_secret.is_empty() {
        return fail("BigCommerce is not configured");
    }
    let claims = verify_hs256(jwt, client_secret)?;
    let Some(c) = claims.as_object() else {
        return fail("the JWT payload is not an object");
    };
    if c.get("iss").and_then(Value::as_str) != Some("bc/apps") {
        return fail("the token is not a BigCommerce app token (iss)");
    }
    let aud_ok = match c.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !aud_ok {
        return fail("the token is not for this app (aud)");
    }
    if c.get("operation").and_then(Value::as_str) != Some("current_customer") {
        return fail("the token is not a current-customer token (operation)");
    }
    if c.get("store_hash").and_then(Value::as_str) != Some(store_hash) {
        return fail("the token is for another store (store_hash)");
    }
    if let Some(sub) = c.get("sub") {
        let same = sub
            .as_str()
            .is_some_and(|s| s == store_hash || s.strip_prefix("stores/") == Some(store_hash));
        if !same {
            return fail("the token is for another store (sub)");
        }
    }
    let Some(exp) = int_claim(c, "exp")? else {
        return fail("the token has no expiry (exp)");
    };
    if now >= exp + LEEWAY_SECS {
        return fail("the token has expired");
    }
    let Some(iat) = int_claim(c, "iat")? else {
        return fail("the token has no issue time (iat)");
    };
    if now + LEEWAY_SECS < iat {
        return fail("the token was issued in the future (iat)");
    }
    if int_claim(c, "nbf")?.is_some_and(|nbf| now + LEEWAY_SECS < nbf) {
        return fail("the token is not valid yet (nbf)");
    }
    let id = c
        .get("customer")
        .and_then(|cu| cu.get("id"))
        .and_then(Value::as_i64)
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            VerifyError("the token names no customer (customer.id, a positive integer)".into())
        })?;
    Ok(CurrentCustomer { id, exp })
}

#[cfg(test)]
mod tests {
    use super::super::verify::sign_jwt;
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    const SECRET: &[u8] = b"client-secret";
    const NOW: i64 = 1_700_000_000;

    fn claims() -> Value {
        json!({
            "customer": {"id": 4927, "email": "shopper@example.com", "group_id": "6"},
            "iss": "bc/apps", "sub": "abc123", "iat": NOW - 60, "exp": NOW - 60 + 900,
            "version": 1, "aud": "app-client", "application_id": "app-client",
            "store_hash": "abc123", "operation": "current_customer",
        })
    }

    fn verify(token: &str) -> Result<CurrentCustomer, VerifyError> {
        verify_current_customer_jwt(token, SECRET, "app-client", "abc123", NOW)
    }

    fn with(key: &str, value: Value) -> String {
        let mut c = claims();
        c[key] = value;
        sign_jwt(&c, SECRET)
    }

    fn message(token: &str) -> String {
        verify(token).unwrap_err().0
    }

    /// A token with this header, the standard claims and a signature by `SECRET` over both.
    fn with_header(header: &str) -> String {
        use hmac::{Hmac, Mac};
        let h = URL_SAFE_NO_PAD.encode(header);
        let p = URL_SAFE_NO_PAD.encode(claims().to_string());
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(SECRET).unwrap();
        m.update(format!("{h}.{p}").as_bytes());
        format!(
            "{h}.{p}.{}",
            URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
        )
    }

    #[test]
    fn a_valid_token_names_its_customer() {
        let c = verify(&sign_jwt(&claims(), SECRET)).unwrap();
        assert_eq!((c.id, c.exp), (4927, NOW + 840));
        // `sub` may be absent, or `stores/{hash}`; an `aud` list naming us is accepted.
        let mut c = claims();
        c.as_object_mut().unwrap().remove("sub");
        assert!(verify(&sign_jwt(&c, SECRET)).is_ok());
        assert!(verify(&with("sub", json!("stores/abc123"))).is_ok());
        assert!(verify(&with("aud", json!(["other", "app-client"]))).is_ok());
        // Clock skew within the leeway either way.
        let late = verify_current_customer_jwt(
            &sign_jwt(&claims(), SECRET),
            SECRET,
            "app-client",
            "abc123",
            NOW + 840 + LEEWAY_SECS - 1,
        );
        assert!(late.is_ok());
        assert!(verify(&with("iat", json!(NOW + LEEWAY_SECS - 1))).is_ok());
    }

    #[test]
    fn other_algorithms_are_refused_before_the_signature() {
        assert!(message(&with_header(r#"{"alg":"none","typ":"JWT"}"#)).contains("HS256"));
        assert!(message(&with_header(r#"{"alg":"HS512","typ":"JWT"}"#)).contains("HS256"));
        assert!(message(&with_header(r#"{"typ":"JWT"}"#)).contains("HS256"));
        // An unsigned token in the `alg: none` form (empty signature).
        let good = with_header(r#"{"alg":"none"}"#);
        let unsigned = format!("{}.", good.rsplit_once('.').unwrap().0);
        assert!(verify(&unsigned).is_err());
        assert!(verify(&with_header(r#"{"alg":"HS256"}"#)).is_ok());
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused_naming_the_check() {
        let good = sign_jwt(&claims(), SECRET);
        assert_eq!(
            message(&sign_jwt(&claims(), b"other-secret")),
            "bad signature"
        );
        // Payload swapped under the original signature.
        let (h, rest) = good.split_once('.').unwrap();
        let (_, s) = rest.split_once('.').unwrap();
        let mut c = claims();
        c["customer"]["id"] = json!(1);
        let forged = format!("{h}.{}.{s}", URL_SAFE_NO_PAD.encode(c.to_string()));
        assert_eq!(message(&forged), "bad signature");
        let cut = &good[..good.len() - 2];
        assert!(verify(cut).is_err());
        assert!(message(&with("aud", json!("other-app"))).contains("aud"));
        assert!(message(&with("aud", json!(null))).contains("aud"));
        assert!(message(&with("iss", json!("bc"))).contains("iss"));
        assert!(message(&with("operation", json!("customer_login"))).contains("operation"));
        assert!(message(&with("store_hash", json!("zzz999"))).contains("store_hash"));
        assert!(message(&with("sub", json!("zzz999"))).contains("sub"));
        assert!(message(&with("sub", json!(7))).contains("sub"));
        let other_store =
            verify_current_customer_jwt(&good, SECRET, "app-client", "zzz999", NOW).unwrap_err();
        assert!(other_store.0.contains("store_hash"));
        let wrong_app =
            verify_current_customer_jwt(&good, SECRET, "other-app", "abc123", NOW).unwrap_err();
        assert!(wrong_app.0.contains("aud"));
    }

    #[test]
    fn time_claims_are_required_and_checked() {
        let expired = verify_current_customer_jwt(
            &sign_jwt(&claims(), SECRET),
            SECRET,
            "app-client",
            "abc123",
            NOW + 840 + LEEWAY_SECS,
        );
        assert_eq!(expired.unwrap_err().0, "the token has expired");
        assert!(message(&with("iat", json!(NOW + LEEWAY_SECS + 1))).contains("iat"));
        assert!(message(&with("nbf", json!(NOW + LEEWAY_SECS + 1))).contains("nbf"));
        assert!(message(&with("exp", json!("soon"))).contains("exp"));
        for key in ["exp", "iat"] {
            let mut c = claims();
            c.as_object_mut().unwrap().remove(key);
            assert!(message(&sign_jwt(&c, SECRET)).contains(key), "{key}");
        }
    }

    #[test]
    fn the_customer_must_be_a_positive_integer_id() {
        for id in [json!(0), json!(-3), json!("4927"), json!(1.5), json!(null)] {
            let mut c = claims();
            c["customer"]["id"] = id.clone();
            assert!(
                message(&sign_jwt(&c, SECRET)).contains("customer.id"),
                "{id}"
            );
        }
        assert!(message(&with("customer", json!(null))).contains("customer.id"));
    }

    #[test]
    fn garbage_is_refused() {
        for junk in [
            "",
            "abc",
            "a.b",
            "a.b.c",
            "a.b.c.d",
            "....",
            "eyJhbGciOiJIUzI1NiJ9.%%%.abc",
        ] {
            assert!(verify(junk).is_err(), "{junk:?}");
        }
        assert!(message(&"a".repeat(MAX_TOKEN_BYTES + 1)).contains("too long"));
        // A payload that is JSON but not an object.
        let mut c = claims();
        c = json!([c]);
        assert!(verify(&sign_jwt(&c, SECRET)).is_err());
        assert!(
            verify_current_customer_jwt(&sign_jwt(&claims(), SECRET), b"", "", "abc123", NOW)
                .is_err()
        );
    }
}
