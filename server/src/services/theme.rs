//! Renders the theme app extension's real Liquid blocks (compiled into the binary from
//! `extensions/attune-theme/`) the way Shopify's storefront would, for the local demo store.
//!
//! Shopify-only pieces are supplied faithfully: the `t` filter reads the extension's own
//! `locales/en.default.json`, `json` encodes values, the `{% schema %}` section is removed
//! before rendering, and each block's schema `javascript`/`stylesheet` become the deferred
//! script and stylesheet tags Shopify injects.

use std::fmt;
use std::sync::Arc;

use anyhow::Context;
use liquid_core::parser::{FilterArguments, ParameterReflection};
use liquid_core::{Filter, FilterReflection, ParseFilter, Runtime, Value, ValueView};

macro_rules! ext {
    ($path:literal) => {
        include_str!(concat!("../../../extensions/attune-theme/", $path))
    };
}

const RECOMMENDATIONS_BLOCK: &str = ext!("blocks/recommendations.liquid");
const EMBED_BLOCK: &str = ext!("blocks/app-embed.liquid");
const LOCALE: &str = ext!("locales/en.default.json");
const ATTUNE_JS: &str = ext!("assets/attune.js");
const ATTUNE_CSS: &str = ext!("assets/attune.css");
const ATTUNE_OFFER_JS: &str = ext!("assets/attune-offer.js");
const OFFER_SLOT_SNIPPET: &str = ext!("snippets/attune-offer-slot.liquid");
/// Where the demo serves the extension's assets (Shopify's CDN in a real store).
const DEMO_ASSET_BASE: &str = "/demo/assets";

pub struct Theme {
    recommendations: liquid::Template,
    embed: liquid::Template,
    /// Asset file names the blocks' schemas ask Shopify to load.
    scripts: Vec<String>,
    stylesheets: Vec<String>,
}

/// Splits a block file into its Liquid body and its schema JSON.
fn split_schema(source: &str) -> anyhow::Result<(&str, serde_json::Value)> {
    let start = source
        .find("{% schema %}")
        .context("block has no {% schema %}")?;
    let end = source
        .find("{% endschema %}")
        .context("block has no {% endschema %}")?;
    let json = &source[start + "{% schema %}".len()..end];
    Ok((
        &source[..start],
        serde_json::from_str(json).context("block schema is not JSON")?,
    ))
}

impl Theme {
    pub fn load() -> anyhow::Result<Self> {
        let locale: serde_json::Value =
            serde_json::from_str(LOCALE).context("locale is not JSON")?;
        let mut snippets = liquid::partials::InMemorySource::new();
        snippets.add("attune-offer-slot", OFFER_SLOT_SNIPPET);
        let parser = liquid::ParserBuilder::with_stdlib()
            .filter(Translate(Arc::new(locale)))
            .filter(JsonFilter)
            .filter(MapFilter {
                name: "asset_url",
                f: |file| format!("{DEMO_ASSET_BASE}/{file}"),
            })
            .filter(MapFilter {
                name: "stylesheet_tag",
                f: |url| {
                    format!(
                        "<link href=\"{url}\" rel=\"stylesheet\" type=\"text/css\" media=\"all\" />"
                    )
                },
            })
            .partials(liquid::partials::EagerCompiler::new(snippets))
            .build()?;
        let mut scripts = Vec::new();
        let mut stylesheets = Vec::new();
        let mut parse = |source: &str| -> anyhow::Result<liquid::Template> {
            let (body, schema) = split_schema(source)?;
            for (key, list) in [
                ("javascript", &mut scripts),
                ("stylesheet", &mut stylesheets),
            ] {
                if let Some(file) = schema.get(key).and_then(|v| v.as_str())
                    && !list.iter().any(|f| f == file)
                {
                    list.push(file.to_owned());
                }
            }
            Ok(parser.parse(body)?)
        };
        Ok(Theme {
            recommendations: parse(RECOMMENDATIONS_BLOCK)?,
            embed: parse(EMBED_BLOCK)?,
            scripts,
            stylesheets,
        })
    }

