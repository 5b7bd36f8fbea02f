//! The decision for one shopper and one offer.

use serde::{Deserialize, Serialize};

use super::intent::{IntentModel, Prediction, Session};

/// The money at stake on this shopper's order, in the shop's currency (expected values, so
/// floating point: nothing here is charged).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Economics {
    /// Gross margin of the order without any discount.
    pub margin: f64,
    /// What the incentive would cost on the order.
    pub discount: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PolicyConfig {
    /// Share of shoppers never offered anything: the always-on control.
    pub holdout: f64,
    /// Share of the rest decided at random (half offered), so the uplift model keeps learning
    /// about shoppers the policy would otherwise never treat.
    pub explore: f64,
    /// Before the uplift is learned: offer to shoppers whose chance to buy lies in this band
    /// (not those likely to buy anyway, nor those an offer is unlikely to reach).
    pub cold_start_band: (f64, f64),
    /// A chance to buy above which a shopper is said to be "likely to buy anyway".
    pub likely_to_buy: f64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            holdout: 0.1,
            explore: 0.1,
            cold_start_band: (0.05, 0.3),
            likely_to_buy: 0.5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Offer,
    NoOffer,
}

/// Why the policy acted as it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// In the random holdout: never offered, the baseline for measurement.
    Holdout,
    /// In the randomized share.
    Explore,
    /// Without a model yet, every decision outside the holdout is randomized.
    NoModel,
    /// The offer is expected to earn more margin than it gives away.
    Persuadable,
    /// Likely to buy anyway: the discount would mostly subsidise a sale already coming.
    LikelyToBuy,
    /// The offer is not expected to change the outcome enough to pay for itself.
    NotPersuadable,
    /// Before the uplift is learned, within the cold-start intent band.
    ColdStartBand,
    /// Before the uplift is learned, outside the cold-start intent band.
    OutsideColdStartBand,
    /// The discount would exceed the order's margin.
    Unprofitable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub action: Action,
    pub why: Why,
    pub prediction: Option<Prediction>,
    /// Expected margin with the offer minus without it, for this shopper.
    pub expected_incremental_margin: Option<f64>,
}

/// Decides for one shopper. `draw` is the shopper's uniform draw in [0, 1) for this offer
/// (deterministic per visitor, e.g. `experiments::bucket(offer, visitor)`), so the same shopper
/// always lands in the same holdout or randomized cell.
pub fn decide(
    model: Option<&IntentModel>,
    session: &Session,
    economics: Economics,
    config: &PolicyConfig,
    draw: f64,
) -> Decision {
    let decision = |action, why, prediction: Option<Prediction>| {
        let expected_incremental_margin = prediction.as_ref().map(|p| {
            p.p_with * (economics.margin - economics.discount) - p.p_without * economics.margin
        });
        Decision {
            action,
            why,
            prediction,
            expected_incremental_margin,
        }
    };
    if draw < config.holdout {
        return decision(
            Action::NoOffer,
            Why::Holdout,
            model.map(|m| m.predict(session)),
        );
    }
    let coin = |lo: f64, width: f64| {
        if (draw - lo) / width < 0.5 {
            Action::Offer
        } else {
            Action::NoOffer
        }
    };
    let Some(model) = model else {
        return decision(
            coin(config.holdout, 1.0 - config.holdout),
            Why::NoModel,
            None,
        );
    };
    let prediction = model.predict(session);
    if draw < config.holdout + config.explore {
        return decision(
            coin(config.holdout, config.explore),
            Why::Explore,
            Some(prediction),
        );
    }
    if economics.discount >= economics.margin {
        return decision(Action::NoOffer, Why::Unprofitable, Some(prediction));
    }
    if !model.uplift_learned {
        let (lo, hi) = config.cold_start_band;
        let p = prediction.p_without;
        return if (lo..=hi).contains(&p) {
            decision(Action::Offer, Why::ColdStartBand, Some(prediction))
        } else if p > hi {
            decision(Action::NoOffer, Why::LikelyToBuy, Some(prediction))
        } else {
            decision(Action::NoOffer, Why::OutsideColdStartBand, Some(prediction))
        };
    }
    let gain = prediction.p_with * (economics.margin - economics.discount)
        - prediction.p_without * economics.margin;
    if gain > 0.0 {
        decision(Action::Offer, Why::Persuadable, Some(prediction))
    } else if prediction.p_without >= config.likely_to_buy {
        decision(Action::NoOffer, Why::LikelyToBuy, Some(prediction))
    } else {
        decision(Action::NoOffer, Why::NotPersuadable, Some(prediction))
    }
}
