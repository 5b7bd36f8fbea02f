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
    /// The shopper's own products that are due again, by each product's usual repurchase interval.
    BuyAgain,
    /// Complements of everything in the cart (`cart=` on the request).
    CartCrossSell,
    /// Complements of the shopper's latest order, for thank-you and order-status pages.
    PostPurchase,
    /// Products viewed in the same browsing sessions as the seed product.
    AlsoViewed,
    /// The shopper's own recently viewed products, newest first.
    RecentlyViewed,
}

impl Strategy {
    pub const ALL: [Strategy; 10] = [
        Strategy::FrequentlyBoughtTogether,
        Strategy::Popular,
        Strategy::ForYou,
        Strategy::SimilarItems,
        Strategy::Trending,
        Strategy::BuyAgain,
        Strategy::CartCrossSell,
        Strategy::PostPurchase,
        Strategy::AlsoViewed,
        Strategy::RecentlyViewed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::FrequentlyBoughtTogether => "frequently_bought_together",
            Strategy::Popular => "popular",
            Strategy::ForYou => "for_you",
            Strategy::SimilarItems => "similar_items",
            Strategy::Trending => "trending",
            Strategy::BuyAgain => "buy_again",
            Strategy::CartCrossSell => "cart_cross_sell",
            Strategy::PostPurchase => "post_purchase",
            Strategy::AlsoViewed => "also_viewed",
            Strategy::RecentlyViewed => "recently_viewed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Strategy::FrequentlyBoughtTogether => "Frequently bought together",
            Strategy::Popular => "Best sellers",
            Strategy::ForYou => "For you",
            Strategy::SimilarItems => "Similar items",
            Strategy::Trending => "Trending now",
            Strategy::BuyAgain => "Buy again",
            Strategy::CartCrossSell => "Complete your cart",
            Strategy::PostPurchase => "Goes with your order",
            Strategy::AlsoViewed => "Shoppers also viewed",
            Strategy::RecentlyViewed => "Recently viewed",
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Widget {
    /// Public id: what the merchant pastes into the theme block's "Widget ID" setting.
    pub id: String,
    pub name: String,
    pub placement: Placement,
    pub strategy: Strategy,
    pub max_products: u32,
    pub title: String,
    pub rules: WidgetRules,
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
    /// Merchant controls; absent means the defaults.
    #[serde(default)]
    pub rules: serde_json::Value,
}

/// A [`WidgetInput`] that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidWidget {
    pub name: String,
    pub placement: Placement,
    pub strategy: Strategy,
    pub max_products: u32,
    pub title: String,
    pub rules: WidgetRules,
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
            rules: serde_json::Value::Null,
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
        let rules = WidgetRules::from_json(&self.rules, &mut errors);
        match (name, title, placement, strategy, max_products, rules) {
            (
                Some(name),
                Some(title),
                Some(placement),
                Some(strategy),
                Some(max_products),
                Some(rules),
            ) if errors.is_empty() => Ok(ValidWidget {
                name,
                placement,
                strategy,
                max_products,
                title,
                rules,
            }),
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
            rules: serde_json::Value::Null,
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

/// A product shown at a fixed position (1 = first), whatever the recommender says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The platform's product id.
    pub product_id: String,
    pub position: u32,
}

/// The merchant's controls over a widget's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WidgetRules {
    /// Only products in stock (or not tracked). On by default.
    pub in_stock_only: bool,
    pub pins: Vec<Pin>,
    /// Platform product ids never shown.
    pub exclude_products: Vec<String>,
    /// Collections (platform id or handle) whose products are never shown.
    pub exclude_collections: Vec<String>,
    pub exclude_tags: Vec<String>,
    pub exclude_vendors: Vec<String>,
    pub min_price_minor: Option<i64>,
    pub max_price_minor: Option<i64>,
    /// At most this many products of one vendor / product type.
    pub max_per_vendor: Option<u32>,
    pub max_per_type: Option<u32>,
    /// Never show what the shopper already bought.
    pub hide_purchased: bool,
    /// 0..=1: how much newer products move up.
    pub boost_newness: f32,
    /// 0..=1: how much well-stocked products move up.
    pub boost_inventory: f32,
    /// 0..=1: how much higher-margin products move up (only where the product's cost is known).
    pub boost_margin: f32,
    /// Shown only to visitors in at least one of these segments (segment ids); empty = everyone.
    pub segments: Vec<String>,
}

impl Default for WidgetRules {
    fn default() -> Self {
        WidgetRules {
            in_stock_only: true,
            pins: Vec::new(),
            exclude_products: Vec::new(),
            exclude_collections: Vec::new(),
            exclude_tags: Vec::new(),
            exclude_vendors: Vec::new(),
            min_price_minor: None,
            max_price_minor: None,
            max_per_vendor: None,
            max_per_type: None,
            hide_purchased: false,
            boost_newness: 0.0,
            boost_inventory: 0.0,
            boost_margin: 0.0,
            segments: Vec::new(),
        }
    }
}

const MAX_LIST: usize = 200;

impl WidgetRules {
    /// Parses and checks the `rules` member of a widget body; problems name their field
    /// (`rules.pins[1].position`).
    pub fn from_json(value: &serde_json::Value, errors: &mut Vec<FieldError>) -> Option<Self> {
        if value.is_null() {
            return Some(WidgetRules::default());
        }
        let rules: WidgetRules = match serde_json::from_value(value.clone()) {
            Ok(r) => r,
            Err(e) => {
                errors.push(FieldError::new("rules", e.to_string()));
                return None;
            }
        };
        let before = errors.len();
        let id_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let mut seen_positions = Vec::new();
        for (i, pin) in rules.pins.iter().enumerate() {
            if !id_ok(&pin.product_id) {
                errors.push(FieldError::new(
                    format!("rules.pins[{i}].product_id"),
                    "is not a product id",
                ));
            }
            if !(MIN_PRODUCTS..=MAX_PRODUCTS).contains(&pin.position) {
                errors.push(FieldError::new(
                    format!("rules.pins[{i}].position"),
                    format!("must be from {MIN_PRODUCTS} to {MAX_PRODUCTS}"),
                ));
            } else if seen_positions.contains(&pin.position) {
                errors.push(FieldError::new(
                    format!("rules.pins[{i}].position"),
                    "is already taken by another pin",
                ));
            }
            seen_positions.push(pin.position);
        }
        for (field, list) in [
            ("exclude_products", &rules.exclude_products),
            ("exclude_collections", &rules.exclude_collections),
            ("exclude_tags", &rules.exclude_tags),
            ("exclude_vendors", &rules.exclude_vendors),
        ] {
            if list.len() > MAX_LIST {
                errors.push(FieldError::new(
                    format!("rules.{field}"),
                    format!("must have at most {MAX_LIST} entries"),
                ));
            }
            if let Some(i) = list
                .iter()
                .position(|s| s.trim().is_empty() || s.chars().count() > 255)
            {
                errors.push(FieldError::new(
                    format!("rules.{field}[{i}]"),
                    "must be 1 to 255 characters",
                ));
            }
        }
        for (field, v) in [
            ("min_price_minor", rules.min_price_minor),
            ("max_price_minor", rules.max_price_minor),
        ] {
            if v.is_some_and(|p| p < 0) {
                errors.push(FieldError::new(
                    format!("rules.{field}"),
                    "must not be negative",
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (rules.min_price_minor, rules.max_price_minor)
            && lo > hi
        {
            errors.push(FieldError::new(
                "rules.max_price_minor",
                "must not be below min_price_minor",
            ));
        }
        for (field, v) in [
            ("max_per_vendor", rules.max_per_vendor),
            ("max_per_type", rules.max_per_type),
        ] {
            if v == Some(0) {
                errors.push(FieldError::new(
                    format!("rules.{field}"),
                    "must be at least 1",
                ));
            }
        }
        for (field, v) in [
            ("boost_newness", rules.boost_newness),
            ("boost_inventory", rules.boost_inventory),
            ("boost_margin", rules.boost_margin),
        ] {
            if !(0.0..=1.0).contains(&v) {
                errors.push(FieldError::new(
                    format!("rules.{field}"),
                    "must be from 0 to 1",
                ));
            }
        }
        if rules.segments.len() > MAX_SEGMENTS {
            errors.push(FieldError::new(
                "rules.segments",
                format!("must list at most {MAX_SEGMENTS} segments"),
            ));
        }
        for (i, s) in rules.segments.iter().enumerate() {
            if !id_ok(s) {
                errors.push(FieldError::new(
                    format!("rules.segments[{i}]"),
                    "is not a segment id",
                ));
            } else if rules.segments[..i].contains(s) {
                errors.push(FieldError::new(
                    format!("rules.segments[{i}]"),
                    "is listed twice",
                ));
            }
        }
        (errors.len() == before).then_some(rules)
    }
}

/// Most segments one widget can be limited to.
pub const MAX_SEGMENTS: usize = 20;

#[cfg(test)]
mod rules_tests {
    use super::*;

    #[test]
    fn defaults_and_field_paths() {
        let mut e = Vec::new();
        assert_eq!(
            WidgetRules::from_json(&serde_json::Value::Null, &mut e),
            Some(WidgetRules::default())
        );
        assert!(WidgetRules::default().in_stock_only);
        let bad = serde_json::json!({"pins": [{"product_id": "1", "position": 2}, {"product_id": "x y", "position": 2}], "min_price_minor": 500, "max_price_minor": 100, "max_per_vendor": 0, "boost_newness": 3.0});
        assert!(WidgetRules::from_json(&bad, &mut e).is_none());
        let fields: Vec<&str> = e.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "rules.pins[1].product_id",
                "rules.pins[1].position",
                "rules.max_price_minor",
                "rules.max_per_vendor",
                "rules.boost_newness"
            ]
        );
        let mut e = Vec::new();
        assert!(WidgetRules::from_json(&serde_json::json!({"colour": "red"}), &mut e).is_none());
        assert!(e[0].message.contains("colour"), "{e:?}");
    }
}
