//! A/B/n experiments as the admin API sees them: a widget's recommenders, or offers, against a
//! control, with deterministic assignment per visitor.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::widgets::Strategy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Arms are recommenders for one widget.
    #[default]
    Widget,
    /// Arms are offers shown in place of the subject offer.
    Offer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentStatus {
    #[default]
    Draft,
    Running,
    Stopped,
}

impl ExperimentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Running => "running",
            Self::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Running, Self::Stopped]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One arm; the first is the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub name: String,
    /// Relative traffic weight.
    pub weight: f64,
    /// Widget experiments: the recommender this arm uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Offer experiments: the offer this arm shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentInput {
    pub name: String,
    pub subject: Subject,
    /// The widget's id, or the offer's id (as text).
    pub subject_id: String,
    pub arms: Vec<Arm>,
    #[serde(default)]
    pub status: ExperimentStatus,
}

pub const MAX_ARMS: usize = 5;

impl ExperimentInput {
    /// Checks every field, naming each problem's field (`arms[1].weight`).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > 120 {
            e.push(FieldError::new(
                "name",
                "is required, at most 120 characters",
            ));
        }
        if self.subject_id.trim().is_empty() {
            e.push(FieldError::new("subject_id", "is required"));
        }
        if !(2..=MAX_ARMS).contains(&self.arms.len()) {
            e.push(FieldError::new(
                "arms",
                format!("must hold 2 to {MAX_ARMS} arms; the first is the control"),
            ));
        }
        let mut names = std::collections::HashSet::new();
        for (i, a) in self.arms.iter().enumerate() {
            let f = |k: &str| format!("arms[{i}].{k}");
            if a.name.trim().is_empty() || !names.insert(a.name.trim().to_lowercase()) {
                e.push(FieldError::new(f("name"), "must be present and unique"));
            }
            if !(a.weight.is_finite() && a.weight > 0.0 && a.weight <= 100.0) {
                e.push(FieldError::new(
                    f("weight"),
                    "must be more than 0 and at most 100",
                ));
            }
            match self.subject {
                Subject::Widget if a.strategy.is_none() => e.push(FieldError::new(
                    f("strategy"),
                    "is required for a widget experiment",
                )),
                Subject::Offer if a.offer.is_none() => e.push(FieldError::new(
                    f("offer"),
                    "is required for an offer experiment",
                )),
                _ => {}
            }
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    pub id: i64,
    #[serde(flatten)]
    pub input: ExperimentInput,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentList {
    pub experiments: Vec<Experiment>,
}

/// One arm against the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResult {
    pub summary: crate::analytics::ArmSummary,
    /// Empty for the control.
    pub metrics: Vec<crate::analytics::MetricResult>,
    /// Plainly: significant or not, against the control.
    pub verdict: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentResults {
    pub experiment: Experiment,
    pub arms: Vec<ArmResult>,
    /// Sample-ratio check over all arms against their weights.
    pub srm_p_value: f64,
    pub attribution_window_hours: i64,
}
