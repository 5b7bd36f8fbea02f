//! Plain-language segment descriptions, from a centroid's z-scores (what sets the segment apart
//! from the shop's other shoppers) and its members' typical values (what a merchant can picture).

use super::{DIMS, SegmentTypical};

/// A z-score past this marks a feature as notably high or low for the shop.
const NOTABLE: f64 = 0.5;

const ORDERS: usize = 1;
const SPENT: usize = 2;
const DISCOUNT: usize = 4;
const SESSIONS: usize = 5;
const PAGES: usize = 6;
const CHURN: usize = 7;

pub fn describe(z: &[f64; DIMS], typical: &SegmentTypical) -> String {
    if typical.buyer_share < 0.5 {
        return describe_browsers(z, typical);
    }
    let frequency = if typical.mean_orders < 1.5 {
        "One-time"
    } else if z[ORDERS] > NOTABLE {
        "Frequent"
    } else {
        "Repeat"
    };
    let spending = if z[SPENT] > NOTABLE {
        Some("high-spending")
    } else if z[SPENT] < -NOTABLE {
        Some("low-spending")
    } else {
        None
    };
    let mut text = match spending {
        Some(s) => format!("{frequency}, {s} customers"),
        None => format!("{frequency} customers"),
    };
    if z[DISCOUNT] > NOTABLE {
        text += if typical.mean_discount_share > 0.5 {
            " who mostly buy on discount"
        } else {
            " who often use discounts"
        };
    } else if z[DISCOUNT] < -NOTABLE {
        text += " who rarely use discounts";
    }
    // Churn z-scores alone mislead: beside one-time buyers (whom BG/NBD never counts as lapsed)
    // any repeat buyer looks risky, so the segment's own risk must be material too.
    if z[CHURN] > NOTABLE && typical.mean_churn_risk >= 0.3 {
        text += ", at risk of lapsing";
    }
    if let Some(days) = typical.median_days_since_last_order {
        text += &format!("; last order {}", ago(days));
    }
    text
}

fn describe_browsers(z: &[f64; DIMS], typical: &SegmentTypical) -> String {
    let visitors = if typical.mean_sessions < 1.5 {
        "One-time visitors"
    } else if z[SESSIONS] > NOTABLE {
        "Returning visitors"
    } else {
        "Occasional visitors"
    };
    let browsing = if z[PAGES] > NOTABLE {
        "browse many pages"
    } else if typical.mean_pages_per_session < 2.0 {
        "view a page or two"
    } else {
        "browse a few pages"
    };
    let mut text = format!("{visitors} who {browsing} but have not bought");
    if typical.buyer_share > 0.0 {
        text += &format!(" (about {:.0}% have ordered)", typical.buyer_share * 100.0);
    }
    text
}

/// "about 2 weeks ago"-style rounding: days under two weeks, then weeks, months, years.
pub fn ago(days: f64) -> String {
    let count = |n: f64, unit: &str| {
        let n = n.round().max(1.0) as u64;
        if n == 1 {
            format!("about a {unit} ago")
        } else {
            format!("about {n} {unit}s ago")
        }
    };
    if days < 1.0 {
        "within the last day".to_owned()
    } else if days < 13.5 {
        let n = days.round() as u64;
        if n == 1 {
            "about a day ago".to_owned()
        } else {
            format!("about {n} days ago")
        }
    } else if days < 8.0 * 7.0 {
        count(days / 7.0, "week")
    } else if days < 548.0 {
        count(days / 30.44, "month")
    } else {
        count(days / 365.25, "year")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typical(buyer_share: f64, mean_orders: f64, days: Option<f64>) -> SegmentTypical {
        SegmentTypical {
            buyer_share,
            median_days_since_last_order: days,
            mean_orders,
            mean_total_spent_minor: 0.0,
            mean_discount_share: 0.1,
            mean_sessions: 1.0,
            mean_pages_per_session: 9.0,
            mean_churn_risk: 0.1,
        }
    }

    #[test]
    fn describes_the_two_archetypes_from_the_brief() {
        let mut z = [0.0; DIMS];
        z[ORDERS] = 1.4;
        z[SPENT] = 1.2;
        z[DISCOUNT] = -0.9;
        z[CHURN] = 0.8;
        assert_eq!(
            describe(&z, &typical(1.0, 6.0, Some(15.0))),
            "Frequent, high-spending customers who rarely use discounts; last order about 2 weeks ago"
        );
        let mut z = [0.0; DIMS];
        z[PAGES] = 1.1;
        assert_eq!(
            describe(&z, &typical(0.0, 0.0, None)),
            "One-time visitors who browse many pages but have not bought"
        );
    }

    #[test]
    fn rounds_ages_like_a_person_would() {
        assert_eq!(ago(0.2), "within the last day");
        assert_eq!(ago(1.2), "about a day ago");
        assert_eq!(ago(5.0), "about 5 days ago");
        assert_eq!(ago(15.0), "about 2 weeks ago");
        assert_eq!(ago(100.0), "about 3 months ago");
        assert_eq!(ago(400.0), "about 13 months ago");
        assert_eq!(ago(800.0), "about 2 years ago");
    }
}
