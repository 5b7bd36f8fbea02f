//! Shopify, behind a narrow facade over `shopify_api`: session tokens (embedded admin), app
//! proxy signatures, admin query HMACs and webhook signatures. Nothing outside `platform/`
//! touches `shopify_api` directly.

pub mod client;
pub mod discounts;
pub mod payloads;
pub mod pixel;
pub mod standin;
pub mod store;
pub mod sync;

use secrecy::{ExposeSecret, SecretString};

pub use shopify_api::{ShopDomain, TokenData};

/// The value stored in `shops.platform` for Shopify shops.
pub const PLATFORM: &str = "shopify";

/// Why a request signed by Shopify was refused. The message names the failed check and
/// never echoes secrets or tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerifyError(String);

impl From<shopify_api::Error> for VerifyError {
    fn from(e: shopify_api::Error) -> Self {
        VerifyError(e.to_string())
    }
}

/// A verified session token: an admin user of `shop` is using the embedded app.
#[derive(Debug, Clone)]
pub struct AdminSessionToken {
    pub shop: ShopDomain,
    pub user: Option<String>,
}

/// A verified app proxy request: `shop` and `logged_in_customer_id` come only from it.
#[derive(Debug, Clone)]
pub struct ProxyRequest {
    pub shop: ShopDomain,
    /// `None` when no customer is logged in on the storefront.
    pub logged_in_customer_id: Option<String>,
}

/// A webhook delivery whose signature verified.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    pub shop: ShopDomain,
    pub topic: String,
    /// Dedupe key: Shopify's event id, or the delivery id when there is none.
    pub event_id: String,
    pub webhook_id: String,
    pub api_version: String,
    pub triggered_at: Option<String>,
}

/// The app's Shopify credentials and the checks made with them.
pub struct Shopify {
    api_key: String,
    /// Current secret first, then secrets being rotated out.
    secrets: Vec<SecretString>,
    apps: Vec<shopify_api::oauth::ShopifyApp>,
}

impl Shopify {
    pub fn new(api_key: &str, secret: &SecretString, previous: &[SecretString]) -> Self {
        let secrets: Vec<SecretString> = std::iter::once(secret.clone())
            .chain(previous.iter().cloned())
            .collect();
        let apps = secrets
            .iter()
            .map(|s| shopify_api::oauth::ShopifyApp::new(api_key, s.expose_secret()))
            .collect();
        Shopify {
            api_key: api_key.to_owned(),
            secrets,
            apps,
        }
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// Tries the current secret, then each previous one (during a secret rotation).
    fn first_ok<T>(
        &self,
        f: impl Fn(&shopify_api::oauth::ShopifyApp) -> shopify_api::Result<T>,
    ) -> Result<T, VerifyError> {
        let mut first_error = None;
        for app in &self.apps {
            match f(app) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error
            .map(VerifyError::from)
            .unwrap_or_else(|| VerifyError("no secret configured".into())))
    }

    /// HS256 only, signature, `exp`/`nbf` within 10 s, `aud` = our API key, `dest` exactly a
    /// shop's origin and `iss` exactly that shop's admin.
    pub fn verify_session_token(&self, token: &str) -> Result<AdminSessionToken, VerifyError> {
        let t = self.first_ok(|app| app.verify_session_token(token))?;
        Ok(AdminSessionToken {
            shop: t.shop().clone(),
            user: t.user_id().map(str::to_owned),
        })
    }

    /// `signature` over the sorted `name=value` strings, 90 s window, and `shop`,
    /// `timestamp`, `signature`, `hmac` each at most once.
    pub fn verify_app_proxy(&self, query: &str) -> Result<ProxyRequest, VerifyError> {
        let q = self.first_ok(|app| app.verify_app_proxy(query))?;
        let shop = q
            .shop()
            .cloned()
            .ok_or_else(|| VerifyError("the app proxy request names no valid shop".into()))?;
        Ok(ProxyRequest {
            shop,
            logged_in_customer_id: q
                .get("logged_in_customer_id")
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        })
    }

    /// The `hmac` of a query string from Shopify admin (install, OAuth callback, app launch).
    ///
    /// A parameter given twice is refused: none of the admin links Attune handles repeats one,
    /// and implementations disagree on how repeated values are signed (Shopify's Node library
    /// signs `k[]=a&k[]=b`, others `k=a,b`), so refusing is the only safe verdict.
    pub fn verify_admin_query(&self, query: &str) -> Result<Vec<(String, String)>, VerifyError> {
        let mut names: Vec<String> =
            url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(VerifyError(format!(
                "the query has `{}` more than once",
                w[0]
            )));
        }
        let q = self.first_ok(|app| app.verify_query(query))?;
        Ok(q.params().to_vec())
    }

