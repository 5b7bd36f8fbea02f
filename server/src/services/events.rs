//! Storefront event ingestion: consent, identity, and durable storage with group commit.
//!
//! Handlers hand a validated batch to [`EventSink::submit`], which answers only once the
//! batch is committed. A writer task takes every batch waiting at that moment and commits
//! them in one transaction, so under load one commit (one WAL sync) serves many requests,
//! and a 2xx still means "durable". On SQLite (WAL, `synchronous=NORMAL`) a committed batch
//! survives the process being killed; surviving power loss needs `synchronous=FULL`.

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use attune_api::events::{EventBatch, EventsAccepted, SessionContext};

use crate::db::events::{NewEvent, Stored, VisitorBatch};
use crate::db::{self, ShopId};
use crate::error::AppError;

/// Most batches committed together.
const MAX_GROUP: usize = 256;
/// Requests waiting for a writer before new ones are turned away (503, retried by the script).
const QUEUE: usize = 8_192;

struct Job {
    batch: VisitorBatch,
    done: oneshot::Sender<Result<Stored, String>>,
}

/// The handle handlers submit batches to.
#[derive(Clone)]
pub struct EventSink {
    tx: mpsc::Sender<Job>,
}

impl EventSink {
    /// Starts the writer task on the current runtime. One writer keeps batches in arrival
    /// order (a refusal is never overtaken); group commit gives it the throughput.
    pub fn start(
        db: DatabaseConnection,
        segments: std::sync::Arc<crate::services::segments::SegmentCache>,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Job>(QUEUE);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        {
            let db = db.clone();
            let rx = rx.clone();
            let segments = segments.clone();
            tokio::spawn(async move {
                loop {
                    let mut group = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else {
                            return;
                        };
                        group.push(first);
                        while group.len() < MAX_GROUP {
                            match rx.try_recv() {
                                Ok(j) => group.push(j),
                                Err(_) => break,
                            }
                        }
                    }
                    write_group(&db, &segments, group).await;
                }
            });
        }
        EventSink { tx }
    }

    /// Stores one visitor's batch; returns once it is committed.
    pub async fn submit(&self, batch: VisitorBatch) -> Result<Stored, AppError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .try_send(Job { batch, done })
            .map_err(|_| AppError::Unavailable("event queue is full; retry shortly".into()))?;
        match wait.await {
            Ok(Ok(stored)) => Ok(stored),
            Ok(Err(e)) => Err(AppError::Unavailable(format!("events not stored: {e}"))),
            Err(_) => Err(AppError::Unavailable("event writer stopped".into())),
        }
    }
}

/// Hands stored events to the segments' population view, so live counts follow them.
fn absorb(segments: &crate::services::segments::SegmentCache, b: &VisitorBatch) {
    let seen: Vec<crate::services::profiles::SeenEvent> = b
        .events
        .iter()
        .filter_map(|e| {
            crate::services::profiles::SeenEvent::from_parts(
                e.kind,
                e.occurred_at.timestamp(),
                &e.product,
                &e.payload,
            )
        })
        .collect();
    segments.absorb(b.shop, &b.visitor_key, b.customer, &seen);
}

async fn write_group(
    db: &DatabaseConnection,
    segments: &crate::services::segments::SegmentCache,
    group: Vec<Job>,
) {
    let now = Utc::now();
    let batches: Vec<VisitorBatch> = group.iter().map(|j| j.batch.clone()).collect();
    match db::events::store(db, &batches, now).await {
        Ok(results) => {
            for (job, r) in group.into_iter().zip(results) {
                if r.stored > 0 {
                    absorb(segments, &job.batch);
                }
                let _ = job.done.send(Ok(r));
            }
        }
        // One bad batch must not sink the others: retry each alone.
        Err(e) if group.len() > 1 => {
            tracing::warn!(error = %e, batches = group.len(), "group commit failed; retrying one by one");
            for job in group {
                let r = db::events::store(db, std::slice::from_ref(&job.batch), now)
                    .await
                    .map(|mut v| v.pop().unwrap_or_default())
                    .map_err(|e| e.to_string());
                match &r {
                    Ok(stored) if stored.stored > 0 => absorb(segments, &job.batch),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "event batch not stored"),
                }
                let _ = job.done.send(r);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "event batch not stored");
            for job in group {
                let _ = job.done.send(Err(e.to_string()));
            }
        }
    }
}

