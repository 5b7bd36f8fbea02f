//! `attune eval`: runs the next-basket engine on an offline split and writes its lists, so the
//! offline protocol (`eval.py score`) measures exactly the code the server runs.
//!
//! Reads only its arguments: TRAIN (`user_id,item_id,ts,event,order_id[,qty,price]`), USERS
//! (one user id per line), optionally CATALOG (`item_id[,title][,category]`); any of them may be
//! gzip-compressed. Writes `user_id,item_id,rank` for every user in USERS (rank 1 = best).
//! String ids become dense indices in sorted order, so the engine's index tie-breaks follow
//! the ids. Bad input is an error naming the file, line and field.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use attune_engine::nextbasket::{Config, Event, Interaction, ItemMeta, NextBasketModel, Weights};

#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Training interactions (CSV: user_id,item_id,ts,event,order_id[,qty,price]).
    #[arg(long)]
    pub train: PathBuf,
    /// Users to recommend for, one id per line.
    #[arg(long)]
    pub users: PathBuf,
    /// List length per user.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Where to write user_id,item_id,rank.
    #[arg(long)]
    pub out: PathBuf,
    /// Optional catalog (CSV: item_id,title,category,...) for title similarity.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{file}: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: missing column `{column}`")]
    MissingColumn { file: String, column: &'static str },
    #[error("{file}: line {line}: field `{field}`: {message}")]
    Field {
        file: String,
        line: u64,
        field: &'static str,
        message: String,
    },
    /// Malformed CSV; the csv crate's message carries the line.
    #[error("{file}: {message}")]
    Csv { file: String, message: String },
}

/// What a run did, for the operator.
#[derive(Debug, Clone)]
pub struct Summary {
    pub rows: usize,
    pub users: usize,
    pub items: usize,
    pub listed_users: usize,
    pub cold_users: usize,
    pub load_secs: f64,
    pub build_secs: f64,
    pub recommend_secs: f64,
    /// Peak resident memory of the process (VmHWM), when the OS reports it.
    pub peak_rss_kib: Option<u64>,
    pub weights: Weights,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "train: {} rows, {} users, {} items; lists for {} users ({} unknown to train)",
            self.rows, self.users, self.items, self.listed_users, self.cold_users
        )?;
        writeln!(
            f,
            "load {:.2}s, model build {:.2}s, recommend {:.2}s",
            self.load_secs, self.build_secs, self.recommend_secs
        )?;
        if let Some(kib) = self.peak_rss_kib {
            writeln!(f, "peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0)?;
        }
        write!(
            f,
            "weights ({} holdout users): {}",
            self.weights.fit_users, self.weights
        )
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> EvalError + '_ {
    move |error| EvalError::Io {
        file: path.display().to_string(),
        error,
    }
}

/// A reader over the file, transparently gunzipped when it starts with the gzip magic.
fn open(path: &Path) -> Result<Box<dyn BufRead>, EvalError> {
    let mut r = BufReader::new(File::open(path).map_err(io_err(path))?);
    let gz = r
        .fill_buf()
        .map_err(io_err(path))?
        .starts_with(&[0x1f, 0x8b]);
    Ok(if gz {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(r)))
    } else {
        Box::new(r)
    })
}

/// A CSV file with named columns.
struct Table {
    file: String,
    reader: csv::Reader<Box<dyn Read>>,
    header: Vec<String>,
}

impl Table {
    fn open(path: &Path) -> Result<Self, EvalError> {
        let file = path.display().to_string();
        let reader: Box<dyn Read> = open(path)?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header = reader
            .headers()
            .map_err(|e| csv_err(&file, &e))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        Ok(Table {
            file,
            reader,
            header,
        })
    }

    fn column(&self, name: &'static str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    fn required(&self, name: &'static str) -> Result<usize, EvalError> {
        self.column(name).ok_or_else(|| EvalError::MissingColumn {
            file: self.file.clone(),
            column: name,
        })
    }

    /// Calls `f` for every data row.
    fn for_each(
        &mut self,
        mut f: impl FnMut(&Row<'_>) -> Result<(), EvalError>,
    ) -> Result<(), EvalError> {
        let mut rec = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut rec) {
                Ok(false) => return Ok(()),
                Ok(true) => f(&Row {
                    file: &self.file,
                    line: rec.position().map_or(0, |p| p.line()),
                    rec: &rec,
                })?,
                Err(e) => return Err(csv_err(&self.file, &e)),
            }
        }
    }
}

/// One data row; its errors name the file, line and field.
struct Row<'a> {
    file: &'a str,
    line: u64,
    rec: &'a csv::StringRecord,
}

impl Row<'_> {
    fn bad(&self, field: &'static str, message: String) -> EvalError {
        EvalError::Field {
            file: self.file.to_owned(),
            line: self.line,
            field,
            message,
        }
    }

    fn get(&self, idx: usize, field: &'static str) -> Result<&str, EvalError> {
        (self.rec.get(idx))
            .ok_or_else(|| self.bad(field, "missing (the row has too few fields)".to_owned()))
    }

    /// An optional column's value, trimmed ("" when absent).
    fn opt(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.rec.get(i)).unwrap_or("").trim()
    }
}

