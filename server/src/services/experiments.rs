//! A/B/n experiments: a widget's recommenders, or offers, against a control. Visitors are
//! placed by `attune_engine::experiments::Allocation` on the experiment's own salt, so a visitor
//! stays in one arm on every request and process. Widget experiments leave the widget's
//! holdout alone (those visitors see nothing in any arm); offer experiments keep each offer's
//! holdout. Results compare every arm with the first (the control) on the same metrics and
//! attribution as the holdout reports, with a sample-ratio check over all arms.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use attune_api::experiments::{
    Arm, ArmResult, Experiment, ExperimentInput, ExperimentResults, ExperimentStatus, Subject,
};
use attune_engine::experiments::{Allocation, Placement, sample_ratio_mismatch};
use chrono::{Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::db::experiments::{ExperimentFields, ExperimentRow};
use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::services::analytics::{self, Arm as ArmStats, OrderIndex, Unit};

fn arms_of(row: &ExperimentRow) -> Vec<Arm> {
    serde_json::from_value(row.arms.clone()).unwrap_or_default()
}

fn allocation(arms: &[Arm]) -> Allocation {
    Allocation {
        holdout: 0.0,
        weights: arms.iter().map(|a| a.weight).collect(),
    }
}

/// The arm (index) a visitor is in.
pub fn arm_of(experiment: i64, arms: &[Arm], visitor: &str) -> usize {
    match allocation(arms).place(&format!("experiment-{experiment}"), visitor) {
        Placement::Arm(i) => i,
        Placement::Holdout => 0,
    }
}

/// A shop's running experiments and when they were read.
type Running = (Instant, Arc<Vec<ExperimentRow>>);

/// Running experiments per shop, read at most once a second.
#[derive(Default)]
pub struct ExperimentCache {
    inner: Mutex<HashMap<ShopId, Running>>,
}

impl ExperimentCache {
    async fn running(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<Vec<ExperimentRow>>, AppError> {
        if let Ok(map) = self.inner.lock()
            && let Some((at, rows)) = map.get(&shop)
            && at.elapsed() < StdDuration::from_secs(1)
        {
            return Ok(rows.clone());
        }
        let rows = Arc::new(db::experiments::running(db, shop).await?);
        if let Ok(mut map) = self.inner.lock() {
            map.insert(shop, (Instant::now(), rows.clone()));
        }
        Ok(rows)
    }

    /// The arm this visitor sees of the running experiment on this subject, if any.
    pub async fn arm_for(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
        subject: Subject,
        subject_id: i64,
        visitor: &str,
    ) -> Result<Option<(i64, Arm)>, AppError> {
        let kind = kind_str(subject);
        let running = self.running(db, shop).await?;
        Ok(running
            .iter()
            .find(|r| r.subject_kind == kind && r.subject_id == subject_id)
            .and_then(|r| {
                let arms = arms_of(r);
                let i = arm_of(r.id, &arms, visitor);
                arms.get(i).cloned().map(|a| (r.id, a))
            }))
    }

    pub fn forget(&self, shop: ShopId) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(&shop);
        }
    }
}

fn kind_str(s: Subject) -> &'static str {
    match s {
        Subject::Widget => "widget",
        Subject::Offer => "offer",
    }
}

async fn to_api(
    db: &DatabaseConnection,
    shop: ShopId,
    row: ExperimentRow,
) -> Result<Experiment, AppError> {
    let subject = if row.subject_kind == "offer" {
        Subject::Offer
    } else {
        Subject::Widget
    };
    let subject_id = match subject {
        Subject::Offer => row.subject_id.to_string(),
        Subject::Widget => db::widgets::list(db, shop)
            .await?
            .into_iter()
            .find(|w| w.id == row.subject_id)
            .map(|w| w.public_id)
            .unwrap_or_default(),
    };
    Ok(Experiment {
        id: row.id,
        input: ExperimentInput {
            name: row.name.clone(),
            subject,
            subject_id,
            arms: arms_of(&row),
            status: ExperimentStatus::parse(&row.status).unwrap_or_default(),
        },
        started_at: row.started_at.map(|t| t.to_rfc3339()),
        ended_at: row.ended_at.map(|t| t.to_rfc3339()),
    })
}

