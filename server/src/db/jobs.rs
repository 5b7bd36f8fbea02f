//! The durable job queue. Any process may run any job: a worker claims one with a
//! compare-and-set on its status and lease, so two processes never run the same job at once,
//! and a job whose worker died is taken again when its lease lapses.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use super::entities::job;
use super::{DbErr, ShopId};

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub shop: ShopId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

pub async fn enqueue(
    db: &impl ConnectionTrait,
    shop: ShopId,
    kind: &str,
    payload: serde_json::Value,
    run_at: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let now = Utc::now();
    let row = job::ActiveModel {
        shop_id: Set(shop.get()),
        kind: Set(kind.to_owned()),
        payload: Set(payload),
        status: Set("queued".to_owned()),
        attempts: Set(0),
        run_at: Set(run_at),
        locked_by: Set(None),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row.id)
}

fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all().add(job::Column::RunAt.lte(now)).add(
        Condition::any().add(job::Column::Status.eq("queued")).add(
            Condition::all()
                .add(job::Column::Status.eq("running"))
                .add(job::Column::LockedUntil.lt(now)),
        ),
    )
}

/// Claims the next due job for `worker` with a lease of `lease`, or `None` when none is due.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    lease: Duration,
) -> Result<Option<Job>, DbErr> {
    for _ in 0..5 {
        let now = Utc::now();
        let Some(candidate) = job::Entity::find()
            .filter(claimable(now))
            .order_by_asc(job::Column::RunAt)
            .order_by_asc(job::Column::Id)
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let res = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value("running"))
            .col_expr(job::Column::LockedBy, Expr::value(worker))
            .col_expr(job::Column::LockedUntil, Expr::value(now + lease))
            .col_expr(job::Column::Attempts, Expr::value(candidate.attempts + 1))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(candidate.id))
            .filter(job::Column::Attempts.eq(candidate.attempts))
            .filter(claimable(now))
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            return Ok(Some(Job {
                id: candidate.id,
                shop: ShopId::from_row(candidate.shop_id),
                kind: candidate.kind,
                payload: candidate.payload,
                attempts: candidate.attempts + 1,
            }));
        }
        // Another worker took it first: look again.
    }
    Ok(None)
}

pub async fn complete(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value("done"))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failure: retried after `retry_in`, or failed for good when `retry_in` is `None`.
pub async fn fail(
    db: &impl ConnectionTrait,
    id: i64,
    error: &str,
    retry_in: Option<Duration>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let (status, run_at) = match retry_in {
        Some(d) => ("queued", now + d),
        None => ("failed", now),
    };
    job::Entity::update_many()
        .col_expr(job::Column::Status, Expr::value(status))
        .col_expr(job::Column::RunAt, Expr::value(run_at))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            job::Column::LastError,
            Expr::value(error.chars().take(2000).collect::<String>()),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Jobs of a shop due now and not yet done (scheduled ones are not counted), for status
/// displays and tests.
pub async fn pending(db: &impl ConnectionTrait, shop: ShopId) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    job::Entity::find()
        .filter(job::Column::ShopId.eq(shop.get()))
        .filter(
            Condition::any().add(job::Column::Status.eq("running")).add(
                Condition::all()
                    .add(job::Column::Status.eq("queued"))
                    .add(job::Column::RunAt.lte(Utc::now())),
            ),
        )
        .count(db)
        .await
}

/// Whether a job of this kind is already waiting for the shop, due by `due_by` when given
/// (avoids piling up schedules and repeated "sync now" clicks).
pub async fn has_queued(
    db: &impl ConnectionTrait,
    shop: ShopId,
    kind: &str,
    due_by: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;
    let mut q = job::Entity::find()
        .filter(job::Column::ShopId.eq(shop.get()))
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::Status.eq("queued"));
    if let Some(t) = due_by {
        q = q.filter(job::Column::RunAt.lte(t));
    }
    Ok(q.count(db).await? > 0)
}
