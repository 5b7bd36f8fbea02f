use std::collections::HashSet;

use proptest::prelude::*;

use super::features::{Workspace, candidates};
use super::fit::{EXPLORE_FEATURES, Feature, LogisticWeights, Weights, holdout, logistic};
use super::similarity::{co_purchase, titles};
use super::stats::{Stats, baskets};
use super::{Config, Event, Interaction, ItemMeta, NextBasketModel, Reason, Source};

const DAY: i64 = 86_400;

fn buy(user: u32, item: u32, day: i64, order: u32) -> Interaction {
    Interaction {
        user,
        item,
        ts: day * DAY,
        event: Event::Purchase,
        order,
        qty: 1.0,
    }
}

fn view(user: u32, item: u32, day: i64) -> Interaction {
    Interaction {
        event: Event::View,
        order: 0,
        ..buy(user, item, day, 0)
    }
}

/// Twenty shoppers who buy item 0 every week plus a rotating side item (1..=8); shopper 0
/// also bought item 9 once, long ago. Items 10 and 11 exist but nobody touched them.
fn grocery() -> Vec<Interaction> {
    let mut rows = Vec::new();
    let mut order = 0;
    for u in 0..20u32 {
        for week in 0..6u32 {
            order += 1;
            let day = i64::from(week * 7 + u % 3);
            rows.push(buy(u, 0, day, order));
            rows.push(buy(u, 1 + (u + week) % 8, day, order));
        }
    }
    rows.push(buy(0, 9, -30, order + 1));
    rows
}

const N_USERS: usize = 20;
const N_ITEMS: usize = 12;

#[test]
fn baskets_are_timed_by_their_first_row_and_sorted() {
    let rows = [
        buy(1, 0, 5, 9),
        buy(1, 1, 3, 9),
        buy(1, 2, 4, 2),
        buy(0, 0, 9, 1),
    ];
    let (bk, of_row) = baskets(&rows);
    let key: Vec<(u32, u32, i64)> = bk.iter().map(|b| (b.user, b.order, b.t / DAY)).collect();
    assert_eq!(key, vec![(0, 1, 9), (1, 9, 3), (1, 2, 4)]);
    assert_eq!(of_row, vec![Some(1), Some(1), Some(2), Some(0)]);
}

#[test]
fn holdout_follows_the_evaluation_rule() {
    let rows = [
        buy(0, 1, 1, 10),
        view(0, 5, 2),
        buy(0, 2, 3, 11),
        buy(0, 3, 3, 11),
        view(0, 6, 3),    // at the cut: dropped
        buy(1, 1, 1, 12), // one basket: kept whole, not held out
        buy(2, 1, 4, 13),
        buy(2, 2, 4, 14), // two baskets at the same time: not held out
    ];
    let (train, gt) = holdout(&rows);
    assert_eq!(gt, vec![(0, vec![2, 3])]);
    let kept: Vec<(u32, u32)> = train.iter().map(|r| (r.user, r.item)).collect();
    assert_eq!(kept, vec![(0, 1), (0, 5), (1, 1), (2, 1), (2, 2)]);
}

#[test]
fn co_purchase_similarity_is_shrunk_cosine() {
    // Baskets {0,1}, {0,1}, {0,2}: n0 = 3, n1 = 2, c01 = 2.
    let bi = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 2)];
    let s = co_purchase(&bi, 3, &Config::default());
    let (cols, vals) = s.row(0);
    assert_eq!(cols, &[1, 2]);
    let want = 2.0 / (3f64.sqrt() * 2f64.sqrt()) * (2.0 / 12.0);
    assert!((vals[0] - want).abs() < 1e-12, "{} vs {want}", vals[0]);
    assert_eq!(s.row(1).0, &[0]);
}

#[test]
fn titles_link_items_sharing_rare_words() {
    let meta = |t: &str, c: &str| ItemMeta {
        title: t.to_owned(),
        category: c.to_owned(),
    };
    let m = [
        meta("Red Heart Mug", ""),
        meta("RED HEART cushion", ""),
        meta("blue mug", "kitchen"),
        meta("Lamp", "kitchen"),
        meta("unsold red heart", ""),
    ];
    let active = [true, true, true, true, false];
    let t = titles(Some(&m), &active, 50);
    assert_eq!(t.row(0).0, &[1, 2], "shares red+heart with 1, mug with 2");
    assert!(t.row(0).1[0] > t.row(0).1[1]);
    assert_eq!(t.row(3).0, &[2], "same category");
    assert!(t.row(4).0.is_empty(), "inactive items have no neighbours");
    assert!(!t.row(0).0.contains(&4));
}

