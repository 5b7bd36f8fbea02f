//! Each active offer's purchase-intent model, fitted on the offer's own decision log: the
//! session features decided on, whether the visitor was offered the code, and whether they
//! ordered within [`ATTRIBUTION_WINDOW_HOURS`] of the decision. Refitted in the background of
//! requests at most every [`REFIT_MINUTES`]; until a fit succeeds the policy randomizes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attune_engine::offers::{IntentModel, Observation, Session};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::{self, ShopId};
use crate::error::AppError;

/// An order within this many hours of a decision counts as that decision's conversion.
pub const ATTRIBUTION_WINDOW_HOURS: i64 = 24;
pub const REFIT_MINUTES: u64 = 15;
/// The most recent decisions a fit reads.
const TRAINING_LIMIT: u64 = 50_000;
const TRAINING_DAYS: i64 = 90;

#[derive(Default)]
pub struct OfferModels {
    inner: Mutex<HashMap<(ShopId, i64), Entry>>,
}

struct Entry {
    checked: Instant,
    model: Option<Arc<IntentModel>>,
}

impl OfferModels {
    /// The offer's model, refitting it when due. Concurrent callers keep using the previous
    /// model while one of them refits.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
        offer: i64,
    ) -> Result<Option<Arc<IntentModel>>, AppError> {
        let key = (shop, offer);
        {
            let mut map = self
                .inner
                .lock()
                .map_err(|_| anyhow::anyhow!("offer models poisoned"))?;
            let due = Duration::from_secs(REFIT_MINUTES * 60);
            match map.get_mut(&key) {
                Some(e) if e.checked.elapsed() < due => return Ok(e.model.clone()),
                Some(e) => e.checked = Instant::now(),
                None => {
                    map.insert(
                        key,
                        Entry {
                            checked: Instant::now(),
                            model: None,
                        },
                    );
                }
            }
        }
        let observations = training_log(db, shop, offer).await?;
        let fitted = tokio::task::spawn_blocking(move || IntentModel::fit(&observations))
            .await
            .map_err(|e| anyhow::anyhow!("intent model fit panicked: {e}"))?;
        let model = match fitted {
            Ok(m) => Some(Arc::new(m)),
            Err(e) => {
                tracing::debug!(shop = %shop, offer, reason = %e, "no intent model yet");
                None
            }
        };
        let mut map = self
            .inner
            .lock()
            .map_err(|_| anyhow::anyhow!("offer models poisoned"))?;
        if let Some(e) = map.get_mut(&key) {
            if model.is_some() || e.model.is_none() {
                e.model = model.clone();
            }
            return Ok(e.model.clone());
        }
        Ok(model)
    }

    /// Forgets every model of a shop (e.g. after its data was erased).
    pub fn forget_shop(&self, shop: ShopId) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|(s, _), _| *s != shop);
        }
    }
}

/// The offer's logged decisions with their outcomes.
pub async fn training_log(
    db: &DatabaseConnection,
    shop: ShopId,
    offer: i64,
) -> Result<Vec<Observation>, AppError> {
    let now = Utc::now();
    let since = now - chrono::Duration::days(TRAINING_DAYS);
    let decisions = db::offers::decisions_since(db, shop, offer, since, TRAINING_LIMIT).await?;
    if decisions.is_empty() {
        return Ok(Vec::new());
    }
    let customer_of: HashMap<i64, i64> = db::events::visitors(db, shop)
        .await?
        .into_iter()
        .filter_map(|v| v.customer_id.map(|c| (v.id, c)))
        .collect();
    let mut by_visitor: HashMap<i64, Vec<DateTime<Utc>>> = HashMap::new();
    let mut by_customer: HashMap<i64, Vec<DateTime<Utc>>> = HashMap::new();
    for o in db::offers::orders_since(db, shop, since).await? {
        if let Some(v) = o.visitor {
            by_visitor.entry(v).or_default().push(o.placed_at);
        }
        if let Some(c) = o.customer {
            by_customer.entry(c).or_default().push(o.placed_at);
        }
    }
    let window = chrono::Duration::hours(ATTRIBUTION_WINDOW_HOURS);
    let within = |times: Option<&Vec<DateTime<Utc>>>, from: DateTime<Utc>| {
        times.is_some_and(|t| t.iter().any(|p| *p >= from && *p <= from + window))
    };
    Ok(decisions
        .into_iter()
        .filter_map(|d| {
            let session: Session = serde_json::from_value(d.features).ok()?;
            let converted = within(by_visitor.get(&d.visitor_id), d.decided_at)
                || customer_of
                    .get(&d.visitor_id)
                    .is_some_and(|c| within(by_customer.get(c), d.decided_at));
            Some(Observation {
                session,
                offered: d.action == "offer",
                converted,
            })
        })
        .collect())
}
