//! Recommendations for a widget: the widget's recommender (see [`strategies`]), its own
//! fallback, then best sellers, with the merchant's rules applied by the engine
//! (`attune_engine::merchandise`) over the catalog held in memory ([`model`]). Each product
//! can carry its explanation: what it is based on, the score's parts and the rules applied.

mod answers;
mod model;
mod strategies;

use std::collections::HashSet;

use attune_api::storefront::{Explanation, Recommendations, RecommendedProduct, WidgetSummary};
use attune_api::widgets::{Placement, Strategy, WidgetRules};
use attune_engine::merchandise::{self, Boosts, Candidate as Slot, Origin, Pin, Request, Rules};
use chrono::Utc;
use sea_orm::DatabaseConnection;

pub use answers::{Answer, AnswerCache, Version};
pub(crate) use model::index_catalog;
pub use model::{ModelCache, REBUILD_EVERY, RECHECK, ShopModel, spawn_scheduled_rebuild};

use crate::db::widgets::WidgetRow;
use crate::db::{self, ShopId, orders};
use crate::error::AppError;
use crate::services::catalog::card;
use strategies::{Candidate, Inputs};

/// Recently viewed products read per request (distinct, newest first).
const RECENT_VIEWS: usize = 20;

/// Who is asking and where: all optional.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The platform id of the product being viewed.
    pub product: Option<String>,
    /// The platform id of the logged-in customer, from signed data only.
    pub customer: Option<String>,
    /// The storefront's first-party visitor id (segment targeting, behaviour).
    pub visitor: Option<String>,
    /// Attach each product's explanation.
    pub explain: bool,
    /// Platform product ids not to show in this answer (e.g. what is in the cart).
    pub exclude: Vec<String>,
    /// Platform product ids in the shopper's cart: seeds of cart cross-sell, never shown.
    pub cart: Vec<String>,
}

/// A storefront answer: the widget's list when the visitor is in its audience (one of its
/// segments, or everyone when it names none), otherwise an empty list the script hides.
pub async fn for_visitor(
    state: &crate::state::AppState,
    shop: ShopId,
    widget: &WidgetRow,
    rules: &WidgetRules,
    ctx: &Context,
) -> Result<Recommendations, AppError> {
    if !rules.segments.is_empty() {
        let member_of = crate::services::segments::membership(
            &state.db,
            &state.segments,
            shop,
            ctx.visitor.as_deref(),
            ctx.customer.as_deref(),
        )
        .await?;
        if !rules.segments.iter().any(|s| member_of.contains(s)) {
            return Ok(Recommendations {
                widget: summary(widget)?,
                products: Vec::new(),
                holdout: false,
                model: None,
            });
        }
        if widget.strategy == Strategy::Trending.as_str() {
            let audience = crate::services::segments::customers_in(
                &state.db,
                &state.segments,
                shop,
                &rules.segments,
            )
            .await?;
            return answer(
                &state.db,
                &state.models,
                shop,
                widget,
                rules,
                ctx,
                Some(audience.as_ref()),
            )
            .await;
        }
    }
    answer(&state.db, &state.models, shop, widget, rules, ctx, None).await
}

/// The widget's rules as stored (validated when saved).
pub fn rules_of(widget: &WidgetRow) -> WidgetRules {
    serde_json::from_value(widget.rules.clone()).unwrap_or_default()
}

/// Strategies that read the visitor's own browsing.
fn reads_views(strategy: Strategy) -> bool {
    matches!(
        strategy,
        Strategy::RecentlyViewed | Strategy::AlsoViewed | Strategy::ForYou | Strategy::SimilarItems
    )
}

/// Whether every shopper sending this request gets the same answer: no customer, no segment
/// audience, and nothing read from the visitor's own browsing.
pub fn is_shared(widget: &WidgetRow, rules: &WidgetRules, ctx: &Context) -> bool {
    ctx.customer.is_none()
        && rules.segments.is_empty()
        && (ctx.visitor.is_none()
            || Strategy::parse(&widget.strategy).is_some_and(|s| !reads_views(s)))
}

