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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecommendedProduct {
    /// The platform's product id (what the theme knows as `product.id`).
    pub id: String,
    pub handle: String,
    pub title: String,
    pub url: String,
    pub image_url: Option<String>,
    pub price: Money,
    /// Why this product was chosen, e.g. `co_purchase` or `popular`.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSummary {
    pub id: String,
    pub title: String,
    pub placement: Placement,
    pub strategy: Strategy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendations {
    pub widget: WidgetSummary,
    pub products: Vec<RecommendedProduct>,
}
