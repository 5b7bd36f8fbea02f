//! BigCommerce: what its single-click app install and webhooks send, verified before anything
//! else happens; then the store's API behind the platform interface (`store`).

pub mod verify;
pub mod webhooks;

pub use verify::{LoadPayload, VerifyError, verify_signed_payload_jwt, verify_webhook};
pub mod client;
pub mod customer;
pub mod install;
pub mod oauth;
pub mod payloads;
pub mod promotions;
pub mod session;
pub mod standin;
pub mod store;

/// The `platform` column of a BigCommerce shop; its `domain` is the store hash.
pub const PLATFORM: &str = "bigcommerce";
