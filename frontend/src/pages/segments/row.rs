//! One condition row of the rule builder, and a group of them. Every value is picked or
//! typed in a control that fits its field; nothing is typed as JSON.

use attune_api::segments::{AffinityKind, EventKind, FIELDS, FieldGroup, FieldKind, Op};
use leptos::prelude::*;

use super::draft::{Cond, Kind, default_op, field_kind};
use super::values::{affinity_label, event_label, filter_label, humanize, split_list};

/// What rows need from the page: the shop's currency and the segments a row may refer to.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub currency: Option<String>,
    /// Other segments of the shop, `(id, name)`.
    pub segments: Vec<(String, String)>,
}

/// Problems by row key, shown under their row.
pub type RowErrorList = Signal<Vec<(u32, String)>>;

#[component]
pub fn CondRow(
    cond: Cond,
    label: Signal<String>,
    ctx: StoredValue<Ctx>,
    errors: RowErrorList,
    on_remove: Callback<()>,
) -> impl IntoView {
    if cond.kind.get_untracked() == Kind::Group {
        view! { <GroupRow cond label ctx errors on_remove /> }.into_any()
    } else {
        view! { <LeafRow cond label ctx errors on_remove /> }.into_any()
    }
}

#[component]
fn RowErrors(key: u32, errors: RowErrorList) -> impl IntoView {
    let mine = move || {
        errors.with(|e| {
            e.iter()
                .filter(|(k, _)| *k == key)
                .map(|(_, m)| m.clone())
                .collect::<Vec<_>>()
        })
    };
    view! {
        <ul class="cond-errors" id=format!("c{key}-errors") data-row-errors=key>
            {move || mine().into_iter().map(|m| view! { <li class="field-error">{m}</li> }).collect_view()}
        </ul>
    }
}

fn has_errors(errors: RowErrorList, key: u32) -> impl Fn() -> bool + Copy {
    move || errors.with(|e| e.iter().any(|(k, _)| *k == key))
}

fn not_box(cond: Cond) -> impl IntoView {
    let id = format!("c{}-not", cond.key);
    view! {
        <div class="cond-control cond-control--not">
            <input type="checkbox" id=id.clone()
                prop:checked=move || cond.negated.get()
                on:change=move |ev| cond.negated.set(event_target_checked(&ev)) />
            <label for=id>"Not"</label>
        </div>
    }
}

