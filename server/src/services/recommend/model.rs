//! A shop's recommendation models and its catalog, in memory, and stored.
//!
//! A model has two sides. The **behaviour** side (co-purchase, also viewed, trending, buy-again
//! intervals, the next-basket model) is built in full from orders and browsing, then stored in
//! the database with a version, so a restarted process loads it instead of building, and a
//! second process serves the very same model. Orders added since are grown into it in place
//! (`Behaviour::grow`); a change to older orders, and the schedule ([`REBUILD_EVERY`]), bring
//! a full build, which is stored for everyone. The **catalog** side (products, what the
//! merchant's rules read, content similarity) is cheap and derived again by each process when
//! products, stock or collections change, without touching the behaviour side.
//!
//! A process looks at the database at most once a second per shop (fingerprints of orders,
//! products, stock and the stored version). Between checks a request touches no database at
//! all for anonymous shoppers.

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
    (Option<i64>, Option<i64>, i64),
);

/// What the shop's orders and browsing taught the models. Stored in the database (see
/// [`crate::db::models`]) after every full build, so a restarted process, or a second one,
/// serves this very model instead of building its own.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Behaviour {
    /// The orders it was built from; orders added since are taken in by [`Behaviour::grow`].
    orders: OrdersFingerprint,
    /// Highest order id taken in.
    watermark: i64,
    /// Unix seconds of the full build (the schedule counts from it, in every process alike).
    built_at: i64,
    /// Dense engine index -> our product id, as of the build.
    product_ids: Vec<i64>,
    /// Every purchase `(item, unix time)`, and those of known customers `(customer, item, time)`.
    purchases: Vec<(u32, i64)>,
    by_customer: Vec<(u32, u32, i64)>,
    pub(super) copurchase: CoPurchase,
    /// Co-occurrence of product views within browsing sessions ("also viewed").
    pub(super) coview: CoPurchase,
    pub(super) trending: Vec<(u32, f32)>,
    /// Per product: the usual days between two purchases by one customer, when rebought.
    pub(super) intervals: Vec<Option<f32>>,
    /// Repeat + explore model of each customer's next basket ("for you").
    pub(super) next: Option<NextBasketModel>,
    /// Our customer row id -> the customer's index (the next-basket model's user index).
    pub(super) customer_idx: HashMap<i64, u32>,
    /// Our customer row id -> what they bought `(item, unix time)`: trending within a segment.
    pub(super) bought_by: HashMap<i64, Vec<(u32, i64)>>,
}

/// The catalog side: products, what merchant rules read of them, content similarity. Cheap to
/// derive, so every process derives it from the database whenever the catalog changes.
pub(super) struct Catalog {
    /// Dense engine index -> product (`None`: deleted since the behaviour was built).
    products: Vec<Option<ProductRow>>,
    pub(super) content: ContentIndex,
    /// What merchant rules read of each product, by dense index.
    pub(super) facts: Vec<ItemFacts>,
    /// Lower-cased vendors, types, tags and collections (handle and platform id share an id).
    pub(super) names: HashMap<String, u32>,
    pub(super) index_of: HashMap<i64, u32>,
    pub(super) by_platform: HashMap<String, u32>,
}

pub struct ShopModel {
    fingerprint: Fingerprint,
    /// Unique per model in this process: answers computed from this model carry it.
    generation: u64,
    /// The stored version the behaviour grew from.
    version: i64,
    base: Arc<Behaviour>,
    /// `base` plus the orders added since it was built.
    pub(super) b: Arc<Behaviour>,
    pub(super) c: Arc<Catalog>,
}

/// Source of [`ShopModel::generation`].
static GENERATIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl ShopModel {
    /// Which model this is (unique within the process).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The stored model version it serves (the same in every process that serves it).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// What the explanation of an answer says about the model.
    pub fn info(&self) -> attune_api::storefront::ModelInfo {
        attune_api::storefront::ModelInfo {
            version: self.version,
            built_at: DateTime::<Utc>::from_timestamp(self.base.built_at, 0)
                .unwrap_or_default()
                .to_rfc3339(),
            orders: u64::try_from(self.b.orders.count).unwrap_or(0),
        }
    }

    pub(super) fn product(&self, item: u32) -> Option<&ProductRow> {
        self.c.products.get(item as usize)?.as_ref()
    }

    /// Products in the catalog's dense index (built items first, then newer products).
    pub(super) fn n_products(&self) -> usize {
        self.c.products.len()
    }

    pub(super) fn platform(&self, id: &str) -> Option<u32> {
        self.c.by_platform.get(id).copied()
    }

    pub(super) fn name(&self, s: &str) -> Option<u32> {
        self.c.names.get(&s.trim().to_lowercase()).copied()
    }
}

