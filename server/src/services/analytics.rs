//! Honest measurement: every offer (and widget) keeps an always-on random holdout, and its
//! value is the difference between the visitors it reached and the holdout, with the
//! statistics of `attune_engine::experiments` (held to GrowthBook's engine by a test).
//!
//! Attribution: a visitor's exposure is their first decision (offers) or first impression
//! (widgets) in the period; an order counts for them when it is theirs (placed by the same
//! browser, or by the customer that browser is stitched to) within [`ATTRIBUTION_WINDOW_HOURS`]
//! after that exposure. Collecting a code is not a sale: only orders count. The comparison is
//! intention-to-treat: "treated" is everyone the policy decided for, offered or not.

use std::collections::{BTreeMap, HashMap, HashSet};

use attune_api::analytics::{
    ArmSummary, DailyPoint, Dashboard, Estimate, MetricResult, OfferEconomics, Report,
};
use attune_engine::experiments::{
    Difference, Moments, Statistic, bayesian, frequentist, sample_ratio_mismatch, two_proportion_z,
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::db::offers::OrderOutcome;
use crate::db::{self, ShopId};
use crate::error::AppError;

pub use crate::services::offers::model::ATTRIBUTION_WINDOW_HOURS;

const ALPHA: f64 = 0.05;
/// How far back reports look.
pub const PERIOD_DAYS: i64 = 90;

/// One visitor in a comparison.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    pub visitor: i64,
    pub customer: Option<i64>,
    pub holdout: bool,
    pub exposed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    orders: u64,
    revenue: i64,
    discount: i64,
}

/// Orders by visitor and by customer, for attribution.
pub(crate) struct OrderIndex<'a> {
    by_visitor: HashMap<i64, Vec<&'a OrderOutcome>>,
    by_customer: HashMap<i64, Vec<&'a OrderOutcome>>,
}

impl<'a> OrderIndex<'a> {
    pub(crate) fn new(orders: &'a [OrderOutcome]) -> Self {
        let mut by_visitor: HashMap<i64, Vec<&OrderOutcome>> = HashMap::new();
        let mut by_customer: HashMap<i64, Vec<&OrderOutcome>> = HashMap::new();
        for o in orders {
            if let Some(v) = o.visitor {
                by_visitor.entry(v).or_default().push(o);
            }
            if let Some(c) = o.customer {
                by_customer.entry(c).or_default().push(o);
            }
        }
        Self {
            by_visitor,
            by_customer,
        }
    }

    fn outcome(&self, u: &Unit, window: Duration) -> Outcome {
        let mut seen = HashSet::new();
        let mut out = Outcome::default();
        let lists = [
            self.by_visitor.get(&u.visitor),
            u.customer.and_then(|c| self.by_customer.get(&c)),
        ];
        for o in lists.into_iter().flatten().flatten() {
            if o.placed_at >= u.exposed_at
                && o.placed_at <= u.exposed_at + window
                && seen.insert(o.id)
            {
                out.orders += 1;
                out.revenue += o.subtotal_minor;
                out.discount += o.discount_minor;
            }
        }
        out
    }
}

/// Sufficient statistics of one arm.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Arm {
    n: u64,
    converters: u64,
    orders: Moments,
    revenue: Moments,
    margin: Moments,
    revenue_orders: f64,
    revenue_total: i64,
}

impl Arm {
    fn add(&mut self, o: &Outcome, cost_share: f64) {
        let (orders, revenue) = (o.orders as f64, o.revenue as f64);
        let margin = revenue - cost_share * (revenue + o.discount as f64);
        self.n += 1;
        self.converters += u64::from(o.orders > 0);
        for (m, v) in [
            (&mut self.orders, orders),
            (&mut self.revenue, revenue),
            (&mut self.margin, margin),
        ] {
            m.sum += v;
            m.sum_squares += v * v;
        }
        self.revenue_orders += revenue * orders;
        self.revenue_total += o.revenue;
    }

    fn conversion(&self) -> Statistic {
        Statistic::Proportion {
            n: self.n,
            sum: self.converters as f64,
        }
    }
    fn rpv(&self) -> Statistic {
        Statistic::Mean {
            n: self.n,
            sum: self.revenue.sum,
            sum_squares: self.revenue.sum_squares,
        }
    }
    fn mpv(&self) -> Statistic {
        Statistic::Mean {
            n: self.n,
            sum: self.margin.sum,
            sum_squares: self.margin.sum_squares,
        }
    }
    fn aov(&self) -> Statistic {
        Statistic::Ratio {
            n: self.n,
            numerator: self.revenue,
            denominator: self.orders,
            sum_of_products: self.revenue_orders,
        }
    }

