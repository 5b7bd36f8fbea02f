//! Builds the App exactly as production runs it; tests bind port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpRequest, HttpServer, middleware, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::error::{self, AppError};
use crate::platform::shopify::{self, Shopify};
use crate::routes;
use crate::services::{demo, recommend::ModelCache, theme::Theme};
use crate::state::{AppState, DemoContext, Mode};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    stop_workers: tokio::sync::watch::Sender<bool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects to the configured database, applies migrations and binds the listener.
    pub async fn build(settings: Settings, demo_mode: bool) -> anyhow::Result<Self> {
        let db =
            crate::db::connect(&settings.database.url, settings.database.max_connections).await?;
        crate::db::migrate(&db).await?;
        Self::build_with_db(settings, db, demo_mode)
    }

    pub fn build_with_db(
        settings: Settings,
        db: DatabaseConnection,
        demo_mode: bool,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "could not listen on {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let mode = if demo_mode {
            let host = match settings.server.host.as_str() {
                "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                h => h,
            };
            Mode::Demo(DemoContext {
                shop: shopify::parse_shop(demo::DEMO_SHOP).context("demo shop domain")?,
                self_url: format!("http://{host}:{port}"),
            })
        } else {
            Mode::Production
        };
        let shopify = Arc::new(Shopify::new(
            &settings.shopify.api_key,
            &settings.shopify.api_secret,
            &settings.shopify.previous_api_secrets,
        ));
        let wakeup = Arc::new(crate::jobs::Wakeup::default());
        let keys = if settings.security.token_keys.is_empty() {
            tracing::warn!("no ATTUNE__SECURITY__TOKEN_KEYS: using the public development key");
            vec![secrecy::SecretString::from(
                crate::config::DEV_TOKEN_KEY.to_owned(),
            )]
        } else {
            settings.security.token_keys.clone()
        };
        let cipher =
            Arc::new(crate::crypto::TokenCipher::new(&keys).context("invalid token keys")?);
        let transport = shopify::client::RoutedTransport::new(settings.shopify.api_origin.clone())
            .context("could not build the Shopify HTTP client")?;
        let oauth = Arc::new(shopify::client::ShopifyOAuth::new(
            &settings.shopify.api_key,
            secrecy::ExposeSecret::expose_secret(&settings.shopify.api_secret),
            transport,
            Arc::new(crate::services::install::DbTokenSink {
                db: db.clone(),
                cipher: cipher.clone(),
            }),
        ));
        let segments: Arc<crate::services::segments::SegmentCache> = Arc::default();
        let events = crate::services::events::EventSink::start(db.clone(), segments.clone());
        let state = AppState {
            jobs: wakeup.clone(),
            cipher,
            oauth,
            shopify,
            db,
            settings: Arc::new(settings),
            mode: Arc::new(mode),
            models: Arc::new(ModelCache::default()),
            events,
            segments,
            widgets: Arc::default(),
            answers: Arc::default(),
            offer_models: Arc::default(),
            experiments: Arc::default(),
            theme: Arc::new(Theme::load().context("could not load the theme extension")?),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .context("could not build the HTTP client")?,
        };
        let server_state = state.clone();
        let shutdown = state.settings.server.shutdown_timeout_secs;
        let server = HttpServer::new(move || {
            let state = server_state.clone();
            App::new()
                .wrap(middleware::Compress::default())
                .wrap(middleware::ErrorHandlers::new().default_handler(error::json_error_bodies))
                .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
                .app_data(web::Data::new(state.clone()))
                .app_data(error::json_config())
                .app_data(error::query_config())
                .app_data(error::path_config())
                .app_data(error::form_config())
                .configure(|cfg| routes::configure(cfg, &state))
                .default_service(web::to(not_found))
        })
        .workers(match state.settings.server.http_workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        })
        .listen(listener)?
        // We handle signals ourselves so SIGINT is graceful too (actix forces on SIGINT).
        .disable_signals()
        .shutdown_timeout(shutdown)
        .run();
        let (stop_workers, stop) = tokio::sync::watch::channel(false);
        let mut workers: Vec<tokio::task::JoinHandle<()>> = (0..state.settings.jobs.workers)
            .map(|_| crate::jobs::spawn(state.clone(), wakeup.clone(), stop.clone()))
            .collect();
        workers.push(crate::services::recommend::spawn_scheduled_rebuild(
            state.db.clone(),
            state.models.clone(),
            stop.clone(),
        ));
        Ok(Application {
            port,
            server,
            state,
            stop_workers,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting and lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutdown signal received; finishing in-flight requests");
            handle.stop(true).await;
        });
        let served = self.server.await;
        // Jobs are durable: a worker stopped mid-job leaves it to be taken again.
        let _ = self.stop_workers.send(true);
        for w in self.workers {
            let _ = w.await;
        }
        served
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}
