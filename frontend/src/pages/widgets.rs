//! Widgets: list, create, edit, delete.

use attune_api::widgets::{
    MAX_PRODUCTS, MIN_PRODUCTS, Placement, Strategy, Widget, WidgetInput, WidgetList,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{self, Failure};

#[component]
pub fn WidgetList() -> impl IntoView {
    let widgets: RwSignal<Option<Result<Vec<Widget>, Failure>>> = RwSignal::new(None);
    let load = move || {
        spawn_local(async move {
            let result = api::get::<WidgetList>("/api/admin/widgets")
                .await
                .map(|l| l.widgets);
            widgets.set(Some(result));
        })
    };
    load();
    let notice = RwSignal::new(None::<String>);
    let remove = move |w: Widget| {
        let confirmed = web_sys::window()
            .and_then(|win| {
                win.confirm_with_message(&format!("Delete the widget “{}”?", w.name))
                    .ok()
            })
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        spawn_local(async move {
            match api::delete(&format!("/api/admin/widgets/{}", w.id)).await {
                Ok(()) => {
                    notice.set(Some(format!("Deleted “{}”.", w.name)));
                    load();
                }
                Err(e) => notice.set(Some(e.message)),
            }
        })
    };

    view! {
        <section class="page">
            <header class="page-header">
                <h1>"Recommendation widgets"</h1>
                <A href="/admin/widgets/new" attr:class="button button--primary">"Create widget"</A>
            </header>
            {move || notice.get().map(|n| view! { <p class="banner" role="status">{n}</p> })}
            {move || match widgets.get() {
                None => view! { <p role="status">"Loading widgets…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <div class="card empty">
                        <p>"No widgets yet. Create one, then add the “Recommendations” block to your theme with its id."</p>
                    </div>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table" data-testid="widget-table">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Placement"</th><th scope="col">"Recommender"</th>
                            <th scope="col">"Products"</th><th scope="col">"Widget id (for the theme block)"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|w| {
                                let edit = format!("/admin/widgets/{}", w.id);
                                let for_delete = w.clone();
                                view! {
                                    <tr data-widget-id=w.id.clone()>
                                        <td>{w.name.clone()}</td>
                                        <td>{w.placement.label()}</td>
                                        <td>{w.strategy.label()}</td>
                                        <td>{w.max_products}</td>
                                        <td><code class="widget-id">{w.id.clone()}</code></td>
                                        <td class="actions">
                                            <A href=edit attr:class="button">"Edit"</A>
                                            <A href=format!("/admin/widgets/{}/results", w.id) attr:class="button">"Results"</A>
                                            <button type="button" class="button button--critical"
                                                on:click=move |_| remove(for_delete.clone())>"Delete"</button>
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
pub fn WidgetNew() -> impl IntoView {
    view! {
        <section class="page">
            <header class="page-header"><h1>"Create widget"</h1></header>
            <WidgetForm initial=None />
        </section>
    }
}

#[component]
pub fn WidgetEdit() -> impl IntoView {
    let params = use_params_map();
    let loaded: RwSignal<Option<Result<Widget, Failure>>> = RwSignal::new(None);
    Effect::new(move |_| {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        spawn_local(async move {
            loaded.set(Some(
                api::get::<Widget>(&format!("/api/admin/widgets/{id}")).await,
            ));
        });
    });
    view! {
        <section class="page">
            <header class="page-header"><h1>"Edit widget"</h1></header>
            {move || match loaded.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(w)) => {
                    let id = w.id.clone();
                    view! {
                        <WidgetForm initial=Some(w) />
                        <super::widget_preview::WidgetPreview id />
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn FieldError(errors: RwSignal<Option<Failure>>, field: &'static str) -> impl IntoView {
    view! {
        {move || errors.get().and_then(|f| f.field(field)).map(|msg| view! {
            <p class="field-error" id=format!("{field}-error") data-field=field>{msg}</p>
        })}
    }
}

#[component]
fn WidgetForm(initial: Option<Widget>) -> impl IntoView {
    let editing = initial.as_ref().map(|w| w.id.clone());
    let name = RwSignal::new(initial.as_ref().map(|w| w.name.clone()).unwrap_or_default());
    let title = RwSignal::new(
        initial
            .as_ref()
            .map(|w| w.title.clone())
            .unwrap_or_else(|| "You may also like".into()),
    );
    let placement = RwSignal::new(
        initial
            .as_ref()
            .map(|w| w.placement)
            .unwrap_or(Placement::ProductPage)
            .as_str()
            .to_owned(),
    );
    let strategy = RwSignal::new(
        initial
            .as_ref()
            .map(|w| w.strategy)
            .unwrap_or(Strategy::FrequentlyBoughtTogether)
            .as_str()
            .to_owned(),
    );
    let max_products = RwSignal::new(
        initial
            .as_ref()
            .map(|w| w.max_products)
            .unwrap_or(4)
            .to_string(),
    );
    let rules = super::widget_rules::RulesForm::new(
        &initial
            .as_ref()
            .map(|w| w.rules.clone())
            .unwrap_or_default(),
    );
    let errors: RwSignal<Option<Failure>> = RwSignal::new(None);
    let saving = RwSignal::new(false);
    let navigate = use_navigate();

    let invalid = move |field: &'static str| {
        move || {
            errors
                .get()
                .and_then(|f| f.field(field))
                .is_some()
                .to_string()
        }
    };
    let described = |field: &'static str| format!("{field}-error");

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let count = max_products.get_untracked();
        let input = WidgetInput {
            name: name.get_untracked().into(),
            title: title.get_untracked().into(),
            placement: placement.get_untracked().into(),
            strategy: strategy.get_untracked().into(),
            // Sent as typed: the server names the field if it is not a number.
            max_products: count
                .trim()
                .parse::<u64>()
                .map(serde_json::Value::from)
                .unwrap_or_else(|_| serde_json::Value::from(count.clone())),
            rules: rules.to_json(),
        };
        // The same checks the server runs, for instant feedback; the server stays the judge.
        if let Err(fields) = input.validate() {
            errors.set(Some(Failure {
                message: "Please fix the highlighted fields.".into(),
                fields,
            }));
            return;
        }
        errors.set(None);
        saving.set(true);
        let editing = editing.clone();
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match &editing {
                Some(id) => {
                    api::put::<_, Widget>(&format!("/api/admin/widgets/{id}"), &input).await
                }
                None => api::post::<_, Widget>("/api/admin/widgets", &input).await,
            };
            saving.set(false);
            match result {
                Ok(_) => navigate("/admin/widgets", Default::default()),
                Err(e) => errors.set(Some(e)),
            }
        });
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            {move || errors.get().map(|e| view! { <p class="banner banner--critical" role="alert">{e.message}</p> })}
            <div class="field">
                <label for="name">"Name"</label>
                <input id="name" name="name" type="text" maxlength="200"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                    aria-invalid=invalid("name") aria-describedby=described("name") />
                <FieldError errors field="name" />
                <p class="help">"Only you see this."</p>
            </div>
            <div class="field">
                <label for="title">"Heading shown to shoppers"</label>
                <input id="title" name="title" type="text" maxlength="300"
                    prop:value=move || title.get()
                    on:input=move |ev| title.set(event_target_value(&ev))
                    aria-invalid=invalid("title") aria-describedby=described("title") />
                <FieldError errors field="title" />
            </div>
            <div class="field">
                <label for="placement">"Placement"</label>
                <select id="placement" name="placement"
                    on:change=move |ev| placement.set(event_target_value(&ev))
                    aria-invalid=invalid("placement") aria-describedby=described("placement")>
                    {Placement::ALL.into_iter().map(|p| view! {
                        <option value=p.as_str() selected=move || placement.get() == p.as_str()>{p.label()}</option>
                    }).collect_view()}
                </select>
                <FieldError errors field="placement" />
            </div>
            <div class="field">
                <label for="strategy">"Recommender"</label>
                <select id="strategy" name="strategy"
                    on:change=move |ev| strategy.set(event_target_value(&ev))
                    aria-invalid=invalid("strategy") aria-describedby=described("strategy")>
                    {Strategy::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || strategy.get() == s.as_str()>{s.label()}</option>
                    }).collect_view()}
                </select>
                <FieldError errors field="strategy" />
            </div>
            <div class="field">
                <label for="max_products">"Number of products"</label>
                <input id="max_products" name="max_products" type="number"
                    min=MIN_PRODUCTS max=MAX_PRODUCTS step="1"
                    prop:value=move || max_products.get()
                    on:input=move |ev| max_products.set(event_target_value(&ev))
                    aria-invalid=invalid("max_products") aria-describedby=described("max_products") />
                <FieldError errors field="max_products" />
            </div>
            <super::widget_rules::RulesFields form=rules errors />
            <div class="form-actions">
                <A href="/admin/widgets" attr:class="button">"Cancel"</A>
                <button type="submit" class="button button--primary" disabled=move || saving.get()>
                    {move || if saving.get() { "Saving…" } else { "Save widget" }}
                </button>
            </div>
        </form>
    }
}
