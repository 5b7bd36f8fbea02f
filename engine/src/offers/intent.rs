//! The purchase-intent model: regularised logistic regression over a session's features, with the
//! offer as a treatment. Its log-odds are
//!
//! `base · z + offered · (uplift · z)`, where `z` is the standardised feature vector plus a constant,
//!
//! so one fit learns the chance to buy without an offer and how an offer shifts it, per shopper.
//! The uplift terms are penalised more strongly than the base terms: without clear evidence that
//! an offer moves a kind of shopper, the model assumes it does not. Probabilities are calibrated by
//! Platt scaling fitted on cross-fitted (out-of-fold) scores, and the same out-of-fold scores give
//! the calibration report.

use serde::{Deserialize, Serialize};

use crate::logistic::{self, sigmoid};

/// One shopper's session as the model sees it: browsing so far and what the shop knows of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub product_views: u32,
    pub distinct_products: u32,
    pub add_to_carts: u32,
    /// Cart value in the shop's currency (major units).
    pub cart_value: f64,
    pub page_views: u32,
    pub seconds: u32,
    pub returning: bool,
    pub prior_orders: u32,
    pub days_since_order: Option<f64>,
    pub searched: bool,
    /// Arrived from a campaign link (utm parameters).
    pub from_campaign: bool,
    /// Share of the shopper's past orders that used a discount code (0..1).
    pub discount_share: f64,
}

/// Feature names, in the order of [`Session::features`].
pub const FEATURES: [&str; 12] = [
    "product_views",
    "distinct_products",
    "add_to_carts",
    "cart_value",
    "page_views",
    "time_on_site",
    "returning",
    "prior_orders",
    "recent_order",
    "searched",
    "from_campaign",
    "discount_share",
];
const D: usize = FEATURES.len();

impl Session {
    /// Counts and amounts on a log scale, flags as 0/1, recency as a 90-day decay.
    pub fn features(&self) -> [f64; D] {
        let ln = |v: f64| v.max(0.0).ln_1p();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        [
            ln(f64::from(self.product_views)),
            ln(f64::from(self.distinct_products)),
            ln(f64::from(self.add_to_carts)),
            ln(self.cart_value),
            ln(f64::from(self.page_views)),
            ln(f64::from(self.seconds) / 60.0),
            flag(self.returning),
            ln(f64::from(self.prior_orders)),
            self.days_since_order
                .map_or(0.0, |d| (-d.max(0.0) / 90.0).exp()),
            flag(self.searched),
            flag(self.from_campaign),
            self.discount_share.clamp(0.0, 1.0),
        ]
    }
}

/// A logged session: what the shopper looked like when decided on, whether they were offered an
/// incentive, and whether they bought.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub session: Session,
    pub offered: bool,
    pub converted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    #[error("too few sessions to fit ({have}; need {need})")]
    TooFewSessions { have: usize, need: usize },
    #[error("no session both with and without a purchase")]
    OneOutcome,
    #[error("the fit did not converge")]
    Diverged,
}

/// How well the model's probabilities match what happened, on out-of-fold scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub brier: f64,
    pub log_loss: f64,
    /// Expected calibration error over ten equal-width bins.
    pub ece: f64,
    /// Area under the ROC curve.
    pub auc: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentModel {
    mean: Vec<f64>,
    scale: Vec<f64>,
    /// D coefficients then the bias.
    base: Vec<f64>,
    /// The offer's shift of the log-odds: D coefficients then the constant shift.
    uplift: Vec<f64>,
    /// Platt scaling of the raw log-odds: `sigmoid(a · s + b)`.
    platt: (f64, f64),
    /// Whether enough offered and unoffered sessions existed to learn the uplift terms; without
    /// them the model predicts intent only and the policy falls back to its cold-start rule.
    pub uplift_learned: bool,
    pub sessions: usize,
    pub offered: usize,
    pub conversions: usize,
    pub calibration: Calibration,
}

