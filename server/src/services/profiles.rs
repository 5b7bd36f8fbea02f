//! Shopper profiles: who a person is to the shop (orders, value, predictions), what they
//! lean towards (affinities, price band) and what they are doing now (session context,
//! behaviour), as facts segment rules read.
//!
//! A person is an anonymous visitor, or a customer with every browser stitched to them. The
//! shop-level models (RFM quintiles, BG/NBD + Gamma-Gamma, price bands; see
//! `attune_engine::profile`) are fitted once per snapshot; one person's facts are computed
//! from their own rows on each storefront request, so they are current with the last event.

use std::collections::HashMap;

use attune_api::events::EventKind as WireKind;
use attune_engine::profile::{
    Affinities, AttributeKind, CustomerSummary, OrderFact, PriceBand, Scores, ShopModels, Signal,
};
use attune_engine::segments::{AffinityKind, EventFacts, EventKind, Field, Visitor, Vocabulary};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db::entities::storefront_event;
use crate::db::{self, ShopId};
use crate::error::AppError;

/// Gap that ends a session, as analytics tools usually count them.
const SESSION_GAP_SECS: i64 = 30 * 60;
/// Events a person's facts are computed from: the newest this many within this window.
pub const MAX_EVENTS: u64 = 500;
pub const EVENT_WINDOW_DAYS: i64 = 90;

/// A product as profiles see it: folded attribute strings.
#[derive(Debug, Clone, Default)]
pub struct ProductFacts {
    pub platform_id: String,
    pub collections: Vec<String>,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    pub price_minor: i64,
}

/// The shop's catalog by platform product id and by our id.
#[derive(Debug, Default)]
pub struct CatalogFacts {
    pub by_platform: HashMap<String, ProductFacts>,
    pub platform_of: HashMap<i64, String>,
}

impl CatalogFacts {
    pub async fn load(db: &DatabaseConnection, shop: ShopId) -> Result<Self, AppError> {
        let mut collections: HashMap<i64, Vec<String>> = HashMap::new();
        for (product, pid, handle) in db::catalog::all_collection_links(db, shop).await? {
            let list = collections.entry(product).or_default();
            // Rules may name a collection by handle or by id.
            list.push(handle);
            list.push(pid);
        }
        let mut out = CatalogFacts::default();
        for (id, platform_id, product_type, vendor, tags, price_minor) in
            db::catalog::attributes(db, shop).await?
        {
            let tags = tags
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            out.platform_of.insert(id, platform_id.clone());
            out.by_platform.insert(
                platform_id.clone(),
                ProductFacts {
                    platform_id,
                    collections: collections.remove(&id).unwrap_or_default(),
                    product_type,
                    vendor,
                    tags,
                    price_minor,
                },
            );
        }
        Ok(out)
    }

    /// Every string of the catalog, so rules compiled later find them.
    pub fn intern_into(&self, vocab: &mut Vocabulary) {
        for p in self.by_platform.values() {
            vocab.intern(&p.platform_id);
            vocab.intern(&p.product_type);
            vocab.intern(&p.vendor);
            for s in p.collections.iter().chain(&p.tags) {
                vocab.intern(s);
            }
        }
    }

    fn attributes<'a>(&'a self, product: &str) -> Vec<(AttributeKind, &'a str)> {
        let Some(p) = self.by_platform.get(product) else {
            return Vec::new();
        };
        let mut out = vec![
            (AttributeKind::ProductType, p.product_type.as_str()),
            (AttributeKind::Vendor, p.vendor.as_str()),
        ];
        out.extend(
            p.collections
                .iter()
                .map(|c| (AttributeKind::Collection, c.as_str())),
        );
        out.extend(p.tags.iter().map(|t| (AttributeKind::Tag, t.as_str())));
        out.retain(|(_, s)| !s.trim().is_empty());
        out
    }
}

/// One storefront event, as profiles read it.
#[derive(Debug, Clone)]
pub struct SeenEvent {
    pub kind: EventKind,
    pub at: i64,
    pub product: Option<String>,
    pub collection: Option<String>,
    pub cart_value_minor: Option<i64>,
    pub cart_items: Option<u32>,
    pub context: Option<serde_json::Value>,
}

impl SeenEvent {
    pub fn from_row(e: &storefront_event::Model) -> Option<Self> {
        Self::from_parts(
            &e.kind,
            e.occurred_at.timestamp(),
            &e.platform_product_id,
            &e.payload,
        )
    }

