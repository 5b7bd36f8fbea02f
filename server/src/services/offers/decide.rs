//! The storefront's question, "should this visitor see an offer?", answered for the shop's active
//! offers in turn: segment targeting, one decision per visitor and offer per day (asked again,
//! the same answer and the same code), the intent policy, the guardrails, and a code from the
//! pool. Every decision is logged, offered or not, with why.

use std::collections::HashMap;

use attune_api::offers::{OfferAnswer, OfferInput, OfferKind, ShownOffer};
use attune_engine::experiments::bucket;
use attune_engine::offers::{
    Action, Context, Decision, Economics, Incentive, Limits, PolicyConfig, Session, Terms, decide,
    guardrails,
};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::codes;
use crate::db::offers::{Claim, ClaimLimits, NewDecision, OfferRow};
use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::state::AppState;

/// Margin assumed on an order when the shop reports no product costs.
pub const DEFAULT_MARGIN_SHARE: f64 = 0.5;
/// A decision stands for this long; asked again, the visitor gets the same answer.
const DECISION_HOURS: i64 = 24;
/// Events further apart than this start a new session.
const SESSION_GAP_MINUTES: i64 = 30;

pub struct Ask<'a> {
    pub visitor_key: &'a str,
    /// The logged-in customer's platform id, only from a signed request.
    pub customer: Option<&'a str>,
    pub cart_subtotal_minor: Option<i64>,
    pub explain: bool,
}

fn none(reason: &str, explain: Option<Value>) -> OfferAnswer {
    OfferAnswer {
        decision: "none".into(),
        reason: reason.into(),
        offer: None,
        explain,
    }
}

fn why_str(d: &Decision) -> String {
    serde_json::to_value(d.why)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

fn shown(row: &OfferRow, input: &OfferInput, code: &str) -> ShownOffer {
    ShownOffer {
        id: row.id,
        code: code.to_owned(),
        kind: input.kind,
        headline: input.headline.clone(),
        body: input.body.clone(),
        presentation: input.presentation,
        percentage: input
            .percentage
            .filter(|_| input.kind == OfferKind::Percentage),
        amount_minor: input
            .amount_minor
            .filter(|_| input.kind == OfferKind::FixedAmount),
        minimum_subtotal_minor: input.minimum_subtotal_minor,
        ends_at: row.ends_at.map(|t| t.to_rfc3339()),
    }
}

fn terms(input: &OfferInput) -> Terms {
    Terms {
        incentive: match input.kind {
            OfferKind::Percentage => Incentive::Percentage {
                basis_points: (input.percentage.unwrap_or(0.0) * 100.0).round() as u32,
            },
            OfferKind::FixedAmount => Incentive::FixedAmount {
                minor: input.amount_minor.unwrap_or(0),
            },
            OfferKind::FreeShipping => Incentive::FreeShipping {
                estimated_cost_minor: input.shipping_cost_minor.unwrap_or(0),
            },
        },
        // The code enforces the minimum at checkout; an empty cart may still be told about it.
        minimum_subtotal_minor: None,
        max_discount_minor: input.max_discount_minor,
        margin_floor_basis_points: input
            .margin_floor_percent
            .map(|p| (p * 100.0).round() as u32),
    }
}

/// The visitor's current session and what the shop knows of them, as the model's features.
async fn session_of(
    state: &AppState,
    shop: ShopId,
    visitor: &db::entities::visitor::Model,
    now: DateTime<Utc>,
) -> Result<Session, AppError> {
    let db = &state.db;
    let people = db::events::person_visitors(db, shop, visitor).await?;
    let events = db::events::recent(db, shop, &people, now - Duration::hours(24), 500).await?;
    // Newest first: walk back until a gap ends the session.
    let mut session = Vec::new();
    let mut last = now;
    for e in &events {
        if last - e.occurred_at > Duration::minutes(SESSION_GAP_MINUTES) {
            break;
        }
        last = e.occurred_at;
        session.push(e);
    }
    let mut s = Session::default();
    let mut products = std::collections::HashSet::new();
    for e in &session {
        match e.kind.as_str() {
            "product_viewed" => {
                s.product_views += 1;
                products.insert(e.platform_product_id.as_str());
            }
            "product_added_to_cart" => s.add_to_carts += 1,
            "search_submitted" => s.searched = true,
            _ => {}
        }
        s.page_views += 1;
        if let Some(utm) = e.payload.pointer("/context/utm_source")
            && utm.as_str().is_some_and(|u| !u.is_empty())
        {
            s.from_campaign = true;
        }
    }
    s.distinct_products = products.len() as u32;
    // The newest event that knows the cart's value.
    s.cart_value = session
        .iter()
        .find_map(|e| e.payload.get("cart_value_minor").and_then(Value::as_i64))
        .map_or(0.0, |v| v as f64 / 100.0);
    if let (Some(first), Some(newest)) = (session.last(), session.first()) {
        s.seconds = (newest.occurred_at - first.occurred_at)
            .num_seconds()
            .max(0) as u32;
    }
    let session_start = session.last().map_or(now, |e| e.occurred_at);
    s.returning = visitor.first_seen_at < session_start - Duration::minutes(SESSION_GAP_MINUTES);
    if let Some(customer) = visitor.customer_id {
        let orders = db::orders::orders_of_customer(db, shop, customer).await?;
        s.prior_orders = orders.len() as u32;
        s.days_since_order = orders
            .last()
            .map(|(_, placed, _, _)| (now - *placed).num_hours() as f64 / 24.0);
        if !orders.is_empty() {
            let discounted = orders.iter().filter(|(_, _, _, d)| *d > 0).count();
            s.discount_share = discounted as f64 / orders.len() as f64;
        }
    }
    Ok(s)
}

/// Answers for the first active offer that applies to this visitor.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn for_visitor(
    state: &AppState,
    shop: ShopId,
    ask: Ask<'_>,
) -> Result<OfferAnswer, AppError> {
    let db = &state.db;
    let offers = db::offers::active(db, shop).await?;
    if offers.is_empty() {
        return Ok(none("no_active_offer", None));
    }
    // Offers are personal: without the visitor's consent to analytics there is no visitor row,
    // and nothing is decided.
    let Some(visitor) = db::events::find_visitor(db, shop, ask.visitor_key).await? else {
        return Ok(none("no_consent", None));
    };
    let now = Utc::now();
    let mut segments_of_visitor: Option<Vec<String>> = None;
    let segment_ids: HashMap<i64, String> = if offers.iter().any(|o| o.segment_id.is_some()) {
        db::segments::list(db, shop)
            .await?
            .into_iter()
            .map(|s| (s.id, s.public_id))
            .collect()
    } else {
        HashMap::new()
    };
    let mut last_reason = "not_in_segment";
    for row in &offers {
        if row.starts_at.is_some_and(|s| now < s) || row.ends_at.is_some_and(|e| now >= e) {
            last_reason = "outside_dates";
            continue;
        }
        if let Some(seg) = row.segment_id {
            if segments_of_visitor.is_none() {
                segments_of_visitor = Some(
                    crate::services::segments::membership(
                        db,
                        &state.segments,
                        shop,
                        Some(ask.visitor_key),
                        ask.customer,
                    )
                    .await?,
                );
            }
            let member = segment_ids
                .get(&seg)
                .is_some_and(|p| segments_of_visitor.as_ref().is_some_and(|m| m.contains(p)));
            if !member {
                last_reason = "not_in_segment";
                continue;
            }
        }
        let matched = row
            .segment_id
            .and_then(|s| segment_ids.get(&s))
            .map(String::as_str);
        // A running experiment on this offer shows the visitor's arm's offer instead.
        if let Some((_, arm)) = state
            .experiments
            .arm_for(
                db,
                shop,
                attune_api::experiments::Subject::Offer,
                row.id,
                ask.visitor_key,
            )
            .await?
            && let Some(other) = arm.offer.filter(|o| *o != row.id)
            && let Some(variant) = db::offers::get(db, shop, other).await?
        {
            return decide_offer(state, shop, &variant, &visitor, &ask, now, matched).await;
        }
        return decide_offer(state, shop, row, &visitor, &ask, now, matched).await;
    }
    Ok(none(last_reason, None))
}

