//! `GET /storefront/recommendations?widget=..&product=..&visitor=..&format=json|html`.

use actix_web::{HttpResponse, web};
use askama::Template;
use attune_api::experiments::Subject;
use attune_api::storefront::{Recommendations, RecommendedProduct};
use serde::Deserialize;

use crate::db::{self, ShopId};
use crate::error::AppError;
use crate::extract::AppProxyRequest;
use crate::services::catalog::initials;
use crate::services::recommend::{self, Answer, Context, Version};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct RecommendationsQuery {
    widget: Option<String>,
    product: Option<String>,
    visitor: Option<String>,
    format: Option<String>,
    explain: Option<String>,
    /// Comma-separated platform product ids not to show (e.g. the cart's).
    exclude: Option<String>,
    /// Comma-separated platform product ids in the cart (cart cross-sell seeds; not shown).
    cart: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
}

struct Parsed {
    widget: String,
    product: Option<String>,
    visitor: Option<String>,
    format: Format,
    explain: bool,
    exclude: Vec<String>,
    cart: Vec<String>,
}

/// Ids from the storefront: short, and only characters platform ids and our visitor ids use.
pub(super) fn storefront_id(value: Option<&str>, field: &str) -> Result<Option<String>, AppError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.len() > 64
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(AppError::field(
            field,
            "must be at most 64 letters, digits, '-' or '_'",
        ));
    }
    Ok(Some(v.to_owned()))
}

/// A comma-separated list of at most 100 storefront ids.
fn id_list(value: Option<&str>, field: &str) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    for id in value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if out.len() >= 100 {
            return Err(AppError::field(field, "must list at most 100 products"));
        }
        out.extend(storefront_id(Some(id), field)?);
    }
    Ok(out)
}

impl RecommendationsQuery {
    fn parse(&self) -> Result<Parsed, AppError> {
        let widget = self
            .widget
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .ok_or_else(|| AppError::field("widget", "is required"))?;
        crate::services::widgets::check_public_id(widget)
            .map_err(|_| AppError::field("widget", "is not a widget id"))?;
        let product = storefront_id(self.product.as_deref(), "product")?;
        let visitor = storefront_id(self.visitor.as_deref(), "visitor")?;
        let format = match self.format.as_deref() {
            None | Some("json") => Format::Json,
            Some("html") => Format::Html,
            Some(_) => return Err(AppError::field("format", "must be json or html")),
        };
        let explain = match self.explain.as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(_) => return Err(AppError::field("explain", "must be 1 or 0")),
        };
        let exclude = id_list(self.exclude.as_deref(), "exclude")?;
        let cart = id_list(self.cart.as_deref(), "cart")?;
        Ok(Parsed {
            widget: widget.to_owned(),
            product,
            visitor,
            format,
            explain,
            exclude,
            cart,
        })
    }
}

/// Unsigned call: the widget's id determines the shop; no customer identity is trusted.
pub async fn direct(
    state: web::Data<AppState>,
    query: web::Query<RecommendationsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.parse()?;
    // A shop that uninstalled the app gets no more storefront answers.
    let (shop, widget) = state
        .widgets
        .live(&state.db, &q.widget)
        .await?
        .ok_or_else(|| AppError::NotFound("no such widget".into()))?;
    respond(&state, shop, widget, q, None).await
}

/// Through the app proxy: shop and customer come from the verified signature, and the
/// widget must belong to that shop.
pub async fn proxied(
    state: web::Data<AppState>,
    proxy: AppProxyRequest,
    query: web::Query<RecommendationsQuery>,
) -> Result<HttpResponse, AppError> {
    for_shop(&state, proxy.shop, proxy.customer, &query).await
}

/// A call whose shop (and customer, if any) the caller's extractor verified: the widget must
/// belong to that shop.
pub(super) async fn for_shop(
    state: &AppState,
    shop: ShopId,
    customer: Option<String>,
    query: &RecommendationsQuery,
) -> Result<HttpResponse, AppError> {
    let q = query.parse()?;
    let widget = db::widgets::get(&state.db, shop, &q.widget)
        .await?
        .ok_or_else(|| AppError::NotFound("no such widget in this shop".into()))?;
    respond(state, shop, widget, q, customer).await
}