fn context_json(c: &SessionContext) -> Option<Value> {
    let v = serde_json::to_value(c).ok()?;
    v.as_object().is_some_and(|o| !o.is_empty()).then_some(v)
}

/// Accepts a validated batch for a shop. `customer` is the platform's customer id from
/// signed data only (the app proxy's `logged_in_customer_id`); it stitches the visitor.
#[tracing::instrument(skip_all, fields(shop = %shop, events = batch.events.len()))]
pub async fn ingest(
    db: &DatabaseConnection,
    sink: &EventSink,
    shop: ShopId,
    batch: EventBatch,
    customer: Option<&str>,
) -> Result<EventsAccepted, AppError> {
    if !batch.analytics_consent {
        // Refused analytics: store nothing, and forget what this browser sent before, in
        // queue order so an earlier batch still in flight cannot outlive the refusal.
        sink.submit(VisitorBatch {
            shop,
            visitor_key: batch.visitor,
            customer: None,
            events: Vec::new(),
            forget: true,
        })
        .await?;
        return Ok(EventsAccepted {
            stored: 0,
            duplicates: 0,
        });
    }
    let customer = match customer {
        Some(pid) => Some(customer_row(db, shop, pid).await?),
        None => None,
    };
    let context = context_json(&batch.context);
    let events = batch
        .events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let mut payload = Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    payload.insert(k.to_owned(), v);
                }
            };
            put("collection", e.collection.map(Value::from));
            put("query", e.query.map(Value::from));
            put("url", e.url.map(Value::from));
            put("quantity", e.quantity.map(Value::from));
            put("value_minor", e.value_minor.map(Value::from));
            put("cart_value_minor", e.cart_value_minor.map(Value::from));
            put("cart_items", e.cart_items.map(Value::from));
            put("widget", e.widget.map(Value::from));
            put("offer", e.offer.map(Value::from));
            // The session's context travels with the batch; keep it once, on its first event.
            if i == 0 {
                put("context", context.clone());
            }
            NewEvent {
                key: e.id,
                kind: e.kind.as_str(),
                product: e.product.unwrap_or_default(),
                payload: Value::Object(payload),
                occurred_at: at(e.at),
            }
        })
        .collect();
    let stored = sink
        .submit(VisitorBatch {
            shop,
            visitor_key: batch.visitor,
            customer,
            events,
            forget: false,
        })
        .await?;
    Ok(EventsAccepted {
        stored: stored.stored,
        duplicates: stored.duplicates,
    })
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_else(Utc::now)
}

/// Our row for a signed customer id, created bare if the customer is not synced yet (the next
/// sync or customer webhook fills it in).
async fn customer_row(db: &DatabaseConnection, shop: ShopId, pid: &str) -> Result<i64, AppError> {
    if let Some(id) = db::orders::customer_row_id(db, shop, pid).await? {
        return Ok(id);
    }
    let ids = db::orders::insert_customers(db, shop, &[(pid.to_owned(), Utc::now())]).await?;
    ids.get(pid)
        .copied()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("customer row not created")))
}

/// An identity link from signed data outside the storefront (an order webhook's cart
/// attribute carrying our visitor id).
pub async fn stitch(
    db: &DatabaseConnection,
    shop: ShopId,
    visitor_key: &str,
    customer_platform_id: &str,
) -> Result<(), AppError> {
    let customer = customer_row(db, shop, customer_platform_id).await?;
    db::events::stitch(db, shop, visitor_key, customer).await?;
    Ok(())
}

/// The body of a 202 answer.
pub fn accepted_json(a: &EventsAccepted) -> Value {
    json!({ "stored": a.stored, "duplicates": a.duplicates })
}
