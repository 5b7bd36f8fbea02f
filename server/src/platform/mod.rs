//! Everything that differs between commerce platforms lives under this module: signatures,
//! auth, API clients and payload formats. Adapters turn what a platform sends into the
//! platform-neutral [`Change`]s below; services apply those without asking which platform a
//! shop is on.

pub mod bigcommerce;
pub mod shopify;
pub mod store;

pub use store::{Delivery, Part, Resource, StoreApi, StoreProfile, connect, read_delivery};

use chrono::{DateTime, Utc};

/// Something that changed in a shop, as any platform reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    ProductUpserted(ProductData),
    /// `at`: when the platform deleted it; older updates arriving later are ignored.
    ProductDeleted {
        platform_id: String,
        at: DateTime<Utc>,
    },
    CollectionUpserted(CollectionData),
    CollectionDeleted {
        platform_id: String,
        at: DateTime<Utc>,
    },
    InventoryLevel(InventoryLevelData),
    /// An inventory item's unit cost changed (the margin boost reads it).
    InventoryItemCost(InventoryItemCostData),
    CustomerUpserted(CustomerData),
    CustomerDeleted {
        platform_id: String,
        at: DateTime<Utc>,
    },
    OrderUpserted(OrderData),
    AppUninstalled,
    ScopesUpdated {
        scopes: Vec<String>,
    },
    BulkOperationFinished {
        operation_id: String,
        status: String,
    },
    /// The merchant must be given this customer's data.
    CustomerDataRequest {
        request_id: String,
        customer_platform_id: String,
        order_platform_ids: Vec<String>,
    },
    /// This customer's personal data must be erased.
    CustomerRedact {
        customer_platform_id: String,
        order_platform_ids: Vec<String>,
    },
    /// Everything of this shop must be erased.
    ShopRedact,
    /// A topic we receive but do not act on.
    Ignored {
        topic: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductData {
    pub platform_id: String,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    /// active | draft | archived
    pub status: String,
    pub image_url: Option<String>,
    pub variants: Vec<VariantData>,
    /// Collection platform ids, when the platform says (webhooks do not).
    pub collections: Option<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VariantData {
    pub platform_id: String,
    pub title: String,
    pub sku: String,
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
    pub inventory_item_id: String,
    /// `None` when inventory is not tracked.
    pub inventory_quantity: Option<i64>,
    /// The unit cost when the platform reported it (`Some(None)`: no cost entered); `None` when
    /// this message does not carry costs (Shopify's product webhooks), so a known cost stays.
    pub cost_minor: Option<Option<i64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InventoryItemCostData {
    pub inventory_item_id: String,
    /// `None`: the merchant removed the cost.
    pub cost_minor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CollectionData {
    pub platform_id: String,
    pub handle: String,
    pub title: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InventoryLevelData {
    pub inventory_item_id: String,
    pub location_id: String,
    pub available: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerData {
    pub platform_id: String,
    pub tags: Vec<String>,
    pub accepts_marketing: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderData {
    pub platform_id: String,
    pub name: String,
    pub customer_platform_id: Option<String>,
    pub currency: String,
    pub subtotal_minor: i64,
    pub total_minor: i64,
    pub discount_minor: i64,
    pub discount_codes: Vec<String>,
    pub financial_status: String,
    pub placed_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub lines: Vec<OrderLineData>,
    /// Our storefront visitor id, when the storefront script put it on the cart (a cart
    /// attribute travels into the order, and the order arrives signed): links that browser
    /// to the customer.
    pub visitor_key: Option<String>,
}

/// The cart attribute the storefront script writes its visitor id into.
pub const VISITOR_CART_ATTRIBUTE: &str = "_attune_visitor";

#[derive(Debug, Clone, PartialEq)]
pub struct OrderLineData {
    pub product_platform_id: Option<String>,
    pub variant_platform_id: Option<String>,
    pub quantity: i32,
    pub unit_price_minor: i64,
}

/// One single-use discount code to create on the platform for a smart offer.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeSpec {
    pub code: String,
    /// What the merchant sees in the platform's discount list.
    pub title: String,
    pub value: CodeValue,
    pub minimum_subtotal_minor: Option<i64>,
    /// Platform product ids the discount is limited to (none, with no collections: all).
    pub products: Vec<String>,
    pub collections: Vec<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CodeValue {
    /// Percent off (e.g. 12.5).
    Percentage(f64),
    Amount(i64),
    FreeShipping {
        max_shipping_minor: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedCode {
    pub code: String,
    /// The platform's id of the discount behind the code.
    pub platform_id: String,
}
