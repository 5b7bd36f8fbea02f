//! Measurement as the admin shows it: a widget's or offer's visitors split into the always-on
//! holdout and everyone else, their outcomes, and the statistics comparing them.

use serde::{Deserialize, Serialize};

/// One group of visitors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmSummary {
    /// `holdout` or `treated`.
    pub arm: String,
    pub visitors: u64,
    pub converters: u64,
    pub orders: u64,
    /// Net revenue (after discounts) of attributed orders, minor units.
    pub revenue_minor: i64,
    pub conversion_rate: f64,
    /// Minor units per visitor.
    pub revenue_per_visitor: f64,
    /// Minor units per order.
    pub average_order_value: f64,
}

/// Frequentist and Bayesian comparison of one metric, treated against holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricResult {
    /// `conversion_rate`, `revenue_per_visitor`, `average_order_value`, `margin_per_visitor`.
    pub metric: String,
    pub holdout: f64,
    pub treated: f64,
    /// Relative change (0.05 = +5%) with its 95% confidence interval; `None` when undetermined.
    pub lift: Option<f64>,
    pub lift_ci: Option<(f64, f64)>,
    pub p_value: Option<f64>,
    /// The pooled two-proportion z-test's p-value (conversion rate only).
    pub z_test_p_value: Option<f64>,
    pub chance_to_win: Option<f64>,
    /// Expected loss (relative) of shipping the treatment.
    pub risk: Option<f64>,
    pub significant: bool,
    /// Why there is no result, when there is none.
    pub undetermined: Option<String>,
}

/// A total with its 95% confidence interval, minor units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub value: f64,
    pub ci: (f64, f64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyPoint {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub holdout_visitors: u64,
    pub treated_visitors: u64,
    pub holdout_revenue_minor: i64,
    pub treated_revenue_minor: i64,
    /// Cumulative relative lift in revenue per visitor up to this day.
    pub cumulative_lift: Option<f64>,
}

/// An offer's money: what its codes gave away against what it earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferEconomics {
    pub codes_handed_out: u64,
    pub codes_redeemed: u64,
    pub discount_cost_minor: i64,
    /// Net revenue of the orders that used the offer's codes: what a coupon report would credit
    /// it with, unlike the incremental revenue measured against the holdout.
    #[serde(default)]
    pub attributed_revenue_minor: i64,
    pub incremental_revenue: Option<Estimate>,
    pub incremental_margin: Option<Estimate>,
}

/// A widget's path to a sale, among the visitors it was shown to (not the holdout): saw it,
/// clicked a product in it, added a clicked product to the cart, ordered a clicked product
/// (each within the attribution window of the step before).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    pub viewers: u64,
    pub clickers: u64,
    pub added_to_cart: u64,
    pub ordered: u64,
    /// Revenue of the clicked products in those orders: what the widget is credited with by
    /// clicks, as opposed to the incremental revenue measured against the holdout.
    pub attributed_revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// `offer` or `widget`.
    pub subject: String,
    pub id: String,
    pub name: String,
    pub currency: String,
    /// Hours after exposure within which an order counts.
    pub attribution_window_hours: i64,
    pub arms: Vec<ArmSummary>,
    pub metrics: Vec<MetricResult>,
    /// Sample-ratio-mismatch p-value against the configured split; below 0.001 the split is
    /// broken and no result should be trusted.
    pub srm_p_value: f64,
    pub holdout_share: f64,
    pub daily: Vec<DailyPoint>,
    pub economics: Option<OfferEconomics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funnel: Option<Funnel>,
    /// One plain sentence: significant or not, and what to do.
    pub verdict: String,
}

/// The dashboard: every offer's and widget's headline numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub currency: String,
    pub reports: Vec<Report>,
}

/// One day of one subject's arm, as the daily rollup job stored it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupRow {
    pub day: String,
    /// `offer`, `widget`, `experiment` or `segment`.
    pub subject: String,
    pub id: String,
    /// `holdout`, `treated`, an experiment arm's name, or `members`.
    pub arm: String,
    pub visitors: i64,
    pub converters: i64,
    pub orders: i64,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollups {
    pub rows: Vec<RollupRow>,
}