    /// From a stored event's columns: kind, time, product id (empty for none), payload.
    pub fn from_parts(kind: &str, at: i64, product: &str, p: &serde_json::Value) -> Option<Self> {
        let kind = match WireKind::parse(kind)? {
            WireKind::PageViewed => EventKind::PageViewed,
            WireKind::ProductViewed => EventKind::ProductViewed,
            WireKind::CollectionViewed => EventKind::CollectionViewed,
            WireKind::SearchSubmitted => EventKind::SearchSubmitted,
            WireKind::ProductAddedToCart => EventKind::ProductAddedToCart,
            WireKind::CheckoutStarted => EventKind::CheckoutStarted,
            WireKind::CheckoutCompleted => EventKind::CheckoutCompleted,
            // Measurement of our own blocks says nothing about the shopper's interests.
            WireKind::RecommendationViewed
            | WireKind::RecommendationClicked
            | WireKind::OfferViewed
            | WireKind::OfferClicked => return None,
        };
        Some(SeenEvent {
            kind,
            at,
            product: Some(product.to_owned()).filter(|s| !s.is_empty()),
            collection: p
                .get("collection")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            cart_value_minor: p.get("cart_value_minor").and_then(|v| v.as_i64()),
            cart_items: p
                .get("cart_items")
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok()),
            context: p.get("context").cloned(),
        })
    }
}

/// A person: an anonymous visitor or a customer (with all their browsers).
#[derive(Debug, Clone, Default)]
pub struct Person {
    /// Opaque: the visitor key, or `customer-<our id>`. Never an email or a name.
    pub id: String,
    pub customer: Option<i64>,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub orders: Vec<OrderFact>,
    /// `(product platform id, unit price, quantity, at)` of what they bought.
    pub lines: Vec<(String, i64, u32, i64)>,
    /// Newest first.
    pub events: Vec<SeenEvent>,
}

impl Person {
    pub fn summary(&self) -> Option<CustomerSummary> {
        (!self.orders.is_empty()).then(|| CustomerSummary::from_orders(&self.orders))
    }
}

/// Where a session came from, in the segment language's words.
pub fn classify_source(ctx: &serde_json::Value) -> &'static str {
    let get = |k: &str| {
        ctx.get(k)
            .and_then(|v| v.as_str())
            .map(|s| s.trim().to_lowercase())
            .unwrap_or_default()
    };
    let (source, medium, referrer) = (get("utm_source"), get("utm_medium"), get("referrer"));
    const SOCIAL: [&str; 12] = [
        "facebook",
        "fb",
        "instagram",
        "ig",
        "tiktok",
        "pinterest",
        "snapchat",
        "twitter",
        "x",
        "linkedin",
        "meta",
        "youtube",
    ];
    const SEARCH: [&str; 6] = ["google", "bing", "duckduckgo", "yahoo", "ecosia", "baidu"];
    let paid = [
        "cpc",
        "ppc",
        "cpm",
        "paid",
        "paid_social",
        "paidsocial",
        "paid-social",
        "ads",
    ]
    .iter()
    .any(|m| medium == *m || medium.contains("paid"));
    let is = |list: &[&str], s: &str| list.iter().any(|x| s == *x || s.contains(&format!("{x}.")));
    if !source.is_empty() || !medium.is_empty() {
        return if paid && is(&SOCIAL, &source) {
            "paid_social"
        } else if paid {
            "paid_search"
        } else if medium.contains("email")
            || source.contains("newsletter")
            || source.contains("email")
        {
            "email"
        } else if medium.contains("social") || is(&SOCIAL, &source) {
            "organic_social"
        } else if is(&SEARCH, &source) {
            "organic_search"
        } else if medium == "referral" {
            "referral"
        } else {
            "other"
        };
    }
    if referrer.is_empty() {
        "direct"
    } else if is(&SEARCH, &referrer) {
        "organic_search"
    } else if is(&SOCIAL, &referrer)
        || referrer.starts_with("t.co")
        || referrer.starts_with("l.facebook")
    {
        "organic_social"
    } else {
        "referral"
    }
}

/// A person's facts for segment rules.
pub fn visitor_of(
    person: &Person,
    models: &ShopModels,
    catalog: &CatalogFacts,
    vocab: &Vocabulary,
    now: i64,
) -> Visitor {
    let mut v = Visitor::new();
    fill(&mut v, person, models, catalog, vocab, now);
    v
}

