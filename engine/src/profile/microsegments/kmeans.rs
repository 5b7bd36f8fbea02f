//! k-means (Lloyd's algorithm, k-means++ seeding of Arthur & Vassilvitskii 2007) and the
//! silhouette criterion (Rousseeuw 1987) on fixed-width points.

use super::super::rng::Rng;
use super::DIMS;

pub type Point = [f64; DIMS];

pub fn squared_distance(p: &Point, q: &Point) -> f64 {
    p.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum()
}

/// The nearest centroid and its squared distance; ties go to the lower index.
pub fn nearest(p: &Point, centroids: &[Point]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (i, c) in centroids.iter().enumerate() {
        let d = squared_distance(p, c);
        if d < best.1 {
            best = (i, d);
        }
    }
    best
}

/// A clustering: centroids, each point's label, and the within-cluster sum of squares.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    pub centroids: Vec<Point>,
    pub labels: Vec<usize>,
    pub inertia: f64,
}

/// k-means++ seeding: each new centre drawn with probability proportional to its squared
/// distance from the nearest centre so far.
pub fn seed_plus_plus(points: &[Point], k: usize, rng: &mut Rng) -> Vec<Point> {
    let mut centroids = vec![points[rng.below(points.len())]];
    let mut d2: Vec<f64> = points
        .iter()
        .map(|p| squared_distance(p, &centroids[0]))
        .collect();
    while centroids.len() < k {
        let total: f64 = d2.iter().sum();
        if total <= 0.0 {
            break; // Fewer distinct points than k: stop with the distinct ones.
        }
        let mut target = rng.uniform() * total;
        let mut pick = d2.iter().rposition(|d| *d > 0.0).unwrap_or(0);
        for (i, d) in d2.iter().enumerate() {
            if target < *d {
                pick = i;
                break;
            }
            target -= d;
        }
        let c = points[pick];
        for (p, d) in points.iter().zip(d2.iter_mut()) {
            *d = d.min(squared_distance(p, &c));
        }
        centroids.push(c);
    }
    centroids
}

/// Lloyd iterations from `centroids` until fewer than `settle` points change cluster (or
/// `max_iter`). An emptied cluster is re-seeded with the point farthest from its centroid.
pub fn lloyd(
    points: &[Point],
    mut centroids: Vec<Point>,
    max_iter: usize,
    settle: usize,
) -> Clustering {
    let k = centroids.len();
    let mut labels = vec![usize::MAX; points.len()];
    let mut dist = vec![0.0; points.len()];
    for _ in 0..max_iter {
        let mut changed = 0;
        for ((p, label), d) in points.iter().zip(labels.iter_mut()).zip(dist.iter_mut()) {
            let (c, dd) = nearest(p, &centroids);
            if c != *label {
                changed += 1;
                *label = c;
            }
            *d = dd;
        }
        let mut sums = vec![[0.0; DIMS]; k];
        let mut counts = vec![0usize; k];
        for (p, &l) in points.iter().zip(&labels) {
            counts[l] += 1;
            for (s, x) in sums[l].iter_mut().zip(p) {
                *s += x;
            }
        }
        for c in 0..k {
            if counts[c] == 0 {
                let far = (0..points.len())
                    .max_by(|&i, &j| dist[i].total_cmp(&dist[j]).then(j.cmp(&i)))
                    .unwrap_or(0);
                centroids[c] = points[far];
                dist[far] = 0.0;
                changed = changed.max(settle);
            } else {
                centroids[c] = sums[c].map(|s| s / counts[c] as f64);
            }
        }
        if changed < settle.max(1) {
            break;
        }
    }
    let mut inertia = 0.0;
    for (p, label) in points.iter().zip(labels.iter_mut()) {
        let (c, d) = nearest(p, &centroids);
        *label = c;
        inertia += d;
    }
    Clustering {
        centroids,
        labels,
        inertia,
    }
}

/// Pairwise Euclidean distances of a sample, row-major upper triangle, computed once and
/// shared by the silhouettes of every candidate k.
pub struct Distances {
    n: usize,
    upper: Vec<f64>,
}

impl Distances {
    pub fn new(points: &[Point]) -> Self {
        let n = points.len();
        let mut upper = Vec::with_capacity(n * n.saturating_sub(1) / 2);
        for i in 0..n {
            for j in i + 1..n {
                upper.push(squared_distance(&points[i], &points[j]).sqrt());
            }
        }
        Self { n, upper }
    }

    /// Mean silhouette of a labelling with `k` clusters; points alone in their cluster score 0.
    pub fn silhouette(&self, labels: &[usize], k: usize) -> f64 {
        let n = self.n;
        let mut counts = vec![0usize; k];
        for &l in labels {
            counts[l] += 1;
        }
        // sums[i * k + c]: total distance from point i to the members of cluster c.
        let mut sums = vec![0.0; n * k];
        let mut at = 0;
        for i in 0..n {
            for j in i + 1..n {
                let d = self.upper[at];
                at += 1;
                sums[i * k + labels[j]] += d;
                sums[j * k + labels[i]] += d;
            }
        }
        let mut total = 0.0;
        for i in 0..n {
            let own = labels[i];
            if counts[own] <= 1 {
                continue;
            }
            let a = sums[i * k + own] / (counts[own] - 1) as f64;
            let b = (0..k)
                .filter(|&c| c != own && counts[c] > 0)
                .map(|c| sums[i * k + c] / counts[c] as f64)
                .fold(f64::INFINITY, f64::min);
            if b.is_finite() && a.max(b) > 0.0 {
                total += (b - a) / a.max(b);
            }
        }
        total / n.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs() -> Vec<Point> {
        let mut rng = Rng::new(3);
        let mut points = Vec::new();
        for centre in [-6.0, 0.0, 6.0] {
            for _ in 0..100 {
                let mut p = [0.0; DIMS];
                for (i, x) in p.iter_mut().enumerate() {
                    *x = if i == 0 { centre } else { 0.0 } + 0.5 * rng.standard_normal();
                }
                points.push(p);
            }
        }
        points
    }

    #[test]
    fn separated_blobs_are_found_and_preferred_at_their_true_k() {
        let points = blobs();
        let distances = Distances::new(&points);
        let mut scores = Vec::new();
        for k in 2..=5 {
            let seeds = seed_plus_plus(&points, k, &mut Rng::new(9));
            let c = lloyd(&points, seeds, 100, 1);
            scores.push(distances.silhouette(&c.labels, k));
            if k == 3 {
                for blob in 0..3 {
                    let l = c.labels[blob * 100];
                    assert!(
                        c.labels[blob * 100..(blob + 1) * 100]
                            .iter()
                            .all(|x| *x == l),
                        "blob {blob} split"
                    );
                }
            }
        }
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0
            + 2;
        assert_eq!(best, 3, "silhouettes {scores:?}");
        assert!(scores[1] > 0.6, "silhouettes {scores:?}");
    }

    #[test]
    fn duplicate_points_do_not_break_seeding() {
        let points = vec![[1.0; DIMS]; 10];
        let seeds = seed_plus_plus(&points, 4, &mut Rng::new(1));
        assert_eq!(seeds.len(), 1);
    }
}
