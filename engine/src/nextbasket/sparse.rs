//! Compressed sparse rows and a dense scratch accumulator: the two shapes every product in
//! the recommender reduces to (user x item histories, item x item neighbour lists).

use std::cmp::Ordering;

/// A sparse matrix stored row by row; columns within a row are ascending and unique.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Csr {
    indptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
}

impl Csr {
    pub(crate) fn empty(n_rows: usize) -> Self {
        Csr {
            indptr: vec![0; n_rows + 1],
            cols: Vec::new(),
            vals: Vec::new(),
        }
    }

    /// Builds from coordinates, summing duplicates (as a coordinate-to-CSR conversion does).
    /// Every row index must be `< n_rows`.
    pub(crate) fn from_triplets(n_rows: usize, mut t: Vec<(u32, u32, f64)>) -> Self {
        // Stable sort: duplicates are summed in input order, so results never depend on the
        // sort algorithm.
        t.sort_by_key(|&(r, c, _)| (r, c));
        let mut indptr = vec![0usize; n_rows + 1];
        let mut cols = Vec::with_capacity(t.len());
        let mut vals: Vec<f64> = Vec::with_capacity(t.len());
        let mut last: Option<(u32, u32)> = None;
        for (r, c, v) in t {
            match (last, vals.last_mut()) {
                (Some(prev), Some(acc)) if prev == (r, c) => *acc += v,
                _ => {
                    indptr[r as usize + 1] += 1;
                    cols.push(c);
                    vals.push(v);
                    last = Some((r, c));
                }
            }
        }
        for r in 0..n_rows {
            indptr[r + 1] += indptr[r];
        }
        Csr { indptr, cols, vals }
    }

    /// Builds from per-row lists; each list is sorted by column here.
    pub(crate) fn from_rows(rows: Vec<Vec<(u32, f64)>>) -> Self {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0);
        let nnz = rows.iter().map(Vec::len).sum();
        let mut cols = Vec::with_capacity(nnz);
        let mut vals = Vec::with_capacity(nnz);
        for mut row in rows {
            row.sort_by_key(|&(c, _)| c);
            for (c, v) in row {
                cols.push(c);
                vals.push(v);
            }
            indptr.push(cols.len());
        }
        Csr { indptr, cols, vals }
    }

    pub(crate) fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    pub(crate) fn nnz(&self) -> usize {
        self.cols.len()
    }

    /// Columns and values of row `r` (empty when `r` is out of range).
    pub(crate) fn row(&self, r: usize) -> (&[u32], &[f64]) {
        if r >= self.n_rows() {
            return (&[], &[]);
        }
        let (a, b) = (self.indptr[r], self.indptr[r + 1]);
        (&self.cols[a..b], &self.vals[a..b])
    }

    pub(crate) fn map_values(mut self, f: impl Fn(f64) -> f64) -> Self {
        for v in &mut self.vals {
            *v = f(*v);
        }
        self
    }

    /// Scales each row by `f(row values)`.
    pub(crate) fn scale_rows(mut self, f: impl Fn(&[f64]) -> f64) -> Self {
        for r in 0..self.n_rows() {
            let (a, b) = (self.indptr[r], self.indptr[r + 1]);
            let s = f(&self.vals[a..b]);
            for v in &mut self.vals[a..b] {
                *v *= s;
            }
        }
        self
    }

    /// The transpose, with `n_cols` rows.
    pub(crate) fn transpose(&self, n_cols: usize) -> Self {
        let mut indptr = vec![0usize; n_cols + 1];
        for &c in &self.cols {
            indptr[c as usize + 1] += 1;
        }
        for c in 0..n_cols {
            indptr[c + 1] += indptr[c];
        }
        let mut next = indptr.clone();
        let mut cols = vec![0u32; self.nnz()];
        let mut vals = vec![0.0; self.nnz()];
        for r in 0..self.n_rows() {
            let (rc, rv) = self.row(r);
            for (&c, &v) in rc.iter().zip(rv) {
                let p = next[c as usize];
                cols[p] = r as u32;
                vals[p] = v;
                next[c as usize] += 1;
            }
        }
        Csr { indptr, cols, vals }
    }

    /// Row `r` multiplied by `w`, added into `acc`.
    pub(crate) fn add_row_into(&self, r: usize, w: f64, acc: &mut Scratch) {
        let (cols, vals) = self.row(r);
        for (&c, &v) in cols.iter().zip(vals) {
            acc.add(c, w * v);
        }
    }
}

/// Descending by value, then ascending by index: the tie rule for every top-n cut.
pub(crate) fn by_value_desc(a: &(u32, f64), b: &(u32, f64)) -> Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
}

/// Keeps the `n` best entries (see [`by_value_desc`]), in that order.
pub(crate) fn top_n(v: &mut Vec<(u32, f64)>, n: usize) {
    if v.len() > n {
        if n == 0 {
            v.clear();
            return;
        }
        v.select_nth_unstable_by(n - 1, by_value_desc);
        v.truncate(n);
    }
    v.sort_unstable_by(by_value_desc);
}

/// A dense vector that remembers which entries were touched, so it can be cleared in time
/// proportional to what was written.
#[derive(Debug, Clone)]
pub(crate) struct Scratch {
    vals: Vec<f64>,
    mark: Vec<bool>,
    touched: Vec<u32>,
}

impl Scratch {
    pub(crate) fn new(n: usize) -> Self {
        Scratch {
            vals: vec![0.0; n],
            mark: vec![false; n],
            touched: Vec::new(),
        }
    }

    pub(crate) fn add(&mut self, i: u32, v: f64) {
        let iu = i as usize;
        if !self.mark[iu] {
            self.mark[iu] = true;
            self.touched.push(i);
        }
        self.vals[iu] += v;
    }

    pub(crate) fn get(&self, i: u32) -> f64 {
        self.vals[i as usize]
    }

    pub(crate) fn set(&mut self, i: u32, v: f64) {
        let iu = i as usize;
        if !self.mark[iu] {
            self.mark[iu] = true;
            self.touched.push(i);
        }
        self.vals[iu] = v;
    }

    /// Touched entries, in the order they were first written.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.touched.iter().map(|&i| (i, self.vals[i as usize]))
    }

    /// The largest value, counting untouched entries as 0 (the max of the dense vector).
    pub(crate) fn max(&self) -> f64 {
        self.entries().fold(0.0, |m, (_, v)| m.max(v))
    }

    pub(crate) fn scale(&mut self, s: f64) {
        for &i in &self.touched {
            self.vals[i as usize] *= s;
        }
    }

    pub(crate) fn clear(&mut self) {
        for &i in &self.touched {
            self.vals[i as usize] = 0.0;
            self.mark[i as usize] = false;
        }
        self.touched.clear();
    }
}
