//! The phantom generator: its outputs, realism, validators and every
//! drawn lesion against what was asked for.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

mod common;

mod aortic_calcium;
mod aortic_dilation;
mod aortic_valve_calcium;
mod cardiomegaly;
mod lesions_lung;
mod lesions_other;
mod mitral_annular_calcium;
mod outputs;
mod pericardial_effusion;
mod phantom_basics;
mod realism;
mod validators;
