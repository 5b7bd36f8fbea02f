//! The facts about one visitor that rules read, filled by the server.

use super::ast::{AffinityKind, EventKind, Field};
use super::vocab::{Vocabulary, fold};

/// One storefront event as behaviour conditions see it. Ids come from the shop's
/// [`Vocabulary`]; `None` (or a missing id in a list) means "not mentioned by any rule".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// Unix seconds.
    pub at: i64,
    pub product: Option<u32>,
    pub product_type: Option<u32>,
    pub vendor: Option<u32>,
    collections: Span,
    tags: Span,
}

/// A run of ids in [`Visitor::ids`]: events keep their lists there so that 500 events cost
/// two allocations rather than a thousand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Span {
    start: u32,
    len: u32,
}

/// What the server hands [`Visitor::push_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFacts<'a> {
    pub kind: EventKind,
    pub at: i64,
    pub product: Option<u32>,
    pub collections: &'a [u32],
    pub product_type: Option<u32>,
    pub vendor: Option<u32>,
    pub tags: &'a [u32],
}

impl<'a> EventFacts<'a> {
    pub fn new(kind: EventKind, at: i64) -> Self {
        EventFacts {
            kind,
            at,
            product: None,
            collections: &[],
            product_type: None,
            vendor: None,
            tags: &[],
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Text {
    field: Field,
    /// `None` when no rule mentions the value, so no `eq`/`in` can match it.
    id: Option<u32>,
    folded: String,
}

/// A visitor's profile and session facts, top affinities and recent events.
///
/// Absent facts stay absent: a comparison on them is false (only `missing` is true), which is
/// why numbers are kept as NaN until set rather than as zero.
#[derive(Debug, Clone)]
pub struct Visitor {
    numbers: [f64; Field::COUNT],
    texts: Vec<Text>,
    affinities: [Vec<u32>; AffinityKind::COUNT],
    events: Vec<Event>,
    ids: Vec<u32>,
}

impl Default for Visitor {
    fn default() -> Self {
        Visitor {
            numbers: [f64::NAN; Field::COUNT],
            texts: Vec::new(),
            affinities: Default::default(),
            events: Vec::new(),
            ids: Vec::new(),
        }
    }
}

impl Visitor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets every fact but keeps the allocations, for loops over many visitors.
    pub fn clear(&mut self) {
        self.numbers = [f64::NAN; Field::COUNT];
        self.texts.clear();
        self.affinities.iter_mut().for_each(Vec::clear);
        self.events.clear();
        self.ids.clear();
    }

    /// Sets a number, days, score or ratio field; NaN means absent.
    pub fn set_number(&mut self, field: Field, value: f64) {
        self.numbers[field.index()] = value;
    }

    /// Sets a money field from integer minor units (exact up to 2^53).
    pub fn set_money(&mut self, field: Field, minor: i64) {
        self.numbers[field.index()] = minor as f64;
    }

    pub fn set_bool(&mut self, field: Field, value: bool) {
        self.numbers[field.index()] = if value { 1.0 } else { 0.0 };
    }

    /// Sets a text or one-of field; case and surrounding spaces do not matter.
    pub fn set_text(&mut self, field: Field, value: &str, vocab: &Vocabulary) {
        let folded = fold(value);
        let id = vocab.get(&folded);
        match self.texts.iter_mut().find(|t| t.field == field) {
            Some(t) => {
                t.id = id;
                t.folded.clear();
                t.folded.push_str(&folded);
            }
            None => self.texts.push(Text {
                field,
                id,
                folded: folded.into_owned(),
            }),
        }
    }

    /// The visitor's top affinities of one kind, as vocabulary ids (unknown names left out).
    pub fn set_affinities(&mut self, kind: AffinityKind, ids: impl IntoIterator<Item = u32>) {
        let list = &mut self.affinities[kind.index()];
        list.clear();
        list.extend(ids);
    }

    pub fn push_event(&mut self, e: EventFacts<'_>) {
        let collections = self.push_ids(e.collections);
        let tags = self.push_ids(e.tags);
        self.events.push(Event {
            kind: e.kind,
            at: e.at,
            product: e.product,
            product_type: e.product_type,
            vendor: e.vendor,
            collections,
            tags,
        });
    }

    fn push_ids(&mut self, ids: &[u32]) -> Span {
        let start = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.extend_from_slice(ids);
        Span {
            start,
            len: u32::try_from(ids.len()).unwrap_or(0),
        }
    }

    pub fn number(&self, field: Field) -> Option<f64> {
        let v = self.numbers[field.index()];
        (!v.is_nan()).then_some(v)
    }

    pub(super) fn text(&self, field: Field) -> Option<(Option<u32>, &str)> {
        self.texts
            .iter()
            .find(|t| t.field == field)
            .map(|t| (t.id, t.folded.as_str()))
    }

    pub(super) fn has_affinity(&self, kind: AffinityKind, id: u32) -> bool {
        self.affinities[kind.index()].contains(&id)
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn collections(&self, e: &Event) -> &[u32] {
        self.span(e.collections)
    }

    pub fn tags(&self, e: &Event) -> &[u32] {
        self.span(e.tags)
    }

    fn span(&self, s: Span) -> &[u32] {
        let start = s.start as usize;
        self.ids
            .get(start..start.saturating_add(s.len as usize))
            .unwrap_or(&[])
    }
}
