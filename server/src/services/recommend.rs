//! Recommendations for a widget, from models built per shop: co-purchase with a popularity
//! fallback, content similarity (works with no sales at all), and trending. Results are
//! filtered to products a shopper can buy, and can carry their explanation.
//!
//! Models are derived state: each process builds its own from the database and rebuilds when
//! the shop's orders or products change, so every process answers alike.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use attune_api::storefront::{Explanation, Recommendations, WidgetSummary};
use attune_api::widgets::{Placement, Strategy};
use attune_engine::{CoPurchase, ContentIndex, ItemText, Reason};
use chrono::{DateTime, Utc};
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
/// Trending: a purchase's weight halves every this many days.
const TRENDING_HALF_LIFE_DAYS: f64 = 14.0;

type Fingerprint = (OrdersFingerprint, (i64, Option<DateTime<Utc>>));

pub struct ShopModel {
    fingerprint: Fingerprint,
    copurchase: CoPurchase,
    content: ContentIndex,
    trending: Vec<(u32, f32)>,
    /// Dense engine index -> our product id, over every product of the shop.
    product_of: Vec<i64>,
    index_of: HashMap<i64, u32>,
}

#[derive(Default)]
pub struct ModelCache {
    models: RwLock<HashMap<ShopId, Arc<ShopModel>>>,
}

impl ModelCache {
    /// The shop's current model, rebuilt first if its orders or products changed.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<ShopModel>, AppError> {
        let fingerprint = (
            orders::fingerprint(db, shop).await?,
            catalog::fingerprint(db, shop).await?,
        );
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
    fingerprint: Fingerprint,
) -> Result<ShopModel, AppError> {
    let texts = catalog::texts(db, shop).await?;
    let mut index_of: HashMap<i64, u32> = HashMap::with_capacity(texts.len());
    let mut product_of = Vec::with_capacity(texts.len());
    let items: Vec<ItemText> = texts
        .into_iter()
        .map(|(id, title, product_type, vendor, tags, description)| {
            index_of.insert(id, product_of.len() as u32);
            product_of.push(id);
            ItemText {
                title,
                product_type,
                vendor,
                tags: tags
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                description,
            }
        })
        .collect();
    let lines = orders::basket_lines_timed(db, shop).await?;
    let mut baskets: Vec<Vec<u32>> = Vec::new();
    let mut purchases: Vec<(u32, i64)> = Vec::with_capacity(lines.len());
    let mut current_order = None;
    for (order_id, product_id, placed_at) in lines {
        let Some(&idx) = index_of.get(&product_id) else {
            continue;
        };
        if current_order != Some(order_id) {
            baskets.push(Vec::new());
            current_order = Some(order_id);
        }
        if let Some(b) = baskets.last_mut() {
            b.push(idx);
        }
        purchases.push((idx, placed_at.timestamp()));
    }
    let n = product_of.len();
    let model = ShopModel {
        fingerprint,
        copurchase: CoPurchase::build(n, baskets.iter().map(Vec::as_slice), MAX_NEIGHBORS),
        content: ContentIndex::build(&items),
        trending: attune_engine::trending::trending(&purchases, n, TRENDING_HALF_LIFE_DAYS),
        product_of,
        index_of,
    };
    tracing::info!(
        products = n,
        orders = baskets.len(),
        "recommendation models built"
    );
    Ok(model)
}

/// Who is asking and where: all optional.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The platform id of the product being viewed.
    pub product: Option<String>,
    /// The platform id of the logged-in customer, from signed data only.
    pub customer: Option<String>,
    /// Attach each product's explanation.
    pub explain: bool,
}

/// A candidate before filtering.
struct Candidate {
    item: u32,
    score: f32,
    reason: &'static str,
    source: &'static str,
    seeds: Vec<u32>,
    parts: Vec<String>,
}

fn from_copurchase(
    model: &ShopModel,
    seeds: &[(u32, f32)],
    exclude: &dyn Fn(u32) -> bool,
    k: usize,
    from_history: bool,
) -> Vec<Candidate> {
    model
        .copurchase
        .recommend(seeds, exclude, k)
        .into_iter()
        .map(|s| match s.reason {
            Reason::CoPurchase { seeds, orders } => Candidate {
                item: s.item,
                score: s.score,
                reason: if from_history {
                    "based_on_your_orders"
                } else {
                    "bought_together"
                },
                source: "co_purchase",
                seeds,
                parts: vec![format!("bought together in {orders} orders")],
            },
            Reason::Popular { orders } => Candidate {
                item: s.item,
                score: s.score,
                reason: "popular",
                source: "popular",
                seeds: Vec::new(),
                parts: vec![format!("in {orders} orders")],
            },
        })
        .collect()
}

