//! The merchant's controls on a widget: pins, exclusions, price range, stock, diversity.
//! Lists are typed as comma-separated text; the server validates and names any bad field.

use attune_api::widgets::WidgetRules;
use leptos::prelude::*;

use crate::api::Failure;

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
        <fieldset class="rules">
            <legend>"Merchandising rules"</legend>
            {move || {
                let problems: Vec<_> = errors.get().map(|f| f.fields.into_iter().filter(|e| e.field.starts_with("rules")).collect()).unwrap_or_default();
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
        </fieldset>
    }
}
