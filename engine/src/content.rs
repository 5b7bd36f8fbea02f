//! Content-based similarity: items described by their title, type, vendor, tags and
//! description, compared by TF-IDF cosine. Needs no behaviour at all, so it works on day one.

use std::collections::HashMap;

/// What the catalog says about an item.
#[derive(Debug, Clone, Default)]
pub struct ItemText {
    pub title: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Similar {
    pub item: u32,
    pub score: f32,
    /// The strongest shared terms, for explanations (`type:mugs`, `heart`, ...).
    pub shared: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ContentIndex {
    /// Per item: `(term, weight)` sorted by term id, L2-normalised.
    vectors: Vec<Vec<(u32, f32)>>,
    terms: Vec<String>,
    /// Per term: the items that have it.
    postings: Vec<Vec<u32>>,
}

/// Words of 2+ letters or digits, lower-cased; very common English words dropped.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    const STOP: [&str; 12] = [
        "the", "and", "for", "with", "of", "in", "a", "to", "set", "an", "on", "or",
    ];
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(str::to_lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
}

impl ContentIndex {
    pub fn build(items: &[ItemText]) -> Self {
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut intern = |t: String, terms: &mut Vec<String>| -> u32 {
            *term_ids.entry(t.clone()).or_insert_with(|| {
                terms.push(t);
                (terms.len() - 1) as u32
            })
        };
        // Raw weighted term counts: structured fields count more than free text.
        let mut raw: Vec<HashMap<u32, f32>> = Vec::with_capacity(items.len());
        for it in items {
            let mut counts: HashMap<u32, f32> = HashMap::new();
            let mut add = |t: String, w: f32, terms: &mut Vec<String>| {
                *counts.entry(intern(t, terms)).or_insert(0.0) += w;
            };
            for w in words(&it.title) {
                add(w, 2.0, &mut terms);
            }
            if !it.product_type.trim().is_empty() {
                add(
                    format!("type:{}", it.product_type.trim().to_lowercase()),
                    3.0,
                    &mut terms,
                );
            }
            if !it.vendor.trim().is_empty() {
                add(
                    format!("vendor:{}", it.vendor.trim().to_lowercase()),
                    1.5,
                    &mut terms,
                );
            }
            for t in &it.tags {
                if !t.trim().is_empty() {
                    add(format!("tag:{}", t.trim().to_lowercase()), 1.5, &mut terms);
                }
            }
            for w in words(&it.description).take(200) {
                add(w, 0.5, &mut terms);
            }
            raw.push(counts);
        }
        let n = items.len().max(1) as f32;
        let mut df = vec![0u32; terms.len()];
        for counts in &raw {
            for &t in counts.keys() {
                df[t as usize] += 1;
            }
        }
        let mut postings: Vec<Vec<u32>> = vec![Vec::new(); terms.len()];
        let vectors = raw
            .into_iter()
            .enumerate()
            .map(|(i, counts)| {
                let mut v: Vec<(u32, f32)> = counts
                    .into_iter()
                    .map(|(t, c)| (t, (1.0 + c.ln_1p()) * (n / df[t as usize] as f32).ln_1p()))
                    .collect();
                let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|(_, w)| *w /= norm);
                }
                v.sort_unstable_by_key(|(t, _)| *t);
                for &(t, _) in &v {
                    postings[t as usize].push(i as u32);
                }
                v
            })
            .collect();
        ContentIndex {
            vectors,
            terms,
            postings,
        }
    }

    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// Up to `k` items most like `item`, best first; `exclude` rejects candidates.
    pub fn similar(&self, item: u32, k: usize, exclude: impl Fn(u32) -> bool) -> Vec<Similar> {
        let Some(v) = self.vectors.get(item as usize) else {
            return Vec::new();
        };
        // Terms carried by too many items say little and cost much: skip them as seeds.
        let cap = (self.vectors.len() / 4).max(50);
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for &(t, w) in v {
            let post = &self.postings[t as usize];
            if post.len() > cap {
                continue;
            }
            for &other in post {
                if other != item && !exclude(other) {
                    let ow = self.weight(other, t);
                    *acc.entry(other).or_insert(0.0) += w * ow;
                }
            }
        }
        let mut out: Vec<(u32, f32)> = acc.into_iter().filter(|(_, s)| *s > 0.0).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        out.into_iter()
            .map(|(other, score)| Similar {
                item: other,
                score,
                shared: self.shared_terms(item, other, 3),
            })
            .collect()
    }

    fn weight(&self, item: u32, term: u32) -> f32 {
        let v = &self.vectors[item as usize];
        v.binary_search_by_key(&term, |(t, _)| *t)
            .map(|i| v[i].1)
            .unwrap_or(0.0)
    }

    fn shared_terms(&self, a: u32, b: u32, n: usize) -> Vec<String> {
        let mut shared: Vec<(f32, u32)> = self.vectors[a as usize]
            .iter()
            .filter_map(|&(t, w)| {
                let ow = self.weight(b, t);
                (ow > 0.0).then_some((w * ow, t))
            })
            .collect();
        shared.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        shared
            .into_iter()
            .take(n)
            .map(|(_, t)| self.terms[t as usize].clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(title: &str, ty: &str, tags: &[&str]) -> ItemText {
        ItemText {
            title: title.into(),
            product_type: ty.into(),
            vendor: "V".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            description: String::new(),
        }
    }

    #[test]
    fn same_type_and_words_rank_first() {
        let idx = ContentIndex::build(&[
            item("Red heart mug", "Mugs", &["red"]),
            item("Blue heart mug", "Mugs", &["blue"]),
            item("Red tote bag", "Bags", &["red"]),
            ItemText {
                vendor: "Other".into(),
                ..item("Garden gnome", "Garden", &[])
            },
        ]);
        let s = idx.similar(0, 3, |_| false);
        assert_eq!(s[0].item, 1, "{s:?}");
        assert!(
            s[0].shared
                .iter()
                .any(|t| t == "type:mugs" || t == "mug" || t == "heart")
        );
        assert!(
            s.iter().all(|x| x.item != 3),
            "nothing in common with the gnome"
        );
        assert!(idx.similar(0, 3, |i| i == 1).iter().all(|x| x.item != 1));
    }

    proptest! {
        #[test]
        fn never_panics_and_respects_k(titles in prop::collection::vec("[a-c ]{0,12}", 0..30), k in 0usize..10) {
            let items: Vec<ItemText> = titles.iter().map(|t| item(t, "", &[])).collect();
            let idx = ContentIndex::build(&items);
            for i in 0..items.len() as u32 + 2 {
                let s = idx.similar(i, k, |_| false);
                prop_assert!(s.len() <= k);
                prop_assert!(s.iter().all(|x| x.item != i && (x.item as usize) < items.len()));
            }
        }
    }
}
