//! Storefront events on the wire: what the theme's app embed and the web pixel send to
//! `POST /storefront/events` (directly or through the app proxy), in batches.
//!
//! Parsing is tolerant where it costs nothing (unknown members are ignored, so an older
//! server accepts a newer script) and strict where data would be wrong (every problem names
//! its field, e.g. `events[3].product`). A batch is accepted or refused as a whole, so a
//! client never has to work out which half of a batch landed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::FieldError;

/// Largest request body the endpoint reads, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Most events in one batch.
pub const MAX_EVENTS: usize = 50;
/// Longest text member (URLs, search queries, referrers).
pub const MAX_TEXT: usize = 512;
/// Events stamped further in the future than this (client clocks drift) are refused.
pub const MAX_FUTURE_SECS: i64 = 10 * 60;
/// Events older than this are refused: a queue that old on a device is not "behaviour now".
pub const MAX_AGE_SECS: i64 = 7 * 86_400;

/// What a shopper did. The names follow Shopify's standard customer events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    PageViewed,
    ProductViewed,
    CollectionViewed,
    SearchSubmitted,
    ProductAddedToCart,
    CheckoutStarted,
    CheckoutCompleted,
    /// A recommendation widget came into view (before its products load: holdout visitors
    /// send it too, which is what makes them comparable). Needs `widget`.
    RecommendationViewed,
    /// A product in a widget was clicked. Needs `widget` and `product`.
    RecommendationClicked,
    /// A smart offer was shown. Needs `offer`.
    OfferViewed,
    /// The shopper copied or applied the offer's code. Needs `offer`.
    OfferClicked,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::PageViewed,
        EventKind::ProductViewed,
        EventKind::CollectionViewed,
        EventKind::SearchSubmitted,
        EventKind::ProductAddedToCart,
        EventKind::CheckoutStarted,
        EventKind::CheckoutCompleted,
        EventKind::RecommendationViewed,
        EventKind::RecommendationClicked,
        EventKind::OfferViewed,
        EventKind::OfferClicked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PageViewed => "page_viewed",
            EventKind::ProductViewed => "product_viewed",
            EventKind::CollectionViewed => "collection_viewed",
            EventKind::SearchSubmitted => "search_submitted",
            EventKind::ProductAddedToCart => "product_added_to_cart",
            EventKind::CheckoutStarted => "checkout_started",
            EventKind::CheckoutCompleted => "checkout_completed",
            EventKind::RecommendationViewed => "recommendation_viewed",
            EventKind::RecommendationClicked => "recommendation_clicked",
            EventKind::OfferViewed => "offer_viewed",
            EventKind::OfferClicked => "offer_clicked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where the session came from, as the script saw it on landing. No IP address, no user agent
/// string: only the coarse device class the script derived.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// One validated event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The client's id for the event, used to drop a batch sent twice (beacon retries).
    pub id: String,
    pub kind: EventKind,
    /// Unix seconds.
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    /// Minor units of the shop's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_minor: Option<i64>,
    /// Cart value after the event, when the script knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_value_minor: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cart_items: Option<u32>,
    /// The widget (its public id) a recommendation event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub widget: Option<String>,
    /// The offer (its id) an offer event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<String>,
}

/// A validated batch.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    /// The shop's `*.myshopify.com` domain, for unsigned (direct) calls.
    pub shop: Option<String>,
    pub visitor: String,
    /// `false` when the shopper refused analytics: the server stores nothing.
    pub analytics_consent: bool,
    pub context: SessionContext,
    pub events: Vec<Event>,
}

/// The answer to a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsAccepted {
    /// Events now stored durably (0 when consent was refused or all were repeats).
    pub stored: u32,
    /// Events already stored by an earlier delivery of the same batch.
    pub duplicates: u32,
}

/// Storefront ids: short, made of the characters platform ids, handles and our ids use.
pub fn is_storefront_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

struct Reader<'a> {
    errors: &'a mut Vec<FieldError>,
}

