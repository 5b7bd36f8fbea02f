//! Smart offers as the admin API and the storefront see them.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// What the shopper gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    #[default]
    Percentage,
    FixedAmount,
    FreeShipping,
}

impl OfferKind {
    pub const ALL: [OfferKind; 3] = [
        OfferKind::Percentage,
        OfferKind::FixedAmount,
        OfferKind::FreeShipping,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferKind::Percentage => "percentage",
            OfferKind::FixedAmount => "fixed_amount",
            OfferKind::FreeShipping => "free_shipping",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Saved, never shown.
    #[default]
    Draft,
    /// Decided on for every eligible visitor.
    Active,
    Paused,
}

impl OfferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Draft => "draft",
            OfferStatus::Active => "active",
            OfferStatus::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [OfferStatus::Draft, OfferStatus::Active, OfferStatus::Paused]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// How the storefront shows an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Presentation {
    /// A bar in the page flow, space reserved in advance: no layout shift.
    #[default]
    Banner,
    /// A modal dialog (focus-trapped, closable with Escape).
    Dialog,
}

/// The merchant's offer, as created and edited in the admin. Money is in minor units of the
/// shop's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OfferInput {
    pub name: String,
    #[serde(default)]
    pub status: OfferStatus,
    pub kind: OfferKind,
    /// Percentage offers: the share off, 1 to 90.
    #[serde(default)]
    pub percentage: Option<f64>,
    /// Fixed-amount offers: the amount off.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    /// Free-shipping offers: what shipping costs the shop on a typical order (for the economics).
    #[serde(default)]
    pub shipping_cost_minor: Option<i64>,
    #[serde(default)]
    pub minimum_subtotal_minor: Option<i64>,
    /// The most one order may get off. Free shipping: the highest shipping rate it covers.
    #[serde(default)]
    pub max_discount_minor: Option<i64>,
    /// The least gross margin an order must keep after the discount (percent of subtotal),
    /// checked when product costs are known.
    #[serde(default)]
    pub margin_floor_percent: Option<f64>,
    /// Times one visitor may be shown the offer.
    #[serde(default)]
    pub frequency_cap: Option<u32>,
    /// Discount the offer may commit per day, codes handed out counting at their value.
    #[serde(default)]
    pub daily_budget_minor: Option<i64>,
    /// RFC 3339 times.
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    /// Platform product ids the discount applies to (empty with no collections: everything).
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub collections: Vec<String>,
    /// Only visitors in this segment (its id) are considered.
    #[serde(default)]
    pub segment: Option<String>,
    /// Share of visitors always kept from the offer for measurement, 5 to 50 (default 10).
    #[serde(default)]
    pub holdout_percent: Option<f64>,
    #[serde(default)]
    pub presentation: Presentation,
    pub headline: String,
    #[serde(default)]
    pub body: String,
}

pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_HEADLINE_CHARS: usize = 120;
pub const MAX_BODY_CHARS: usize = 400;
pub const DEFAULT_HOLDOUT_PERCENT: f64 = 10.0;

/// The checked form of an [`OfferInput`]; `starts_at`/`ends_at` as Unix seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidOffer {
    pub input: OfferInput,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

