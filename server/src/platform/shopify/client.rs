//! Outbound calls to Shopify through `shopify_api`: token exchange, the authorization-code
//! grant, and Admin API clients that refresh expiring tokens and persist each new pair.
//!
//! The transport sends everything to `https://{shop}.myshopify.com` as usual; when
//! `shopify.api_origin` is configured (tests, `attune shopify simulate`) those requests go to
//! a local stand-in instead, at `{origin}/shops/{shop}/...`.

use std::sync::Arc;

use shopify_api::oauth::{AuthorizationRequest, RequestedToken, ShopifyApp};
use shopify_api::transport::{
    BoxFuture, HttpRequest, HttpResponse, ReqwestTransport, StreamingResponse, Transport,
    TransportError,
};
use shopify_api::{TokenData, TokenStore};

use super::{ShopDomain, VerifyError};

pub use shopify_api::Shopify as AdminClient;

#[derive(Clone)]
pub struct RoutedTransport {
    inner: ReqwestTransport,
    origin: Option<String>,
}

impl RoutedTransport {
    pub fn new(origin: Option<String>) -> Result<Self, shopify_api::Error> {
        Ok(RoutedTransport {
            inner: ReqwestTransport::new()?,
            origin: origin.map(|o| o.trim_end_matches('/').to_owned()),
        })
    }

    fn route(&self, mut request: HttpRequest) -> HttpRequest {
        if let Some(origin) = &self.origin
            && let Some(rest) = request.url.strip_prefix("https://")
        {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            if host.ends_with(".myshopify.com") {
                request.url = format!("{origin}/shops/{host}{path}");
            }
        }
        request
    }
}

impl Transport for RoutedTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        let request = self.route(request);
        self.inner.send(request)
    }

    fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> BoxFuture<'_, Result<StreamingResponse, TransportError>> {
        let request = self.route(request);
        self.inner.send_streaming(request)
    }
}

/// Where renewed tokens go: implemented by the storage layer (encrypted at rest).
pub trait TokenSink: Send + Sync + 'static {
    fn save(&self, shop: ShopDomain, token: TokenData) -> BoxFuture<'static, Result<(), String>>;
}

struct SinkStore(Arc<dyn TokenSink>);

impl TokenStore for SinkStore {
    fn save<'a>(
        &'a self,
        shop: &'a ShopDomain,
        token: &'a TokenData,
    ) -> BoxFuture<'a, Result<(), Box<dyn std::error::Error + Send + Sync>>> {
        let fut = self.0.save(shop.clone(), token.clone());
        Box::pin(async move { fut.await.map_err(|e| e.into()) })
    }
}

/// The app as an OAuth client of Shopify.
pub struct ShopifyOAuth {
    app: ShopifyApp,
}

impl ShopifyOAuth {
    pub fn new(
        api_key: &str,
        secret: &str,
        transport: RoutedTransport,
        sink: Arc<dyn TokenSink>,
    ) -> Self {
        ShopifyOAuth {
            app: ShopifyApp::new(api_key, secret)
                .with_transport(transport)
                .with_token_store(SinkStore(sink)),
        }
    }

    /// Exchanges a verified session token for an expiring offline token of its shop.
    pub async fn exchange_session_token(&self, token: &str) -> Result<TokenData, VerifyError> {
        let session = self.app.verify_session_token(token)?;
        Ok(self
            .app
            .exchange_session_token(&session, RequestedToken::ExpiringOffline)
            .await?)
    }

    /// Where to send a merchant installing from outside the admin.
    pub fn authorization_url(
        &self,
        shop: &ShopDomain,
        scopes: &[&str],
        redirect_uri: &str,
        state: &str,
    ) -> String {
        self.app.authorization_url(
            shop,
            &AuthorizationRequest::new(redirect_uri, state).scopes(scopes.iter().copied()),
        )
    }

    /// Verifies the OAuth callback's HMAC and timestamp and exchanges its code for an expiring
    /// offline token. The caller checks `state` first.
    pub async fn exchange_code(
        &self,
        callback_query: &str,
    ) -> Result<(ShopDomain, TokenData), VerifyError> {
        let callback = self.app.verify_query(callback_query)?;
        let shop = callback
            .shop()
            .cloned()
            .ok_or_else(|| VerifyError("the callback names no valid shop".into()))?;
        let token = self.app.exchange_code_expiring(&callback).await?;
        Ok((shop, token))
    }

    /// An Admin API client of `shop` that renews `token` before it expires and once on a 401,
    /// saving each new access+refresh pair through the sink.
    pub fn admin_client(
        &self,
        shop: &ShopDomain,
        token: TokenData,
    ) -> Result<AdminClient, VerifyError> {
        Ok(self.app.client(shop, token)?)
    }
}