/// The model's view of one shopper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub p_without: f64,
    pub p_with: f64,
    /// The features that most raised or lowered the chance to buy (log-odds contributions).
    pub intent_drivers: Vec<(String, f64)>,
    /// The features that most shaped the offer's effect.
    pub uplift_drivers: Vec<(String, f64)>,
}

/// Fewest sessions to fit anything.
pub const MIN_SESSIONS: usize = 200;
/// Fewest conversions among offered and among unoffered sessions to learn the uplift terms.
pub const MIN_CONVERSIONS_PER_ARM: usize = 30;

const BASE_RIDGE: f64 = 1.0;
const UPLIFT_RIDGE: f64 = 20.0;
const FOLDS: usize = 5;

impl IntentModel {
    pub fn fit(observations: &[Observation]) -> Result<Self, FitError> {
        let n = observations.len();
        if n < MIN_SESSIONS {
            return Err(FitError::TooFewSessions {
                have: n,
                need: MIN_SESSIONS,
            });
        }
        let conversions = observations.iter().filter(|o| o.converted).count();
        if conversions == 0 || conversions == n {
            return Err(FitError::OneOutcome);
        }
        let arm = |offered: bool| {
            observations
                .iter()
                .filter(|o| o.offered == offered && o.converted)
                .count()
        };
        let offered = observations.iter().filter(|o| o.offered).count();
        let uplift_learned = arm(true) >= MIN_CONVERSIONS_PER_ARM
            && arm(false) >= MIN_CONVERSIONS_PER_ARM
            && offered < n;

        let raw: Vec<[f64; D]> = observations.iter().map(|o| o.session.features()).collect();
        let (mean, scale) = standardise(&raw);
        let rows: Vec<Vec<f64>> = raw
            .iter()
            .zip(observations)
            .map(|(x, o)| design(&z(x, &mean, &scale), o.offered, uplift_learned))
            .collect();
        let y: Vec<bool> = observations.iter().map(|o| o.converted).collect();
        let ridge = ridges(uplift_learned);

        // Cross-fitted scores for calibration: each fold scored by a model that never saw it.
        let mut oof = vec![0.0; n];
        for fold in 0..FOLDS {
            let train: Vec<usize> = (0..n).filter(|i| i % FOLDS != fold).collect();
            let tx: Vec<&Vec<f64>> = train.iter().map(|&i| &rows[i]).collect();
            let ty: Vec<bool> = train.iter().map(|&i| y[i]).collect();
            let beta = logistic::fit(&tx, &ty, &ridge).ok_or(FitError::Diverged)?;
            for i in (0..n).filter(|i| i % FOLDS == fold) {
                oof[i] = dot(&rows[i], &beta);
            }
        }
        let platt_rows: Vec<[f64; 2]> = oof.iter().map(|s| [*s, 1.0]).collect();
        let platt = logistic::fit(&platt_rows, &y, &[1e-6, 1e-6]).ok_or(FitError::Diverged)?;
        let calibrated: Vec<f64> = oof
            .iter()
            .map(|s| sigmoid(platt[0] * s + platt[1]))
            .collect();
        let calibration = calibration_report(&calibrated, &y);

        let beta = logistic::fit(&rows, &y, &ridge).ok_or(FitError::Diverged)?;
        let (base, uplift) = if uplift_learned {
            (beta[..=D].to_vec(), beta[D + 1..].to_vec())
        } else {
            (beta, vec![0.0; D + 1])
        };
        Ok(Self {
            mean,
            scale,
            base,
            uplift,
            platt: (platt[0], platt[1]),
            uplift_learned,
            sessions: n,
            offered,
            conversions,
            calibration,
        })
    }

    /// Calibrated chance to buy without and with the offer, and what drove each.
    pub fn predict(&self, session: &Session) -> Prediction {
        let zs = z(&session.features(), &self.mean, &self.scale);
        let mut with_one = zs.to_vec();
        with_one.push(1.0);
        let s0 = dot(&with_one, &self.base);
        let s1 = s0 + dot(&with_one, &self.uplift);
        let calibrate = |s: f64| sigmoid(self.platt.0 * s + self.platt.1);
        Prediction {
            p_without: calibrate(s0),
            p_with: calibrate(s1),
            intent_drivers: drivers(&zs, &self.base),
            uplift_drivers: if self.uplift_learned {
                drivers(&zs, &self.uplift)
            } else {
                Vec::new()
            },
        }
    }
}