    /// The arm's statistics for these units.
    pub(crate) fn of(units: &[Unit], index: &OrderIndex<'_>, cost_share: f64) -> Self {
        let window = Duration::hours(ATTRIBUTION_WINDOW_HOURS);
        let mut arm = Arm::default();
        for u in units {
            arm.add(&index.outcome(u, window), cost_share);
        }
        arm
    }

    /// Each metric of `self` against the control `c`.
    pub(crate) fn against(&self, c: &Arm) -> Vec<MetricResult> {
        vec![
            compare(
                "conversion_rate",
                c.conversion(),
                self.conversion(),
                Some((c.converters, c.n, self.converters, self.n)),
            ),
            compare("revenue_per_visitor", c.rpv(), self.rpv(), None),
            compare("average_order_value", c.aov(), self.aov(), None),
            compare("margin_per_visitor", c.mpv(), self.mpv(), None),
        ]
    }

    pub(crate) fn summary(&self, name: &str) -> ArmSummary {
        let n = self.n.max(1) as f64;
        ArmSummary {
            arm: name.to_owned(),
            visitors: self.n,
            converters: self.converters,
            orders: self.orders.sum as u64,
            revenue_minor: self.revenue_total,
            conversion_rate: self.converters as f64 / n,
            revenue_per_visitor: self.revenue.sum / n,
            average_order_value: if self.orders.sum > 0.0 {
                self.revenue.sum / self.orders.sum
            } else {
                0.0
            },
        }
    }
}

fn compare(
    metric: &str,
    a: Statistic,
    b: Statistic,
    z: Option<(u64, u64, u64, u64)>,
) -> MetricResult {
    let f = frequentist(&a, &b, Difference::Relative, ALPHA);
    let post = bayesian(&a, &b, Difference::Relative, None, ALPHA, false);
    let z_p = z
        .and_then(|(xa, na, xb, nb)| two_proportion_z((xa, na), (xb, nb), ALPHA).ok())
        .map(|z| z.p_value);
    MetricResult {
        metric: metric.to_owned(),
        holdout: a.mean(),
        treated: b.mean(),
        lift: f.as_ref().ok().map(|r| r.expected),
        lift_ci: f.as_ref().ok().map(|r| r.ci),
        p_value: f.as_ref().ok().map(|r| r.p_value),
        z_test_p_value: z_p,
        chance_to_win: post.as_ref().ok().map(|r| r.chance_to_win),
        risk: post.as_ref().ok().map(|r| r.risk_variant),
        significant: f.as_ref().is_ok_and(|r| r.significant()),
        undetermined: f.err().map(|e| e.to_string()),
    }
}

fn incremental(a: Statistic, b: Statistic, treated: u64) -> Option<Estimate> {
    frequentist(&a, &b, Difference::Absolute, ALPHA)
        .ok()
        .map(|r| r.scaled(treated as f64))
        .map(|r| Estimate {
            value: r.expected,
            ci: r.ci,
        })
}

fn pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

fn verdict(srm: f64, rpv: &MetricResult, holdout: &Arm, treated: &Arm) -> String {
    if srm < 0.001 {
        return format!(
            "Do not trust these numbers: the holdout received a different share of visitors than \
             configured (sample-ratio mismatch, p = {srm:.2e}). Check tracking and assignment."
        );
    }
    match (rpv.lift, rpv.lift_ci) {
        (Some(l), Some((lo, hi))) if rpv.significant && l > 0.0 => format!(
            "Significant: revenue per visitor is {} against the holdout (95% CI {} to {}, p = {:.3}).",
            pct(l),
            pct(lo),
            pct(hi),
            rpv.p_value.unwrap_or(1.0)
        ),
        (Some(l), Some((lo, hi))) if rpv.significant => format!(
            "Significant: revenue per visitor is {} against the holdout (95% CI {} to {}): it is \
             costing sales; consider pausing it.",
            pct(l),
            pct(lo),
            pct(hi)
        ),
        (Some(l), Some((lo, hi))) => format!(
            "Not significant yet: revenue per visitor is {} against the holdout, but the 95% CI \
             ({} to {}) includes no change. Keep collecting data ({} treated and {} holdout \
             visitors so far).",
            pct(l),
            pct(lo),
            pct(hi),
            treated.n,
            holdout.n
        ),
        _ => format!(
            "Not enough data yet ({} treated and {} holdout visitors): {}.",
            treated.n,
            holdout.n,
            rpv.undetermined
                .as_deref()
                .unwrap_or("no comparison possible")
        ),
    }
}