    /// The "Recommendations" app block as placed by a merchant with these settings.
    pub fn recommendations_block(
        &self,
        block_id: &str,
        widget_id: &str,
        heading: &str,
        product_id: Option<&str>,
    ) -> anyhow::Result<String> {
        let globals = liquid::object!({
            "block": {
                "id": block_id,
                "settings": { "widget": widget_id, "heading": heading },
                "shopify_attributes": "",
            },
            "product": { "id": product_id.unwrap_or("") },
            "request": { "design_mode": false },
        });
        Ok(self.recommendations.render(&globals)?)
    }

    /// The app embed, switched on in the theme, on a page of this type (`index`, `product`,
    /// `collection`, `search`, `cart`) showing this product / collection / search.
    pub fn app_embed(&self, shop_domain: &str, page: &PageContext) -> anyhow::Result<String> {
        let globals = liquid::object!({
            "block": { "id": "attune-embed", "settings": { "debug": false, "offers": true }, "shopify_attributes": "" },
            "shop": { "permanent_domain": shop_domain },
            "request": { "design_mode": false, "page_type": page.page_type },
            "product": { "id": page.product.clone().unwrap_or_default() },
            "collection": { "handle": page.collection.clone().unwrap_or_default() },
            "search": { "terms": page.search.clone().unwrap_or_default() },
        });
        Ok(self.embed.render(&globals)?)
    }

    /// The tags Shopify adds to the page for the blocks' schema assets.
    pub fn asset_tags(&self, asset_base: &str) -> String {
        let mut out = String::new();
        for css in &self.stylesheets {
            out.push_str(&format!(
                "<link rel=\"stylesheet\" href=\"{asset_base}/{css}\">\n"
            ));
        }
        for js in &self.scripts {
            out.push_str(&format!(
                "<script src=\"{asset_base}/{js}\" defer></script>\n"
            ));
        }
        out
    }

    /// An extension asset by file name, with its content type.
    pub fn asset(name: &str) -> Option<(&'static str, &'static str)> {
        match name {
            "attune.js" => Some((ATTUNE_JS, "text/javascript; charset=utf-8")),
            "attune.css" => Some((ATTUNE_CSS, "text/css; charset=utf-8")),
            "attune-offer.js" => Some((ATTUNE_OFFER_JS, "text/javascript; charset=utf-8")),
            _ => None,
        }
    }
}

/// What the storefront page shows, as Liquid's `request.page_type`, `product`, `collection`
/// and `search` objects would tell the app embed.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    pub page_type: &'static str,
    pub product: Option<String>,
    pub collection: Option<String>,
    pub search: Option<String>,
}

/// Shopify's `t` filter: looks a dotted key up in the extension's storefront locale.
#[derive(Clone)]
struct Translate(Arc<serde_json::Value>);

#[derive(Debug)]
struct TranslateFilter(Arc<serde_json::Value>);

