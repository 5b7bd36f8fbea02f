//! Privacy requests the platform sent, as the admin lists them.

use serde::{Deserialize, Serialize};

/// A customer's data, produced for the merchant after a `customers/data_request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataExportSummary {
    pub id: i64,
    /// The platform's request id.
    pub request_id: String,
    /// The platform's customer id.
    pub customer_id: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataExportList {
    pub exports: Vec<DataExportSummary>,
}
