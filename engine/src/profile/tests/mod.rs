//! Model-level tests on data simulated from the models' own generative processes.

mod bgnbd;
mod gamma_gamma;
mod shop;

/// Relative error.
fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}
