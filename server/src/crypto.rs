//! Encryption of secrets at rest (platform access and refresh tokens): AES-256-GCM with a
//! random 96-bit nonce per value, the row's identity as associated data (a ciphertext copied
//! to another shop or column does not decrypt), and named keys so keys can be rotated:
//! the first key encrypts, every key decrypts, and `attune rotate-keys` re-encrypts.
//!
//! Stored form: `v1:<key id>:<base64(nonce || ciphertext+tag)>`.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("token key `{0}` is not `id:base64-of-32-bytes`")]
    BadKey(String),
    #[error("no token encryption key is configured (ATTUNE__SECURITY__TOKEN_KEYS)")]
    NoKey,
    #[error("stored secret is not in the `v1:<key>:<data>` form")]
    Malformed,
    #[error("stored secret was encrypted with key `{0}`, which is not configured")]
    UnknownKey(String),
    #[error("stored secret does not decrypt (wrong key, or it belongs to another row)")]
    Undecryptable,
}

pub struct TokenCipher {
    /// `(id, cipher)`, current key first.
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("TokenCipher")
            .field("key_ids", &ids)
            .finish()
    }
}

impl TokenCipher {
    /// Keys as `id:base64` strings, the current one first.
    pub fn new(keys: &[SecretString]) -> Result<Self, CryptoError> {
        let keys = keys
            .iter()
            .map(|k| {
                let raw = k.expose_secret();
                let (id, b64) = raw
                    .split_once(':')
                    .ok_or_else(|| CryptoError::BadKey(redact(raw)))?;
                let bytes = STANDARD
                    .decode(b64.trim())
                    .map_err(|_| CryptoError::BadKey(redact(raw)))?;
                if id.is_empty() || id.contains(':') || bytes.len() != 32 {
                    return Err(CryptoError::BadKey(redact(raw)));
                }
                Ok((
                    id.to_owned(),
                    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
                ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(CryptoError::NoKey);
        }
        Ok(TokenCipher { keys })
    }

    /// A fresh random key in the configuration form, for `attune generate-key`.
    pub fn generate_key(id: &str) -> String {
        let key = Aes256Gcm::generate_key(OsRng);
        format!("{id}:{}", STANDARD.encode(key))
    }

    pub fn current_key_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Encrypts `plaintext` bound to `context` (e.g. `shops/42/access_token`).
    pub fn encrypt(&self, plaintext: &str, context: &str) -> String {
        let (id, cipher) = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        // Encryption with a valid key and nonce only fails on absurd lengths (> 64 GiB).
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        format!("v1:{id}:{}", STANDARD.encode(data))
    }

    pub fn decrypt(&self, stored: &str, context: &str) -> Result<SecretString, CryptoError> {
        let mut parts = stored.splitn(3, ':');
        let (Some("v1"), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed);
        };
        let cipher = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, c)| c)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))?;
        let data = STANDARD.decode(b64).map_err(|_| CryptoError::Malformed)?;
        if data.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, sealed) = data.split_at(12);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Undecryptable)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| CryptoError::Undecryptable)
    }

    /// Whether `stored` was encrypted with an older key and should be re-encrypted.
    pub fn needs_rotation(&self, stored: &str) -> bool {
        !stored.starts_with(&format!("v1:{}:", self.current_key_id()))
    }
}

fn redact(raw: &str) -> String {
    raw.split(':')
        .next()
        .unwrap_or_default()
        .chars()
        .take(16)
        .collect::<String>()
        + ":…"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(keys: &[&str]) -> TokenCipher {
        TokenCipher::new(
            &keys
                .iter()
                .map(|k| SecretString::from(k.to_string()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    }

    #[test]
    fn round_trip_and_binding() {
        let k = TokenCipher::generate_key("k1");
        let c = cipher(&[&k]);
        let stored = c.encrypt("shpat_secret", "shops/1/access");
        assert!(!stored.contains("shpat_secret"));
        assert_eq!(
            c.decrypt(&stored, "shops/1/access")
                .unwrap()
                .expose_secret(),
            "shpat_secret"
        );
        // Same plaintext twice: different ciphertexts (fresh nonce).
        assert_ne!(stored, c.encrypt("shpat_secret", "shops/1/access"));
        // Moved to another row or column: refused.
        assert_eq!(
            c.decrypt(&stored, "shops/2/access").unwrap_err(),
            CryptoError::Undecryptable
        );
        // Tampered.
        let mut bytes = stored.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert!(
            c.decrypt(&String::from_utf8(bytes).unwrap(), "shops/1/access")
                .is_err()
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = TokenCipher::generate_key("old");
        let new = TokenCipher::generate_key("new");
        let before = cipher(&[&old]).encrypt("t", "c");
        let rotated = cipher(&[&new, &old]);
        assert!(rotated.needs_rotation(&before));
        assert_eq!(rotated.decrypt(&before, "c").unwrap().expose_secret(), "t");
        let after = rotated.encrypt("t", "c");
        assert!(!rotated.needs_rotation(&after));
        // Once the old key is dropped, old values name it.
        assert_eq!(
            cipher(&[&new]).decrypt(&before, "c").unwrap_err(),
            CryptoError::UnknownKey("old".into())
        );
    }

    #[test]
    fn bad_keys_are_named_without_leaking() {
        let err = TokenCipher::new(&[SecretString::from("k1:c2hvcnQ=".to_string())]).unwrap_err();
        assert!(
            matches!(err, CryptoError::BadKey(ref s) if s.starts_with("k1") && !s.contains("c2hvcnQ"))
        );
        assert_eq!(TokenCipher::new(&[]).unwrap_err(), CryptoError::NoKey);
    }
}