fn csv_err(file: &str, e: &csv::Error) -> EvalError {
    let (file, message) = (file.to_owned(), e.to_string());
    EvalError::Csv { file, message }
}

/// Unix seconds from epoch seconds or an ISO-like date-time (read as UTC).
pub fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    if let Ok(x) = s.parse::<f64>() {
        return (x.is_finite() && x.abs() < 1e15).then_some(x.floor() as i64);
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp());
    }
    const FORMATS: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    for f in FORMATS {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(dt.and_utc().timestamp());
        }
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

/// Dense indices for string ids, assigned in sorted order once all ids are seen.
#[derive(Default)]
struct Interner {
    first_seen: HashMap<String, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.first_seen.get(s) {
            return i;
        }
        let i = self.first_seen.len() as u32;
        self.first_seen.insert(s.to_owned(), i);
        i
    }

    /// (sorted ids, first-seen index -> sorted index)
    fn finish(self) -> (Vec<String>, Vec<u32>) {
        let mut ids: Vec<(String, u32)> = self.first_seen.into_iter().collect();
        ids.sort_unstable();
        let mut remap = vec![0u32; ids.len()];
        for (sorted, (_, first)) in ids.iter().enumerate() {
            remap[*first as usize] = sorted as u32;
        }
        (ids.into_iter().map(|(s, _)| s).collect(), remap)
    }
}

struct Train {
    rows: Vec<Interaction>,
    users: Vec<String>,
    items: Vec<String>,
}

fn read_train(path: &Path) -> Result<Train, EvalError> {
    let mut t = Table::open(path)?;
    let cols = [
        t.required("user_id")?,
        t.required("item_id")?,
        t.required("ts")?,
        t.required("event")?,
        t.required("order_id")?,
    ];
    let qty_col = t.column("qty");
    let (mut users, mut items, mut orders) = (
        Interner::default(),
        Interner::default(),
        Interner::default(),
    );
    let mut rows = Vec::new();
    t.for_each(|row| {
        let get = |i: usize, name| row.get(cols[i], name);
        let user = get(0, "user_id")?;
        if user.is_empty() {
            return Ok(()); // anonymous rows carry no history
        }
        let raw_ts = get(2, "ts")?;
        let ts = parse_ts(raw_ts).ok_or_else(|| {
            row.bad(
                "ts",
                format!("`{raw_ts}` is neither epoch seconds nor YYYY-MM-DD HH:MM:SS"),
            )
        })?;
        let event = match get(3, "event")?.trim() {
            "purchase" => Event::Purchase,
            "cart" => Event::Cart,
            "view" => Event::View,
            other => {
                return Err(row.bad("event", format!("`{other}` is not purchase, cart or view")));
            }
        };
        let qty = match row.opt(qty_col) {
            "" => 1.0,
            q => {
                (q.parse::<f32>()).map_err(|_| row.bad("qty", format!("`{q}` is not a number")))?
            }
        };
        rows.push(Interaction {
            user: users.id(user),
            item: items.id(get(1, "item_id")?),
            ts,
            event,
            order: orders.id(get(4, "order_id")?),
            qty,
        });
        Ok(())
    })?;
    let (users, user_map) = users.finish();
    let (items, item_map) = items.finish();
    let (_, order_map) = orders.finish();
    for r in &mut rows {
        r.user = user_map[r.user as usize];
        r.item = item_map[r.item as usize];
        r.order = order_map[r.order as usize];
    }
    Ok(Train { rows, users, items })
}

/// Titles and categories for the training items (first row per item wins).
fn read_catalog(path: &Path, items: &[String]) -> Result<Vec<ItemMeta>, EvalError> {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut t = Table::open(path)?;
    let id_col = t.required("item_id")?;
    let (title_col, cat_col) = (t.column("title"), t.column("category"));
    let mut meta = vec![ItemMeta::default(); items.len()];
    let mut done = vec![false; items.len()];
    t.for_each(|row| {
        if let Some(&i) = index.get(row.get(id_col, "item_id")?)
            && !done[i]
        {
            done[i] = true;
            meta[i] = ItemMeta {
                title: row.opt(title_col).to_owned(),
                category: row.opt(cat_col).to_owned(),
            };
        }
        Ok(())
    })?;
    Ok(meta)
}

fn read_users(path: &Path) -> Result<Vec<String>, EvalError> {
    let mut out = Vec::new();
    for line in open(path)?.lines() {
        let line = line.map_err(io_err(path))?;
        let id = line.trim();
        if !id.is_empty() {
            out.push(id.to_owned());
        }
    }
    Ok(out)
}

