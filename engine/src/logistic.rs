//! L2-regularised logistic regression by Newton's method, shared by the next-basket model and the
//! offer policy's intent model. Inputs are small and dense (tens of columns), so each Newton step
//! builds the full Hessian and solves it directly.

/// Fits `log-odds = Σ beta[j] · x[j]` (no implicit bias: pass a constant column) with penalty
/// `½ Σ ridge[j] · beta[j]²`. `rows` are the rows of the design matrix, all `ridge.len()` wide.
/// `None` without both outcomes, or when the system is singular or diverges.
#[allow(clippy::needless_range_loop)] // index loops read as the matrix algebra they are
pub fn fit<R: AsRef<[f64]>>(rows: &[R], y: &[bool], ridge: &[f64]) -> Option<Vec<f64>> {
    let d = ridge.len();
    let pos = y.iter().filter(|&&v| v).count();
    if pos == 0 || pos == y.len() {
        return None;
    }
    let mut beta = vec![0.0; d];
    let mut g = vec![0.0; d];
    let mut h = vec![vec![0.0; d]; d];
    for _ in 0..25 {
        g.iter_mut().for_each(|v| *v = 0.0);
        h.iter_mut()
            .for_each(|r| r.iter_mut().for_each(|v| *v = 0.0));
        for (xa, &yi) in rows.iter().zip(y) {
            let xa = xa.as_ref();
            let z: f64 = xa.iter().zip(&beta).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let r = p - if yi { 1.0 } else { 0.0 };
            let w = p * (1.0 - p);
            for a in 0..d {
                g[a] += r * xa[a];
                let wa = w * xa[a];
                for b in a..d {
                    h[a][b] += wa * xa[b];
                }
            }
        }
        for a in 0..d {
            g[a] += ridge[a] * beta[a];
            h[a][a] += ridge[a];
            for b in 0..a {
                h[a][b] = h[b][a];
            }
        }
        let step = solve(h.clone(), g.clone())?;
        for a in 0..d {
            beta[a] -= step[a];
        }
        if !beta.iter().all(|b| b.is_finite()) {
            return None;
        }
        if step.iter().fold(0.0f64, |m, s| m.max(s.abs())) < 1e-7 {
            break;
        }
    }
    Some(beta)
}

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Gaussian elimination with partial pivoting; `None` for a singular system.
#[allow(clippy::needless_range_loop)]
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let d = b.len();
    for col in 0..d {
        let piv = (col..d).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-300 || !a[piv][col].is_finite() {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for r in col + 1..d {
            let f = a[r][col] / a[col][col];
            for c in col..d {
                a[r][c] -= f * a[col][c];
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; d];
    for r in (0..d).rev() {
        let s: f64 = (r + 1..d).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}
