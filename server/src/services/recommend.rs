//! Recommendations for a widget: the engine's co-purchase model with a popularity fallback,
//! filtered to products a shopper can buy.
//!
//! Models are derived state: each process builds its own from the database and rebuilds
//! when the shop's orders fingerprint changes, so every process answers alike.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use attune_api::storefront::{Recommendations, WidgetSummary};
use attune_api::widgets::{Placement, Strategy};
use attune_engine::{CoPurchase, Reason};
use sea_orm::DatabaseConnection;

use crate::db::orders::{self, OrdersFingerprint};
use crate::db::widgets::WidgetRow;
use crate::db::{ShopId, catalog};
use crate::error::AppError;
use crate::services::catalog::card;

/// Neighbours kept per product: enough for any widget size after filtering.
const MAX_NEIGHBORS: usize = 100;
/// Purchases further back count less: weight = DECAY^(orders ago).
const RECENCY_DECAY: f32 = 0.85;
const MAX_HISTORY_SEEDS: usize = 30;

pub struct ShopModel {
    fingerprint: OrdersFingerprint,
    model: CoPurchase,
    /// Dense engine index -> our product id.
    product_of: Vec<i64>,
    index_of: HashMap<i64, u32>,
}

#[derive(Default)]
pub struct ModelCache {
    models: RwLock<HashMap<ShopId, Arc<ShopModel>>>,
}

impl ModelCache {
    /// The shop's current model, rebuilt first if its orders changed.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<ShopModel>, AppError> {
        let fingerprint = orders::fingerprint(db, shop).await?;
        if let Some(m) = self
            .read()
            .get(&shop)
            .filter(|m| m.fingerprint == fingerprint)
        {
            return Ok(m.clone());
        }
        let built = Arc::new(build(db, shop, fingerprint).await?);
        self.models
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(shop, built.clone());
        Ok(built)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ShopId, Arc<ShopModel>>> {
        self.models.read().unwrap_or_else(|p| p.into_inner())
    }
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
async fn build(
    db: &DatabaseConnection,
    shop: ShopId,
    fingerprint: OrdersFingerprint,
) -> Result<ShopModel, AppError> {
    let lines = orders::basket_lines(db, shop).await?;
    let mut index_of: HashMap<i64, u32> = HashMap::new();
    let mut product_of = Vec::new();
    let mut baskets: Vec<Vec<u32>> = Vec::new();
    let mut current_order = None;
    for (order_id, product_id) in lines {
        let idx = *index_of.entry(product_id).or_insert_with(|| {
            product_of.push(product_id);
            (product_of.len() - 1) as u32
        });
        if current_order != Some(order_id) {
            baskets.push(Vec::new());
            current_order = Some(order_id);
        }
        if let Some(b) = baskets.last_mut() {
            b.push(idx);
        }
    }
    let model = CoPurchase::build(
        product_of.len(),
        baskets.iter().map(Vec::as_slice),
        MAX_NEIGHBORS,
    );
    tracing::info!(
        products = product_of.len(),
        orders = baskets.len(),
        "recommendation model built"
    );
    Ok(ShopModel {
        fingerprint,
        model,
        product_of,
        index_of,
    })
}

/// Who is asking and where: all optional.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The platform id of the product being viewed.
    pub product: Option<String>,
    /// The platform id of the logged-in customer, from signed data only.
    pub customer: Option<String>,
}

#[tracing::instrument(skip_all, fields(shop = %shop, widget = %widget.public_id))]
pub async fn for_widget(
    db: &DatabaseConnection,
    cache: &ModelCache,
    shop: ShopId,
    widget: &WidgetRow,
    ctx: &Context,
) -> Result<Recommendations, AppError> {
    let strategy = Strategy::parse(&widget.strategy)
        .ok_or_else(|| anyhow::anyhow!("widget has unknown strategy"))?;
    let placement = Placement::parse(&widget.placement)
        .ok_or_else(|| anyhow::anyhow!("widget has unknown placement"))?;
    let k = usize::try_from(widget.max_products).unwrap_or(0);
    let model = cache.get(db, shop).await?;

    let viewed = match &ctx.product {
        Some(pid) => catalog::by_platform_id(db, shop, pid).await?,
        None => None,
    };
    let viewed_idx = viewed
        .as_ref()
        .and_then(|p| model.index_of.get(&p.id).copied());
    let history = match &ctx.customer {
        Some(c) => history_seeds(&model, orders::customer_purchases(db, shop, c).await?),
        None => Vec::new(),
    };

    let (seeds, exclude_history): (Vec<(u32, f32)>, bool) = match strategy {
        Strategy::Popular => (Vec::new(), false),
        Strategy::FrequentlyBoughtTogether => match viewed_idx {
            Some(i) => (vec![(i, 1.0)], false),
            None => (history.clone(), false),
        },
        Strategy::ForYou => {
            let mut s = history.clone();
            if let Some(i) = viewed_idx {
                s.push((i, 1.0));
            }
            (s, true)
        }
    };
    let bought: Vec<u32> = if exclude_history {
        history.iter().map(|&(i, _)| i).collect()
    } else {
        Vec::new()
    };
    let from_history = !history.is_empty() && seeds.iter().any(|s| history.contains(s));

    // Over-fetch: some candidates may be unavailable or the viewed product itself.
    let candidates = model.model.recommend(
        &seeds,
        |i| bought.contains(&i) || Some(i) == viewed_idx,
        k.saturating_mul(3).max(k + 8),
    );
    let ids: Vec<i64> = candidates
        .iter()
        .map(|c| model.product_of[c.item as usize])
        .collect();
    let rows: HashMap<i64, catalog::ProductRow> = catalog::by_ids(db, shop, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let products = candidates
        .iter()
        .filter_map(|c| {
            let row = rows.get(&model.product_of[c.item as usize])?;
            let available = row.status == "active" && row.inventory_quantity.is_none_or(|q| q > 0);
            let reason = match c.reason {
                Reason::CoPurchase { .. } if from_history && viewed_idx.is_none() => {
                    "based_on_your_orders"
                }
                Reason::CoPurchase { .. } => "bought_together",
                Reason::Popular { .. } => "popular",
            };
            available.then(|| card(row, reason))
        })
        .take(k)
        .collect();

    Ok(Recommendations {
        widget: WidgetSummary {
            id: widget.public_id.clone(),
            title: widget.title.clone(),
            placement,
            strategy,
        },
        products,
    })
}

/// The customer's products as seeds, recent orders weighing more.
fn history_seeds(
    model: &ShopModel,
    purchases: Vec<(i64, chrono::DateTime<chrono::Utc>)>,
) -> Vec<(u32, f32)> {
    let mut weights: HashMap<u32, f32> = HashMap::new();
    let mut orders_ago = 0i32;
    let mut last_time = None;
    for (product_id, placed_at) in purchases {
        if last_time.is_some_and(|t| t != placed_at) {
            orders_ago += 1;
        }
        last_time = Some(placed_at);
        if let Some(&idx) = model.index_of.get(&product_id) {
            *weights.entry(idx).or_insert(0.0) += RECENCY_DECAY.powi(orders_ago);
        }
    }
    let mut seeds: Vec<(u32, f32)> = weights.into_iter().collect();
    seeds.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    seeds.truncate(MAX_HISTORY_SEEDS);
    seeds
}
