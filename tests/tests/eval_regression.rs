//! Recommendation quality cannot silently regress: the offline protocol of `eval.py` (the
//! dev data's leave-last-basket-out split, NDCG@10 and Recall_explore@10) is re-implemented
//! here and run on the demo sample bundled in `server/data/demo/` (920 real customers, CC BY
//! 4.0, see its README), through the real `attune eval` binary, so CI needs nothing outside
//! the repository. The floors are on quality, never on time.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use attune_tests::workspace_root;
use chrono::NaiveDateTime;

const K: usize = 10;

/// Measured on this split when the floors were set (the Rust scoring below and `eval.py
/// score` on the same files agree to five places): NDCG@10 0.27727, Recall_explore@10 0.01690;
/// best sellers score 0.06598 and 0.01725, the shopper's own most-bought items 0.23876 and
/// 0.00175. The margins leave room for deliberate trade-offs (more exploration costs some
/// NDCG); a larger drop is a regression to explain, not to absorb by lowering the floor.
const NDCG_FLOOR: f64 = 0.247;
/// Lists that only repeat past purchases score near 0 here.
const EXPLORE_FLOOR: f64 = 0.012;

/// One order line of `orders.csv.gz`; every line is a purchase.
struct Line {
    user: String,
    order: String,
    at: NaiveDateTime,
    ts: String,
    item: String,
    qty: String,
    price_minor: i64,
}

/// The test and training sides of the split, as `eval.py split` makes them.
struct Split {
    train: Vec<usize>,
    /// Sorted, as `users.txt` lists them.
    users: Vec<String>,
    /// Distinct items of each test user's held-out basket.
    truth: HashMap<String, BTreeSet<String>>,
}

/// The quality figures `eval.py score` reports, mean over test users.
#[derive(Debug, Clone, Copy)]
struct Scores {
    ndcg: f64,
    hit_rate: f64,
    recall: f64,
    /// Recall on held-out items the user had not bought in training.
    recall_explore: f64,
}

/// The bundled file is gzip-compressed; actix-web's request-body decoding (compiled in for
/// `Content-Encoding: gzip` uploads) inflates it, so the test crate needs no codec of its own.
async fn gunzip(path: &Path) -> String {
    use actix_web::FromRequest;
    let bytes = std::fs::read(path).unwrap();
    let (req, mut payload) = actix_web::test::TestRequest::default()
        .insert_header(("content-encoding", "gzip"))
        .app_data(actix_web::web::PayloadConfig::new(64 << 20))
        .set_payload(bytes)
        .to_http_parts();
    String::from_request(&req, &mut payload).await.unwrap()
}

fn read_orders(text: &str) -> Vec<Line> {
    let mut rows = text.lines();
    assert_eq!(
        rows.next(),
        Some("customer_id,order_id,ts,item_id,qty,unit_price_minor")
    );
    // Ids, times and numbers: no field of this file is ever quoted.
    rows.map(|row| {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 6, "{row}");
        Line {
            user: f[0].to_owned(),
            order: f[1].to_owned(),
            at: NaiveDateTime::parse_from_str(f[2], "%Y-%m-%d %H:%M:%S").unwrap(),
            ts: f[2].to_owned(),
            item: f[3].to_owned(),
            qty: f[4].to_owned(),
            price_minor: f[5].parse().unwrap(),
        }
    })
    .collect()
}

/// `eval.py split` with its defaults: a user with at least two baskets and one strictly
/// before the latest is tested on the latest (ties: the largest order id, compared as text);
/// training keeps everything of other users and what test users did strictly before it.
fn split(lines: &[Line]) -> Split {
    let mut basket_time: HashMap<(&str, &str), NaiveDateTime> = HashMap::new();
    for l in lines {
        let t = basket_time.entry((&l.user, &l.order)).or_insert(l.at);
        *t = (*t).min(l.at);
    }
    let mut baskets: HashMap<&str, Vec<(NaiveDateTime, &str)>> = HashMap::new();
    for (&(user, order), &t) in &basket_time {
        baskets.entry(user).or_default().push((t, order));
    }
    let mut held_out: HashMap<&str, (NaiveDateTime, &str)> = HashMap::new();
    for (user, list) in &baskets {
        let last = *list.iter().max().unwrap();
        let first = list.iter().map(|b| b.0).min().unwrap();
        if list.len() >= 2 && first < last.0 {
            held_out.insert(user, last);
        }
    }
    let mut train = Vec::new();
    let mut truth: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        match held_out.get(l.user.as_str()) {
            None => train.push(i),
            Some(&(t, order)) => {
                if l.at < t {
                    train.push(i);
                }
                if l.order == order {
                    truth
                        .entry(l.user.clone())
                        .or_default()
                        .insert(l.item.clone());
                }
            }
        }
    }
    let mut users: Vec<String> = held_out.keys().map(|u| (*u).to_owned()).collect();
    users.sort();
    Split {
        train,
        users,
        truth,
    }
}

