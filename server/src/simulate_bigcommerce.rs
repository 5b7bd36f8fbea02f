//! `attune bigcommerce simulate`: the whole BigCommerce flow on one machine, without a store.
//! It starts the local stand-in for BigCommerce (login service and a store's REST API), serves
//! Attune against it, installs the app as the control panel would (`/bigcommerce/auth` with a
//! one-time code), shows the first sync's progress, delivers a signed light webhook for a new
//! order, and asks for recommendations learned from the synced orders.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::config::Settings;
use crate::platform::bigcommerce::standin::BigCommerceStandIn;
use crate::platform::bigcommerce::webhooks::{SECRET_HEADER, store_secret};
use crate::startup::Application;

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Catalogs the stand-in store is made from (the Shopify payload folder: catalogs/).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/shopify"))]
    pub data: PathBuf,
    /// Keep serving after the run, until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
}

const STORE: &str = "simstore01";
/// Development credentials, used when none are configured (the stand-in accepts any).
const DEV_CLIENT_ID: &str = "attune-dev-client";
const DEV_CLIENT_SECRET: &str = "attune-dev-client-secret";
const SCOPES: &str = "store_v2_products_read_only store_v2_customers_read_only store_v2_orders_read_only store_v2_marketing store_v2_content";

pub async fn run(mut settings: Settings, args: &SimulateArgs) -> anyhow::Result<()> {
    use secrecy::ExposeSecret;
    anyhow::ensure!(
        args.data.join("catalogs").is_dir(),
        "no catalogs at {} (pass --data DIR with catalogs/)",
        args.data.display()
    );
    if settings.bigcommerce.client_id.is_empty() {
        settings.bigcommerce.client_id = DEV_CLIENT_ID.into();
        settings.bigcommerce.client_secret = DEV_CLIENT_SECRET.to_owned().into();
    }
    // The stand-in checks the redirect URI, so the port is chosen first.
    let port = std::net::TcpListener::bind((settings.server.host.as_str(), 0))?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    settings.server.port = port;
    settings.app.url = base.clone();
    let client_id = settings.bigcommerce.client_id.clone();
    let secret = settings
        .bigcommerce
        .client_secret
        .expose_secret()
        .to_owned();
    let standin = BigCommerceStandIn::start_with_store(
        &client_id,
        &secret,
        &format!("{base}/bigcommerce/auth"),
        &args.data,
        STORE,
    )
    .await
    .context("could not start the BigCommerce stand-in")?;
    eprintln!(
        "BigCommerce stand-in for store {STORE} at {}",
        standin.base_url()
    );
    settings.bigcommerce.api_origin = standin.base_url().to_owned();
    settings.bigcommerce.login_origin = standin.base_url().to_owned();

    let db = crate::db::connect(&settings.database.url, settings.database.max_connections).await?;
    crate::db::migrate(&db).await?;
    let app = Application::build_with_db(settings, db, false)?;
    let state = app.state().clone();
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();

    eprintln!("Installing (the control panel's one-time code is exchanged for a token)…");
    let code = standin.authorize(STORE, SCOPES);
    let r = http
        .get(format!(
            "{base}/bigcommerce/auth?code={code}&scope={}&context=stores/{STORE}",
            SCOPES.replace(' ', "+")
        ))
        .send()
        .await?;
    anyhow::ensure!(
        r.status().is_success(),
        "install failed: {}",
        r.text().await.unwrap_or_default()
    );
    let html = r.text().await?;
    let session = html
        .split(r#"<meta name="attune-session" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the admin document carries no session")?
        .to_owned();
    let shop_row =
        crate::db::shops::find_by_domain(&state.db, crate::platform::bigcommerce::PLATFORM, STORE)
            .await?
            .context("the store was not installed")?;

    eprintln!("First sync (Catalog v3, Customers v3, Orders v2, page by page):");
    let started = Instant::now();
    loop {
        let s = crate::services::sync::status(&state, shop_row.id).await?;
        eprint!("\r  {}", crate::simulate::bar(&s));
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
    eprintln!(
        "  hooks registered: {}; storefront scripts: {}",
        standin.hooks(STORE).len(),
        standin.scripts(STORE).len()
    );

    let families = standin.product_families(STORE);
    let family = families
        .iter()
        .map(|(_, f)| f)
        .find(|f| f.len() >= 3)
        .context("the stand-in store has no product family")?;
    let order = standin.add_order(STORE, 0, &[(family[1], 1), (family[2], 1)]);
    let body = standin.light_payload(STORE, "store/order/created", order);
    let mut req = http
        .post(format!("{base}/webhooks/bigcommerce"))
        .header("content-type", "application/json")
        .header(SECRET_HEADER, store_secret(secret.as_bytes(), STORE));
    for (k, v) in standin.webhook_headers(&body, chrono::Utc::now().timestamp()) {
        req = req.header(k, v);
    }
    let status = req.body(body).send().await?.status();
    eprintln!(
        "Webhook store/order/created delivered (secret header + Standard Webhooks signature): HTTP {status}"
    );

    let widget: attune_api::widgets::Widget = http
        .post(format!("{base}/api/admin/widgets"))
        .bearer_auth(&session)
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
    let seed = family[0];
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
            "Serving at {base} (Ctrl-C to stop). Stand-in BigCommerce at {}",
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
