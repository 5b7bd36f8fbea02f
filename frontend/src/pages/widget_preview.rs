//! The widget's list as a shopper would see it, with why each product is there.

use attune_api::backtest::BacktestResult;
use attune_api::storefront::Recommendations;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Failure};

fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_default()
}

#[component]
pub fn WidgetPreview(id: String) -> impl IntoView {
    let product = RwSignal::new(String::new());
    let customer = RwSignal::new(String::new());
    let cart = RwSignal::new(String::new());
    let result: RwSignal<Option<Result<Recommendations, Failure>>> = RwSignal::new(None);
    let run = move |id: String| {
        let url = format!(
            "/api/admin/widgets/{id}/preview?product={}&customer={}&cart={}",
            encode(&product.get_untracked()),
            encode(&customer.get_untracked()),
            encode(&cart.get_untracked())
        );
        spawn_local(async move { result.set(Some(api::get::<Recommendations>(&url).await)) });
    };
    let first = id.clone();
    run(first);
    let backtest: RwSignal<Option<Result<BacktestResult, Failure>>> = RwSignal::new(None);
    let running = RwSignal::new(false);
    let backtest_id = id.clone();
    let run_backtest = move |_| {
        let url = format!("/api/admin/widgets/{backtest_id}/backtest");
        running.set(true);
        spawn_local(async move {
            backtest.set(Some(
                api::post::<_, BacktestResult>(&url, &serde_json::json!({})).await,
            ));
            running.set(false);
        });
    };
    view! {
        <section class="card" data-testid="widget-preview">
            <h2>"Preview"</h2>
            <p class="help">"What a shopper gets, and why. Leave the fields empty for an anonymous visitor on any page."</p>
            <div class="preview-inputs">
                <label>"Product id"<input type="text" prop:value=move || product.get() on:input=move |ev| product.set(event_target_value(&ev)) /></label>
                <label>"Customer id"<input type="text" prop:value=move || customer.get() on:input=move |ev| customer.set(event_target_value(&ev)) /></label>
                <label>"Cart (product ids)"<input type="text" prop:value=move || cart.get() on:input=move |ev| cart.set(event_target_value(&ev)) /></label>
                <button type="button" class="button" on:click=move |_| run(id.clone())>"Preview"</button>
            </div>
            {move || match result.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(r)) if r.products.is_empty() => view! { <p>"No products would show."</p> }.into_any(),
                Some(Ok(r)) => view! {
                    <ol class="preview-list">
                        {r.products.into_iter().map(|p| {
                            let why = p.explanation.map(|e| format!("{} · {}{}", e.source, e.parts.join("; "), if e.seeds.is_empty() { String::new() } else { format!(" · from {}", e.seeds.join(", ")) })).unwrap_or_default();
                            view! {
                                <li>
                                    <strong>{p.title}</strong>" "<span>{p.price.formatted}</span>" "<code>{p.id}</code>
                                    <br/><span class="reason">{p.reason}</span>" "<span class="help">{why}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
            <h2>"Backtest on your history"</h2>
            <p class="help">"Replays this recommender on your own orders: each repeat customer's last order is held out and predicted from everything before it, next to your best sellers."</p>
            <button type="button" class="button" data-testid="run-backtest" disabled=move || running.get() on:click=run_backtest>
                {move || if running.get() { "Running…" } else { "Run backtest" }}
            </button>
            {move || backtest.get().map(|r| match r {
                Err(e) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Ok(b) => {
                    let pct = |x: f64| format!("{:.1}%", x * 100.0);
                    view! {
                        <table class="table" data-testid="backtest-result">
                            <thead><tr><th scope="col">{format!("Top {}", b.k)}</th><th scope="col">"Hit rate"</th><th scope="col">"NDCG"</th><th scope="col">"Recall"</th></tr></thead>
                            <tbody>
                                <tr><td>"This widget"</td><td>{pct(b.widget.hit_rate)}</td><td>{format!("{:.3}", b.widget.ndcg)}</td><td>{pct(b.widget.recall)}</td></tr>
                                <tr><td>"Best sellers"</td><td>{pct(b.baseline.hit_rate)}</td><td>{format!("{:.3}", b.baseline.ndcg)}</td><td>{pct(b.baseline.recall)}</td></tr>
                            </tbody>
                        </table>
                        <p class="help">{b.protocol}</p>
                    }.into_any()
                }
            })}
        </section>
    }
}
