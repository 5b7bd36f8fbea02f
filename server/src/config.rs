//! Layered configuration: built-in defaults, then an optional TOML file, then
//! `ATTUNE__SECTION__KEY` environment variables (e.g. `ATTUNE__SERVER__PORT=9000`).

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub shopify: ShopifySettings,
    pub bigcommerce: BigCommerceSettings,
    pub app: AppSettings,
    pub jobs: JobSettings,
    pub security: SecuritySettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecuritySettings {
    /// Keys encrypting platform tokens at rest, `id:base64-of-32-bytes`, current key first
    /// (`ATTUNE__SECURITY__TOKEN_KEYS=k2:...,k1:...`). `attune generate-key` makes one.
    pub token_keys: Vec<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    /// Background workers per process applying webhooks and running syncs (0 = none).
    pub workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads (0 = one per core).
    pub http_workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.db` (created on first run) or `postgres://user@host/db`.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShopifySettings {
    /// The app's client id, also the `aud` of session tokens.
    pub api_key: String,
    /// The app's client secret: signs session tokens, webhooks and app proxy requests.
    pub api_secret: SecretString,
    /// Secrets being rotated out, still accepted for verification
    /// (`ATTUNE__SHOPIFY__PREVIOUS_API_SECRETS=old1,old2`).
    pub previous_api_secrets: Vec<SecretString>,
    /// Scopes the app needs (comma-separated), as declared in shopify.app.toml.
    pub scopes: String,
    /// Only for tests and `attune shopify simulate`: send Shopify API calls to this local
    /// stand-in instead of `https://{shop}`.
    pub api_origin: Option<String>,
    /// Path prefix Shopify's app proxy forwards to (the `[app_proxy] url` path).
    pub app_proxy_path: String,
}

/// The BigCommerce app's credentials (Developer Portal). Without a client id, the BigCommerce
/// callbacks answer that BigCommerce is not configured.
#[derive(Debug, Clone, Deserialize)]
pub struct BigCommerceSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Scopes the app profile asks for (comma-separated); an install granting fewer is refused.
    pub scopes: String,
    /// `https://login.bigcommerce.com` (token exchange); a local stand-in in tests.
    pub login_origin: String,
    /// `https://api.bigcommerce.com` (store APIs); a local stand-in in tests.
    pub api_origin: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppSettings {
    /// Public base URL of this app, e.g. `https://attune.example.com`.
    pub url: String,
    /// Where `public/` lives (the built admin bundle and static files).
    pub public_dir: PathBuf,
}

/// Development-only values: `attune serve` refuses to start with them unless in demo mode.
pub const DEV_API_KEY: &str = "attune-dev-api-key";
pub const DEV_API_SECRET: &str = "attune-dev-api-secret-not-for-production";
/// Development-only token encryption key (32 zero-ish bytes, public): demo and tests only.
pub const DEV_TOKEN_KEY: &str = "dev:ZGV2LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24tdXNlISE=";

fn environment() -> config::Environment {
    config::Environment::with_prefix("ATTUNE")
        .prefix_separator("__")
        .separator("__")
        .list_separator(",")
        .with_list_parse_key("shopify.previous_api_secrets")
        .with_list_parse_key("security.token_keys")
        .try_parsing(true)
}

fn default_public_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../public")
        .to_string_lossy()
        .into_owned()
}

impl Settings {
    /// Reads defaults, then `file` if given (it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        Self::load_from(file, environment())
    }

    fn load_from(
        file: Option<&Path>,
        env: config::Environment,
    ) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder()
            .set_default("server.host", "127.0.0.1")?
            .set_default("server.port", 8080)?
            .set_default("server.shutdown_timeout_secs", 30)?
            .set_default("server.http_workers", 0)?
            .set_default("database.url", "sqlite://attune.db")?
            .set_default("database.max_connections", 10)?
            .set_default("shopify.api_key", DEV_API_KEY)?
            .set_default("shopify.api_secret", DEV_API_SECRET)?
            .set_default("shopify.previous_api_secrets", Vec::<String>::new())?
            .set_default("shopify.app_proxy_path", "/proxy")?
            .set_default("bigcommerce.client_id", "")?
            .set_default("bigcommerce.client_secret", "")?
            .set_default(
                "bigcommerce.scopes",
                "store_v2_products_read_only,store_v2_customers_read_only,store_v2_orders_read_only,store_v2_marketing,store_v2_content",
            )?
            .set_default("bigcommerce.login_origin", "https://login.bigcommerce.com")?
            .set_default("bigcommerce.api_origin", "https://api.bigcommerce.com")?
            .set_default("app.url", "http://127.0.0.1:8080")?
            .set_default("jobs.workers", 1)?
            .set_default("security.token_keys", Vec::<String>::new())?
            .set_default(
                "shopify.scopes",
                "read_products,read_inventory,read_customers,read_orders",
            )?
            .set_default("app.public_dir", default_public_dir())?;
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder.add_source(env).build()?.try_deserialize()
    }

    pub fn uses_dev_credentials(&self) -> bool {
        use secrecy::ExposeSecret;
        self.shopify.api_key == DEV_API_KEY
            || self.shopify.api_secret.expose_secret() == DEV_API_SECRET
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> config::Environment {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        environment().source(Some(map))
    }

    #[test]
    fn defaults_apply() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.server.port, 8080);
        assert!(s.database.url.starts_with("sqlite://"));
        assert!(s.uses_dev_credentials());
    }

    #[test]
    fn environment_overrides_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("attune-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("attune.toml");
        std::fs::write(&file, "[server]\nport = 7000\nhost = \"0.0.0.0\"\n").unwrap();
        let s = Settings::load_from(
            Some(&file),
            env(&[
                ("ATTUNE__SERVER__PORT", "9001"),
                ("ATTUNE__SHOPIFY__API_KEY", "k"),
                ("ATTUNE__SHOPIFY__API_SECRET", "s"),
                ("ATTUNE__DATABASE__URL", "postgres://x@localhost/y"),
                ("ATTUNE__APP__URL", "https://a.example"),
                ("ATTUNE__SHOPIFY__PREVIOUS_API_SECRETS", "old1,old2"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.port, 9001);
        assert_eq!(s.server.host, "0.0.0.0");
        assert_eq!(s.shopify.api_key, "k");
        assert_eq!(s.app.url, "https://a.example");
        assert_eq!(s.shopify.previous_api_secrets.len(), 2);
        assert!(!s.uses_dev_credentials());
    }

    #[test]
    fn bad_port_names_the_key() {
        let err = Settings::load_from(None, env(&[("ATTUNE__SERVER__PORT", "eighty")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("port"), "{err}");
    }
}
