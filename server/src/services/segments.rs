//! Segments: saved rules, compiled per shop and evaluated for one visitor on every storefront
//! request, or over every profile for the admin's live count.
//!
//! Two cached views per shop, each rebuilt when what it depends on changes:
//! - [`ShopSegments`] for the storefront: compiled rules, the shop's fitted customer models and
//!   its catalog facts; a visitor's own facts are read fresh per request.
//! - [`Population`] for the admin: every profile's facts prebuilt, so a count is a loop over
//!   them, kept current with this process's events and rebuilt every [`POPULATION_TTL`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use attune_api::segments::{
    Segment, SegmentInput, SegmentList, SegmentMember, SegmentPreview, ValidSegment,
};
use attune_engine::profile::{CustomerSummary, MicroSegments, SegmentFeatures, ShopModels};
use attune_engine::segments::{Field, Membership, SegmentSet, Visitor, Vocabulary, compile};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::{self, ShopId, segments::SegmentFields};
use crate::error::AppError;
use crate::services::profiles::{self, CatalogFacts, Person};
use crate::services::segment_rules;

/// How long the admin's population view goes between full rebuilds. Events stored by this
/// process are folded in at once; this bounds how late other processes' events, and time
/// passing (recency, windows), show in counts.
pub const POPULATION_TTL: Duration = Duration::from_secs(300);
/// Profiles shown as a sample of a segment.
const SAMPLE: usize = 10;
/// Days of size history in the list's trend.
const TREND_DAYS: i64 = 30;

type Fingerprint = (
    db::orders::OrdersFingerprint,
    (i64, Option<DateTime<Utc>>),
    Vec<(i64, DateTime<Utc>)>,
);

/// What the storefront needs to place one visitor in a shop's segments.
pub struct ShopSegments {
    fingerprint: Fingerprint,
    pub set: SegmentSet,
    pub vocab: Vocabulary,
    pub models: ShopModels,
    pub catalog: CatalogFacts,
}

/// Every profile of a shop, facts prebuilt; events this process stores are folded in as they
/// arrive ([`SegmentCache::absorb`]), so counts follow behaviour without a rebuild.
pub struct Population {
    built: Instant,
    micro: MicroSegments,
    models: ShopModels,
    catalog: CatalogFacts,
    live: RwLock<Live>,
}

/// The part of a population that changes with each event.
struct Live {
    fingerprint: Fingerprint,
    set: SegmentSet,
    rows: Vec<db::segments::SegmentRow>,
    people: Vec<Person>,
    visitors: Vec<Visitor>,
    vocab: Vocabulary,
    /// Person id (visitor key or `customer-<id>`) -> position.
    index: HashMap<String, usize>,
}

impl Population {
    fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Default)]
pub struct SegmentCache {
    shops: RwLock<HashMap<ShopId, Arc<ShopSegments>>>,
    populations: RwLock<HashMap<ShopId, Arc<Population>>>,
    /// One population build at a time: concurrent admin requests wait for it and share it.
    building: tokio::sync::Mutex<()>,
    /// Customers of a set of segments, recomputed at most once a minute.
    audiences: RwLock<HashMap<(ShopId, Vec<String>), Audience>>,
}

/// When an audience was computed, and its customers.
type Audience = (Instant, Arc<HashSet<i64>>);

/// How long a segment audience (for trending within segments) is reused.
const AUDIENCE_TTL: Duration = Duration::from_secs(60);

fn read<T: Clone>(lock: &RwLock<HashMap<ShopId, T>>, shop: ShopId) -> Option<T> {
    lock.read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&shop)
        .cloned()
}

fn write<T>(lock: &RwLock<HashMap<ShopId, T>>, shop: ShopId, value: T) {
    lock.write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(shop, value);
}

async fn fingerprint(db: &DatabaseConnection, shop: ShopId) -> Result<Fingerprint, AppError> {
    let segments = db::segments::list(db, shop)
        .await?
        .into_iter()
        .map(|s| (s.id, s.updated_at))
        .collect();
    Ok((
        db::orders::fingerprint(db, shop).await?,
        db::catalog::fingerprint(db, shop).await?,
        segments,
    ))
}

