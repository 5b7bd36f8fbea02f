//! Widget management for the admin: validated input in, `api` types out.

use attune_api::widgets::{Placement, Strategy, ValidWidget, Widget, WidgetInput};
use sea_orm::DatabaseConnection;

use crate::db::ShopId;
use crate::db::widgets::{self as store, WidgetFields, WidgetRow};
use crate::error::AppError;

fn to_api(row: WidgetRow) -> Result<Widget, AppError> {
    let placement = Placement::parse(&row.placement)
        .ok_or_else(|| anyhow::anyhow!("widget {} has unknown placement", row.id))?;
    let strategy = Strategy::parse(&row.strategy)
        .ok_or_else(|| anyhow::anyhow!("widget {} has unknown strategy", row.id))?;
    Ok(Widget {
        id: row.public_id,
        name: row.name,
        placement,
        strategy,
        max_products: u32::try_from(row.max_products).unwrap_or(0),
        title: row.title,
        rules: serde_json::from_value(row.rules).unwrap_or_default(),
        created_at: row.created_at.to_rfc3339(),
        updated_at: row.updated_at.to_rfc3339(),
    })
}

fn fields(v: ValidWidget) -> WidgetFields {
    WidgetFields {
        name: v.name,
        placement: v.placement.as_str().to_owned(),
        strategy: v.strategy.as_str().to_owned(),
        max_products: v.max_products as i32,
        title: v.title,
        rules: serde_json::to_value(&v.rules).unwrap_or_default(),
    }
}

/// Public ids are UUIDs; anything else cannot name a widget.
pub fn check_public_id(id: &str) -> Result<(), AppError> {
    uuid::Uuid::parse_str(id)
        .map(|_| ())
        .map_err(|_| AppError::field("id", "is not a widget id"))
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn list(db: &DatabaseConnection, shop: ShopId) -> Result<Vec<Widget>, AppError> {
    store::list(db, shop)
        .await?
        .into_iter()
        .map(to_api)
        .collect()
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn get(db: &DatabaseConnection, shop: ShopId, id: &str) -> Result<Widget, AppError> {
    check_public_id(id)?;
    let row = store::get(db, shop, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no widget with id {id}")))?;
    to_api(row)
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn create(
    db: &DatabaseConnection,
    shop: ShopId,
    input: &WidgetInput,
) -> Result<Widget, AppError> {
    let valid = input.validate().map_err(AppError::Validation)?;
    check_segments(db, shop, &valid.rules.segments).await?;
    to_api(store::insert(db, shop, fields(valid)).await?)
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn update(
    db: &DatabaseConnection,
    shop: ShopId,
    id: &str,
    input: &WidgetInput,
) -> Result<Widget, AppError> {
    check_public_id(id)?;
    let valid = input.validate().map_err(AppError::Validation)?;
    check_segments(db, shop, &valid.rules.segments).await?;
    let row = store::update(db, shop, id, fields(valid))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no widget with id {id}")))?;
    to_api(row)
}

/// A widget can only be limited to segments of its own shop that exist.
async fn check_segments(
    db: &DatabaseConnection,
    shop: ShopId,
    ids: &[String],
) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = crate::db::segments::list(db, shop)
        .await?
        .into_iter()
        .map(|s| s.public_id)
        .collect();
    let errors: Vec<attune_api::FieldError> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !known.contains(id))
        .map(|(i, _)| {
            attune_api::FieldError::new(format!("rules.segments[{i}]"), "no such segment")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn delete(db: &DatabaseConnection, shop: ShopId, id: &str) -> Result<(), AppError> {
    check_public_id(id)?;
    if store::delete(db, shop, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("no widget with id {id}")))
    }
}

/// The widget's list as a shopper would get it, with explanations, for the admin's preview.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn preview(
    db: &DatabaseConnection,
    models: &crate::services::recommend::ModelCache,
    shop: ShopId,
    id: &str,
    product: Option<String>,
    customer: Option<String>,
    cart: Option<String>,
) -> Result<attune_api::storefront::Recommendations, AppError> {
    check_public_id(id)?;
    let row = store::get(db, shop, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no widget with id {id}")))?;
    let clean = |v: Option<String>, field: &str| -> Result<Option<String>, AppError> {
        match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
            Some(s)
                if s.len() <= 64
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                Ok(Some(s))
            }
            Some(_) => Err(AppError::field(
                field,
                "must be at most 64 letters, digits, '-' or '_'",
            )),
            None => Ok(None),
        }
    };
    let cart = cart
        .unwrap_or_default()
        .split(',')
        .map(|s| clean(Some(s.to_owned()), "cart"))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let ctx = crate::services::recommend::Context {
        product: clean(product, "product")?,
        customer: clean(customer, "customer")?,
        visitor: None,
        explain: true,
        exclude: Vec::new(),
        cart,
    };
    crate::services::recommend::for_widget(db, models, shop, &row, &ctx).await
}

/// Storefront lookups of widgets by public id, remembered for a second: a product page under
/// load then asks the database once a second per widget, not once per shopper. A merchant's
/// change (or an uninstall) reaches shoppers within that second.
#[derive(Default)]
pub struct WidgetCache {
    entries: std::sync::RwLock<std::collections::HashMap<String, Looked>>,
    /// Held by the request refreshing expired entries.
    refreshing: tokio::sync::Mutex<()>,
}

/// When a widget was looked up, and what was found (widget and shop, if live).
type Looked = (std::time::Instant, Option<(ShopId, WidgetRow)>);

/// How long a looked-up widget is trusted.
const WIDGET_TTL: std::time::Duration = std::time::Duration::from_secs(1);
/// Unknown ids are remembered too; past this many entries the cache starts over, so random ids
/// cannot grow it without bound.
const WIDGET_CACHE_MAX: usize = 10_000;

impl WidgetCache {
    /// The widget and its shop, when the widget exists and its shop has the app installed.
    pub async fn live(
        &self,
        db: &DatabaseConnection,
        public_id: &str,
    ) -> Result<Option<(ShopId, WidgetRow)>, AppError> {
        let known = self
            .entries
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(public_id)
            .cloned();
        if let Some((at, found)) = &known {
            // Fresh, or being refreshed by another request: answer from what we have.
            if at.elapsed() < WIDGET_TTL {
                return Ok(found.clone());
            }
        }
        let _refreshing = match self.refreshing.try_lock() {
            Ok(guard) => Some(guard),
            Err(_) => match known {
                Some((_, found)) => return Ok(found),
                None => None,
            },
        };
        let found = match store::find_public(db, public_id).await? {
            Some((shop, widget)) => crate::db::shops::get(db, shop)
                .await?
                .filter(|s| s.installed)
                .map(|_| (shop, widget)),
            None => None,
        };
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= WIDGET_CACHE_MAX {
            entries.clear();
        }
        entries.insert(
            public_id.to_owned(),
            (std::time::Instant::now(), found.clone()),
        );
        Ok(found)
    }
}
