//! Per-user candidates and their features: every item the user bought (scored by the repeat
//! model) plus the best unbought items of each explore source (scored by the explore model).

use super::Config;
use super::sparse::{Scratch, top_n};
use super::stats::Stats;

/// Feature vectors have this many entries (see `fit::REPEAT_FEATURES` / `EXPLORE_FEATURES`).
pub(crate) const N_FEAT: usize = 7;

/// A user's candidates, sorted by item; `x[j]` holds the repeat features when `seen[j]`,
/// the explore features otherwise.
#[derive(Debug, Clone, Default)]
pub(crate) struct Candidates {
    pub items: Vec<u32>,
    pub seen: Vec<bool>,
    pub x: Vec<[f64; N_FEAT]>,
}

/// Reusable dense buffers (one set per thread).
pub(crate) struct Workspace {
    cf: Scratch,
    ttl: Scratch,
    ukn: Scratch,
    intent: Scratch,
    users: Scratch,
    seen: Vec<bool>,
}

impl Workspace {
    pub(crate) fn new(st: &Stats) -> Self {
        Workspace {
            cf: Scratch::new(st.n_items),
            ttl: Scratch::new(st.n_items),
            ukn: Scratch::new(st.n_items),
            intent: Scratch::new(st.n_items),
            users: Scratch::new(st.known.len()),
            seen: vec![false; st.n_items],
        }
    }
}

fn ln1p(x: f64) -> f64 {
    x.ln_1p()
}

/// The divisor that scales a source to `a / max(a)` when the max (over all items) is positive.
fn divisor(s: &Scratch) -> f64 {
    let m = s.max();
    if m > 0.0 { m } else { 1.0 }
}

/// Candidates and features of a known user.
pub(crate) fn candidates(st: &Stats, cfg: &Config, u: u32, ws: &mut Workspace) -> Candidates {
    let ui = u as usize;
    let (h_items, h_vals) = st.hist.row(ui);
    for (&j, &hv) in h_items.iter().zip(h_vals) {
        st.sim.add_row_into(j as usize, hv, &mut ws.cf);
        st.title.add_row_into(j as usize, hv, &mut ws.ttl);
    }

    // Similar users: cosine of normalised histories, top `user_nn` with positive similarity.
    let (n_items_u, n_vals_u) = st.hist_norm.row(ui);
    for (&i, &hv) in n_items_u.iter().zip(n_vals_u) {
        st.hist_norm_t.add_row_into(i as usize, hv, &mut ws.users);
    }
    ws.users.set(u, 0.0);
    let mut nbrs: Vec<(u32, f64)> = ws.users.entries().filter(|&(_, s)| s > 0.0).collect();
    ws.users.clear();
    top_n(&mut nbrs, cfg.user_nn);
    let wsum: f64 = nbrs.iter().map(|&(_, s)| s).sum();
    for &(v, s) in &nbrs {
        st.hist_norm.add_row_into(v as usize, s, &mut ws.ukn);
    }
    ws.ukn.scale(1.0 / wsum.max(1e-12));

    let (seen_items, seen_cnt) = st.bought.row(ui);
    let (_, seen_dec) = st.bought_dec.row(ui);
    for &i in seen_items {
        ws.seen[i as usize] = true;
    }
    let (int_items, int_vals) = st.intent.row(ui);
    for (&i, &v) in int_items.iter().zip(int_vals) {
        ws.intent.add(i, v);
    }

    // Candidate pool: bought items, trending items, and the best unbought of each source.
    let mut pool: Vec<u32> = seen_items.to_vec();
    pool.extend(st.by_trend.iter().take(cfg.n_cand));
    let mut top: Vec<(u32, f64)> = Vec::new();
    for src in [&ws.cf, &ws.ukn, &ws.ttl, &ws.intent] {
        top.clear();
        top.extend(
            src.entries()
                .filter(|&(i, v)| v > 0.0 && !ws.seen[i as usize]),
        );
        top_n(&mut top, cfg.n_cand);
        pool.extend(top.iter().map(|&(i, _)| i));
    }
    new_since_last_visit(st, cfg, u, &ws.seen, &mut pool);
    pool.sort_unstable();
    pool.dedup();

    let (cf_d, ukn_d, ttl_d) = (divisor(&ws.cf), divisor(&ws.ukn), divisor(&ws.ttl));
    let cf = |i| ws.cf.get(i) / cf_d;
    let ukn = |i| ws.ukn.get(i) / ukn_d;
    let ttl = |i| ws.ttl.get(i) / ttl_d;
    let urr = st.urr_logit[ui];
    let mut out = Candidates {
        items: Vec::with_capacity(pool.len()),
        seen: Vec::with_capacity(pool.len()),
        x: Vec::with_capacity(pool.len()),
    };
    for &i in &pool {
        let iu = i as usize;
        let seen = ws.seen[iu];
        let lpoprec = ln1p(st.poprec[iu]);
        let intent = ln1p(ws.intent.get(i));
        let x = if seen {
            let p = seen_items.binary_search(&i).unwrap_or(0);
            [
                ln1p(seen_dec[p]),
                ln1p(seen_cnt[p]),
                st.reprop_logit[iu],
                lpoprec,
                ukn(i),
                urr,
                intent,
            ]
        } else {
            let nsv = if st.is_new_for(u, i) { 1.0 } else { 0.0 };
            [
                cf(i),
                ukn(i),
                ttl(i),
                lpoprec,
                nsv,
                nsv * ln1p(st.n_buyers[iu]),
                intent,
            ]
        };
        out.items.push(i);
        out.seen.push(seen);
        out.x.push(x);
    }

    for &i in seen_items {
        ws.seen[i as usize] = false;
    }
    for s in [&mut ws.cf, &mut ws.ttl, &mut ws.ukn, &mut ws.intent] {
        s.clear();
    }
    out
}