/// The shop's saved segments compiled against `vocab`. A segment that no longer compiles
/// (it cannot, once saved, but rows may predate a rule change) is an error naming it.
fn compile_saved(
    rows: &[db::segments::SegmentRow],
    vocab: &mut Vocabulary,
) -> Result<SegmentSet, AppError> {
    let mut rules = Vec::with_capacity(rows.len());
    for row in rows {
        let valid = SegmentInput::new(&row.name, row.rules.clone())
            .validate()
            .map_err(|e| {
                anyhow::anyhow!(
                    "stored segment {} is not valid: {}",
                    row.public_id,
                    e.iter()
                        .map(|f| format!("{}: {}", f.field, f.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?;
        rules.push((
            row.public_id.as_str(),
            segment_rules::to_engine(&valid.rule),
        ));
    }
    SegmentSet::build(rules.iter().map(|(id, r)| (*id, r)), vocab)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored segments do not compile: {e}")))
}

fn fit_models(people: &[Person], catalog: &CatalogFacts, now: i64) -> ShopModels {
    let summaries: Vec<CustomerSummary> = people.iter().filter_map(Person::summary).collect();
    let prices: Vec<i64> = catalog
        .by_platform
        .values()
        .map(|p| p.price_minor)
        .collect();
    ShopModels::fit(&summaries, &prices, now)
}

impl SegmentCache {
    /// The storefront's view, rebuilt when orders, products or segments changed.
    pub async fn shop(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<ShopSegments>, AppError> {
        let fp = fingerprint(db, shop).await?;
        if let Some(s) = read(&self.shops, shop).filter(|s| s.fingerprint == fp) {
            return Ok(s);
        }
        let mut vocab = Vocabulary::new();
        profiles::intern_fixed(&mut vocab);
        let catalog = CatalogFacts::load(db, shop).await?;
        catalog.intern_into(&mut vocab);
        let rows = db::segments::list(db, shop).await?;
        let set = compile_saved(&rows, &mut vocab)?;
        let now = Utc::now().timestamp();
        let mut orders: HashMap<i64, Vec<attune_engine::profile::OrderFact>> = HashMap::new();
        for (customer, at, total, discount) in db::orders::customer_orders(db, shop).await? {
            orders
                .entry(customer)
                .or_default()
                .push(attune_engine::profile::OrderFact {
                    at: at.timestamp(),
                    total_minor: total,
                    discounted: discount > 0,
                });
        }
        let people: Vec<Person> = orders
            .into_values()
            .map(|orders| Person {
                orders,
                ..Default::default()
            })
            .collect();
        let built = Arc::new(ShopSegments {
            fingerprint: fp,
            set,
            vocab,
            models: fit_models(&people, &catalog, now),
            catalog,
        });
        write(&self.shops, shop, built.clone());
        Ok(built)
    }

    /// The admin's view: every profile, rebuilt when stale or when segments changed.
    pub async fn population(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
    ) -> Result<Arc<Population>, AppError> {
        let fp = fingerprint(db, shop).await?;
        if let Some(p) = self.current_population(db, shop, &fp).await? {
            return Ok(p);
        }
        let _one = self.building.lock().await;
        if let Some(p) = self.current_population(db, shop, &fp).await? {
            return Ok(p);
        }
        let now = Utc::now();
        let catalog = CatalogFacts::load(db, shop).await?;
        let people = profiles::load_population(db, shop, &catalog, now).await?;
        let rows = db::segments::list(db, shop).await?;
        let built = tokio::task::spawn_blocking(move || -> Result<Population, AppError> {
            let ts = now.timestamp();
            let models = fit_models(&people, &catalog, ts);
            let mut vocab = Vocabulary::new();
            profiles::intern_fixed(&mut vocab);
            catalog.intern_into(&mut vocab);
            for p in &people {
                profiles::intern_person(p, &mut vocab);
            }
            let set = compile_saved(&rows, &mut vocab)?;
            let visitors: Vec<Visitor> = people
                .iter()
                .map(|p| profiles::visitor_of(p, &models, &catalog, &vocab, ts))
                .collect();
            let micro = MicroSegments::fit(&visitors.iter().map(features).collect::<Vec<_>>());
            let index = people
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.clone(), i))
                .collect();
            Ok(Population {
                built: Instant::now(),
                micro,
                models,
                catalog,
                live: RwLock::new(Live {
                    fingerprint: fp,
                    set,
                    rows,
                    people,
                    visitors,
                    vocab,
                    index,
                }),
            })
        })
        .await
        .map_err(|e| anyhow::anyhow!("population build failed: {e}"))??;
        let built = Arc::new(built);
        record_sizes(db, shop, &built).await?;
        write(&self.populations, shop, built.clone());
        Ok(built)
    }
}

impl SegmentCache {
    /// The cached population if still usable for `fp`. When only the segments changed, their
    /// rules are recompiled in place: the profiles themselves did not change.
    async fn current_population(
        &self,
        db: &DatabaseConnection,
        shop: ShopId,
        fp: &Fingerprint,
    ) -> Result<Option<Arc<Population>>, AppError> {
        let Some(pop) =
            read(&self.populations, shop).filter(|p| p.built.elapsed() < POPULATION_TTL)
        else {
            return Ok(None);
        };
        let (same, same_data) = {
            let live = pop.live();
            (
                live.fingerprint == *fp,
                live.fingerprint.0 == fp.0 && live.fingerprint.1 == fp.1,
            )
        };
        if same {
            return Ok(Some(pop));
        }
        if !same_data {
            return Ok(None);
        }
        let rows = db::segments::list(db, shop).await?;
        {
            let mut live = pop.live.write().unwrap_or_else(|p| p.into_inner());
            let set = compile_saved(&rows, &mut live.vocab)?;
            live.set = set;
            live.rows = rows;
            live.fingerprint = fp.clone();
        }
        record_sizes(db, shop, &pop).await?;
        Ok(Some(pop))
    }

    /// Folds events this process just stored into the shop's population view, if it has one:
    /// the person's facts are recomputed from their updated history.
    pub fn absorb(
        &self,
        shop: ShopId,
        visitor_key: &str,
        customer: Option<i64>,
        events: &[profiles::SeenEvent],
    ) {
        let Some(pop) = read(&self.populations, shop) else {
            return;
        };
        let now = Utc::now().timestamp();
        let mut live = pop.live.write().unwrap_or_else(|p| p.into_inner());
        let Live {
            people,
            visitors,
            vocab,
            index,
            ..
        } = &mut *live;
        let id = match customer {
            Some(c) => format!("customer-{c}"),
            None => visitor_key.to_owned(),
        };
        let i = match index.get(&id).or_else(|| index.get(visitor_key)) {
            Some(&i) => i,
            None => {
                people.push(Person {
                    id: id.clone(),
                    customer,
                    first_seen: events.iter().map(|e| e.at).min(),
                    ..Default::default()
                });
                visitors.push(Visitor::new());
                index.insert(id, people.len() - 1);
                people.len() - 1
            }
        };
        let person = &mut people[i];
        person.events.extend(events.iter().cloned());
        person.events.sort_by_key(|e| std::cmp::Reverse(e.at));
        person.events.truncate(profiles::MAX_EVENTS as usize);
        person.last_seen = person.events.first().map(|e| e.at).max(person.last_seen);
        profiles::intern_person(person, vocab);
        profiles::fill(
            &mut visitors[i],
            person,
            &pop.models,
            &pop.catalog,
            vocab,
            now,
        );
    }
}

/// What clustering compares shoppers on.
fn features(v: &Visitor) -> SegmentFeatures {
    let n = |f: Field| v.number(f).unwrap_or(0.0);
    let sessions = n(Field::SessionsCount);
    SegmentFeatures {
        days_since_last_order: v.number(Field::DaysSinceLastOrder),
        orders_count: n(Field::OrdersCount),
        total_spent_minor: n(Field::TotalSpent),
        average_order_value_minor: n(Field::AverageOrderValue),
        discount_share: n(Field::DiscountShare),
        sessions_count: sessions,
        pages_per_session: if sessions > 0.0 {
            n(Field::PagesViewed) / sessions
        } else {
            0.0
        },
        churn_risk: v.number(Field::ChurnRisk),
    }
}

/// The shop's automatically found micro-segments.
pub async fn micro(
    db: &DatabaseConnection,
    cache: &SegmentCache,
    shop: ShopId,
    currency: &str,
) -> Result<attune_api::segments::MicroSegmentList, AppError> {
    let pop = cache.population(db, shop).await?;
    let profiles = pop.live().visitors.len();
    let total = profiles.max(1) as f64;
    Ok(attune_api::segments::MicroSegmentList {
        segments: pop
            .micro
            .segments
            .iter()
            .map(|m| attune_api::segments::MicroSegment {
                size: m.size as u64,
                share: m.size as f64 / total,
                description: m.description.clone(),
                buyer_share: m.typical.buyer_share,
                mean_orders: m.typical.mean_orders,
                mean_total_spent: crate::services::catalog::money(
                    m.typical.mean_total_spent_minor.round() as i64,
                    currency,
                ),
                median_days_since_last_order: m.typical.median_days_since_last_order,
                mean_sessions: m.typical.mean_sessions,
            })
            .collect(),
        silhouette: pop.micro.silhouette,
        profiles: profiles as u64,
    })
}

/// Today's size of every segment, for the trend.
async fn record_sizes(
    db: &DatabaseConnection,
    shop: ShopId,
    pop: &Population,
) -> Result<(), AppError> {
    let sizes = sizes(pop);
    let today = Utc::now().date_naive();
    let rows = pop.live().rows.clone();
    for row in &rows {
        let size = sizes.get(&row.public_id).copied().unwrap_or(0);
        db::segments::record_size(db, shop, row.id, today, size as i64).await?;
    }
    Ok(())
}

fn sizes(pop: &Population) -> HashMap<String, u64> {
    let now = Utc::now().timestamp();
    let live = pop.live();
    let mut counts = vec![0u64; live.set.len()];
    let mut m = Membership::new();
    for v in &live.visitors {
        live.set.evaluate_into(v, now, &mut m);
        for i in m.iter() {
            if let Some(c) = counts.get_mut(i.0 as usize) {
                *c += 1;
            }
        }
    }
    live.set.ids().iter().cloned().zip(counts).collect()
}

fn member(p: &Person, currency: &str) -> SegmentMember {
    let summary = p.summary();
    SegmentMember {
        visitor: p.id.clone(),
        is_customer: p.customer.is_some(),
        orders_count: summary.as_ref().map_or(0, |s| s.orders_count),
        total_spent: summary
            .as_ref()
            .map(|s| crate::services::catalog::money(s.total_spent_minor, currency)),
        last_seen: p
            .last_seen
            .or_else(|| p.orders.last().map(|o| o.at))
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
    }
}

/// The live count for a draft rule: how many profiles match, of how many, and a sample.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn preview(
    db: &DatabaseConnection,
    cache: &SegmentCache,
    shop: ShopId,
    valid: &ValidSegment,
    currency: &str,
) -> Result<SegmentPreview, AppError> {
    let pop = cache.population(db, shop).await?;
    let live = pop.live();
    let mut vocab = live.vocab.clone();
    let draft = compile(&segment_rules::to_engine(&valid.rule), &mut vocab, |id| {
        live.set.index_of(id)
    })
    .map_err(|e| AppError::field("rules", e.to_string()))?;
    let now = Utc::now().timestamp();
    let count = live.set.count(&draft, &live.visitors, now);
    let mut sample = Vec::new();
    let mut m = Membership::new();
    for (p, v) in live.people.iter().zip(&live.visitors) {
        if sample.len() >= SAMPLE || sample.len() as u64 >= count {
            break;
        }
        live.set.evaluate_into(v, now, &mut m);
        if draft.matches(v, now, &m) {
            sample.push(member(p, currency));
        }
    }
    Ok(SegmentPreview {
        count,
        total: live.visitors.len() as u64,
        sample,
    })
}

/// Saved segments with their current sizes and daily trend.
pub async fn list(
    db: &DatabaseConnection,
    cache: &SegmentCache,
    shop: ShopId,
) -> Result<SegmentList, AppError> {
    let pop = cache.population(db, shop).await?;
    let sizes = sizes(&pop);
    let from = Utc::now().date_naive() - chrono::Duration::days(TREND_DAYS);
    let mut trends: HashMap<i64, Vec<u64>> = HashMap::new();
    for (segment, _, size) in db::segments::sizes_since(db, shop, from).await? {
        trends.entry(segment).or_default().push(size.max(0) as u64);
    }
    let rows = db::segments::list(db, shop).await?;
    Ok(SegmentList {
        segments: rows
            .into_iter()
            .map(|r| Segment {
                size: sizes.get(&r.public_id).copied().unwrap_or(0),
                trend: trends.remove(&r.id).unwrap_or_default(),
                id: r.public_id,
                name: r.name,
                description: r.description,
                rules: r.rules,
                template: Some(r.template).filter(|t| !t.is_empty()),
                created_at: r.created_at.to_rfc3339(),
            })
            .collect(),
    })
}

/// Checks a segment against the shop's others (references exist, no cycle) before saving.
async fn check_with_others(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
    valid: &ValidSegment,
) -> Result<(), AppError> {
    let mut rows = db::segments::list(db, shop).await?;
    rows.retain(|r| r.public_id != public_id);
    let mut defs: Vec<(String, attune_engine::segments::Rule)> = Vec::new();
    for row in &rows {
        if let Ok(v) = SegmentInput::new(&row.name, row.rules.clone()).validate() {
            defs.push((row.public_id.clone(), segment_rules::to_engine(&v.rule)));
        }
    }
    defs.push((public_id.to_owned(), segment_rules::to_engine(&valid.rule)));
    let mut vocab = Vocabulary::new();
    SegmentSet::build(defs.iter().map(|(id, r)| (id.as_str(), r)), &mut vocab)
        .map(|_| ())
        .map_err(|e| AppError::field("rules", e.to_string()))
}

fn fields(valid: ValidSegment) -> SegmentFields {
    SegmentFields {
        name: valid.name,
        description: valid.description,
        template: valid.template.unwrap_or_default(),
        rules: valid.rules,
    }
}

pub async fn create(
    db: &DatabaseConnection,
    shop: ShopId,
    input: &SegmentInput,
) -> Result<db::segments::SegmentRow, AppError> {
    let valid = input.validate().map_err(AppError::Validation)?;
    let public_id = format!("seg_{}", uuid::Uuid::new_v4().simple());
    check_with_others(db, shop, &public_id, &valid).await?;
    Ok(db::segments::insert(db, shop, &public_id, fields(valid)).await?)
}

pub async fn update(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
    input: &SegmentInput,
) -> Result<db::segments::SegmentRow, AppError> {
    let valid = input.validate().map_err(AppError::Validation)?;
    check_with_others(db, shop, public_id, &valid).await?;
    db::segments::update(db, shop, public_id, fields(valid))
        .await?
        .ok_or_else(|| AppError::NotFound("no such segment".into()))
}

/// Deletes a segment no other segment or widget refers to.
pub async fn delete(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
) -> Result<(), AppError> {
    for row in db::segments::list(db, shop).await? {
        if row.public_id != public_id && row.rules.to_string().contains(&format!("\"{public_id}\""))
        {
            return Err(AppError::BadRequest(format!(
                "segment is used by segment \"{}\"; change that one first",
                row.name
            )));
        }
    }
    for w in db::widgets::list(db, shop).await? {
        if w.rules
            .get("segments")
            .and_then(|s| s.as_array())
            .is_some_and(|a| a.iter().any(|s| s.as_str() == Some(public_id)))
        {
            return Err(AppError::BadRequest(format!(
                "widget \"{}\" is limited to this segment; change that widget first",
                w.name
            )));
        }
    }
    if db::segments::delete(db, shop, public_id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("no such segment".into()))
    }
}

/// The segments one visitor (and/or signed-in customer) is in right now.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn membership(
    db: &DatabaseConnection,
    cache: &SegmentCache,
    shop: ShopId,
    visitor_key: Option<&str>,
    customer: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let s = cache.shop(db, shop).await?;
    if s.set.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let person = profiles::load_person(db, shop, visitor_key, customer, &s.catalog, now).await?;
    let v = profiles::visitor_of(&person, &s.models, &s.catalog, &s.vocab, now.timestamp());
    let m = s.set.evaluate(&v, now.timestamp());
    Ok(m.iter()
        .filter_map(|i| s.set.id(i).map(str::to_owned))
        .collect())
}

/// Customers (our row ids) in any of these segments, from the population view: the audience
/// whose purchases "trending in segment" counts.
pub async fn customers_in(
    db: &DatabaseConnection,
    cache: &SegmentCache,
    shop: ShopId,
    segments: &[String],
) -> Result<Arc<HashSet<i64>>, AppError> {
    let key = (shop, segments.to_vec());
    if let Some((at, found)) = cache
        .audiences
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        && at.elapsed() < AUDIENCE_TTL
    {
        return Ok(found.clone());
    }
    let pop = cache.population(db, shop).await?;
    let live = pop.live();
    let wanted: Vec<_> = segments
        .iter()
        .filter_map(|s| live.set.index_of(s))
        .collect();
    let now = Utc::now().timestamp();
    let mut m = Membership::new();
    let mut out = HashSet::new();
    for (p, v) in live.people.iter().zip(&live.visitors) {
        let Some(c) = p.customer else { continue };
        live.set.evaluate_into(v, now, &mut m);
        if wanted.iter().any(|&i| m.contains(i)) {
            out.insert(c);
        }
    }
    let out = Arc::new(out);
    let mut audiences = cache.audiences.write().unwrap_or_else(|p| p.into_inner());
    if audiences.len() > 1_000 {
        audiences.clear();
    }
    audiences.insert(key, (Instant::now(), out.clone()));
    Ok(out)
}
