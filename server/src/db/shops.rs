//! Shops: lookup by platform identity, and the demo shop's upsert.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::entities::shop;
use super::{DbErr, ShopId};

#[derive(Debug, Clone)]
pub struct Shop {
    pub id: ShopId,
    pub platform: String,
    pub domain: String,
    pub name: String,
    pub currency: String,
    pub installed: bool,
}

impl From<shop::Model> for Shop {
    fn from(m: shop::Model) -> Self {
        Shop {
            id: ShopId::from_row(m.id),
            installed: m.status == "installed",
            platform: m.platform,
            domain: m.domain,
            name: m.name,
            currency: m.currency,
        }
    }
}

pub async fn find_by_domain(
    db: &DatabaseConnection,
    platform: &str,
    domain: &str,
) -> Result<Option<Shop>, DbErr> {
    Ok(shop::Entity::find()
        .filter(shop::Column::Platform.eq(platform))
        .filter(shop::Column::Domain.eq(domain))
        .one(db)
        .await?
        .map(Shop::from))
}

pub async fn get(db: &DatabaseConnection, id: ShopId) -> Result<Option<Shop>, DbErr> {
    Ok(shop::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .map(Shop::from))
}

/// Creates the shop if it does not exist (installed, no tokens) and returns it.
pub async fn ensure(
    db: &DatabaseConnection,
    platform: &str,
    domain: &str,
    name: &str,
    currency: &str,
) -> Result<Shop, DbErr> {
    if let Some(existing) = find_by_domain(db, platform, domain).await? {
        return Ok(existing);
    }
    let now = Utc::now();
    let model = shop::ActiveModel {
        platform: Set(platform.to_owned()),
        domain: Set(domain.to_owned()),
        name: Set(name.to_owned()),
        currency: Set(currency.to_owned()),
        access_token_ciphertext: Set(None),
        access_token_expires_at: Set(None),
        refresh_token_ciphertext: Set(None),
        refresh_token_expires_at: Set(None),
        scopes: Set(String::new()),
        status: Set("installed".to_owned()),
        installed_at: Set(now),
        uninstalled_at: Set(None),
        settings: Set(serde_json::json!({})),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(model.into())
}

/// The app was uninstalled: forget its tokens at once and stop serving the shop. Data stays
/// until the platform's shop erasure request (or the retention policy).
pub async fn mark_uninstalled(db: &impl sea_orm::ConnectionTrait, id: ShopId) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    let now = Utc::now();
    let none_time: Option<chrono::DateTime<Utc>> = None;
    shop::Entity::update_many()
        .col_expr(
            shop::Column::AccessTokenCiphertext,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            shop::Column::RefreshTokenCiphertext,
            Expr::value(Option::<String>::None),
        )
        .col_expr(shop::Column::AccessTokenExpiresAt, Expr::value(none_time))
        .col_expr(shop::Column::RefreshTokenExpiresAt, Expr::value(none_time))
        .col_expr(shop::Column::Status, Expr::value("uninstalled"))
        .col_expr(shop::Column::UninstalledAt, Expr::value(Some(now)))
        .col_expr(shop::Column::UpdatedAt, Expr::value(now))
        .filter(shop::Column::Id.eq(id.get()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn set_scopes(
    db: &impl sea_orm::ConnectionTrait,
    id: ShopId,
    scopes: &[String],
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    shop::Entity::update_many()
        .col_expr(shop::Column::Scopes, Expr::value(scopes.join(",")))
        .col_expr(shop::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(shop::Column::Id.eq(id.get()))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the shop still holds an access token (tests and status pages; never the token).
pub async fn has_tokens(db: &impl sea_orm::ConnectionTrait, id: ShopId) -> Result<bool, DbErr> {
    Ok(shop::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .is_some_and(|s| {
            s.access_token_ciphertext.is_some() || s.refresh_token_ciphertext.is_some()
        }))
}
