//! A shop's recommendation models and its catalog, in memory.
//!
//! Models are derived state: each process builds its own from the database, so every process
//! answers alike. A process looks at the database at most once a second per shop (a cheap
//! fingerprint of orders, products, stock and collections) and rebuilds when it changed; it
//! also rebuilds every [`REBUILD_EVERY`] to take in new browsing (also viewed) and to let time
//! move trending along. Between checks a request touches no database at all for anonymous
//! shoppers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use attune_engine::merchandise::ItemFacts;
use attune_engine::nextbasket::{Event, Interaction, NextBasketModel};
use attune_engine::{CoPurchase, ContentIndex, ItemText, NextBasketConfig};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::catalog::ProductRow;
use crate::db::orders::{self, OrdersFingerprint};
use crate::db::{self, ShopId, catalog};
use crate::error::AppError;

/// Neighbours kept per product: enough for any widget size after filtering.
const MAX_NEIGHBORS: usize = 100;
/// Buy again: a product counts as replenishable once rebought this many times shop-wide.
const MIN_REPURCHASES: usize = 3;
/// "For you" uses the next-basket model once this many customers have ordered twice or more;
/// below that its self-fitted weights would rest on too little.
const MIN_REPEAT_CUSTOMERS: usize = 20;
/// Trending: a purchase's weight halves every this many days.
pub const TRENDING_HALF_LIFE_DAYS: f64 = 14.0;
/// How often the database is asked whether a shop's data changed.
pub const RECHECK: Duration = Duration::from_secs(1);
/// Scheduled full rebuild, whatever the fingerprint says.
pub const REBUILD_EVERY: Duration = Duration::from_secs(15 * 60);
/// Browsing "also viewed" learns from.
const VIEW_WINDOW_DAYS: i64 = 90;
/// Views further apart than this are different sessions.
const SESSION_GAP_SECS: i64 = 30 * 60;

type Fingerprint = (
    OrdersFingerprint,
    (i64, Option<DateTime<Utc>>),
    (Option<i64>, i64),
);

pub struct ShopModel {
    fingerprint: Fingerprint,
    built_at: Instant,
    pub(super) copurchase: CoPurchase,
    /// Co-occurrence of product views within browsing sessions ("also viewed").
    pub(super) coview: CoPurchase,
    pub(super) content: ContentIndex,
    pub(super) trending: Vec<(u32, f32)>,
    /// Per product: the usual days between two purchases by one customer, when rebought.
    pub(super) intervals: Vec<Option<f32>>,
    /// Repeat + explore model of each customer's next basket ("for you").
    pub(super) next: Option<NextBasketModel>,
    /// Our customer row id -> the next-basket model's user index.
    pub(super) customer_idx: HashMap<i64, u32>,
    /// Our customer row id -> what they bought `(item, unix time)`: trending within a segment.
    pub(super) bought_by: HashMap<i64, Vec<(u32, i64)>>,
    /// Dense engine index -> product, over every product of the shop.
    pub(super) products: Vec<ProductRow>,
    /// What merchant rules read of each product, by dense index.
    pub(super) facts: Vec<ItemFacts>,
    /// Lower-cased vendors, types, tags and collections (handle and platform id share an id).
    pub(super) names: HashMap<String, u32>,
    pub(super) index_of: HashMap<i64, u32>,
    pub(super) by_platform: HashMap<String, u32>,
}

impl ShopModel {
    pub(super) fn product(&self, item: u32) -> Option<&ProductRow> {
        self.products.get(item as usize)
    }

    pub(super) fn platform(&self, id: &str) -> Option<u32> {
        self.by_platform.get(id).copied()
    }

    pub(super) fn name(&self, s: &str) -> Option<u32> {
        self.names.get(&s.trim().to_lowercase()).copied()
    }
}

struct Entry {
    model: Arc<ShopModel>,
    checked: Instant,
}

#[derive(Default)]
pub struct ModelCache {
    models: RwLock<HashMap<ShopId, Entry>>,
    /// One build at a time: a burst of requests after a change waits for one build rather than
    /// starting many.
    building: tokio::sync::Mutex<()>,
    /// Held by the request that is checking the database for changes.
    checking: tokio::sync::Mutex<()>,
}

async fn fingerprint(db: &DatabaseConnection, shop: ShopId) -> Result<Fingerprint, AppError> {
    Ok((
        orders::fingerprint(db, shop).await?,
        catalog::fingerprint(db, shop).await?,
        catalog::stock_fingerprint(db, shop).await?,
    ))
}

