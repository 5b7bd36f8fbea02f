//! Storage. Entities and the query modules that are the only code building queries.
//!
//! Every query function that touches shop data takes a [`ShopId`]; there is no way to
//! read or write a shop's rows without one.

pub mod catalog;
pub mod catalog_changes;
pub mod compliance;
pub mod entities;
pub mod events;
pub mod experiments;
pub mod jobs;
pub mod models;
pub mod offers;
pub mod order_changes;
pub mod orders;
pub mod rollups;
pub mod segments;
pub mod shops;
pub mod webhooks;
pub mod widgets;

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

pub use sea_orm::DbErr;

/// Our id of a shop. Obtained only from a verified request, an install, or the demo loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShopId(i64);

impl ShopId {
    /// Only `db/` mints shop ids, from rows it read.
    pub(crate) fn from_row(id: i64) -> Self {
        ShopId(id)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for ShopId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Opens the configured database. SQLite files are created on first use and run in WAL
/// mode with foreign keys enforced.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let url = normalize_sqlite_url(url)?;
    let mut opts = ConnectOptions::new(url.clone());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
        });
    let db = Database::connect(opts)
        .await
        .with_context(|| format!("could not open the database at {}", redact_url(&url)))?;
    Ok(db)
}

/// `sqlite://relative/path.db` and `sqlite:///abs/path.db` both work; the parent directory
/// is created so a fresh clone runs without setup.
fn normalize_sqlite_url(url: &str) -> anyhow::Result<String> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(url.to_owned());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if !path.is_empty()
        && path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("could not create {}", parent.display()))?;
    }
    Ok(url.to_owned())
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Is the database answering?
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Refreshes the query planner's statistics after a bulk load. PostgreSQL otherwise plans
/// joins over freshly filled tables as if they were nearly empty (a nested loop over thousands
/// of orders took 35 s instead of 0.1 s); SQLite plans well without it.
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

/// Applies pending migrations. Idempotent; when two processes start at once the loser of
/// the race sees the winner's work on its retry.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    use attune_migrations::{Migrator, MigratorTrait};
    let mut attempt = 0;
    loop {
        match Migrator::up(db, None).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 3 => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "migration attempt failed; retrying");
                tokio::time::sleep(Duration::from_millis(300 * attempt)).await;
            }
            Err(e) => return Err(e).context("migration failed"),
        }
    }
}
