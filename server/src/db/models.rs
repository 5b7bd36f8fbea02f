//! Built recommendation models, one row per shop: every process reads the latest, and a
//! process that builds one stores it only if nobody stored another since it last looked.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::entities::recommendation_model as row;
use super::{DbErr, ShopId};

/// The stored model's version, if the shop has one.
pub async fn version(db: &impl ConnectionTrait, shop: ShopId) -> Result<Option<i64>, DbErr> {
    row::Entity::find()
        .select_only()
        .column(row::Column::Version)
        .filter(row::Column::ShopId.eq(shop.get()))
        .into_tuple()
        .one(db)
        .await
}

/// The stored model: `(version, data)`.
pub async fn load(
    db: &impl ConnectionTrait,
    shop: ShopId,
) -> Result<Option<(i64, Vec<u8>)>, DbErr> {
    Ok(row::Entity::find()
        .filter(row::Column::ShopId.eq(shop.get()))
        .one(db)
        .await?
        .map(|r| (r.version, r.data)))
}

/// Stores a model built on top of version `over` (`None`: the shop had none). Returns the new
/// version, or `None` when another process stored one first (its model is then the one to use).
pub async fn store(
    db: &impl ConnectionTrait,
    shop: ShopId,
    over: Option<i64>,
    source: &str,
    data: Vec<u8>,
) -> Result<Option<i64>, DbErr> {
    match over {
        None => {
            let insert = row::ActiveModel {
                shop_id: Set(shop.get()),
                version: Set(1),
                source: Set(source.to_owned()),
                built_at: Set(Utc::now()),
                data: Set(data),
                ..Default::default()
            }
            .insert(db)
            .await;
            match insert {
                Ok(_) => Ok(Some(1)),
                // The unique shop id: someone else stored first.
                Err(e) if version(db, shop).await?.is_some() => {
                    tracing::debug!(error = %e, "another process stored a model first");
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        }
        Some(v) => {
            let done = row::Entity::update_many()
                .col_expr(row::Column::Version, Expr::value(v + 1))
                .col_expr(row::Column::Source, Expr::value(source.to_owned()))
                .col_expr(row::Column::BuiltAt, Expr::value(Utc::now()))
                .col_expr(row::Column::Data, Expr::value(data))
                .filter(row::Column::ShopId.eq(shop.get()))
                .filter(row::Column::Version.eq(v))
                .exec(db)
                .await?;
            Ok((done.rows_affected == 1).then_some(v + 1))
        }
    }
}
