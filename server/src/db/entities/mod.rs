//! SeaORM entities, one per table. Only `db/` query modules use them.

pub mod collection;
pub mod customer;
pub mod daily_rollup;
pub mod data_export;
pub mod experiment;
pub mod inventory_level;
pub mod job;
pub mod offer;
pub mod offer_code;
pub mod offer_decision;
pub mod order;
pub mod order_line;
pub mod product;
pub mod product_collection;
pub mod profile;
pub mod recommendation_model;
pub mod segment;
pub mod segment_size;
pub mod shop;
pub mod storefront_event;
pub mod variant;
pub mod visitor;
pub mod webhook_receipt;
pub mod widget;
