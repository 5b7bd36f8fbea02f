//! Attune's admin: a Leptos app rendered in the browser (wasm), embedded in the Shopify
//! admin through App Bridge, talking only to `/api/admin/*` with session tokens.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod api;
mod pages;

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app-loading"))
    {
        el.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell>
                <Routes fallback=|| view! { <section class="page"><h1>"Page not found"</h1></section> }>
                    <Route path=path!("/admin") view=pages::home::Home />
                    <Route path=path!("/admin/widgets") view=pages::widgets::WidgetList />
                    <Route path=path!("/admin/widgets/new") view=pages::widgets::WidgetNew />
                    <Route path=path!("/admin/widgets/:id") view=pages::widgets::WidgetEdit />
                    <Route path=path!("/admin/widgets/:id/results") view=pages::analytics::WidgetResults />
                    <Route path=path!("/admin/segments") view=pages::segments::SegmentList />
                    <Route path=path!("/admin/segments/new") view=pages::segments::SegmentNew />
                    <Route path=path!("/admin/segments/:id") view=pages::segments::SegmentEdit />
                    <Route path=path!("/admin/offers") view=pages::offers::OfferList />
                    <Route path=path!("/admin/offers/new") view=pages::offers::OfferNew />
                    <Route path=path!("/admin/offers/:id") view=pages::offers::OfferEdit />
                    <Route path=path!("/admin/offers/:id/results") view=pages::analytics::OfferResults />
                    <Route path=path!("/admin/analytics") view=pages::analytics::AnalyticsDashboard />
                    <Route path=path!("/admin/experiments") view=pages::experiments::ExperimentListPage />
                    <Route path=path!("/admin/experiments/new") view=pages::experiments::ExperimentNew />
                    <Route path=path!("/admin/experiments/:id") view=pages::experiments::ExperimentResultsPage />
                    <Route path=path!("/admin/privacy") view=pages::privacy::Privacy />
                </Routes>
            </Shell>
        </Router>
    }
}

#[component]
fn Shell(children: Children) -> impl IntoView {
    let demo = api::is_demo();
    view! {
        // App Bridge turns this into the admin's own navigation when embedded.
        <ui-nav-menu>
            <a href="/admin" rel="home">"Home"</a>
            <a href="/admin/widgets">"Widgets"</a>
            <a href="/admin/segments">"Segments"</a>
            <a href="/admin/offers">"Offers"</a>
            <a href="/admin/analytics">"Analytics"</a>
            <a href="/admin/experiments">"Experiments"</a>
            <a href="/admin/privacy">"Privacy requests"</a>
        </ui-nav-menu>
        {demo.then(|| view! {
            <div class="banner banner--demo" role="note">
                <strong>"Local demo mode. "</strong>
                "You are signed in to the demo shop by a local-only login that stands in for Shopify. It is never available outside "
                <code>"attune demo"</code>"."
            </div>
        })}
        <div class="frame">
            <nav class="sidebar" aria-label="Attune">
                <p class="brand">"Attune"</p>
                <A href="/admin" exact=true>"Home"</A>
                <A href="/admin/widgets">"Widgets"</A>
                <A href="/admin/segments">"Segments"</A>
                <A href="/admin/offers">"Offers"</A>
                <A href="/admin/analytics">"Analytics"</A>
                <A href="/admin/experiments">"Experiments"</A>
                <A href="/admin/privacy">"Privacy requests"</A>
                {demo.then(|| view! { <a href="/demo" target="_blank" rel="noopener">"Demo storefront ↗"</a> })}
            </nav>
            <main class="content">{children()}</main>
        </div>
    }
}