impl OfferInput {
    /// Checks every field and reports all problems at once, each naming its field. `parse_time`
    /// turns an RFC 3339 string into Unix seconds (the server passes chrono's parser; this crate
    /// stays free of it).
    pub fn validate(
        &self,
        parse_time: impl Fn(&str) -> Option<i64>,
    ) -> Result<ValidOffer, Vec<FieldError>> {
        let mut e = Vec::new();
        let mut bad = |field: &str, message: String| e.push(FieldError::new(field, message));
        let name = self.name.trim();
        if name.is_empty() {
            bad("name", "is required".into());
        } else if name.chars().count() > MAX_NAME_CHARS {
            bad(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            );
        }
        if self.headline.trim().is_empty() {
            bad(
                "headline",
                "is required: it is what the shopper reads".into(),
            );
        } else if self.headline.chars().count() > MAX_HEADLINE_CHARS {
            bad(
                "headline",
                format!("must be at most {MAX_HEADLINE_CHARS} characters"),
            );
        }
        if self.body.chars().count() > MAX_BODY_CHARS {
            bad(
                "body",
                format!("must be at most {MAX_BODY_CHARS} characters"),
            );
        }
        let positive = |v: Option<i64>| v.is_none_or(|v| v > 0);
        match self.kind {
            OfferKind::Percentage => {
                match self.percentage {
                    Some(p) if (1.0..=90.0).contains(&p) && (p * 100.0).fract() == 0.0 => {}
                    Some(_) => bad(
                        "percentage",
                        "must be from 1 to 90, in steps of 0.01".into(),
                    ),
                    None => bad("percentage", "is required for a percentage offer".into()),
                }
                if self.max_discount_minor.is_some() {
                    // A platform code takes a percentage off whatever the cart holds at checkout,
                    // so no cap could be kept.
                    bad(
                        "max_discount_minor",
                        "cannot cap a percentage code (it applies to the cart at checkout); \
                         use a fixed amount, or a minimum subtotal"
                            .into(),
                    );
                }
            }
            OfferKind::FixedAmount => match self.amount_minor {
                Some(a) if a > 0 => {
                    if self.max_discount_minor.is_some_and(|m| a > m) {
                        bad("amount_minor", "must not exceed max_discount_minor".into());
                    }
                }
                Some(_) => bad("amount_minor", "must be more than zero".into()),
                None => bad(
                    "amount_minor",
                    "is required for a fixed-amount offer".into(),
                ),
            },
            OfferKind::FreeShipping => {
                if !positive(self.shipping_cost_minor) || self.shipping_cost_minor.is_none() {
                    bad(
                        "shipping_cost_minor",
                        "is required for free shipping and must be more than zero".into(),
                    );
                }
            }
        }
        for (field, v) in [
            ("minimum_subtotal_minor", self.minimum_subtotal_minor),
            ("max_discount_minor", self.max_discount_minor),
            ("daily_budget_minor", self.daily_budget_minor),
        ] {
            if !positive(v) {
                bad(field, "must be more than zero when set".into());
            }
        }
        if let Some(f) = self.margin_floor_percent
            && !(0.0..100.0).contains(&f)
        {
            bad("margin_floor_percent", "must be from 0 to under 100".into());
        }
        if self.frequency_cap == Some(0) {
            bad("frequency_cap", "must be at least 1 when set".into());
        }
        if let Some(h) = self.holdout_percent
            && !(5.0..=50.0).contains(&h)
        {
            bad(
                "holdout_percent",
                "must be from 5 to 50: every offer keeps a holdout".into(),
            );
        }
        let mut time = |field: &str, v: &Option<String>| match v {
            None => None,
            Some(s) => {
                let t = parse_time(s);
                if t.is_none() {
                    e.push(FieldError::new(field, "must be an RFC 3339 time"));
                }
                t
            }
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        if let (Some(s), Some(t)) = (starts_at, ends_at)
            && t <= s
        {
            e.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        for (field, ids) in [
            ("products", &self.products),
            ("collections", &self.collections),
        ] {
            if ids.len() > 100 {
                e.push(FieldError::new(field, "must list at most 100 ids"));
            }
            if ids.iter().any(|id| {
                id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric())
            }) {
                e.push(FieldError::new(
                    field,
                    "must hold platform ids (letters and digits)",
                ));
            }
        }
        if e.is_empty() {
            Ok(ValidOffer {
                input: self.clone(),
                starts_at,
                ends_at,
            })
        } else {
            Err(e)
        }
    }
}

/// Code pool counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeCounts {
    pub available: u64,
    pub assigned: u64,
    pub redeemed: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: i64,
    #[serde(flatten)]
    pub input: OfferInput,
    pub codes: CodeCounts,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferList {
    pub offers: Vec<Offer>,
}

/// `GET /storefront/offer`: the decision for this visitor, and the offer when there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferAnswer {
    /// `offer` or `none`.
    pub decision: String,
    /// Why, in the policy's words (`persuadable`, `holdout`, `likely_to_buy`, `no_consent`, ...).
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<ShownOffer>,
    /// With `explain=1`: the probabilities and drivers behind the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<serde_json::Value>,
}

/// What the storefront renders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShownOffer {
    pub id: i64,
    pub code: String,
    pub kind: OfferKind,
    pub headline: String,
    pub body: String,
    pub presentation: Presentation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_subtotal_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> OfferInput {
        OfferInput {
            name: "Welcome".into(),
            kind: OfferKind::Percentage,
            percentage: Some(10.0),
            headline: "10% off your first order".into(),
            ..OfferInput::default()
        }
    }

    fn fields(r: Result<ValidOffer, Vec<FieldError>>) -> Vec<String> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_plain_percentage_offer_is_valid() {
        assert!(base().validate(|_| Some(0)).is_ok());
    }

    #[test]
    fn every_problem_names_its_field() {
        let o = OfferInput {
            name: " ".into(),
            percentage: Some(95.0),
            max_discount_minor: Some(1000),
            holdout_percent: Some(1.0),
            frequency_cap: Some(0),
            starts_at: Some("2026-12-01T00:00:00Z".into()),
            ends_at: Some("soon".into()),
            products: vec!["gid://x".into()],
            headline: String::new(),
            ..base()
        };
        let f = fields(o.validate(|s| s.starts_with("2026").then_some(10)));
        for want in [
            "name",
            "headline",
            "percentage",
            "max_discount_minor",
            "holdout_percent",
            "frequency_cap",
            "ends_at",
            "products",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} missing from {f:?}");
        }
    }

    #[test]
    fn kinds_require_their_value() {
        let fixed = OfferInput {
            kind: OfferKind::FixedAmount,
            percentage: None,
            ..base()
        };
        assert_eq!(fields(fixed.validate(|_| None)), ["amount_minor"]);
        let over = OfferInput {
            kind: OfferKind::FixedAmount,
            amount_minor: Some(5000),
            max_discount_minor: Some(2000),
            ..base()
        };
        assert_eq!(fields(over.validate(|_| None)), ["amount_minor"]);
        let ship = OfferInput {
            kind: OfferKind::FreeShipping,
            ..base()
        };
        assert_eq!(fields(ship.validate(|_| None)), ["shipping_cost_minor"]);
        let order = OfferInput {
            starts_at: Some("b".into()),
            ends_at: Some("a".into()),
            ..base()
        };
        let t = |s: &str| Some(if s == "a" { 1 } else { 2 });
        assert_eq!(fields(order.validate(t)), ["ends_at"]);
    }
}