/// [`visitor_of`] into a reused visitor.
pub fn fill(
    v: &mut Visitor,
    person: &Person,
    models: &ShopModels,
    catalog: &CatalogFacts,
    vocab: &Vocabulary,
    now: i64,
) {
    v.clear();
    let summary = person.summary();
    v.set_bool(Field::IsCustomer, person.customer.is_some());
    v.set_number(
        Field::OrdersCount,
        summary.as_ref().map_or(0.0, |s| f64::from(s.orders_count)),
    );
    v.set_money(
        Field::TotalSpent,
        summary.as_ref().map_or(0, |s| s.total_spent_minor),
    );
    if let Some(s) = &summary {
        v.set_money(Field::AverageOrderValue, s.average_order_value_minor());
        if let Some(d) = s.days_since_last_order(now) {
            v.set_number(Field::DaysSinceLastOrder, d);
        }
        v.set_number(Field::DiscountShare, s.discount_share());
        if let Some(scores) = models.score(s, now) {
            set_scores(v, &scores);
        }
    }
    if let Some(bands) = &models.price_bands
        && let Some(band) = bands.band_of_purchases(person.lines.iter().map(|l| (l.1, l.2)))
    {
        let name = match band {
            PriceBand::Low => "low",
            PriceBand::Mid => "mid",
            PriceBand::High => "high",
        };
        v.set_text(Field::PriceBand, name, vocab);
    }
    // Affinities: purchases count three times a view, both fading with a 30-day half-life.
    let mut aff = Affinities::new();
    for (product, _, _, at) in &person.lines {
        aff.record(*at, Signal::Purchase, catalog.attributes(product));
    }
    for e in person.events.iter().rev() {
        if e.kind == EventKind::ProductViewed
            && let Some(p) = &e.product
        {
            aff.record(e.at, Signal::View, catalog.attributes(p));
        }
    }
    for (kind, top) in [
        AttributeKind::Collection,
        AttributeKind::ProductType,
        AttributeKind::Vendor,
        AttributeKind::Tag,
    ]
    .into_iter()
    .zip(aff.top_per_kind(now))
    {
        let ak = match kind {
            AttributeKind::Collection => AffinityKind::Collection,
            AttributeKind::ProductType => AffinityKind::ProductType,
            AttributeKind::Vendor => AffinityKind::Vendor,
            AttributeKind::Tag => AffinityKind::Tag,
        };
        v.set_affinities(ak, top.iter().filter_map(|a| vocab.get(&a.value)));
    }
    session_facts(v, person, vocab, now);
    // Behaviour: every recent event with its product's attributes.
    let mut cols: Vec<u32> = Vec::new();
    let mut tags: Vec<u32> = Vec::new();
    for e in &person.events {
        cols.clear();
        tags.clear();
        let mut facts = EventFacts::new(e.kind, e.at);
        let product = e
            .product
            .as_deref()
            .and_then(|p| catalog.by_platform.get(p));
        if let Some(p) = product {
            facts.product = vocab.get(&p.platform_id);
            facts.product_type = vocab.get(&p.product_type);
            facts.vendor = vocab.get(&p.vendor);
            cols.extend(p.collections.iter().filter_map(|c| vocab.get(c)));
            tags.extend(p.tags.iter().filter_map(|t| vocab.get(t)));
        }
        if let Some(c) = e.collection.as_deref().and_then(|c| vocab.get(c)) {
            cols.push(c);
        }
        facts.collections = &cols;
        facts.tags = &tags;
        v.push_event(facts);
    }
}

fn set_scores(v: &mut Visitor, s: &Scores) {
    v.set_number(Field::RecencyScore, f64::from(s.recency_score));
    v.set_number(Field::FrequencyScore, f64::from(s.frequency_score));
    v.set_number(Field::MonetaryScore, f64::from(s.monetary_score));
    v.set_number(Field::ChurnRisk, s.churn_risk);
    v.set_money(Field::PredictedClv, s.predicted_clv_minor);
    if let Some(d) = s.predicted_days_to_next_order {
        v.set_number(Field::PredictedDaysToNextOrder, d);
    }
}

