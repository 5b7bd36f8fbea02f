//! Measurement: the dashboard of every offer against its holdout, and one offer's results page
//! with its charts and a plain statement of whether the result is significant.

use attune_api::analytics::{Dashboard, MetricResult, Report};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::charts::{Bar, BarChart, LineChart, Series};
use crate::api::{self, Failure};

fn money(minor: f64) -> String {
    format!("{:.2}", minor / 100.0)
}

fn percent(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

fn count(x: f64) -> String {
    format!("{x:.0}")
}

fn rate(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

fn metric_label(m: &str) -> &'static str {
    match m {
        "conversion_rate" => "Conversion rate",
        "revenue_per_visitor" => "Revenue per visitor",
        "average_order_value" => "Average order value",
        "margin_per_visitor" => "Margin per visitor",
        _ => "Metric",
    }
}

fn value(m: &MetricResult, v: f64) -> String {
    if m.metric == "conversion_rate" {
        rate(v)
    } else {
        money(v)
    }
}

/// Significant results say so in words, not only in colour.
fn verdict_class(r: &Report) -> &'static str {
    let rpv = r.metrics.iter().find(|m| m.metric == "revenue_per_visitor");
    match rpv {
        _ if r.srm_p_value < 0.001 => "banner banner--critical",
        Some(m) if m.significant && m.lift.unwrap_or(0.0) > 0.0 => "banner banner--success",
        Some(m) if m.significant => "banner banner--critical",
        _ => "banner",
    }
}