/// The subject's row id, after checking it (and every arm's offer) belongs to the shop.
async fn subject_row(
    db: &DatabaseConnection,
    shop: ShopId,
    input: &ExperimentInput,
) -> Result<i64, AppError> {
    match input.subject {
        Subject::Widget => {
            crate::services::widgets::check_public_id(&input.subject_id)
                .map_err(|_| AppError::field("subject_id", "is not a widget id"))?;
            Ok(db::widgets::get(db, shop, &input.subject_id)
                .await?
                .ok_or_else(|| AppError::field("subject_id", "no such widget"))?
                .id)
        }
        Subject::Offer => {
            let id: i64 = input
                .subject_id
                .trim()
                .parse()
                .map_err(|_| AppError::field("subject_id", "is not an offer id"))?;
            db::offers::get(db, shop, id)
                .await?
                .ok_or_else(|| AppError::field("subject_id", "no such offer"))?;
            for (i, a) in input.arms.iter().enumerate() {
                let o = a.offer.unwrap_or_default();
                if db::offers::get(db, shop, o).await?.is_none() {
                    return Err(AppError::field(
                        &format!("arms[{i}].offer"),
                        format!("no offer with id {o}"),
                    ));
                }
            }
            Ok(id)
        }
    }
}

pub async fn list(db: &DatabaseConnection, shop: ShopId) -> Result<Vec<Experiment>, AppError> {
    let mut out = Vec::new();
    for row in db::experiments::list(db, shop).await? {
        out.push(to_api(db, shop, row).await?);
    }
    Ok(out)
}

pub async fn get(db: &DatabaseConnection, shop: ShopId, id: i64) -> Result<Experiment, AppError> {
    let row = db::experiments::get(db, shop, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no experiment with id {id}")))?;
    to_api(db, shop, row).await
}

/// Creates (`id` = None) or updates an experiment. One running experiment per subject.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn save(
    db: &DatabaseConnection,
    cache: &ExperimentCache,
    shop: ShopId,
    id: Option<i64>,
    input: &ExperimentInput,
) -> Result<Experiment, AppError> {
    input.validate().map_err(AppError::Validation)?;
    let subject_id = subject_row(db, shop, input).await?;
    if input.status == ExperimentStatus::Running {
        let kind = kind_str(input.subject);
        let clash = db::experiments::running(db, shop)
            .await?
            .into_iter()
            .any(|r| r.subject_kind == kind && r.subject_id == subject_id && Some(r.id) != id);
        if clash {
            return Err(AppError::field(
                "status",
                "another experiment is already running on this subject",
            ));
        }
    }
    let fields = ExperimentFields {
        name: input.name.trim().to_owned(),
        subject_kind: kind_str(input.subject).to_owned(),
        subject_id,
        arms: serde_json::to_value(&input.arms).map_err(anyhow::Error::from)?,
        status: input.status.as_str().to_owned(),
    };
    let row = db::experiments::save(db, shop, id, fields)
        .await?
        .ok_or_else(|| AppError::NotFound("no such experiment".into()))?;
    cache.forget(shop);
    to_api(db, shop, row).await
}

/// The experiment's visitors by arm: widget viewers (its holdout aside) or offer decisions
/// (holdouts aside), each at their first exposure while it ran.
pub(crate) async fn experiment_units(
    db: &DatabaseConnection,
    shop: ShopId,
    row: &ExperimentRow,
    input: &ExperimentInput,
) -> Result<Vec<Vec<Unit>>, AppError> {
    let arms = arms_of(row);
    let since = row
        .started_at
        .unwrap_or_else(|| Utc::now() - Duration::days(analytics::PERIOD_DAYS));
    let until = row.ended_at.unwrap_or_else(Utc::now);
    let visitors: HashMap<i64, (String, Option<i64>)> = db::events::visitors(db, shop)
        .await?
        .into_iter()
        .map(|v| (v.id, (v.visitor_key, v.customer_id)))
        .collect();
    let mut by_arm: Vec<Vec<Unit>> = vec![Vec::new(); arms.len()];
    let mut seen = HashSet::new();
    let mut place = |visitor: i64, at: chrono::DateTime<Utc>| {
        let Some((key, customer)) = visitors.get(&visitor) else {
            return;
        };
        if at < since || at > until || !seen.insert(visitor) {
            return;
        }
        let i = arm_of(row.id, &arms, key);
        by_arm[i].push(Unit {
            visitor,
            customer: *customer,
            holdout: false,
            exposed_at: at,
        });
    };
    match input.subject {
        Subject::Widget => {
            let public = input.subject_id.clone();
            for e in db::events::of_kinds_since(db, shop, &["recommendation_viewed"], since).await?
            {
                let of_widget =
                    e.payload.get("widget").and_then(|w| w.as_str()) == Some(public.as_str());
                let held = visitors
                    .get(&e.visitor_id)
                    .is_some_and(|(k, _)| crate::services::recommend::in_holdout(&public, k));
                if of_widget && !held {
                    place(e.visitor_id, e.occurred_at);
                }
            }
        }
        Subject::Offer => {
            let mut decisions = Vec::new();
            for offer in arms.iter().filter_map(|a| a.offer).collect::<HashSet<_>>() {
                decisions
                    .extend(db::offers::decisions_since(db, shop, offer, since, 1_000_000).await?);
            }
            decisions.sort_by_key(|d| (d.decided_at, d.id));
            for d in decisions.iter().filter(|d| d.why != "holdout") {
                place(d.visitor_id, d.decided_at);
            }
        }
    }
    Ok(by_arm)
}