pub struct Subject<'a> {
    pub kind: &'a str,
    pub id: String,
    pub name: String,
    pub holdout_share: f64,
}

/// The comparison of a subject's treated visitors against its holdout.
pub fn report(
    subject: Subject<'_>,
    currency: &str,
    units: &[Unit],
    orders: &[OrderOutcome],
    cost_share: f64,
) -> Report {
    let index = OrderIndex::new(orders);
    let window = Duration::hours(ATTRIBUTION_WINDOW_HOURS);
    let (mut holdout, mut treated) = (Arm::default(), Arm::default());
    let mut days: BTreeMap<String, (Arm, Arm)> = BTreeMap::new();
    for u in units {
        let o = index.outcome(u, window);
        let day = days
            .entry(u.exposed_at.format("%Y-%m-%d").to_string())
            .or_default();
        if u.holdout {
            holdout.add(&o, cost_share);
            day.0.add(&o, cost_share);
        } else {
            treated.add(&o, cost_share);
            day.1.add(&o, cost_share);
        }
    }
    let metrics = treated.against(&holdout);
    let srm = sample_ratio_mismatch(
        &[holdout.n, treated.n],
        &[subject.holdout_share, 1.0 - subject.holdout_share],
    );
    let mut cumulative = (Arm::default(), Arm::default());
    let daily = days
        .into_iter()
        .map(|(day, (h, t))| {
            for (acc, arm) in [(&mut cumulative.0, &h), (&mut cumulative.1, &t)] {
                acc.n += arm.n;
                acc.revenue.sum += arm.revenue.sum;
            }
            let rpv = |a: &Arm| {
                if a.n > 0 {
                    Some(a.revenue.sum / a.n as f64)
                } else {
                    None
                }
            };
            let lift = match (rpv(&cumulative.0), rpv(&cumulative.1)) {
                (Some(h), Some(t)) if h > 0.0 => Some(t / h - 1.0),
                _ => None,
            };
            DailyPoint {
                day,
                holdout_visitors: h.n,
                treated_visitors: t.n,
                holdout_revenue_minor: h.revenue_total,
                treated_revenue_minor: t.revenue_total,
                cumulative_lift: lift,
            }
        })
        .collect();
    let verdict = verdict(srm, &metrics[1], &holdout, &treated);
    Report {
        subject: subject.kind.to_owned(),
        id: subject.id,
        name: subject.name,
        currency: currency.to_owned(),
        attribution_window_hours: ATTRIBUTION_WINDOW_HOURS,
        arms: vec![holdout.summary("holdout"), treated.summary("treated")],
        metrics,
        srm_p_value: srm,
        holdout_share: subject.holdout_share,
        daily,
        funnel: None,
        economics: Some(OfferEconomics {
            codes_handed_out: 0,
            codes_redeemed: 0,
            discount_cost_minor: 0,
            attributed_revenue_minor: 0,
            incremental_revenue: incremental(holdout.rpv(), treated.rpv(), treated.n),
            incremental_margin: incremental(holdout.mpv(), treated.mpv(), treated.n),
        }),
        verdict,
    }
}

pub(crate) async fn shop_basics(
    db: &DatabaseConnection,
    shop: ShopId,
) -> Result<(String, f64), AppError> {
    let currency = db::shops::get(db, shop)
        .await?
        .map(|s| s.currency)
        .unwrap_or_else(|| "USD".to_owned());
    let cost_share = db::offers::cost_share(db, shop)
        .await?
        .unwrap_or(1.0 - crate::services::offers::decide::DEFAULT_MARGIN_SHARE);
    Ok((currency, cost_share))
}

