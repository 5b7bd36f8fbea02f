//! BigCommerce: what its single-click app install and webhooks send, verified before anything
//! else happens. (Install callbacks, the API client and sync build on these.)

pub mod verify;
pub mod webhooks;

pub use verify::{LoadPayload, VerifyError, verify_signed_payload_jwt, verify_webhook};
pub mod client;
pub mod install;
pub mod oauth;
pub mod session;
pub mod standin;

/// The `platform` column of a BigCommerce shop; its `domain` is the store hash.
pub const PLATFORM: &str = "bigcommerce";
