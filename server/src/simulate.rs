//! `attune shopify simulate`: the whole Shopify flow on one machine, without a store. It
//! starts the local stand-in for Shopify, serves Attune against it, installs the app as the
//! admin would (session token -> token exchange), shows the first sync's progress, delivers a
//! signed webhook, and asks for recommendations learned from the synced orders.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::Settings;
use crate::platform::shopify::standin::{StandIn, StandInConfig};
use crate::services::sync::SyncStatus;
use crate::startup::Application;

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Shopify payloads the stand-in serves (catalogs/ and webhooks/).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/shopify"))]
    pub data: PathBuf,
    /// Keep serving (admin at /admin, app proxy at /proxy) after the run, until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
}

const PHASES: [&str; 4] = ["collections", "products", "customers", "orders"];

pub(crate) fn bar(s: &SyncStatus) -> String {
    let done = match s.status.as_str() {
        "done" => PHASES.len(),
        _ => PHASES.iter().position(|p| *p == s.phase).unwrap_or(0),
    };
    let width = 24;
    let filled = done * width / PHASES.len();
    format!(
        "[{}{}] {:<11} collections {:>4}  products {:>5}  customers {:>5}  orders {:>6}",
        "#".repeat(filled),
        ".".repeat(width - filled),
        if s.status == "done" {
            "done"
        } else {
            s.phase.as_str()
        },
        s.counts.collections,
        s.counts.products,
        s.counts.customers,
        s.counts.orders
    )
}

pub async fn run(mut settings: Settings, args: &SimulateArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.data.join("catalogs").is_dir(),
        "no Shopify payloads at {} (pass --data DIR with catalogs/ and webhooks/)",
        args.data.display()
    );
    let standin = StandIn::start(StandInConfig::new(
        &settings.shopify.api_key,
        secrecy::ExposeSecret::expose_secret(&settings.shopify.api_secret),
        &args.data,
    ))
    .await
    .context("could not start the Shopify stand-in")?;
    eprintln!(
        "Shopify stand-in for {} at {}",
        standin.shop_domain(),
        standin.base_url()
    );
    settings.shopify.api_origin = Some(standin.base_url());

    let db = crate::db::connect(&settings.database.url, settings.database.max_connections).await?;
    crate::db::migrate(&db).await?;
    let app = Application::build_with_db(settings, db, false)?;
    let state = app.state().clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();

    eprintln!("Installing (the admin's session token is exchanged for an expiring offline token)…");
    let shop =
        crate::platform::shopify::parse_shop(standin.shop_domain()).context("stand-in shop")?;
    let now = chrono::Utc::now().timestamp();
    let id_token = state.shopify.sign_session_token(&shop, "1", now, 60);
    let r = http
        .get(format!(
            "{base}/admin?embedded=1&shop={shop}&id_token={id_token}"
        ))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "install failed: {}",
        r.text().await.unwrap_or_default()
    );
    let shop_row = crate::db::shops::find_by_domain(
        &state.db,
        crate::platform::shopify::PLATFORM,
        shop.as_str(),
    )
    .await?
    .context("the shop was not installed")?;

    eprintln!("First sync (bulk operations):");
    let started = Instant::now();
    loop {
        let s = crate::services::sync::status(&state, shop_row.id).await?;
        eprint!("\r  {}", bar(&s));
        std::io::stderr().flush().ok();
        let pending = crate::db::jobs::pending(&state.db, shop_row.id).await?;
        if s.status == "failed" {
            anyhow::bail!("sync failed: {}", s.error.unwrap_or_default());
        }
        if s.status == "done" && pending == 0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "sync did not finish in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    eprintln!("\n  finished in {:.1}s", started.elapsed().as_secs_f32());

    let order = standin.order_payload(90_001, &[0, 1], None);
    let status = standin
        .send_webhook(&format!("{base}/webhooks/shopify"), "orders/create", &order)
        .await?;
    eprintln!("Webhook orders/create delivered, signed like Shopify: HTTP {status}");

    let token = state
        .shopify
        .sign_session_token(&shop, "1", chrono::Utc::now().timestamp(), 60);
    let widget: attune_api::widgets::Widget = http
        .post(format!("{base}/api/admin/widgets"))
        .bearer_auth(&token)
        .json(&attune_api::widgets::WidgetInput::new(
            "Simulated: bought together",
            attune_api::widgets::Placement::ProductPage,
            attune_api::widgets::Strategy::FrequentlyBoughtTogether,
            4,
            "Goes well with",
        ))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let seed = standin
        .product_payload(0)
        .and_then(|p| {
            p.get("admin_graphql_api_id")
                .and_then(serde_json::Value::as_str)
                .and_then(|g| g.rsplit('/').next().map(str::to_owned))
        })
        .context("stand-in has no products")?;
    let recs: attune_api::storefront::Recommendations = http
        .get(format!(
            "{base}/storefront/recommendations?widget={}&product={seed}",
            widget.id
        ))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("Recommendations for product {seed} (widget {}):", widget.id);
    for (i, p) in recs.products.iter().enumerate() {
        println!(
            "  {}. {} ({}) [{}]",
            i + 1,
            p.title,
            p.price.formatted,
            p.reason
        );
    }
    if args.serve {
        println!(
            "Serving at {base} (Ctrl-C to stop). Stand-in Shopify at {}",
            standin.base_url()
        );
        server.await??;
    } else {
        handle.stop(true).await;
        server.await??;
    }
    standin.stop().await;
    Ok(())
}
