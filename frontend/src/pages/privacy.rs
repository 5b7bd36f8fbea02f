//! Privacy requests: customer data exports produced for `customers/data_request`.

use attune_api::privacy::{DataExportList, DataExportSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Failure};

#[component]
pub fn Privacy() -> impl IntoView {
    let exports: RwSignal<Option<Result<Vec<DataExportSummary>, Failure>>> = RwSignal::new(None);
    spawn_local(async move {
        exports.set(Some(
            api::get::<DataExportList>("/api/admin/privacy/exports")
                .await
                .map(|l| l.exports),
        ));
    });
    let shown: RwSignal<Option<(i64, String)>> = RwSignal::new(None);
    let open = move |id: i64| {
        spawn_local(async move {
            let text =
                match api::get::<serde_json::Value>(&format!("/api/admin/privacy/exports/{id}"))
                    .await
                {
                    Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
                    Err(e) => e.message,
                };
            shown.set(Some((id, text)));
        })
    };
    view! {
        <section class="page">
            <h1>"Privacy requests"</h1>
            <p class="lead">"When a customer asks for their data, Shopify tells Attune and the export appears here for you to send them. Erasure requests are carried out automatically."</p>
            {move || match exports.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! { <div class="card empty"><p>"No data requests so far."</p></div> }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Customer"</th><th scope="col">"Request"</th><th scope="col">"Received"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|e| {
                                let id = e.id;
                                view! {
                                    <tr>
                                        <td>{e.customer_id}</td>
                                        <td>{e.request_id}</td>
                                        <td>{e.created_at}</td>
                                        <td class="actions"><button type="button" class="button" on:click=move |_| open(id)>"View export"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
            {move || shown.get().map(|(id, text)| view! {
                <div class="card">
                    <h2>{format!("Export {id}")}</h2>
                    <pre class="export">{text}</pre>
                </div>
            })}
        </section>
    }
}