fn summary(widget: &WidgetRow) -> Result<WidgetSummary, AppError> {
    Ok(WidgetSummary {
        id: widget.public_id.clone(),
        title: widget.title.clone(),
        placement: Placement::parse(&widget.placement)
            .ok_or_else(|| anyhow::anyhow!("widget has unknown placement"))?,
        strategy: Strategy::parse(&widget.strategy)
            .ok_or_else(|| anyhow::anyhow!("widget has unknown strategy"))?,
    })
}

/// The visitor's recently viewed products (all their stitched browsers), newest first.
async fn recent_views(
    db: &DatabaseConnection,
    shop: ShopId,
    model: &ShopModel,
    visitor: Option<&str>,
) -> Result<Vec<u32>, AppError> {
    let Some(key) = visitor else {
        return Ok(Vec::new());
    };
    let Some(v) = db::events::find_visitor(db, shop, key).await? else {
        return Ok(Vec::new());
    };
    let ids = db::events::person_visitors(db, shop, &v).await?;
    let events =
        db::events::recent(db, shop, &ids, Utc::now() - chrono::Duration::days(90), 200).await?;
    let mut out: Vec<u32> = Vec::new();
    for e in events {
        if e.kind == "product_viewed"
            && let Some(i) = model.platform(&e.platform_product_id)
            && !out.contains(&i)
        {
            out.push(i);
            if out.len() >= RECENT_VIEWS {
                break;
            }
        }
    }
    Ok(out)
}

/// The merchant's rules in the engine's terms. Names unknown to the catalog cannot match any
/// product, so they are left out.
fn compile_rules(model: &ShopModel, rules: &WidgetRules, k: usize, hide_bought: bool) -> Rules {
    let names =
        |list: &[String]| -> HashSet<u32> { list.iter().filter_map(|s| model.name(s)).collect() };
    let mut r = Rules::new(k);
    r.in_stock_only = rules.in_stock_only;
    r.pins = rules
        .pins
        .iter()
        .filter_map(|p| {
            model.platform(&p.product_id).map(|item| Pin {
                item,
                position: p.position,
            })
        })
        .collect();
    r.exclude_items = rules
        .exclude_products
        .iter()
        .filter_map(|p| model.platform(p))
        .collect();
    r.exclude_collections = names(&rules.exclude_collections);
    r.exclude_tags = names(&rules.exclude_tags);
    r.exclude_vendors = names(&rules.exclude_vendors);
    r.min_price = rules.min_price_minor;
    r.max_price = rules.max_price_minor;
    r.max_per_vendor = rules.max_per_vendor;
    r.max_per_type = rules.max_per_type;
    r.hide_purchased = hide_bought;
    r.boosts = Boosts {
        newness: rules.boost_newness,
        inventory: rules.boost_inventory,
        margin: rules.boost_margin,
    };
    r
}

/// The widget's list for this context, for everyone (no audience).
pub async fn for_widget(
    db: &DatabaseConnection,
    cache: &ModelCache,
    shop: ShopId,
    widget: &WidgetRow,
    ctx: &Context,
) -> Result<Recommendations, AppError> {
    answer(db, cache, shop, widget, &rules_of(widget), ctx, None).await
}