/// An offer's visitors: each one's first decision since `since` (holdout or not).
pub(crate) async fn offer_units(
    db: &DatabaseConnection,
    shop: ShopId,
    id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<Unit>, AppError> {
    let decisions = db::offers::decisions_since(db, shop, id, since, 1_000_000).await?;
    let customer_of: HashMap<i64, i64> = db::events::visitors(db, shop)
        .await?
        .into_iter()
        .filter_map(|v| v.customer_id.map(|c| (v.id, c)))
        .collect();
    // Oldest first, so each visitor's first decision defines their exposure.
    let mut seen = HashSet::new();
    let units: Vec<Unit> = decisions
        .iter()
        .rev()
        .filter(|d| seen.insert(d.visitor_id))
        .map(|d| Unit {
            visitor: d.visitor_id,
            customer: customer_of.get(&d.visitor_id).copied(),
            holdout: d.why == "holdout",
            exposed_at: d.decided_at,
        })
        .collect();
    Ok(units)
}

/// An offer's report: its decisions (first per visitor) against its holdout.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn offer(db: &DatabaseConnection, shop: ShopId, id: i64) -> Result<Report, AppError> {
    let row = db::offers::get(db, shop, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no offer with id {id}")))?;
    let input = crate::services::offers::input_of(&row)?;
    let since = Utc::now() - Duration::days(PERIOD_DAYS);
    let (currency, cost_share) = shop_basics(db, shop).await?;
    let units = offer_units(db, shop, id, since).await?;
    let orders = db::offers::orders_since(db, shop, since).await?;
    let holdout_share = input
        .holdout_percent
        .unwrap_or(attune_api::offers::DEFAULT_HOLDOUT_PERCENT)
        / 100.0;
    let mut r = report(
        Subject {
            kind: "offer",
            id: id.to_string(),
            name: row.name.clone(),
            holdout_share,
        },
        &currency,
        &units,
        &orders,
        cost_share,
    );
    let (_, assigned, _) = db::offers::code_counts(db, shop, id).await?;
    let (redeemed, cost) = db::offers::redeemed(db, shop, id).await?;
    if let Some(e) = r.economics.as_mut() {
        e.codes_handed_out = assigned + redeemed;
        e.codes_redeemed = redeemed;
        e.discount_cost_minor = cost;
        e.attributed_revenue_minor = db::offers::redeemed_revenue(db, shop, id).await?;
    }
    Ok(r)
}

type Events = Vec<db::entities::storefront_event::Model>;

/// A widget's visitors (first impression since `since`, holdout or not), with the impression,
/// click and cart events the funnel reads.
pub(crate) async fn widget_units(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
    since: DateTime<Utc>,
) -> Result<(Vec<Unit>, Events), AppError> {
    let visitors: HashMap<i64, (String, Option<i64>)> = db::events::visitors(db, shop)
        .await?
        .into_iter()
        .map(|v| (v.id, (v.visitor_key, v.customer_id)))
        .collect();
    let events = db::events::of_kinds_since(
        db,
        shop,
        &[
            "recommendation_viewed",
            "recommendation_clicked",
            "product_added_to_cart",
        ],
        since,
    )
    .await?;
    let of_widget = |e: &db::entities::storefront_event::Model| {
        e.payload.get("widget").and_then(|w| w.as_str()) == Some(public_id)
    };
    let mut seen = HashSet::new();
    let mut units = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.kind == "recommendation_viewed" && of_widget(e))
    {
        let Some((key, customer)) = visitors.get(&e.visitor_id) else {
            continue;
        };
        if seen.insert(e.visitor_id) {
            units.push(Unit {
                visitor: e.visitor_id,
                customer: *customer,
                holdout: crate::services::recommend::in_holdout(public_id, key),
                exposed_at: e.occurred_at,
            });
        }
    }
    Ok((units, events))
}