#[test]
fn logistic_recovers_known_weights() {
    let beta = [1.5, -2.0, 0.5, 0.0, 0.0, 0.0, 0.0];
    let bias = -1.0;
    let mut state = 7u64;
    let mut unit = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for _ in 0..40_000 {
        let mut xi = [0.0; 7];
        for v in xi.iter_mut().take(3) {
            *v = unit() * 2.0 - 1.0;
        }
        let z: f64 = bias + xi.iter().zip(&beta).map(|(a, b)| a * b).sum::<f64>();
        y.push(unit() < 1.0 / (1.0 + (-z).exp()));
        x.push(xi);
    }
    let w = logistic(&x, &y, 1.0).unwrap();
    for (got, want) in w.coef.iter().zip(&beta) {
        assert!((got - want).abs() < 0.1, "{w:?}");
    }
    assert!((w.bias - bias).abs() < 0.1, "{w:?}");
    assert!(logistic(&x, &vec![false; x.len()], 1.0).is_none());
}

#[test]
fn staples_come_first_as_repeat_items() {
    let m = NextBasketModel::build(&grocery(), N_USERS, N_ITEMS, None, &Config::default());
    assert_eq!(m.weights().fitted, (true, true));
    assert!(m.weights().fit_users > 0);
    let recs = m.recommend(3, 5, |_| false);
    assert_eq!(recs.len(), 5);
    assert_eq!(recs[0].item, 0);
    match &recs[0].reason {
        Reason::Repeat { probability, parts } => {
            assert!(*probability > 0.5);
            assert!(!parts.is_empty());
            assert!(
                parts
                    .windows(2)
                    .all(|p| p[0].contribution >= p[1].contribution)
            );
        }
        other => panic!("expected a repeat reason, got {other:?}"),
    }
    // Untouched items are never recommended; the list stops at the active items.
    let all = m.recommend(3, 50, |_| false);
    assert_eq!(all.len(), 10);
    assert!(all.iter().all(|s| s.item < 10));
}

#[test]
fn unknown_users_get_trending_items() {
    let m = NextBasketModel::build(&grocery(), N_USERS + 5, N_ITEMS, None, &Config::default());
    assert!(!m.is_known(22));
    let recs = m.recommend(22, 3, |i| i == 0);
    assert_eq!(recs.len(), 3);
    assert!(
        recs.iter()
            .all(|s| s.reason.source() == Source::Popular && s.item != 0)
    );
    assert_eq!(m.recommend(u32::MAX, 3, |i| i == 0), recs);
}

#[test]
fn explore_reservation_takes_bottom_slots() {
    let rows = grocery();
    // An explore model that never beats a repeat item on its own.
    let defaults = Weights::default();
    let weights = Weights {
        explore: LogisticWeights {
            bias: -30.0,
            ..defaults.explore
        },
        ..defaults
    };
    let build = |mmax, rho| {
        let cfg = Config {
            mmax,
            rho,
            ..Config::default()
        };
        NextBasketModel::build_with_weights(&rows, N_USERS, N_ITEMS, None, &cfg, weights)
    };
    let explore_flags = |m: &NextBasketModel| -> Vec<(bool, bool)> {
        m.recommend(0, 4, |_| false)
            .iter()
            .map(|s| match s.reason {
                Reason::Explore { reserved, .. } => (true, reserved),
                _ => (false, false),
            })
            .collect()
    };
    // User 0 bought 8 items, so a 4-item list is all repeat items without the reservation.
    assert!(explore_flags(&build(0, 0.0)).iter().all(|&(e, _)| !e));
    let flags = explore_flags(&build(2, 0.0));
    assert_eq!(
        flags,
        vec![(false, false), (false, false), (true, true), (true, true)]
    );
    // An impossible threshold reserves nothing.
    assert!(explore_flags(&build(2, 1e9)).iter().all(|&(e, _)| !e));
}

