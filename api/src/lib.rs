//! Wire types of Attune's HTTP APIs, shared by the server and the Leptos admin.
//!
//! Everything here must build for `wasm32-unknown-unknown`: plain data, serde, no I/O.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod analytics;
pub mod backtest;
pub mod error;
pub mod events;
pub mod experiments;
pub mod offers;
pub mod privacy;
pub mod segments;
pub mod storefront;
pub mod sync;
pub mod widgets;

pub use error::{ApiError, FieldError};
