//! Catalog presentation: money formatting and product cards.

use attune_api::storefront::{Money, RecommendedProduct};

use crate::db::catalog::ProductRow;

pub fn money(amount_minor: i64, currency: &str) -> Money {
    Money {
        amount_minor,
        currency: currency.to_ascii_uppercase(),
        formatted: crate::money::format(amount_minor, currency),
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
        explanation: None,
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
    fn initials_of_titles() {
        assert_eq!(initials("White hanging heart"), "WH");
        assert_eq!(initials("  "), "");
    }
}
