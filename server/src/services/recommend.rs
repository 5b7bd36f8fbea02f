//! Recommendations for a widget, from models built per shop: co-purchase with a popularity
//! fallback, content similarity (works with no sales at all), and trending. Results are
//! filtered to products a shopper can buy, and can carry their explanation.
//!
//! Models are derived state: each process builds its own from the database and rebuilds when
//! the shop's orders or products change, so every process answers alike.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use attune_api::storefront::{Explanation, Recommendations, WidgetSummary};
use attune_api::widgets::{Placement, Strategy, WidgetRules};
use attune_engine::nextbasket::{Event, Interaction, NextBasketModel, Reason as NbReason};
use attune_engine::{CoPurchase, ContentIndex, ItemText, NextBasketConfig, Reason};
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
/// Buy again: a product counts as replenishable once rebought this many times shop-wide.
const MIN_REPURCHASES: usize = 3;
/// Buy again: suggest from this share of the usual interval on.
const DUE_FROM: f32 = 0.8;
/// "For you" uses the next-basket model once this many customers have ordered twice or more;
/// below that its self-fitted weights would rest on too little.
const MIN_REPEAT_CUSTOMERS: usize = 20;
/// Trending: a purchase's weight halves every this many days.
const TRENDING_HALF_LIFE_DAYS: f64 = 14.0;

type Fingerprint = (OrdersFingerprint, (i64, Option<DateTime<Utc>>));

