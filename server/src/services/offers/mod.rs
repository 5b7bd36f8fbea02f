//! Smart offers: the merchant's offers (validated, stored), the pools of single-use codes made
//! on the platform ahead of need ([`codes`]), the decision for each visitor ([`decide`]) and the
//! per-offer intent model it decides with ([`model`]).

pub mod codes;
pub mod decide;
pub mod model;

use attune_api::offers::{CodeCounts, Offer, OfferInput, OfferKind, OfferStatus, ValidOffer};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::offers::{self as store, OfferFields, OfferRow};
use crate::db::{self, ShopId};
use crate::error::AppError;

pub use model::OfferModels;

fn parse_time(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp())
}

fn at(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
}

/// The merchant's input as stored: the whole input in `rules`, the columns for queries.
fn fields(v: &ValidOffer, segment_id: Option<i64>) -> OfferFields {
    let i = &v.input;
    let value = match i.kind {
        OfferKind::Percentage => (i.percentage.unwrap_or(0.0) * 100.0).round() as i64,
        OfferKind::FixedAmount => i.amount_minor.unwrap_or(0),
        OfferKind::FreeShipping => i.shipping_cost_minor.unwrap_or(0),
    };
    OfferFields {
        name: i.name.trim().to_owned(),
        kind: i.kind.as_str().to_owned(),
        value,
        min_subtotal_minor: i.minimum_subtotal_minor,
        segment_id,
        rules: serde_json::to_value(i).unwrap_or_default(),
        status: i.status.as_str().to_owned(),
        starts_at: at(v.starts_at),
        ends_at: at(v.ends_at),
    }
}

/// The stored input of an offer row.
pub fn input_of(row: &OfferRow) -> Result<OfferInput, AppError> {
    serde_json::from_value(row.rules.clone())
        .map_err(|e| anyhow::anyhow!("offer {} has unreadable rules: {e}", row.id).into())
}

async fn to_api(db: &DatabaseConnection, shop: ShopId, row: OfferRow) -> Result<Offer, AppError> {
    let (available, assigned, redeemed) = store::code_counts(db, shop, row.id).await?;
    let mut input = input_of(&row)?;
    input.status = OfferStatus::parse(&row.status).unwrap_or_default();
    Ok(Offer {
        id: row.id,
        input,
        codes: CodeCounts {
            available,
            assigned,
            redeemed,
        },
        created_at: row.created_at.to_rfc3339(),
        updated_at: row.updated_at.to_rfc3339(),
    })
}

async fn segment_row(
    db: &DatabaseConnection,
    shop: ShopId,
    segment: Option<&str>,
) -> Result<Option<i64>, AppError> {
    let Some(public) = segment.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    db::segments::get(db, shop, public)
        .await?
        .map(|s| Some(s.id))
        .ok_or_else(|| AppError::field("segment", format!("no segment with id {public}")))
}

fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("no offer with id {id}"))
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn list(db: &DatabaseConnection, shop: ShopId) -> Result<Vec<Offer>, AppError> {
    let mut out = Vec::new();
    for row in store::list(db, shop).await? {
        out.push(to_api(db, shop, row).await?);
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn get(db: &DatabaseConnection, shop: ShopId, id: i64) -> Result<Offer, AppError> {
    let row = store::get(db, shop, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    to_api(db, shop, row).await
}

/// Creates an offer; an active one has its code pool filled in the background at once.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn create(
    db: &DatabaseConnection,
    jobs: &crate::jobs::Wakeup,
    shop: ShopId,
    input: &OfferInput,
) -> Result<Offer, AppError> {
    let valid = input.validate(parse_time).map_err(AppError::Validation)?;
    let segment = segment_row(db, shop, input.segment.as_deref()).await?;
    let row = store::insert(db, shop, fields(&valid, segment)).await?;
    if row.status == "active" {
        codes::request_refill(db, jobs, shop, row.id).await?;
    }
    to_api(db, shop, row).await
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn update(
    db: &DatabaseConnection,
    jobs: &crate::jobs::Wakeup,
    shop: ShopId,
    id: i64,
    input: &OfferInput,
) -> Result<Offer, AppError> {
    let valid = input.validate(parse_time).map_err(AppError::Validation)?;
    let segment = segment_row(db, shop, input.segment.as_deref()).await?;
    let row = store::update(db, shop, id, fields(&valid, segment))
        .await?
        .ok_or_else(|| not_found(id))?;
    if row.status == "active" {
        codes::request_refill(db, jobs, shop, row.id).await?;
    }
    to_api(db, shop, row).await
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn delete(db: &DatabaseConnection, shop: ShopId, id: i64) -> Result<(), AppError> {
    if store::delete(db, shop, id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}
