//! Pathways: scheduling within the thread budget and fault isolation.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

mod fault_isolation;
mod scheduling;
