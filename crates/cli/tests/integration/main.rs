//! The airad command line end to end: bad input, real-scan conversion and
//! the phantom, demo and analyze commands.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

mod common;

mod bad_input;
mod convert_real;
mod phantom_cli;
