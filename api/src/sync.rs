//! Catalog/order sync progress, as the admin shows it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCounts {
    pub collections: u64,
    pub products: u64,
    pub customers: u64,
    pub orders: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// idle | running | done | failed
    pub status: String,
    /// What a running sync is doing: collections, products, customers, orders, incremental.
    pub phase: String,
    pub counts: SyncCounts,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    /// Jobs of this shop still waiting or running.
    pub pending_jobs: u64,
}
