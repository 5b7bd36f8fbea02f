//! Activating the web pixel extension (`extensions/attune-pixel`) on a shop: Shopify runs it
//! only once the app creates its settings with `webPixelCreate`.

use super::client::AdminClient;

use super::sync::SyncError;

const WEB_PIXEL_CREATE: &str = include_str!("../../../graphql/web_pixel_create.graphql");

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PixelActivation {
    Created {
        id: String,
    },
    /// The shop already has our pixel (an earlier install): nothing to do.
    AlreadyActive,
}

/// Creates the pixel's settings: `endpoint` is where it posts events.
pub async fn activate(client: &AdminClient, endpoint: &str) -> Result<PixelActivation, SyncError> {
    let settings = serde_json::json!({ "endpoint": endpoint }).to_string();
    let v = client
        .graphql(
            WEB_PIXEL_CREATE,
            serde_json::json!({ "settings": settings }),
        )
        .await?;
    let payload = v
        .get("webPixelCreate")
        .ok_or_else(|| SyncError::Data("no webPixelCreate in the answer".into()))?;
    let errors = payload
        .get("userErrors")
        .and_then(|e| e.as_array())
        .cloned()
        .unwrap_or_default();
    if errors
        .iter()
        .any(|e| e.get("code").and_then(|c| c.as_str()) == Some("TAKEN"))
    {
        return Ok(PixelActivation::AlreadyActive);
    }
    if let Some(e) = errors.first() {
        return Err(SyncError::Data(format!(
            "webPixelCreate refused: {}",
            e.get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("no message")
        )));
    }
    let id = payload
        .get("webPixel")
        .and_then(|p| p.get("id"))
        .and_then(|i| i.as_str())
        .ok_or_else(|| SyncError::Data("webPixelCreate answered no pixel".into()))?;
    Ok(PixelActivation::Created { id: id.to_owned() })
}