#[component]
fn LeafRow(
    cond: Cond,
    label: Signal<String>,
    ctx: StoredValue<Ctx>,
    errors: RowErrorList,
    on_remove: Callback<()>,
) -> impl IntoView {
    let key = cond.key;
    let id = move |part: &str| format!("c{key}-{part}");
    let body = if cond.kind.get_untracked() == Kind::Raw {
        let text = serde_json::to_string_pretty(&cond.raw.get_untracked()).unwrap_or_default();
        view! {
            <div class="cond-raw">
                <p class="help">"This condition nests deeper than the editor shows, so it is kept exactly as it is (read-only). Remove it to build it again here."</p>
                <pre><code>{text}</code></pre>
            </div>
        }
        .into_any()
    } else {
        view! {
            {not_box(cond)}
            <div class="cond-control">
                <label for=id("kind")>"Condition"</label>
                <select id=id("kind") on:change=move |ev| {
                    if let Some(k) = Kind::parse(&event_target_value(&ev)) {
                        cond.kind.set(k);
                    }
                }>
                    {Kind::EDITABLE.into_iter().map(|k| view! {
                        <option value=k.name() prop:selected=move || cond.kind.get() == k>{k.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            {move || match cond.kind.get() {
                Kind::Behaviour => behaviour(cond).into_any(),
                Kind::Affinity => affinity(cond).into_any(),
                Kind::Segment => segment(cond, ctx).into_any(),
                _ => comparison(cond, ctx).into_any(),
            }}
        }
        .into_any()
    };
    view! {
        <li class="condition" data-key=key class:has-errors=has_errors(errors, key)>
            <fieldset class="cond-line" aria-describedby=id("errors")>
                <legend class="visually-hidden">{move || format!("Condition {}", label.get())}</legend>
                {body}
                <button type="button" class="button button--critical cond-remove"
                    aria-label=move || format!("Remove condition {}", label.get())
                    on:click=move |_| on_remove.run(())>"Remove"</button>
            </fieldset>
            <RowErrors key errors />
        </li>
    }
}

#[component]
fn GroupRow(
    cond: Cond,
    label: Signal<String>,
    ctx: StoredValue<Ctx>,
    errors: RowErrorList,
    on_remove: Callback<()>,
) -> impl IntoView {
    let key = cond.key;
    let id = move |part: &str| format!("c{key}-{part}");
    let child_label = move |child: u32| {
        Signal::derive(move || {
            let n = cond
                .children
                .with(|cs| cs.iter().position(|c| c.key == child))
                .map_or(0, |i| i + 1);
            format!("{}.{n}", label.get())
        })
    };
    view! {
        <li class="condition condition--group" data-key=key class:has-errors=has_errors(errors, key)>
            <fieldset class="cond-group" aria-describedby=id("errors")>
                <legend>{move || format!("Group {}", label.get())}</legend>
                <div class="cond-line">
                    {not_box(cond)}
                    <div class="cond-control">
                        <label for=id("match")>"Matches when"</label>
                        <select id=id("match") on:change=move |ev| cond.all.set(event_target_value(&ev) == "all")>
                            <option value="all" prop:selected=move || cond.all.get()>"all of these hold"</option>
                            <option value="any" prop:selected=move || !cond.all.get()>"any of these holds"</option>
                        </select>
                    </div>
                    <button type="button" class="button button--critical cond-remove"
                        aria-label=move || format!("Remove group {}", label.get())
                        on:click=move |_| on_remove.run(())>"Remove group"</button>
                </div>
                <ol class="conditions conditions--nested">
                    <For each=move || cond.children.get() key=|c| c.key let:child>
                        <LeafRow cond=child label=child_label(child.key) ctx errors
                            on_remove=Callback::new(move |_| cond.children.update(|cs| cs.retain(|c| c.key != child.key))) />
                    </For>
                </ol>
                <button type="button" class="button"
                    on:click=move |_| cond.children.update(|cs| cs.push(Cond::new(Kind::Field)))>
                    "Add condition to group"
                </button>
            </fieldset>
            <RowErrors key errors />
        </li>
    }
}

/// The value a select-only control starts with, so what it shows is what is sent.
fn first_choice(kind: FieldKind) -> Option<String> {
    match kind {
        FieldKind::Bool => Some("true".into()),
        FieldKind::Score => Some("1".into()),
        FieldKind::OneOf(values) => values.first().map(|v| (*v).to_owned()),
        _ => None,
    }
}

fn comparison(cond: Cond, ctx: StoredValue<Ctx>) -> impl IntoView {
    let key = cond.key;
    let id = move |part: &str| format!("c{key}-{part}");
    let on_field = move |ev| {
        let new = event_target_value(&ev);
        let before = field_kind(&cond.field.get_untracked());
        let kind = field_kind(&new);
        cond.field.set(new);
        if kind != before {
            cond.value.set(first_choice(kind).unwrap_or_default());
            cond.high.set(String::new());
        }
        if !Op::parse(&cond.op.get_untracked()).is_some_and(|o| kind.ops().contains(&o)) {
            cond.op.set(default_op(kind).name().to_owned());
        }
    };
    let options = move |group: FieldGroup| {
        FIELDS
            .iter()
            .filter(move |s| s.group == group)
            .map(move |s| {
                let name = s.field.name();
                view! { <option value=name prop:selected=move || cond.field.get() == name>{s.label}</option> }
            })
            .collect_view()
    };
    view! {
        <div class="cond-control">
            <label for=id("field")>"Field"</label>
            <select id=id("field") on:change=on_field>
                <optgroup label="Profile (whole history)">{options(FieldGroup::Profile)}</optgroup>
                <optgroup label="Session (this visit)">{options(FieldGroup::Session)}</optgroup>
            </select>
        </div>
        <div class="cond-control">
            <label for=id("op")>"Operator"</label>
            <select id=id("op") on:change=move |ev| cond.op.set(event_target_value(&ev))>
                {move || field_kind(&cond.field.get()).ops().iter().map(|op| {
                    let name = op.name();
                    view! { <option value=name prop:selected=move || cond.op.get() == name>{op.label()}</option> }
                }).collect_view()}
            </select>
        </div>
        {move || {
            let kind = field_kind(&cond.field.get());
            let op = Op::parse(&cond.op.get());
            value_control(cond, kind, op, ctx)
        }}
    }
}

fn unit(kind: FieldKind, ctx: StoredValue<Ctx>) -> Option<String> {
    match kind {
        FieldKind::Money => Some(
            ctx.with_value(|c| c.currency.clone())
                .unwrap_or_else(|| "shop currency".into()),
        ),
        FieldKind::Ratio => Some("%".into()),
        FieldKind::Days => Some("days".into()),
        _ => None,
    }
}

fn value_control(cond: Cond, kind: FieldKind, op: Option<Op>, ctx: StoredValue<Ctx>) -> AnyView {
    let key = cond.key;
    let labelled = |base: &str| match unit(kind, ctx) {
        Some(u) => format!("{base} ({u})"),
        None => base.to_owned(),
    };
    match op {
        None | Some(Op::Exists | Op::Missing) => ().into_any(),
        Some(Op::Between) => view! {
            {single(cond.value, format!("c{key}-value"), labelled("From"), kind)}
            {single(cond.high, format!("c{key}-high"), labelled("To"), kind)}
        }
        .into_any(),
        Some(Op::In) => match kind {
            FieldKind::OneOf(values) => one_of_checks(cond, values).into_any(),
            _ => text_box(
                cond.value,
                format!("c{key}-value"),
                labelled("Values, comma-separated"),
                "text",
            )
            .into_any(),
        },
        Some(_) => {
            let base = match kind {
                FieldKind::Money => "Amount",
                FieldKind::Ratio => "Percent",
                FieldKind::Days => "Days",
                FieldKind::Score => "Score",
                FieldKind::Text => "Text",
                _ => "Value",
            };
            let label = match kind {
                FieldKind::Ratio | FieldKind::Days => base.to_owned(),
                _ => labelled(base),
            };
            single(cond.value, format!("c{key}-value"), label, kind)
        }
    }
}

fn text_box(
    signal: RwSignal<String>,
    id: String,
    label: String,
    mode: &'static str,
) -> impl IntoView {
    view! {
        <div class="cond-control">
            <label for=id.clone()>{label}</label>
            // Text rather than number inputs: a number input reports "" while a value is
            // half typed, and echoing that back would erase what the merchant is typing.
            <input type="text" id=id inputmode=mode autocomplete="off"
                prop:value=move || signal.get()
                on:input=move |ev| signal.set(event_target_value(&ev)) />
        </div>
    }
}

fn select_box(
    signal: RwSignal<String>,
    id: String,
    label: String,
    choices: Vec<(String, String)>,
) -> impl IntoView {
    if !choices
        .iter()
        .any(|(v, _)| signal.with_untracked(|s| s == v))
        && let Some((first, _)) = choices.first()
    {
        signal.set(first.clone());
    }
    view! {
        <div class="cond-control">
            <label for=id.clone()>{label}</label>
            <select id=id on:change=move |ev| signal.set(event_target_value(&ev))>
                {choices.into_iter().map(|(value, text)| {
                    let v = value.clone();
                    view! { <option value=value prop:selected=move || signal.with(|s| *s == v)>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

fn single(signal: RwSignal<String>, id: String, label: String, kind: FieldKind) -> AnyView {
    match kind {
        FieldKind::Bool => select_box(
            signal,
            id,
            label,
            vec![("true".into(), "Yes".into()), ("false".into(), "No".into())],
        )
        .into_any(),
        FieldKind::Score => {
            let choices = (1..=5).map(|n| (n.to_string(), n.to_string())).collect();
            select_box(signal, id, label, choices).into_any()
        }
        FieldKind::OneOf(values) => {
            let choices = values
                .iter()
                .map(|v| ((*v).to_owned(), humanize(v)))
                .collect();
            select_box(signal, id, label, choices).into_any()
        }
        FieldKind::Money | FieldKind::Ratio | FieldKind::Number => {
            text_box(signal, id, label, "decimal").into_any()
        }
        FieldKind::Days => text_box(signal, id, label, "numeric").into_any(),
        FieldKind::Text => text_box(signal, id, label, "text").into_any(),
    }
}

fn one_of_checks(cond: Cond, values: &'static [&'static str]) -> impl IntoView {
    let key = cond.key;
    let toggle = move |value: &'static str, on: bool| {
        cond.value.update(|current| {
            let chosen: Vec<&str> = values
                .iter()
                .copied()
                .filter(|v| {
                    if *v == value {
                        on
                    } else {
                        split_list(current).any(|c| c == *v)
                    }
                })
                .collect();
            *current = chosen.join(", ");
        })
    };
    view! {
        <fieldset class="cond-control cond-checks">
            <legend>"Values"</legend>
            {values.iter().copied().map(|v| {
                let id = format!("c{key}-in-{v}");
                view! {
                    <span class="check">
                        <input type="checkbox" id=id.clone() value=v
                            prop:checked=move || split_list(&cond.value.get()).any(|c| c == v)
                            on:change=move |ev| toggle(v, event_target_checked(&ev)) />
                        <label for=id>{humanize(v)}</label>
                    </span>
                }
            }).collect_view()}
        </fieldset>
    }
}

fn behaviour(cond: Cond) -> impl IntoView {
    let key = cond.key;
    let id = move |part: &str| format!("c{key}-{part}");
    let filters = move || EventKind::parse(&cond.event.get()).map_or(&[][..], EventKind::filters);
    let on_event = move |ev| {
        let event = event_target_value(&ev);
        let allowed = EventKind::parse(&event).map_or(&[][..], EventKind::filters);
        if !cond
            .filter
            .with_untracked(|f| allowed.contains(&f.as_str()))
        {
            cond.filter.set(String::new());
        }
        cond.event.set(event);
    };
    view! {
        <div class="cond-control">
            <label for=id("event")>"Event"</label>
            <select id=id("event") on:change=on_event>
                {EventKind::ALL.into_iter().map(|e| view! {
                    <option value=e.name() prop:selected=move || cond.event.get() == e.name()>{event_label(e)}</option>
                }).collect_view()}
            </select>
        </div>
        {move || (!filters().is_empty()).then(|| view! {
            <div class="cond-control">
                <label for=id("filter")>"About"</label>
                <select id=id("filter") on:change=move |ev| cond.filter.set(event_target_value(&ev))>
                    <option value="" prop:selected=move || cond.filter.get().is_empty()>{filter_label("")}</option>
                    {filters().iter().map(|f| view! {
                        <option value=*f prop:selected=move || cond.filter.get() == *f>{filter_label(f)}</option>
                    }).collect_view()}
                </select>
            </div>
        })}
        {move || {
            let filter = cond.filter.get();
            (!filter.is_empty()).then(|| {
                text_box(cond.filter_value, id("filter-value"), humanize(filter_label(&filter)), "text")
            })
        }}
        {text_box(cond.at_least, id("at-least"), "At least (times)".into(), "numeric")}
        {text_box(cond.within_days, id("within-days"), "Within (days)".into(), "numeric")}
    }
}

fn affinity(cond: Cond) -> impl IntoView {
    let key = cond.key;
    let id = move |part: &str| format!("c{key}-{part}");
    view! {
        <div class="cond-control">
            <label for=id("affinity")>"Leans towards a"</label>
            <select id=id("affinity") on:change=move |ev| cond.affinity.set(event_target_value(&ev))>
                {AffinityKind::ALL.into_iter().map(|k| view! {
                    <option value=k.name() prop:selected=move || cond.affinity.get() == k.name()>{affinity_label(k)}</option>
                }).collect_view()}
            </select>
        </div>
        {text_box(cond.affinity_value, id("affinity-value"), "Named".into(), "text")}
    }
}

fn segment(cond: Cond, ctx: StoredValue<Ctx>) -> impl IntoView {
    let key = cond.key;
    let id = format!("c{key}-segment");
    let mut choices = ctx.with_value(|c| c.segments.clone());
    let current = cond.segment.get_untracked();
    if !current.is_empty() && !choices.iter().any(|(i, _)| *i == current) {
        choices.push((current.clone(), format!("Unknown segment ({current})")));
    }
    let none = choices.is_empty();
    view! {
        <div class="cond-control">
            <label for=id.clone()>"Segment"</label>
            <select id=id on:change=move |ev| cond.segment.set(event_target_value(&ev))>
                <option value="" prop:selected=move || cond.segment.get().is_empty()>"Choose a segment"</option>
                {choices.into_iter().map(|(value, name)| {
                    let v = value.clone();
                    view! { <option value=value prop:selected=move || cond.segment.with(|s| *s == v)>{name}</option> }
                }).collect_view()}
            </select>
            {none.then(|| view! { <p class="help">"No other segments yet."</p> })}
        </div>
    }
}
