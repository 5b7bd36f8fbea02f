//! Smart offers: who should see an incentive, and what it may cost.
//!
//! - [`intent`]: a per-shop purchase-intent model over session and profile features, fitted on
//!   the shop's logged sessions with the offer as a treatment (so it learns both the chance to buy
//!   without an offer and the change an offer makes), calibrated by cross-fitted Platt scaling.
//! - [`policy`]: the decision. Offer only where the expected incremental margin is positive:
//!   `P(buy | offer) · (margin − discount) − P(buy | no offer) · margin`. That withholds incentives
//!   from shoppers who would buy anyway and from those an offer will not move, keeps a random
//!   holdout and a small randomized share so the uplift stays measurable, and explains itself.
//! - [`guardrails`]: the merchant's limits (minimum subtotal, maximum discount, margin floor,
//!   frequency cap, daily budget, dates), checked before anything is shown.

pub mod guardrails;
pub mod intent;
pub mod policy;
#[cfg(test)]
mod simulation;

pub use guardrails::{Blocked, Context, Incentive, Limits, Terms};
pub use intent::{Calibration, FitError, IntentModel, Observation, Prediction, Session};
pub use policy::{Action, Decision, Economics, PolicyConfig, Why, decide};
