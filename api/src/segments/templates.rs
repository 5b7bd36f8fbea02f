//! Ready-made segments a merchant can start from.

use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentTemplate {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Rule JSON, as the editor writes it.
    pub rules: serde_json::Value,
}

fn template(id: &str, name: &str, description: &str, rules: serde_json::Value) -> SegmentTemplate {
    SegmentTemplate {
        id: id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        rules,
    }
}

/// The built-in templates, in the order the admin offers them.
pub fn templates() -> Vec<SegmentTemplate> {
    vec![
        template(
            "new_visitor",
            "New visitors",
            "First visit to the store.",
            json!({"field": "visitor_type", "op": "eq", "value": "new"}),
        ),
        template(
            "returning_visitor",
            "Returning visitors",
            "Have visited before.",
            json!({"field": "visitor_type", "op": "eq", "value": "returning"}),
        ),
        template(
            "vip",
            "VIP customers",
            "Top spenders with at least three orders.",
            json!({"all": [
                {"field": "monetary_score", "op": "gte", "value": 4},
                {"field": "orders_count", "op": "gte", "value": 3}
            ]}),
        ),
        template(
            "cart_abandoner",
            "Cart abandoners",
            "Added to cart in the last 3 days without completing a checkout.",
            json!({"all": [
                {"event": "product_added_to_cart", "within_days": 3},
                {"not": {"event": "checkout_completed", "within_days": 3}}
            ]}),
        ),
        template(
            "lapsed_customer",
            "Lapsed customers",
            "Customers with no order in 120 days, or likely to churn.",
            json!({"all": [
                {"field": "is_customer", "op": "eq", "value": true},
                {"any": [
                    {"field": "days_since_last_order", "op": "gt", "value": 120},
                    {"field": "churn_risk", "op": "gte", "value": 0.7}
                ]}
            ]}),
        ),
        template(
            "discount_seeker",
            "Discount seekers",
            "Repeat customers who use a discount on at least half their orders.",
            json!({"all": [
                {"field": "discount_share", "op": "gte", "value": 0.5},
                {"field": "orders_count", "op": "gte", "value": 2}
            ]}),
        ),
        template(
            "high_intent",
            "High intent",
            "Viewed 3 or more products today, or has something in the cart.",
            json!({"any": [
                {"event": "product_viewed", "at_least": 3, "within_days": 1},
                {"field": "cart_value", "op": "gt", "value": 0}
            ]}),
        ),
        template(
            "paid_social",
            "Paid social traffic",
            "Arrived from a paid social campaign.",
            json!({"field": "source", "op": "eq", "value": "paid_social"}),
        ),
    ]
}

pub fn find_template(id: &str) -> Option<SegmentTemplate> {
    templates().into_iter().find(|t| t.id == id)
}
