//! Where the merchant's pins land among the filled list.

use super::{Chosen, Origin, Pin};

/// A pin with the 0-based slot it claims when the list is full.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slotted {
    pub slot: usize,
    pub pin: Pin,
}

/// Sellable pins, deduplicated by item (the earliest position wins), split into those within
/// the first `k` slots and those beyond. Pins sharing a position take consecutive slots.
pub(super) fn resolve(
    pins: &[Pin],
    k: usize,
    sellable: impl Fn(u32) -> bool,
) -> (Vec<Slotted>, Vec<Pin>) {
    let mut sorted: Vec<Pin> = pins.iter().copied().filter(|p| sellable(p.item)).collect();
    sorted.sort_by_key(|p| p.position);
    let mut seen: Vec<u32> = Vec::with_capacity(sorted.len());
    sorted.retain(|p| {
        let fresh = !seen.contains(&p.item);
        seen.push(p.item);
        fresh
    });
    let (mut placed, mut late) = (Vec::new(), Vec::new());
    let mut next_free = 0usize;
    for pin in sorted {
        let slot = (pin.position as usize).saturating_sub(1).max(next_free);
        if slot < k {
            placed.push(Slotted { slot, pin });
            next_free = slot + 1;
        } else {
            late.push(pin);
        }
    }
    (placed, late)
}

/// Interleaves pins and filled items, at most `k`. A pin takes its slot once the items before
/// it are out; when the items run out first, it follows the last of them instead. Pins beyond
/// `k` count as items after the fill, so they keep nearer pins in place on a short list.
pub(super) fn merge(
    placed: Vec<Slotted>,
    late: Vec<Pin>,
    fill: Vec<Chosen>,
    k: usize,
) -> Vec<Chosen> {
    let pinned = |p: Pin| Chosen {
        item: p.item,
        score: 0.0,
        origin: Origin::Pinned {
            position: p.position,
        },
    };
    let mut out: Vec<Chosen> = Vec::with_capacity(k);
    let mut placed = placed.into_iter().peekable();
    let mut items = fill.into_iter().chain(late.into_iter().map(pinned));
    while out.len() < k {
        let next = if placed.peek().is_some_and(|s| s.slot <= out.len()) {
            placed.next().map(|s| pinned(s.pin))
        } else if let Some(c) = items.find(|c| !out.iter().any(|o| o.item == c.item)) {
            Some(c)
        } else {
            placed.next().map(|s| pinned(s.pin))
        };
        match next {
            Some(c) => out.push(c),
            None => break,
        }
    }
    out
}