impl FilterReflection for Translate {
    fn name(&self) -> &str {
        "t"
    }
    fn description(&self) -> &str {
        "Translates a locale key"
    }
    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for Translate {
    fn parse(&self, _arguments: FilterArguments) -> liquid_core::Result<Box<dyn Filter>> {
        Ok(Box::new(TranslateFilter(self.0.clone())))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

impl fmt::Display for TranslateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("t")
    }
}

impl Filter for TranslateFilter {
    fn evaluate(
        &self,
        input: &dyn ValueView,
        _runtime: &dyn Runtime,
    ) -> liquid_core::Result<Value> {
        let key = input.to_kstr().to_string();
        let found = key
            .split('.')
            .try_fold(self.0.as_ref(), |node, part| node.get(part))
            .and_then(|v| v.as_str());
        // Shopify shows "translation missing: en.<key>" for unknown keys.
        Ok(Value::scalar(found.map(str::to_owned).unwrap_or_else(
            || format!("translation missing: en.{key}"),
        )))
    }
}

/// A filter that maps a string to a string (Shopify's `asset_url`, `stylesheet_tag`).
#[derive(Clone)]
struct MapFilter {
    name: &'static str,
    f: fn(&str) -> String,
}

#[derive(Debug)]
struct MapFilterImpl {
    name: &'static str,
    f: fn(&str) -> String,
}

impl FilterReflection for MapFilter {
    fn name(&self) -> &str {
        self.name
    }
    fn description(&self) -> &str {
        "Maps a string to a string"
    }
    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for MapFilter {
    fn parse(&self, _arguments: FilterArguments) -> liquid_core::Result<Box<dyn Filter>> {
        Ok(Box::new(MapFilterImpl {
            name: self.name,
            f: self.f,
        }))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

impl fmt::Display for MapFilterImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl Filter for MapFilterImpl {
    fn evaluate(
        &self,
        input: &dyn ValueView,
        _runtime: &dyn Runtime,
    ) -> liquid_core::Result<Value> {
        Ok(Value::scalar((self.f)(&input.to_kstr())))
    }
}

/// Shopify's `json` filter.
#[derive(Clone)]
struct JsonFilter;

#[derive(Debug)]
struct JsonFilterImpl;

impl FilterReflection for JsonFilter {
    fn name(&self) -> &str {
        "json"
    }
    fn description(&self) -> &str {
        "Encodes a value as JSON"
    }
    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for JsonFilter {
    fn parse(&self, _arguments: FilterArguments) -> liquid_core::Result<Box<dyn Filter>> {
        Ok(Box::new(JsonFilterImpl))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

impl fmt::Display for JsonFilterImpl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("json")
    }
}

impl Filter for JsonFilterImpl {
    fn evaluate(
        &self,
        input: &dyn ValueView,
        _runtime: &dyn Runtime,
    ) -> liquid_core::Result<Value> {
        let value = input.to_value();
        let json = serde_json::to_string(&value)
            .map_err(|e| liquid_core::Error::with_msg(format!("json filter: {e}")))?;
        // Like Shopify, keep the output safe inside <script> elements.
        Ok(Value::scalar(
            json.replace('<', "\\u003c").replace('>', "\\u003e"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_block_with_settings_and_product() {
        let theme = Theme::load().unwrap();
        let html = theme
            .recommendations_block("b1", "w-123", "Hi <there>", Some("42"))
            .unwrap();
        assert!(html.contains(r#"data-attune-widget="w-123""#), "{html}");
        assert!(html.contains(r#"data-attune-product="42""#));
        assert!(html.contains("Hi &lt;there&gt;"));
        assert!(!html.contains("schema"));
        assert!(!html.contains("translation missing"));
    }

    #[test]
    fn block_without_widget_renders_nothing_outside_the_editor() {
        let theme = Theme::load().unwrap();
        let html = theme.recommendations_block("b1", "  ", "Hi", None).unwrap();
        assert!(html.trim().is_empty(), "{html}");
    }

    #[test]
    fn embed_carries_config_and_assets_come_from_schema() {
        let theme = Theme::load().unwrap();
        let config = |page: PageContext| -> serde_json::Value {
            let html = theme.app_embed("demo.myshopify.com", &page).unwrap();
            let start = html.find('{').unwrap();
            let end = html.rfind('}').unwrap();
            serde_json::from_str(&html[start..=end]).unwrap()
        };
        let on_product = config(PageContext {
            page_type: "product",
            product: Some("42".into()),
            collection: Some("summer".into()),
            ..Default::default()
        });
        assert_eq!(on_product["shop"], "demo.myshopify.com");
        assert_eq!(on_product["base"], "/apps/attune");
        assert_eq!(on_product["product"], "42");
        // Only what the page is about: a product page does not report a collection view.
        assert_eq!(on_product["collection"], "", "{on_product}");
        let on_collection = config(PageContext {
            page_type: "collection",
            product: Some("42".into()),
            collection: Some("summer".into()),
            ..Default::default()
        });
        assert_eq!(on_collection["collection"], "summer");
        assert_eq!(on_collection["product"], "");
        let on_search = config(PageContext {
            page_type: "search",
            search: Some("red <shoes>".into()),
            ..Default::default()
        });
        assert_eq!(on_search["search"], "red <shoes>");
        let tags = theme.asset_tags("/x");
        assert!(tags.contains(r#"<script src="/x/attune.js" defer>"#));
        assert!(tags.contains("/x/attune.css"));
    }
}
