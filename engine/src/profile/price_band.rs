//! Price bands: where a shopper's usual price point sits in the shop's catalogue. Thresholds are
//! the terciles of the shop's product prices; a shopper's band is that of the average unit price
//! they paid.

/// Low, mid or high, relative to the shop's own catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PriceBand {
    Low,
    Mid,
    High,
}

/// A shop's tercile thresholds, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriceBands {
    /// Prices below this are low.
    pub low_below: i64,
    /// Prices at or above this are high (≥ `low_below`).
    pub high_from: i64,
}

impl PriceBands {
    /// Terciles of the given prices (one per product or variant; non-positive prices are free
    /// gifts or placeholders and are ignored). `None` when there are no priced products.
    pub fn fit(product_prices_minor: &[i64]) -> Option<Self> {
        let mut prices: Vec<i64> = product_prices_minor
            .iter()
            .copied()
            .filter(|p| *p > 0)
            .collect();
        if prices.is_empty() {
            return None;
        }
        prices.sort_unstable();
        Some(Self {
            low_below: tercile_start(&prices, 1),
            high_from: tercile_start(&prices, 2),
        })
    }

    pub fn band(&self, unit_price_minor: i64) -> PriceBand {
        if unit_price_minor >= self.high_from && self.high_from > self.low_below {
            PriceBand::High
        } else if unit_price_minor < self.low_below {
            PriceBand::Low
        } else {
            PriceBand::Mid
        }
    }

    /// The band of the average unit price paid over (unit price, quantity) purchase lines;
    /// `None` when no units were bought.
    pub fn band_of_purchases(
        &self,
        lines: impl IntoIterator<Item = (i64, u32)>,
    ) -> Option<PriceBand> {
        let (paid, units) = lines
            .into_iter()
            .fold((0i128, 0u64), |(paid, units), (price, qty)| {
                (
                    paid + i128::from(price) * i128::from(qty),
                    units + u64::from(qty),
                )
            });
        if units == 0 {
            return None;
        }
        let average = i64::try_from(paid / i128::from(units)).unwrap_or(i64::MAX);
        Some(self.band(average))
    }
}

/// The first price of the k-th third of sorted, non-empty prices (so that with distinct prices
/// each band holds ⌈n/3⌉ or ⌊n/3⌋ of them); thresholds stay exact money amounts.
fn tercile_start(sorted: &[i64], k: usize) -> i64 {
    sorted[(k * sorted.len()).div_ceil(3).min(sorted.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn terciles_of_a_small_catalogue() {
        let bands = PriceBands::fit(&[1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 0, -5]).unwrap();
        assert_eq!(
            bands,
            PriceBands {
                low_below: 3_000,
                high_from: 5_000
            }
        );
        assert_eq!(bands.band(2_999), PriceBand::Low);
        assert_eq!(bands.band(3_000), PriceBand::Mid);
        assert_eq!(bands.band(4_999), PriceBand::Mid);
        assert_eq!(bands.band(5_000), PriceBand::High);
        assert_eq!(
            bands.band_of_purchases([(1_000, 1), (7_000, 1)]),
            Some(PriceBand::Mid)
        );
        assert_eq!(
            bands.band_of_purchases([(1_000, 3), (7_000, 1)]),
            Some(PriceBand::Low)
        );
        assert_eq!(
            bands.band_of_purchases([(1_000, 1), (7_000, 3)]),
            Some(PriceBand::High)
        );
        assert_eq!(bands.band_of_purchases([]), None);
        assert_eq!(PriceBands::fit(&[0]), None);
    }

    #[test]
    fn a_one_price_shop_is_all_mid() {
        let bands = PriceBands::fit(&[2_500; 7]).unwrap();
        for price in [1, 2_500, 90_000] {
            assert_ne!(bands.band(price), PriceBand::High);
        }
        assert_eq!(bands.band(2_500), PriceBand::Mid);
    }

    proptest! {
        #[test]
        fn bands_split_the_catalogue_roughly_in_thirds(prices in prop::collection::vec(1i64..1_000_000, 30..300)) {
            let bands = PriceBands::fit(&prices).unwrap();
            prop_assert!(bands.low_below <= bands.high_from);
            let n = prices.len() as f64;
            let low = prices.iter().filter(|p| bands.band(**p) == PriceBand::Low).count() as f64;
            let high = prices.iter().filter(|p| bands.band(**p) == PriceBand::High).count() as f64;
            // Ties can move whole groups, but with distinct-ish prices each band is near a third.
            prop_assert!(low <= n / 3.0 + 1.0, "low {low} of {n}");
            prop_assert!(high <= 2.0 * n / 3.0 + 1.0, "high {high} of {n}");
            prop_assert!(prices.iter().all(|p| bands.band(*p) != PriceBand::Low || *p < bands.low_below));
            let distinct = prices.iter().collect::<std::collections::BTreeSet<_>>().len();
            if distinct == prices.len() {
                prop_assert!((low - n / 3.0).abs() <= 1.0, "low {low} of {n}");
                prop_assert!((high - n / 3.0).abs() <= 1.0, "high {high} of {n}");
            }
        }
    }
}
