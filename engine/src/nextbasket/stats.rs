//! Everything the scorer needs, built in one pass over the rows plus the item-item products:
//! baskets, decayed purchase counts, repurchase propensities, trending popularity, session
//! intent, the history vectors used by the neighbour features.

use std::collections::HashMap;

use super::sparse::Csr;
use super::{Config, Event, Interaction, ItemMeta, similarity};

const DAY: i64 = 86_400;

/// A purchase basket: the purchase rows sharing (user, order), timed by the earliest one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Basket {
    pub user: u32,
    pub order: u32,
    pub t: i64,
}

/// Baskets sorted by (user, time, order), and each purchase row's basket position.
pub(crate) fn baskets(rows: &[Interaction]) -> (Vec<Basket>, Vec<Option<u32>>) {
    let mut index: HashMap<(u32, u32), usize> = HashMap::new();
    let mut list: Vec<Basket> = Vec::new();
    for r in rows.iter().filter(|r| r.event == Event::Purchase) {
        let p = *index.entry((r.user, r.order)).or_insert_with(|| {
            list.push(Basket {
                user: r.user,
                order: r.order,
                t: r.ts,
            });
            list.len() - 1
        });
        list[p].t = list[p].t.min(r.ts);
    }
    let mut perm: Vec<usize> = (0..list.len()).collect();
    perm.sort_by_key(|&p| (list[p].user, list[p].t, list[p].order));
    let mut pos = vec![0u32; list.len()];
    for (new, &old) in perm.iter().enumerate() {
        pos[old] = new as u32;
    }
    let of_row = rows
        .iter()
        .map(|r| {
            (r.event == Event::Purchase)
                .then(|| index.get(&(r.user, r.order)).map(|&p| pos[p]))
                .flatten()
        })
        .collect();
    let sorted = perm.iter().map(|&p| list[p]).collect();
    (sorted, of_row)
}