impl Reader<'_> {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    fn id(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if is_storefront_id(s.trim()) => Some(s.trim().to_owned()),
            Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
            Some(_) => {
                self.fail(
                    &format!("{path}{key}"),
                    "must be an id of at most 64 letters, digits, '.', '-' or '_'",
                );
                None
            }
        }
    }

    fn text(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.chars().count() > MAX_TEXT {
                    self.fail(
                        &format!("{path}{key}"),
                        format!("must be at most {MAX_TEXT} characters"),
                    );
                    None
                } else if s.is_empty() {
                    None
                } else {
                    Some(s.to_owned())
                }
            }
            Some(_) => {
                self.fail(&format!("{path}{key}"), "must be text");
                None
            }
        }
    }

    fn int(
        &mut self,
        obj: &serde_json::Map<String, Value>,
        key: &str,
        path: &str,
        max: i64,
    ) -> Option<i64> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (0..=max).contains(&v) => Some(v),
                _ => {
                    self.fail(
                        &format!("{path}{key}"),
                        format!("must be a whole number from 0 to {max}"),
                    );
                    None
                }
            },
            Some(_) => {
                self.fail(&format!("{path}{key}"), "must be a number");
                None
            }
        }
    }
}

/// Money in minor units; a trillion of them is more than any cart.
const MAX_MINOR: i64 = 1_000_000_000_000;

/// Parses a batch from raw JSON. `now` (unix seconds) bounds the event times.
pub fn parse_batch(value: &Value, now: i64) -> Result<EventBatch, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(obj) = value.as_object() else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    let mut r = Reader {
        errors: &mut errors,
    };
    let shop = r.text(obj, "shop", "");
    if let Some(s) = &shop
        && !(s.ends_with(".myshopify.com") && is_storefront_id(s))
    {
        r.fail("shop", "must be the shop's *.myshopify.com domain");
    }
    let visitor = r.id(obj, "visitor", "");
    if visitor.is_none() && !matches!(obj.get("visitor"), Some(v) if !v.is_null()) {
        r.fail("visitor", "is required");
    }
    let analytics_consent = match obj.get("consent") {
        None | Some(Value::Null) => true,
        Some(Value::Object(c)) => match c.get("analytics") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                r.fail("consent.analytics", "must be true or false");
                false
            }
        },
        Some(_) => {
            r.fail("consent", "must be an object such as {\"analytics\": true}");
            false
        }
    };
    let mut context = SessionContext::default();
    match obj.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(c)) => {
            context.referrer = r.text(c, "referrer", "context.");
            context.landing_page = r.text(c, "landing_page", "context.");
            context.utm_source = r.text(c, "utm_source", "context.");
            context.utm_medium = r.text(c, "utm_medium", "context.");
            context.utm_campaign = r.text(c, "utm_campaign", "context.");
            context.device = r.text(c, "device", "context.");
            if let Some(d) = &context.device
                && !["mobile", "tablet", "desktop"].contains(&d.as_str())
            {
                r.fail("context.device", "must be mobile, tablet or desktop");
            }
        }
        Some(_) => r.fail("context", "must be an object"),
    }
    let mut events = Vec::new();
    match obj.get("events") {
        // A refusal carries no events: it only asks the server to forget this visitor.
        Some(Value::Array(list)) if list.is_empty() && analytics_consent => {
            r.fail("events", "must not be empty")
        }
        Some(Value::Array(list)) if list.len() > MAX_EVENTS => r.fail(
            "events",
            format!("must hold at most {MAX_EVENTS} events per batch"),
        ),
        Some(Value::Array(list)) => {
            for (i, e) in list.iter().enumerate() {
                if let Some(e) = parse_event(&mut r, e, i, now) {
                    events.push(e);
                }
            }
        }
        None | Some(Value::Null) if analytics_consent => r.fail("events", "is required"),
        None | Some(Value::Null) => {}
        Some(_) => r.fail("events", "must be a list"),
    }
    match visitor {
        Some(visitor) if errors.is_empty() => Ok(EventBatch {
            shop,
            visitor,
            analytics_consent,
            context,
            events,
        }),
        _ => Err(errors),
    }
}