pub struct ShopModel {
    fingerprint: Fingerprint,
    copurchase: CoPurchase,
    content: ContentIndex,
    trending: Vec<(u32, f32)>,
    /// Per product: the usual days between two purchases by one customer, when rebought.
    intervals: Vec<Option<f32>>,
    /// Repeat + explore model of each customer's next basket ("for you").
    next: Option<NextBasketModel>,
    /// Our customer row id -> the next-basket model's user index.
    customer_idx: HashMap<i64, u32>,
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
    let (index_of, product_of, items) = index_catalog(catalog::texts(db, shop).await?);
    let lines = orders::basket_lines_timed(db, shop).await?;
    let mut baskets: Vec<Vec<u32>> = Vec::new();
    let mut purchases: Vec<(u32, i64)> = Vec::with_capacity(lines.len());
    let mut by_customer: Vec<(u32, u32, i64)> = Vec::new();
    let mut customers: HashMap<i64, u32> = HashMap::new();
    let mut interactions: Vec<Interaction> = Vec::new();
    let mut order_idx: HashMap<i64, u32> = HashMap::new();
    let mut current_order = None;
    for (order_id, product_id, placed_at, customer) in lines {
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
        if let Some(c) = customer {
            let next = customers.len() as u32;
            let c = *customers.entry(c).or_insert(next);
            by_customer.push((c, idx, placed_at.timestamp()));
            let next_order = order_idx.len() as u32;
            interactions.push(Interaction {
                user: c,
                item: idx,
                ts: placed_at.timestamp(),
                event: Event::Purchase,
                order: *order_idx.entry(order_id).or_insert(next_order),
                qty: 1.0,
            });
        }
    }
    let n = product_of.len();
    // Heavy numeric work off the async runtime's threads.
    let n_customers = customers.len();
    let next = tokio::task::spawn_blocking(move || {
        let mut orders_per_customer: HashMap<u32, HashSet<u32>> = HashMap::new();
        for i in &interactions {
            orders_per_customer
                .entry(i.user)
                .or_default()
                .insert(i.order);
        }
        let repeaters = orders_per_customer
            .values()
            .filter(|o| o.len() >= 2)
            .count();
        (repeaters >= MIN_REPEAT_CUSTOMERS).then(|| {
            NextBasketModel::build(
                &interactions,
                n_customers,
                n,
                None,
                &NextBasketConfig::default(),
            )
        })
    })
    .await
    .map_err(|e| anyhow::anyhow!("next-basket model build failed: {e}"))?;
    let model = ShopModel {
        next,
        customer_idx: customers,
        fingerprint,
        copurchase: CoPurchase::build(n, baskets.iter().map(Vec::as_slice), MAX_NEIGHBORS),
        content: ContentIndex::build(&items),
        trending: attune_engine::trending::trending(&purchases, n, TRENDING_HALF_LIFE_DAYS),
        intervals: attune_engine::replenishment::intervals(&by_customer, n, MIN_REPURCHASES),
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

/// The catalog as the engine sees it: our product id -> dense index, the reverse, and each
/// product's text for content similarity.
pub(crate) fn index_catalog(
    texts: catalog::ProductTexts,
) -> (HashMap<i64, u32>, Vec<i64>, Vec<ItemText>) {
    let mut index_of = HashMap::with_capacity(texts.len());
    let mut product_of = Vec::with_capacity(texts.len());
    let items = texts
        .into_iter()
        .map(|(id, title, product_type, vendor, tags, description)| {
            index_of.insert(id, product_of.len() as u32);
            product_of.push(id);
            let tags = tags
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            ItemText {
                title,
                product_type,
                vendor,
                tags,
                description,
            }
        })
        .collect();
    (index_of, product_of, items)
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
    /// Platform product ids not to show in this answer (e.g. what is in the cart).
    pub exclude: Vec<String>,
    /// Platform product ids in the shopper's cart: seeds of cart cross-sell, never shown.
    pub cart: Vec<String>,
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
    let purchases = match &ctx.customer {
        Some(c) => orders::customer_purchases(db, shop, c).await?,
        None => Vec::new(),
    };
    let history = history_seeds(&model, purchases.clone());
    let bought: HashSet<u32> = history.iter().map(|&(i, _)| i).collect();
    let rules: WidgetRules = serde_json::from_value(widget.rules.clone()).unwrap_or_default();
    let customer_row = match &ctx.customer {
        Some(c) => orders::customer_row_id(db, shop, c).await?,
        None => None,
    };
    let next_user = model
        .next
        .as_ref()
        .zip(customer_row.and_then(|id| model.customer_idx.get(&id).copied()))
        .filter(|(nb, u)| nb.is_known(*u));
    // "For you" with the next-basket model blends the shopper's repeat purchases in by design;
    // otherwise it shows only what they have not bought.
    let hide_bought = (strategy == Strategy::ForYou && next_user.is_none())
        || (rules.hide_purchased && strategy != Strategy::BuyAgain);
    let mut cart_idx: Vec<u32> = Vec::new();
    for pid in &ctx.cart {
        if let Some(p) = catalog::by_platform_id(db, shop, pid).await?
            && let Some(&i) = model.index_of.get(&p.id)
        {
            cart_idx.push(i);
        }
    }
    let exclude = |i: u32| {
        Some(i) == viewed_idx || cart_idx.contains(&i) || (hide_bought && bought.contains(&i))
    };
    // Over-fetch: some candidates may be unavailable.
    let want = k.saturating_mul(3).max(k + 8);

    let candidates: Vec<Candidate> = match strategy {
        Strategy::Popular => from_copurchase(&model, &[], &exclude, want, false),
        Strategy::FrequentlyBoughtTogether => match viewed_idx {
            Some(i) => from_copurchase(&model, &[(i, 1.0)], &exclude, want, false),
            None => from_copurchase(&model, &history, &exclude, want, !history.is_empty()),
        },
        Strategy::ForYou if let Some((model_nb, user)) = next_user => model_nb
            .recommend(user, want, exclude)
            .into_iter()
            .map(|s| {
                let (reason, source, parts) = match &s.reason {
                    NbReason::Repeat { probability, parts } => (
                        "buy_again",
                        "next_basket_repeat",
                        describe(probability, parts),
                    ),
                    NbReason::Explore {
                        probability, parts, ..
                    } => (
                        "for_you",
                        "next_basket_explore",
                        describe(probability, parts),
                    ),
                    NbReason::Popular {
                        recent_buyers,
                        buyers,
                    } => (
                        "popular",
                        "trending",
                        vec![format!("{recent_buyers} recent buyers, {buyers} in all")],
                    ),
                };
                Candidate {
                    item: s.item,
                    score: s.score,
                    reason,
                    source,
                    seeds: Vec::new(),
                    parts,
                }
            })
            .collect(),
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
        Strategy::BuyAgain => {
            let now = Utc::now().timestamp();
            let mut last: HashMap<u32, i64> = HashMap::new();
            for (product_id, placed_at) in &purchases {
                if let Some(&i) = model.index_of.get(product_id) {
                    let t = last.entry(i).or_insert(0);
                    *t = (*t).max(placed_at.timestamp());
                }
            }
            let last: Vec<(u32, i64)> = last.into_iter().collect();
            let mut out: Vec<Candidate> = attune_engine::replenishment::due(
                &last,
                &model.intervals,
                now,
                DUE_FROM,
            )
            .into_iter()
            .filter(|(i, _)| !exclude(*i))
            .take(want)
            .map(|(item, ratio)| {
                let interval = model.intervals[item as usize].unwrap_or(0.0);
                Candidate {
                    item,
                    score: 1.0 / (1.0 + (ratio - 1.0).abs()),
                    reason: "buy_again",
                    source: "replenishment",
                    seeds: vec![item],
                    parts: vec![format!(
                        "usually bought again every {interval:.0} days; {:.0}% of that has passed",
                        ratio * 100.0
                    )],
                }
            })
            .collect();
            fill(
                &mut out,
                from_copurchase(&model, &history, &exclude, want, !history.is_empty()),
                want,
            );
            out
        }
        Strategy::CartCrossSell => {
            let mut seeds: Vec<(u32, f32)> = cart_idx.iter().map(|&i| (i, 1.0)).collect();
            if seeds.is_empty()
                && let Some(i) = viewed_idx
            {
                seeds.push((i, 1.0));
            }
            from_copurchase(&model, &seeds, &exclude, want, false)
        }
        Strategy::PostPurchase => {
            let latest = purchases.iter().map(|(_, t)| *t).max();
            let seeds: Vec<(u32, f32)> = purchases
                .iter()
                .filter(|(_, t)| Some(*t) == latest)
                .filter_map(|(p, _)| model.index_of.get(p).map(|&i| (i, 1.0)))
                .collect();
            let order_items: HashSet<u32> = seeds.iter().map(|&(i, _)| i).collect();
            let not_in_order = |i: u32| exclude(i) || order_items.contains(&i);
            let mut out = from_copurchase(&model, &seeds, &not_in_order, want, false);
            for c in &mut out {
                if c.reason == "bought_together" {
                    c.reason = "goes_with_your_order";
                }
            }
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

    // Too few left after the merchant's filters: widen with best sellers.
    let mut candidates = candidates;
    fill(
        &mut candidates,
        from_copurchase(&model, &[], &exclude, want.saturating_mul(4), false),
        want.saturating_mul(4),
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
    let collections = if rules.exclude_collections.is_empty() {
        HashMap::new()
    } else {
        catalog::collections_of(db, shop, &ids).await?
    };
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
    let mut applied = vec!["active_only".to_owned()];
    if rules.in_stock_only {
        applied.push("in_stock_only".to_owned());
    }
    if viewed_idx.is_some() {
        applied.push("exclude_viewed".to_owned());
    }
    if hide_bought && !bought.is_empty() {
        applied.push("hide_purchased".to_owned());
    }
    let lower = |v: &[String]| {
        v.iter()
            .map(|s| s.trim().to_lowercase())
            .collect::<HashSet<String>>()
    };
    let (ex_tags, ex_vendors, ex_collections) = (
        lower(&rules.exclude_tags),
        lower(&rules.exclude_vendors),
        lower(&rules.exclude_collections),
    );
    let sellable = |row: &catalog::ProductRow| -> bool {
        row.status == "active"
            && (!rules.in_stock_only || row.inventory_quantity.is_none_or(|q| q > 0))
            && !ctx.exclude.contains(&row.platform_id)
    };
    let passes = |row: &catalog::ProductRow| -> bool {
        sellable(row)
            && !rules.exclude_products.contains(&row.platform_id)
            && !ex_vendors.contains(&row.vendor.to_lowercase())
            && !row.tags.as_array().is_some_and(|t| {
                t.iter()
                    .filter_map(|x| x.as_str())
                    .any(|x| ex_tags.contains(&x.to_lowercase()))
            })
            && rules.min_price_minor.is_none_or(|lo| row.price_minor >= lo)
            && rules.max_price_minor.is_none_or(|hi| row.price_minor <= hi)
            && !collections.get(&row.id).is_some_and(|cs| {
                cs.iter().any(|(pid, handle)| {
                    ex_collections.contains(&pid.to_lowercase())
                        || ex_collections.contains(&handle.to_lowercase())
                })
            })
    };
    // Boosts re-rank within the list; they never bring in products the filters removed.
    let now = Utc::now();
    let boost = |row: &catalog::ProductRow| -> f32 {
        let age_days = (now - row.created_at).num_days().max(0) as f32;
        let newness = (-age_days / 30.0).exp();
        let stock = row
            .inventory_quantity
            .map(|q| (q.clamp(0, 100) as f32) / 100.0)
            .unwrap_or(1.0);
        1.0 + rules.boost_newness * newness + rules.boost_inventory * stock
    };
    let mut kept: Vec<(&Candidate, &catalog::ProductRow, f32)> = candidates
        .iter()
        .filter_map(|c| {
            rows.get(&model.product_of[c.item as usize])
                .filter(|r| passes(r))
                .map(|r| (c, r, c.score * boost(r)))
        })
        .collect();
    if rules.boost_newness > 0.0 || rules.boost_inventory > 0.0 {
        kept.sort_by(|a, b| b.2.total_cmp(&a.2));
        applied.push("boosts".to_owned());
    }
    let mut per_vendor: HashMap<String, u32> = HashMap::new();
    let mut per_type: HashMap<String, u32> = HashMap::new();
    let mut chosen: Vec<(&Candidate, &catalog::ProductRow)> = Vec::new();
    for (c, row, _) in kept {
        if chosen.len() >= k {
            break;
        }
        let v = per_vendor.entry(row.vendor.to_lowercase()).or_insert(0);
        let t = per_type.entry(row.product_type.to_lowercase()).or_insert(0);
        if rules.max_per_vendor.is_some_and(|m| *v >= m)
            || rules.max_per_type.is_some_and(|m| *t >= m)
        {
            continue;
        }
        *v += 1;
        *t += 1;
        chosen.push((c, row));
    }
    if rules.max_per_vendor.is_some() || rules.max_per_type.is_some() {
        applied.push("diversity_caps".to_owned());
    }
    let mut products: Vec<attune_api::storefront::RecommendedProduct> = chosen
        .into_iter()
        .map(|(c, row)| {
            let mut p = card(row, c.reason);
            if ctx.explain {
                p.explanation = Some(Explanation {
                    source: c.source.to_owned(),
                    seeds: seed_ids(&c.seeds),
                    score: c.score,
                    parts: c.parts.clone(),
                    rules: applied.clone(),
                });
            }
            p
        })
        .collect();
    // Pins last: fixed positions, when the pinned product can be sold and is not in the cart.
    let mut pins = rules.pins.clone();
    pins.sort_by_key(|p| p.position);
    for pin in pins {
        let Some(row) = catalog::by_platform_id(db, shop, &pin.product_id).await? else {
            continue;
        };
        if !sellable(&row) {
            continue;
        }
        products.retain(|p| p.id != row.platform_id);
        let mut p = card(&row, "pinned");
        if ctx.explain {
            p.explanation = Some(Explanation {
                source: "pinned".to_owned(),
                seeds: Vec::new(),
                score: 0.0,
                parts: vec![format!(
                    "pinned by the merchant at position {}",
                    pin.position
                )],
                rules: applied.clone(),
            });
        }
        let at = (pin.position as usize)
            .saturating_sub(1)
            .min(products.len());
        products.insert(at, p);
    }
    products.truncate(k);

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

/// The largest terms of a next-basket score, in words.
fn describe(probability: &f32, parts: &[attune_engine::nextbasket::Part]) -> Vec<String> {
    let mut out = vec![format!("chance in next basket {:.0}%", probability * 100.0)];
    out.extend(
        parts
            .iter()
            .map(|p| format!("{} {:+.2}", p.feature.name(), p.contribution)),
    );
    out
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
