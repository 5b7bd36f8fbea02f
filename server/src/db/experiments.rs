//! A/B/n experiments, always within one shop.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::experiment;
use super::{DbErr, ShopId};

pub use experiment::Model as ExperimentRow;

pub struct ExperimentFields {
    pub name: String,
    pub subject_kind: String,
    pub subject_id: i64,
    pub arms: serde_json::Value,
    pub status: String,
}

pub async fn list(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<ExperimentRow>, DbErr> {
    experiment::Entity::find()
        .filter(experiment::Column::ShopId.eq(shop.get()))
        .order_by_asc(experiment::Column::Id)
        .all(db)
        .await
}

pub async fn running(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<ExperimentRow>, DbErr> {
    experiment::Entity::find()
        .filter(experiment::Column::ShopId.eq(shop.get()))
        .filter(experiment::Column::Status.eq("running"))
        .order_by_asc(experiment::Column::Id)
        .all(db)
        .await
}

pub async fn get(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: i64,
) -> Result<Option<ExperimentRow>, DbErr> {
    experiment::Entity::find()
        .filter(experiment::Column::ShopId.eq(shop.get()))
        .filter(experiment::Column::Id.eq(id))
        .one(db)
        .await
}

/// Inserts, or updates `id`. Starting sets `started_at` once; stopping sets `ended_at`.
pub async fn save(
    db: &impl ConnectionTrait,
    shop: ShopId,
    id: Option<i64>,
    f: ExperimentFields,
) -> Result<Option<ExperimentRow>, DbErr> {
    let now: DateTime<Utc> = Utc::now();
    let mut a: experiment::ActiveModel = match id {
        Some(id) => match get(db, shop, id).await? {
            Some(row) => row.into(),
            None => return Ok(None),
        },
        None => experiment::ActiveModel {
            shop_id: Set(shop.get()),
            created_at: Set(now),
            started_at: Set(None),
            ended_at: Set(None),
            ..Default::default()
        },
    };
    let was_started = matches!(&a.started_at, sea_orm::ActiveValue::Unchanged(Some(_)));
    if f.status == "running" && !was_started {
        a.started_at = Set(Some(now));
    }
    if f.status == "stopped" {
        a.ended_at = Set(Some(now));
    }
    a.name = Set(f.name);
    a.subject_kind = Set(f.subject_kind);
    a.subject_id = Set(f.subject_id);
    a.arms = Set(f.arms);
    a.status = Set(f.status);
    a.updated_at = Set(now);
    let row = match id {
        Some(_) => a.update(db).await?,
        None => a.insert(db).await?,
    };
    Ok(Some(row))
}