#[tracing::instrument(skip_all, fields(shop = %shop, widget = %widget.public_id))]
async fn answer(
    db: &DatabaseConnection,
    cache: &ModelCache,
    shop: ShopId,
    widget: &WidgetRow,
    rules: &WidgetRules,
    ctx: &Context,
    audience: Option<&HashSet<i64>>,
) -> Result<Recommendations, AppError> {
    let summary = summary(widget)?;
    let strategy = summary.strategy;
    let k = usize::try_from(widget.max_products).unwrap_or(0);
    let model = cache.get(db, shop).await?;

    let viewed = ctx.product.as_deref().and_then(|p| model.platform(p));
    let purchases = match &ctx.customer {
        Some(c) => orders::customer_purchases(db, shop, c).await?,
        None => Vec::new(),
    };
    let history = strategies::history_seeds(&model, &purchases);
    let bought: HashSet<u32> = history.iter().map(|&(i, _)| i).collect();
    let next_user = match (&model.b.next, &ctx.customer) {
        (Some(nb), Some(c)) => orders::customer_row_id(db, shop, c)
            .await?
            .and_then(|id| model.b.customer_idx.get(&id).copied())
            .filter(|&u| nb.is_known(u)),
        _ => None,
    };
    let recent = if reads_views(strategy) {
        recent_views(db, shop, &model, ctx.visitor.as_deref()).await?
    } else {
        Vec::new()
    };
    // "For you" with the next-basket model blends the shopper's repeat purchases in by design;
    // otherwise it shows only what they have not bought.
    let hide_bought = (strategy == Strategy::ForYou && next_user.is_none())
        || (rules.hide_purchased && strategy != Strategy::BuyAgain);
    let cart: Vec<u32> = ctx.cart.iter().filter_map(|p| model.platform(p)).collect();
    let mut request_exclude: Vec<u32> = cart.clone();
    request_exclude.extend(ctx.exclude.iter().filter_map(|p| model.platform(p)));
    let exclude = |i: u32| Some(i) == viewed || request_exclude.contains(&i);
    let inputs = Inputs {
        viewed,
        purchases: &purchases,
        history: &history,
        cart: &cart,
        recent_views: &recent,
        next_user,
        audience,
        now: Utc::now().timestamp(),
    };
    // Over-fetch: the merchant's rules may remove some.
    let want = k.saturating_mul(3).max(k + 8);
    let levels: [Vec<Candidate>; 3] = [
        strategies::generate(&model, strategy, &inputs, &exclude, want),
        strategies::fallback(&model, strategy, &inputs, &exclude, want),
        strategies::best_sellers(&model, &exclude, want.saturating_mul(4)),
    ];
    let slots: Vec<Vec<Slot>> = levels
        .iter()
        .map(|level| {
            level
                .iter()
                .enumerate()
                .map(|(n, c)| Slot {
                    item: c.item,
                    score: c.score,
                    provenance: n as u32,
                })
                .collect()
        })
        .collect();
    let chain: Vec<&[Slot]> = slots.iter().map(Vec::as_slice).collect();
    let compiled = compile_rules(&model, rules, k, hide_bought);
    let outcome = merchandise::apply(
        &model.c.facts,
        &compiled,
        &Request {
            viewed,
            exclude: &request_exclude,
            purchased: &bought,
            now: inputs.now,
        },
        &chain,
    );
    let applied: Vec<String> = outcome.applied.iter().map(ToString::to_string).collect();
    let seed_ids = |seeds: &[u32]| -> Vec<String> {
        seeds
            .iter()
            .filter_map(|&s| model.product(s).map(|p| p.platform_id.clone()))
            .collect()
    };
    let products: Vec<RecommendedProduct> = outcome
        .items
        .iter()
        .filter_map(|chosen| {
            let row = model.product(chosen.item)?;
            let (reason, explanation) = match chosen.origin {
                Origin::Pinned { position } => (
                    "pinned",
                    Explanation {
                        source: "pinned".to_owned(),
                        seeds: Vec::new(),
                        score: 0.0,
                        parts: vec![format!("pinned by the merchant at position {position}")],
                        rules: applied.clone(),
                    },
                ),
                Origin::Chain { level, provenance } => {
                    let c = levels.get(level)?.get(provenance as usize)?;
                    (
                        c.reason,
                        Explanation {
                            source: c.source.to_owned(),
                            seeds: seed_ids(&c.seeds),
                            score: chosen.score,
                            parts: c.parts.clone(),
                            rules: applied.clone(),
                        },
                    )
                }
            };
            let mut p = card(row, reason);
            if ctx.explain {
                p.explanation = Some(explanation);
            }
            Some(p)
        })
        .collect();
    Ok(Recommendations {
        widget: summary,
        products,
        holdout: false,
        model: ctx.explain.then(|| model.info()),
    })
}

/// Share of visitors every widget keeps out, always: they are shown nothing, and the widget's
/// value is what its viewers do beyond them.
pub const WIDGET_HOLDOUT: f64 = 0.05;

/// Whether this visitor is in the widget's holdout (deterministic: the same on every request
/// and process).
pub fn in_holdout(widget_public_id: &str, visitor: &str) -> bool {
    attune_engine::experiments::bucket(&format!("widget-{widget_public_id}"), visitor)
        < WIDGET_HOLDOUT
}

/// The answer a held-out visitor gets: nothing, marked as such.
pub fn held_out(widget: &WidgetRow) -> Result<Recommendations, AppError> {
    Ok(Recommendations {
        widget: summary(widget)?,
        products: Vec::new(),
        holdout: true,
        model: None,
    })
}
