//! The segment editor, for a new segment and an existing one: name, description, a template
//! to start from, the rule builder, and the live count beside it.

use attune_api::segments::{
    MicroSegmentList, Segment, SegmentInput, SegmentList, SegmentPreview, SegmentTemplate,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{Value, json};
use wasm_bindgen::JsCast;

use super::draft::{Cond, Draft, Kind};
use super::live::{LivePanel, Preview, RuleErrors, follow};
use super::row::{CondRow, Ctx};
use super::values::exponent;
use crate::api::{self, Failure};

#[derive(serde::Deserialize)]
struct Templates {
    templates: Vec<SegmentTemplate>,
}

#[derive(Debug, Clone)]
struct Loaded {
    segment: Option<Segment>,
    /// The shop's other segments, `(id, name)`: what a membership condition may name.
    others: Vec<(String, String)>,
    templates: Vec<SegmentTemplate>,
    currency: Option<String>,
}

/// The shop's currency, which no admin endpoint names directly: read off the money the
/// segment endpoints answer with (a found group's mean spend, else a customer in a sample).
async fn shop_currency() -> Option<String> {
    if let Ok(micro) = api::get::<MicroSegmentList>("/api/admin/segments/micro").await
        && let Some(first) = micro.segments.first()
    {
        return Some(first.mean_total_spent.currency.clone());
    }
    let probe = SegmentInput::new(
        "",
        json!({"field": "is_customer", "op": "eq", "value": true}),
    );
    api::post::<_, SegmentPreview>("/api/admin/segments/preview", &probe)
        .await
        .ok()?
        .sample
        .into_iter()
        .find_map(|m| m.total_spent)
        .map(|m| m.currency)
}

async fn load(id: Option<String>) -> Result<Loaded, Failure> {
    let list = api::get::<SegmentList>("/api/admin/segments").await?;
    let templates = api::get::<Templates>("/api/admin/segments/templates")
        .await?
        .templates;
    // Amounts on screen are in major units: the currency must be known before any is shown.
    let currency = shop_currency().await;
    let segment = match &id {
        Some(id) => Some(
            list.segments
                .iter()
                .find(|s| s.id == *id)
                .cloned()
                .ok_or_else(|| Failure {
                    message: "There is no such segment; it may have been deleted.".into(),
                    fields: Vec::new(),
                })?,
        ),
        None => None,
    };
    let others = list
        .segments
        .into_iter()
        .filter(|s| Some(&s.id) != id.as_ref())
        .map(|s| (s.id, s.name))
        .collect();
    Ok(Loaded {
        segment,
        others,
        templates,
        currency,
    })
}

#[component]
pub fn SegmentNew() -> impl IntoView {
    view! {
        <section class="page">
            <header class="page-header"><h1>"New segment"</h1></header>
            <Loader id=None />
        </section>
    }
}

#[component]
pub fn SegmentEdit() -> impl IntoView {
    let params = use_params_map();
    view! {
        <section class="page">
            <header class="page-header"><h1>"Edit segment"</h1></header>
            {move || {
                let id = params.with(|p| p.get("id"));
                view! { <Loader id /> }
            }}
        </section>
    }
}

#[component]
fn Loader(id: Option<String>) -> impl IntoView {
    let loaded: RwSignal<Option<Result<Loaded, Failure>>> = RwSignal::new(None);
    spawn_local(async move {
        loaded.try_set(Some(load(id).await));
    });
    move || match loaded.get() {
        None => view! { <p role="status">"Loading…"</p> }.into_any(),
        Some(Err(e)) => {
            view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any()
        }
        Some(Ok(l)) => view! { <Editor loaded=l /> }.into_any(),
    }
}

fn focus(id: &str) {
    let id = id.to_owned();
    request_animation_frame(move || {
        if let Some(el) = document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
}

fn confirmed(question: &str) -> bool {
    window().confirm_with_message(question).unwrap_or(false)
}

#[component]
fn Editor(loaded: Loaded) -> impl IntoView {
    let Loaded {
        segment,
        others,
        templates,
        currency,
    } = loaded;
    let exp = currency.as_deref().map_or(2, exponent);
    let ctx = StoredValue::new(Ctx {
        currency,
        segments: others,
    });
    let editing = segment.as_ref().map(|s| s.id.clone());
    let name = RwSignal::new(segment.as_ref().map(|s| s.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        segment
            .as_ref()
            .map(|s| s.description.clone())
            .unwrap_or_default(),
    );
    let template = RwSignal::new(
        segment
            .as_ref()
            .and_then(|s| s.template.clone())
            .unwrap_or_default(),
    );
    let draft = Draft::new();
    if let Some(s) = &segment {
        draft.load(&s.rules, exp);
    }
    let built = Memo::new(move |_| draft.build(exp));
    let preview = RwSignal::new(Preview::Waiting);
    let pending = RwSignal::new(false);
    let rule_errors = RwSignal::new(RuleErrors::default());
    follow(built, preview, pending, rule_errors);
    let row_errors = Signal::derive(move || {
        let mut all = built.with(|b| b.local.clone());
        all.extend(rule_errors.with(|e| e.rows.clone()));
        all
    });
    let failure: RwSignal<Option<Failure>> = RwSignal::new(None);
    let saving = RwSignal::new(false);
    let navigate = use_navigate();
    let templates = StoredValue::new(templates);

    let field_error = move |field: &'static str| move || failure.get().and_then(|f| f.field(field));
    let invalid = move |field: &'static str| move || field_error(field)().is_some().to_string();

    let pick_template = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        let Some(t) = templates.with_value(|ts| ts.iter().find(|t| t.id == id).cloned()) else {
            template.set(String::new());
            return;
        };
        let replace = draft.rows.with_untracked(Vec::is_empty)
            || confirmed(&format!(
                "Replace the current conditions with those of “{}”?",
                t.name
            ));
        if !replace {
            // Put the select back to what the rules came from.
            if let Some(select) = ev.target() {
                let previous = template.get_untracked();
                let _ = js_sys::Reflect::set(&select, &"value".into(), &previous.into());
            }
            return;
        }
        template.set(t.id.clone());
        draft.load(&t.rules, exp);
        if name.with_untracked(|n| n.trim().is_empty()) {
            name.set(t.name.clone());
        }
        if description.with_untracked(|d| d.trim().is_empty()) {
            description.set(t.description.clone());
        }
    };

    let add = move |kind: Kind| {
        let c = Cond::new(kind);
        draft.rows.update(|rows| rows.push(c));
        focus(&format!(
            "c{}-{}",
            c.key,
            if kind == Kind::Group { "match" } else { "kind" }
        ));
    };

    let submit_editing = editing.clone();
    let submit_navigate = navigate.clone();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let b = built.get_untracked();
        if !b.local.is_empty() {
            failure.set(Some(Failure {
                message: "Please fix the highlighted conditions.".into(),
                fields: Vec::new(),
            }));
            return;
        }
        let chosen = template.get_untracked();
        let input = SegmentInput {
            name: name.get_untracked().into(),
            description: description.get_untracked().into(),
            rules: b.rules.clone(),
            template: if chosen.is_empty() {
                Value::Null
            } else {
                chosen.into()
            },
        };
        // The same checks the server runs, for instant feedback; the server stays the judge.
        if let Err(fields) = input.validate() {
            rule_errors.set(RuleErrors::place(&b, &fields));
            failure.set(Some(Failure {
                message: "Please fix the highlighted fields.".into(),
                fields,
            }));
            return;
        }
        failure.set(None);
        saving.set(true);
        let editing = submit_editing.clone();
        let navigate = submit_navigate.clone();
        spawn_local(async move {
            let result = match &editing {
                Some(id) => {
                    api::put::<_, Value>(&format!("/api/admin/segments/{id}"), &input).await
                }
                None => api::post::<_, Value>("/api/admin/segments", &input).await,
            };
            saving.try_set(false);
            match result {
                Ok(_) => navigate("/admin/segments", Default::default()),
                Err(f) => {
                    rule_errors.try_set(RuleErrors::place(&b, &f.fields));
                    failure.try_set(Some(f));
                }
            }
        });
    };

    let delete_id = editing.clone();
    let on_delete = move |_| {
        let Some(id) = delete_id.clone() else {
            return;
        };
        let label = name.get_untracked();
        if !confirmed(&format!(
            "Delete the segment “{label}”? This cannot be undone."
        )) {
            return;
        }
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::delete(&format!("/api/admin/segments/{id}")).await {
                Ok(()) => navigate("/admin/segments", Default::default()),
                Err(f) => {
                    failure.try_set(Some(f));
                }
            }
        });
    };

    let row_label = move |key: u32| {
        Signal::derive(move || {
            draft
                .rows
                .with(|rows| rows.iter().position(|c| c.key == key))
                .map_or(0, |i| i + 1)
                .to_string()
        })
    };
    let remove = move |key: u32| {
        Callback::new(move |_| {
            draft.rows.update(|rows| rows.retain(|c| c.key != key));
            focus("add-condition");
        })
    };

    view! {
        <div class="segment-editor">
            <form class="card form segment-form" on:submit=on_submit novalidate>
                {move || failure.get().map(|e| view! { <p class="banner banner--critical" role="alert">{e.message}</p> })}
                <div class="field">
                    <label for="segment-name">"Name"</label>
                    <input id="segment-name" name="name" type="text" maxlength="80"
                        prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))
                        aria-invalid=invalid("name") aria-describedby="segment-name-error" />
                    <p class="field-error" id="segment-name-error" data-field="name">{field_error("name")}</p>
                </div>
                <div class="field">
                    <label for="segment-description">"Description"</label>
                    <textarea id="segment-description" name="description" rows="2" maxlength="500"
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))
                        aria-invalid=invalid("description") aria-describedby="segment-description-error"></textarea>
                    <p class="field-error" id="segment-description-error" data-field="description">{field_error("description")}</p>
                </div>
                <div class="field">
                    <label for="segment-template">"Start from a template"</label>
                    <select id="segment-template" on:change=pick_template
                        aria-invalid=invalid("template") aria-describedby="segment-template-help">
                        <option value="" prop:selected=move || template.get().is_empty()>"None: build from scratch"</option>
                        {templates.with_value(|ts| ts.iter().map(|t| {
                            let id = t.id.clone();
                            view! { <option value=t.id.clone() prop:selected=move || template.with(|c| *c == id)>{t.name.clone()}</option> }
                        }).collect_view())}
                    </select>
                    <p class="help" id="segment-template-help">
                        {move || template.with(|id| templates.with_value(|ts| ts.iter().find(|t| t.id == *id).map(|t| t.description.clone())))
                            .unwrap_or_else(|| "Fills in the conditions below, which you can then change.".into())}
                    </p>
                    <p class="field-error" data-field="template">{field_error("template")}</p>
                </div>
                <fieldset class="rules segment-rules">
                    <legend>"Who is in this segment"</legend>
                    <fieldset class="match-toggle">
                        <legend>"Shoppers must match"</legend>
                        <span class="check">
                            <input type="radio" id="match-all" name="match" value="all"
                                prop:checked=move || draft.all.get() on:change=move |_| draft.all.set(true) />
                            <label for="match-all">"all conditions"</label>
                        </span>
                        <span class="check">
                            <input type="radio" id="match-any" name="match" value="any"
                                prop:checked=move || !draft.all.get() on:change=move |_| draft.all.set(false) />
                            <label for="match-any">"any condition"</label>
                        </span>
                    </fieldset>
                    <ul class="field-error rule-errors" data-field="rules">
                        {move || rule_errors.with(|e| e.general.clone()).into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                    </ul>
                    <ol class="conditions" aria-label="Conditions">
                        <For each=move || draft.rows.get() key=|c| c.key let:c>
                            <CondRow cond=c label=row_label(c.key) ctx errors=row_errors on_remove=remove(c.key) />
                        </For>
                    </ol>
                    {move || draft.rows.with(Vec::is_empty).then(|| view! {
                        <p class="help">{if draft.all.get() { "No conditions yet: every shopper matches." } else { "No conditions yet: nobody matches." }}</p>
                    })}
                    <div class="builder-actions">
                        <button type="button" class="button" id="add-condition" data-testid="add-condition"
                            on:click=move |_| add(Kind::Field)>"Add condition"</button>
                        <button type="button" class="button" id="add-group"
                            on:click=move |_| add(Kind::Group)>"Add group"</button>
                    </div>
                </fieldset>
                <div class="form-actions">
                    {editing.is_some().then(|| view! {
                        <button type="button" class="button button--critical form-actions__left" data-testid="delete-segment" on:click=on_delete.clone()>"Delete segment"</button>
                    })}
                    <A href="/admin/segments" attr:class="button">"Cancel"</A>
                    <button type="submit" class="button button--primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save segment" }}
                    </button>
                </div>
            </form>
            <LivePanel preview pending />
        </div>
    }
}
