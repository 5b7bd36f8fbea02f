//! Micro-segments: data-driven groups of a shop's shoppers, for merchants to browse and target.
//!
//! Features (see [`SegmentFeatures`]) are log-transformed where heavy-tailed, standardised to
//! z-scores, and clustered by k-means with k-means++ seeding. k is chosen in 2..=8 by the mean
//! silhouette on a sample of at most 2,000 shoppers (ties go to the smaller k); the chosen
//! centroids are then refined by Lloyd's algorithm on every shopper. Each segment gets a
//! plain-language description from its centroid's z-scores and its members' typical values.
//!
//! Deterministic: the sample and the seeding come from a fixed-seed generator, and every
//! reduction runs in input order.

mod describe;
mod kmeans;

use super::rng::Rng;
use kmeans::{Clustering, Distances, Point};

/// Number of clustering features.
pub const DIMS: usize = 8;
/// Feature names, in the order of [`MicroSegment::centroid_z`].
pub const FEATURE_NAMES: [&str; DIMS] = [
    "days_since_last_order",
    "orders_count",
    "total_spent",
    "average_order_value",
    "discount_share",
    "sessions_count",
    "pages_per_session",
    "churn_risk",
];
const MIN_K: usize = 2;
const MAX_K: usize = 8;
const SAMPLE: usize = 2_000;
/// k-means++ restarts per candidate k on the sample; the lowest inertia wins.
const RESTARTS: usize = 3;
const SEED: u64 = 0x5EED_5E65;

/// One shopper's behaviour, as plain numbers (money in minor units).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SegmentFeatures {
    /// `None` for shoppers who have never ordered.
    pub days_since_last_order: Option<f64>,
    pub orders_count: f64,
    pub total_spent_minor: f64,
    pub average_order_value_minor: f64,
    pub discount_share: f64,
    pub sessions_count: f64,
    pub pages_per_session: f64,
    /// 1 − P(alive); `None` for shoppers who have never ordered.
    pub churn_risk: Option<f64>,
}

/// Typical raw values of a segment's members.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentTypical {
    /// Share of members with at least one order.
    pub buyer_share: f64,
    /// Median days since the last order among members who ordered.
    pub median_days_since_last_order: Option<f64>,
    pub mean_orders: f64,
    pub mean_total_spent_minor: f64,
    pub mean_discount_share: f64,
    pub mean_sessions: f64,
    pub mean_pages_per_session: f64,
    /// Mean churn risk among members who ordered (0 when none did).
    pub mean_churn_risk: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MicroSegment {
    pub size: usize,
    pub description: String,
    /// Centroid in standardised (log-transformed where noted in the module docs) feature space,
    /// in [`FEATURE_NAMES`] order.
    pub centroid_z: [f64; DIMS],
    pub typical: SegmentTypical,
}

/// A shop's micro-segments: segments ordered by size (largest first) and each input's label.
#[derive(Debug, Clone, PartialEq)]
pub struct MicroSegments {
    pub segments: Vec<MicroSegment>,
    /// Index into `segments` for each input profile, in input order.
    pub labels: Vec<usize>,
    /// Mean silhouette of the chosen k on the sample (0 with a single segment).
    pub silhouette: f64,
    scaler: Scaler,
}

