//! The merchant's controls on a widget: pins, exclusions, price range, stock, diversity,
//! ranking boosts, and the segments it is shown to. Lists are typed as comma-separated text;
//! the server validates and names any bad field.

use attune_api::segments::{Segment, SegmentList};
use attune_api::widgets::WidgetRules;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

use crate::api::{self, Failure};

#[derive(Clone, Copy)]
pub struct RulesForm {
    in_stock_only: RwSignal<bool>,
    hide_purchased: RwSignal<bool>,
    pins: RwSignal<String>,
    exclude_products: RwSignal<String>,
    exclude_collections: RwSignal<String>,
    exclude_tags: RwSignal<String>,
    exclude_vendors: RwSignal<String>,
    min_price: RwSignal<String>,
    max_price: RwSignal<String>,
    max_per_vendor: RwSignal<String>,
    max_per_type: RwSignal<String>,
    /// Boosts as percentages: 0..=100 on screen, 0..=1 on the wire.
    boost_newness: RwSignal<String>,
    boost_inventory: RwSignal<String>,
    boost_margin: RwSignal<String>,
    /// Segment ids; empty shows the widget to everyone.
    segments: RwSignal<Vec<String>>,
}

fn join(v: &[String]) -> String {
    v.join(", ")
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A number field: empty is "no limit"; anything else is sent as typed so that the server can
/// name it when it is not a number.
fn number(s: &str) -> serde_json::Value {
    let t = s.trim();
    if t.is_empty() {
        serde_json::Value::Null
    } else {
        t.parse::<i64>()
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::from(t))
    }
}

