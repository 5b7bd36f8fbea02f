//! Backtest: the offline protocol of `attune eval` on the shop's own orders, for one widget's
//! strategy. Each customer with two or more orders has their last order held out; models are
//! built on everything before; the widget's list for that customer is scored against the
//! held-out order (hit rate, NDCG, recall at the widget's size), next to best sellers.

use std::collections::{HashMap, HashSet};

use attune_api::backtest::{BacktestResult, RankingMetrics};
use attune_api::widgets::Strategy;
use attune_engine::metrics::{Metrics, evaluate};
use attune_engine::nextbasket::{Event, Interaction, NextBasketModel};
use attune_engine::{CoPurchase, ContentIndex, NextBasketConfig};
use sea_orm::DatabaseConnection;

use crate::db::{ShopId, catalog, orders};
use crate::error::AppError;

/// Enough held-out customers for stable figures, few enough to answer in seconds.
const MAX_USERS: usize = 2000;

struct Basket {
    customer: i64,
    time: i64,
    order: i64,
    items: Vec<u32>,
}

fn metrics(m: Metrics) -> RankingMetrics {
    RankingMetrics {
        hit_rate: m.hit_rate,
        ndcg: m.ndcg,
        recall: m.recall,
    }
}

#[tracing::instrument(skip_all, fields(shop = %shop))]
pub async fn run(
    db: &DatabaseConnection,
    shop: ShopId,
    strategy: Strategy,
    k: usize,
) -> Result<BacktestResult, AppError> {
    if matches!(strategy, Strategy::AlsoViewed | Strategy::RecentlyViewed) {
        // Orders say nothing about browsing: replaying them would measure something else.
        return Err(AppError::BadRequest(format!(
            "{} learns from browsing, which past orders do not record; measure it with an experiment instead",
            strategy.label()
        )));
    }
    let texts = catalog::texts(db, shop).await?;
    let lines = orders::basket_lines_timed(db, shop, None).await?;
    let result = tokio::task::spawn_blocking(move || compute(texts, lines, strategy, k))
        .await
        .map_err(|e| anyhow::anyhow!("backtest failed: {e}"))?;
    Ok(result)
}

type Lines = Vec<(i64, i64, chrono::DateTime<chrono::Utc>, Option<i64>)>;

