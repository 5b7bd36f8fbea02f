//! Item-item similarities, each kept as the top neighbours per item: basket co-occurrence
//! (asymmetric cosine with significance shrinkage) and title TF-IDF cosine.

use std::collections::HashMap;

use super::sparse::{Csr, Scratch, top_n};
use super::{Config, ItemMeta};

/// Co-occurrence over distinct (basket, item) pairs sorted by basket:
/// `sim(i, j) = c / (n_i^α · n_j^(1-α)) · c / (c + shrink)`, with `c` the baskets holding both
/// and `n_i` the baskets holding `i`. Cost: the sum of squared basket sizes.
pub(crate) fn co_purchase(bi: &[(u32, u32)], n_items: usize, cfg: &Config) -> Csr {
    let baskets: Vec<&[(u32, u32)]> = bi.chunk_by(|a, b| a.0 == b.0).collect();
    // Inverted index: item -> baskets holding it (counting sort).
    let mut start = vec![0usize; n_items + 1];
    for &(_, i) in bi {
        start[i as usize + 1] += 1;
    }
    for i in 0..n_items {
        start[i + 1] += start[i];
    }
    let n_baskets: Vec<f64> = (0..n_items)
        .map(|i| (start[i + 1] - start[i]) as f64)
        .collect();
    let mut next = start.clone();
    let mut holding = vec![0u32; bi.len()];
    for (b, basket) in baskets.iter().enumerate() {
        for &(_, i) in *basket {
            holding[next[i as usize]] = b as u32;
            next[i as usize] += 1;
        }
    }

    let mut acc = Scratch::new(n_items);
    let mut rows = Vec::with_capacity(n_items);
    let mut row: Vec<(u32, f64)> = Vec::new();
    for i in 0..n_items {
        for &b in &holding[start[i]..start[i + 1]] {
            for &(_, j) in baskets[b as usize] {
                if j as usize != i {
                    acc.add(j, 1.0);
                }
            }
        }
        let ni = n_baskets[i].powf(cfg.sim_alpha);
        row.clear();
        row.extend(acc.entries().map(|(j, c)| {
            let nj = n_baskets[j as usize].powf(1.0 - cfg.sim_alpha);
            (j, c / (ni * nj) * (c / (c + cfg.sim_shrink)))
        }));
        acc.clear();
        top_n(&mut row, cfg.sim_nn);
        rows.push(row.clone());
    }
    Csr::from_rows(rows)
}

/// Lower-cased `[a-z0-9]+` runs of the title, plus `cat:<category>` when there is one.
fn tokens(meta: &ItemMeta) -> Vec<String> {
    let lower = meta.title.to_lowercase();
    let mut out: Vec<String> = lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if !meta.category.is_empty() {
        out.push(format!("cat:{}", meta.category.to_lowercase()));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Cosine of binary TF-IDF title vectors over the active items (IDF = ln(active / df)).
/// Items without metadata have no title neighbours.
pub(crate) fn titles(meta: Option<&[ItemMeta]>, active: &[bool], nn: usize) -> Csr {
    let n_items = active.len();
    let Some(meta) = meta else {
        return Csr::empty(n_items);
    };
    let n_active = active.iter().filter(|&&a| a).count();
    let mut vocab: HashMap<String, u32> = HashMap::new();
    let mut item_tokens: Vec<Vec<u32>> = vec![Vec::new(); n_items];
    let mut df: Vec<usize> = Vec::new();
    for (i, m) in meta.iter().enumerate().take(n_items) {
        if !active[i] {
            continue;
        }
        for t in tokens(m) {
            let next = vocab.len() as u32;
            let id = *vocab.entry(t).or_insert(next);
            if id as usize == df.len() {
                df.push(0);
            }
            df[id as usize] += 1;
            item_tokens[i].push(id);
        }
    }
    // A token on every item has IDF 0 and adds nothing; leaving it out is exact.
    let idf: Vec<f64> = df
        .iter()
        .map(|&d| (n_active as f64 / d as f64).ln())
        .collect();
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); df.len()];
    let mut norm = vec![0.0; n_items];
    for (i, toks) in item_tokens.iter_mut().enumerate() {
        toks.retain(|&t| idf[t as usize] > 0.0);
        let sq: f64 = toks.iter().map(|&t| idf[t as usize].powi(2)).sum();
        norm[i] = 1.0 / (sq + 1e-12).sqrt();
        for &t in toks.iter() {
            postings[t as usize].push(i as u32);
        }
    }
    let mut acc = Scratch::new(n_items);
    let mut rows = Vec::with_capacity(n_items);
    let mut row: Vec<(u32, f64)> = Vec::new();
    for (i, toks) in item_tokens.iter().enumerate() {
        for &t in toks {
            let w = idf[t as usize] * idf[t as usize] * norm[i];
            for &j in &postings[t as usize] {
                if j as usize != i {
                    acc.add(j, w * norm[j as usize]);
                }
            }
        }
        row.clear();
        row.extend(acc.entries().filter(|&(_, v)| v > 0.0));
        acc.clear();
        top_n(&mut row, nn);
        rows.push(row.clone());
    }
    Csr::from_rows(rows)
}
