pub mod home;
pub mod privacy;
pub mod widgets;