/// The outcome of [`ModelCache::check`].
enum Checked {
    Current(Arc<ShopModel>),
    Changed(Fingerprint, Option<i64>),
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
    /// The shop's current model: the one in memory while nothing changed, else the stored one
    /// (grown by the orders added since), else a new build, which is then stored.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<ShopModel>, AppError> {
        if let Some(m) = self.fresh(shop) {
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
        if let Checked::Current(m) = self.check(db, shop).await? {
            return Ok(m);
        }
        let _one = self.building.lock().await;
        // Another request may have brought it up to date while this one waited.
        let (fp, stored) = match self.check(db, shop).await? {
            Checked::Current(m) => return Ok(m),
            Checked::Changed(fp, stored) => (fp, stored),
        };
        let mine = self.cached(shop);
        let (version, base) = match mine.filter(|m| Some(m.version) == stored) {
            Some(m) => (m.version, m.base.clone()),
            None => load_or_build(db, shop).await?,
        };
        self.assemble(db, shop, fp, version, base).await
    }

    /// What the database says now: the model in memory is current (then marked checked), or
    /// the data's fingerprint and the stored version it must be brought to.
    async fn check(&self, db: &DatabaseConnection, shop: ShopId) -> Result<Checked, AppError> {
        let fp = fingerprint(db, shop).await?;
        let stored = db::models::version(db, shop).await?;
        match self.cached(shop) {
            Some(m) if m.fingerprint == fp && Some(m.version) == stored => {
                let mut models = self.models.write().unwrap_or_else(|p| p.into_inner());
                if let Some(e) = models.get_mut(&shop) {
                    e.checked = Instant::now();
                }
                Ok(Checked::Current(m))
            }
            _ => Ok(Checked::Changed(fp, stored)),
        }
    }

    /// The model over `base` for the data as it is now: orders added since are grown in (a
    /// change to older orders means a full build instead), the catalog side is derived again
    /// unless only the orders moved and the catalog is the one in memory.
    async fn assemble(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
        fp: Fingerprint,
        mut version: i64,
        mut base: Arc<Behaviour>,
    ) -> Result<Arc<ShopModel>, AppError> {
        let mine = self.cached(shop);
        let b = if base.orders == fp.0 {
            base.clone()
        } else if let Some(m) = mine
            .as_ref()
            .filter(|m| m.version == version && m.b.orders == fp.0)
        {
            m.b.clone()
        } else if orders::only_added_since(db, shop, &base.orders).await? {
            let lines = orders::basket_lines_timed(db, shop, Some(base.watermark)).await?;
            let grown = base.clone();
            let orders_now = fp.0;
            Arc::new(
                tokio::task::spawn_blocking(move || grown.grow(lines, orders_now))
                    .await
                    .map_err(|e| anyhow::anyhow!("growing the recommendation model failed: {e}"))?,
            )
        } else {
            (version, base) = build_and_store(db, shop, Some(version)).await?;
            base.clone()
        };
        let c = match mine.as_ref().filter(|m| {
            (m.fingerprint.1, m.fingerprint.2) == (fp.1, fp.2)
                && Arc::ptr_eq(&m.base, &base)
                && m.b.intervals == b.intervals
        }) {
            Some(m) => m.c.clone(),
            None => Arc::new(catalog_side(db, shop, b.clone()).await?),
        };
        let model = Arc::new(ShopModel {
            fingerprint: fp,
            generation: GENERATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            version,
            base,
            b,
            c,
        });
        self.models
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                shop,
                Entry {
                    model: model.clone(),
                    checked: Instant::now(),
                },
            );
        Ok(model)
    }

    fn cached(&self, shop: ShopId) -> Option<Arc<ShopModel>> {
        self.models
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&shop)
            .map(|e| e.model.clone())
    }

    /// The cached model if it was checked within [`RECHECK`]. Age alone never makes a request
    /// wait: the scheduled rebuild replaces old models in the background.
    fn fresh(&self, shop: ShopId) -> Option<Arc<ShopModel>> {
        let models = self.models.read().unwrap_or_else(|p| p.into_inner());
        let e = models.get(&shop)?;
        (e.checked.elapsed() < RECHECK).then(|| e.model.clone())
    }

    /// Rebuilds in full, in the background, every model built more than [`REBUILD_EVERY`] ago
    /// (by whichever process): new browsing for "also viewed", new customers for "for you",
    /// and edits the growth path could not see. Requests keep the old model until the new one
    /// is in; a process that finds a newer stored model takes that one instead.
    pub async fn rebuild_due(&self, db: &DatabaseConnection) {
        let now = Utc::now().timestamp();
        let due: Vec<(ShopId, i64)> = self
            .models
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(_, e)| now - e.model.base.built_at >= REBUILD_EVERY.as_secs() as i64)
            .map(|(shop, e)| (*shop, e.model.version))
            .collect();
        for (shop, version) in due {
            let rebuilt = async {
                let _one = self.building.lock().await;
                let (version, base) = match db::models::version(db, shop).await? {
                    Some(v) if v == version => build_and_store(db, shop, Some(v)).await?,
                    // Someone rebuilt it already (or it was erased): take theirs, or start over.
                    _ => load_or_build(db, shop).await?,
                };
                let fp = fingerprint(db, shop).await?;
                self.assemble(db, shop, fp, version, base).await
            }
            .await;
            if let Err(e) = rebuilt {
                tracing::warn!(shop = %shop, error = %e, "scheduled model rebuild failed");
            }
        }
    }
}

