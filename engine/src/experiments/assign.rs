//! Deterministic assignment: a visitor lands in the same arm on every request and every server
//! process, with no state kept, by hashing the experiment's salt with the visitor's id.

use serde::{Deserialize, Serialize};

/// FNV-1a over `salt`, a separator and `unit`, mapped to [0, 1). Stable across platforms and
/// releases: changing it would reshuffle every running experiment.
pub fn bucket(salt: &str, unit: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in salt
        .bytes()
        .chain(std::iter::once(0x1f))
        .chain(unit.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // FNV's low bits mix poorly for short inputs; finish with a SplitMix64 avalanche.
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^= hash >> 31;
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

/// How an experiment splits its traffic: a holdout share kept out of everything, then weighted arms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    /// Share of units (0..1) held out; they see the control experience and are never treated.
    pub holdout: f64,
    /// Relative weights of the arms (any positive scale); arm 0 is the control.
    pub weights: Vec<f64>,
}

/// Where a unit lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "arm")]
pub enum Placement {
    Holdout,
    Arm(usize),
}

impl Allocation {
    /// The unit's placement. The holdout draws on its own hash so that changing the arms' weights
    /// never moves a unit into or out of the holdout.
    pub fn place(&self, salt: &str, unit: &str) -> Placement {
        if bucket(&format!("{salt}/holdout"), unit) < self.holdout {
            return Placement::Holdout;
        }
        let total: f64 = self.weights.iter().filter(|w| **w > 0.0).sum();
        if total <= 0.0 {
            return Placement::Arm(0);
        }
        let x = bucket(salt, unit) * total;
        let mut edge = 0.0;
        let mut last = 0;
        for (i, w) in self.weights.iter().enumerate() {
            if *w <= 0.0 {
                continue;
            }
            edge += w;
            last = i;
            if x < edge {
                return Placement::Arm(i);
            }
        }
        Placement::Arm(last)
    }
}