/// Sessions are runs of events with gaps under 30 minutes; the latest one is "now".
fn session_facts(v: &mut Visitor, person: &Person, vocab: &Vocabulary, now: i64) {
    let first_seen = person
        .first_seen
        .or_else(|| person.events.last().map(|e| e.at));
    if let Some(first) = first_seen {
        v.set_number(
            Field::DaysSinceFirstSeen,
            ((now - first).max(0) as f64) / 86_400.0,
        );
    }
    let mut sessions = 0u32;
    let mut previous: Option<i64> = None;
    // Events are newest first: the latest session is the first run.
    let mut latest_session_end = 0usize;
    for (i, e) in person.events.iter().enumerate() {
        if previous.is_none_or(|p| p - e.at > SESSION_GAP_SECS) {
            sessions += 1;
        }
        if sessions == 1 {
            latest_session_end = i + 1;
        }
        previous = Some(e.at);
    }
    v.set_number(Field::SessionsCount, f64::from(sessions));
    let returning = sessions > 1 || person.customer.is_some();
    v.set_text(
        Field::VisitorType,
        if returning { "returning" } else { "new" },
        vocab,
    );
    let current = &person.events[..latest_session_end];
    v.set_number(
        Field::PagesViewed,
        current
            .iter()
            .filter(|e| e.kind == EventKind::PageViewed)
            .count() as f64,
    );
    let cart_value = current.iter().find_map(|e| e.cart_value_minor);
    let cart_items = current.iter().find_map(|e| e.cart_items);
    let added = current
        .iter()
        .filter(|e| e.kind == EventKind::ProductAddedToCart)
        .count();
    let checked_out = current
        .iter()
        .any(|e| e.kind == EventKind::CheckoutCompleted);
    v.set_money(
        Field::CartValue,
        if checked_out {
            0
        } else {
            cart_value.unwrap_or(0)
        },
    );
    v.set_number(
        Field::CartItems,
        if checked_out {
            0.0
        } else {
            f64::from(cart_items.unwrap_or(added as u32))
        },
    );
    // The session's context: on its earliest event that carries one.
    if let Some(ctx) = current.iter().rev().find_map(|e| e.context.as_ref()) {
        v.set_text(Field::Source, classify_source(ctx), vocab);
        for (field, key) in [
            (Field::UtmSource, "utm_source"),
            (Field::UtmMedium, "utm_medium"),
            (Field::UtmCampaign, "utm_campaign"),
            (Field::ReferrerDomain, "referrer"),
            (Field::LandingPage, "landing_page"),
            (Field::Device, "device"),
        ] {
            if let Some(s) = ctx.get(key).and_then(|v| v.as_str()) {
                v.set_text(field, s, vocab);
            }
        }
    } else if !current.is_empty() {
        v.set_text(Field::Source, "direct", vocab);
    }
}

/// Text values of a person's sessions, so a vocabulary built before rules knows them.
pub fn intern_person(person: &Person, vocab: &mut Vocabulary) {
    for e in &person.events {
        if let Some(ctx) = &e.context {
            vocab.intern(classify_source(ctx));
            for key in [
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "referrer",
                "landing_page",
                "device",
            ] {
                if let Some(s) = ctx.get(key).and_then(|v| v.as_str()) {
                    vocab.intern(s);
                }
            }
        }
        if let Some(c) = &e.collection {
            vocab.intern(c);
        }
    }
}

/// Fixed strings facts may take.
pub fn intern_fixed(vocab: &mut Vocabulary) {
    for s in [
        "low",
        "mid",
        "high",
        "new",
        "returning",
        "direct",
        "organic_search",
        "paid_search",
        "organic_social",
        "paid_social",
        "email",
        "referral",
        "other",
        "mobile",
        "tablet",
        "desktop",
    ] {
        vocab.intern(s);
    }
}