/// Adds the `n_cand` most bought unbought items that first sold after the user's last basket.
fn new_since_last_visit(st: &Stats, cfg: &Config, u: u32, seen: &[bool], pool: &mut Vec<u32>) {
    let Some(lp) = st.last_pt[u as usize] else {
        return;
    };
    // `by_first_t` is newest first, so the new items are a prefix of it.
    let m = st
        .by_first_t
        .partition_point(|&i| st.first_t[i as usize] > lp);
    if m == 0 || cfg.n_cand == 0 {
        return;
    }
    let fresh = |i: u32| !seen[i as usize] && st.is_new_for(u, i);
    // Scan whichever list is shorter to walk: the new items themselves, or the best sellers
    // until enough new ones turned up.
    if m.saturating_mul(m) <= cfg.n_cand.saturating_mul(st.by_buyers.len()) {
        let mut top: Vec<(u32, f64)> = st.by_first_t[..m]
            .iter()
            .filter(|&&i| fresh(i))
            .map(|&i| (i, st.n_buyers[i as usize]))
            .collect();
        top_n(&mut top, cfg.n_cand);
        pool.extend(top.iter().map(|&(i, _)| i));
    } else {
        pool.extend(
            st.by_buyers
                .iter()
                .copied()
                .filter(|&i| fresh(i))
                .take(cfg.n_cand),
        );
    }
}

/// Maps `f` over `items` on up to `threads` threads (0 = all cores), each with its own
/// workspace; the output keeps the input order, so results never depend on the thread count.
pub(crate) fn par_map<T, R, F>(items: &[T], threads: usize, st: &Stats, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&mut Workspace, &T) -> R + Sync,
{
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        threads
    };
    let threads = threads.min(items.len().div_ceil(32)).max(1);
    if threads == 1 {
        let mut ws = Workspace::new(st);
        return items.iter().map(|t| f(&mut ws, t)).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                let f = &f;
                s.spawn(move || {
                    let mut ws = Workspace::new(st);
                    part.iter().map(|t| f(&mut ws, t)).collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
