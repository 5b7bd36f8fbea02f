//! Session tokens: the HS256 JWTs App Bridge gives the embedded admin.
//!
//! Verified as Shopify's own library does: HS256 only, signature with the app secret,
//! `exp`/`nbf` with 10 s leeway, `aud` = our API key; the shop is the host of `dest`, and
//! `iss` must name the same shop.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::shop_domain::ShopDomain;

/// Clock tolerance the Shopify library permits.
pub const LEEWAY_SECS: u64 = 10;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub dest: String,
    pub aud: String,
    pub sub: Option<String>,
    pub exp: u64,
    pub nbf: u64,
    pub iat: Option<u64>,
    pub jti: Option<String>,
    pub sid: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VerifiedSession {
    pub shop: ShopDomain,
    /// The admin user (`sub`), when present.
    pub user: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SessionTokenError {
    #[error(
        "session token is malformed or its signature, algorithm, audience or lifetime is invalid: {0}"
    )]
    Invalid(String),
    #[error("session token `dest` is not a valid shop URL")]
    BadDest,
    #[error("session token `iss` does not match its `dest` shop")]
    IssuerMismatch,
}

pub fn verify(
    token: &str,
    api_key: &str,
    secret: &[u8],
) -> Result<VerifiedSession, SessionTokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation.set_audience(&[api_key]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud"]);
    let data =
        jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(secret), &validation)
            .map_err(|e| SessionTokenError::Invalid(e.to_string()))?;
    let claims = data.claims;
    let dest_host = url::Url::parse(&claims.dest)
        .ok()
        .filter(|u| u.scheme() == "https" && u.path().trim_matches('/').is_empty())
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or(SessionTokenError::BadDest)?;
    let shop = ShopDomain::parse(&dest_host).ok_or(SessionTokenError::BadDest)?;
    let iss_host = url::Url::parse(&claims.iss)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if iss_host.as_deref() != Some(shop.as_str()) {
        return Err(SessionTokenError::IssuerMismatch);
    }
    Ok(VerifiedSession {
        shop,
        user: claims.sub,
    })
}

/// Mints a token exactly as Shopify would for `shop`. Used only by the local demo's
/// stand-in for App Bridge and by tests.
pub fn sign(
    shop: &ShopDomain,
    user: &str,
    api_key: &str,
    secret: &[u8],
    now: u64,
    ttl: u64,
) -> String {
    let claims = Claims {
        iss: format!("https://{shop}/admin"),
        dest: format!("https://{shop}"),
        aud: api_key.to_owned(),
        sub: Some(user.to_owned()),
        exp: now + ttl,
        nbf: now,
        iat: Some(now),
        jti: Some(uuid::Uuid::new_v4().to_string()),
        sid: Some(uuid::Uuid::new_v4().to_string()),
    };
    // Encoding a plain struct with HS256 cannot fail.
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "api-key";
    const SECRET: &[u8] = b"secret";

    fn now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    fn shop() -> ShopDomain {
        ShopDomain::parse("demo.myshopify.com").unwrap()
    }

    #[test]
    fn valid_token_yields_shop() {
        let t = sign(&shop(), "42", KEY, SECRET, now(), 60);
        let v = verify(&t, KEY, SECRET).unwrap();
        assert_eq!(v.shop, shop());
        assert_eq!(v.user.as_deref(), Some("42"));
    }

    #[test]
    fn rejects_wrong_secret_audience_and_expiry() {
        let t = sign(&shop(), "1", KEY, SECRET, now(), 60);
        assert!(verify(&t, KEY, b"other").is_err());
        assert!(verify(&t, "other-key", SECRET).is_err());
        let old = sign(&shop(), "1", KEY, SECRET, now() - 200, 60);
        assert!(verify(&old, KEY, SECRET).is_err());
        // Within the 10 s leeway it still passes.
        let edge = sign(&shop(), "1", KEY, SECRET, now() - 65, 60);
        assert!(verify(&edge, KEY, SECRET).is_ok());
        let future = sign(&shop(), "1", KEY, SECRET, now() + 100, 60);
        assert!(verify(&future, KEY, SECRET).is_err());
    }

    #[test]
    fn rejects_alg_none_and_garbage() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let t = sign(&shop(), "1", KEY, SECRET, now(), 60);
        let payload = t.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            payload
        );
        assert!(verify(&none, KEY, SECRET).is_err());
        assert!(verify("not.a.jwt", KEY, SECRET).is_err());
        assert!(verify("", KEY, SECRET).is_err());
    }

    #[test]
    fn rejects_dest_not_a_shop_and_issuer_mismatch() {
        let mut claims = Claims {
            iss: "https://evil.myshopify.com/admin".into(),
            dest: "https://demo.myshopify.com".into(),
            aud: KEY.into(),
            sub: None,
            exp: now() + 60,
            nbf: now(),
            iat: None,
            jti: None,
            sid: None,
        };
        let enc = |c: &Claims| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                c,
                &EncodingKey::from_secret(SECRET),
            )
            .unwrap()
        };
        assert_eq!(
            verify(&enc(&claims), KEY, SECRET).unwrap_err(),
            SessionTokenError::IssuerMismatch
        );
        claims.dest = "https://demo.example.com".into();
        assert_eq!(
            verify(&enc(&claims), KEY, SECRET).unwrap_err(),
            SessionTokenError::BadDest
        );
    }
}
