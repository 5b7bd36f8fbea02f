//! Everything that differs between commerce platforms lives under this module: signatures,
//! auth, API clients and payload formats. Code outside it never asks which platform a shop
//! is on.

pub mod shopify;