/// A widget's report: the visitors who had it in view (first impression), its always-on
/// holdout against the rest, and the click-through funnel of those it was shown to.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn widget(
    db: &DatabaseConnection,
    shop: ShopId,
    public_id: &str,
) -> Result<Report, AppError> {
    crate::services::widgets::check_public_id(public_id)?;
    let row = db::widgets::get(db, shop, public_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no widget with id {public_id}")))?;
    let since = Utc::now() - Duration::days(PERIOD_DAYS);
    let (currency, cost_share) = shop_basics(db, shop).await?;
    let (units, events) = widget_units(db, shop, public_id, since).await?;
    let of_widget = |e: &db::entities::storefront_event::Model| {
        e.payload.get("widget").and_then(|w| w.as_str()) == Some(public_id)
    };
    let orders = db::offers::orders_since(db, shop, since).await?;
    let mut r = report(
        Subject {
            kind: "widget",
            id: public_id.to_owned(),
            name: row.name.clone(),
            holdout_share: crate::services::recommend::WIDGET_HOLDOUT,
        },
        &currency,
        &units,
        &orders,
        cost_share,
    );
    if let Some(e) = r.economics.as_mut() {
        e.codes_handed_out = 0;
    }
    r.funnel = Some(funnel(db, shop, &units, &events, &orders, of_widget).await?);
    Ok(r)
}

/// Clicks, then carts, then orders of the clicked products, each within the window.
async fn funnel(
    db: &DatabaseConnection,
    shop: ShopId,
    units: &[Unit],
    events: &[db::entities::storefront_event::Model],
    orders: &[OrderOutcome],
    of_widget: impl Fn(&db::entities::storefront_event::Model) -> bool,
) -> Result<attune_api::analytics::Funnel, AppError> {
    let window = Duration::hours(ATTRIBUTION_WINDOW_HOURS);
    let shown: HashMap<i64, &Unit> = units
        .iter()
        .filter(|u| !u.holdout)
        .map(|u| (u.visitor, u))
        .collect();
    // Each shown visitor's clicks: (product, when).
    let mut clicks: HashMap<i64, Vec<(&str, DateTime<Utc>)>> = HashMap::new();
    for e in events
        .iter()
        .filter(|e| e.kind == "recommendation_clicked" && of_widget(e))
    {
        if shown
            .get(&e.visitor_id)
            .is_some_and(|u| e.occurred_at >= u.exposed_at)
        {
            clicks
                .entry(e.visitor_id)
                .or_default()
                .push((e.platform_product_id.as_str(), e.occurred_at));
        }
    }
    let clicked_within = |visitor: i64, product: &str, at: DateTime<Utc>| {
        clicks.get(&visitor).is_some_and(|c| {
            c.iter()
                .any(|(p, t)| *p == product && at >= *t && at <= *t + window)
        })
    };
    let carted: HashSet<i64> = events
        .iter()
        .filter(|e| e.kind == "product_added_to_cart")
        .filter(|e| clicked_within(e.visitor_id, &e.platform_product_id, e.occurred_at))
        .map(|e| e.visitor_id)
        .collect();
    let index = OrderIndex::new(orders);
    let candidates: Vec<(i64, &OrderOutcome)> = clicks
        .keys()
        .filter_map(|v| shown.get(v))
        .flat_map(|u| {
            let lists = [
                index.by_visitor.get(&u.visitor),
                u.customer.and_then(|c| index.by_customer.get(&c)),
            ];
            lists
                .into_iter()
                .flatten()
                .flatten()
                .map(move |o| (u.visitor, *o))
        })
        .collect();
    let ids: Vec<i64> = candidates.iter().map(|(_, o)| o.id).collect();
    let lines = db::offers::order_products(db, shop, &ids).await?;
    let mut ordered = HashSet::new();
    let mut counted = HashSet::new();
    let mut revenue = 0i64;
    for (visitor, o) in candidates {
        for (product, line_revenue) in lines.get(&o.id).into_iter().flatten() {
            if clicked_within(visitor, product, o.placed_at)
                && counted.insert((o.id, product.clone()))
            {
                ordered.insert(visitor);
                revenue += line_revenue;
            }
        }
    }
    Ok(attune_api::analytics::Funnel {
        viewers: shown.len() as u64,
        clickers: clicks.len() as u64,
        added_to_cart: carted.len() as u64,
        ordered: ordered.len() as u64,
        attributed_revenue_minor: revenue,
    })
}

/// Every offer's and widget's report.
#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn dashboard(db: &DatabaseConnection, shop: ShopId) -> Result<Dashboard, AppError> {
    let (currency, _) = shop_basics(db, shop).await?;
    let mut reports = Vec::new();
    for row in db::offers::list(db, shop).await? {
        reports.push(offer(db, shop, row.id).await?);
    }
    for w in db::widgets::list(db, shop).await? {
        reports.push(widget(db, shop, &w.public_id).await?);
    }
    Ok(Dashboard { currency, reports })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(
        id: i64,
        visitor: Option<i64>,
        customer: Option<i64>,
        at: DateTime<Utc>,
        subtotal: i64,
    ) -> OrderOutcome {
        OrderOutcome {
            id,
            visitor,
            customer,
            placed_at: at,
            subtotal_minor: subtotal,
            discount_minor: 0,
        }
    }

    fn subject() -> Subject<'static> {
        Subject {
            kind: "offer",
            id: "1".into(),
            name: "t".into(),
            holdout_share: 0.1,
        }
    }

    #[test]
    fn attribution_counts_each_order_once_within_the_window() {
        let t0 = Utc::now() - Duration::days(3);
        let u = Unit {
            visitor: 1,
            customer: Some(9),
            holdout: false,
            exposed_at: t0,
        };
        let orders = vec![
            // The browser's own order, also the customer's: counted once.
            order(1, Some(1), Some(9), t0 + Duration::hours(1), 1000),
            // The same customer on another device: counted.
            order(2, Some(2), Some(9), t0 + Duration::hours(2), 2000),
            // Before exposure, and after the window: not counted.
            order(3, Some(1), None, t0 - Duration::hours(1), 4000),
            order(
                4,
                Some(1),
                None,
                t0 + Duration::hours(ATTRIBUTION_WINDOW_HOURS + 1),
                8000,
            ),
            // Someone else's.
            order(5, Some(3), Some(7), t0 + Duration::hours(1), 16000),
        ];
        let o = OrderIndex::new(&orders).outcome(&u, Duration::hours(ATTRIBUTION_WINDOW_HOURS));
        assert_eq!((o.orders, o.revenue), (2, 3000));
    }

    #[test]
    fn a_planted_lift_is_found_and_called_significant() {
        let t0 = Utc::now() - Duration::days(5);
        let mut units = Vec::new();
        let mut orders = Vec::new();
        // 1,000 holdout visitors converting at 5%, 9,000 treated at 10%, orders of 50.00.
        for v in 0..10_000i64 {
            let holdout = v < 1_000;
            let at = t0 + Duration::hours(v % 96);
            units.push(Unit {
                visitor: v,
                customer: None,
                holdout,
                exposed_at: at,
            });
            let converts = if holdout { v % 20 == 0 } else { v % 10 == 0 };
            if converts {
                orders.push(order(v, Some(v), None, at + Duration::hours(1), 5_000));
            }
        }
        let r = report(subject(), "USD", &units, &orders, 0.5);
        assert_eq!(r.arms[0].visitors, 1_000);
        assert_eq!(r.arms[1].visitors, 9_000);
        let rpv = &r.metrics[1];
        assert!((rpv.lift.unwrap() - 1.0).abs() < 1e-9, "{rpv:?}");
        assert!(rpv.significant && rpv.p_value.unwrap() < 0.01, "{rpv:?}");
        assert!(r.metrics[0].z_test_p_value.unwrap() < 1e-6);
        assert!(r.verdict.starts_with("Significant"), "{}", r.verdict);
        assert!(r.srm_p_value > 0.01);
        // 9,000 visitors x (5.00 - 2.50) more revenue per visitor = 22,500.00.
        let inc = r.economics.unwrap().incremental_revenue.unwrap();
        assert!((inc.value - 2_250_000.0).abs() < 1e-6, "{inc:?}");
        assert!(inc.ci.0 > 0.0);
        assert!(
            (4..=5).contains(&r.daily.len()),
            "96 hours span four or five calendar days"
        );
        assert!(r.daily.last().unwrap().cumulative_lift.unwrap() > 0.9);
    }

    #[test]
    fn no_lift_is_not_significant_and_a_broken_split_is_flagged() {
        let t0 = Utc::now() - Duration::days(2);
        let mut units = Vec::new();
        let mut orders = Vec::new();
        for v in 0..4_000i64 {
            let holdout = v % 10 == 0;
            units.push(Unit {
                visitor: v,
                customer: None,
                holdout,
                exposed_at: t0,
            });
            if v % 7 == 3 {
                orders.push(order(
                    v,
                    Some(v),
                    None,
                    t0 + Duration::hours(2),
                    3_000 + (v % 5) * 100,
                ));
            }
        }
        let r = report(subject(), "USD", &units, &orders, 0.5);
        assert!(!r.metrics[1].significant, "{:?}", r.metrics[1]);
        assert!(
            r.verdict.starts_with("Not significant yet"),
            "{}",
            r.verdict
        );
        // Now a holdout of 50% where 10% was configured.
        let skewed: Vec<Unit> = units
            .iter()
            .map(|u| Unit {
                holdout: u.visitor % 2 == 0,
                ..*u
            })
            .collect();
        let r = report(subject(), "USD", &skewed, &orders, 0.5);
        assert!(r.srm_p_value < 1e-6);
        assert!(r.verdict.starts_with("Do not trust"), "{}", r.verdict);
    }
}
