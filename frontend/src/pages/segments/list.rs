//! The segments page: the shop's saved segments with size and trend, and the groups of
//! similar shoppers found automatically.

use attune_api::segments::{MicroSegmentList, Segment, SegmentList, SegmentTemplate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use super::live::{grouped, percent};
use crate::api::{self, Failure};

#[derive(serde::Deserialize)]
struct Templates {
    templates: Vec<SegmentTemplate>,
}

const SPARK_W: f64 = 96.0;
const SPARK_H: f64 = 24.0;

/// Daily sizes as a small line, scaled to its own range so a change shows even when small;
/// the label says what it shows in numbers.
fn sparkline(trend: &[u64]) -> AnyView {
    let (Some(first), Some(last)) = (trend.first(), trend.last()) else {
        return view! { <span class="help" title="No daily sizes recorded yet">"—"</span> }
            .into_any();
    };
    let lo = trend.iter().copied().min().unwrap_or(0) as f64;
    let hi = trend.iter().copied().max().unwrap_or(0) as f64;
    let span = (hi - lo).max(1.0);
    let n = trend.len();
    let step = if n > 1 {
        (SPARK_W - 4.0) / (n - 1) as f64
    } else {
        0.0
    };
    // Right-aligned: the last point is today, however few days are recorded.
    let point = |i: usize, v: u64| {
        let x = SPARK_W - 2.0 - step * (n - 1 - i) as f64;
        let y = SPARK_H - 2.0 - (v as f64 - lo) / span * (SPARK_H - 4.0);
        (x, y)
    };
    let points: Vec<String> = trend
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (x, y) = point(i, *v);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let (end_x, end_y) = point(n - 1, *last);
    let label = if n == 1 {
        format!("Size today: {}", grouped(*last))
    } else {
        format!(
            "Size over the last {n} days: from {} to {}",
            grouped(*first),
            grouped(*last)
        )
    };
    let title = label.clone();
    view! {
        <svg class="sparkline" width=SPARK_W height=SPARK_H viewBox=format!("0 0 {SPARK_W} {SPARK_H}")
            role="img" aria-label=label>
            <title>{title}</title>
            <polyline points=points.join(" ") fill="none" stroke="currentColor" stroke-width="1.5"
                stroke-linejoin="round" stroke-linecap="round" />
            <circle cx=format!("{end_x:.1}") cy=format!("{end_y:.1}") r="2" fill="currentColor" />
        </svg>
    }
    .into_any()
}

#[component]
pub fn SegmentList() -> impl IntoView {
    let segments: RwSignal<Option<Result<Vec<Segment>, Failure>>> = RwSignal::new(None);
    let micro: RwSignal<Option<Result<MicroSegmentList, Failure>>> = RwSignal::new(None);
    let templates: RwSignal<Vec<SegmentTemplate>> = RwSignal::new(Vec::new());
    spawn_local(async move {
        let list = api::get::<SegmentList>("/api/admin/segments")
            .await
            .map(|l| l.segments);
        segments.try_set(Some(list));
        if let Ok(t) = api::get::<Templates>("/api/admin/segments/templates").await {
            templates.try_set(t.templates);
        }
        micro.try_set(Some(
            api::get::<MicroSegmentList>("/api/admin/segments/micro").await,
        ));
    });
    let template_name = move |id: &str| {
        templates.with(|ts| {
            ts.iter()
                .find(|t| t.id == id)
                .map_or_else(|| id.to_owned(), |t| t.name.clone())
        })
    };

    view! {
        <section class="page">
            <header class="page-header">
                <h1>"Segments"</h1>
                <A href="/admin/segments/new" attr:class="button button--primary">"New segment"</A>
            </header>
            <p class="lead">"Groups of shoppers by who they are and what they do. Limit a widget to a segment in the widget's settings."</p>
            {move || match segments.get() {
                None => view! { <p role="status">"Loading segments…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <div class="card empty">
                        <p>"No segments yet. Create one from scratch or from a template such as “VIP customers” or “Cart abandoners”."</p>
                    </div>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table" data-testid="segment-table">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Description"</th>
                            <th scope="col" class="num">"Shoppers"</th><th scope="col">"Last 30 days"</th>
                            <th scope="col">"Template"</th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|s| {
                                let edit = format!("/admin/segments/{}", s.id);
                                view! {
                                    <tr data-segment-id=s.id.clone()>
                                        <td><A href=edit attr:class="segment-name">{s.name.clone()}</A></td>
                                        <td class="segment-description">{s.description.clone()}</td>
                                        <td class="num" data-testid="segment-size" data-size=s.size>{grouped(s.size)}</td>
                                        <td>{sparkline(&s.trend)}</td>
                                        <td>{s.template.clone().map(|t| view! { <span class="badge">{template_name(&t)}</span> })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            <section class="card micro" aria-labelledby="micro-heading" data-testid="micro-segments"
                data-state=move || if micro.with(Option::is_some) { "done" } else { "loading" }>
                <h2 id="micro-heading">"Found automatically"</h2>
                <p class="help">"Groups of similar shoppers found in your store's data by clustering their orders, spending and visits. They update as shoppers do."</p>
                {move || match micro.get() {
                    None => view! { <p role="status">"Looking for groups…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                    Some(Ok(m)) if m.segments.is_empty() => view! {
                        <p>"Not enough shoppers yet to find groups."</p>
                    }.into_any(),
                    Some(Ok(m)) => view! {
                        <ul class="micro-list">
                            {m.segments.into_iter().map(|g| {
                                let days = g.median_days_since_last_order
                                    .map_or_else(|| "—".to_owned(), |d| format!("{d:.0}"));
                                view! {
                                    <li class="micro-item">
                                        <p class="micro-description">{g.description}</p>
                                        <p class="micro-size">
                                            <strong>{grouped(g.size)}</strong>
                                            {format!(" shoppers · {} of all", percent((g.share * 10_000.0).round() as u64, 10_000))}
                                        </p>
                                        <dl class="micro-stats">
                                            <div><dt>"Bought"</dt><dd>{percent((g.buyer_share * 10_000.0).round() as u64, 10_000)}</dd></div>
                                            <div><dt>"Orders (mean)"</dt><dd>{format!("{:.1}", g.mean_orders)}</dd></div>
                                            <div><dt>"Spent (mean)"</dt><dd>{g.mean_total_spent.formatted}</dd></div>
                                            <div><dt>"Days since last order (median)"</dt><dd>{days}</dd></div>
                                            <div><dt>"Visits (mean)"</dt><dd>{format!("{:.1}", g.mean_sessions)}</dd></div>
                                        </dl>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        <p class="help">{format!("From {} shoppers; how distinct the groups are (silhouette, −1 to 1): {:.2}.", grouped(m.profiles), m.silhouette)}</p>
                    }.into_any(),
                }}
            </section>
        </section>
    }
}