/// `segment`: the targeted segment the visitor matched, if the offer targets one.
async fn decide_offer(
    state: &AppState,
    shop: ShopId,
    row: &OfferRow,
    visitor: &db::entities::visitor::Model,
    ask: &Ask<'_>,
    now: DateTime<Utc>,
    segment: Option<&str>,
) -> Result<OfferAnswer, AppError> {
    let db = &state.db;
    let input = super::input_of(row)?;
    // One decision per visitor and offer per day: the same answer, the same code.
    if let Some(prior) = db::offers::recent_decision(
        db,
        shop,
        row.id,
        visitor.id,
        now - Duration::hours(DECISION_HOURS),
    )
    .await?
    {
        if prior.action == "offer"
            && let Some(code_id) = prior.code_id
            && let Some(code) = db::offers::code(db, shop, code_id).await?
        {
            if code.status == "redeemed" {
                return Ok(none("redeemed", None));
            }
            return Ok(OfferAnswer {
                decision: "offer".into(),
                reason: prior.why,
                offer: Some(shown(row, &input, &code.code)),
                explain: ask.explain.then(|| json!({"repeat_of_decision": prior.id})),
            });
        }
        return Ok(none(
            &prior.why,
            ask.explain.then(|| json!({"repeat_of_decision": prior.id})),
        ));
    }

    let session = session_of(state, shop, visitor, now).await?;
    let model = state.offer_models.get(db, shop, row.id).await?;
    let since = now - Duration::days(90);
    let typical = db::offers::mean_subtotal(db, shop, since)
        .await?
        .unwrap_or(5_000);
    let subtotal = ask
        .cart_subtotal_minor
        .filter(|s| *s > 0)
        .unwrap_or(typical);
    let subtotal = subtotal.max(input.minimum_subtotal_minor.unwrap_or(0));
    let cost_share = db::offers::cost_share(db, shop).await?;
    let terms = terms(&input);
    let discount = terms.discount_minor(subtotal);
    let margin = subtotal as f64 * (1.0 - cost_share.unwrap_or(1.0 - DEFAULT_MARGIN_SHARE));
    let holdout = input
        .holdout_percent
        .unwrap_or(attune_api::offers::DEFAULT_HOLDOUT_PERCENT)
        / 100.0;
    let config = PolicyConfig {
        holdout,
        ..PolicyConfig::default()
    };
    let draw = bucket(&format!("offer-{}", row.id), &visitor.visitor_key);
    let decision = decide(
        model.as_deref(),
        &session,
        Economics {
            margin,
            discount: discount as f64,
        },
        &config,
        draw,
    );

    let mut guardrail: Option<String> = None;
    let mut claimed = None;
    if decision.action == Action::Offer {
        let ctx = Context {
            now: now.timestamp(),
            subtotal_minor: subtotal,
            cost_minor: cost_share.map(|c| (c * subtotal as f64).round() as i64),
            ..Context::default()
        };
        let limits = Limits {
            starts_at: row.starts_at.map(|t| t.timestamp()),
            ends_at: row.ends_at.map(|t| t.timestamp()),
            ..Limits::default()
        };
        match guardrails::check(&terms, &limits, &ctx) {
            Err(blocked) => guardrail = Some(snake(&blocked)),
            Ok(discount) => {
                let day_start = now
                    .date_naive()
                    .and_hms_opt(0, 0, 0)
                    .map_or(now, |d| d.and_utc());
                let limits = ClaimLimits {
                    frequency_cap: input.frequency_cap,
                    daily_budget_minor: input.daily_budget_minor,
                    day_start,
                };
                match db::offers::claim_code(db, shop, row.id, visitor.id, discount, &limits)
                    .await?
                {
                    Claim::Claimed(code) => {
                        // A known customer: the code becomes theirs alone on the platform.
                        let customer = match (ask.customer, visitor.customer_id) {
                            (Some(c), _) => Some(c.to_owned()),
                            (None, Some(id)) => {
                                db::orders::customer_platform_id(db, shop, id).await?
                            }
                            (None, None) => None,
                        };
                        if let Some(c) = customer {
                            codes::request_binding(db, &state.jobs, shop, code.id, &c).await?;
                        }
                        claimed = Some((code, discount));
                    }
                    Claim::FrequencyCap => guardrail = Some("frequency_cap".into()),
                    Claim::DailyBudget => guardrail = Some("daily_budget".into()),
                    Claim::PoolEmpty => guardrail = Some("no_code_ready".into()),
                }
                let (available, _, _) = db::offers::code_counts(db, shop, row.id).await?;
                if available <= codes::LOW_WATER {
                    codes::request_refill(db, &state.jobs, shop, row.id).await?;
                }
            }
        }
    }
    let why = why_str(&decision);
    let drivers = decision
        .prediction
        .as_ref()
        .map(
            |p| json!({"intent": p.intent_drivers, "uplift": p.uplift_drivers, "segment": segment}),
        )
        .unwrap_or_else(|| json!({"segment": segment}));
    let logged = db::offers::log_decision(
        db,
        shop,
        NewDecision {
            offer: row.id,
            visitor: visitor.id,
            action: if claimed.is_some() {
                "offer"
            } else {
                "no_offer"
            },
            why: why.clone(),
            guardrail: guardrail.clone(),
            p_without: decision.prediction.as_ref().map(|p| p.p_without),
            p_with: decision.prediction.as_ref().map(|p| p.p_with),
            expected_gain: decision.expected_incremental_margin,
            features: serde_json::to_value(session).unwrap_or_default(),
            drivers: drivers.clone(),
            code: claimed.as_ref().map(|(c, _)| c.id),
            discount_minor: claimed.as_ref().map(|(_, d)| *d),
        },
    )
    .await?;
    let explain = ask.explain.then(|| {
        json!({
            "decision_id": logged.id,
            "why": why,
            "guardrail": guardrail,
            "segment": segment,
            "p_without": decision.prediction.as_ref().map(|p| p.p_without),
            "p_with": decision.prediction.as_ref().map(|p| p.p_with),
            "expected_incremental_margin_minor": decision.expected_incremental_margin,
            "drivers": drivers,
            "model": model.as_ref().map(|m| json!({
                "sessions": m.sessions,
                "uplift_learned": m.uplift_learned,
                "calibration": m.calibration,
            })),
            "session": session,
        })
    });
    Ok(match claimed {
        Some((code, _)) => OfferAnswer {
            decision: "offer".into(),
            reason: why,
            offer: Some(shown(row, &input, &code.code)),
            explain,
        },
        None => none(guardrail.as_deref().unwrap_or(&why), explain),
    })
}

fn snake<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        Ok(Value::Object(o)) => o
            .values()
            .next()
            .and_then(Value::as_str)
            .unwrap_or("blocked")
            .to_owned(),
        _ => "blocked".into(),
    }
}