    /// HMAC-SHA256 of the raw body, in constant time, with either header set
    /// (`X-Shopify-*` or `shopify-*`); the headers Shopify always sends must be present.
    pub fn verify_webhook<'a>(
        &self,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: &[u8],
    ) -> Result<VerifiedWebhook, VerifyError> {
        let headers: Vec<(&str, &[u8])> = headers.into_iter().collect();
        let secrets: Vec<&str> = self.secrets.iter().map(|s| s.expose_secret()).collect();
        let w =
            shopify_api::webhooks::Webhook::verify_with_secrets(headers, body.to_vec(), &secrets)?;
        // Shopify always sends these; its own library refuses a delivery without them.
        let webhook_id = w
            .webhook_id()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| VerifyError("the webhook has no `x-shopify-webhook-id` header".into()))?
            .to_owned();
        if w.api_version().is_none_or(str::is_empty) {
            return Err(VerifyError(
                "the webhook has no `x-shopify-api-version` header".into(),
            ));
        }
        let event_id = w
            .event_id()
            .map(str::to_owned)
            .unwrap_or_else(|| webhook_id.clone());
        Ok(VerifiedWebhook {
            shop: w.shop().clone(),
            topic: w.topic().to_owned(),
            event_id,
            webhook_id,
            api_version: w.api_version().unwrap_or_default().to_owned(),
            triggered_at: w.triggered_at().map(str::to_owned),
        })
    }

    // ─── Signing, as Shopify does it: for the local stand-ins (demo, simulate, tests) ───

    /// A session token as App Bridge would hand to the admin of `shop`.
    pub fn sign_session_token(&self, shop: &ShopDomain, user: &str, now: i64, ttl: i64) -> String {
        self.apps[0].sign_session_token(&serde_json::json!({
            "iss": format!("{}/admin", shop.origin()),
            "dest": shop.origin(),
            "aud": self.api_key,
            "sub": user,
            "exp": now + ttl,
            "nbf": now,
            "iat": now,
            "jti": uuid::Uuid::new_v4().to_string(),
            "sid": uuid::Uuid::new_v4().to_string(),
        }))
    }

    /// The `signature` Shopify's app proxy adds to `query`.
    pub fn sign_app_proxy(&self, query: &str) -> Result<String, VerifyError> {
        Ok(self.apps[0].sign_app_proxy(query)?)
    }

    /// The `hmac` Shopify adds to a query string from its admin (install, OAuth callback).
    pub fn sign_admin_query(&self, query: &str) -> Result<String, VerifyError> {
        Ok(self.apps[0].sign_query(query)?)
    }

    /// The `X-Shopify-Hmac-Sha256` Shopify sends with `body`.
    pub fn sign_webhook(&self, body: &[u8]) -> String {
        shopify_api::webhooks::sign(self.secrets[0].expose_secret(), body)
    }
}

/// Parses a shop domain from untrusted input: only `{handle}.myshopify.com` (or a bare handle).
pub fn parse_shop(input: &str) -> Option<ShopDomain> {
    ShopDomain::new(input).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shopify() -> Shopify {
        Shopify::new(
            "key",
            &SecretString::from("hush"),
            &[SecretString::from("old")],
        )
    }

    #[test]
    fn documented_app_proxy_vector() {
        let q = "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555";
        assert_eq!(
            shopify().sign_app_proxy(q).unwrap(),
            "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
        );
    }

    #[test]
    fn documented_webhook_vector() {
        let s = Shopify::new("key", &SecretString::from("test_secret_key"), &[]);
        assert_eq!(
            s.sign_webhook(br#"{"foo": "bar"}"#),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g="
        );
    }

    #[test]
    fn session_tokens_round_trip_and_rotation_is_honoured() {
        let s = shopify();
        let shop = parse_shop("demo.myshopify.com").unwrap();
        let now = chrono::Utc::now().timestamp();
        let t = s.sign_session_token(&shop, "42", now, 60);
        let v = s.verify_session_token(&t).unwrap();
        assert_eq!(v.shop, shop);
        assert_eq!(v.user.as_deref(), Some("42"));
        // Signed with the previous secret: still accepted during rotation.
        let old = Shopify::new("key", &SecretString::from("old"), &[])
            .sign_session_token(&shop, "1", now, 60);
        assert!(s.verify_session_token(&old).is_ok());
        // Expired, wrong app, garbage.
        assert!(
            s.verify_session_token(&s.sign_session_token(&shop, "1", now - 600, 60))
                .is_err()
        );
        let other = Shopify::new("other", &SecretString::from("hush"), &[])
            .sign_session_token(&shop, "1", now, 60);
        assert!(s.verify_session_token(&other).is_err());
        assert!(s.verify_session_token("not.a.jwt").is_err());
    }

    #[test]
    fn admin_queries_with_repeated_parameters_are_refused() {
        let s = shopify();
        let ts = chrono::Utc::now().timestamp();
        let q = format!("ids%5B%5D=1&ids%5B%5D=2&shop=a.myshopify.com&timestamp={ts}");
        let signed = format!("{q}&hmac={}", s.sign_admin_query(&q).unwrap());
        let err = s.verify_admin_query(&signed).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
        let single = format!("shop=a.myshopify.com&timestamp={ts}");
        let signed = format!("{single}&hmac={}", s.sign_admin_query(&single).unwrap());
        assert!(s.verify_admin_query(&signed).is_ok());
    }

    #[test]
    fn shops_are_validated() {
        assert!(parse_shop("demo.myshopify.com.evil.com").is_none());
        assert!(parse_shop("-x.myshopify.com").is_none());
        assert!(parse_shop("evil.com").is_none());
        assert_eq!(
            parse_shop("Demo.myshopify.com").unwrap().as_str(),
            "demo.myshopify.com"
        );
    }
}