/// A probability as log-odds, kept finite when a rate is exactly 0 or 1.
pub(crate) fn logit(p: f64) -> f64 {
    let p = if p.is_finite() {
        p.clamp(1e-6, 1.0 - 1e-6)
    } else {
        0.5
    };
    (p / (1.0 - p)).ln()
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Stats {
    pub n_items: usize,
    /// Users with any row.
    pub known: Vec<bool>,
    /// Purchased items per user: basket count, and aligned with it the decayed count.
    pub bought: Csr,
    pub bought_dec: Csr,
    /// Distinct buyers per item, and distinct buyers within the trending window.
    pub n_buyers: Vec<f64>,
    pub poprec: Vec<f64>,
    /// Log-odds that a buyer buys the item again (shrunk to the global rate).
    pub reprop_logit: Vec<f64>,
    /// Log-odds that an item in a user's later basket is one they bought before.
    pub urr_logit: Vec<f64>,
    /// Time of a user's last basket; time of an item's first sale.
    pub last_pt: Vec<Option<i64>>,
    pub first_t: Vec<i64>,
    /// Views (1) and carts (3) after the user's last basket.
    pub intent: Csr,
    /// History vectors (decayed purchases plus capped views/carts), L2-normalised, and by item.
    pub hist: Csr,
    pub hist_norm: Csr,
    pub hist_norm_t: Csr,
    /// Item-item co-purchase and title similarity, top neighbours per item.
    pub sim: Csr,
    pub title: Csr,
    /// Active items by (recent buyers desc, buyers desc, index asc).
    pub by_trend: Vec<u32>,
    /// Active items by first sale, newest first (never sold first), for "new since last visit".
    pub by_first_t: Vec<u32>,
    /// Active items by (buyers desc, index asc).
    pub by_buyers: Vec<u32>,
}

impl Stats {
    /// `rows` must be in range (`user < n_users`, `item < n_items`).
    pub(crate) fn build(
        rows: &[Interaction],
        n_users: usize,
        n_items: usize,
        meta: Option<&[ItemMeta]>,
        cfg: &Config,
    ) -> Self {
        let mut known = vec![false; n_users];
        let mut active = vec![false; n_items];
        let mut tmax = i64::MIN;
        for r in rows {
            known[r.user as usize] = true;
            active[r.item as usize] = true;
            tmax = tmax.max(r.ts);
        }
        let (bk, basket_of) = baskets(rows);

        // Position of each basket within its user's history (0 = oldest) and basket counts.
        let mut nb = vec![0u32; n_users];
        let mut last_pt: Vec<Option<i64>> = vec![None; n_users];
        let mut b_idx = vec![0u32; bk.len()];
        for (p, b) in bk.iter().enumerate() {
            b_idx[p] = nb[b.user as usize];
            nb[b.user as usize] += 1;
            last_pt[b.user as usize] = Some(b.t);
        }

        // Distinct (basket, item) pairs.
        let mut bi: Vec<(u32, u32)> = rows
            .iter()
            .zip(&basket_of)
            .filter_map(|(r, b)| b.map(|b| (b, r.item)))
            .collect();
        bi.sort_unstable();
        bi.dedup();

        let per_user = PerUserItem::build(&bi, &bk, &b_idx, &nb, n_users, n_items, cfg);

        let mut first_t = vec![i64::MAX; n_items];
        let threshold = tmax.saturating_sub(i64::from(cfg.recent_days).saturating_mul(DAY));
        let mut recent: Vec<(u32, u32)> = Vec::new();
        for r in rows.iter().filter(|r| r.event == Event::Purchase) {
            first_t[r.item as usize] = first_t[r.item as usize].min(r.ts);
            if r.ts > threshold {
                recent.push((r.item, r.user));
            }
        }
        recent.sort_unstable();
        recent.dedup();
        let mut poprec = vec![0.0f64; n_items];
        for &(i, _) in &recent {
            poprec[i as usize] += 1.0;
        }

        // Views and carts: intent after the last basket, and a capped history weight.
        let mut intent_t = Vec::new();
        let mut other_t = Vec::new();
        for r in rows.iter().filter(|r| r.event != Event::Purchase) {
            let after = last_pt[r.user as usize].is_none_or(|lp| r.ts > lp);
            let (w, hw) = match r.event {
                Event::Cart => (3.0, cfg.w_cart),
                _ => (1.0, cfg.w_view),
            };
            if after {
                intent_t.push((r.user, r.item, w));
            }
            other_t.push((r.user, r.item, hw));
        }
        let intent = Csr::from_triplets(n_users, intent_t);
        let other = Csr::from_triplets(n_users, other_t).map_values(|v| v.min(1.0));
        let mut hist_t = Vec::with_capacity(per_user.dec.nnz() + other.nnz());
        for m in [&per_user.dec, &other] {
            for u in 0..n_users {
                let (cols, vals) = m.row(u);
                hist_t.extend(cols.iter().zip(vals).map(|(&i, &v)| (u as u32, i, v)));
            }
        }
        let hist = Csr::from_triplets(n_users, hist_t);
        let hist_norm = hist.clone().scale_rows(|vals| {
            let n = vals.iter().map(|v| v * v).sum::<f64>().sqrt();
            1.0 / n.max(1e-12)
        });
        let hist_norm_t = hist_norm.transpose(n_items);

        let sim = similarity::co_purchase(&bi, n_items, cfg);
        let title = similarity::titles(meta, &active, cfg.title_nn);

        let n_buyers = per_user.n_buyers;
        let actives = || (0..n_items as u32).filter(|&i| active[i as usize]);
        let mut by_trend: Vec<u32> = actives().collect();
        by_trend.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            poprec[b]
                .total_cmp(&poprec[a])
                .then(n_buyers[b].total_cmp(&n_buyers[a]))
                .then(a.cmp(&b))
        });
        let mut by_first_t: Vec<u32> = actives().collect();
        by_first_t.sort_by(|&a, &b| {
            first_t[b as usize]
                .cmp(&first_t[a as usize])
                .then(a.cmp(&b))
        });
        let mut by_buyers: Vec<u32> = actives().collect();
        by_buyers.sort_by(|&a, &b| {
            n_buyers[b as usize]
                .total_cmp(&n_buyers[a as usize])
                .then(a.cmp(&b))
        });

        Stats {
            n_items,
            known,
            bought: per_user.cnt,
            bought_dec: per_user.dec,
            n_buyers,
            poprec,
            reprop_logit: per_user.reprop_logit,
            urr_logit: per_user.urr_logit,
            last_pt,
            first_t,
            intent,
            hist,
            hist_norm,
            hist_norm_t,
            sim,
            title,
            by_trend,
            by_first_t,
            by_buyers,
        }
    }

    pub(crate) fn is_known(&self, user: u32) -> bool {
        self.known.get(user as usize).copied().unwrap_or(false)
    }

    /// Whether `item` first sold after `user`'s last basket (never-sold items count as new).
    pub(crate) fn is_new_for(&self, user: u32, item: u32) -> bool {
        match self.last_pt[user as usize] {
            Some(lp) => self.first_t[item as usize] > lp,
            None => false,
        }
    }
}

