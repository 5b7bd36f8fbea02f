//! Shopify: shop-domain rules, session tokens (embedded admin) and app proxy signatures.

pub mod app_proxy;
pub mod session_token;
pub mod shop_domain;

/// The value stored in `shops.platform` for Shopify shops.
pub const PLATFORM: &str = "shopify";