#[test]
fn views_after_the_last_basket_become_intent() {
    let mut rows = grocery();
    rows.push(view(5, 11, 100));
    rows.push(view(5, 11, 101));
    let cfg = Config::default();
    let st = Stats::build(&rows, N_USERS, N_ITEMS, None, &cfg);
    let c = candidates(&st, &cfg, 5, &mut Workspace::new(&st));
    let j = c.items.iter().position(|&i| i == 11).unwrap();
    assert!(!c.seen[j]);
    let f = EXPLORE_FEATURES
        .iter()
        .position(|&f| f == Feature::Intent)
        .unwrap();
    assert!((c.x[j][f] - 3f64.ln()).abs() < 1e-12);
    // Item 11 was never sold: it counts as new since the last visit.
    let nsv = EXPLORE_FEATURES
        .iter()
        .position(|&f| f == Feature::NewSinceVisit)
        .unwrap();
    assert_eq!(c.x[j][nsv], 1.0);
}

#[test]
fn no_data_no_panic() {
    let m = NextBasketModel::build(&[], 3, 3, None, &Config::default());
    assert!(m.recommend(0, 5, |_| false).is_empty());
    let m = NextBasketModel::build(&[], 0, 0, Some(&[]), &Config::default());
    assert!(m.recommend(0, 5, |_| false).is_empty());
}

fn arb_case() -> impl Strategy<Value = Case> {
    (1usize..6, 1usize..9).prop_flat_map(|(nu, ni)| {
        let row = (0..=nu as u32, 0..=ni as u32, -3i64..20, 0u8..3, 0u32..6);
        (
            Just(nu),
            Just(ni),
            prop::collection::vec(row, 0..60),
            prop::option::of(prop::collection::vec("(red|mug|lamp| ){0,4}", ni)),
            0usize..12,
            prop::collection::vec(any::<bool>(), ni),
            (0usize..4, 0.0f64..1.5, 0usize..5, 0usize..3),
        )
            .prop_map(
                |(nu, ni, rows, titles, k, excl, (mmax, rho, n_cand, user_nn))| Case {
                    nu,
                    ni,
                    rows: rows
                        .into_iter()
                        .map(|(user, item, day, ev, order)| Interaction {
                            user,
                            item,
                            ts: day * 3_600,
                            event: [Event::Purchase, Event::Cart, Event::View][ev as usize],
                            order,
                            qty: 1.0,
                        })
                        .collect(),
                    meta: titles.map(|t| {
                        t.into_iter()
                            .map(|title| ItemMeta {
                                title,
                                category: String::new(),
                            })
                            .collect()
                    }),
                    k,
                    excl,
                    cfg: Config {
                        mmax,
                        rho,
                        n_cand,
                        user_nn,
                        threads: 1,
                        ..Config::default()
                    },
                },
            )
    })
}

#[derive(Debug, Clone)]
struct Case {
    nu: usize,
    ni: usize,
    rows: Vec<Interaction>,
    meta: Option<Vec<ItemMeta>>,
    k: usize,
    excl: Vec<bool>,
    cfg: Config,
}

proptest! {
    #[test]
    fn lists_are_sound_and_deterministic(c in arb_case()) {
        let m = NextBasketModel::build(&c.rows, c.nu, c.ni, c.meta.as_deref(), &c.cfg);
        let excluded = |i: u32| c.excl[i as usize];
        let active: HashSet<u32> = c
            .rows
            .iter()
            .filter(|r| (r.user as usize) < c.nu && (r.item as usize) < c.ni)
            .map(|r| r.item)
            .collect();
        let eligible = active.iter().filter(|&&i| !excluded(i)).count();
        let users: Vec<u32> = (0..=c.nu as u32).collect();
        let mut lists = Vec::new();
        for &u in &users {
            let recs = m.recommend(u, c.k, excluded);
            let items: HashSet<u32> = recs.iter().map(|s| s.item).collect();
            prop_assert_eq!(items.len(), recs.len(), "duplicates");
            prop_assert_eq!(recs.len(), c.k.min(eligible));
            prop_assert!(recs.iter().all(|s| active.contains(&s.item) && !excluded(s.item)));
            prop_assert!(recs.iter().all(|s| s.score.is_finite()));
            lists.push(recs);
        }
        // Same input, another thread count: same weights, same lists.
        let cfg2 = Config { threads: 2, ..c.cfg.clone() };
        let m2 = NextBasketModel::build(&c.rows, c.nu, c.ni, c.meta.as_deref(), &cfg2);
        prop_assert_eq!(m2.weights(), m.weights());
        let again = m2.recommend_many(&users, c.k, |_, i| excluded(i));
        prop_assert_eq!(again, lists);
    }
}