/// The stored model, decoded; a model that no longer decodes (an older encoding) is built
/// again and stored over.
async fn load_or_build(
    db: &DatabaseConnection,
    shop: ShopId,
) -> Result<(i64, Arc<Behaviour>), AppError> {
    match load(db, shop).await? {
        Loaded::Model(version, b) => Ok((version, b)),
        Loaded::Unreadable(version) => build_and_store(db, shop, Some(version)).await,
        Loaded::Missing => build_and_store(db, shop, None).await,
    }
}

enum Loaded {
    Missing,
    Unreadable(i64),
    Model(i64, Arc<Behaviour>),
}

async fn load(db: &DatabaseConnection, shop: ShopId) -> Result<Loaded, AppError> {
    let Some((version, data)) = db::models::load(db, shop).await? else {
        return Ok(Loaded::Missing);
    };
    let decoded = tokio::task::spawn_blocking(move || postcard::from_bytes::<Behaviour>(&data))
        .await
        .map_err(|e| anyhow::anyhow!("decoding the stored recommendation model failed: {e}"))?;
    match decoded {
        Ok(b) => Ok(Loaded::Model(version, Arc::new(b))),
        Err(e) => {
            tracing::warn!(shop = %shop, error = %e, "stored recommendation model unreadable; rebuilding");
            Ok(Loaded::Unreadable(version))
        }
    }
}

/// A full build from the database, stored over version `over`. When another process stored a
/// model first, that one is loaded and returned instead, so all processes serve the same.
async fn build_and_store(
    db: &DatabaseConnection,
    shop: ShopId,
    over: Option<i64>,
) -> Result<(i64, Arc<Behaviour>), AppError> {
    let built = Arc::new(build(db, shop).await?);
    let encoded = {
        let b = built.clone();
        tokio::task::spawn_blocking(move || postcard::to_stdvec(b.as_ref()))
            .await
            .map_err(|e| anyhow::anyhow!("encoding the recommendation model failed: {e}"))?
            .map_err(|e| anyhow::anyhow!("encoding the recommendation model failed: {e}"))?
    };
    let bytes = encoded.len();
    let source = format!(
        "{} orders up to id {}",
        built.orders.count, built.orders.max_id
    );
    match db::models::store(db, shop, over, &source, encoded).await? {
        Some(version) => {
            tracing::info!(shop = %shop, version, bytes, "recommendation model stored");
            Ok((version, built))
        }
        None => match load(db, shop).await? {
            Loaded::Model(version, theirs) => Ok((version, theirs)),
            _ => Err(AppError::Unavailable(
                "the recommendation model is being rebuilt; try again".into(),
            )),
        },
    }
}

