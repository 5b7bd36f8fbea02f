//! The token endpoint and the authorization page, as Shopify runs them for one shop: token
//! exchange (session token or legacy offline token), authorization code, refresh token
//! (rotating; the previous refresh token works until the new one is first used) and client
//! credentials. Errors are HTTP 400 with `{"error", "error_description"}`.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// The scopes the stand-in grants (those Attune declares).
pub(super) const SCOPE: &str =
    "read_products,read_inventory,read_customers,read_orders,write_discounts";
const REFRESH_TTL: i64 = 7_776_000;
const ONLINE_TTL: i64 = 86_399;
const CODE_TTL: i64 = 600;
/// Clock tolerance on `exp`/`nbf` of session tokens, as Shopify's libraries allow.
const JWT_LEEWAY: i64 = 10;
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE: &str = "urn:shopify:params:oauth:token-type:offline-access-token";
const ONLINE: &str = "urn:shopify:params:oauth:token-type:online-access-token";

pub(super) struct AccessToken {
    pub scope: String,
    pub expires_at: Option<i64>,
}

struct RefreshToken {
    expires_at: i64,
    revoked: bool,
    /// The refresh token this one replaced: revoked when this one is first used.
    predecessor: Option<String>,
}

struct Code {
    expires_at: i64,
    scope: String,
    online: bool,
}

/// What the stand-in remembers of the credentials it handed out.
#[derive(Default)]
pub(super) struct Tokens {
    pub access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    codes: HashMap<String, Code>,
    pub last_access: Option<String>,
    pub last_refresh: Option<String>,
}

/// The app the stand-in knows, and its shop.
pub(super) struct App<'a> {
    pub api_key: &'a str,
    pub api_secret: &'a str,
    pub shop: &'a str,
    pub ttl: i64,
}

