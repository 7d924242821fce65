//! The `anatomy` crate: airad's built-in anatomy AISUs, one module per
//! unit. Each writes masks under the canonical names of
//! shared/design/FINDINGS-JSON.md and landmarks, and says "not in field of
//! view" (an absent artefact with that reason) rather than guessing.

pub mod airways;
pub mod body;
pub mod constants;
pub mod lungs;
mod util;

use std::sync::Arc;

use aisu::Aisu;

/// Every built-in anatomy unit, in dependency order.
pub fn units() -> Vec<Arc<dyn Aisu>> {
    vec![
        Arc::new(body::Body::default()),
        Arc::new(airways::Airways::default()),
        Arc::new(lungs::Lungs::default()),
    ]
}