fn percent_text(share: f32) -> String {
    let s = format!("{:.1}", f64::from(share) * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A boost: empty is none; anything else that is not a number is sent as typed for the
/// server to name.
fn share(s: &str) -> serde_json::Value {
    let t = s.trim();
    if t.is_empty() {
        return serde_json::Value::from(0.0);
    }
    t.parse::<f64>()
        .ok()
        .and_then(|p| serde_json::Number::from_f64(p / 100.0))
        .map_or_else(|| serde_json::Value::from(t), serde_json::Value::Number)
}

impl RulesForm {
    pub fn new(r: &WidgetRules) -> Self {
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        RulesForm {
            in_stock_only: RwSignal::new(r.in_stock_only),
            hide_purchased: RwSignal::new(r.hide_purchased),
            pins: RwSignal::new(
                r.pins
                    .iter()
                    .map(|p| format!("{}@{}", p.product_id, p.position))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            exclude_products: RwSignal::new(join(&r.exclude_products)),
            exclude_collections: RwSignal::new(join(&r.exclude_collections)),
            exclude_tags: RwSignal::new(join(&r.exclude_tags)),
            exclude_vendors: RwSignal::new(join(&r.exclude_vendors)),
            min_price: RwSignal::new(opt(r.min_price_minor)),
            max_price: RwSignal::new(opt(r.max_price_minor)),
            max_per_vendor: RwSignal::new(opt(r.max_per_vendor.map(i64::from))),
            max_per_type: RwSignal::new(opt(r.max_per_type.map(i64::from))),
            boost_newness: RwSignal::new(percent_text(r.boost_newness)),
            boost_inventory: RwSignal::new(percent_text(r.boost_inventory)),
            boost_margin: RwSignal::new(percent_text(r.boost_margin)),
            segments: RwSignal::new(r.segments.clone()),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        let pins: Vec<serde_json::Value> = list(&self.pins.get_untracked())
            .into_iter()
            .map(|p| {
                let (id, pos) = p.split_once('@').unwrap_or((p.as_str(), ""));
                serde_json::json!({ "product_id": id.trim(), "position": number(pos) })
            })
            .collect();
        serde_json::json!({
            "in_stock_only": self.in_stock_only.get_untracked(),
            "hide_purchased": self.hide_purchased.get_untracked(),
            "pins": pins,
            "exclude_products": list(&self.exclude_products.get_untracked()),
            "exclude_collections": list(&self.exclude_collections.get_untracked()),
            "exclude_tags": list(&self.exclude_tags.get_untracked()),
            "exclude_vendors": list(&self.exclude_vendors.get_untracked()),
            "min_price_minor": number(&self.min_price.get_untracked()),
            "max_price_minor": number(&self.max_price.get_untracked()),
            "max_per_vendor": number(&self.max_per_vendor.get_untracked()),
            "max_per_type": number(&self.max_per_type.get_untracked()),
            "boost_newness": share(&self.boost_newness.get_untracked()),
            "boost_inventory": share(&self.boost_inventory.get_untracked()),
            "boost_margin": share(&self.boost_margin.get_untracked()),
            "segments": self.segments.get_untracked(),
        })
    }
}

#[component]
fn TextRule(
    label: &'static str,
    id: &'static str,
    help: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type="text" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
            <p class="help">{help}</p>
        </div>
    }
}

#[component]
pub fn RulesFields(form: RulesForm, errors: RwSignal<Option<Failure>>) -> impl IntoView {
    view! {
        <Audience form errors />
        <fieldset class="rules">
            <legend>"Merchandising rules"</legend>
            {move || {
                let problems: Vec<_> = errors.get().map(|f| f.fields.into_iter().filter(|e| e.field.starts_with("rules") && !e.field.starts_with("rules.segments")).collect()).unwrap_or_default();
                (!problems.is_empty()).then(|| view! {
                    <ul class="field-error" data-field="rules">
                        {problems.into_iter().map(|e| view! { <li>{format!("{}: {}", e.field, e.message)}</li> }).collect_view()}
                    </ul>
                })
            }}
            <div class="field field--inline">
                <input id="in_stock_only" type="checkbox" prop:checked=move || form.in_stock_only.get() on:change=move |ev| form.in_stock_only.set(event_target_checked(&ev)) />
                <label for="in_stock_only">"Only products in stock"</label>
            </div>
            <div class="field field--inline">
                <input id="hide_purchased" type="checkbox" prop:checked=move || form.hide_purchased.get() on:change=move |ev| form.hide_purchased.set(event_target_checked(&ev)) />
                <label for="hide_purchased">"Hide what the shopper already bought"</label>
            </div>
            <TextRule label="Pinned products" id="pins" help="Product id @ position, e.g. 7642486767779@1, 123@3" value=form.pins />
            <TextRule label="Never show these products" id="exclude_products" help="Product ids, comma-separated" value=form.exclude_products />
            <TextRule label="Never show these collections" id="exclude_collections" help="Collection handles or ids" value=form.exclude_collections />
            <TextRule label="Never show products tagged" id="exclude_tags" help="Tags, comma-separated" value=form.exclude_tags />
            <TextRule label="Never show these vendors" id="exclude_vendors" help="Vendors, comma-separated" value=form.exclude_vendors />
            <TextRule label="Lowest price (in cents)" id="min_price" help="Empty for no limit" value=form.min_price />
            <TextRule label="Highest price (in cents)" id="max_price" help="Empty for no limit" value=form.max_price />
            <TextRule label="At most this many per vendor" id="max_per_vendor" help="Empty for no limit" value=form.max_per_vendor />
            <TextRule label="At most this many per product type" id="max_per_type" help="Empty for no limit" value=form.max_per_type />
            <TextRule label="Boost newer products (0 to 100%)" id="boost_newness" help="How far newer products move up; empty or 0 for none" value=form.boost_newness />
            <TextRule label="Boost well-stocked products (0 to 100%)" id="boost_inventory" help="How far products with more stock move up; empty or 0 for none" value=form.boost_inventory />
            <TextRule label="Boost higher-margin products (0 to 100%)" id="boost_margin" help="How far products with a higher margin move up; only where the product's cost is known" value=form.boost_margin />
        </fieldset>
    }
}

/// Who sees the widget: everyone, or shoppers in at least one of the checked segments.
#[component]
fn Audience(form: RulesForm, errors: RwSignal<Option<Failure>>) -> impl IntoView {
    let list: RwSignal<Option<Result<Vec<Segment>, Failure>>> = RwSignal::new(None);
    spawn_local(async move {
        let result = api::get::<SegmentList>("/api/admin/segments")
            .await
            .map(|l| l.segments);
        list.try_set(Some(result));
    });
    let toggle = move |id: String, on: bool| {
        form.segments.update(|chosen| {
            chosen.retain(|s| *s != id);
            if on {
                chosen.push(id);
            }
        })
    };
    let check = move |id: String, label: String, help: String| {
        let dom_id = format!("segment-{id}");
        let (a, b) = (id.clone(), id.clone());
        view! {
            <div class="field field--inline">
                <input type="checkbox" id=dom_id.clone() name="segments" value=id
                    prop:checked=move || form.segments.with(|s| s.contains(&a))
                    on:change=move |ev| toggle(b.clone(), event_target_checked(&ev)) />
                <label for=dom_id>{label}</label>
                <span class="help">{help}</span>
            </div>
        }
    };
    view! {
        <fieldset class="rules" data-testid="widget-segments">
            <legend>"Audience"</legend>
            <p class="help">
                {move || if form.segments.with(Vec::is_empty) {
                    "Everyone sees this widget. Check segments to show it only to shoppers in at least one of them."
                } else {
                    "Only shoppers in at least one of the checked segments see this widget; others get nothing."
                }}
            </p>
            {move || {
                let problems: Vec<_> = errors.get().map(|f| f.fields.into_iter().filter(|e| e.field.starts_with("rules.segments")).collect()).unwrap_or_default();
                (!problems.is_empty()).then(|| view! {
                    <ul class="field-error" data-field="rules.segments">
                        {problems.into_iter().map(|e| view! { <li>{format!("{}: {}", e.field, e.message)}</li> }).collect_view()}
                    </ul>
                })
            }}
            {move || match list.get() {
                None => view! { <p role="status">"Loading segments…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(segments)) => {
                    // Ids the widget names that the shop no longer has stay visible, so
                    // they can be unchecked rather than silently kept.
                    let unknown: Vec<String> = form.segments.with_untracked(|chosen| {
                        chosen.iter().filter(|id| !segments.iter().any(|s| s.id == **id)).cloned().collect()
                    });
                    let empty = segments.is_empty() && unknown.is_empty();
                    view! {
                        {segments.into_iter().map(|s| check(s.id, s.name, format!("{} shoppers", s.size))).collect_view()}
                        {unknown.into_iter().map(|id| check(id.clone(), format!("Unknown segment {id}"), String::new())).collect_view()}
                        {empty.then(|| view! { <p>"No segments yet."</p> })}
                        <p><A href="/admin/segments">"Manage segments"</A></p>
                    }.into_any()
                }
            }}
        </fieldset>
    }
}
