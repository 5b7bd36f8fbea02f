//! The admin's own session for BigCommerce stores. BigCommerce's control panel hands the app a
//! signed payload only when it loads it (`/load`); the admin then needs something to send with
//! each API call that works inside the control-panel iframe, where third-party cookies may be
//! blocked. After verifying the load payload we mint a short-lived HS256 token naming the
//! store, keyed by a key derived from the client secret (so it can never pass for a BigCommerce
//! token, nor one of theirs for ours), and the admin sends it as a bearer token.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::VerifyError;
use super::verify::{sign_jwt, verify_hs256};

/// Minutes an admin session lasts; reopening the app from BigCommerce starts a new one.
pub const SESSION_MINUTES: i64 = 60;
const ISSUER: &str = "attune/bigcommerce-admin";

fn key(client_secret: &[u8]) -> Vec<u8> {
    let mut m =
        <Hmac<Sha256> as Mac>::new_from_slice(client_secret).unwrap_or_else(|_| unreachable!());
    m.update(b"attune admin session key v1");
    m.finalize().into_bytes().to_vec()
}

/// A session for `store_hash`, valid from `now` for [`SESSION_MINUTES`].
pub fn mint(store_hash: &str, user: Option<i64>, client_secret: &[u8], now: i64) -> (String, i64) {
    let exp = now + SESSION_MINUTES * 60;
    let claims = json!({"iss": ISSUER, "sub": store_hash, "user": user, "iat": now, "exp": exp});
    (sign_jwt(&claims, &key(client_secret)), exp)
}

/// The store hash a session token was minted for.
pub fn verify(token: &str, client_secret: &[u8], now: i64) -> Result<String, VerifyError> {
    let claims: Value = verify_hs256(token, &key(client_secret))?;
    if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) {
        return Err(VerifyError("not an Attune admin session".into()));
    }
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if now >= exp {
        return Err(VerifyError(
            "the admin session has expired: reopen the app from BigCommerce".into(),
        ));
    }
    claims
        .get("sub")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| VerifyError("the admin session names no store".into()))
}
