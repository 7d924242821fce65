//! The `pathway` crate: how AISUs are composed and run.
//!
//! - [`spec`]: pathway files (TOML), the unit [`Registry`], and the
//!   [`Plan`]: a DAG from what units require and produce, with clear errors
//!   for a missing producer or a cycle;
//! - [`scheduler`]: parallel execution within a thread budget, per-unit
//!   time-outs, fault isolation (failures and panics become `not_assessed`),
//!   wall time and memory per unit;
//! - [`result`]: the merged findings document and label maps.

pub mod result;
pub mod scheduler;
pub mod spec;

pub use result::{AnalysisResult, merge};
pub use scheduler::{RunObserver, RunOutcome, Silent, UnitReport, UnitStatus, run};
pub use spec::{PathwaySpec, Plan, PlannedUnit, Registry, UnitSpec};

/// Errors building a pathway (running one never errors: units fail alone).
#[derive(Debug, thiserror::Error)]
pub enum PathwayError {
    /// The pathway file or its graph is wrong.
    #[error("pathway: {0}")]
    Spec(String),
    /// A unit's manifest is wrong.
    #[error("unit manifest: {0}")]
    Manifest(String),
}
