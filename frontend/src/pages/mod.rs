pub mod home;
pub mod privacy;
pub mod widget_rules;
pub mod widgets;