impl MicroSegments {
    pub fn fit(profiles: &[SegmentFeatures]) -> Self {
        let scaler = Scaler::fit(profiles);
        let points: Vec<Point> = profiles.iter().map(|p| scaler.transform(p)).collect();
        let (clustering, silhouette) = cluster(&points);
        // Relabel by size (then by centroid) so that segment 0 is the largest, reproducibly.
        let k = clustering.centroids.len();
        let mut sizes = vec![0usize; k];
        for &l in &clustering.labels {
            sizes[l] += 1;
        }
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&i, &j| {
            sizes[j].cmp(&sizes[i]).then_with(|| {
                let (a, b) = (&clustering.centroids[i], &clustering.centroids[j]);
                a.iter()
                    .zip(b)
                    .map(|(x, y)| x.total_cmp(y))
                    .find(|o| o.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
        });
        let mut rank = vec![0; k];
        for (new, &old) in order.iter().enumerate() {
            rank[old] = new;
        }
        let labels: Vec<usize> = clustering.labels.iter().map(|&l| rank[l]).collect();
        let segments = order
            .iter()
            .enumerate()
            .filter(|(_, old)| sizes[**old] > 0)
            .map(|(new, &old)| {
                let centroid_z = clustering.centroids[old];
                let members: Vec<&SegmentFeatures> = profiles
                    .iter()
                    .zip(&labels)
                    .filter(|(_, l)| **l == new)
                    .map(|(p, _)| p)
                    .collect();
                let typical = typical(&members);
                MicroSegment {
                    size: sizes[old],
                    description: describe::describe(&centroid_z, &typical),
                    centroid_z,
                    typical,
                }
            })
            .collect();
        Self {
            segments,
            labels,
            silhouette,
            scaler,
        }
    }

    /// The segment a (possibly new) shopper falls in; `None` when there are no segments.
    pub fn assign(&self, profile: &SegmentFeatures) -> Option<usize> {
        if self.segments.is_empty() {
            return None;
        }
        let centroids: Vec<Point> = self.segments.iter().map(|s| s.centroid_z).collect();
        Some(kmeans::nearest(&self.scaler.transform(profile), &centroids).0)
    }
}

/// Chooses k and clusters every point; returns the clustering and the chosen silhouette.
fn cluster(points: &[Point]) -> (Clustering, f64) {
    let single = || Clustering {
        centroids: vec![mean_point(points)],
        labels: vec![0; points.len()],
        inertia: 0.0,
    };
    if points.len() < 3 {
        return (
            if points.is_empty() {
                Clustering {
                    centroids: vec![],
                    labels: vec![],
                    inertia: 0.0,
                }
            } else {
                single()
            },
            0.0,
        );
    }
    let mut rng = Rng::new(SEED);
    let sample: Vec<Point> = if points.len() <= SAMPLE {
        points.to_vec()
    } else {
        // Partial Fisher–Yates: the first SAMPLE positions become a uniform sample.
        let mut idx: Vec<usize> = (0..points.len()).collect();
        for i in 0..SAMPLE {
            let j = i + rng.below(idx.len() - i);
            idx.swap(i, j);
        }
        let mut chosen = idx[..SAMPLE].to_vec();
        chosen.sort_unstable();
        chosen.iter().map(|&i| points[i]).collect()
    };
    let distances = Distances::new(&sample);
    let mut best: Option<(f64, Clustering)> = None;
    for k in MIN_K..=MAX_K.min(sample.len() - 1) {
        let fitted = (0..RESTARTS)
            .map(|_| {
                kmeans::lloyd(
                    &sample,
                    kmeans::seed_plus_plus(&sample, k, &mut rng),
                    100,
                    1,
                )
            })
            .min_by(|a, b| a.inertia.total_cmp(&b.inertia));
        let Some(fitted) = fitted.filter(|c| c.centroids.len() == k) else {
            break; // Fewer distinct points than k: larger k cannot do better.
        };
        let score = distances.silhouette(&fitted.labels, k);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, fitted));
        }
    }
    let Some((score, chosen)) = best else {
        return (single(), 0.0);
    };
    // Refining on all points: stop once fewer than 0.01% change cluster.
    let settle = (points.len() / 10_000).max(1);
    (kmeans::lloyd(points, chosen.centroids, 100, settle), score)
}

fn mean_point(points: &[Point]) -> Point {
    let mut m = [0.0; DIMS];
    for p in points {
        for (a, x) in m.iter_mut().zip(p) {
            *a += x / points.len() as f64;
        }
    }
    m
}