impl ModelCache {
    /// The shop's current model; rebuilt first when its data changed or it is due.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<ShopModel>, AppError> {
        if let Some(m) = self.fresh(shop, None) {
            return Ok(m);
        }
        // One request looks at the database; the others keep answering from the model they
        // have (at most a second old) instead of queueing for the same queries.
        let _checking = match self.checking.try_lock() {
            Ok(guard) => Some(guard),
            Err(_) => match self.cached(shop) {
                Some(m) => return Ok(m),
                None => None,
            },
        };
        let fp = fingerprint(db, shop).await?;
        if let Some(m) = self.fresh(shop, Some(&fp)) {
            return Ok(m);
        }
        let _one = self.building.lock().await;
        // Another request may have rebuilt it while this one waited.
        if let Some(m) = self.fresh(shop, Some(&fp)) {
            return Ok(m);
        }
        let built = Arc::new(build(db, shop, fp).await?);
        self.models
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                shop,
                Entry {
                    model: built.clone(),
                    checked: Instant::now(),
                },
            );
        Ok(built)
    }

    fn cached(&self, shop: ShopId) -> Option<Arc<ShopModel>> {
        self.models
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&shop)
            .map(|e| e.model.clone())
    }

    /// The cached model if it needs no rebuild: checked within [`RECHECK`] (when no fingerprint
    /// is given), or matching `fp`. Age alone never makes a request wait: the scheduled
    /// rebuild replaces old models in the background.
    fn fresh(&self, shop: ShopId, fp: Option<&Fingerprint>) -> Option<Arc<ShopModel>> {
        match fp {
            None => {
                let models = self.models.read().unwrap_or_else(|p| p.into_inner());
                let e = models.get(&shop)?;
                (e.checked.elapsed() < RECHECK).then(|| e.model.clone())
            }
            Some(fp) => {
                let mut models = self.models.write().unwrap_or_else(|p| p.into_inner());
                let e = models.get_mut(&shop)?;
                if e.model.fingerprint == *fp {
                    e.checked = Instant::now();
                    Some(e.model.clone())
                } else {
                    None
                }
            }
        }
    }

    /// Rebuilds, in the background, every model older than [`REBUILD_EVERY`]; requests keep
    /// the old one until the new one is in.
    pub async fn rebuild_due(&self, db: &DatabaseConnection) {
        let due: Vec<ShopId> = self
            .models
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, e)| e.model.built_at.elapsed() >= REBUILD_EVERY)
            .map(|(shop, _)| *shop)
            .collect();
        for shop in due {
            let rebuilt = async {
                let fp = fingerprint(db, shop).await?;
                let _one = self.building.lock().await;
                build(db, shop, fp).await
            }
            .await;
            match rebuilt {
                Ok(m) => {
                    self.models
                        .write()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(
                            shop,
                            Entry {
                                model: Arc::new(m),
                                checked: Instant::now(),
                            },
                        );
                }
                Err(e) => {
                    tracing::warn!(shop = %shop, error = %e, "scheduled model rebuild failed")
                }
            }
        }
    }
}

