//! The live count: the draft rule is sent to the preview endpoint a moment after the
//! merchant stops editing, and the answer shows how many shoppers match, with a sample.

use std::time::Duration;

use attune_api::FieldError;
use attune_api::segments::{SegmentInput, SegmentPreview};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::draft::Built;
use crate::api;

/// Quiet time after an edit before the count is asked for.
const DEBOUNCE: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    Waiting,
    Ready(SegmentPreview),
    /// The rule has problems, shown next to their rows.
    Invalid,
    Failed(String),
}

/// Server problems with the rule: those tied to a row (by key), and the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleErrors {
    pub rows: Vec<(u32, String)>,
    pub general: Vec<String>,
}

impl RuleErrors {
    /// Places each `rules…` problem under the row its path names, in `built` as it was sent:
    /// rows keep their keys while indexes shift, so an answer about an older draft still
    /// lands on the right row.
    pub fn place(built: &Built, fields: &[FieldError]) -> Self {
        let mut out = RuleErrors::default();
        for f in fields.iter().filter(|f| f.field.starts_with("rules")) {
            match built.row_of(&f.field) {
                Some((key, "")) => out.rows.push((key, capitalized(&f.message))),
                Some((key, what)) => out.rows.push((key, format!("{what} {}", f.message))),
                None => out.general.push(capitalized(&f.message)),
            }
        }
        out
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Asks for the count whenever `built` changes, at most once per quiet [`DEBOUNCE`]; only
/// the answer to the newest draft is kept.
pub fn follow(
    built: Memo<Built>,
    preview: RwSignal<Preview>,
    pending: RwSignal<bool>,
    errors: RwSignal<RuleErrors>,
) {
    let generation = StoredValue::new(0u64);
    Effect::new(move |_| {
        let b = built.get();
        let Some(current) = generation.try_update_value(|g| {
            *g += 1;
            *g
        }) else {
            return;
        };
        if !b.local.is_empty() {
            pending.set(false);
            preview.set(Preview::Invalid);
            errors.set(RuleErrors::default());
            return;
        }
        pending.set(true);
        let newest = move || generation.try_get_value() == Some(current);
        set_timeout(
            move || {
                if !newest() {
                    return;
                }
                spawn_local(async move {
                    let input = SegmentInput::new("", b.rules.clone());
                    let result =
                        api::post::<_, SegmentPreview>("/api/admin/segments/preview", &input).await;
                    if !newest() {
                        return;
                    }
                    pending.try_set(false);
                    match result {
                        Ok(p) => {
                            errors.try_set(RuleErrors::default());
                            preview.try_set(Preview::Ready(p));
                        }
                        Err(f) if !f.fields.is_empty() => {
                            errors.try_set(RuleErrors::place(&b, &f.fields));
                            preview.try_set(Preview::Invalid);
                        }
                        Err(f) => {
                            preview.try_set(Preview::Failed(f.message));
                        }
                    }
                });
            },
            DEBOUNCE,
        );
    });
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

#[component]
pub fn LivePanel(preview: RwSignal<Preview>, pending: RwSignal<bool>) -> impl IntoView {
    let count = move || match preview.get() {
        Preview::Ready(p) => Some(p.count.to_string()),
        _ => None,
    };
    view! {
        <aside class="card segment-live" aria-labelledby="live-heading">
            <h2 id="live-heading">"Who matches"</h2>
            <p class="segment-count" data-testid="segment-count" role="status" aria-live="polite" aria-atomic="true"
                aria-busy=move || pending.get().to_string() data-count=count>
                {move || match preview.get() {
                    Preview::Waiting => view! { "Counting…" }.into_any(),
                    Preview::Ready(p) => view! {
                        <strong class="segment-count__n">{grouped(p.count)}</strong>
                        <span>{format!(" of {} shoppers", grouped(p.total))}</span>
                        <span class="segment-count__share">{format!(" ({})", percent(p.count, p.total))}</span>
                    }.into_any(),
                    Preview::Invalid => view! { "Fix the conditions marked in the form to see who matches." }.into_any(),
                    Preview::Failed(m) => view! { <span class="field-error">{format!("Could not count: {m}")}</span> }.into_any(),
                }}
            </p>
            {move || pending.get().then(|| view! { <p class="help">"Updating…"</p> })}
            {move || match preview.get() {
                Preview::Ready(p) if !p.sample.is_empty() => view! {
                    <table class="table sample-table" data-testid="segment-sample">
                        <caption>{format!("A sample of {}", p.sample.len())}</caption>
                        <thead><tr>
                            <th scope="col">"Shopper"</th>
                            <th scope="col" class="num">"Orders"</th><th scope="col" class="num">"Spent"</th><th scope="col">"Last seen"</th>
                        </tr></thead>
                        <tbody>
                            {p.sample.into_iter().map(|m| {
                                // The date is enough at this size; the time is in the tooltip.
                                let seen: String = m.last_seen.chars().take(10).collect();
                                view! {
                                    <tr>
                                        <td>
                                            <code>{m.visitor}</code>
                                            {(!m.is_customer).then(|| view! { <span class="help">" (not a customer)"</span> })}
                                        </td>
                                        <td class="num">{m.orders_count}</td>
                                        <td class="num">{m.total_spent.map(|s| s.formatted).unwrap_or_else(|| "—".into())}</td>
                                        <td class="nowrap" title=m.last_seen>{if seen.is_empty() { "—".to_owned() } else { seen }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Preview::Ready(_) => view! { <p class="help">"Nobody matches yet."</p> }.into_any(),
                _ => ().into_any(),
            }}
        </aside>
    }
}
