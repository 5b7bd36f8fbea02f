pub mod home;
pub mod widgets;
