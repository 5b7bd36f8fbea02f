//! Turning scored candidates into a list: order by log-odds, let a few explore items take the
//! bottom slots (the ρ rule), explain each pick, top up with trending items.

use super::Config;
use super::features::{Candidates, N_FEAT};
use super::fit::{EXPLORE_FEATURES, LogisticWeights, REPEAT_FEATURES, Weights};
use super::stats::Stats;
use super::{Part, Reason, Scored};

/// Score terms kept in a reason.
const PARTS: usize = 3;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Trending best sellers (recent buyers, then buyers, then index), skipping `exclude` and `skip`.
pub(crate) fn popular(
    st: &Stats,
    k: usize,
    exclude: &dyn Fn(u32) -> bool,
    skip: &[u32],
) -> Vec<Scored> {
    st.by_trend
        .iter()
        .copied()
        .filter(|&i| !exclude(i) && !skip.contains(&i))
        .take(k)
        .map(|i| Scored {
            item: i,
            score: st.poprec[i as usize] as f32,
            reason: Reason::Popular {
                recent_buyers: st.poprec[i as usize] as u32,
                buyers: st.n_buyers[i as usize] as u32,
            },
        })
        .collect()
}

/// The largest positive terms of a score, best first (ties in feature order).
fn parts(w: &LogisticWeights, names: &[super::Feature; N_FEAT], x: &[f64; N_FEAT]) -> Vec<Part> {
    let mut p: Vec<Part> = (0..N_FEAT)
        .map(|f| Part {
            feature: names[f],
            value: x[f] as f32,
            contribution: (w.coef[f] * x[f]) as f32,
        })
        .filter(|p| p.contribution > 0.0)
        .collect();
    p.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    p.truncate(PARTS);
    p
}

/// Up to `k` items for a known user, from their candidates.
pub(crate) fn rank(
    c: &Candidates,
    st: &Stats,
    w: &Weights,
    cfg: &Config,
    k: usize,
    exclude: &dyn Fn(u32) -> bool,
) -> Vec<Scored> {
    let z: Vec<f64> =
        c.x.iter()
            .zip(&c.seen)
            .map(|(x, &seen)| {
                if seen {
                    w.repeat.log_odds(x)
                } else {
                    w.explore.log_odds(x)
                }
            })
            .collect();
    let mut order: Vec<usize> = (0..c.items.len())
        .filter(|&j| !exclude(c.items[j]))
        .collect();
    // Log-odds desc, then buyers desc, then item asc.
    order.sort_by(|&a, &b| {
        z[b].total_cmp(&z[a])
            .then(st.n_buyers[c.items[b] as usize].total_cmp(&st.n_buyers[c.items[a] as usize]))
            .then(c.items[a].cmp(&c.items[b]))
    });
    let cut = k.min(order.len());
    let mut top: Vec<usize> = order[..cut].to_vec();
    let mut reserved: Vec<usize> = Vec::new();

    // Explore reservation: the best explore items outside the list replace the lowest repeat
    // items, one at a time, while p(explore) >= rho * p(displaced); they go to the bottom.
    let mut n_new = top.iter().filter(|&&j| !c.seen[j]).count();
    for &j in order[cut..].iter().filter(|&&j| !c.seen[j]) {
        if n_new >= cfg.mmax {
            break;
        }
        let Some(q) = top.iter().rposition(|&t| c.seen[t]) else {
            break;
        };
        if sigmoid(z[j]) >= cfg.rho * sigmoid(z[top[q]]) {
            top.remove(q);
            top.push(j);
            reserved.push(j);
            n_new += 1;
        } else {
            break;
        }
    }

    let mut out: Vec<Scored> = top
        .iter()
        .map(|&j| {
            let probability = sigmoid(z[j]) as f32;
            let reason = if c.seen[j] {
                Reason::Repeat {
                    probability,
                    parts: parts(&w.repeat, &REPEAT_FEATURES, &c.x[j]),
                }
            } else {
                Reason::Explore {
                    probability,
                    reserved: reserved.contains(&j),
                    parts: parts(&w.explore, &EXPLORE_FEATURES, &c.x[j]),
                }
            };
            Scored {
                item: c.items[j],
                score: z[j] as f32,
                reason,
            }
        })
        .collect();
    if out.len() < k {
        let have: Vec<u32> = out.iter().map(|s| s.item).collect();
        out.extend(popular(st, k - out.len(), exclude, &have));
    }
    out
}
