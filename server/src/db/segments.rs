//! A shop's segments and their daily sizes.

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::entities::{segment, segment_size};
use super::{DbErr, ShopId};

pub use segment::Model as SegmentRow;

/// What a merchant sets.
#[derive(Debug, Clone)]
pub struct SegmentFields {
    pub name: String,
    pub description: String,
    pub template: String,
    /// Already validated (`attune_api::segments`).
    pub rules: serde_json::Value,
}

pub async fn list(db: &impl ConnectionTrait, shop: ShopId) -> Result<Vec<SegmentRow>, DbErr> {
    segment::Entity::find()
        .filter(segment::Column::ShopId.eq(shop.get()))
        .order_by_asc(segment::Column::Id)
        .all(db)
        .await
}

pub async fn get(
    db: &impl ConnectionTrait,
    shop: ShopId,
    public_id: &str,
) -> Result<Option<SegmentRow>, DbErr> {
    segment::Entity::find()
        .filter(segment::Column::ShopId.eq(shop.get()))
        .filter(segment::Column::PublicId.eq(public_id))
        .one(db)
        .await
}

pub async fn insert(
    db: &impl ConnectionTrait,
    shop: ShopId,
    public_id: &str,
    f: SegmentFields,
) -> Result<SegmentRow, DbErr> {
    let now = Utc::now();
    segment::ActiveModel {
        shop_id: Set(shop.get()),
        public_id: Set(public_id.to_owned()),
        name: Set(f.name),
        description: Set(f.description),
        template: Set(f.template),
        rules: Set(f.rules),
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
    public_id: &str,
    f: SegmentFields,
) -> Result<Option<SegmentRow>, DbErr> {
    let Some(row) = get(db, shop, public_id).await? else {
        return Ok(None);
    };
    let mut am: segment::ActiveModel = row.into();
    am.name = Set(f.name);
    am.description = Set(f.description);
    am.rules = Set(f.rules);
    am.updated_at = Set(Utc::now());
    Ok(Some(am.update(db).await?))
}

pub async fn delete(
    db: &impl ConnectionTrait,
    shop: ShopId,
    public_id: &str,
) -> Result<bool, DbErr> {
    let r = segment::Entity::delete_many()
        .filter(segment::Column::ShopId.eq(shop.get()))
        .filter(segment::Column::PublicId.eq(public_id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Records today's size of a segment (the last count of the day wins).
pub async fn record_size(
    db: &impl ConnectionTrait,
    shop: ShopId,
    segment_id: i64,
    day: NaiveDate,
    size: i64,
) -> Result<(), DbErr> {
    segment_size::Entity::insert(segment_size::ActiveModel {
        shop_id: Set(shop.get()),
        segment_id: Set(segment_id),
        day: Set(day),
        size: Set(size),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            segment_size::Column::ShopId,
            segment_size::Column::SegmentId,
            segment_size::Column::Day,
        ])
        .update_column(segment_size::Column::Size)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Daily sizes since `from`, oldest first: `(segment id, day, size)`.
pub async fn sizes_since(
    db: &impl ConnectionTrait,
    shop: ShopId,
    from: NaiveDate,
) -> Result<Vec<(i64, NaiveDate, i64)>, DbErr> {
    Ok(segment_size::Entity::find()
        .filter(segment_size::Column::ShopId.eq(shop.get()))
        .filter(segment_size::Column::Day.gte(from))
        .order_by_asc(segment_size::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.segment_id, r.day, r.size))
        .collect())
}
