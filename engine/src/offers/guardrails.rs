//! The merchant's limits on an offer, in integer minor units of the shop's currency.

use serde::{Deserialize, Serialize};

/// What the shopper gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Incentive {
    /// A share of the eligible subtotal, in basis points (1,000 = 10%).
    Percentage { basis_points: u32 },
    /// A fixed amount off the eligible subtotal.
    FixedAmount { minor: i64 },
    /// Free shipping, costing the shop about this much per order.
    FreeShipping { estimated_cost_minor: i64 },
}

/// The terms attached to the code itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub incentive: Incentive,
    pub minimum_subtotal_minor: Option<i64>,
    /// The most one order may get off, whatever the incentive says.
    pub max_discount_minor: Option<i64>,
    /// The least gross margin an order may keep after the discount, in basis points of the
    /// subtotal; checked only when the goods' cost is known.
    pub margin_floor_basis_points: Option<u32>,
}

/// Limits across shoppers and time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Times one visitor may be shown the offer.
    pub frequency_cap: Option<u32>,
    /// Discount the shop will commit per day (codes handed out count at their full value).
    pub daily_budget_minor: Option<i64>,
    /// Unix seconds.
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
}

/// What is known at decision time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    pub now: i64,
    /// The cart's eligible subtotal, or the shop's typical order when there is no cart yet.
    pub subtotal_minor: i64,
    /// The goods' cost, when the platform reports it.
    pub cost_minor: Option<i64>,
    /// Times this visitor has been shown the offer already.
    pub shown_to_visitor: u32,
    /// Discount already committed today.
    pub committed_today_minor: i64,
}

/// The guardrail that stopped an offer; shown in the decision's explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "guardrail")]
pub enum Blocked {
    #[error("the offer has not started")]
    NotStarted,
    #[error("the offer has ended")]
    Ended,
    #[error("the subtotal is below the offer's minimum")]
    BelowMinimum,
    #[error("this visitor has reached the offer's frequency cap")]
    FrequencyCap,
    #[error("today's discount budget is spent")]
    DailyBudget,
    #[error("the discount would take the order's margin below the floor")]
    MarginFloor,
    #[error("the offer would give nothing off")]
    NothingOff,
}

impl Terms {
    /// The discount on an order with this eligible subtotal, capped by the maximum and by the
    /// subtotal itself.
    pub fn discount_minor(&self, subtotal_minor: i64) -> i64 {
        let raw = match self.incentive {
            Incentive::Percentage { basis_points } => {
                // Round half down: never give more than the stated share.
                (i128::from(subtotal_minor.max(0)) * i128::from(basis_points) / 10_000) as i64
            }
            Incentive::FixedAmount { minor } => minor.min(subtotal_minor.max(0)),
            Incentive::FreeShipping {
                estimated_cost_minor,
            } => estimated_cost_minor,
        };
        let capped = self.max_discount_minor.map_or(raw, |m| raw.min(m));
        capped.max(0)
    }
}

/// Checks every guardrail; the discount the order would get when none blocks.
pub fn check(terms: &Terms, limits: &Limits, ctx: &Context) -> Result<i64, Blocked> {
    if limits.starts_at.is_some_and(|s| ctx.now < s) {
        return Err(Blocked::NotStarted);
    }
    if limits.ends_at.is_some_and(|e| ctx.now >= e) {
        return Err(Blocked::Ended);
    }
    if terms
        .minimum_subtotal_minor
        .is_some_and(|m| ctx.subtotal_minor < m)
    {
        return Err(Blocked::BelowMinimum);
    }
    if limits
        .frequency_cap
        .is_some_and(|cap| ctx.shown_to_visitor >= cap)
    {
        return Err(Blocked::FrequencyCap);
    }
    let discount = terms.discount_minor(ctx.subtotal_minor);
    if discount <= 0 {
        return Err(Blocked::NothingOff);
    }
    if limits
        .daily_budget_minor
        .is_some_and(|b| ctx.committed_today_minor + discount > b)
    {
        return Err(Blocked::DailyBudget);
    }
    if let (Some(floor), Some(cost)) = (terms.margin_floor_basis_points, ctx.cost_minor)
        && ctx.subtotal_minor > 0
    {
        let kept = i128::from(ctx.subtotal_minor - discount - cost) * 10_000;
        if kept < i128::from(floor) * i128::from(ctx.subtotal_minor) {
            return Err(Blocked::MarginFloor);
        }
    }
    Ok(discount)
}