/// One person, fresh from the database: a storefront visitor (by key) and/or a customer
/// (by platform id, from signed data).
pub async fn load_person(
    db: &DatabaseConnection,
    shop: ShopId,
    visitor_key: Option<&str>,
    customer_platform_id: Option<&str>,
    catalog: &CatalogFacts,
    now: DateTime<Utc>,
) -> Result<Person, AppError> {
    let visitor = match visitor_key {
        Some(k) => db::events::find_visitor(db, shop, k).await?,
        None => None,
    };
    let mut customer = match customer_platform_id {
        Some(c) => db::orders::customer_row_id(db, shop, c).await?,
        None => None,
    };
    if customer.is_none() {
        customer = visitor.as_ref().and_then(|v| v.customer_id);
    }
    let mut visitor_ids = match &visitor {
        Some(v) => db::events::person_visitors(db, shop, v).await?,
        None => Vec::new(),
    };
    if let Some(c) = customer {
        for id in db::events::visitors_of_customer(db, shop, c).await? {
            if !visitor_ids.contains(&id) {
                visitor_ids.push(id);
            }
        }
    }
    let events = if visitor_ids.is_empty() {
        Vec::new()
    } else {
        db::events::recent(
            db,
            shop,
            &visitor_ids,
            now - chrono::Duration::days(EVENT_WINDOW_DAYS),
            MAX_EVENTS,
        )
        .await?
        .iter()
        .filter_map(SeenEvent::from_row)
        .collect()
    };
    let mut person = Person {
        id: match (customer, visitor_key) {
            (Some(c), _) => format!("customer-{c}"),
            (None, Some(k)) => k.to_owned(),
            (None, None) => String::new(),
        },
        customer,
        first_seen: visitor.as_ref().map(|v| v.first_seen_at.timestamp()),
        last_seen: visitor.as_ref().map(|v| v.last_seen_at.timestamp()),
        events,
        ..Default::default()
    };
    if let Some(c) = customer {
        for (_, placed_at, total, discount) in db::orders::orders_of_customer(db, shop, c).await? {
            person.orders.push(OrderFact {
                at: placed_at.timestamp(),
                total_minor: total,
                discounted: discount > 0,
            });
        }
        for (_, product, placed_at, price, qty) in
            db::orders::lines_of_customer(db, shop, c).await?
        {
            if let Some(pid) = catalog.platform_of.get(&product) {
                person.lines.push((
                    pid.clone(),
                    price,
                    u32::try_from(qty.max(0)).unwrap_or(0),
                    placed_at.timestamp(),
                ));
            }
        }
    }
    Ok(person)
}

/// Every person of the shop: customers (with their browsers) and anonymous visitors.
pub async fn load_population(
    db: &DatabaseConnection,
    shop: ShopId,
    catalog: &CatalogFacts,
    now: DateTime<Utc>,
) -> Result<Vec<Person>, AppError> {
    let mut people: Vec<Person> = Vec::new();
    let mut of_customer: HashMap<i64, usize> = HashMap::new();
    let mut of_visitor: HashMap<i64, usize> = HashMap::new();
    let mut person_for_customer = |people: &mut Vec<Person>, c: i64| -> usize {
        *of_customer.entry(c).or_insert_with(|| {
            people.push(Person {
                id: format!("customer-{c}"),
                customer: Some(c),
                ..Default::default()
            });
            people.len() - 1
        })
    };
    for (customer, placed_at, total, discount) in db::orders::customer_orders(db, shop).await? {
        let i = person_for_customer(&mut people, customer);
        people[i].orders.push(OrderFact {
            at: placed_at.timestamp(),
            total_minor: total,
            discounted: discount > 0,
        });
    }
    for (customer, product, placed_at, price, qty) in db::orders::customer_lines(db, shop).await? {
        if let Some(pid) = catalog.platform_of.get(&product) {
            let i = person_for_customer(&mut people, customer);
            people[i].lines.push((
                pid.clone(),
                price,
                u32::try_from(qty.max(0)).unwrap_or(0),
                placed_at.timestamp(),
            ));
        }
    }
    for v in db::events::visitors(db, shop).await? {
        let i = match v.customer_id {
            Some(c) => person_for_customer(&mut people, c),
            None => {
                people.push(Person {
                    id: v.visitor_key.clone(),
                    ..Default::default()
                });
                people.len() - 1
            }
        };
        let p = &mut people[i];
        let (first, last) = (v.first_seen_at.timestamp(), v.last_seen_at.timestamp());
        p.first_seen = Some(p.first_seen.map_or(first, |f| f.min(first)));
        p.last_seen = Some(p.last_seen.map_or(last, |l| l.max(last)));
        of_visitor.insert(v.id, i);
    }
    let since = now - chrono::Duration::days(EVENT_WINDOW_DAYS);
    let mut after = 0;
    loop {
        let page = db::events::page_since(db, shop, since, after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for e in &page {
            if let Some(&i) = of_visitor.get(&e.visitor_id)
                && let Some(seen) = SeenEvent::from_row(e)
            {
                people[i].events.push(seen);
            }
        }
    }
    for p in &mut people {
        p.events.sort_by_key(|e| std::cmp::Reverse(e.at));
        p.events.truncate(MAX_EVENTS as usize);
    }
    Ok(people)
}
