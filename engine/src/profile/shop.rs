//! The per-shop bundle the server fits and scores with.

use super::bgnbd::{self, BgNbdFit, BgNbdOptions, Observation};
use super::gamma_gamma::{self, GammaGammaFit, SpendObservation};
use super::price_band::PriceBands;
use super::rfm::RfmScorer;
use super::summary::CustomerSummary;

/// How customer lifetime value and the next-order prediction are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvOptions {
    pub horizon_days: f64,
    /// 0 (the default) leaves CLV undiscounted; otherwise orders are discounted at this yearly
    /// rate in month-long steps.
    pub annual_discount_rate: f64,
    /// Beyond this, "days to next order" is reported as unknown rather than as a far-off date.
    pub max_days_to_next_order: f64,
}

impl Default for ClvOptions {
    fn default() -> Self {
        Self {
            horizon_days: 365.0,
            annual_discount_rate: 0.0,
            max_days_to_next_order: 365.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig {
    pub bgnbd: BgNbdOptions,
    /// See [`BgNbdOptions::prior_sd`]; the same reasoning applies to Gamma-Gamma.
    pub gamma_gamma_prior_sd: f64,
    pub clv: ClvOptions,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            bgnbd: BgNbdOptions::default(),
            gamma_gamma_prior_sd: gamma_gamma::DEFAULT_PRIOR_SD,
            clv: ClvOptions::default(),
        }
    }
}

/// A shop's fitted profile models.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopModels {
    pub rfm: RfmScorer,
    pub bgnbd: BgNbdFit,
    pub gamma_gamma: GammaGammaFit,
    /// `None` when the shop has no priced products.
    pub price_bands: Option<PriceBands>,
    pub clv: ClvOptions,
}

/// One customer's scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// RFM quintile scores, 1..=5, 5 best.
    pub recency_score: u8,
    pub frequency_score: u8,
    pub monetary_score: u8,
    /// BG/NBD probability that the customer is still active (1 for one-time buyers: see the
    /// module docs).
    pub p_alive: f64,
    /// 1 − `p_alive`.
    pub churn_risk: f64,
    /// Expected orders in the next 365 days.
    pub expected_orders_365: f64,
    /// Gamma-Gamma expected value of this customer's future orders.
    pub expected_order_value_minor: i64,
    /// Expected spend over [`ClvOptions::horizon_days`].
    pub predicted_clv_minor: i64,
    /// Median days from now to the next order: the t with P(an order within t) = ½. `None` when
    /// another order is less likely than not, or the median lies beyond
    /// [`ClvOptions::max_days_to_next_order`].
    pub predicted_days_to_next_order: Option<f64>,
}

impl ShopModels {
    /// Fits every model with the default configuration. `product_prices_minor` (one per product
    /// or variant) sets the price bands.
    pub fn fit(customers: &[CustomerSummary], product_prices_minor: &[i64], now: i64) -> Self {
        Self::fit_with(customers, product_prices_minor, now, &FitConfig::default())
    }

    pub fn fit_with(
        customers: &[CustomerSummary],
        product_prices_minor: &[i64],
        now: i64,
        config: &FitConfig,
    ) -> Self {
        let observations: Vec<Observation> = customers
            .iter()
            .filter_map(|c| c.observation(now))
            .collect();
        let spend: Vec<SpendObservation> = customers
            .iter()
            .filter_map(|c| {
                Some(SpendObservation {
                    x: c.repeat_orders(),
                    mean_value: c.repeat_order_value_minor()?,
                })
            })
            .collect();
        let (spent, orders) = customers.iter().fold((0.0, 0.0), |(s, n), c| {
            (
                s + c.total_spent_minor as f64,
                n + f64::from(c.orders_count),
            )
        });
        let mean_order_value = if orders > 0.0 { spent / orders } else { 0.0 };
        Self {
            rfm: RfmScorer::fit(customers, now),
            bgnbd: bgnbd::fit(&observations, &config.bgnbd),
            gamma_gamma: gamma_gamma::fit(&spend, mean_order_value, config.gamma_gamma_prior_sd),
            price_bands: PriceBands::fit(product_prices_minor),
            clv: config.clv,
        }
    }

    /// Scores one customer at `now`; `None` for a customer with no orders (nothing to score).
    pub fn score(&self, customer: &CustomerSummary, now: i64) -> Option<Scores> {
        let rfm = self.rfm.score(customer, now)?;
        let obs = customer.observation(now)?;
        let bg = &self.bgnbd.params;
        let p_alive = bg.p_alive(&obs);
        let expected_orders_365 = bg.expected_orders(&obs, 365.0);
        let value = self
            .gamma_gamma
            .params
            .expected_order_value(
                customer.repeat_orders(),
                customer.repeat_order_value_minor().unwrap_or(f64::NAN),
            )
            .max(0.0);
        let clv = value * self.discounted_orders(&obs, expected_orders_365);
        Some(Scores {
            recency_score: rfm.recency,
            frequency_score: rfm.frequency,
            monetary_score: rfm.monetary,
            p_alive,
            churn_risk: 1.0 - p_alive,
            expected_orders_365,
            expected_order_value_minor: to_minor(value),
            predicted_clv_minor: to_minor(clv),
            predicted_days_to_next_order: bg
                .median_days_to_next_order(&obs, self.clv.max_days_to_next_order),
        })
    }

    /// Expected orders over the CLV horizon, discounted if configured; `orders_365` saves a
    /// quadrature in the default case.
    fn discounted_orders(&self, obs: &Observation, orders_365: f64) -> f64 {
        let ClvOptions {
            horizon_days,
            annual_discount_rate,
            ..
        } = self.clv;
        let bg = &self.bgnbd.params;
        if annual_discount_rate <= 0.0 {
            return if horizon_days == 365.0 {
                orders_365
            } else {
                bg.expected_orders(obs, horizon_days)
            };
        }
        let steps = (horizon_days / 30.44).ceil().max(1.0);
        let (mut total, mut before) = (0.0, 0.0);
        for i in 1..=steps as u32 {
            let t = horizon_days * f64::from(i) / steps;
            let cumulative = bg.expected_orders(obs, t);
            total += (cumulative - before) / (1.0 + annual_discount_rate).powf(t / 365.0);
            before = cumulative;
        }
        total
    }
}

fn to_minor(x: f64) -> i64 {
    if x.is_finite() { x.round() as i64 } else { 0 }
}