fn intern(names: &mut HashMap<String, u32>, s: &str) -> u32 {
    let key = s.trim().to_lowercase();
    let next = names.len() as u32;
    *names.entry(key).or_insert(next)
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
async fn build(db: &DatabaseConnection, shop: ShopId) -> Result<Behaviour, AppError> {
    // The orders' fingerprint first: anything added while reading is grown in later.
    let orders_then = orders::fingerprint(db, shop).await?;
    let product_ids = catalog::ids_in_order(db, shop).await?;
    let lines = orders::basket_lines_timed(db, shop, None).await?;
    let views = db::events::product_views(
        db,
        shop,
        Utc::now() - chrono::Duration::days(VIEW_WINDOW_DAYS),
    )
    .await?;
    let by_platform = catalog::product_ids(db, shop).await?;
    // Heavy numeric work off the async runtime's threads.
    let started = Instant::now();
    let b = tokio::task::spawn_blocking(move || {
        Behaviour::build(product_ids, lines, views, &by_platform, orders_then)
    })
    .await
    .map_err(|e| anyhow::anyhow!("recommendation model build failed: {e}"))?;
    tracing::info!(
        products = b.product_ids.len(),
        purchases = b.purchases.len(),
        ms = started.elapsed().as_millis() as u64,
        "recommendation models built"
    );
    Ok(b)
}

impl Behaviour {
    fn build(
        product_ids: Vec<i64>,
        lines: Vec<(i64, i64, DateTime<Utc>, Option<i64>)>,
        views: Vec<(i64, String, DateTime<Utc>)>,
        by_platform: &HashMap<String, i64>,
        orders_then: OrdersFingerprint,
    ) -> Self {
        let n = product_ids.len();
        let index_of: HashMap<i64, u32> = product_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        let mut b = Behaviour {
            orders: orders_then,
            watermark: 0,
            built_at: Utc::now().timestamp(),
            product_ids,
            purchases: Vec::with_capacity(lines.len()),
            by_customer: Vec::new(),
            copurchase: CoPurchase::build(n, std::iter::empty(), MAX_NEIGHBORS),
            coview: CoPurchase::build(n, std::iter::empty(), MAX_NEIGHBORS),
            trending: Vec::new(),
            intervals: Vec::new(),
            next: None,
            customer_idx: HashMap::new(),
            bought_by: HashMap::new(),
        };
        let mut interactions: Vec<Interaction> = Vec::new();
        let mut order_idx: HashMap<i64, u32> = HashMap::new();
        let baskets = b.take_lines(&index_of, lines, |c, idx, t, order_id| {
            let next_order = order_idx.len() as u32;
            interactions.push(Interaction {
                user: c,
                item: idx,
                ts: t,
                event: Event::Purchase,
                order: *order_idx.entry(order_id).or_insert(next_order),
                qty: 1.0,
            });
        });
        b.watermark = b.watermark.max(orders_then.max_id);
        b.copurchase = CoPurchase::build(n, baskets.iter().map(Vec::as_slice), MAX_NEIGHBORS);

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
        b.next = (repeaters >= MIN_REPEAT_CUSTOMERS).then(|| {
            NextBasketModel::build(
                &interactions,
                b.customer_idx.len(),
                n,
                None,
                &NextBasketConfig::default(),
            )
        });

        // Browsing sessions: one visitor's product views with no gap over 30 minutes.
        let mut sessions: Vec<Vec<u32>> = Vec::new();
        let mut last: Option<(i64, i64)> = None;
        for (visitor, product, at) in views {
            let Some(idx) = by_platform.get(&product).and_then(|id| index_of.get(id)) else {
                continue;
            };
            let t = at.timestamp();
            if last.is_none_or(|(v, prev)| v != visitor || t - prev > SESSION_GAP_SECS) {
                sessions.push(Vec::new());
            }
            last = Some((visitor, t));
            if let Some(s) = sessions.last_mut() {
                s.push(*idx);
            }
        }
        b.coview = CoPurchase::build(n, sessions.iter().map(Vec::as_slice), MAX_NEIGHBORS);
        b.refresh_derived();
        b
    }

    /// Records order lines (grouped by order) as purchases; returns their baskets. `each`
    /// sees every line of a known customer as `(customer index, item, unix time, order id)`.
    fn take_lines(
        &mut self,
        index_of: &HashMap<i64, u32>,
        lines: Vec<(i64, i64, DateTime<Utc>, Option<i64>)>,
        mut each: impl FnMut(u32, u32, i64, i64),
    ) -> Vec<Vec<u32>> {
        let mut baskets: Vec<Vec<u32>> = Vec::new();
        let mut current_order = None;
        for (order_id, product_id, placed_at, customer) in lines {
            self.watermark = self.watermark.max(order_id);
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
            let t = placed_at.timestamp();
            self.purchases.push((idx, t));
            if let Some(c) = customer {
                self.bought_by.entry(c).or_default().push((idx, t));
                let next = self.customer_idx.len() as u32;
                let c = *self.customer_idx.entry(c).or_insert(next);
                self.by_customer.push((c, idx, t));
                each(c, idx, t, order_id);
            }
        }
        baskets
    }

    /// Trending and repurchase intervals, from the purchases held.
    fn refresh_derived(&mut self) {
        let n = self.product_ids.len();
        self.trending =
            attune_engine::trending::trending(&self.purchases, n, TRENDING_HALF_LIFE_DAYS);
        self.intervals =
            attune_engine::replenishment::intervals(&self.by_customer, n, MIN_REPURCHASES);
    }

    /// This behaviour with orders added since its build taken in: co-purchase counts grow in
    /// place, trending, buy-again intervals and segment purchases are recomputed exactly. The
    /// next-basket model ("for you") and "also viewed" learn them at the next full build.
    /// Every process grows the same stored model by the same orders, so they agree.
    fn grow(
        &self,
        lines: Vec<(i64, i64, DateTime<Utc>, Option<i64>)>,
        orders_now: OrdersFingerprint,
    ) -> Behaviour {
        let index_of: HashMap<i64, u32> = self
            .product_ids
            .iter()
            .enumerate()
            .map(|(i, &id)| (id, i as u32))
            .collect();
        let mut b = Behaviour {
            orders: orders_now,
            watermark: self.watermark,
            built_at: self.built_at,
            product_ids: self.product_ids.clone(),
            purchases: self.purchases.clone(),
            by_customer: self.by_customer.clone(),
            copurchase: self.copurchase.clone(),
            coview: self.coview.clone(),
            trending: Vec::new(),
            intervals: Vec::new(),
            next: self.next.clone(),
            customer_idx: self.customer_idx.clone(),
            bought_by: self.bought_by.clone(),
        };
        let baskets = b.take_lines(&index_of, lines, |_, _, _, _| {});
        b.watermark = b.watermark.max(orders_now.max_id);
        b.copurchase.absorb(baskets.iter().map(Vec::as_slice));
        b.refresh_derived();
        b
    }
}

/// The catalog side for `b`: the products it was built over keep their indices (deleted ones
/// stay as empty slots), products added since follow.
async fn catalog_side(
    db: &DatabaseConnection,
    shop: ShopId,
    b: Arc<Behaviour>,
) -> Result<Catalog, AppError> {
    let rows = catalog::all(db, shop).await?;
    let links = catalog::all_collection_links(db, shop).await?;
    tokio::task::spawn_blocking(move || Catalog::build(&b, rows, links))
        .await
        .map_err(|e| anyhow::anyhow!("catalog index build failed: {e}").into())
}

impl Catalog {
    fn build(b: &Behaviour, rows: Vec<ProductRow>, links: Vec<(i64, String, String)>) -> Self {
        let mut index_of: HashMap<i64, u32> = HashMap::with_capacity(rows.len());
        for (i, &id) in b.product_ids.iter().enumerate() {
            index_of.insert(id, i as u32);
        }
        let mut products: Vec<Option<ProductRow>> = vec![None; b.product_ids.len()];
        for row in rows {
            match index_of.get(&row.id) {
                Some(&i) => products[i as usize] = Some(row),
                None => {
                    index_of.insert(row.id, products.len() as u32);
                    products.push(Some(row));
                }
            }
        }
        // Deleted products answer to nothing.
        index_of.retain(|_, &mut i| products[i as usize].is_some());
        let mut by_platform = HashMap::with_capacity(products.len());
        for (i, p) in products.iter().enumerate() {
            if let Some(p) = p {
                by_platform.insert(p.platform_id.clone(), i as u32);
            }
        }
        let items: Vec<ItemText> = products
            .iter()
            .map(|p| match p {
                Some(p) => ItemText {
                    title: p.title.clone(),
                    product_type: p.product_type.clone(),
                    vendor: p.vendor.clone(),
                    tags: tags_of(p),
                    description: p.description.clone(),
                },
                None => ItemText::default(),
            })
            .collect();
        let mut names: HashMap<String, u32> = HashMap::new();
        let mut collections: Vec<Vec<u32>> = vec![Vec::new(); products.len()];
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
            .map(|(i, (p, collections))| match p {
                Some(p) => ItemFacts {
                    active: p.status == "active",
                    inventory: p.inventory_quantity,
                    price_minor: p.price_minor,
                    cost_minor: p.cost_minor,
                    vendor: intern(&mut names, &p.vendor),
                    product_type: intern(&mut names, &p.product_type),
                    tags: tags_of(p).iter().map(|t| intern(&mut names, t)).collect(),
                    collections,
                    created_at: p.created_at.timestamp(),
                    replenishable: b.intervals.get(i).is_some_and(Option::is_some),
                },
                None => ItemFacts::default(),
            })
            .collect();
        Catalog {
            products,
            content: ContentIndex::build(&items),
            facts,
            names,
            index_of,
            by_platform,
        }
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
