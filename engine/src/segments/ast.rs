//! The rule language as plain data: what the server builds from a validated wire rule.

/// A segment rule. Strings are as the merchant wrote them; [`super::compile`] folds case and
/// interns them.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// True when every rule is (so an empty list is true).
    All(Vec<Rule>),
    /// True when some rule is (so an empty list is false).
    Any(Vec<Rule>),
    Not(Box<Rule>),
    /// A visitor fact against a constant. False when the visitor lacks the fact, except for
    /// [`Op::Missing`].
    Compare {
        field: Field,
        op: Op,
        value: Value,
    },
    /// True when `value` is among the visitor's top affinities of this kind.
    Affinity {
        kind: AffinityKind,
        value: String,
    },
    Behaviour(Behaviour),
    /// Membership of another segment of the same shop, by its id.
    Member(String),
}

/// "Did `event` happen at least `at_least` times in the last `within_days` days", optionally
/// only for events about a given product, collection, type, vendor or tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    pub event: EventKind,
    pub collection: Option<String>,
    pub product_type: Option<String>,
    pub vendor: Option<String>,
    pub tag: Option<String>,
    /// The platform's product id.
    pub product: Option<String>,
    pub at_least: u32,
    /// 1 to 365.
    pub within_days: u32,
}

impl Behaviour {
    pub fn new(event: EventKind, at_least: u32, within_days: u32) -> Self {
        Behaviour {
            event,
            collection: None,
            product_type: None,
            vendor: None,
            tag: None,
            product: None,
            at_least,
            within_days,
        }
    }
}

/// The constant side of a comparison. Money is in minor units; whole amounts up to 2^53 are
/// exact as `f64`, which is as far as the wire format lets them go.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// For [`Op::Exists`] and [`Op::Missing`].
    None,
    Number(f64),
    Bool(bool),
    Text(String),
    /// Inclusive bounds, low first.
    Range(f64, f64),
    Numbers(Vec<f64>),
    Texts(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
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
}

/// How the engine stores a field; the finer kinds of the wire catalogue (money, days, score,
/// ratio, one-of) only matter to validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Number,
    Bool,
    Text,
}

macro_rules! fields {
    ($($variant:ident = $name:literal : $ty:ident,)*) => {
        /// A visitor fact a rule can compare.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $($variant,)* }

        impl Field {
            pub const ALL: [Field; Field::COUNT] = [$(Field::$variant,)*];

            pub fn name(self) -> &'static str {
                match self { $(Field::$variant => $name,)* }
            }

            pub fn ty(self) -> FieldType {
                match self { $(Field::$variant => FieldType::$ty,)* }
            }
        }
    };
}

fields! {
    OrdersCount = "orders_count": Number,
    TotalSpent = "total_spent": Number,
    AverageOrderValue = "average_order_value": Number,
    DaysSinceLastOrder = "days_since_last_order": Number,
    RecencyScore = "recency_score": Number,
    FrequencyScore = "frequency_score": Number,
    MonetaryScore = "monetary_score": Number,
    DiscountShare = "discount_share": Number,
    PredictedClv = "predicted_clv": Number,
    ChurnRisk = "churn_risk": Number,
    PredictedDaysToNextOrder = "predicted_days_to_next_order": Number,
    PriceBand = "price_band": Text,
    IsCustomer = "is_customer": Bool,
    PagesViewed = "pages_viewed": Number,
    SessionsCount = "sessions_count": Number,
    CartValue = "cart_value": Number,
    CartItems = "cart_items": Number,
    DaysSinceFirstSeen = "days_since_first_seen": Number,
    VisitorType = "visitor_type": Text,
    Source = "source": Text,
    UtmSource = "utm_source": Text,
    UtmMedium = "utm_medium": Text,
    UtmCampaign = "utm_campaign": Text,
    ReferrerDomain = "referrer_domain": Text,
    LandingPage = "landing_page": Text,
    Device = "device": Text,
}

impl Field {
    pub const COUNT: usize = 26;

    pub fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AffinityKind {
    Collection,
    ProductType,
    Vendor,
    Tag,
}

impl AffinityKind {
    pub const COUNT: usize = 4;
    pub const ALL: [AffinityKind; 4] = [
        AffinityKind::Collection,
        AffinityKind::ProductType,
        AffinityKind::Vendor,
        AffinityKind::Tag,
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// Storefront event kinds a behaviour condition can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    PageViewed,
    ProductViewed,
    CollectionViewed,
    SearchSubmitted,
    ProductAddedToCart,
    CheckoutStarted,
    CheckoutCompleted,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::PageViewed,
        EventKind::ProductViewed,
        EventKind::CollectionViewed,
        EventKind::SearchSubmitted,
        EventKind::ProductAddedToCart,
        EventKind::CheckoutStarted,
        EventKind::CheckoutCompleted,
    ];
}
