//! A widget's strategy replayed on the shop's own history, next to a popularity baseline.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RankingMetrics {
    pub hit_rate: f64,
    pub ndcg: f64,
    pub recall: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestResult {
    pub strategy: String,
    /// List length scored (the widget's number of products).
    pub k: usize,
    /// Customers whose last order was held out and predicted.
    pub users: usize,
    pub widget: RankingMetrics,
    /// Best sellers of the training period, for comparison.
    pub baseline: RankingMetrics,
    /// How the split was made, in words.
    pub protocol: String,
}
