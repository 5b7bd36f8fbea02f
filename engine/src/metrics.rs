//! Offline ranking metrics, as the evaluation protocol defines them: binary relevance, the
//! ground truth being the distinct items of each held-out basket.

use std::collections::HashSet;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Share of users with at least one hit in the top k.
    pub hit_rate: f64,
    pub ndcg: f64,
    pub recall: f64,
    pub users: usize,
}

/// Mean metrics at `k` over users; `recs[u]` ranked best first, `truth[u]` the held-out items.
pub fn evaluate(recs: &[Vec<u32>], truth: &[HashSet<u32>], k: usize) -> Metrics {
    let mut m = Metrics::default();
    for (list, gt) in recs.iter().zip(truth) {
        if gt.is_empty() {
            continue;
        }
        m.users += 1;
        let mut seen = HashSet::new();
        let top: Vec<u32> = list
            .iter()
            .copied()
            .filter(|i| seen.insert(*i))
            .take(k)
            .collect();
        let hits: Vec<usize> = top
            .iter()
            .enumerate()
            .filter(|(_, i)| gt.contains(i))
            .map(|(r, _)| r)
            .collect();
        if !hits.is_empty() {
            m.hit_rate += 1.0;
        }
        m.recall += hits.len() as f64 / gt.len() as f64;
        let dcg: f64 = hits.iter().map(|&r| 1.0 / ((r + 2) as f64).log2()).sum();
        let idcg: f64 = (0..gt.len().min(k))
            .map(|r| 1.0 / ((r + 2) as f64).log2())
            .sum();
        if idcg > 0.0 {
            m.ndcg += dcg / idcg;
        }
    }
    if m.users > 0 {
        let n = m.users as f64;
        m.hit_rate /= n;
        m.ndcg /= n;
        m.recall /= n;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_values() {
        let recs = vec![vec![1, 2, 3], vec![9, 8, 7]];
        let truth = vec![HashSet::from([2, 5]), HashSet::from([4])];
        let m = evaluate(&recs, &truth, 3);
        assert_eq!(m.users, 2);
        assert!((m.hit_rate - 0.5).abs() < 1e-12);
        assert!((m.recall - 0.25).abs() < 1e-12);
        // User 1: hit at rank 2 -> 1/log2(3); ideal 1 + 1/log2(3).
        let expected = (1.0 / 3f64.log2()) / (1.0 + 1.0 / 3f64.log2()) / 2.0;
        assert!((m.ndcg - expected).abs() < 1e-12, "{}", m.ndcg);
    }
}
