//! The widget's list as a shopper would see it, with why each product is there.

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
        </section>
    }
}
