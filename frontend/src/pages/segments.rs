//! Segments: the list with sizes, trends and the automatically found groups, and the editor
//! that builds a rule from form controls while showing who matches.

mod draft;
mod editor;
mod list;
mod live;
mod row;
mod values;

#[cfg(test)]
mod tests;

pub use editor::{SegmentEdit, SegmentNew};
pub use list::SegmentList;
