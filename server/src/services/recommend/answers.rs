//! Finished storefront answers that are the same for every shopper who sends the same request
//! (no customer, no segment audience, no browsing history read), kept while the model and the
//! widget that produced them are current. A product page under load then costs a map lookup;
//! the first request after a model rebuild or a merchant's edit computes the answer afresh.

use std::collections::HashMap;
use std::sync::RwLock;

use actix_web::web::Bytes;

use crate::db::ShopId;

/// Requests remembered per widget before its entries start over (a product page per product,
/// times the formats and cart variants that are actually asked for).
const PER_WIDGET: usize = 8_192;
/// Widgets remembered before the whole cache starts over.
const WIDGETS: usize = 4_096;

/// What an answer was computed from; a different version makes every entry of the widget stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The model build ([`super::ShopModel::generation`]).
    pub model: u64,
    /// The widget row's id and last change (microseconds), and whether it is active.
    pub widget: (i64, i64),
    /// The hour the answer belongs to: boosts for newness read the clock.
    pub hour: i64,
}

/// One cached answer: its content type and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub content_type: &'static str,
    pub body: Bytes,
}

struct Slot {
    version: Version,
    answers: HashMap<String, Answer>,
}

#[derive(Default)]
pub struct AnswerCache {
    slots: RwLock<HashMap<(ShopId, String), Slot>>,
}

impl AnswerCache {
    /// The answer to `request` for this widget, if one was computed at `version`.
    pub fn get(
        &self,
        shop: ShopId,
        widget: &str,
        version: Version,
        request: &str,
    ) -> Option<Answer> {
        let slots = self.slots.read().unwrap_or_else(|p| p.into_inner());
        let slot = slots.get(&(shop, widget.to_owned()))?;
        if slot.version != version {
            return None;
        }
        slot.answers.get(request).cloned()
    }

    pub fn put(&self, shop: ShopId, widget: &str, version: Version, request: String, a: Answer) {
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= WIDGETS && !slots.contains_key(&(shop, widget.to_owned())) {
            slots.clear();
        }
        let slot = slots
            .entry((shop, widget.to_owned()))
            .or_insert_with(|| Slot {
                version,
                answers: HashMap::new(),
            });
        if slot.version != version {
            // Answers computed from an older model never come back; a slower request that
            // started before a rebuild must not replace newer ones either.
            if newer(version, slot.version) {
                slot.version = version;
                slot.answers.clear();
            } else {
                return;
            }
        }
        if slot.answers.len() >= PER_WIDGET {
            slot.answers.clear();
        }
        slot.answers.insert(request, a);
    }
}

fn newer(a: Version, b: Version) -> bool {
    (a.model, a.widget.1, a.hour) >= (b.model, b.widget.1, b.hour)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(model: u64, hour: i64) -> Version {
        Version {
            model,
            widget: (1, 10),
            hour,
        }
    }

    fn a(s: &'static str) -> Answer {
        Answer {
            content_type: "application/json",
            body: Bytes::from_static(s.as_bytes()),
        }
    }

    #[test]
    fn answers_belong_to_their_version() {
        let c = AnswerCache::default();
        let shop = ShopId::from_row(1);
        c.put(shop, "w", v(1, 5), "product=1".into(), a("one"));
        assert_eq!(c.get(shop, "w", v(1, 5), "product=1").unwrap().body, "one");
        assert!(c.get(shop, "w", v(1, 5), "product=2").is_none());
        assert!(
            c.get(shop, "w", v(2, 5), "product=1").is_none(),
            "new model"
        );
        assert!(c.get(shop, "w", v(1, 6), "product=1").is_none(), "new hour");
        assert!(
            c.get(ShopId::from_row(2), "w", v(1, 5), "product=1")
                .is_none()
        );
        // A newer model's answer replaces the old ones; an older one cannot come back.
        c.put(shop, "w", v(2, 5), "product=1".into(), a("two"));
        c.put(shop, "w", v(1, 5), "product=3".into(), a("stale"));
        assert!(c.get(shop, "w", v(1, 5), "product=3").is_none());
        assert_eq!(c.get(shop, "w", v(2, 5), "product=1").unwrap().body, "two");
    }
}
