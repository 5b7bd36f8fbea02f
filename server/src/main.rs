//! The `attune` command.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use attune_server::config::Settings;
use attune_server::services::demo::{self, Progress};
use attune_server::startup::Application;
use attune_server::{db, telemetry};
use clap::{Parser, Subcommand};

/// Attune: personalization for Shopify and BigCommerce stores.
#[derive(Parser)]
#[command(name = "attune", version, about)]
struct Cli {
    /// Optional TOML config file (overridden by ATTUNE__SECTION__KEY environment variables).
    #[arg(long, short, global = true, env = "ATTUNE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (admin, storefront endpoints, webhooks). Needs real Shopify credentials.
    Serve,
    /// Load a demo shop from bundled real data, then serve the admin at /admin and a demo
    /// storefront at /demo. No Shopify store needed.
    Demo,
    /// Apply database migrations and exit.
    Migrate,
    /// Offline evaluation: build the next-basket model from TRAIN and write top-k lists for
    /// USERS (user_id,item_id,rank), for `eval.py score`.
    Eval(attune_server::eval::EvalArgs),
    /// Shopify tools.
    #[command(subcommand)]
    Shopify(ShopifyCommand),
    /// BigCommerce tools.
    #[command(subcommand)]
    Bigcommerce(BigCommerceCommand),
    /// Print a new random key for ATTUNE__SECURITY__TOKEN_KEYS.
    GenerateKey {
        /// The key's id (stored with every value it encrypts).
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Re-encrypt every stored platform token with the current (first) token key.
    RotateKeys,
}

#[derive(Subcommand)]
enum ShopifyCommand {
    /// Run the whole flow against a local stand-in for Shopify: install, sync (with progress),
    /// a signed webhook, recommendations. No store needed.
    Simulate(attune_server::simulate::SimulateArgs),
}

#[derive(Subcommand)]
enum BigCommerceCommand {
    /// Run the whole flow against a local stand-in for BigCommerce: install, sync (with
    /// progress), a signed light webhook, recommendations. No store needed.
    Simulate(attune_server::simulate_bigcommerce::SimulateArgs),
}

/// The demo keeps its data apart from the default database file.
const DEMO_DATABASE: &str = "sqlite://.attune/demo.db";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
    // Offline evaluation reads nothing but its arguments: no configuration, no environment.
    if let Command::Eval(args) = &cli.command {
        let summary = attune_server::eval::run(args)?;
        eprintln!("{summary}");
        return Ok(());
    }
    let mut settings = Settings::load(cli.config.as_deref()).context("invalid configuration")?;
    match cli.command {
        Command::Serve => {
            if settings.uses_dev_credentials() {
                anyhow::bail!(
                    "set ATTUNE__SHOPIFY__API_KEY and ATTUNE__SHOPIFY__API_SECRET to the app's \
                     credentials (the built-in development values are only for `attune demo`)"
                );
            }
            if settings.security.token_keys.is_empty() {
                anyhow::bail!(
                    "set ATTUNE__SECURITY__TOKEN_KEYS to encrypt platform tokens at rest \
                     (make one with `attune generate-key`)"
                );
            }
            let app = Application::build(settings, false).await?;
            tracing::info!(port = app.port(), "attune serving");
            app.run_until_stopped().await?;
        }
        Command::Demo => {
            if std::env::var_os("ATTUNE__DATABASE__URL").is_none() && cli.config.is_none() {
                settings.database.url = DEMO_DATABASE.to_owned();
            }
            let database =
                db::connect(&settings.database.url, settings.database.max_connections).await?;
            eprintln!(
                "Preparing the database ({})…",
                db::redact_url(&settings.database.url)
            );
            db::migrate(&database).await?;
            eprintln!("Loading the demo shop (a sample of the UCI Online Retail data, CC BY 4.0)…");
            let started = std::time::Instant::now();
            let shop = demo::ensure_loaded(&database, print_progress).await?;
            let app = Application::build_with_db(settings, database, true)?;
            // Build the recommendation model now rather than on the first shopper's request.
            app.state().models.get(&app.state().db, shop.id).await?;
            eprintln!(
                "\rDemo shop ready in {:.1}s.{:40}",
                started.elapsed().as_secs_f32(),
                ""
            );
            let host = match app.state().settings.server.host.as_str() {
                "0.0.0.0" | "::" => "127.0.0.1".to_owned(),
                h => h.to_owned(),
            };
            let base = format!("http://{host}:{}", app.port());
            println!("Attune demo is running (Ctrl-C to stop):");
            println!("  Merchant admin:   {base}/admin");
            println!("  Demo storefront:  {base}/demo");
            std::io::stdout().flush().ok();
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let database =
                db::connect(&settings.database.url, settings.database.max_connections).await?;
            db::migrate(&database).await?;
            println!(
                "migrations applied to {}",
                db::redact_url(&settings.database.url)
            );
        }
        Command::Shopify(ShopifyCommand::Simulate(args)) => {
            if std::env::var_os("ATTUNE__DATABASE__URL").is_none() && cli.config.is_none() {
                let _ = std::fs::remove_file(".attune/simulate.db");
                settings.database.url = "sqlite://.attune/simulate.db".to_owned();
            }
            attune_server::simulate::run(settings, &args).await?;
        }
        Command::Bigcommerce(BigCommerceCommand::Simulate(args)) => {
            if std::env::var_os("ATTUNE__DATABASE__URL").is_none() && cli.config.is_none() {
                let _ = std::fs::remove_file(".attune/simulate-bigcommerce.db");
                settings.database.url = "sqlite://.attune/simulate-bigcommerce.db".to_owned();
            }
            attune_server::simulate_bigcommerce::run(settings, &args).await?;
        }
        Command::GenerateKey { id } => {
            println!("{}", attune_server::crypto::TokenCipher::generate_key(&id));
        }
        Command::RotateKeys => {
            anyhow::ensure!(
                !settings.security.token_keys.is_empty(),
                "set ATTUNE__SECURITY__TOKEN_KEYS=new:...,old:... (the new key first)"
            );
            let cipher = attune_server::crypto::TokenCipher::new(&settings.security.token_keys)?;
            let database =
                db::connect(&settings.database.url, settings.database.max_connections).await?;
            let report = attune_server::services::keys::rotate(&database, &cipher).await?;
            println!(
                "re-encrypted {} shops' tokens with key {}; {} already current",
                report.rotated,
                cipher.current_key_id(),
                report.already_current
            );
        }
        // Handled above, before the configuration is read.
        Command::Eval(_) => {}
    }
    Ok(())
}

fn print_progress(p: Progress) {
    match p {
        Progress::Products(n) => eprint!("\r  products: {n}{:30}", ""),
        Progress::Customers(n) => eprint!("\r  customers: {n}{:30}", ""),
        Progress::Orders { done, total } => {
            eprint!(
                "\r  orders: {done}/{total} ({}%){:10}",
                done * 100 / total.max(1),
                ""
            )
        }
    }
    std::io::stderr().flush().ok();
}
