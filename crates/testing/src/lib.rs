#![warn(missing_docs)]
//! Test helpers shared by the cyborg crates (a dev-dependency only, never published).
//!
//! - [`Fixture`]: reads the JSON reference files written by `scripts/gen_reference.py`.
//! - [`assert_close`]: compares a tensor with a reference, naming the worst element.
//! - [`finite_difference_gradient`]: central differences of a scalar function, to check the
//!   gradients autodiff computes.
//! - [`Browser`]: headless Chromium driven through WebDriver, for tests of web pages.

mod finite_difference;
mod fixture;
mod webdriver;

pub use finite_difference::*;
pub use fixture::*;
pub use webdriver::*;
