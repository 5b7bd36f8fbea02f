//! Interned, case-folded strings, so evaluation compares integers rather than text.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// One shop's strings (collection handles, types, vendors, tags, product ids, text values),
/// each folded (trimmed, lower-cased) and given a small integer id.
///
/// Rules intern their constants when compiled; the server then looks up a visitor's facts with
/// [`Vocabulary::get`]. A fact that is not in the vocabulary cannot equal any rule constant, so
/// it can be dropped, which keeps visitors small. Fill visitors after compiling: a string a later
/// compile interns is unknown to visitors filled before it.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    ids: HashMap<Box<str>, u32, BuildHasherDefault<Fnv>>,
}

/// FNV-1a: several times faster than the default hasher on the short strings looked up for
/// every event of every request. Flooding is no concern: only rule constants are inserted, and
/// they are few and the merchant's own; visitor strings are only looked up.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Vocabulary {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        let key = fold(s);
        if let Some(&id) = self.ids.get(key.as_ref()) {
            return id;
        }
        // Four billion distinct strings in one shop's rules cannot happen (rules are capped at
        // 64 conditions); saturating keeps this total anyway.
        let id = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.insert(key.into_owned().into_boxed_str(), id);
        id
    }

    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(fold(s).as_ref()).copied()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// The case-insensitive form every comparison of text uses. Borrows in the common case of
/// already-lower-case input, which is what the storefront mostly sends.
pub(super) fn fold(s: &str) -> Cow<'_, str> {
    let t = s.trim();
    let changes = |c: char| {
        let mut lower = c.to_lowercase();
        lower.next() != Some(c) || lower.next().is_some()
    };
    let needs_folding = if t.is_ascii() {
        t.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        t.chars().any(changes)
    };
    if needs_folding {
        Cow::Owned(t.to_lowercase())
    } else {
        Cow::Borrowed(t)
    }
}
