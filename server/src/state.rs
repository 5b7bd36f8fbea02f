//! What every handler can reach: the database, the settings and in-memory derived state.
//! Nothing here is known to only one process: models are rebuilt from the database.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::platform::shopify::shop_domain::ShopDomain;
use crate::services::recommend::ModelCache;
use crate::services::theme::Theme;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub mode: Arc<Mode>,
    pub models: Arc<ModelCache>,
    pub theme: Arc<Theme>,
    pub http: reqwest::Client,
}

/// Demo mode adds a local stand-in for the Shopify side (admin login, storefront, app proxy).
#[derive(Debug, Clone)]
pub enum Mode {
    Production,
    Demo(DemoContext),
}

#[derive(Debug, Clone)]
pub struct DemoContext {
    pub shop: ShopDomain,
    /// Where this process listens, for the stand-in app proxy to call us like Shopify does.
    pub self_url: String,
}

impl AppState {
    pub fn api_secret(&self) -> &[u8] {
        self.settings.shopify.api_secret.expose_secret().as_bytes()
    }

    pub fn demo(&self) -> Option<&DemoContext> {
        match self.mode.as_ref() {
            Mode::Demo(d) => Some(d),
            Mode::Production => None,
        }
    }
}
