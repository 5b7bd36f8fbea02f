//! BigCommerce behind [`StoreApi`]: Catalog v3, Customers v3 and Orders v2 read page by page
//! (incrementally by `date_modified`), the resources light webhooks name, single-use codes as
//! Promotions API coupon codes, and the install's setup (webhooks and the storefront script).

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::client::StoreClient;
use super::payloads::{self, Names};
use super::{promotions, webhooks};
use crate::db::shops::Shop;
use crate::platform::store::{BoxFuture, Part, Resource, StoreApi, StoreProfile};
use crate::platform::{Change, CodeSpec, CreatedCode};
use crate::state::AppState;

const PRODUCTS: &str = "/v3/catalog/products?include=variants,images";

pub struct BigCommerceStore {
    client: StoreClient,
    store_hash: String,
    client_id: String,
    /// The secret our hooks carry in their header, derived per store.
    hook_secret: String,
}

impl BigCommerceStore {
    pub async fn open(state: &AppState, row: &Shop) -> anyhow::Result<Self> {
        let bc = &state.settings.bigcommerce;
        anyhow::ensure!(
            !bc.client_id.is_empty(),
            "BigCommerce is not configured on this server"
        );
        let sealed = crate::db::shops::sealed_tokens(&state.db, row.id)
            .await?
            .context("the store has no access token")?;
        let token = state
            .cipher
            .decrypt(&sealed.access, &super::install::access_context(&row.domain))?;
        Ok(Self {
            client: StoreClient::new(state.http.clone(), &bc.api_origin, &row.domain, token),
            store_hash: row.domain.clone(),
            client_id: bc.client_id.clone(),
            hook_secret: webhooks::store_secret(
                bc.client_secret.expose_secret().as_bytes(),
                &row.domain,
            ),
        })
    }

    async fn names(&self) -> anyhow::Result<Names> {
        let mut names = Names::default();
        for c in self.client.all_v3("/v3/catalog/categories").await? {
            let (id, name) = payloads::named(&c, "category")?;
            names.categories.insert(id, name);
        }
        for b in self.client.all_v3("/v3/catalog/brands").await? {
            let (id, name) = payloads::named(&b, "brand")?;
            names.brands.insert(id, name);
        }
        Ok(names)
    }

    async fn products(&self, path: &str, currency: &str) -> anyhow::Result<Vec<Change>> {
        let names = self.names().await?;
        let mut out = Vec::new();
        for p in self.client.all_v3(path).await? {
            out.push(Change::ProductUpserted(payloads::product(
                &p, &names, currency,
            )?));
        }
        Ok(out)
    }

    async fn customers(&self, path: &str) -> anyhow::Result<Vec<Change>> {
        let mut out = Vec::new();
        for c in self.client.all_v3(path).await? {
            out.push(Change::CustomerUpserted(payloads::customer(&c)?));
        }
        Ok(out)
    }

    /// An order with its lines and (only when it used any) its codes.
    async fn order(&self, o: &Value, currency: &str) -> anyhow::Result<Change> {
        let id = o
            .get("id")
            .and_then(Value::as_u64)
            .context("an order without an id")?;
        let lines = list(
            self.client
                .call(&format!("/v2/orders/{id}/products"), None)
                .await?,
        );
        let used_codes = o
            .get("coupon_discount")
            .and_then(|d| {
                d.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(d.to_string()))
            })
            .and_then(|d| d.parse::<f64>().ok())
            .is_some_and(|d| d > 0.0);
        let coupons = if used_codes {
            list(
                self.client
                    .call(&format!("/v2/orders/{id}/coupons"), None)
                    .await?,
            )
        } else {
            Vec::new()
        };
        Ok(Change::OrderUpserted(payloads::order(
            o, &lines, &coupons, currency,
        )?))
    }

    async fn orders(&self, path: &str, currency: &str) -> anyhow::Result<Vec<Change>> {
        let mut out = Vec::new();
        for o in self.client.all_v2(path).await? {
            out.push(self.order(&o, currency).await?);
        }
        Ok(out)
    }

    /// The storefront script, installed once and kept pointing at this deployment.
    async fn install_script(&self, app_url: &str) -> anyhow::Result<()> {
        let src = format!(
            "{}/static/attune-bigcommerce.js?store={}&client_id={}",
            app_url.trim_end_matches('/'),
            self.store_hash,
            self.client_id
        );
        let body = json!({
            "name": SCRIPT_NAME,
            "description": "Attune personalized recommendations and offers",
            "kind": "src",
            "src": src,
            "load_method": "defer",
            "location": "footer",
            "visibility": "storefront",
            "auto_uninstall": true,
            // BigCommerce loads it only for shoppers who allowed analytics.
            "consent_category": "analytics",
            "enabled": true,
        });
        let existing = self.client.all_v3("/v3/content/scripts").await?;
        match existing
            .iter()
            .find(|s| s.get("name").and_then(Value::as_str) == Some(SCRIPT_NAME))
        {
            Some(s) if s.get("src") == body.get("src") => {}
            Some(s) => {
                let uuid = s
                    .get("uuid")
                    .and_then(Value::as_str)
                    .context("a script without a uuid")?;
                let (status, _) = self
                    .client
                    .send(
                        reqwest::Method::PUT,
                        &format!("/v3/content/scripts/{uuid}"),
                        Some(&body),
                    )
                    .await?;
                anyhow::ensure!(
                    (200..300).contains(&status),
                    "BigCommerce answered {status} to the script update"
                );
            }
            None => {
                self.client.call("/v3/content/scripts", Some(&body)).await?;
            }
        }
        Ok(())
    }
}

