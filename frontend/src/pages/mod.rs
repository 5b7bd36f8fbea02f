pub mod home;
pub mod privacy;
pub mod segments;
pub mod widget_preview;
pub mod widget_rules;
pub mod widgets;
