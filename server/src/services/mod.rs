//! Domain services: what handlers call. Each takes a tenant (`ShopId`) from a verified
//! request and does one thing.

pub mod analytics;
pub mod backtest;
pub mod catalog;
pub mod demo;
pub mod events;
pub mod experiments;
pub mod install;
pub mod keys;
pub mod offers;
pub mod profiles;
pub mod recommend;
pub mod rollups;
pub mod segment_rules;
pub mod segments;
pub mod sync;
pub mod theme;
pub mod webhooks;
pub mod widgets;