#[component]
pub fn AnalyticsDashboard() -> impl IntoView {
    let data: RwSignal<Option<Result<Dashboard, Failure>>> = RwSignal::new(None);
    spawn_local(async move { data.set(Some(api::get::<Dashboard>("/api/admin/analytics").await)) });
    view! {
        <section class="page">
            <header class="page-header"><h1>"Analytics"</h1></header>
            <p class="help">"Every offer and widget keeps a random holdout that never sees it. The numbers below compare the visitors it reached with that holdout; an order counts when it is placed within the attribution window after the visitor's first exposure."</p>
            {move || match data.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(d)) if d.reports.is_empty() => view! {
                    <div class="card empty"><p>"No offers or widgets yet; their results appear here."</p></div>
                }.into_any(),
                Some(Ok(d)) => view! {
                    <div class="dashboard">
                        {d.reports.into_iter().map(|r| view! { <ReportCard report=r /> }).collect_view()}
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn ReportCard(report: Report) -> impl IntoView {
    let link = format!("/admin/{}s/{}/results", report.subject, report.id);
    let days: Vec<String> = report.daily.iter().map(|d| d.day[5..].to_owned()).collect();
    let lift = Series {
        label: "Cumulative lift in revenue per visitor".into(),
        class: "series-a",
        values: report.daily.iter().map(|d| d.cumulative_lift).collect(),
    };
    view! {
        <article class="card report" data-report=report.id.clone()>
            <header class="report__header">
                <h2>{report.name.clone()}</h2>
                <A href=link attr:class="button">"Results"</A>
            </header>
            <p class=verdict_class(&report) data-verdict>{report.verdict.clone()}</p>
            <LineChart title=format!("{}: lift over time", report.name) x_labels=days series=vec![lift] fmt=percent />
        </article>
    }
}

#[component]
pub fn OfferResults() -> impl IntoView {
    view! { <SubjectResults kind="offers" /> }
}

#[component]
pub fn WidgetResults() -> impl IntoView {
    view! { <SubjectResults kind="widgets" /> }
}

#[component]
fn SubjectResults(kind: &'static str) -> impl IntoView {
    let params = use_params_map();
    let data: RwSignal<Option<Result<Report, Failure>>> = RwSignal::new(None);
    Effect::new(move |_| {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        spawn_local(async move {
            data.set(Some(
                api::get::<Report>(&format!("/api/admin/analytics/{kind}/{id}")).await,
            ));
        });
    });
    view! {
        <section class="page">
            {move || match data.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(r)) => view! { <Results report=r /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Results(report: Report) -> impl IntoView {
    let r = report;
    let days: Vec<String> = r.daily.iter().map(|d| d.day[5..].to_owned()).collect();
    let per_visitor =
        |revenue: i64, visitors: u64| (visitors > 0).then(|| revenue as f64 / visitors as f64);
    let rpv = vec![
        Series {
            label: if r.subject == "offer" {
                "Reached by the offer"
            } else {
                "Shown the widget"
            }
            .into(),
            class: "series-a",
            values: r
                .daily
                .iter()
                .map(|d| per_visitor(d.treated_revenue_minor, d.treated_visitors))
                .collect(),
        },
        Series {
            label: "Holdout".into(),
            class: "series-b",
            values: r
                .daily
                .iter()
                .map(|d| per_visitor(d.holdout_revenue_minor, d.holdout_visitors))
                .collect(),
        },
    ];
    let lift = vec![Series {
        label: "Cumulative lift".into(),
        class: "series-a",
        values: r.daily.iter().map(|d| d.cumulative_lift).collect(),
    }];
    let is_offer = r.subject == "offer";
    let economics = r.economics.clone().map(|e| {
        let mut bars = Vec::new();
        if is_offer {
            bars.push(Bar {
                label: "Discount given".into(),
                class: "series-b",
                value: -(e.discount_cost_minor as f64),
                interval: None,
            });
        }
        if let Some(i) = e.incremental_revenue {
            bars.push(Bar {
                label: "Incremental revenue".into(),
                class: "series-a",
                value: i.value,
                interval: Some(i.ci),
            });
        }
        if let Some(m) = e.incremental_margin {
            bars.push(Bar {
                label: "Incremental margin".into(),
                class: "series-c",
                value: m.value,
                interval: Some(m.ci),
            });
        }
        (e, bars)
    });
    let significant = r
        .metrics
        .iter()
        .find(|m| m.metric == "revenue_per_visitor")
        .is_some_and(|m| m.significant);
    view! {
        <header class="page-header"><h1>{format!("Results: {}", r.name)}</h1></header>
        <p class=verdict_class(&r) role="status" data-verdict data-significant=significant.to_string()>{r.verdict.clone()}</p>
        <p class="help">{format!(
            "Holdout: {:.0}% of visitors, chosen at random. Orders count within {} hours of a visitor's first exposure. Sample-ratio check p = {:.3}. Amounts in {}.",
            r.holdout_share * 100.0, r.attribution_window_hours, r.srm_p_value, r.currency
        )}</p>
        <table class="table" data-testid="arms">
            <thead><tr><th scope="col">"Group"</th><th scope="col">"Visitors"</th><th scope="col">"Converted"</th>
                <th scope="col">"Orders"</th><th scope="col">"Revenue"</th><th scope="col">"Revenue per visitor"</th></tr></thead>
            <tbody>
                {r.arms.iter().map(|a| view! {
                    <tr><th scope="row">{if a.arm == "holdout" { "Holdout" } else if is_offer { "Reached by the offer" } else { "Shown the widget" }}</th>
                        <td>{a.visitors}</td><td>{rate(a.conversion_rate)}</td><td>{a.orders}</td>
                        <td>{money(a.revenue_minor as f64)}</td><td>{money(a.revenue_per_visitor)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
        <table class="table" data-testid="metrics">
            <thead><tr><th scope="col">"Metric"</th><th scope="col">"Holdout"</th><th scope="col">{if is_offer { "Offer" } else { "Widget" }}</th>
                <th scope="col">"Lift (95% CI)"</th><th scope="col">"p-value"</th><th scope="col">"Chance to beat holdout"</th>
                <th scope="col">"Significant?"</th></tr></thead>
            <tbody>
                {r.metrics.iter().map(|m| view! {
                    <tr data-metric=m.metric.clone()>
                        <th scope="row">{metric_label(&m.metric)}</th>
                        <td>{value(m, m.holdout)}</td><td>{value(m, m.treated)}</td>
                        <td>{match (m.lift, m.lift_ci) {
                            (Some(l), Some((lo, hi))) => format!("{} ({} to {})", percent(l), percent(lo), percent(hi)),
                            _ => m.undetermined.clone().unwrap_or_else(|| "–".into()),
                        }}</td>
                        <td>{m.p_value.map(|p| format!("{p:.3}")).unwrap_or_else(|| "–".into())}</td>
                        <td>{m.chance_to_win.map(rate).unwrap_or_else(|| "–".into())}</td>
                        <td>{if m.significant { "Yes" } else { "No" }}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <div class="charts">
            <LineChart title="Revenue per visitor by day".into() x_labels=days.clone() series=rpv fmt=money />
            <LineChart title="Lift in revenue per visitor over time (cumulative)".into() x_labels=days series=lift fmt=percent />
            {economics.map(|(e, bars)| if is_offer {
                view! {
                    <BarChart title="Offer economics: discount given against what the offer earned".into() bars fmt=money />
                    <p class="help">{format!("{} codes handed out, {} redeemed; the orders that used them came to {} (collecting a code is not a sale, and a coupon's orders are not all its doing: the incremental figures are).", e.codes_handed_out, e.codes_redeemed, money(e.attributed_revenue_minor as f64))}</p>
                }.into_any()
            } else {
                view! { <BarChart title="What the widget earned beyond its holdout".into() bars fmt=money /> }.into_any()
            })}
            {r.funnel.map(|f| {
                let bars = vec![
                    Bar { label: "Saw it".into(), class: "series-a", value: f.viewers as f64, interval: None },
                    Bar { label: "Clicked".into(), class: "series-a", value: f.clickers as f64, interval: None },
                    Bar { label: "Added to cart".into(), class: "series-a", value: f.added_to_cart as f64, interval: None },
                    Bar { label: "Ordered".into(), class: "series-c", value: f.ordered as f64, interval: None },
                ];
                view! {
                    <BarChart title="Widget funnel: visitors at each step".into() bars fmt=count />
                    <p class="help">{format!("Revenue of clicked products in those orders: {}.", money(f.attributed_revenue_minor as f64))}</p>
                }
            })}
        </div>
    }
}
