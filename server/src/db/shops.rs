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
    db: &impl sea_orm::ConnectionTrait,
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

pub async fn get(db: &impl sea_orm::ConnectionTrait, id: ShopId) -> Result<Option<Shop>, DbErr> {
    Ok(shop::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .map(Shop::from))
}

/// A new shop row, installed now, with its tokens when known.
fn new_installed(
    platform: &str,
    domain: &str,
    name: &str,
    currency: &str,
    tokens: Option<&SealedTokens>,
) -> shop::ActiveModel {
    let now = Utc::now();
    shop::ActiveModel {
        platform: Set(platform.to_owned()),
        domain: Set(domain.to_owned()),
        name: Set(name.to_owned()),
        currency: Set(currency.to_owned()),
        access_token_ciphertext: Set(tokens.map(|t| t.access.clone())),
        access_token_expires_at: Set(tokens.and_then(|t| t.access_expires_at)),
        refresh_token_ciphertext: Set(tokens.and_then(|t| t.refresh.clone())),
        refresh_token_expires_at: Set(tokens.and_then(|t| t.refresh_expires_at)),
        scopes: Set(tokens.map(|t| t.scopes.clone()).unwrap_or_default()),
        status: Set("installed".to_owned()),
        installed_at: Set(now),
        uninstalled_at: Set(None),
        settings: Set(serde_json::json!({})),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
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
    let model = new_installed(platform, domain, name, currency, None)
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

/// A platform token pair, already encrypted by the caller.
#[derive(Debug, Clone)]
pub struct SealedTokens {
    pub access: String,
    pub access_expires_at: Option<chrono::DateTime<Utc>>,
    pub refresh: Option<String>,
    pub refresh_expires_at: Option<chrono::DateTime<Utc>>,
    pub scopes: String,
}

/// Marks the shop installed with these tokens, creating it if needed. One statement per
/// case, so the access and refresh tokens always change together.
pub async fn install(
    db: &impl sea_orm::ConnectionTrait,
    platform: &str,
    domain: &str,
    tokens: &SealedTokens,
) -> Result<ShopId, DbErr> {
    let now = Utc::now();
    if let Some(existing) = find_by_domain(db, platform, domain).await? {
        store_tokens(db, existing.id, tokens).await?;
        use sea_orm::sea_query::Expr;
        shop::Entity::update_many()
            .col_expr(shop::Column::Status, Expr::value("installed"))
            .col_expr(
                shop::Column::UninstalledAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .col_expr(shop::Column::InstalledAt, Expr::value(now))
            .filter(shop::Column::Id.eq(existing.id.get()))
            .filter(shop::Column::Status.ne("installed"))
            .exec(db)
            .await?;
        return Ok(existing.id);
    }
    let model = new_installed(platform, domain, "", "USD", Some(tokens))
        .insert(db)
        .await?;
    Ok(ShopId::from_row(model.id))
}

/// Replaces the token pair in one UPDATE.
pub async fn store_tokens(
    db: &impl sea_orm::ConnectionTrait,
    id: ShopId,
    t: &SealedTokens,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    shop::Entity::update_many()
        .col_expr(
            shop::Column::AccessTokenCiphertext,
            Expr::value(Some(t.access.clone())),
        )
        .col_expr(
            shop::Column::AccessTokenExpiresAt,
            Expr::value(t.access_expires_at),
        )
        .col_expr(
            shop::Column::RefreshTokenCiphertext,
            Expr::value(t.refresh.clone()),
        )
        .col_expr(
            shop::Column::RefreshTokenExpiresAt,
            Expr::value(t.refresh_expires_at),
        )
        .col_expr(shop::Column::Scopes, Expr::value(t.scopes.clone()))
        .col_expr(shop::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(shop::Column::Id.eq(id.get()))
        .exec(db)
        .await?;
    Ok(())
}

/// The stored (encrypted) token pair, if the shop has one.
pub async fn sealed_tokens(
    db: &impl sea_orm::ConnectionTrait,
    id: ShopId,
) -> Result<Option<SealedTokens>, DbErr> {
    Ok(shop::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .and_then(|s| {
            Some(SealedTokens {
                access: s.access_token_ciphertext?,
                access_expires_at: s.access_token_expires_at,
                refresh: s.refresh_token_ciphertext,
                refresh_expires_at: s.refresh_token_expires_at,
                scopes: s.scopes,
            })
        }))
}

pub async fn set_profile(
    db: &impl sea_orm::ConnectionTrait,
    id: ShopId,
    name: &str,
    currency: &str,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    shop::Entity::update_many()
        .col_expr(shop::Column::Name, Expr::value(name))
        .col_expr(shop::Column::Currency, Expr::value(currency))
        .filter(shop::Column::Id.eq(id.get()))
        .exec(db)
        .await?;
    Ok(())
}

/// Merges `patch` into the shop's settings JSON under `key` (e.g. the sync status).
pub async fn put_setting(
    db: &impl sea_orm::ConnectionTrait,
    id: ShopId,
    key: &str,
    value: serde_json::Value,
) -> Result<(), DbErr> {
    let Some(row) = shop::Entity::find_by_id(id.get()).one(db).await? else {
        return Ok(());
    };
    let mut settings = row.settings.clone();
    if !settings.is_object() {
        settings = serde_json::json!({});
    }
    settings[key] = value;
    let mut active: shop::ActiveModel = row.into();
    active.settings = Set(settings);
    active.update(db).await?;
    Ok(())
}

pub async fn setting(
    db: &impl sea_orm::ConnectionTrait,
    id: ShopId,
    key: &str,
) -> Result<Option<serde_json::Value>, DbErr> {
    Ok(shop::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .and_then(|s| s.settings.get(key).cloned()))
}

/// Every shop that holds tokens: `(id, domain)`, for key rotation.
pub async fn with_tokens(
    db: &impl sea_orm::ConnectionTrait,
) -> Result<Vec<(ShopId, String)>, DbErr> {
    Ok(shop::Entity::find()
        .filter(shop::Column::AccessTokenCiphertext.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|s| (ShopId::from_row(s.id), s.domain))
        .collect())
}
