//! The visitor facts a rule can compare, with what the admin needs to render a control for
//! each, and the operators that apply to each kind.

use serde::Serialize;

/// What a field holds, which decides its form control, its operators and its value's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "values")]
pub enum FieldKind {
    /// A count or other plain number.
    Number,
    /// Integer minor units of the shop's currency.
    Money,
    /// A whole number of days.
    Days,
    /// A whole score from 1 to 5.
    Score,
    /// A share from 0 to 1.
    Ratio,
    /// Free text, compared without regard to case.
    Text,
    /// One of a fixed list of values.
    OneOf(&'static [&'static str]),
    Bool,
}

impl FieldKind {
    /// Operators that apply to this kind, in the order a form offers them.
    pub fn ops(self) -> &'static [Op] {
        use Op::*;
        match self {
            FieldKind::Number
            | FieldKind::Money
            | FieldKind::Days
            | FieldKind::Score
            | FieldKind::Ratio => &[Gt, Gte, Lt, Lte, Eq, Ne, Between, In, Exists, Missing],
            FieldKind::Text => &[Eq, Ne, Contains, In, Exists, Missing],
            FieldKind::OneOf(_) => &[Eq, Ne, In, Exists, Missing],
            FieldKind::Bool => &[Eq, Ne, Exists, Missing],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Number => "number",
            FieldKind::Money => "money",
            FieldKind::Days => "days",
            FieldKind::Score => "score",
            FieldKind::Ratio => "ratio",
            FieldKind::Text => "text",
            FieldKind::OneOf(_) => "one_of",
            FieldKind::Bool => "bool",
        }
    }
}

/// Where a fact comes from: the shopper's whole history, or the current visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldGroup {
    Profile,
    Session,
}

/// One entry of [`FIELDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FieldSpec {
    #[serde(rename = "name")]
    pub field: Field,
    pub label: &'static str,
    pub kind: FieldKind,
    pub group: FieldGroup,
}

macro_rules! catalogue {
    ($($variant:ident = $name:literal, $label:literal, $kind:expr, $group:ident;)*) => {
        /// A visitor fact a comparison can name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Field { $($variant,)* }

        /// Every field, in the order the admin lists them.
        pub static FIELDS: &[FieldSpec] = &[$(FieldSpec {
            field: Field::$variant,
            label: $label,
            kind: $kind,
            group: FieldGroup::$group,
        },)*];

        impl Field {
            pub fn name(self) -> &'static str {
                match self { $(Field::$variant => $name,)* }
            }
        }
    };
}

use FieldKind::*;

pub const PRICE_BANDS: &[&str] = &["low", "mid", "high"];
pub const VISITOR_TYPES: &[&str] = &["new", "returning"];
pub const SOURCES: &[&str] = &[
    "direct",
    "organic_search",
    "paid_search",
    "organic_social",
    "paid_social",
    "email",
    "referral",
    "other",
];
pub const DEVICES: &[&str] = &["mobile", "tablet", "desktop"];

catalogue! {
    OrdersCount = "orders_count", "Orders placed", Number, Profile;
    TotalSpent = "total_spent", "Total spent", Money, Profile;
    AverageOrderValue = "average_order_value", "Average order value", Money, Profile;
    DaysSinceLastOrder = "days_since_last_order", "Days since last order", Days, Profile;
    RecencyScore = "recency_score", "Recency score (1-5)", Score, Profile;
    FrequencyScore = "frequency_score", "Frequency score (1-5)", Score, Profile;
    MonetaryScore = "monetary_score", "Monetary score (1-5)", Score, Profile;
    DiscountShare = "discount_share", "Share of orders with a discount", Ratio, Profile;
    PredictedClv = "predicted_clv", "Predicted lifetime value", Money, Profile;
    ChurnRisk = "churn_risk", "Churn risk", Ratio, Profile;
    PredictedDaysToNextOrder = "predicted_days_to_next_order", "Predicted days to next order", Days, Profile;
    PriceBand = "price_band", "Usual price band", OneOf(PRICE_BANDS), Profile;
    IsCustomer = "is_customer", "Has ordered before", Bool, Profile;
    PagesViewed = "pages_viewed", "Pages viewed this visit", Number, Session;
    SessionsCount = "sessions_count", "Visits", Number, Session;
    CartValue = "cart_value", "Cart value", Money, Session;
    CartItems = "cart_items", "Items in cart", Number, Session;
    DaysSinceFirstSeen = "days_since_first_seen", "Days since first visit", Days, Session;
    VisitorType = "visitor_type", "New or returning", OneOf(VISITOR_TYPES), Session;
    Source = "source", "Traffic source", OneOf(SOURCES), Session;
    UtmSource = "utm_source", "UTM source", Text, Session;
    UtmMedium = "utm_medium", "UTM medium", Text, Session;
    UtmCampaign = "utm_campaign", "UTM campaign", Text, Session;
    ReferrerDomain = "referrer_domain", "Referring site", Text, Session;
    LandingPage = "landing_page", "Landing page", Text, Session;
    Device = "device", "Device", OneOf(DEVICES), Session;
}

impl Field {
    pub fn parse(name: &str) -> Option<Field> {
        FIELDS.iter().map(|s| s.field).find(|f| f.name() == name)
    }

    pub fn spec(self) -> FieldSpec {
        // The catalogue lists every variant once (a test checks), so the fallback never runs;
        // it keeps this total without a panic path.
        FIELDS
            .iter()
            .find(|s| s.field == self)
            .copied()
            .unwrap_or(FieldSpec {
                field: self,
                label: self.name(),
                kind: FieldKind::Text,
                group: FieldGroup::Profile,
            })
    }

    pub fn kind(self) -> FieldKind {
        self.spec().kind
    }
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Inclusive `[low, high]`.
    Between,
    In,
    Contains,
    Exists,
    Missing,
}

impl Op {
    pub const ALL: [Op; 11] = [
        Op::Eq,
        Op::Ne,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::Between,
        Op::In,
        Op::Contains,
        Op::Exists,
        Op::Missing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Between => "between",
            Op::In => "in",
            Op::Contains => "contains",
            Op::Exists => "exists",
            Op::Missing => "missing",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Op::Eq => "is",
            Op::Ne => "is not",
            Op::Gt => "more than",
            Op::Gte => "at least",
            Op::Lt => "less than",
            Op::Lte => "at most",
            Op::Between => "between",
            Op::In => "is one of",
            Op::Contains => "contains",
            Op::Exists => "is known",
            Op::Missing => "is unknown",
        }
    }

    pub fn parse(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == name)
    }
}
