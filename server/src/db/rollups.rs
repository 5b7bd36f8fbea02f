//! Daily rollups, always within one shop.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entities::daily_rollup;
use super::{DbErr, ShopId};

pub use daily_rollup::Model as RollupRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub day: String,
    pub subject_kind: &'static str,
    pub subject_id: String,
    pub arm: String,
    pub visitors: i64,
    pub converters: i64,
    pub orders: i64,
    pub revenue_minor: i64,
}

/// Writes the rows, replacing any for the same day, subject and arm.
pub async fn upsert(
    db: &impl ConnectionTrait,
    shop: ShopId,
    rows: Vec<Rollup>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    for chunk in rows.chunks(200) {
        let models = chunk.iter().map(|r| daily_rollup::ActiveModel {
            shop_id: Set(shop.get()),
            day: Set(r.day.clone()),
            subject_kind: Set(r.subject_kind.to_owned()),
            subject_id: Set(r.subject_id.clone()),
            arm: Set(r.arm.clone()),
            visitors: Set(r.visitors),
            converters: Set(r.converters),
            orders: Set(r.orders),
            revenue_minor: Set(r.revenue_minor),
            computed_at: Set(now),
            ..Default::default()
        });
        daily_rollup::Entity::insert_many(models)
            .on_conflict(
                OnConflict::columns([
                    daily_rollup::Column::ShopId,
                    daily_rollup::Column::Day,
                    daily_rollup::Column::SubjectKind,
                    daily_rollup::Column::SubjectId,
                    daily_rollup::Column::Arm,
                ])
                .update_columns([
                    daily_rollup::Column::Visitors,
                    daily_rollup::Column::Converters,
                    daily_rollup::Column::Orders,
                    daily_rollup::Column::RevenueMinor,
                    daily_rollup::Column::ComputedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A shop's rollups since a day (inclusive), oldest first.
pub async fn since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    day: &str,
) -> Result<Vec<RollupRow>, DbErr> {
    daily_rollup::Entity::find()
        .filter(daily_rollup::Column::ShopId.eq(shop.get()))
        .filter(daily_rollup::Column::Day.gte(day))
        .order_by_asc(daily_rollup::Column::Day)
        .order_by_asc(daily_rollup::Column::SubjectKind)
        .order_by_asc(daily_rollup::Column::SubjectId)
        .order_by_asc(daily_rollup::Column::Arm)
        .all(db)
        .await
}
