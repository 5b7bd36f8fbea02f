//! Recommendation widgets as the admin API sees them.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Where on the storefront a widget is meant to appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    ProductPage,
    Cart,
    Home,
    Collection,
    PostPurchase,
}

impl Placement {
    pub const ALL: [Placement; 5] = [
        Placement::ProductPage,
        Placement::Cart,
        Placement::Home,
        Placement::Collection,
        Placement::PostPurchase,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placement::ProductPage => "product_page",
            Placement::Cart => "cart",
            Placement::Home => "home",
            Placement::Collection => "collection",
            Placement::PostPurchase => "post_purchase",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Placement::ProductPage => "Product page",
            Placement::Cart => "Cart",
            Placement::Home => "Home page",
            Placement::Collection => "Collection page",
            Placement::PostPurchase => "Post-purchase",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// Which recommender fills a widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Products bought in the same orders as the seed product (or the shopper's own purchases).
    FrequentlyBoughtTogether,
    /// The shop's best sellers.
    Popular,
    /// Products bought together with what this shopper bought before.
    ForYou,
    /// Products like the one viewed, by title, type, vendor, tags and description (works with
    /// no sales history).
    SimilarItems,
    /// What is selling now: purchases weighted by recency.
    Trending,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::FrequentlyBoughtTogether,
        Strategy::Popular,
        Strategy::ForYou,
        Strategy::SimilarItems,
        Strategy::Trending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::FrequentlyBoughtTogether => "frequently_bought_together",
            Strategy::Popular => "popular",
            Strategy::ForYou => "for_you",
            Strategy::SimilarItems => "similar_items",
            Strategy::Trending => "trending",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strategy::FrequentlyBoughtTogether => "Frequently bought together",
            Strategy::Popular => "Best sellers",
            Strategy::ForYou => "For you",
            Strategy::SimilarItems => "Similar items",
            Strategy::Trending => "Trending now",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

pub const MIN_PRODUCTS: u32 = 1;
pub const MAX_PRODUCTS: u32 = 24;
pub const MAX_NAME_CHARS: usize = 80;
pub const MAX_TITLE_CHARS: usize = 120;

/// A widget as stored and listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Widget {
    /// Public id: what the merchant pastes into the theme block's "Widget ID" setting.
    pub id: String,
    pub name: String,
    pub placement: Placement,
    pub strategy: Strategy,
    pub max_products: u32,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Body of create and update calls. Every field is checked by [`WidgetInput::validate`];
/// strings are taken as raw JSON values so a wrong type is reported against its field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WidgetInput {
    #[serde(default)]
    pub name: serde_json::Value,
    #[serde(default)]
    pub placement: serde_json::Value,
    #[serde(default)]
    pub strategy: serde_json::Value,
    #[serde(default)]
    pub max_products: serde_json::Value,
    #[serde(default)]
    pub title: serde_json::Value,
}

/// A [`WidgetInput`] that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidWidget {
    pub name: String,
    pub placement: Placement,
    pub strategy: Strategy,
    pub max_products: u32,
    pub title: String,
}

impl WidgetInput {
    pub fn new(
        name: &str,
        placement: Placement,
        strategy: Strategy,
        max_products: u32,
        title: &str,
    ) -> Self {
        Self {
            name: name.into(),
            placement: placement.as_str().into(),
            strategy: strategy.as_str().into(),
            max_products: max_products.into(),
            title: title.into(),
        }
    }

    /// Checks every field and reports all problems at once, each naming its field.
    pub fn validate(&self) -> Result<ValidWidget, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = text_field(&self.name, "name", MAX_NAME_CHARS, true, &mut errors);
        let title = text_field(&self.title, "title", MAX_TITLE_CHARS, false, &mut errors);
        let placement = enum_field(
            &self.placement,
            "placement",
            Placement::parse,
            &mut errors,
            || Placement::ALL.iter().map(|p| p.as_str()).collect(),
        );
        let strategy = enum_field(
            &self.strategy,
            "strategy",
            Strategy::parse,
            &mut errors,
            || Strategy::ALL.iter().map(|p| p.as_str()).collect(),
        );
        let max_products = match &self.max_products {
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(v) if (MIN_PRODUCTS as u64..=MAX_PRODUCTS as u64).contains(&v) => {
                    Some(v as u32)
                }
                _ => {
                    errors.push(FieldError::new(
                        "max_products",
                        format!("must be a whole number from {MIN_PRODUCTS} to {MAX_PRODUCTS}"),
                    ));
                    None
                }
            },
            serde_json::Value::Null => {
                errors.push(FieldError::new("max_products", "is required"));
                None
            }
            _ => {
                errors.push(FieldError::new("max_products", "must be a number"));
                None
            }
        };
        match (name, title, placement, strategy, max_products) {
            (Some(name), Some(title), Some(placement), Some(strategy), Some(max_products))
                if errors.is_empty() =>
            {
                Ok(ValidWidget {
                    name,
                    placement,
                    strategy,
                    max_products,
                    title,
                })
            }
            _ => Err(errors),
        }
    }
}

fn text_field(
    value: &serde_json::Value,
    field: &str,
    max_chars: usize,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match value {
        serde_json::Value::String(s) => {
            let trimmed = s.trim();
            if required && trimmed.is_empty() {
                errors.push(FieldError::new(field, "is required"));
                None
            } else if trimmed.chars().count() > max_chars {
                errors.push(FieldError::new(
                    field,
                    format!("must be at most {max_chars} characters"),
                ));
                None
            } else if trimmed.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    field,
                    "must not contain control characters",
                ));
                None
            } else {
                Some(trimmed.to_owned())
            }
        }
        serde_json::Value::Null if !required => Some(String::new()),
        serde_json::Value::Null => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        _ => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

fn enum_field<T>(
    value: &serde_json::Value,
    field: &str,
    parse: fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
    allowed: impl Fn() -> Vec<&'static str>,
) -> Option<T> {
    let parsed = value.as_str().and_then(parse);
    if parsed.is_none() {
        let what = if value.is_null() {
            "is required"
        } else {
            "is not one of the allowed values"
        };
        errors.push(FieldError::new(
            field,
            format!("{what}: {}", allowed().join(", ")),
        ));
    }
    parsed
}

/// Response of the list call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetList {
    pub widgets: Vec<Widget>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_input_passes() {
        let input = WidgetInput::new("PDP", Placement::ProductPage, Strategy::Popular, 4, " Hi ");
        let v = input.validate().unwrap();
        assert_eq!(v.title, "Hi");
        assert_eq!(v.max_products, 4);
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = WidgetInput {
            name: "".into(),
            placement: "sidebar".into(),
            strategy: serde_json::Value::Null,
            max_products: 0.into(),
            title: 5.into(),
        };
        let errs = input.validate().unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "title", "placement", "strategy", "max_products"]
        );
    }

    #[test]
    fn too_many_products_rejected() {
        let input = WidgetInput::new("x", Placement::Cart, Strategy::ForYou, MAX_PRODUCTS + 1, "");
        let errs = input.validate().unwrap_err();
        assert_eq!(errs[0].field, "max_products");
    }
}
