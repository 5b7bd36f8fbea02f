//! Attune's personalization engine: pure Rust, no I/O, no database, no web framework.
//!
//! The server loads data, hands the engine plain structs, and keeps built models in memory.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod content;
pub mod copurchase;
pub mod experiments;
pub mod logistic;
pub mod merchandise;
pub mod metrics;
pub mod nextbasket;
pub mod offers;
pub mod profile;
pub mod replenishment;
pub mod segments;
pub mod trending;

pub use content::{ContentIndex, ItemText, Similar};
pub use copurchase::{CoPurchase, Reason, Scored};
pub use nextbasket::{Config as NextBasketConfig, Event, Interaction, ItemMeta, NextBasketModel};