/// `eval.py score` for one K: binary relevance against the held-out basket, users without a
/// list scoring 0, explore recall averaged over users who have such items.
fn score(
    lists: &HashMap<String, Vec<String>>,
    split: &Split,
    bought: &HashMap<&str, HashSet<&str>>,
) -> Scores {
    let (mut ndcg, mut hits, mut recall) = (0.0, 0.0, 0.0);
    let (mut explore, mut explore_users) = (0.0, 0usize);
    let gain = |pos: usize| 1.0 / ((pos + 1) as f64).log2();
    for user in &split.users {
        let truth = &split.truth[user];
        let top = lists.get(user).map_or(&[][..], |l| &l[..l.len().min(K)]);
        let found: Vec<usize> = (1..=top.len())
            .filter(|&pos| truth.contains(&top[pos - 1]))
            .collect();
        let ideal: f64 = (1..=truth.len().min(K)).map(gain).sum();
        ndcg += found.iter().copied().map(gain).sum::<f64>() / ideal;
        hits += f64::from(u8::from(!found.is_empty()));
        recall += found.len() as f64 / truth.len() as f64;
        let owned = bought.get(user.as_str());
        let is_new = |item: &String| owned.is_none_or(|b| !b.contains(item.as_str()));
        let new_items = truth.iter().filter(|i| is_new(i)).count();
        if new_items > 0 {
            let new_found = top
                .iter()
                .filter(|i| truth.contains(*i) && is_new(i))
                .count();
            explore += new_found as f64 / new_items as f64;
            explore_users += 1;
        }
    }
    let n = split.users.len() as f64;
    Scores {
        ndcg: ndcg / n,
        hit_rate: hits / n,
        recall: recall / n,
        recall_explore: explore / explore_users as f64,
    }
}

/// `user_id,item_id,rank` as `eval.py` reads it: each user's items by rank, repeats dropped.
fn read_lists(text: &str) -> HashMap<String, Vec<String>> {
    let mut rows = text.lines();
    assert_eq!(rows.next(), Some("user_id,item_id,rank"));
    let mut ranked: HashMap<String, Vec<(u32, String)>> = HashMap::new();
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f.len(), 3, "{row}");
        ranked
            .entry(f[0].to_owned())
            .or_default()
            .push((f[2].parse().unwrap(), f[1].to_owned()));
    }
    ranked
        .into_iter()
        .map(|(user, mut items)| {
            // Stable, like eval.py's mergesort: equal ranks keep the file's order.
            items.sort_by_key(|(rank, _)| *rank);
            let mut seen = HashSet::new();
            let list = items
                .into_iter()
                .map(|(_, item)| item)
                .filter(|item| seen.insert(item.clone()))
                .collect();
            (user, list)
        })
        .collect()
}

/// Items by how many training order lines hold them, most first; ties by id.
fn by_count<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for item in items {
        *counts.entry(item).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.into_iter().map(|(item, _)| item).collect()
}

fn attune_bin() -> PathBuf {
    // Integration tests live in target/<profile>/deps; the binary one level up.
    let exe = std::env::current_exe().unwrap();
    let bin = exe.parent().unwrap().parent().unwrap().join("attune");
    assert!(
        bin.exists(),
        "{} not built: run `cargo build -p attune-server --bin attune` first",
        bin.display()
    );
    bin
}

/// Kept when the test fails, so the run can be re-scored with `eval.py score`.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("eval files kept in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn write_inputs(dir: &Path, lines: &[Line], split: &Split) {
    let mut train = String::from("user_id,item_id,ts,event,order_id,qty,price\n");
    for &i in &split.train {
        let l = &lines[i];
        let (pounds, pence) = (l.price_minor / 100, l.price_minor % 100);
        train.push_str(&format!(
            "{},{},{},purchase,{},{},{pounds}.{pence:02}\n",
            l.user, l.item, l.ts, l.order, l.qty
        ));
    }
    std::fs::write(dir.join("train.csv"), train).unwrap();
    std::fs::write(dir.join("users.txt"), split.users.join("\n") + "\n").unwrap();
    let mut test = String::from("user_id,item_id\n");
    for user in &split.users {
        for item in &split.truth[user] {
            test.push_str(&format!("{user},{item}\n"));
        }
    }
    std::fs::write(dir.join("test.csv"), test).unwrap();
}

