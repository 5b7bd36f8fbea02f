//! Smart offers, their code pools and their decision log, always within one shop.
//!
//! Handing out a code happens under a per-offer lock (an UPDATE of the offer's own row, which
//! PostgreSQL holds as a row lock and SQLite as its write lock until the transaction ends), so
//! the daily budget, the frequency cap and the pool are read and changed by one visitor at a
//! time: no code is handed out twice and no budget is overspent, whatever the concurrency.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::entities::{offer, offer_code, offer_decision};
use super::{DbErr, ShopId};

pub use offer::Model as OfferRow;
pub use offer_code::Model as CodeRow;
pub use offer_decision::Model as DecisionRow;

/// The columns a merchant sets; `rules` is `attune_api::offers::OfferInput` as JSON.
#[derive(Debug, Clone)]
pub struct OfferFields {
    pub name: String,
    pub kind: String,
    pub value: i64,
    pub min_subtotal_minor: Option<i64>,
    pub segment_id: Option<i64>,
    pub rules: serde_json::Value,
    pub status: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
}

pub async fn list(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<OfferRow>, DbErr> {
    offer::Entity::find()
        .filter(offer::Column::ShopId.eq(shop.get()))
        .order_by_asc(offer::Column::Id)
        .all(db)
        .await
}

pub async fn active(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<OfferRow>, DbErr> {
    offer::Entity::find()
        .filter(offer::Column::ShopId.eq(shop.get()))
        .filter(offer::Column::Status.eq("active"))
        .order_by_asc(offer::Column::Id)
        .all(db)
        .await
}

pub async fn get(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: i64,
) -> Result<Option<OfferRow>, DbErr> {
    offer::Entity::find()
        .filter(offer::Column::ShopId.eq(shop.get()))
        .filter(offer::Column::Id.eq(id))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    shop: ShopId,
    f: OfferFields,
) -> Result<OfferRow, DbErr> {
    let now = Utc::now();
    offer::ActiveModel {
        shop_id: Set(shop.get()),
        name: Set(f.name),
        kind: Set(f.kind),
        value: Set(f.value),
        min_subtotal_minor: Set(f.min_subtotal_minor),
        segment_id: Set(f.segment_id),
        rules: Set(f.rules),
        status: Set(f.status),
        starts_at: Set(f.starts_at),
        ends_at: Set(f.ends_at),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn update(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: i64,
    f: OfferFields,
) -> Result<Option<OfferRow>, DbErr> {
    let Some(existing) = get(db, shop, id).await? else {
        return Ok(None);
    };
    let mut a: offer::ActiveModel = existing.into();
    a.name = Set(f.name);
    a.kind = Set(f.kind);
    a.value = Set(f.value);
    a.min_subtotal_minor = Set(f.min_subtotal_minor);
    a.segment_id = Set(f.segment_id);
    a.rules = Set(f.rules);
    a.status = Set(f.status);
    a.starts_at = Set(f.starts_at);
    a.ends_at = Set(f.ends_at);
    a.updated_at = Set(Utc::now());
    a.update(db).await.map(Some)
}

pub async fn delete(db: &impl ConnectionTrait, shop: ShopId, id: i64) -> Result<bool, DbErr> {
    let r = offer::Entity::delete_many()
        .filter(offer::Column::ShopId.eq(shop.get()))
        .filter(offer::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// (available, assigned, redeemed) codes of an offer.
pub async fn code_counts(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
) -> Result<(u64, u64, u64), DbErr> {
    let count = |status: &'static str| {
        offer_code::Entity::find()
            .filter(offer_code::Column::ShopId.eq(shop.get()))
            .filter(offer_code::Column::OfferId.eq(offer))
            .filter(offer_code::Column::Status.eq(status))
            .count(db)
    };
    Ok((
        count("available").await?,
        count("assigned").await?,
        count("redeemed").await?,
    ))
}

/// Adds codes the platform created. A code already present (a retried job) is skipped.
pub async fn add_codes(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
    codes: &[(String, String)],
) -> Result<(), DbErr> {
    let now = Utc::now();
    for (code, platform_id) in codes {
        let exists = offer_code::Entity::find()
            .filter(offer_code::Column::ShopId.eq(shop.get()))
            .filter(offer_code::Column::Code.eq(code.as_str()))
            .count(db)
            .await?
            > 0;
        if exists {
            continue;
        }
        offer_code::ActiveModel {
            shop_id: Set(shop.get()),
            offer_id: Set(offer),
            code: Set(code.clone()),
            platform_id: Set(platform_id.clone()),
            status: Set("available".to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The code this visitor already holds for the offer, if it is still unused.
pub async fn held_code(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
    visitor: i64,
) -> Result<Option<CodeRow>, DbErr> {
    offer_code::Entity::find()
        .filter(offer_code::Column::ShopId.eq(shop.get()))
        .filter(offer_code::Column::OfferId.eq(offer))
        .filter(offer_code::Column::VisitorId.eq(visitor))
        .filter(offer_code::Column::Status.eq("assigned"))
        .one(db)
        .await
}

/// The latest decision for this visitor and offer since `since`.
pub async fn recent_decision(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
    visitor: i64,
    since: DateTime<Utc>,
) -> Result<Option<DecisionRow>, DbErr> {
    offer_decision::Entity::find()
        .filter(offer_decision::Column::ShopId.eq(shop.get()))
        .filter(offer_decision::Column::OfferId.eq(offer))
        .filter(offer_decision::Column::VisitorId.eq(visitor))
        .filter(offer_decision::Column::DecidedAt.gte(since))
        .order_by_desc(offer_decision::Column::Id)
        .one(db)
        .await
}

pub async fn code(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: i64,
) -> Result<Option<CodeRow>, DbErr> {
    offer_code::Entity::find()
        .filter(offer_code::Column::ShopId.eq(shop.get()))
        .filter(offer_code::Column::Id.eq(id))
        .one(db)
        .await
}

/// What a claim needs checked under the offer's lock.
pub struct ClaimLimits {
    pub frequency_cap: Option<u32>,
    pub daily_budget_minor: Option<i64>,
    pub day_start: DateTime<Utc>,
}

#[derive(Debug)]
pub enum Claim {
    Claimed(CodeRow),
    FrequencyCap,
    DailyBudget,
    PoolEmpty,
}

/// Hands one available code to `visitor`, committing `discount_minor` against today's budget,
/// unless the visitor reached the frequency cap (codes handed to them before) or the budget
/// would be exceeded. Serialised per offer; see the module docs.
pub async fn claim_code(
    db: &DatabaseConnection,
    shop: ShopId,
    offer: i64,
    visitor: i64,
    discount_minor: i64,
    limits: &ClaimLimits,
) -> Result<Claim, DbErr> {
    let txn = db.begin().await?;
    offer::Entity::update_many()
        .col_expr(offer::Column::Status, Expr::col(offer::Column::Status))
        .filter(offer::Column::ShopId.eq(shop.get()))
        .filter(offer::Column::Id.eq(offer))
        .exec(&txn)
        .await?;
    let of_offer = || {
        offer_code::Entity::find()
            .filter(offer_code::Column::ShopId.eq(shop.get()))
            .filter(offer_code::Column::OfferId.eq(offer))
    };
    if let Some(cap) = limits.frequency_cap {
        let had = of_offer()
            .filter(offer_code::Column::VisitorId.eq(visitor))
            .count(&txn)
            .await?;
        if had >= u64::from(cap) {
            return Ok(Claim::FrequencyCap);
        }
    }
    if let Some(budget) = limits.daily_budget_minor {
        // PostgreSQL sums bigints as numeric: cast back so both databases answer a bigint.
        let committed: Option<i64> = of_offer()
            .select_only()
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(committed_minor), 0) AS BIGINT)"),
                "s",
            )
            .filter(offer_code::Column::AssignedAt.gte(limits.day_start))
            .into_tuple()
            .one(&txn)
            .await?;
        let committed = committed.unwrap_or(0);
        if committed + discount_minor > budget {
            return Ok(Claim::DailyBudget);
        }
    }
    let Some(code) = of_offer()
        .filter(offer_code::Column::Status.eq("available"))
        .order_by_asc(offer_code::Column::Id)
        .one(&txn)
        .await?
    else {
        return Ok(Claim::PoolEmpty);
    };
    let now = Utc::now();
    let mut a: offer_code::ActiveModel = code.into();
    a.status = Set("assigned".to_owned());
    a.visitor_id = Set(Some(visitor));
    a.committed_minor = Set(Some(discount_minor));
    a.assigned_at = Set(Some(now));
    let claimed = a.update(&txn).await?;
    txn.commit().await?;
    Ok(Claim::Claimed(claimed))
}

/// Marks codes used by an order as redeemed. Returns how many were ours.
pub async fn redeem(
    db: &impl ConnectionTrait,
    shop: ShopId,
    codes: &[String],
    order_platform_id: &str,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if codes.is_empty() {
        return Ok(0);
    }
    let upper: Vec<String> = codes.iter().map(|c| c.to_uppercase()).collect();
    let r = offer_code::Entity::update_many()
        .col_expr(offer_code::Column::Status, Expr::value("redeemed"))
        .col_expr(offer_code::Column::RedeemedAt, Expr::value(at))
        .col_expr(
            offer_code::Column::OrderPlatformId,
            Expr::value(order_platform_id),
        )
        .filter(offer_code::Column::ShopId.eq(shop.get()))
        .filter(offer_code::Column::Code.is_in(upper))
        .filter(offer_code::Column::Status.ne("redeemed"))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

pub struct NewDecision {
    pub offer: i64,
    pub visitor: i64,
    pub action: &'static str,
    pub why: String,
    pub guardrail: Option<String>,
    pub p_without: Option<f64>,
    pub p_with: Option<f64>,
    pub expected_gain: Option<f64>,
    pub features: serde_json::Value,
    pub drivers: serde_json::Value,
    pub code: Option<i64>,
    pub discount_minor: Option<i64>,
}

pub async fn log_decision(
    db: &impl ConnectionTrait,
    shop: ShopId,
    d: NewDecision,
) -> Result<DecisionRow, DbErr> {
    offer_decision::ActiveModel {
        shop_id: Set(shop.get()),
        offer_id: Set(d.offer),
        visitor_id: Set(d.visitor),
        decided_at: Set(Utc::now()),
        action: Set(d.action.to_owned()),
        why: Set(d.why),
        guardrail: Set(d.guardrail),
        p_without: Set(d.p_without),
        p_with: Set(d.p_with),
        expected_gain: Set(d.expected_gain),
        features: Set(d.features),
        drivers: Set(d.drivers),
        code_id: Set(d.code),
        discount_minor: Set(d.discount_minor),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// An offer's decisions since a time, oldest first (the intent model's training log).
pub async fn decisions_since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<DecisionRow>, DbErr> {
    offer_decision::Entity::find()
        .filter(offer_decision::Column::ShopId.eq(shop.get()))
        .filter(offer_decision::Column::OfferId.eq(offer))
        .filter(offer_decision::Column::DecidedAt.gte(since))
        .order_by_desc(offer_decision::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// An order as measurement sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOutcome {
    pub id: i64,
    pub visitor: Option<i64>,
    pub customer: Option<i64>,
    pub placed_at: DateTime<Utc>,
    /// Net of discounts.
    pub subtotal_minor: i64,
    pub discount_minor: i64,
}

/// The shop's non-cancelled orders since a time: the outcomes decisions and exposures are
/// attributed to.
pub async fn orders_since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    since: DateTime<Utc>,
) -> Result<Vec<OrderOutcome>, DbErr> {
    use super::entities::order;
    type Row = (i64, Option<i64>, Option<i64>, DateTime<Utc>, i64, i64);
    let rows: Vec<Row> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::VisitorId)
        .column(order::Column::CustomerId)
        .column(order::Column::PlacedAt)
        .column(order::Column::SubtotalMinor)
        .column(order::Column::DiscountMinor)
        .filter(order::Column::ShopId.eq(shop.get()))
        .filter(order::Column::PlacedAt.gte(since))
        .filter(order::Column::CancelledAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, visitor, customer, placed_at, subtotal_minor, discount_minor)| OrderOutcome {
                id,
                visitor,
                customer,
                placed_at,
                subtotal_minor,
                discount_minor,
            },
        )
        .collect())
}

/// Redeemed codes of an offer: (count, discount committed on them).
pub async fn redeemed(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
) -> Result<(u64, i64), DbErr> {
    let v: Option<(i64, i64)> = offer_code::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(committed_minor), 0) AS BIGINT)"),
            "s",
        )
        .filter(offer_code::Column::ShopId.eq(shop.get()))
        .filter(offer_code::Column::OfferId.eq(offer))
        .filter(offer_code::Column::Status.eq("redeemed"))
        .into_tuple()
        .one(db)
        .await?;
    let (n, s) = v.unwrap_or((0, 0));
    Ok((n.max(0) as u64, s))
}

/// The shop's typical order: mean subtotal of non-cancelled orders since a time.
pub async fn mean_subtotal(
    db: &impl ConnectionTrait,
    shop: ShopId,
    since: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    use super::entities::order;
    let v: Option<Option<i64>> = order::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(AVG(subtotal_minor) AS BIGINT)"), "m")
        .filter(order::Column::ShopId.eq(shop.get()))
        .filter(order::Column::PlacedAt.gte(since))
        .filter(order::Column::CancelledAt.is_null())
        .into_tuple()
        .one(db)
        .await?;
    Ok(v.flatten())
}

/// Cost as a share of price over the shop's active products with a known cost.
pub async fn cost_share(db: &impl ConnectionTrait, shop: ShopId) -> Result<Option<f64>, DbErr> {
    use super::entities::product;
    let v: Option<(Option<i64>, Option<i64>)> = product::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(cost_minor) AS BIGINT)"), "c")
        .column_as(Expr::cust("CAST(SUM(price_minor) AS BIGINT)"), "p")
        .filter(product::Column::ShopId.eq(shop.get()))
        .filter(product::Column::Status.eq("active"))
        .filter(product::Column::CostMinor.is_not_null())
        .filter(product::Column::PriceMinor.gt(0))
        .into_tuple()
        .one(db)
        .await?;
    Ok(match v {
        Some((Some(c), Some(p))) if p > 0 => Some(c as f64 / p as f64),
        _ => None,
    })
}

/// Erases what offers hold about these visitors: their decisions (session features included)
/// go; their codes and orders stay, unlinked, so budgets and redemptions still add up.
pub async fn forget_visitors(
    db: &impl ConnectionTrait,
    shop: ShopId,
    visitors: &[i64],
) -> Result<(), DbErr> {
    use super::entities::order;
    if visitors.is_empty() {
        return Ok(());
    }
    offer_decision::Entity::delete_many()
        .filter(offer_decision::Column::ShopId.eq(shop.get()))
        .filter(offer_decision::Column::VisitorId.is_in(visitors.iter().copied()))
        .exec(db)
        .await?;
    offer_code::Entity::update_many()
        .col_expr(
            offer_code::Column::VisitorId,
            Expr::value(Option::<i64>::None),
        )
        .filter(offer_code::Column::ShopId.eq(shop.get()))
        .filter(offer_code::Column::VisitorId.is_in(visitors.iter().copied()))
        .exec(db)
        .await?;
    order::Entity::update_many()
        .col_expr(order::Column::VisitorId, Expr::value(Option::<i64>::None))
        .filter(order::Column::ShopId.eq(shop.get()))
        .filter(order::Column::VisitorId.is_in(visitors.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// The products (platform ids) and line revenue of these orders.
pub async fn order_products(
    db: &impl ConnectionTrait,
    shop: ShopId,
    orders: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<(String, i64)>>, DbErr> {
    use super::entities::order_line;
    let mut out: std::collections::HashMap<i64, Vec<(String, i64)>> =
        std::collections::HashMap::new();
    for chunk in orders.chunks(500) {
        let rows: Vec<(i64, String, i64, i32)> = order_line::Entity::find()
            .select_only()
            .column(order_line::Column::OrderId)
            .column(order_line::Column::PlatformProductId)
            .column(order_line::Column::UnitPriceMinor)
            .column(order_line::Column::Quantity)
            .filter(order_line::Column::ShopId.eq(shop.get()))
            .filter(order_line::Column::OrderId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        for (order, product, price, qty) in rows {
            out.entry(order)
                .or_default()
                .push((product, price * i64::from(qty)));
        }
    }
    Ok(out)
}

/// Net revenue of the orders that redeemed the offer's codes.
pub async fn redeemed_revenue(
    db: &impl ConnectionTrait,
    shop: ShopId,
    offer: i64,
) -> Result<i64, DbErr> {
    use super::entities::order;
    let ids: Vec<Option<String>> = offer_code::Entity::find()
        .select_only()
        .column(offer_code::Column::OrderPlatformId)
        .filter(offer_code::Column::ShopId.eq(shop.get()))
        .filter(offer_code::Column::OfferId.eq(offer))
        .filter(offer_code::Column::Status.eq("redeemed"))
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<String> = ids.into_iter().flatten().collect();
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let subtotals: Vec<i64> = order::Entity::find()
            .select_only()
            .column(order::Column::SubtotalMinor)
            .filter(order::Column::ShopId.eq(shop.get()))
            .filter(order::Column::PlatformId.is_in(chunk.iter().cloned()))
            .filter(order::Column::CancelledAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        total += subtotals.iter().sum::<i64>();
    }
    Ok(total)
}
