//! The segment rule language: rules as plain data ([`Rule`]), compiled per shop into a
//! [`SegmentSet`] that evaluates a [`Visitor`]'s facts in well under a microsecond per segment.
//!
//! Strings are folded and interned into a shop [`Vocabulary`] when compiling, so evaluation
//! compares integers; numbers (money in minor units, days, scores, ratios) are `f64`, absent
//! when NaN. A comparison on a fact the visitor lacks is false, except `missing`. Behaviour
//! conditions count the visitor's recent events inside a window ending at `now`.
//! Validation with messages for merchants lives in the API crate; the checks here only keep
//! the engine total on any input.

mod ast;
mod compile;
mod set;
mod visitor;
mod vocab;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use ast::{AffinityKind, Behaviour, EventKind, Field, FieldType, Op, Rule, Value};
pub use compile::{
    CompileError, Compiled, MAX_CONDITIONS, MAX_DEPTH, MAX_GROUPS, MAX_WITHIN_DAYS, compile,
};
pub use set::{Membership, SegmentIndex, SegmentSet, SetError, references};
pub use visitor::{Event, EventFacts, Visitor};
pub use vocab::Vocabulary;