/// Every arm against the control.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn results(
    db: &DatabaseConnection,
    shop: ShopId,
    id: i64,
) -> Result<ExperimentResults, AppError> {
    let row = db::experiments::get(db, shop, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no experiment with id {id}")))?;
    let experiment = to_api(db, shop, row.clone()).await?;
    let arms = arms_of(&row);
    let since = row
        .started_at
        .unwrap_or_else(|| Utc::now() - Duration::days(analytics::PERIOD_DAYS));
    let by_arm = experiment_units(db, shop, &row, &experiment.input).await?;
    let (_, cost_share) = analytics::shop_basics(db, shop).await?;
    let orders = db::offers::orders_since(db, shop, since).await?;
    let index = OrderIndex::new(&orders);
    let stats: Vec<ArmStats> = by_arm
        .iter()
        .map(|u| ArmStats::of(u, &index, cost_share))
        .collect();
    let srm = sample_ratio_mismatch(
        &stats
            .iter()
            .map(|s| s.summary("").visitors)
            .collect::<Vec<_>>(),
        &arms.iter().map(|a| a.weight).collect::<Vec<_>>(),
    );
    let control = stats.first().copied().unwrap_or_default();
    let results = arms
        .iter()
        .zip(&stats)
        .enumerate()
        .map(|(i, (a, s))| {
            let metrics = if i == 0 {
                Vec::new()
            } else {
                s.against(&control)
            };
            let verdict = if i == 0 {
                "The control: every other arm is compared with it.".to_owned()
            } else {
                arm_verdict(&a.name, &arms[0].name, srm, metrics.get(1))
            };
            ArmResult {
                summary: s.summary(&a.name),
                metrics,
                verdict,
            }
        })
        .collect();
    Ok(ExperimentResults {
        experiment,
        arms: results,
        srm_p_value: srm,
        attribution_window_hours: analytics::ATTRIBUTION_WINDOW_HOURS,
    })
}

fn arm_verdict(
    arm: &str,
    control: &str,
    srm: f64,
    rpv: Option<&attune_api::analytics::MetricResult>,
) -> String {
    if srm < 0.001 {
        return format!(
            "Do not trust this result: the arms' traffic does not match their weights (sample-ratio mismatch, p = {srm:.2e})."
        );
    }
    match rpv.and_then(|m| m.lift.zip(m.lift_ci).map(|(l, ci)| (m, l, ci))) {
        Some((m, l, (lo, hi))) if m.significant => format!(
            "Significant: “{arm}” changes revenue per visitor by {:+.1}% against “{control}” (95% CI {:+.1}% to {:+.1}%, chance to beat it {:.0}%).",
            l * 100.0,
            lo * 100.0,
            hi * 100.0,
            m.chance_to_win.unwrap_or(0.5) * 100.0
        ),
        Some((m, l, (lo, hi))) => format!(
            "Not significant yet: “{arm}” is at {:+.1}% revenue per visitor against “{control}”, but the 95% CI ({:+.1}% to {:+.1}%) includes no change (chance to beat it {:.0}%).",
            l * 100.0,
            lo * 100.0,
            hi * 100.0,
            m.chance_to_win.unwrap_or(0.5) * 100.0
        ),
        None => format!(
            "Not enough data yet to compare “{arm}” with “{control}”{}.",
            rpv.and_then(|m| m.undetermined.as_ref())
                .map(|u| format!(": {u}"))
                .unwrap_or_default()
        ),
    }
}