/// The name our storefront script is registered under (one per store).
pub const SCRIPT_NAME: &str = "Attune storefront";

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(l) => l,
        _ => Vec::new(),
    }
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `https://host[:port]` of a URL, when it is one.
fn origin_of(u: &str) -> Option<String> {
    let url = url::Url::parse(u).ok()?;
    matches!(url.scheme(), "https" | "http")
        .then(|| url.origin().ascii_serialization())
        .filter(|o| o != "null")
}

impl StoreApi for BigCommerceStore {
    fn profile(&self) -> BoxFuture<'_, anyhow::Result<StoreProfile>> {
        Box::pin(async move {
            let v = self.client.call("/v2/store", None).await?;
            let text = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut origins: Vec<String> = Vec::new();
            for o in [
                origin_of(&text("secure_url")),
                origin_of(&format!("https://{}", text("domain"))),
            ]
            .into_iter()
            .flatten()
            {
                if !origins.contains(&o) {
                    origins.push(o);
                }
            }
            Ok(StoreProfile {
                name: text("name"),
                currency: text("currency"),
                storefront_origins: origins,
            })
        })
    }

    fn export<'a>(
        &'a self,
        part: Part,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>> {
        Box::pin(async move {
            match part {
                Part::Collections => {
                    let now = Utc::now();
                    let mut out = Vec::new();
                    for c in self.client.all_v3("/v3/catalog/categories").await? {
                        out.push(Change::CollectionUpserted(payloads::category(&c, now)?));
                    }
                    Ok(out)
                }
                Part::Products => self.products(PRODUCTS, currency).await,
                Part::Customers => self.customers("/v3/customers").await,
                Part::Orders => {
                    self.orders("/v2/orders?sort=date_modified:asc", currency)
                        .await
                }
            }
        })
    }

    fn changed_since<'a>(
        &'a self,
        since: DateTime<Utc>,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>> {
        Box::pin(async move {
            let since = iso(since);
            let mut out = self
                .products(&format!("{PRODUCTS}&date_modified:min={since}"), currency)
                .await?;
            out.extend(
                self.customers(&format!("/v3/customers?date_modified:min={since}"))
                    .await?,
            );
            out.extend(
                self.orders(
                    &format!("/v2/orders?min_date_modified={since}&sort=date_modified:asc"),
                    currency,
                )
                .await?,
            );
            Ok(out)
        })
    }

    fn fetch<'a>(
        &'a self,
        resource: &'a Resource,
        currency: &'a str,
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<Vec<Change>>> {
        Box::pin(async move {
            Ok(match resource {
                Resource::Product(id) => {
                    let path = format!("/v3/catalog/products/{id}?include=variants,images");
                    match self.client.get_optional(&path).await? {
                        Some(v) => {
                            let names = self.names().await?;
                            let p = v.get("data").context("a product answer without data")?;
                            vec![Change::ProductUpserted(payloads::product(
                                p, &names, currency,
                            )?)]
                        }
                        None => vec![Change::ProductDeleted {
                            platform_id: id.clone(),
                            at,
                        }],
                    }
                }
                Resource::Customer(id) => {
                    let found = self.customers(&format!("/v3/customers?id:in={id}")).await?;
                    if found.is_empty() {
                        vec![Change::CustomerDeleted {
                            platform_id: id.clone(),
                            at,
                        }]
                    } else {
                        found
                    }
                }
                Resource::Order(id) => {
                    match self
                        .client
                        .get_optional(&format!("/v2/orders/{id}"))
                        .await?
                    {
                        Some(o) => vec![self.order(&o, currency).await?],
                        // Orders are not deleted from history; a missing one is not ours yet.
                        None => Vec::new(),
                    }
                }
            })
        })
    }

    fn create_code<'a>(
        &'a self,
        spec: &'a CodeSpec,
        currency: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<CreatedCode>>> {
        Box::pin(async move {
            promotions::create_code(&self.client, spec, currency)
                .await
                .context("creating a coupon code")
        })
    }

    fn bind_code<'a>(
        &'a self,
        _code: &'a CreatedCode,
        _free_shipping: bool,
        _customer: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<bool>> {
        // Promotion codes cannot be limited to one customer; each is single-use.
        Box::pin(async { Ok(false) })
    }

    fn set_up<'a>(&'a self, app_url: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let destination = format!("{}/webhooks/bigcommerce", app_url.trim_end_matches('/'));
            let made = super::client::register_hooks(&self.client, &destination, &self.hook_secret)
                .await?;
            self.install_script(app_url).await?;
            tracing::info!(
                made,
                "BigCommerce hooks registered and storefront script installed"
            );
            Ok(())
        })
    }
}