fn intern(names: &mut HashMap<String, u32>, s: &str) -> u32 {
    let key = s.trim().to_lowercase();
    let next = names.len() as u32;
    *names.entry(key).or_insert(next)
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
async fn build(
    db: &DatabaseConnection,
    shop: ShopId,
    fingerprint: Fingerprint,
) -> Result<ShopModel, AppError> {
    let products = catalog::all(db, shop).await?;
    let links = catalog::all_collection_links(db, shop).await?;
    let lines = orders::basket_lines_timed(db, shop).await?;
    let views = db::events::product_views(
        db,
        shop,
        Utc::now() - chrono::Duration::days(VIEW_WINDOW_DAYS),
    )
    .await?;
    // Heavy numeric work off the async runtime's threads.
    let model =
        tokio::task::spawn_blocking(move || assemble(products, links, lines, views, fingerprint))
            .await
            .map_err(|e| anyhow::anyhow!("recommendation model build failed: {e}"))?;
    tracing::info!(
        products = model.products.len(),
        "recommendation models built"
    );
    Ok(model)
}

fn assemble(
    products: Vec<ProductRow>,
    links: Vec<(i64, String, String)>,
    lines: Vec<(i64, i64, DateTime<Utc>, Option<i64>)>,
    views: Vec<(i64, String, DateTime<Utc>)>,
    fingerprint: Fingerprint,
) -> ShopModel {
    let n = products.len();
    let mut index_of = HashMap::with_capacity(n);
    let mut by_platform = HashMap::with_capacity(n);
    for (i, p) in products.iter().enumerate() {
        index_of.insert(p.id, i as u32);
        by_platform.insert(p.platform_id.clone(), i as u32);
    }
    let items: Vec<ItemText> = products
        .iter()
        .map(|p| ItemText {
            title: p.title.clone(),
            product_type: p.product_type.clone(),
            vendor: p.vendor.clone(),
            tags: tags_of(p),
            description: p.description.clone(),
        })
        .collect();

    let mut baskets: Vec<Vec<u32>> = Vec::new();
    let mut purchases: Vec<(u32, i64)> = Vec::with_capacity(lines.len());
    let mut by_customer: Vec<(u32, u32, i64)> = Vec::new();
    let mut customers: HashMap<i64, u32> = HashMap::new();
    let mut interactions: Vec<Interaction> = Vec::new();
    let mut order_idx: HashMap<i64, u32> = HashMap::new();
    let mut bought_by: HashMap<i64, Vec<(u32, i64)>> = HashMap::new();
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
            bought_by
                .entry(c)
                .or_default()
                .push((idx, placed_at.timestamp()));
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
    let next = (repeaters >= MIN_REPEAT_CUSTOMERS).then(|| {
        NextBasketModel::build(
            &interactions,
            customers.len(),
            n,
            None,
            &NextBasketConfig::default(),
        )
    });

    // Browsing sessions: one visitor's product views with no gap over 30 minutes.
    let mut sessions: Vec<Vec<u32>> = Vec::new();
    let mut last: Option<(i64, i64)> = None;
    for (visitor, product, at) in views {
        let Some(&idx) = by_platform.get(&product) else {
            continue;
        };
        let t = at.timestamp();
        if last.is_none_or(|(v, prev)| v != visitor || t - prev > SESSION_GAP_SECS) {
            sessions.push(Vec::new());
        }
        last = Some((visitor, t));
        if let Some(s) = sessions.last_mut() {
            s.push(idx);
        }
    }

    let intervals = attune_engine::replenishment::intervals(&by_customer, n, MIN_REPURCHASES);
    let mut names: HashMap<String, u32> = HashMap::new();
    let mut collections: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (product, platform_id, handle) in &links {
        let id = intern(&mut names, handle);
        names.entry(platform_id.trim().to_lowercase()).or_insert(id);
        if let Some(&i) = index_of.get(product) {
            collections[i as usize].push(id);
        }
    }
    let facts: Vec<ItemFacts> = products
        .iter()
        .zip(collections)
        .enumerate()
        .map(|(i, (p, collections))| ItemFacts {
            active: p.status == "active",
            inventory: p.inventory_quantity,
            price_minor: p.price_minor,
            cost_minor: p.cost_minor,
            vendor: intern(&mut names, &p.vendor),
            product_type: intern(&mut names, &p.product_type),
            tags: tags_of(p).iter().map(|t| intern(&mut names, t)).collect(),
            collections,
            created_at: p.created_at.timestamp(),
            replenishable: intervals.get(i).is_some_and(Option::is_some),
        })
        .collect();

    ShopModel {
        fingerprint,
        built_at: Instant::now(),
        next,
        customer_idx: customers,
        bought_by,
        copurchase: CoPurchase::build(n, baskets.iter().map(Vec::as_slice), MAX_NEIGHBORS),
        coview: CoPurchase::build(n, sessions.iter().map(Vec::as_slice), MAX_NEIGHBORS),
        content: ContentIndex::build(&items),
        trending: attune_engine::trending::trending(&purchases, n, TRENDING_HALF_LIFE_DAYS),
        intervals,
        products,
        facts,
        names,
        index_of,
        by_platform,
    }
}

fn tags_of(p: &ProductRow) -> Vec<String> {
    p.tags
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
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

/// How often the scheduled rebuild looks for models that are due.
const SCHEDULE_TICK: Duration = Duration::from_secs(60);

/// The background task that keeps models from growing old (stops with the server).
pub fn spawn_scheduled_rebuild(
    db: DatabaseConnection,
    cache: Arc<ModelCache>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(SCHEDULE_TICK) => cache.rebuild_due(&db).await,
                _ = stop.changed() => return,
            }
        }
    })
}
