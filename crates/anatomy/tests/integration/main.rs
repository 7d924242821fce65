//! The anatomy units on phantoms (against their label maps) and on the
//! real scans.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

#[path = "support/lung_truth.rs"]
mod lung_truth;
#[path = "support/units.rs"]
mod units;

mod lobes;
mod mediastinum;
mod real_scans;
mod skeleton;
