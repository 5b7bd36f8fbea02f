//! What the storefront endpoints answer.

use serde::{Deserialize, Serialize};

use crate::widgets::{Placement, Strategy};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Integer minor units (pence, cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Display form, e.g. `£12.34`.
    pub formatted: String,
}

/// Why a product was recommended, when the request asked (`explain=1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The recommender that found it (`co_purchase`, `content`, `trending`, `popular`).
    pub source: String,
    /// The products (platform ids) it was found from.
    pub seeds: Vec<String>,
    pub score: f32,
    /// Human-readable parts of the score, e.g. `bought together in 12 orders`.
    pub parts: Vec<String>,
    /// Merchant rules that shaped the list (e.g. `in_stock_only`).
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendedProduct {
    /// The platform's product id (what the theme knows as `product.id`).
    pub id: String,
    pub handle: String,
    pub title: String,
    pub url: String,
    pub image_url: Option<String>,
    pub price: Money,
    /// Why this product was chosen, e.g. `bought_together`, `similar`, `trending`, `popular`.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSummary {
    pub id: String,
    pub title: String,
    pub placement: Placement,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    pub widget: WidgetSummary,
    pub products: Vec<RecommendedProduct>,
    /// The visitor is in the widget's always-on holdout: shown nothing, so the widget's value
    /// can be measured against them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub holdout: bool,
    /// Which model answered (with `explain=1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelInfo>,
}

/// The stored model behind an answer: every process serving the same shop reports the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Grows with each full build.
    pub version: i64,
    /// When the full build ran (RFC 3339).
    pub built_at: String,
    /// Orders taken in, including those grown in since the build.
    pub orders: u64,
}