/// Peak resident set size in KiB, from `/proc/self/status` where there is one.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads the inputs, builds the model with `Config::default()`, writes the lists.
pub fn run(args: &EvalArgs) -> Result<Summary, EvalError> {
    let started = Instant::now();
    let train = read_train(&args.train)?;
    let meta = match &args.catalog {
        Some(p) => Some(read_catalog(p, &train.items)?),
        None => None,
    };
    let wanted = read_users(&args.users)?;
    let load_secs = started.elapsed().as_secs_f64();

    let built = Instant::now();
    let model = NextBasketModel::build(
        &train.rows,
        train.users.len(),
        train.items.len(),
        meta.as_deref(),
        &Config::default(),
    );
    let build_secs = built.elapsed().as_secs_f64();

    let listed = Instant::now();
    let user_index: HashMap<&str, u32> = train
        .users
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    // Users unknown to TRAIN get an out-of-range index: the engine's popularity fallback.
    let dense: Vec<u32> = wanted
        .iter()
        .map(|u| user_index.get(u.as_str()).copied().unwrap_or(u32::MAX))
        .collect();
    let lists = model.recommend_many(&dense, args.k, |_, _| false);
    let recommend_secs = listed.elapsed().as_secs_f64();

    let out = File::create(&args.out).map_err(io_err(&args.out))?;
    let mut w = csv::Writer::from_writer(out);
    let mut write = |rec: [&str; 3]| w.write_record(rec);
    let written = write(["user_id", "item_id", "rank"]).and_then(|()| {
        for (user, list) in wanted.iter().zip(&lists) {
            for (rank, s) in list.iter().enumerate() {
                write([user, &train.items[s.item as usize], &(rank + 1).to_string()])?;
            }
        }
        Ok(())
    });
    written.map_err(|e| csv_err(&args.out.display().to_string(), &e))?;
    w.flush().map_err(io_err(&args.out))?;

    Ok(Summary {
        rows: train.rows.len(),
        users: train.users.len(),
        items: train.items.len(),
        listed_users: wanted.len(),
        cold_users: dense.iter().filter(|&&u| u == u32::MAX).count(),
        load_secs,
        build_secs,
        recommend_secs,
        peak_rss_kib: peak_rss_kib(),
        weights: *model.weights(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("attune-eval-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn args(d: &Path, train: &str, users: &str) -> EvalArgs {
        std::fs::write(d.join("train.csv"), train).unwrap();
        std::fs::write(d.join("users.txt"), users).unwrap();
        EvalArgs {
            train: d.join("train.csv"),
            users: d.join("users.txt"),
            k: 3,
            out: d.join("recs.csv"),
            catalog: None,
        }
    }

    const HEADER: &str = "user_id,item_id,ts,event,order_id,qty,price\n";

    #[test]
    fn timestamps() {
        assert_eq!(parse_ts("2010-12-01 08:26:00"), Some(1_291_191_960));
        assert_eq!(parse_ts("1291191960"), Some(1_291_191_960));
        assert_eq!(parse_ts("2010-12-01T08:26:00Z"), Some(1_291_191_960));
        assert_eq!(parse_ts("2010-12-01"), Some(1_291_161_600));
        assert_eq!(parse_ts("yesterday"), None);
    }

    #[test]
    fn writes_a_list_for_every_user() {
        let d = dir("ok");
        let train = format!(
            "{HEADER}a,x,2011-01-01 10:00:00,purchase,1,2,1.5\na,y,2011-01-01 10:00:00,purchase,1,,\n\
             b,y,1293876000,purchase,2,1,\nb,z,2011-01-03 10:00:00,view,,,\n,x,2011-01-03 10:00:00,view,,,\n"
        );
        let a = args(&d, &train, "a\nnobody\n\n");
        let s = run(&a).unwrap();
        assert_eq!((s.rows, s.users, s.items, s.cold_users), (4, 2, 3, 1));
        let out = std::fs::read_to_string(&a.out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "user_id,item_id,rank");
        assert_eq!(lines.iter().filter(|l| l.starts_with("a,")).count(), 3);
        assert_eq!(lines.iter().filter(|l| l.starts_with("nobody,")).count(), 3);
        assert!(lines.contains(&"nobody,y,1"), "{out}");
    }

    #[test]
    fn bad_input_names_file_line_and_field() {
        let d = dir("bad");
        let a = args(
            &d,
            "user_id,item_id,event,order_id\na,x,purchase,1\n",
            "a\n",
        );
        let e = run(&a).unwrap_err().to_string();
        assert!(
            e.contains("train.csv") && e.contains("missing column `ts`"),
            "{e}"
        );

        let train =
            format!("{HEADER}a,x,2011-01-01 10:00:00,purchase,1,,\na,x,soon,purchase,1,,\n");
        let e = run(&args(&d, &train, "a\n")).unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("field `ts`") && e.contains("soon"),
            "{e}"
        );

        let train = format!("{HEADER}a,x,1,refund,1,,\n");
        let e = run(&args(&d, &train, "a\n")).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("field `event`"), "{e}");

        let mut a = args(&d, HEADER, "a\n");
        a.users = d.join("missing.txt");
        let e = run(&a).unwrap_err().to_string();
        assert!(e.contains("missing.txt"), "{e}");
    }
}