#[tokio::test]
async fn next_basket_quality_stays_above_its_floor() {
    let orders = gunzip(&workspace_root().join("server/data/demo/orders.csv.gz")).await;
    let lines = read_orders(&orders);
    let split = split(&lines);
    // What `eval.py split` reports for the same rows: the split is the protocol's.
    let pairs: usize = split.truth.values().map(BTreeSet::len).sum();
    assert_eq!(
        (lines.len(), split.train.len(), split.users.len(), pairs),
        (64_499, 50_966, 719, 13_150)
    );

    let dir = WorkDir(std::env::temp_dir().join(format!("attune-eval-{}", uuid::Uuid::new_v4())));
    std::fs::create_dir_all(&dir.0).unwrap();
    write_inputs(&dir.0, &lines, &split);
    let out = tokio::process::Command::new(attune_bin())
        .arg("eval")
        .arg("--train")
        .arg(dir.0.join("train.csv"))
        .arg("--users")
        .arg(dir.0.join("users.txt"))
        .args(["--k", &K.to_string(), "--out"])
        .arg(dir.0.join("recs.csv"))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = std::fs::read_to_string(dir.0.join("recs.csv")).unwrap();
    let ours = read_lists(&recs);

    let train: Vec<&Line> = split.train.iter().map(|&i| &lines[i]).collect();
    let catalog: HashSet<&str> = train.iter().map(|l| l.item.as_str()).collect();
    assert!(catalog.len() >= K);
    let rows_per_user = recs.lines().skip(1).fold(HashMap::new(), |mut m, row| {
        *m.entry(row.split(',').next().unwrap()).or_insert(0usize) += 1;
        m
    });
    for user in &split.users {
        let list = ours.get(user).map_or(&[][..], Vec::as_slice);
        assert_eq!(list.len(), K, "{user}: {list:?}");
        assert_eq!(rows_per_user[user.as_str()], K, "{user}: repeated items");
    }
    assert_eq!(
        ours.len(),
        split.users.len(),
        "lists for users not asked for"
    );

    let mut bought: HashMap<&str, HashSet<&str>> = HashMap::new();
    for l in &train {
        bought.entry(&l.user).or_default().insert(&l.item);
    }
    let best_sellers: Vec<String> = by_count(train.iter().map(|l| l.item.as_str()))
        .into_iter()
        .take(K)
        .map(str::to_owned)
        .collect();
    let popular: HashMap<String, Vec<String>> = split
        .users
        .iter()
        .map(|u| (u.clone(), best_sellers.clone()))
        .collect();
    // The shopper's own favourites, topped up with best sellers they have not bought.
    let own: HashMap<String, Vec<String>> = split
        .users
        .iter()
        .map(|u| {
            let mine = train.iter().filter(|l| &l.user == u);
            let mut list: Vec<String> = by_count(mine.map(|l| l.item.as_str()))
                .into_iter()
                .map(str::to_owned)
                .collect();
            let fill: Vec<String> = best_sellers
                .iter()
                .filter(|i| !list.contains(i))
                .cloned()
                .collect();
            list.extend(fill);
            list.truncate(K);
            (u.clone(), list)
        })
        .collect();

    let model = score(&ours, &split, &bought);
    let popular = score(&popular, &split, &bought);
    let own = score(&own, &split, &bought);
    for (name, s) in [
        ("attune eval", model),
        ("best sellers", popular),
        ("own most-bought", own),
    ] {
        println!(
            "{name:16} NDCG@{K} {:.5}  HR {:.5}  Recall {:.5}  Recall_explore {:.5}",
            s.ndcg, s.hit_rate, s.recall, s.recall_explore
        );
    }
    assert!(
        model.ndcg >= NDCG_FLOOR,
        "NDCG@{K} {:.5} fell below the floor {NDCG_FLOOR}",
        model.ndcg
    );
    assert!(
        model.ndcg > popular.ndcg,
        "NDCG@{K} {:.5} does not beat best sellers ({:.5})",
        model.ndcg,
        popular.ndcg
    );
    assert!(
        model.ndcg > own.ndcg,
        "NDCG@{K} {:.5} does not beat the shopper's own most-bought items ({:.5})",
        model.ndcg,
        own.ndcg
    );
    assert!(
        model.recall_explore >= EXPLORE_FLOOR,
        "Recall_explore@{K} {:.5} fell below the floor {EXPLORE_FLOOR}",
        model.recall_explore
    );
}
