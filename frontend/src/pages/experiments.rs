//! A/B/n experiments: list, a form for testing a widget's recommenders, and results per arm
//! against the control, each said plainly significant or not.

use attune_api::experiments::{
    Arm, Experiment, ExperimentInput, ExperimentList, ExperimentResults, ExperimentStatus, Subject,
};
use attune_api::widgets::{Strategy, Widget, WidgetList};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{self, Failure};

#[component]
pub fn ExperimentListPage() -> impl IntoView {
    let list: RwSignal<Option<Result<Vec<Experiment>, Failure>>> = RwSignal::new(None);
    spawn_local(async move {
        list.set(Some(
            api::get::<ExperimentList>("/api/admin/experiments")
                .await
                .map(|l| l.experiments),
        ));
    });
    view! {
        <section class="page">
            <header class="page-header">
                <h1>"Experiments"</h1>
                <A href="/admin/experiments/new" attr:class="button button--primary">"Test a widget's recommenders"</A>
            </header>
            <p class="help">"Each visitor is placed in one arm, the same on every visit. The first arm is the control."</p>
            {move || match list.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(l)) if l.is_empty() => view! { <div class="card empty"><p>"No experiments yet."</p></div> }.into_any(),
                Some(Ok(l)) => view! {
                    <table class="table" data-testid="experiment-table">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Tests"</th><th scope="col">"Status"</th>
                            <th scope="col">"Arms"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {l.into_iter().map(|e| view! {
                                <tr data-experiment-id=e.id>
                                    <td>{e.input.name.clone()}</td>
                                    <td>{if e.input.subject == Subject::Widget { "Widget recommenders" } else { "Offers" }}</td>
                                    <td>{e.input.status.as_str()}</td>
                                    <td>{e.input.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>().join(" · ")}</td>
                                    <td class="actions"><A href=format!("/admin/experiments/{}", e.id) attr:class="button">"Results"</A></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn ExperimentNew() -> impl IntoView {
    let widgets: RwSignal<Vec<Widget>> = RwSignal::new(Vec::new());
    spawn_local(async move {
        if let Ok(l) = api::get::<WidgetList>("/api/admin/widgets").await {
            widgets.set(l.widgets);
        }
    });
    let name = RwSignal::new(String::new());
    let widget = RwSignal::new(String::new());
    let control = RwSignal::new(Strategy::Popular.as_str().to_owned());
    let variant = RwSignal::new(Strategy::ForYou.as_str().to_owned());
    let errors: RwSignal<Option<Failure>> = RwSignal::new(None);
    let navigate = use_navigate();
    let strategy_select = move |id: &'static str, value: RwSignal<String>| {
        view! {
            <select id=id on:change=move |ev| value.set(event_target_value(&ev))>
                {Strategy::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=move || value.get() == s.as_str()>{s.label()}</option>
                }).collect_view()}
            </select>
        }
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let arm = |name: &str, s: &str| Arm {
            name: name.to_owned(),
            weight: 1.0,
            strategy: Strategy::parse(s),
            offer: None,
        };
        let input = ExperimentInput {
            name: name.get_untracked(),
            subject: Subject::Widget,
            subject_id: widget.get_untracked(),
            arms: vec![
                arm("Control", &control.get_untracked()),
                arm("Variant", &variant.get_untracked()),
            ],
            status: ExperimentStatus::Running,
        };
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::post::<_, Experiment>("/api/admin/experiments", &input).await {
                Ok(e) => navigate(&format!("/admin/experiments/{}", e.id), Default::default()),
                Err(e) => errors.set(Some(e)),
            }
        });
    };
    view! {
        <section class="page">
            <header class="page-header"><h1>"Test a widget's recommenders"</h1></header>
            <form class="card form" on:submit=on_submit novalidate>
                {move || errors.get().map(|e| view! {
                    <div class="banner banner--critical" role="alert">
                        <p>{e.message.clone()}</p>
                        <ul>{e.fields.iter().map(|f| view! { <li data-field=f.field.clone()>{format!("{}: {}", f.field, f.message)}</li> }).collect_view()}</ul>
                    </div>
                })}
                <div class="field">
                    <label for="name">"Name"</label>
                    <input id="name" type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                </div>
                <div class="field">
                    <label for="widget">"Widget"</label>
                    <select id="widget" on:change=move |ev| widget.set(event_target_value(&ev))>
                        <option value="">"Choose a widget"</option>
                        {move || widgets.get().into_iter().map(|w| view! { <option value=w.id.clone()>{w.name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field"><label for="control">"Control recommender"</label>{strategy_select("control", control)}</div>
                <div class="field"><label for="variant">"Variant recommender"</label>{strategy_select("variant", variant)}</div>
                <div class="form-actions">
                    <A href="/admin/experiments" attr:class="button">"Cancel"</A>
                    <button type="submit" class="button button--primary">"Start experiment"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
pub fn ExperimentResultsPage() -> impl IntoView {
    let params = use_params_map();
    let data: RwSignal<Option<Result<ExperimentResults, Failure>>> = RwSignal::new(None);
    Effect::new(move |_| {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        spawn_local(async move {
            data.set(Some(
                api::get::<ExperimentResults>(&format!("/api/admin/experiments/{id}/results"))
                    .await,
            ));
        });
    });
    view! {
        <section class="page">
            {move || match data.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(r)) => view! {
                    <header class="page-header"><h1>{format!("Experiment: {}", r.experiment.input.name)}</h1></header>
                    <p class="help">{format!("Status: {}. Orders count within {} hours of a visitor's first view. Sample-ratio check p = {:.3}{}",
                        r.experiment.input.status.as_str(), r.attribution_window_hours, r.srm_p_value,
                        if r.srm_p_value < 0.001 { " — the split is off: do not trust these numbers." } else { "." })}</p>
                    <table class="table" data-testid="experiment-arms">
                        <thead><tr><th scope="col">"Arm"</th><th scope="col">"Visitors"</th><th scope="col">"Conversion"</th>
                            <th scope="col">"Revenue per visitor"</th><th scope="col">"Against the control"</th></tr></thead>
                        <tbody>
                            {r.arms.into_iter().map(|a| view! {
                                <tr data-arm=a.summary.arm.clone()>
                                    <th scope="row">{a.summary.arm.clone()}</th>
                                    <td>{a.summary.visitors}</td>
                                    <td>{format!("{:.2}%", a.summary.conversion_rate * 100.0)}</td>
                                    <td>{format!("{:.2}", a.summary.revenue_per_visitor / 100.0)}</td>
                                    <td data-verdict>{a.verdict}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}