async fn respond(
    state: &AppState,
    shop: ShopId,
    widget: db::widgets::WidgetRow,
    q: Parsed,
    customer: Option<String>,
) -> Result<HttpResponse, AppError> {
    if widget.status != "active" {
        return Err(AppError::NotFound("widget is paused".into()));
    }
    let ctx = Context {
        product: q.product,
        customer,
        visitor: q.visitor,
        explain: q.explain,
        exclude: q.exclude,
        cart: q.cart,
    };
    // The always-on holdout comes first, before any shared answer.
    if let Some(v) = &ctx.visitor
        && recommend::in_holdout(&widget.public_id, v)
    {
        return Ok(reply(render(recommend::held_out(&widget)?, q.format)?));
    }
    // A running experiment on this widget: the visitor's arm's recommender, never shared.
    if let Some(v) = &ctx.visitor
        && let Some((_, arm)) = state
            .experiments
            .arm_for(&state.db, shop, Subject::Widget, widget.id, v)
            .await?
        && let Some(strategy) = arm.strategy
    {
        let mut variant = widget.clone();
        variant.strategy = strategy.as_str().to_owned();
        let rules = recommend::rules_of(&variant);
        let recs = recommend::for_visitor(state, shop, &variant, &rules, &ctx).await?;
        return Ok(reply(render(recs, q.format)?));
    }
    let rules = recommend::rules_of(&widget);
    // Answers that are the same for every shopper asking the same thing are kept while the
    // model and the widget stay as they are.
    let shared = if recommend::is_shared(&widget, &rules, &ctx) {
        let model = state.models.get(&state.db, shop).await?;
        let version = Version {
            model: model.generation(),
            widget: (widget.id, widget.updated_at.timestamp_micros()),
            hour: chrono::Utc::now().timestamp() / 3600,
        };
        let key = format!(
            "{}|{}|{}|{}|{}",
            q.format == Format::Html,
            ctx.explain,
            ctx.product.as_deref().unwrap_or_default(),
            ctx.exclude.join(","),
            ctx.cart.join(",")
        );
        if let Some(hit) = state.answers.get(shop, &widget.public_id, version, &key) {
            return Ok(reply(hit));
        }
        Some((version, key))
    } else {
        None
    };
    let recs = recommend::for_visitor(state, shop, &widget, &rules, &ctx).await?;
    let answer = render(recs, q.format)?;
    if let Some((version, key)) = shared {
        state
            .answers
            .put(shop, &widget.public_id, version, key, answer.clone());
    }
    Ok(reply(answer))
}

fn render(recs: Recommendations, format: Format) -> Result<Answer, AppError> {
    Ok(match format {
        Format::Json => Answer {
            content_type: "application/json",
            body: serde_json::to_vec(&recs)
                .map_err(anyhow::Error::from)?
                .into(),
        },
        Format::Html => Answer {
            content_type: "text/html; charset=utf-8",
            body: Fragment::new(recs)
                .render()
                .map_err(anyhow::Error::from)?
                .into(),
        },
    })
}

fn reply(a: Answer) -> HttpResponse {
    // Personalized: never cached by shared caches.
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .content_type(a.content_type)
        .body(a.body)
}

struct CardView {
    p: RecommendedProduct,
    initials: String,
}

#[derive(Template)]
#[template(path = "recommendations.html")]
struct Fragment {
    widget_id: String,
    cards: Vec<CardView>,
}

impl Fragment {
    fn new(recs: Recommendations) -> Self {
        Fragment {
            widget_id: recs.widget.id,
            cards: recs
                .products
                .into_iter()
                .map(|p| CardView {
                    initials: initials(&p.title),
                    p,
                })
                .collect(),
        }
    }
}
