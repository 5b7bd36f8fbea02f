use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Home() -> impl IntoView {
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
        </section>
    }
}
