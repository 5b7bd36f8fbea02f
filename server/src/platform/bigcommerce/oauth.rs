//! The install's token exchange: `POST {login}/oauth2/token` with the code BigCommerce sent to
//! `/auth`. The `oauth2` crate is not used here: BigCommerce's answer has no `token_type`, which
//! that crate's standard token response requires, and the request carries BigCommerce's own
//! `context` and `scope` fields; a typed JSON call is shorter than bending it.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::VerifyError;

#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    pub id: i64,
    #[serde(default)]
    pub email: Option<String>,
}

/// What the exchange returns. `access_token` never leaves this module unsealed except to be
/// encrypted.
#[derive(Deserialize)]
pub struct Installed {
    pub access_token: SecretString,
    pub scope: String,
    pub context: String,
    pub user: Person,
    pub owner: Person,
    #[serde(default)]
    pub account_uuid: Option<String>,
}

impl std::fmt::Debug for Installed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installed")
            .field("context", &self.context)
            .field("scope", &self.scope)
            .finish()
    }
}

impl Installed {
    pub fn store_hash(&self) -> Option<&str> {
        self.context
            .strip_prefix("stores/")
            .filter(|h| !h.is_empty())
    }
}

pub struct Exchange<'a> {
    pub login_origin: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
    pub redirect_uri: &'a str,
    pub code: &'a str,
    pub scope: &'a str,
    pub context: &'a str,
}

pub async fn exchange_code(
    http: &reqwest::Client,
    e: Exchange<'_>,
) -> Result<Installed, VerifyError> {
    let body = serde_json::json!({
        "client_id": e.client_id,
        "client_secret": e.client_secret.expose_secret(),
        "code": e.code,
        "context": e.context,
        "scope": e.scope,
        "grant_type": "authorization_code",
        "redirect_uri": e.redirect_uri,
    });
    let url = format!("{}/oauth2/token", e.login_origin.trim_end_matches('/'));
    let r = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|_| VerifyError("BigCommerce's token endpoint did not answer".into()))?;
    if !r.status().is_success() {
        return Err(VerifyError(format!(
            "BigCommerce refused the code ({})",
            r.status()
        )));
    }
    r.json::<Installed>()
        .await
        .map_err(|e| VerifyError(format!("unexpected token answer from BigCommerce: {e}")))
}
