//! Trending: purchases weighted by recency with an exponential half-life, measured from the
//! newest purchase in the data (not the wall clock), so a shop's history ranks the same today
//! as when it was recorded.

/// Items by decayed purchase weight, best first: `(item, score)`.
pub fn trending(purchases: &[(u32, i64)], n_items: usize, half_life_days: f64) -> Vec<(u32, f32)> {
    let Some(newest) = purchases.iter().map(|&(_, t)| t).max() else {
        return Vec::new();
    };
    let rate = std::f64::consts::LN_2 / (half_life_days.max(0.1) * 86_400.0);
    let mut score = vec![0f64; n_items];
    for &(item, t) in purchases {
        if let Some(s) = score.get_mut(item as usize) {
            *s += (-((newest - t).max(0) as f64) * rate).exp();
        }
    }
    let mut out: Vec<(u32, f32)> = score
        .into_iter()
        .enumerate()
        .filter(|(_, s)| *s > 0.0)
        .map(|(i, s)| (i as u32, s as f32))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_purchases_outweigh_old_ones() {
        let day = 86_400;
        // Item 0: three purchases a year ago; item 1: two this week.
        let p = [(0, 0), (0, 0), (0, day), (1, 365 * day), (1, 364 * day)];
        let t = trending(&p, 3, 14.0);
        assert_eq!(t[0].0, 1);
        assert_eq!(t.len(), 2);
        assert!(trending(&[], 3, 14.0).is_empty());
    }
}
