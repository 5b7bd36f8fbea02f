//! Attune's server: the actix-web app and everything behind it.
//!
//! Layout: `routes` (thin handlers) → `extract` (verification, tenant) → `services` (domain)
//! → `db` (queries) and `attune_engine` (models). `platform` holds what differs between
//! commerce platforms.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod eval;
pub mod extract;
pub mod jobs;
pub mod money;
pub mod platform;
pub mod routes;
pub mod services;
pub mod simulate;
pub mod simulate_bigcommerce;
pub mod startup;
pub mod state;
pub mod telemetry;
