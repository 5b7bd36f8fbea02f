//! Smart offers: list, create, edit. Amounts are typed in the shop's currency (two decimals)
//! and sent in minor units.

use attune_api::offers::{Offer, OfferInput, OfferKind, OfferList, OfferStatus, Presentation};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{self, Failure};

fn to_minor(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok().map(|v| (v * 100.0).round() as i64)
}

fn from_minor(v: Option<i64>) -> String {
    v.map(|m| format!("{:.2}", m as f64 / 100.0))
        .unwrap_or_default()
}

fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    let s = s.trim();
    if s.is_empty() { None } else { s.parse().ok() }
}

fn describe(o: &Offer) -> String {
    match o.input.kind {
        OfferKind::Percentage => format!("{}% off", o.input.percentage.unwrap_or(0.0)),
        OfferKind::FixedAmount => format!("{} off", from_minor(o.input.amount_minor)),
        OfferKind::FreeShipping => "Free shipping".into(),
    }
}

#[component]
pub fn OfferList() -> impl IntoView {
    let offers: RwSignal<Option<Result<Vec<Offer>, Failure>>> = RwSignal::new(None);
    spawn_local(async move {
        offers.set(Some(
            api::get::<OfferList>("/api/admin/offers")
                .await
                .map(|l| l.offers),
        ));
    });
    view! {
        <section class="page">
            <header class="page-header">
                <h1>"Smart offers"</h1>
                <A href="/admin/offers/new" attr:class="button button--primary">"Create offer"</A>
            </header>
            <p class="help">"An offer is shown only to visitors whom it is expected to win over, never to those likely to buy anyway, and always keeps a random holdout so its value is measured."</p>
            {move || match offers.get() {
                None => view! { <p role="status">"Loading offers…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <div class="card empty"><p>"No offers yet."</p></div>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <table class="table" data-testid="offer-table">
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Incentive"</th>
                            <th scope="col">"Codes ready / handed out / redeemed"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|o| view! {
                                <tr data-offer-id=o.id>
                                    <td>{o.input.name.clone()}</td>
                                    <td>{o.input.status.as_str()}</td>
                                    <td>{describe(&o)}</td>
                                    <td>{format!("{} / {} / {}", o.codes.available, o.codes.assigned + o.codes.redeemed, o.codes.redeemed)}</td>
                                    <td class="actions">
                                        <A href=format!("/admin/offers/{}", o.id) attr:class="button">"Edit"</A>
                                        <A href=format!("/admin/offers/{}/results", o.id) attr:class="button">"Results"</A>
                                    </td>
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
pub fn OfferNew() -> impl IntoView {
    view! {
        <section class="page">
            <header class="page-header"><h1>"Create offer"</h1></header>
            <OfferForm initial=None />
        </section>
    }
}

#[component]
pub fn OfferEdit() -> impl IntoView {
    let params = use_params_map();
    let loaded: RwSignal<Option<Result<Offer, Failure>>> = RwSignal::new(None);
    Effect::new(move |_| {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        spawn_local(async move {
            loaded.set(Some(
                api::get::<Offer>(&format!("/api/admin/offers/{id}")).await,
            ))
        });
    });
    view! {
        <section class="page">
            <header class="page-header"><h1>"Edit offer"</h1></header>
            {move || match loaded.get() {
                None => view! { <p role="status">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="banner banner--critical" role="alert">{e.message}</p> }.into_any(),
                Some(Ok(o)) => view! { <OfferForm initial=Some(o) /> }.into_any(),
            }}
        </section>
    }
}

/// A text input bound to a signal, with its error shown and announced.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    errors: RwSignal<Option<Failure>>,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(default = "text")] kind: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type=kind step="any"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || errors.get().and_then(|f| f.field(id)).is_some().to_string()
                aria-describedby=format!("{id}-error") />
            {move || errors.get().and_then(|f| f.field(id)).map(|msg| view! {
                <p class="field-error" id=format!("{id}-error") data-field=id>{msg}</p>
            })}
            {help.map(|h| view! { <p class="help">{h}</p> })}
        </div>
    }
}

#[component]
fn OfferForm(initial: Option<Offer>) -> impl IntoView {
    let editing = initial.as_ref().map(|o| o.id);
    let i = initial.map(|o| o.input).unwrap_or_default();
    let name = RwSignal::new(i.name.clone());
    let status = RwSignal::new(i.status.as_str().to_owned());
    let kind = RwSignal::new(i.kind.as_str().to_owned());
    let percentage = RwSignal::new(i.percentage.map(|p| p.to_string()).unwrap_or_default());
    let amount = RwSignal::new(from_minor(i.amount_minor));
    let shipping = RwSignal::new(from_minor(i.shipping_cost_minor));
    let minimum = RwSignal::new(from_minor(i.minimum_subtotal_minor));
    let max_discount = RwSignal::new(from_minor(i.max_discount_minor));
    let margin_floor = RwSignal::new(
        i.margin_floor_percent
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    let cap = RwSignal::new(i.frequency_cap.map(|c| c.to_string()).unwrap_or_default());
    let budget = RwSignal::new(from_minor(i.daily_budget_minor));
    let holdout = RwSignal::new(
        i.holdout_percent
            .unwrap_or(attune_api::offers::DEFAULT_HOLDOUT_PERCENT)
            .to_string(),
    );
    let presentation = RwSignal::new(
        if i.presentation == Presentation::Dialog {
            "dialog"
        } else {
            "banner"
        }
        .to_owned(),
    );
    let headline = RwSignal::new(i.headline.clone());
    let body = RwSignal::new(i.body.clone());
    let errors: RwSignal<Option<Failure>> = RwSignal::new(None);
    let navigate = use_navigate();
    let keep = i.clone();

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = OfferKind::parse(&kind.get_untracked()).unwrap_or_default();
        let input = OfferInput {
            name: name.get_untracked(),
            status: match status.get_untracked().as_str() {
                "active" => OfferStatus::Active,
                "paused" => OfferStatus::Paused,
                _ => OfferStatus::Draft,
            },
            kind: k,
            percentage: (k == OfferKind::Percentage)
                .then(|| number(&percentage.get_untracked()))
                .flatten(),
            amount_minor: (k == OfferKind::FixedAmount)
                .then(|| to_minor(&amount.get_untracked()))
                .flatten(),
            shipping_cost_minor: (k == OfferKind::FreeShipping)
                .then(|| to_minor(&shipping.get_untracked()))
                .flatten(),
            minimum_subtotal_minor: to_minor(&minimum.get_untracked()),
            max_discount_minor: to_minor(&max_discount.get_untracked()),
            margin_floor_percent: number(&margin_floor.get_untracked()),
            frequency_cap: number(&cap.get_untracked()),
            daily_budget_minor: to_minor(&budget.get_untracked()),
            holdout_percent: number(&holdout.get_untracked()),
            presentation: if presentation.get_untracked() == "dialog" {
                Presentation::Dialog
            } else {
                Presentation::Banner
            },
            headline: headline.get_untracked(),
            body: body.get_untracked(),
            ..keep.clone()
        };
        errors.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = match editing {
                Some(id) => api::put::<_, Offer>(&format!("/api/admin/offers/{id}"), &input).await,
                None => api::post::<_, Offer>("/api/admin/offers", &input).await,
            };
            match result {
                Ok(_) => navigate("/admin/offers", Default::default()),
                Err(e) => errors.set(Some(e)),
            }
        });
    };

    view! {
        <form class="card form" on:submit=on_submit novalidate>
            {move || errors.get().map(|e| view! { <p class="banner banner--critical" role="alert">{e.message}</p> })}
            <Field id="name" label="Name" value=name errors help="Only you see this." />
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" on:change=move |ev| status.set(event_target_value(&ev))>
                    {["draft", "active", "paused"].into_iter().map(|s| view! {
                        <option value=s selected=move || status.get() == s>{s}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="kind">"Incentive"</label>
                <select id="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="percentage" selected=move || kind.get() == "percentage">"Percentage off"</option>
                    <option value="fixed_amount" selected=move || kind.get() == "fixed_amount">"Amount off"</option>
                    <option value="free_shipping" selected=move || kind.get() == "free_shipping">"Free shipping"</option>
                </select>
            </div>
            <Show when=move || kind.get() == "percentage">
                <Field id="percentage" label="Percent off (1–90)" value=percentage errors kind="number" />
            </Show>
            <Show when=move || kind.get() == "fixed_amount">
                <Field id="amount_minor" label="Amount off" value=amount errors kind="number" />
            </Show>
            <Show when=move || kind.get() == "free_shipping">
                <Field id="shipping_cost_minor" label="What shipping costs you on a typical order" value=shipping errors kind="number" />
            </Show>
            <Field id="minimum_subtotal_minor" label="Minimum subtotal (optional)" value=minimum errors kind="number" />
            <Field id="max_discount_minor" label="Maximum discount per order (optional; fixed amounts and free shipping)" value=max_discount errors kind="number" />
            <Field id="margin_floor_percent" label="Margin floor, % of subtotal (optional; needs product costs)" value=margin_floor errors kind="number" />
            <Field id="frequency_cap" label="Codes per visitor (optional)" value=cap errors kind="number" />
            <Field id="daily_budget_minor" label="Daily discount budget (optional)" value=budget errors kind="number" />
            <Field id="holdout_percent" label="Holdout, % of visitors (5–50)" value=holdout errors kind="number"
                help="These visitors never see the offer; they are what its value is measured against." />
            <div class="field">
                <label for="presentation">"Shown as"</label>
                <select id="presentation" on:change=move |ev| presentation.set(event_target_value(&ev))>
                    <option value="banner" selected=move || presentation.get() == "banner">"Banner at the bottom of the page"</option>
                    <option value="dialog" selected=move || presentation.get() == "dialog">"Dialog"</option>
                </select>
            </div>
            <Field id="headline" label="Headline shoppers read" value=headline errors />
            <Field id="body" label="Details (optional)" value=body errors />
            <div class="form-actions">
                <A href="/admin/offers" attr:class="button">"Cancel"</A>
                <button type="submit" class="button button--primary">"Save offer"</button>
            </div>
        </form>
    }
}