/// Log-transform and standardisation, with the imputations for non-buyers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scaler {
    /// Recency given to shoppers who never ordered: the longest recency among buyers, so that
    /// "never" sits with "long ago" rather than in the middle.
    never_ordered_days: f64,
    /// Churn risk given to non-buyers: the buyers' mean, so it does not drive their clustering.
    never_ordered_churn: f64,
    mean: [f64; DIMS],
    sd: [f64; DIMS],
}

impl Scaler {
    fn fit(profiles: &[SegmentFeatures]) -> Self {
        let recencies = profiles.iter().filter_map(|p| p.days_since_last_order);
        let never_ordered_days = recencies.fold(0.0, f64::max);
        let churns: Vec<f64> = profiles.iter().filter_map(|p| p.churn_risk).collect();
        let never_ordered_churn = if churns.is_empty() {
            0.0
        } else {
            churns.iter().sum::<f64>() / churns.len() as f64
        };
        let mut scaler = Self {
            never_ordered_days,
            never_ordered_churn,
            mean: [0.0; DIMS],
            sd: [1.0; DIMS],
        };
        let raw: Vec<Point> = profiles.iter().map(|p| scaler.raw(p)).collect();
        let n = raw.len().max(1) as f64;
        scaler.mean = mean_point(&raw);
        let mut var = [0.0; DIMS];
        for p in &raw {
            for ((v, x), m) in var.iter_mut().zip(p).zip(&scaler.mean) {
                *v += (x - m) * (x - m) / n;
            }
        }
        // A constant feature carries no information; a unit scale keeps its z-scores at zero.
        scaler.sd = var.map(|v| if v > 1e-18 { v.sqrt() } else { 1.0 });
        scaler
    }

    /// Counts and money are heavy-tailed, so they enter as ln(1 + x).
    fn raw(&self, p: &SegmentFeatures) -> Point {
        let log = |x: f64| x.max(0.0).ln_1p();
        [
            log(p.days_since_last_order.unwrap_or(self.never_ordered_days)),
            log(p.orders_count),
            log(p.total_spent_minor),
            log(p.average_order_value_minor),
            p.discount_share.clamp(0.0, 1.0),
            log(p.sessions_count),
            log(p.pages_per_session),
            p.churn_risk
                .unwrap_or(self.never_ordered_churn)
                .clamp(0.0, 1.0),
        ]
    }

    fn transform(&self, p: &SegmentFeatures) -> Point {
        let raw = self.raw(p);
        std::array::from_fn(|i| {
            let z = (raw[i] - self.mean[i]) / self.sd[i];
            if z.is_finite() { z } else { 0.0 }
        })
    }
}

fn typical(members: &[&SegmentFeatures]) -> SegmentTypical {
    let n = members.len().max(1) as f64;
    let mean = |f: fn(&SegmentFeatures) -> f64| members.iter().map(|p| f(p)).sum::<f64>() / n;
    let mut recency: Vec<f64> = members
        .iter()
        .filter_map(|p| p.days_since_last_order)
        .collect();
    recency.sort_by(f64::total_cmp);
    let churn: Vec<f64> = members.iter().filter_map(|p| p.churn_risk).collect();
    SegmentTypical {
        buyer_share: members.iter().filter(|p| p.orders_count >= 1.0).count() as f64 / n,
        median_days_since_last_order: recency.get(recency.len() / 2).copied(),
        mean_orders: mean(|p| p.orders_count),
        mean_total_spent_minor: mean(|p| p.total_spent_minor),
        mean_discount_share: mean(|p| p.discount_share),
        mean_sessions: mean(|p| p.sessions_count),
        mean_pages_per_session: mean(|p| p.pages_per_session),
        mean_churn_risk: if churn.is_empty() {
            0.0
        } else {
            churn.iter().sum::<f64>() / churn.len() as f64
        },
    }
}

#[cfg(test)]
mod tests;