fn compute(
    texts: catalog::ProductTexts,
    lines: Lines,
    strategy: Strategy,
    k: usize,
) -> BacktestResult {
    let (index_of, _, items) = crate::services::recommend::index_catalog(texts);
    let n = items.len();
    // Baskets of identified customers, in time order.
    let mut baskets: Vec<Basket> = Vec::new();
    let mut anonymous: Vec<Vec<u32>> = Vec::new();
    let mut by_order: HashMap<i64, usize> = HashMap::new();
    for (order, product, placed_at, customer) in lines {
        let Some(&idx) = index_of.get(&product) else {
            continue;
        };
        match customer {
            Some(c) => {
                let at = *by_order.entry(order).or_insert_with(|| {
                    baskets.push(Basket {
                        customer: c,
                        time: placed_at.timestamp(),
                        order,
                        items: Vec::new(),
                    });
                    baskets.len() - 1
                });
                baskets[at].items.push(idx);
            }
            None => {
                if let std::collections::hash_map::Entry::Vacant(e) = by_order.entry(order) {
                    e.insert(usize::MAX);
                    anonymous.push(Vec::new());
                }
                if let Some(b) = anonymous.last_mut() {
                    b.push(idx);
                }
            }
        }
    }
    baskets.sort_by_key(|b| (b.customer, b.time, b.order));
    // The last basket of each customer with two or more is held out.
    let mut last_of: HashMap<i64, usize> = HashMap::new();
    let mut count_of: HashMap<i64, usize> = HashMap::new();
    for (i, b) in baskets.iter().enumerate() {
        last_of.insert(b.customer, i);
        *count_of.entry(b.customer).or_default() += 1;
    }
    let mut held: Vec<usize> = last_of
        .iter()
        .filter(|(c, _)| count_of[*c] >= 2)
        .map(|(_, &i)| i)
        .collect();
    held.sort_unstable();
    held.truncate(MAX_USERS);
    let held_set: HashSet<usize> = held.iter().copied().collect();
    let train: Vec<&Basket> = baskets
        .iter()
        .enumerate()
        .filter(|(i, _)| !held_set.contains(i))
        .map(|(_, b)| b)
        .collect();

    let train_baskets: Vec<&[u32]> = train
        .iter()
        .map(|b| b.items.as_slice())
        .chain(anonymous.iter().map(Vec::as_slice))
        .collect();
    let copurchase = CoPurchase::build(n, train_baskets.iter().copied(), 100);
    let purchases: Vec<(u32, i64)> = train
        .iter()
        .flat_map(|b| b.items.iter().map(move |&i| (i, b.time)))
        .collect();
    let trending = attune_engine::trending::trending(&purchases, n, 14.0);
    let mut customer_idx: HashMap<i64, u32> = HashMap::new();
    for b in &train {
        let next = customer_idx.len() as u32;
        customer_idx.entry(b.customer).or_insert(next);
    }
    let by_customer: Vec<(u32, u32, i64)> = train
        .iter()
        .flat_map(|b| {
            b.items
                .iter()
                .map(|&i| (customer_idx[&b.customer], i, b.time))
        })
        .collect();
    let intervals = attune_engine::replenishment::intervals(&by_customer, n, 3);
    let content = (strategy == Strategy::SimilarItems).then(|| ContentIndex::build(&items));
    let next = (strategy == Strategy::ForYou).then(|| {
        let interactions: Vec<Interaction> = train
            .iter()
            .enumerate()
            .flat_map(|(o, b)| {
                let user = customer_idx[&b.customer];
                b.items.iter().map(move |&item| Interaction {
                    user,
                    item,
                    ts: b.time,
                    event: Event::Purchase,
                    order: o as u32,
                    qty: 1.0,
                })
            })
            .collect();
        NextBasketModel::build(
            &interactions,
            customer_idx.len(),
            n,
            None,
            &NextBasketConfig::default(),
        )
    });

    let popular: Vec<u32> = copurchase
        .recommend(&[], |_| false, k)
        .into_iter()
        .map(|s| s.item)
        .collect();
    let mut widget_lists = Vec::with_capacity(held.len());
    let mut truth = Vec::with_capacity(held.len());
    for &h in &held {
        let target = &baskets[h];
        truth.push(target.items.iter().copied().collect::<HashSet<u32>>());
        let history: Vec<&Basket> = train
            .iter()
            .copied()
            .filter(|b| b.customer == target.customer)
            .collect();
        let last: Vec<(u32, f32)> = history
            .last()
            .map(|b| b.items.iter().map(|&i| (i, 1.0)).collect())
            .unwrap_or_default();
        let all: Vec<(u32, f32)> = {
            let mut w: HashMap<u32, f32> = HashMap::new();
            for (age, b) in history.iter().rev().enumerate() {
                for &i in &b.items {
                    *w.entry(i).or_insert(0.0) += 0.85f32.powi(age as i32);
                }
            }
            let mut v: Vec<(u32, f32)> = w.into_iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            v.truncate(30);
            v
        };
        let list: Vec<u32> = match strategy {
            Strategy::Popular => popular.clone(),
            Strategy::Trending => trending.iter().take(k).map(|&(i, _)| i).collect(),
            Strategy::FrequentlyBoughtTogether
            | Strategy::PostPurchase
            | Strategy::CartCrossSell
            | Strategy::AlsoViewed
            | Strategy::RecentlyViewed => copurchase
                .recommend(&last, |_| false, k)
                .into_iter()
                .map(|s| s.item)
                .collect(),
            Strategy::ForYou => match (&next, customer_idx.get(&target.customer)) {
                (Some(nb), Some(&u)) if nb.is_known(u) => nb
                    .recommend(u, k, |_| false)
                    .into_iter()
                    .map(|s| s.item)
                    .collect(),
                _ => copurchase
                    .recommend(&all, |_| false, k)
                    .into_iter()
                    .map(|s| s.item)
                    .collect(),
            },
            Strategy::SimilarItems => {
                let mut out: Vec<u32> = Vec::new();
                if let Some(c) = &content {
                    for &(seed, _) in &last {
                        for s in c.similar(seed, k, |_| false) {
                            if !out.contains(&s.item) {
                                out.push(s.item);
                            }
                        }
                    }
                }
                out.truncate(k);
                let more: Vec<u32> = popular
                    .iter()
                    .copied()
                    .filter(|p| !out.contains(p))
                    .collect();
                out.extend(more);
                out
            }
            Strategy::BuyAgain => {
                let mut lastbought: HashMap<u32, i64> = HashMap::new();
                for b in &history {
                    for &i in &b.items {
                        lastbought.insert(i, b.time);
                    }
                }
                let lb: Vec<(u32, i64)> = lastbought.into_iter().collect();
                let mut out: Vec<u32> =
                    attune_engine::replenishment::due(&lb, &intervals, target.time, 0.8)
                        .into_iter()
                        .map(|(i, _)| i)
                        .collect();
                let more: Vec<u32> = all
                    .iter()
                    .map(|&(i, _)| i)
                    .filter(|i| !out.contains(i))
                    .collect();
                out.extend(more);
                out
            }
        };
        widget_lists.push(list);
    }
    let baseline_lists: Vec<Vec<u32>> = held.iter().map(|_| popular.clone()).collect();
    let w = evaluate(&widget_lists, &truth, k);
    let b = evaluate(&baseline_lists, &truth, k);
    BacktestResult {
        strategy: strategy.as_str().to_owned(),
        k,
        users: w.users,
        widget: metrics(w),
        baseline: metrics(b),
        protocol: format!(
            "last order of each customer with 2+ orders held out ({} customers scored); models built on all earlier orders; top {k} compared with the held-out order",
            w.users
        ),
    }
}