/// Aggregates over distinct (user, item, basket) triples.
struct PerUserItem {
    cnt: Csr,
    dec: Csr,
    n_buyers: Vec<f64>,
    reprop_logit: Vec<f64>,
    urr_logit: Vec<f64>,
}

impl PerUserItem {
    fn build(
        bi: &[(u32, u32)],
        bk: &[Basket],
        b_idx: &[u32],
        nb: &[u32],
        n_users: usize,
        n_items: usize,
        cfg: &Config,
    ) -> Self {
        // (user, item, position of the basket in the user's history)
        let mut uii: Vec<(u32, u32, u32)> = bi
            .iter()
            .map(|&(b, i)| (bk[b as usize].user, i, b_idx[b as usize]))
            .collect();
        uii.sort_unstable();

        let mut cnt_t = Vec::new();
        let mut dec_t = Vec::new();
        let mut n_buyers = vec![0.0; n_items];
        let (mut rep_num, mut rep_den) = (vec![0.0; n_items], vec![0.0; n_items]);
        let (mut rep_sum, mut rep_n) = (0.0, 0.0);
        let (mut un, mut ud) = (vec![0.0; n_users], vec![0.0; n_users]);
        for group in uii.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let (u, i, first_idx) = group[0];
            let n = nb[u as usize];
            let c = group.len() as f64;
            let dec: f64 = group
                .iter()
                .map(|&(_, _, idx)| cfg.gamma.powf(f64::from(n - 1 - idx)))
                .sum();
            cnt_t.push((u, i, c));
            dec_t.push((u, i, dec));
            n_buyers[i as usize] += 1.0;
            // Only buyers whose first purchase was before their last basket could have
            // repurchased.
            if n - 1 - first_idx >= 1 {
                let rep = if group.len() >= 2 { 1.0 } else { 0.0 };
                rep_num[i as usize] += rep;
                rep_den[i as usize] += 1.0;
                rep_sum += rep;
                rep_n += 1.0;
            }
            // Appearances in baskets 2..n, and how many of them were bought before.
            un[u as usize] += c - 1.0;
            ud[u as usize] += if first_idx == 0 { c - 1.0 } else { c };
        }
        let prior = if rep_n > 0.0 { rep_sum / rep_n } else { 0.3 };
        let reprop_logit = (0..n_items)
            .map(|i| logit((rep_num[i] + cfg.prior_item * prior) / (rep_den[i] + cfg.prior_item)))
            .collect();
        let g = un.iter().sum::<f64>() / ud.iter().sum::<f64>().max(1.0);
        let urr_logit = (0..n_users)
            .map(|u| logit((un[u] + cfg.prior_user * g) / (ud[u] + cfg.prior_user)))
            .collect();
        PerUserItem {
            cnt: Csr::from_triplets(n_users, cnt_t),
            dec: Csr::from_triplets(n_users, dec_t),
            n_buyers,
            reprop_logit,
            urr_logit,
        }
    }
}