/// A refusal of the token endpoint.
pub(super) struct Refusal(pub &'static str, pub String);

impl Refusal {
    pub(super) fn body(&self) -> Value {
        json!({"error": self.0, "error_description": self.1})
    }
}

fn refuse<T>(code: &'static str, description: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(code, description.into()))
}

impl Tokens {
    /// A live access token's scopes, `None` when it is unknown or expired.
    pub(super) fn check(&self, token: &str, now: i64) -> Option<&AccessToken> {
        self.access
            .get(token)
            .filter(|t| t.expires_at.is_none_or(|e| now < e))
    }

    /// Answers `POST /admin/oauth/access_token`. Returns the grant name (for the stats)
    /// and the JSON answer.
    pub(super) fn grant(
        &mut self,
        app: &App<'_>,
        params: &BTreeMap<String, String>,
        now: i64,
    ) -> (String, Result<Value, Refusal>) {
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        let grant = match get("grant_type") {
            "" if !get("code").is_empty() => "authorization_code",
            TOKEN_EXCHANGE => "token_exchange",
            other => other,
        }
        .to_owned();
        if get("client_id") != app.api_key || get("client_secret") != app.api_secret {
            return (
                grant,
                refuse("invalid_client", "Client credentials are invalid"),
            );
        }
        let expiring = matches!(get("expiring"), "1" | "true");
        let answer = match grant.as_str() {
            "token_exchange" => self.exchange(
                app,
                get("subject_token"),
                get("subject_token_type"),
                get("requested_token_type"),
                expiring,
                now,
            ),
            "authorization_code" => match self.codes.remove(get("code")) {
                Some(c) if c.expires_at > now => {
                    Ok(self.issue(app, &c.scope, c.online, expiring, None, now))
                }
                _ => refuse(
                    "invalid_request",
                    "The authorization code was not found or was already used",
                ),
            },
            "refresh_token" => self.refresh(app, get("refresh_token"), now),
            "client_credentials" => {
                let token = new_token("shpat_");
                self.remember(&token, SCOPE, Some(now + ONLINE_TTL));
                Ok(json!({"access_token": token, "scope": SCOPE, "expires_in": ONLINE_TTL}))
            }
            other => refuse(
                "unsupported_grant_type",
                format!("The grant type `{other}` is not supported"),
            ),
        };
        (grant, answer)
    }

    fn exchange(
        &mut self,
        app: &App<'_>,
        subject: &str,
        subject_type: &str,
        requested: &str,
        expiring: bool,
        now: i64,
    ) -> Result<Value, Refusal> {
        let online = match requested {
            "" | OFFLINE => false,
            ONLINE => true,
            other => {
                return refuse(
                    "invalid_request",
                    format!("Unsupported requested_token_type `{other}`"),
                );
            }
        };
        match subject_type {
            "" | ID_TOKEN => {
                let user = verify_session_token(app, subject, now)
                    .map_err(|m| Refusal("invalid_subject_token", m))?;
                Ok(self.issue(app, SCOPE, online, expiring, user, now))
            }
            // Migrating a non-expiring offline token to an expiring one.
            OFFLINE => match self.access.get(subject) {
                Some(t) if t.expires_at.is_none() => {
                    let scope = t.scope.clone();
                    Ok(self.issue(app, &scope, false, expiring, None, now))
                }
                _ => refuse(
                    "invalid_subject_token",
                    "The subject token is not a valid offline access token",
                ),
            },
            other => refuse(
                "invalid_request",
                format!("Unsupported subject_token_type `{other}`"),
            ),
        }
    }

    fn refresh(&mut self, app: &App<'_>, token: &str, now: i64) -> Result<Value, Refusal> {
        let predecessor = match self.refresh.get(token) {
            Some(r) if !r.revoked && r.expires_at > now => r.predecessor.clone(),
            Some(r) if r.revoked => {
                return refuse(
                    "invalid_grant",
                    "The refresh token was rotated and is no longer valid",
                );
            }
            Some(_) => return refuse("invalid_grant", "The refresh token has expired"),
            None => return refuse("invalid_grant", "The refresh token is invalid"),
        };
        // First use of this token: the one it replaced stops working.
        if let Some(old) = predecessor.and_then(|p| self.refresh.get_mut(&p)) {
            old.revoked = true;
        }
        let answer = self.issue(app, SCOPE, false, true, None, now);
        if let Some(new) = answer["refresh_token"]
            .as_str()
            .and_then(|n| self.refresh.get_mut(n))
        {
            new.predecessor = Some(token.to_owned());
        }
        Ok(answer)
    }

    fn remember(&mut self, token: &str, scope: &str, expires_at: Option<i64>) {
        self.access.insert(
            token.to_owned(),
            AccessToken {
                scope: scope.to_owned(),
                expires_at,
            },
        );
        self.last_access = Some(token.to_owned());
    }

    fn issue(
        &mut self,
        app: &App<'_>,
        scope: &str,
        online: bool,
        expiring: bool,
        user: Option<u64>,
        now: i64,
    ) -> Value {
        if online {
            let token = new_token("shpua_");
            self.remember(&token, scope, Some(now + ONLINE_TTL));
            let id = user.unwrap_or(1);
            return json!({
                "access_token": token,
                "scope": scope,
                "expires_in": ONLINE_TTL,
                "associated_user_scope": scope,
                "session": new_token(""),
                "account_number": 0,
                "associated_user": {
                    "id": id, "first_name": "Stand-in", "last_name": "Staff",
                    "email": format!("staff{id}@standin.invalid"), "email_verified": true,
                    "account_owner": id == 1, "locale": "en", "collaborator": false,
                },
            });
        }
        let token = new_token("shpat_");
        if !expiring {
            self.remember(&token, scope, None);
            return json!({"access_token": token, "scope": scope});
        }
        self.remember(&token, scope, Some(now + app.ttl));
        let refresh = new_token("shprt_");
        self.refresh.insert(
            refresh.clone(),
            RefreshToken {
                expires_at: now + REFRESH_TTL,
                revoked: false,
                predecessor: None,
            },
        );
        self.last_refresh = Some(refresh.clone());
        json!({
            "access_token": token,
            "scope": scope,
            "expires_in": app.ttl,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TTL,
        })
    }

    /// Answers `GET /admin/oauth/authorize`: the callback URL to redirect to (302).
    pub(super) fn authorize(
        &mut self,
        app: &App<'_>,
        query: &str,
        now: i64,
    ) -> Result<String, String> {
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("client_id") != Some(app.api_key) {
            return Err("Oauth error invalid_request: The client_id is not valid".into());
        }
        let redirect = get("redirect_uri")
            .filter(|r| r.starts_with("http"))
            .ok_or("Oauth error invalid_request: The redirect_uri is missing or not whitelisted")?;
        let code = new_token("");
        let scope = get("scope")
            .filter(|s| !s.is_empty())
            .unwrap_or(SCOPE)
            .to_owned();
        let online = get("grant_options[]") == Some("per-user");
        self.codes.insert(
            code.clone(),
            Code {
                expires_at: now + CODE_TTL,
                scope,
                online,
            },
        );
        let handle = app.shop.trim_end_matches(".myshopify.com");
        let mut pairs = vec![
            ("code".to_owned(), code),
            (
                "host".to_owned(),
                STANDARD_NO_PAD.encode(format!("admin.shopify.com/store/{handle}")),
            ),
            ("shop".to_owned(), app.shop.to_owned()),
            ("timestamp".to_owned(), now.to_string()),
        ];
        if let Some(state) = get("state") {
            pairs.push(("state".to_owned(), state.to_owned()));
        }
        pairs.sort();
        let message = form(&pairs);
        let hmac = hex::encode(hmac_sha256(app.api_secret, message.as_bytes()));
        let separator = if redirect.contains('?') { '&' } else { '?' };
        Ok(format!("{redirect}{separator}{message}&hmac={hmac}"))
    }
}

/// Form-encoded `k=v` pairs with spaces as `%20`, as Shopify's admin signs them.
fn form(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .replace('+', "%20")
}

pub(super) fn hmac_sha256(secret: &str, message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC takes keys of any length: unreachable.
        Err(_) => Vec::new(),
    }
}

