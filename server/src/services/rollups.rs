//! Daily rollups: per day and arm, each offer's, widget's and experiment's exposed visitors and
//! what they bought within the attribution window, and each segment's customers' orders. A
//! background job recomputes the whole period and replaces the rows (so late orders and
//! corrections land), then schedules itself for the next hour.

use std::collections::BTreeMap;

use anyhow::Context;
use attune_api::experiments::ExperimentInput;
use chrono::{Duration, Utc};

use crate::db::rollups::Rollup;
use crate::db::{self, ShopId};
use crate::services::analytics::{self, Arm, OrderIndex, Unit};
use crate::state::AppState;

pub const EVERY_MINUTES: i64 = 60;
const KIND: &str = "rollup_analytics";

/// Queues a run now unless one is already waiting.
pub async fn request(
    db: &sea_orm::DatabaseConnection,
    jobs: &crate::jobs::Wakeup,
    shop: ShopId,
) -> Result<(), db::DbErr> {
    if !db::jobs::has_queued(db, shop, KIND, None).await? {
        db::jobs::enqueue(db, shop, KIND, serde_json::json!({}), Utc::now()).await?;
        jobs.notify();
    }
    Ok(())
}

fn days(
    kind: &'static str,
    id: &str,
    arms: &[(String, Vec<Unit>)],
    index: &OrderIndex<'_>,
    cost: f64,
) -> Vec<Rollup> {
    let mut out = Vec::new();
    for (arm, units) in arms {
        let mut by_day: BTreeMap<String, Vec<Unit>> = BTreeMap::new();
        for u in units {
            by_day
                .entry(u.exposed_at.format("%Y-%m-%d").to_string())
                .or_default()
                .push(*u);
        }
        for (day, units) in by_day {
            let s = Arm::of(&units, index, cost).summary(arm);
            out.push(Rollup {
                day,
                subject_kind: kind,
                subject_id: id.to_owned(),
                arm: arm.clone(),
                visitors: s.visitors as i64,
                converters: s.converters as i64,
                orders: s.orders as i64,
                revenue_minor: s.revenue_minor,
            });
        }
    }
    out
}

fn split(units: Vec<Unit>) -> Vec<(String, Vec<Unit>)> {
    let (holdout, treated): (Vec<Unit>, Vec<Unit>) = units.into_iter().partition(|u| u.holdout);
    vec![
        ("holdout".to_owned(), holdout),
        ("treated".to_owned(), treated),
    ]
}

/// Recomputes the shop's rollups for the reporting period; returns how many rows it wrote.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn run(state: &AppState, shop: ShopId) -> anyhow::Result<usize> {
    let db = &state.db;
    let since = Utc::now() - Duration::days(analytics::PERIOD_DAYS);
    let (_, cost) = analytics::shop_basics(db, shop)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let orders = db::offers::orders_since(db, shop, since).await?;
    let index = OrderIndex::new(&orders);
    let mut rows = Vec::new();
    for o in db::offers::list(db, shop).await? {
        let units = analytics::offer_units(db, shop, o.id, since)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        rows.extend(days(
            "offer",
            &o.id.to_string(),
            &split(units),
            &index,
            cost,
        ));
    }
    for w in db::widgets::list(db, shop).await? {
        let (units, _) = analytics::widget_units(db, shop, &w.public_id, since)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        rows.extend(days("widget", &w.public_id, &split(units), &index, cost));
    }
    for e in db::experiments::list(db, shop).await? {
        let input: ExperimentInput = crate::services::experiments::get(db, shop, e.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .input;
        let by_arm = crate::services::experiments::experiment_units(db, shop, &e, &input)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let arms: Vec<(String, Vec<Unit>)> = input
            .arms
            .iter()
            .map(|a| a.name.clone())
            .zip(by_arm)
            .collect();
        rows.extend(days("experiment", &e.id.to_string(), &arms, &index, cost));
    }
    // Segments: their customers' orders per day (visitors: the segment's customers).
    for seg in db::segments::list(db, shop).await? {
        let members = crate::services::segments::customers_in(
            db,
            &state.segments,
            shop,
            std::slice::from_ref(&seg.public_id),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut by_day: BTreeMap<String, (std::collections::HashSet<i64>, i64, i64)> =
            BTreeMap::new();
        for o in orders
            .iter()
            .filter(|o| o.customer.is_some_and(|c| members.contains(&c)))
        {
            let d = by_day
                .entry(o.placed_at.format("%Y-%m-%d").to_string())
                .or_default();
            d.0.extend(o.customer);
            d.1 += 1;
            d.2 += o.subtotal_minor;
        }
        for (day, (buyers, n, revenue)) in by_day {
            rows.push(Rollup {
                day,
                subject_kind: "segment",
                subject_id: seg.public_id.clone(),
                arm: "members".into(),
                visitors: members.len() as i64,
                converters: buyers.len() as i64,
                orders: n,
                revenue_minor: revenue,
            });
        }
    }
    let written = rows.len();
    db::rollups::upsert(db, shop, rows)
        .await
        .context("writing rollups")?;
    if !db::jobs::has_queued(db, shop, KIND, None).await? {
        db::jobs::enqueue(
            db,
            shop,
            KIND,
            serde_json::json!({}),
            Utc::now() + Duration::minutes(EVERY_MINUTES),
        )
        .await?;
    }
    Ok(written)
}