fn parse_event(r: &mut Reader<'_>, value: &Value, i: usize, now: i64) -> Option<Event> {
    let path = format!("events[{i}].");
    let Some(obj) = value.as_object() else {
        r.fail(&format!("events[{i}]"), "must be an object");
        return None;
    };
    let kind = match obj.get("type") {
        Some(Value::String(s)) => match EventKind::parse(s) {
            Some(k) => Some(k),
            None => {
                r.fail(
                    &format!("{path}type"),
                    format!(
                        "unknown event type '{}'; expected one of {}",
                        s.chars().take(40).collect::<String>(),
                        EventKind::ALL.map(|k| k.as_str()).join(", ")
                    ),
                );
                None
            }
        },
        None | Some(Value::Null) => {
            r.fail(&format!("{path}type"), "is required");
            None
        }
        Some(_) => {
            r.fail(&format!("{path}type"), "must be text");
            None
        }
    };
    let id = r.id(obj, "id", &path);
    if id.is_none() && obj.get("id").is_none_or(Value::is_null) {
        r.fail(&format!("{path}id"), "is required");
    }
    // Milliseconds since the epoch, as `Date.now()` gives them.
    let at = match obj.get("at") {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(ms) => {
                let secs = ms.div_euclid(1000);
                if secs > now + MAX_FUTURE_SECS {
                    r.fail(&format!("{path}at"), "is in the future");
                    None
                } else if secs < now - MAX_AGE_SECS {
                    r.fail(&format!("{path}at"), "is more than 7 days old");
                    None
                } else {
                    Some(secs)
                }
            }
            None => {
                r.fail(
                    &format!("{path}at"),
                    "must be whole milliseconds since 1970",
                );
                None
            }
        },
        None | Some(Value::Null) => Some(now),
        Some(_) => {
            r.fail(&format!("{path}at"), "must be milliseconds since 1970");
            None
        }
    };
    let product = r.id(obj, "product", &path);
    let collection = r.id(obj, "collection", &path);
    let query = r.text(obj, "query", &path);
    let url = r.text(obj, "url", &path);
    let quantity = r.int(obj, "quantity", &path, 10_000).map(|q| q as u32);
    let value_minor = r.int(obj, "value_minor", &path, MAX_MINOR);
    let cart_value_minor = r.int(obj, "cart_value_minor", &path, MAX_MINOR);
    let cart_items = r.int(obj, "cart_items", &path, 10_000).map(|q| q as u32);
    let widget = r.id(obj, "widget", &path);
    let offer = r.id(obj, "offer", &path);
    let kind = kind?;
    let needs = |field: &str, present: bool, r: &mut Reader<'_>| {
        if !present {
            r.fail(
                &format!("{path}{field}"),
                format!("is required for {}", kind.as_str()),
            );
        }
    };
    match kind {
        EventKind::ProductViewed | EventKind::ProductAddedToCart => {
            needs("product", product.is_some(), r)
        }
        EventKind::CollectionViewed => needs("collection", collection.is_some(), r),
        EventKind::SearchSubmitted => needs("query", query.is_some(), r),
        EventKind::RecommendationViewed => needs("widget", widget.is_some(), r),
        EventKind::RecommendationClicked => {
            needs("widget", widget.is_some(), r);
            needs("product", product.is_some(), r);
        }
        EventKind::OfferViewed | EventKind::OfferClicked => needs("offer", offer.is_some(), r),
        _ => {}
    }
    Some(Event {
        id: id?,
        kind,
        at: at?,
        product,
        collection,
        query,
        url,
        quantity,
        value_minor,
        cart_value_minor,
        cart_items,
        widget,
        offer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn fields(v: Value) -> Vec<String> {
        parse_batch(&v, NOW)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_good_batch_parses_and_ignores_unknown_members() {
        let b = parse_batch(
            &json!({
                "visitor": "3f1c2a9e-0000-4000-8000-000000000001",
                "future_member": {"x": 1},
                "context": {"utm_source": "ig", "device": "mobile", "new": 1},
                "events": [
                    {"id": "e1", "type": "product_viewed", "product": "8123", "at": NOW * 1000, "extra": true},
                    {"id": "e2", "type": "product_added_to_cart", "product": 8123, "quantity": 2, "cart_value_minor": 4200},
                ]
            }),
            NOW,
        )
        .unwrap();
        assert!(b.analytics_consent);
        assert_eq!(b.events.len(), 2);
        assert_eq!(b.events[1].product.as_deref(), Some("8123"));
        assert_eq!(b.events[1].at, NOW);
        assert_eq!(b.context.device.as_deref(), Some("mobile"));
    }

    #[test]
    fn every_problem_names_its_field() {
        let f = fields(json!({
            "shop": "evil.example.com",
            "events": [
                {"id": "a", "type": "product_viewed"},
                {"id": "b", "type": "teleported"},
                {"type": "page_viewed", "at": (NOW + 3600) * 1000},
                "nope",
                {"id": "c", "type": "search_submitted", "quantity": -1, "query": "x".repeat(600)}
            ]
        }));
        for want in [
            "shop",
            "visitor",
            "events[0].product",
            "events[1].type",
            "events[2].id",
            "events[2].at",
            "events[3]",
            "events[4].quantity",
            "events[4].query",
        ] {
            assert!(f.contains(&want.to_owned()), "{want} missing from {f:?}");
        }
    }

    #[test]
    fn batch_limits() {
        let many: Vec<Value> = (0..=MAX_EVENTS)
            .map(|i| json!({"id": i.to_string(), "type": "page_viewed"}))
            .collect();
        assert_eq!(fields(json!({"visitor": "v1", "events": many})), ["events"]);
        assert_eq!(fields(json!({"visitor": "v1", "events": []})), ["events"]);
        assert_eq!(fields(json!([1, 2])), ["body"]);
    }

    #[test]
    fn refused_consent_is_read() {
        let b = parse_batch(
            &json!({"visitor": "v1", "consent": {"analytics": false},
                    "events": [{"id": "1", "type": "page_viewed"}]}),
            NOW,
        )
        .unwrap();
        assert!(!b.analytics_consent);
    }

    #[test]
    fn old_events_are_refused() {
        let f = fields(json!({"visitor": "v1",
            "events": [{"id": "1", "type": "page_viewed", "at": (NOW - 8 * 86_400) * 1000}]}));
        assert_eq!(f, ["events[0].at"]);
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON value: objects with the batch's and events' own member names mixed in, so the
    /// search reaches deep into the parser rather than stopping at "not an object".
    fn json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            Just("shop".to_owned()),
            Just("visitor".to_owned()),
            Just("consent".to_owned()),
            Just("analytics".to_owned()),
            Just("context".to_owned()),
            Just("device".to_owned()),
            Just("events".to_owned()),
            Just("id".to_owned()),
            Just("type".to_owned()),
            Just("at".to_owned()),
            Just("product".to_owned()),
            Just("quantity".to_owned()),
            Just("value_minor".to_owned()),
            Just("query".to_owned()),
            "[a-z_]{0,8}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            ".{0,20}".prop_map(Value::from),
            prop_oneof![
                Just("product_viewed"),
                Just("page_viewed"),
                Just("search_submitted"),
                Just("x.myshopify.com"),
                Just("mobile"),
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
                prop::collection::vec((key.clone(), inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics_and_accepts_only_what_it_can_store(v in json(), now in 0i64..4_000_000_000) {
            if let Ok(b) = parse_batch(&v, now) {
                prop_assert!(is_storefront_id(&b.visitor));
                prop_assert!(b.events.len() <= MAX_EVENTS);
                prop_assert!(!b.events.is_empty() || !b.analytics_consent);
                for e in &b.events {
                    prop_assert!(e.at <= now + MAX_FUTURE_SECS && e.at >= now - MAX_AGE_SECS);
                    prop_assert!(is_storefront_id(&e.id));
                }
            }
        }
    }
}
