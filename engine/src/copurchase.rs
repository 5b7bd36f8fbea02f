//! Co-purchase recommendations with a popularity fallback.
//!
//! Items are dense indices `0..n_items`. Two items are related by how often they were bought
//! in the same order, normalized by how often each was bought at all (cosine similarity of
//! their order-incidence vectors), so best sellers do not crowd out specific complements.
//! Pairs seen in only a few orders are shrunk towards zero (significance weighting,
//! `count / (count + SHRINK)`), so a single coincidental basket with a rare item does not
//! outrank an association seen many times.

use std::collections::HashMap;

/// Why an item was recommended.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Bought together with the given seeds; `orders` is the largest co-purchase count.
    CoPurchase { seeds: Vec<u32>, orders: u32 },
    /// Filled in from overall popularity (`orders` containing it).
    Popular { orders: u32 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub item: u32,
    pub score: f32,
    pub reason: Reason,
}

/// Co-purchase counts at which an association keeps half its cosine similarity.
pub const SHRINK: f32 = 2.0;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CoPurchase {
    /// Orders containing each item.
    popularity: Vec<u32>,
    /// Items by descending popularity (ties by index), for the fallback.
    by_popularity: Vec<u32>,
    /// Per item: `(other item, similarity, co-purchase count)`, best first.
    neighbors: Vec<Vec<(u32, f32, u32)>>,
    /// Neighbours kept per item.
    max_neighbors: usize,
}

fn similarity(count: u32, pop_a: u32, pop_b: u32) -> f32 {
    let denom = ((pop_a as f32) * (pop_b as f32)).sqrt();
    let c = count as f32;
    c / denom * (c / (c + SHRINK))
}

/// The distinct items of `basket` below `n_items`, ascending, into `items`.
fn distinct_in_range(basket: &[u32], n_items: usize, items: &mut Vec<u32>) {
    items.clear();
    items.extend(basket.iter().copied().filter(|&i| (i as usize) < n_items));
    items.sort_unstable();
    items.dedup();
}

fn sort_neighbors(list: &mut [(u32, f32, u32)]) {
    list.sort_by(|x, y| y.1.total_cmp(&x.1).then(y.2.cmp(&x.2)).then(x.0.cmp(&y.0)));
}

