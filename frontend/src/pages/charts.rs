//! Small SVG charts: lines over days and bars with interval whiskers. Each chart is an image
//! with a title for assistive technology, followed by the same numbers as a table.

use leptos::prelude::*;

const W: f64 = 640.0;
const H: f64 = 220.0;
const PAD_L: f64 = 64.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 16.0;
const PAD_B: f64 = 36.0;

/// One line: a label, a colour class and a value per x position (gaps allowed).
#[derive(Clone)]
pub struct Series {
    pub label: String,
    pub class: &'static str,
    pub values: Vec<Option<f64>>,
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let pad = (hi - lo) * 0.08;
    (lo - if lo < 0.0 { pad } else { 0.0 }, hi + pad)
}

fn y_of(v: f64, lo: f64, hi: f64) -> f64 {
    PAD_T + (1.0 - (v - lo) / (hi - lo)) * (H - PAD_T - PAD_B)
}

/// A line chart over `x_labels`, with a zero line and four y ticks formatted by `fmt`.
#[component]
pub fn LineChart(
    title: String,
    x_labels: Vec<String>,
    series: Vec<Series>,
    fmt: fn(f64) -> String,
) -> impl IntoView {
    let n = x_labels.len().max(1);
    let (lo, hi) = bounds(
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied()),
    );
    let x_of = |i: usize| {
        if n == 1 {
            (PAD_L + W - PAD_R) / 2.0
        } else {
            PAD_L + i as f64 * (W - PAD_L - PAD_R) / (n - 1) as f64
        }
    };
    let ticks: Vec<f64> = (0..=3).map(|k| lo + (hi - lo) * k as f64 / 3.0).collect();
    let paths: Vec<(String, &'static str, String)> = series
        .iter()
        .map(|s| {
            let mut d = String::new();
            let mut pen_up = true;
            for (i, v) in s.values.iter().enumerate() {
                match v {
                    Some(v) if v.is_finite() => {
                        d.push_str(&format!(
                            "{}{:.1},{:.1} ",
                            if pen_up { "M" } else { "L" },
                            x_of(i),
                            y_of(*v, lo, hi)
                        ));
                        pen_up = false;
                    }
                    _ => pen_up = true,
                }
            }
            (s.label.clone(), s.class, d)
        })
        .collect();
    let label_every = n.div_ceil(6).max(1);
    let zero = y_of(0.0, lo, hi);
    let table_series = series.clone();
    let table_labels = x_labels.clone();
    view! {
        <figure class="chart" data-chart="line">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title.clone() class="chart__svg">
                <title>{title.clone()}</title>
                {ticks.iter().map(|t| {
                    let y = y_of(*t, lo, hi);
                    view! {
                        <line class="chart__grid" x1=PAD_L x2=W - PAD_R y1=y y2=y />
                        <text class="chart__tick" x=PAD_L - 6.0 y=y + 4.0 text-anchor="end">{fmt(*t)}</text>
                    }
                }).collect_view()}
                <line class="chart__zero" x1=PAD_L x2=W - PAD_R y1=zero y2=zero />
                {x_labels.iter().enumerate().filter(|(i, _)| i % label_every == 0).map(|(i, l)| view! {
                    <text class="chart__tick" x=x_of(i) y=H - 12.0 text-anchor="middle">{l.clone()}</text>
                }).collect_view()}
                {paths.into_iter().map(|(label, class, d)| view! {
                    <path class=format!("chart__line {class}") d=d data-series=label />
                }).collect_view()}
            </svg>
            <ul class="chart__legend">
                {series.iter().map(|s| view! { <li class=s.class>{s.label.clone()}</li> }).collect_view()}
            </ul>
            <table class="visually-hidden">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Day"</th>
                    {table_series.iter().map(|s| view! { <th scope="col">{s.label.clone()}</th> }).collect_view()}
                </tr></thead>
                <tbody>
                    {table_labels.iter().enumerate().map(|(i, l)| view! {
                        <tr><th scope="row">{l.clone()}</th>
                            {table_series.iter().map(|s| view! {
                                <td>{s.values.get(i).copied().flatten().map(fmt).unwrap_or_else(|| "–".into())}</td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}

/// One bar, with an optional interval drawn as a whisker.
#[derive(Clone)]
pub struct Bar {
    pub label: String,
    pub class: &'static str,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
}

#[component]
pub fn BarChart(title: String, bars: Vec<Bar>, fmt: fn(f64) -> String) -> impl IntoView {
    let (lo, hi) = bounds(bars.iter().flat_map(|b| {
        let (l, h) = b.interval.unwrap_or((b.value, b.value));
        [b.value, l, h]
    }));
    let n = bars.len().max(1) as f64;
    let slot = (W - PAD_L - PAD_R) / n;
    let zero = y_of(0.0, lo, hi);
    let table = bars.clone();
    view! {
        <figure class="chart" data-chart="bar">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=title.clone() class="chart__svg">
                <title>{title.clone()}</title>
                <line class="chart__zero" x1=PAD_L x2=W - PAD_R y1=zero y2=zero />
                <text class="chart__tick" x=PAD_L - 6.0 y=zero + 4.0 text-anchor="end">{fmt(0.0)}</text>
                {bars.iter().enumerate().map(|(i, b)| {
                    let x = PAD_L + slot * i as f64 + slot * 0.2;
                    let w = slot * 0.6;
                    let y = y_of(b.value, lo, hi);
                    let (top, height) = if y < zero { (y, zero - y) } else { (zero, y - zero) };
                    let whisker = b.interval.map(|(l, h)| {
                        let cx = x + w / 2.0;
                        view! { <path class="chart__whisker" d=format!("M{cx:.1},{:.1} L{cx:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1} M{:.1},{:.1} L{:.1},{:.1}",
                            y_of(l, lo, hi), y_of(h, lo, hi),
                            cx - 8.0, y_of(l, lo, hi), cx + 8.0, y_of(l, lo, hi),
                            cx - 8.0, y_of(h, lo, hi), cx + 8.0, y_of(h, lo, hi)) /> }
                    });
                    view! {
                        <rect class=format!("chart__bar {}", b.class) x=x y=top width=w height=height.max(1.0) data-series=b.label.clone() />
                        {whisker}
                        <text class="chart__tick" x=x + w / 2.0 y=H - 12.0 text-anchor="middle">{b.label.clone()}</text>
                        <text class="chart__value" x=x + w / 2.0 y=top - 4.0 text-anchor="middle">{fmt(b.value)}</text>
                    }
                }).collect_view()}
            </svg>
            <table class="visually-hidden">
                <caption>{title}</caption>
                <tbody>
                    {table.iter().map(|b| view! {
                        <tr><th scope="row">{b.label.clone()}</th><td>{fmt(b.value)}</td>
                            <td>{b.interval.map(|(l, h)| format!("95% CI {} to {}", fmt(l), fmt(h))).unwrap_or_default()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}