/// Checks a session token as Shopify's token endpoint does; returns the staff user id.
fn verify_session_token(app: &App<'_>, token: &str, now: i64) -> Result<Option<u64>, String> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return Err("The subject token is not a JWT".into());
    };
    let decode = |p: &str| {
        URL_SAFE_NO_PAD
            .decode(p.trim_end_matches('='))
            .map_err(|_| "The subject token is not base64url".to_owned())
    };
    let header: Value =
        serde_json::from_slice(&decode(header)?).map_err(|_| "Invalid JWT header")?;
    if header["alg"] != "HS256" {
        return Err("The subject token is not signed with HS256".into());
    }
    let expected = hmac_sha256(
        app.api_secret,
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
    );
    if !constant_time_eq(&expected, &decode(signature)?) {
        return Err("The subject token signature is invalid".into());
    }
    let claims: Value =
        serde_json::from_slice(&decode(payload)?).map_err(|_| "Invalid JWT claims")?;
    let time = |k: &str| claims[k].as_f64().map(|t| t as i64);
    match time("exp") {
        Some(exp) if now <= exp + JWT_LEEWAY => {}
        _ => return Err("The subject token has expired".into()),
    }
    if time("nbf").is_some_and(|nbf| now < nbf - JWT_LEEWAY) {
        return Err("The subject token is not valid yet".into());
    }
    if claims["aud"] != app.api_key {
        return Err("The subject token was issued for another app".into());
    }
    if claims["dest"] != format!("https://{}", app.shop) {
        return Err("The subject token was issued for another shop".into());
    }
    Ok(claims["sub"].as_str().and_then(|s| s.parse().ok()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn new_token(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_documented_admin_query() {
        let pairs: Vec<(String, String)> = [
            ("code", "0907a61c0c8d55e99db179b68161bc00"),
            ("shop", "some-shop.myshopify.com"),
            ("state", "0.6784241404160823"),
            ("timestamp", "1337178173"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            hex::encode(hmac_sha256("hush", form(&pairs).as_bytes())),
            "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
        );
    }

    #[test]
    fn refresh_tokens_rotate_and_the_previous_one_lasts_until_the_new_one_is_used() {
        let app = App {
            api_key: "k",
            api_secret: "s",
            shop: "a.myshopify.com",
            ttl: 3600,
        };
        let mut tokens = Tokens::default();
        let first = tokens.issue(&app, SCOPE, false, true, None, 0);
        let r1 = first["refresh_token"].as_str().unwrap().to_owned();
        let second = tokens.refresh(&app, &r1, 10).ok().unwrap();
        let r2 = second["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(r1, r2);
        // The answer was lost: the old token still works.
        let third = tokens.refresh(&app, &r1, 20).ok().unwrap();
        let r3 = third["refresh_token"].as_str().unwrap().to_owned();
        // The new one is used: the old one stops working.
        assert!(tokens.refresh(&app, &r3, 30).is_ok());
        assert_eq!(
            tokens.refresh(&app, &r1, 40).err().unwrap().0,
            "invalid_grant"
        );
        assert!(
            tokens
                .check(first["access_token"].as_str().unwrap(), 3599)
                .is_some()
        );
        assert!(
            tokens
                .check(first["access_token"].as_str().unwrap(), 3600)
                .is_none()
        );
    }
}