fn standardise(raw: &[[f64; D]]) -> (Vec<f64>, Vec<f64>) {
    let n = raw.len().max(1) as f64;
    let mean: Vec<f64> = (0..D)
        .map(|j| raw.iter().map(|x| x[j]).sum::<f64>() / n)
        .collect();
    let scale = (0..D)
        .map(|j| {
            let var = raw.iter().map(|x| (x[j] - mean[j]).powi(2)).sum::<f64>() / n;
            // A constant feature carries nothing; a unit scale keeps it harmless.
            if var > 1e-12 { var.sqrt() } else { 1.0 }
        })
        .collect();
    (mean, scale)
}

fn z(x: &[f64; D], mean: &[f64], scale: &[f64]) -> [f64; D] {
    let mut out = [0.0; D];
    for j in 0..D {
        out[j] = (x[j] - mean[j]) / scale[j];
    }
    out
}

/// `[z, 1]`, then `offered · [z, 1]` when the uplift terms are fitted.
fn design(z: &[f64; D], offered: bool, with_uplift: bool) -> Vec<f64> {
    let mut row = Vec::with_capacity(2 * D + 2);
    row.extend_from_slice(z);
    row.push(1.0);
    if with_uplift {
        let t = if offered { 1.0 } else { 0.0 };
        row.extend(z.iter().map(|v| v * t));
        row.push(t);
    }
    row
}

fn ridges(with_uplift: bool) -> Vec<f64> {
    let mut r = vec![BASE_RIDGE; D];
    r.push(1e-6);
    if with_uplift {
        r.extend(std::iter::repeat_n(UPLIFT_RIDGE, D));
        r.push(1.0);
    }
    r
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The three largest contributions to the log-odds, by magnitude.
fn drivers(z: &[f64; D], coef: &[f64]) -> Vec<(String, f64)> {
    let mut parts: Vec<(String, f64)> = FEATURES
        .iter()
        .zip(z.iter().zip(coef))
        .map(|(n, (x, c))| ((*n).to_owned(), x * c))
        .collect();
    parts.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    parts.truncate(3);
    parts
}

fn calibration_report(p: &[f64], y: &[bool]) -> Calibration {
    let n = p.len().max(1) as f64;
    let yf = |b: bool| if b { 1.0 } else { 0.0 };
    let brier = p
        .iter()
        .zip(y)
        .map(|(p, &y)| (p - yf(y)).powi(2))
        .sum::<f64>()
        / n;
    let log_loss = -p
        .iter()
        .zip(y)
        .map(|(p, &y)| {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            if y { p.ln() } else { (1.0 - p).ln() }
        })
        .sum::<f64>()
        / n;
    let mut bins = [(0.0f64, 0.0f64, 0usize); 10];
    for (p, &y) in p.iter().zip(y) {
        let b = ((p * 10.0) as usize).min(9);
        bins[b].0 += p;
        bins[b].1 += yf(y);
        bins[b].2 += 1;
    }
    let ece = bins
        .iter()
        .filter(|b| b.2 > 0)
        .map(|(sp, sy, _)| (sp - sy).abs() / n)
        .sum::<f64>();
    Calibration {
        brier,
        log_loss,
        ece,
        auc: auc(p, y),
    }
}

/// Mann–Whitney AUC with ties counted half.
fn auc(p: &[f64], y: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let (mut rank_sum, mut positives) = (0.0, 0usize);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if y[k] {
                rank_sum += avg_rank;
                positives += 1;
            }
        }
        i = j + 1;
    }
    let negatives = p.len() - positives;
    if positives == 0 || negatives == 0 {
        return 0.5;
    }
    let pf = positives as f64;
    (rank_sum - pf * (pf + 1.0) / 2.0) / (pf * negatives as f64)
}
