use attune_api::sync::SyncStatus;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api::{self, Failure};

#[component]
pub fn Home() -> impl IntoView {
    let sync: RwSignal<Option<Result<SyncStatus, Failure>>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move { sync.set(Some(api::get::<SyncStatus>("/api/admin/sync").await)) })
    };
    load();
    let sync_now = move |_| {
        spawn_local(async move {
            sync.set(Some(
                api::post::<_, SyncStatus>("/api/admin/sync", &serde_json::json!({})).await,
            ));
        })
    };
    view! {
        <section class="page">
            <h1>"Attune"</h1>
            <p class="lead">
                "Personalized recommendations for every shopper, measured honestly. "
                "Start by creating a recommendation widget, then add the Attune “Recommendations” block to your theme and paste the widget's id."
            </p>
            <div class="card">
                <h2>"Recommendation widgets"</h2>
                <p>"Choose where a widget appears, which recommender fills it and how many products it shows."</p>
                <A href="/admin/widgets" attr:class="button button--primary">"Manage widgets"</A>
            </div>
            <div class="card" data-testid="sync-status">
                <h2>"Store data"</h2>
                {move || match sync.get() {
                    None => view! { <p role="status">"Loading…"</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                    Some(Ok(s)) => {
                        let label = match s.status.as_str() {
                            "running" => format!("Syncing {}…", s.phase),
                            "done" => "Up to date".to_owned(),
                            "failed" => "The last sync failed".to_owned(),
                            _ => "Not synced yet".to_owned(),
                        };
                        view! {
                            <p><strong>{label}</strong></p>
                            <p>{format!("{} products, {} collections, {} customers, {} orders in the last sync.", s.counts.products, s.counts.collections, s.counts.customers, s.counts.orders)}</p>
                            {s.error.map(|e| view! { <p class="banner banner--critical">{e}</p> })}
                            {s.finished_at.map(|t| view! { <p class="help">{format!("Finished {t}")}</p> })}
                        }.into_any()
                    }
                }}
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| load()>"Refresh"</button>
                    <button type="button" class="button button--primary" on:click=sync_now>"Sync now"</button>
                </div>
            </div>
        </section>
    }
}
