//! Runs the durable job queue (`db::jobs`) in the background of every `attune serve`
//! process. Handlers are idempotent: a job may run again after a crash or a lapsed lease.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::db::{self, jobs::Job};
use crate::services;
use crate::state::AppState;

const LEASE_SECS: i64 = 600;
const MAX_ATTEMPTS: i32 = 6;
const IDLE_POLL: Duration = Duration::from_millis(500);

/// Wakes a sleeping worker as soon as this process queues a job.
#[derive(Default)]
pub struct Wakeup(Notify);

impl Wakeup {
    pub fn notify(&self) {
        self.0.notify_one();
    }
}

/// Starts a worker; it stops when `stop` turns true.
pub fn spawn(
    state: AppState,
    wakeup: Arc<Wakeup>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let worker = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                break;
            }
            match db::jobs::claim(&state.db, &worker, chrono::Duration::seconds(LEASE_SECS)).await {
                Ok(Some(job)) => run(&state, job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = wakeup.0.notified() => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim a job");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
    })
}

#[tracing::instrument(skip_all, fields(job = job.id, kind = %job.kind, shop = %job.shop, attempt = job.attempts))]
async fn run(state: &AppState, job: Job) {
    let result = handle(state, &job).await;
    let recorded = match result {
        Ok(()) => db::jobs::complete(&state.db, job.id).await,
        Err(e) => {
            let retry = (job.attempts < MAX_ATTEMPTS)
                .then(|| chrono::Duration::seconds(2i64.pow(job.attempts as u32)));
            tracing::warn!(
                error = format!("{e:#}"),
                retry = retry.is_some(),
                "job failed"
            );
            db::jobs::fail(&state.db, job.id, &format!("{e:#}"), retry).await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "could not record a job's outcome");
    }
}

async fn handle(state: &AppState, job: &Job) -> anyhow::Result<()> {
    match job.kind.as_str() {
        "webhook" => {
            let receipt = job
                .payload
                .get("receipt")
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| anyhow::anyhow!("webhook job without a receipt id"))?;
            services::webhooks::process_receipt(state, job.shop, receipt).await?;
            Ok(())
        }
        "sync_full" => services::sync::full(state, job.shop).await.map(|_| ()),
        // What an install sets up on the platform (older queues name it by platform).
        "platform_setup" | "activate_pixel" | "bigcommerce_hooks" => {
            services::install::set_up(state, job.shop).await
        }
        "sync_incremental" => services::sync::incremental(state, job.shop)
            .await
            .map(|_| ()),
        "refill_offer_codes" => {
            let offer = job
                .payload
                .get("offer")
                .and_then(serde_json::Value::as_i64)
                .ok_or_else(|| anyhow::anyhow!("refill job without an offer id"))?;
            services::offers::codes::refill(state, job.shop, offer).await
        }
        "bind_offer_code" => {
            let code = job.payload.get("code").and_then(serde_json::Value::as_i64);
            let customer = job
                .payload
                .get("customer")
                .and_then(serde_json::Value::as_str);
            let (Some(code), Some(customer)) = (code, customer) else {
                anyhow::bail!("code binding job without a code or customer");
            };
            services::offers::codes::bind(state, job.shop, code, customer).await
        }
        "rollup_analytics" => services::rollups::run(state, job.shop).await.map(|_| ()),
        other => anyhow::bail!("unknown job kind {other:?}"),
    }
}
