//! SeaORM entities, one per table. Only `db/` query modules use them.

pub mod customer;
pub mod order;
pub mod order_line;
pub mod product;
pub mod shop;
pub mod variant;
pub mod widget;
