//! Shopper profiles: per-customer order summaries and the per-shop models that score them.
//!
//! The server keeps a [`CustomerSummary`] per customer (updated in O(1) per order), fits
//! [`ShopModels`] per shop from all summaries, and scores customers with [`ShopModels::score`].
//! Everything is in days and minor units; nothing here reads a clock (`now` is passed in).
//!
//! The models:
//!
//! - **RFM** ([`RfmScorer`]): recency, frequency and monetary quintile scores 1..=5 within the
//!   shop, by mid-rank so ties share a score and one-customer shops score 3.
//! - **BG/NBD** ([`bgnbd`]; Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
//!   repeat orders as a Poisson process with Gamma-distributed rates, ended after any order with
//!   a Beta-distributed dropout probability. Fitted by maximum a posteriori (Nelder–Mead on
//!   log-parameters, a weak log-normal prior) on (x repeat orders, t_x last order, T age) in days.
//!   Gives P(alive), expected orders over a horizon, and the median time to the next order.
//!   Known limitation of the model: dropout can only follow an order, so one-time buyers are
//!   always "alive" (churn risk 0); their low expected order count is what marks them.
//! - **Gamma-Gamma** ([`gamma_gamma`]; Fader & Hardie 2013): spend per order, Gamma within a
//!   customer and across customers, independent of order timing; fitted on repeat customers'
//!   repeat-order means (as the lifetimes package does), shrinking each customer toward the shop.
//! - **CLV**: expected orders over the horizon (default 365 days) times the expected order value,
//!   undiscounted by default (a one-year horizon moves little under discounting; set
//!   [`ClvOptions::annual_discount_rate`] to discount month by month).
//! - **Price bands** ([`PriceBands`]): terciles of the shop's product prices.
//! - **Affinities** ([`Affinities`]): decayed counts of purchased and viewed attributes.
//! - **Micro-segments** ([`MicroSegments`]): k-means over standardised behaviour features, with
//!   plain-language descriptions.
//!
//! Small shops degrade rather than fail: each lifetime model reports a [`FitQuality`], and with
//! too few customers it uses fallback parameters (the CDNOW estimates of the papers, rescaled to
//! the shop's repeat rate and average order value).

pub mod affinity;
pub mod bgnbd;
pub mod gamma_gamma;
mod microsegments;
mod nelder_mead;
mod price_band;
mod rfm;
pub(crate) mod rng;
mod shop;
pub mod simulate;
mod special;
mod summary;
#[cfg(test)]
mod tests;

pub use affinity::{Affinities, Affinity, AttributeKind, Signal};
pub use bgnbd::{BgNbdFit, BgNbdOptions, BgNbdParams, Observation};
pub use gamma_gamma::{GammaGammaFit, GammaGammaParams, SpendObservation};
pub use microsegments::{
    FEATURE_NAMES, MicroSegment, MicroSegments, SegmentFeatures, SegmentTypical,
};
pub use price_band::{PriceBand, PriceBands};
pub use rfm::{RfmScorer, RfmScores};
pub use shop::{ClvOptions, FitConfig, Scores, ShopModels};
pub use summary::{CustomerSummary, OrderFact};

/// How much a fitted model can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FitQuality {
    /// Fitted on enough customers that the weak prior barely matters.
    Fitted,
    /// Fitted, but on few customers: estimates lean noticeably on the prior.
    Sparse,
    /// Too little data to fit: fallback parameters are in use.
    Fallback,
}
