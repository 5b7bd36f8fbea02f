//! Test harness: the real server (same `Application` as production) on port 0, with a fresh
//! database per test, SQLite or PostgreSQL.
//!
//! PostgreSQL comes from `ATTUNE_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database and
//! drops it afterwards. If PostgreSQL is unreachable the PostgreSQL tests fail: they never
//! skip silently.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod browser;

use std::path::{Path, PathBuf};

use attune_server::config::Settings;
use attune_server::platform::shopify::{Shopify, parse_shop};
use attune_server::services::demo;
use attune_server::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub const API_KEY: &str = "test-api-key";
pub const API_SECRET: &str = "test-api-secret";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::Backend::Sqlite).await }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name($crate::Backend::Postgres).await }
            )*
        }
    };
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn postgres_admin_url() -> String {
    std::env::var("ATTUNE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database made for one test, removed when dropped.
pub struct TestDatabase {
    pub url: String,
    pg_name: Option<String>,
    dir: Option<PathBuf>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("attune-test-{id}"));
                std::fs::create_dir_all(&dir).unwrap();
                TestDatabase {
                    url: format!("sqlite://{}", dir.join("attune.db").display()),
                    pg_name: None,
                    dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for this test and is not reachable at {admin_url}: {e}")
                });
                let name = format!("attune_test_{id}");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                TestDatabase {
                    url: format!("{base}/{name}"),
                    pg_name: Some(name),
                    dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.pg_name.take() {
            // Drop needs its own runtime: the test's may be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(&postgres_admin_url()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    let mut s = Settings::load(None).expect("default settings");
    s.server.host = "127.0.0.1".into();
    s.server.port = 0;
    s.server.shutdown_timeout_secs = 2;
    s.database.url = database_url.to_owned();
    s.database.max_connections = 5;
    s.shopify.api_key = API_KEY.into();
    s.shopify.api_secret = API_SECRET.to_owned().into();
    s.app.public_dir = workspace_root().join("public");
    s
}

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    pub database: std::sync::Arc<TestDatabase>,
    handle: actix_web::dev::ServerHandle,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// Starts the app in production mode on a fresh database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    let database = std::sync::Arc::new(TestDatabase::new(backend).await);
    spawn_on(database, false).await
}

/// Starts the app in demo mode with the demo shop loaded, on a fresh database.
pub async fn spawn_demo(backend: Backend) -> TestApp {
    let database = std::sync::Arc::new(TestDatabase::new(backend).await);
    spawn_on(database, true).await
}

/// Starts another process-equivalent app on an existing database.
pub async fn spawn_on(database: std::sync::Arc<TestDatabase>, demo_mode: bool) -> TestApp {
    spawn_configured(database, demo_mode, |_| {}).await
}

/// Starts the app in production mode on a fresh database, with settings adjusted first.
pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = std::sync::Arc::new(TestDatabase::new(backend).await);
    spawn_configured(database, false, adjust).await
}

pub async fn spawn_configured(
    database: std::sync::Arc<TestDatabase>,
    demo_mode: bool,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    attune_server::telemetry::init();
    let mut settings = test_settings(&database.url);
    adjust(&mut settings);
    let db = attune_server::db::connect(&settings.database.url, 5)
        .await
        .unwrap();
    attune_server::db::migrate(&db).await.unwrap();
    if demo_mode {
        demo::ensure_loaded(&db, |_| {}).await.unwrap();
    }
    let app = Application::build_with_db(settings, db.clone(), demo_mode).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        db,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        database,
        handle,
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Gives an installed fixture shop a (non-expiring) access token, encrypted with the
/// development key the test app uses, as an install would.
pub async fn give_tokens(db: &DatabaseConnection, shop_domain: &str) {
    let cipher = attune_server::crypto::TokenCipher::new(&[attune_server::config::DEV_TOKEN_KEY
        .to_owned()
        .into()])
    .unwrap();
    let shop = attune_server::db::shops::find_by_domain(db, "shopify", shop_domain)
        .await
        .unwrap()
        .unwrap();
    let sealed = attune_server::services::install::seal(
        &cipher,
        shop_domain,
        &attune_server::platform::shopify::TokenData::new("shpat_fixture"),
    );
    attune_server::db::shops::store_tokens(db, shop.id, &sealed)
        .await
        .unwrap();
}

/// Signs as Shopify does, with `secret`.
pub fn shopify_signer(secret: &str) -> Shopify {
    Shopify::new(API_KEY, &secret.to_owned().into(), &[])
}

/// A session token for `shop` signed with `secret`, issued at `issued_at` for 60 s.
pub fn session_token_with(shop: &str, secret: &str, issued_at: i64) -> String {
    shopify_signer(secret).sign_session_token(&parse_shop(shop).unwrap(), "1", issued_at, 60)
}

/// A session token as App Bridge would send for `shop`.
pub fn session_token_for(shop: &str) -> String {
    session_token_with(shop, API_SECRET, now() as i64)
}

/// Signs `query` as Shopify's app proxy does and appends the signature.
pub fn proxy_query(query: &str) -> String {
    format!(
        "{query}&signature={}",
        shopify_signer(API_SECRET).sign_app_proxy(query).unwrap()
    )
}
