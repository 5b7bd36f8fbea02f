//! Catalog presentation: money formatting and product cards.

use attune_api::storefront::{Money, RecommendedProduct};

use crate::db::catalog::ProductRow;

/// Currencies whose minor unit is the whole unit.
const ZERO_DECIMAL: [&str; 6] = ["JPY", "KRW", "VND", "CLP", "ISK", "HUF"];

pub fn money(amount_minor: i64, currency: &str) -> Money {
    let code = currency.to_ascii_uppercase();
    let symbol = match code.as_str() {
        "GBP" => "£",
        "USD" | "CAD" | "AUD" | "NZD" => "$",
        "EUR" => "€",
        "JPY" => "¥",
        _ => "",
    };
    let sign = if amount_minor < 0 { "-" } else { "" };
    let abs = amount_minor.unsigned_abs();
    let number = if ZERO_DECIMAL.contains(&code.as_str()) {
        abs.to_string()
    } else {
        format!("{}.{:02}", abs / 100, abs % 100)
    };
    let formatted = if symbol.is_empty() {
        format!("{sign}{number} {code}")
    } else {
        format!("{sign}{symbol}{number}")
    };
    Money {
        amount_minor,
        currency: code,
        formatted,
    }
}

pub fn card(p: &ProductRow, reason: &str) -> RecommendedProduct {
    RecommendedProduct {
        id: p.platform_id.clone(),
        handle: p.handle.clone(),
        title: p.title.clone(),
        url: format!("/products/{}", p.handle),
        image_url: p.image_url.clone(),
        price: money(p.price_minor, &p.currency),
        reason: reason.to_owned(),
    }
}

/// Up to two initials, for the image placeholder of products without an image.
pub fn initials(title: &str) -> String {
    title
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_money() {
        assert_eq!(money(1234, "gbp").formatted, "£12.34");
        assert_eq!(money(5, "USD").formatted, "$0.05");
        assert_eq!(money(-250, "EUR").formatted, "-€2.50");
        assert_eq!(money(1500, "JPY").formatted, "¥1500");
        assert_eq!(money(100, "CHF").formatted, "1.00 CHF");
    }

    #[test]
    fn initials_of_titles() {
        assert_eq!(initials("White hanging heart"), "WH");
        assert_eq!(initials("  "), "");
    }
}
