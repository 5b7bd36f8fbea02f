//! BigCommerce: what its single-click app install and webhooks send, verified before anything
//! else happens. (Install callbacks, the API client and sync build on these.)

pub mod verify;

pub use verify::{LoadPayload, VerifyError, verify_signed_payload_jwt, verify_webhook};
