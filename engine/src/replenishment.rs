//! Buy again: how long customers usually wait before buying the same product again, and
//! which of a customer's products are due.

use std::collections::HashMap;

/// Median days between consecutive purchases of the same item by the same customer, per
/// item; `None` where fewer than `min_repeats` such gaps were seen (not a replenishable item).
pub fn intervals(
    purchases: &[(u32, u32, i64)],
    n_items: usize,
    min_repeats: usize,
) -> Vec<Option<f32>> {
    let mut by_pair: HashMap<(u32, u32), Vec<i64>> = HashMap::new();
    for &(customer, item, ts) in purchases {
        if (item as usize) < n_items {
            by_pair.entry((customer, item)).or_default().push(ts);
        }
    }
    let mut gaps: Vec<Vec<f32>> = vec![Vec::new(); n_items];
    for ((_, item), mut times) in by_pair {
        times.sort_unstable();
        times.dedup();
        for w in times.windows(2) {
            gaps[item as usize].push((w[1] - w[0]) as f32 / 86_400.0);
        }
    }
    gaps.into_iter()
        .map(|mut g| {
            if g.len() < min_repeats.max(1) {
                return None;
            }
            g.sort_by(f32::total_cmp);
            Some(g[g.len() / 2].max(1.0))
        })
        .collect()
}

/// The customer's replenishable items, most overdue first: `(item, elapsed / interval)`.
/// `last_bought` holds each item's last purchase time; only items at least `min_ratio` of
/// their interval along are returned.
pub fn due(
    last_bought: &[(u32, i64)],
    intervals: &[Option<f32>],
    now: i64,
    min_ratio: f32,
) -> Vec<(u32, f32)> {
    let mut out: Vec<(u32, f32)> = last_bought
        .iter()
        .filter_map(|&(item, last)| {
            let interval = intervals.get(item as usize).copied().flatten()?;
            let ratio = ((now - last).max(0) as f32 / 86_400.0) / interval;
            (ratio >= min_ratio).then_some((item, ratio))
        })
        .collect();
    // Closest to due first among the overdue: a product far past its interval was likely
    // bought elsewhere or abandoned, one just due is the best reminder.
    out.sort_by(|a, b| {
        (a.1 - 1.0)
            .abs()
            .total_cmp(&(b.1 - 1.0).abs())
            .then(a.0.cmp(&b.0))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn learns_intervals_and_finds_what_is_due() {
        // Item 0 is rebought every ~30 days by two customers; item 1 never rebought.
        let p = [
            (1, 0, 0),
            (1, 0, 30 * DAY),
            (1, 0, 61 * DAY),
            (2, 0, 10 * DAY),
            (2, 0, 39 * DAY),
            (1, 1, 5 * DAY),
        ];
        let iv = intervals(&p, 2, 2);
        assert!((iv[0].unwrap() - 30.0).abs() <= 1.0, "{iv:?}");
        assert_eq!(iv[1], None);
        let d = due(&[(0, 61 * DAY), (1, 5 * DAY)], &iv, 90 * DAY, 0.8);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].0, 0);
        assert!(
            due(&[(0, 80 * DAY)], &iv, 90 * DAY, 0.8).is_empty(),
            "bought 10 days ago: not due"
        );
    }
}