impl CoPurchase {
    /// Builds the model from baskets (the distinct items of each order).
    /// Items `>= n_items` are ignored. Keeps at most `max_neighbors` per item.
    pub fn build<'a>(
        n_items: usize,
        baskets: impl IntoIterator<Item = &'a [u32]>,
        max_neighbors: usize,
    ) -> Self {
        let mut popularity = vec![0u32; n_items];
        let mut pairs: HashMap<(u32, u32), u32> = HashMap::new();
        let mut items: Vec<u32> = Vec::new();
        for basket in baskets {
            distinct_in_range(basket, n_items, &mut items);
            for &i in &items {
                popularity[i as usize] += 1;
            }
            for (a_idx, &a) in items.iter().enumerate() {
                for &b in &items[a_idx + 1..] {
                    *pairs.entry((a, b)).or_insert(0) += 1;
                }
            }
        }
        let mut neighbors: Vec<Vec<(u32, f32, u32)>> = vec![Vec::new(); n_items];
        for ((a, b), count) in pairs {
            let sim = similarity(count, popularity[a as usize], popularity[b as usize]);
            neighbors[a as usize].push((b, sim, count));
            neighbors[b as usize].push((a, sim, count));
        }
        for list in &mut neighbors {
            sort_neighbors(list);
            list.truncate(max_neighbors);
        }
        let mut m = CoPurchase {
            popularity,
            by_popularity: Vec::new(),
            neighbors,
            max_neighbors,
        };
        m.sort_by_popularity();
        m
    }

    fn sort_by_popularity(&mut self) {
        let popularity = &self.popularity;
        let mut by_popularity: Vec<u32> = (0..popularity.len() as u32)
            .filter(|&i| popularity[i as usize] > 0)
            .collect();
        by_popularity.sort_by(|&x, &y| {
            popularity[y as usize]
                .cmp(&popularity[x as usize])
                .then(x.cmp(&y))
        });
        self.by_popularity = by_popularity;
    }

    /// Takes in new baskets without a rebuild. Counts and similarities of every pair kept in a
    /// neighbour list are exact afterwards; a pair that had fallen below the `max_neighbors`
    /// cut re-enters with only its new orders counted, until the next full build. Building
    /// from all baskets at once and absorbing some of them later give the same model whenever
    /// no list was cut.
    pub fn absorb<'a>(&mut self, baskets: impl IntoIterator<Item = &'a [u32]>) {
        let n_items = self.popularity.len();
        let mut touched: Vec<u32> = Vec::new();
        let mut items: Vec<u32> = Vec::new();
        for basket in baskets {
            distinct_in_range(basket, n_items, &mut items);
            for &i in &items {
                self.popularity[i as usize] += 1;
                touched.push(i);
            }
            for (a_idx, &a) in items.iter().enumerate() {
                for &b in &items[a_idx + 1..] {
                    for (x, y) in [(a, b), (b, a)] {
                        let list = &mut self.neighbors[x as usize];
                        match list.iter_mut().find(|e| e.0 == y) {
                            Some(e) => e.2 += 1,
                            None => list.push((y, 0.0, 1)),
                        }
                    }
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        if touched.is_empty() {
            return;
        }
        // Every list holding a touched item has a similarity to refresh: the touched lists
        // themselves, and the lists of their neighbours.
        let mut lists: Vec<u32> = touched.clone();
        for &t in &touched {
            lists.extend(self.neighbors[t as usize].iter().map(|e| e.0));
        }
        lists.sort_unstable();
        lists.dedup();
        for &l in &lists {
            let pop_l = self.popularity[l as usize];
            let popularity = &self.popularity;
            let list = &mut self.neighbors[l as usize];
            for e in list.iter_mut() {
                e.1 = similarity(e.2, pop_l, popularity[e.0 as usize]);
            }
            sort_neighbors(list);
            list.truncate(self.max_neighbors);
        }
        self.sort_by_popularity();
    }

    pub fn n_items(&self) -> usize {
        self.popularity.len()
    }

    pub fn popularity(&self, item: u32) -> u32 {
        self.popularity.get(item as usize).copied().unwrap_or(0)
    }

    /// Up to `k` items related to the weighted `seeds`, topped up with best sellers.
    /// Seeds themselves and anything `exclude` rejects are never returned.
    pub fn recommend(
        &self,
        seeds: &[(u32, f32)],
        exclude: impl Fn(u32) -> bool,
        k: usize,
    ) -> Vec<Scored> {
        let is_seed = |i: u32| seeds.iter().any(|&(s, _)| s == i);
        let mut acc: HashMap<u32, (f32, Vec<u32>, u32)> = HashMap::new();
        for &(seed, weight) in seeds {
            let Some(list) = self.neighbors.get(seed as usize) else {
                continue;
            };
            for &(other, sim, count) in list {
                if is_seed(other) || exclude(other) {
                    continue;
                }
                let e = acc.entry(other).or_insert((0.0, Vec::new(), 0));
                e.0 += weight * sim;
                if !e.1.contains(&seed) {
                    e.1.push(seed);
                }
                e.2 = e.2.max(count);
            }
        }
        let mut out: Vec<Scored> = acc
            .into_iter()
            .map(|(item, (score, seeds, orders))| Scored {
                item,
                score,
                reason: Reason::CoPurchase { seeds, orders },
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.item.cmp(&b.item)));
        out.truncate(k);
        if out.len() < k {
            let top = self.popularity.iter().copied().max().unwrap_or(1).max(1) as f32;
            for &item in &self.by_popularity {
                if out.len() >= k {
                    break;
                }
                if is_seed(item) || exclude(item) || out.iter().any(|s| s.item == item) {
                    continue;
                }
                let orders = self.popularity[item as usize];
                out.push(Scored {
                    item,
                    // Below any co-purchase score's rank, but ordered by popularity.
                    score: orders as f32 / top * 1e-3,
                    reason: Reason::Popular { orders },
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn model(baskets: &[&[u32]], n: usize) -> CoPurchase {
        CoPurchase::build(n, baskets.iter().copied(), 50)
    }

    #[test]
    fn complements_rank_above_best_sellers() {
        // 0 and 1 always go together; 2 is in every order (a best seller).
        let m = model(&[&[0, 1, 2], &[0, 1, 2], &[2, 3], &[2, 4], &[2, 5]], 6);
        let recs = m.recommend(&[(0, 1.0)], |_| false, 3);
        assert_eq!(recs[0].item, 1);
        assert!(matches!(
            recs[0].reason,
            Reason::CoPurchase { orders: 2, .. }
        ));
        assert!(recs.iter().all(|r| r.item != 0));
    }

    #[test]
    fn falls_back_to_popularity_without_seeds() {
        let m = model(&[&[0, 1], &[1, 2], &[1]], 3);
        let recs = m.recommend(&[], |_| false, 2);
        assert_eq!(recs[0].item, 1);
        assert_eq!(recs[0].reason, Reason::Popular { orders: 3 });
        assert_eq!(recs.len(), 2);
    }

    #[test]
    fn exclusions_are_honoured() {
        let m = model(&[&[0, 1], &[0, 2], &[0, 1]], 3);
        let recs = m.recommend(&[(0, 1.0)], |i| i == 1, 3);
        assert_eq!(recs.iter().map(|r| r.item).collect::<Vec<_>>(), vec![2]);
    }

    proptest! {
        #[test]
        fn absorbing_baskets_equals_building_with_them(
            baskets in prop::collection::vec(prop::collection::vec(0u32..30, 0..8), 0..40),
            later in prop::collection::vec(prop::collection::vec(0u32..35, 0..8), 0..20),
        ) {
            // Lists are never cut with 30 items and room for 40 neighbours: exact.
            let all: Vec<&[u32]> = baskets.iter().chain(&later).map(|b| b.as_slice()).collect();
            let built = CoPurchase::build(30, all, 40);
            let mut grown = CoPurchase::build(30, baskets.iter().map(|b| b.as_slice()), 40);
            grown.absorb(later.iter().map(|b| b.as_slice()));
            prop_assert_eq!(&grown.popularity, &built.popularity);
            prop_assert_eq!(&grown.by_popularity, &built.by_popularity);
            for (g, b) in grown.neighbors.iter().zip(&built.neighbors) {
                prop_assert_eq!(g.len(), b.len());
                for (x, y) in g.iter().zip(b) {
                    prop_assert_eq!((x.0, x.2), (y.0, y.2));
                    prop_assert!((x.1 - y.1).abs() < 1e-6);
                }
            }
        }

        #[test]
        fn never_returns_seeds_excluded_or_duplicates(
            baskets in prop::collection::vec(prop::collection::vec(0u32..40, 0..8), 0..60),
            seeds in prop::collection::vec(0u32..45, 0..4),
            k in 0usize..20,
        ) {
            let refs: Vec<&[u32]> = baskets.iter().map(|b| b.as_slice()).collect();
            let m = CoPurchase::build(40, refs, 10);
            let seeds: Vec<(u32, f32)> = seeds.into_iter().map(|s| (s, 1.0)).collect();
            let recs = m.recommend(&seeds, |i| i % 7 == 3, k);
            prop_assert!(recs.len() <= k);
            let mut seen = std::collections::HashSet::new();
            for r in &recs {
                prop_assert!(seen.insert(r.item));
                prop_assert!(r.item % 7 != 3);
                prop_assert!(!seeds.iter().any(|&(s, _)| s == r.item));
                prop_assert!((r.item as usize) < 40);
            }
            for w in recs.windows(2) {
                prop_assert!(w[0].score >= w[1].score);
            }
        }
    }
}
