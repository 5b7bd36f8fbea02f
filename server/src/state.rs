//! What every handler can reach: the database, the settings and in-memory derived state.
//! Nothing here is known to only one process: models are rebuilt from the database.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::platform::shopify::{ShopDomain, Shopify};
use crate::services::recommend::ModelCache;
use crate::services::theme::Theme;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub mode: Arc<Mode>,
    pub models: Arc<ModelCache>,
    pub events: crate::services::events::EventSink,
    pub segments: Arc<crate::services::segments::SegmentCache>,
    pub widgets: Arc<crate::services::widgets::WidgetCache>,
    /// Finished storefront answers shared by every shopper asking the same thing.
    pub answers: Arc<crate::services::recommend::AnswerCache>,
    /// Each active offer's purchase-intent model.
    pub offer_models: Arc<crate::services::offers::OfferModels>,
    /// Running A/B/n experiments, read at most once a second.
    pub experiments: Arc<crate::services::experiments::ExperimentCache>,
    pub shopify: Arc<Shopify>,
    pub jobs: Arc<crate::jobs::Wakeup>,
    pub cipher: Arc<crate::crypto::TokenCipher>,
    pub oauth: Arc<crate::platform::shopify::client::ShopifyOAuth>,
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
    pub fn demo(&self) -> Option<&DemoContext> {
        match self.mode.as_ref() {
            Mode::Demo(d) => Some(d),
            Mode::Production => None,
        }
    }
}