/// Appends `more` candidates not already present, up to `k`.
fn fill(out: &mut Vec<Candidate>, more: Vec<Candidate>, k: usize) {
    for c in more {
        if out.len() >= k {
            break;
        }
        if !out.iter().any(|o| o.item == c.item) {
            out.push(c);
        }
    }
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
    let bought: HashSet<u32> = history.iter().map(|&(i, _)| i).collect();
    let hide_bought = strategy == Strategy::ForYou;
    let exclude = |i: u32| Some(i) == viewed_idx || (hide_bought && bought.contains(&i));
    // Over-fetch: some candidates may be unavailable.
    let want = k.saturating_mul(3).max(k + 8);

    let candidates: Vec<Candidate> = match strategy {
        Strategy::Popular => from_copurchase(&model, &[], &exclude, want, false),
        Strategy::FrequentlyBoughtTogether => match viewed_idx {
            Some(i) => from_copurchase(&model, &[(i, 1.0)], &exclude, want, false),
            None => from_copurchase(&model, &history, &exclude, want, !history.is_empty()),
        },
        Strategy::ForYou => {
            let mut seeds = history.clone();
            if let Some(i) = viewed_idx {
                seeds.push((i, 1.0));
            }
            from_copurchase(
                &model,
                &seeds,
                &exclude,
                want,
                viewed_idx.is_none() && !history.is_empty(),
            )
        }
        Strategy::SimilarItems => {
            let seed = viewed_idx.or_else(|| history.first().map(|&(i, _)| i));
            let mut out: Vec<Candidate> = match seed {
                Some(s) => model
                    .content
                    .similar(s, want, exclude)
                    .into_iter()
                    .map(|x| Candidate {
                        item: x.item,
                        score: x.score,
                        reason: "similar",
                        source: "content",
                        seeds: vec![s],
                        parts: vec![format!("shares {}", x.shared.join(", "))],
                    })
                    .collect(),
                None => Vec::new(),
            };
            let seeds: Vec<(u32, f32)> = seed.map(|s| vec![(s, 1.0)]).unwrap_or_default();
            fill(
                &mut out,
                from_copurchase(&model, &seeds, &exclude, want, false),
                want,
            );
            out
        }
        Strategy::Trending => {
            let mut out: Vec<Candidate> = model
                .trending
                .iter()
                .filter(|(i, _)| !exclude(*i))
                .take(want)
                .map(|&(item, score)| Candidate {
                    item,
                    score,
                    reason: "trending",
                    source: "trending",
                    seeds: Vec::new(),
                    parts: vec![format!("recent-purchase weight {score:.2} (half-life {TRENDING_HALF_LIFE_DAYS} days)")],
                })
                .collect();
            fill(
                &mut out,
                from_copurchase(&model, &[], &exclude, want, false),
                want,
            );
            out
        }
    };

    let ids: Vec<i64> = candidates
        .iter()
        .map(|c| model.product_of[c.item as usize])
        .collect();
    let rows: HashMap<i64, catalog::ProductRow> = catalog::by_ids(db, shop, &ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let seed_ids = |seeds: &[u32]| -> Vec<String> {
        seeds
            .iter()
            .filter_map(|&s| {
                let id = model.product_of[s as usize];
                rows.get(&id).map(|p| p.platform_id.clone()).or_else(|| {
                    (Some(s) == viewed_idx)
                        .then(|| ctx.product.clone())
                        .flatten()
                })
            })
            .collect()
    };
    let mut rules = vec!["active_only".to_owned(), "in_stock_only".to_owned()];
    if viewed_idx.is_some() {
        rules.push("exclude_viewed".to_owned());
    }
    if hide_bought && !bought.is_empty() {
        rules.push("hide_purchased".to_owned());
    }
    let products = candidates
        .iter()
        .filter_map(|c| {
            let row = rows.get(&model.product_of[c.item as usize])?;
            let available = row.status == "active" && row.inventory_quantity.is_none_or(|q| q > 0);
            available.then(|| {
                let mut p = card(row, c.reason);
                if ctx.explain {
                    p.explanation = Some(Explanation {
                        source: c.source.to_owned(),
                        seeds: seed_ids(&c.seeds),
                        score: c.score,
                        parts: c.parts.clone(),
                        rules: rules.clone(),
                    });
                }
                p
            })
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
