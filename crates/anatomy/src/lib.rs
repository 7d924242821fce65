//! The `anatomy` crate: airad's built-in anatomy AISUs, one module per
//! unit. Each writes masks under the canonical names of
//! shared/design/FINDINGS-JSON.md and landmarks, and says "not in field of
//! view" (an absent artefact with that reason) rather than guessing.

pub mod abdomen;
pub mod airways;
pub mod aorta;
pub mod aorta_arch;
pub mod body;
pub mod bronchial_labels;
pub mod bronchial_tree;
pub mod constants;
pub mod esophagus;
pub mod fissures;
pub mod heart;
pub mod lobes;
pub mod lung_encircled;
pub mod lung_envelope;
pub mod lungs;
pub mod medgrid;
pub mod regions;
mod rib_candidates;
mod rib_heads;
mod rib_regrow;
mod rib_shell;
mod rib_sweep;
pub mod ribs;
mod ribs_detect;
pub mod shoulder;
mod skeleton;
pub mod spine;
mod spine_track;
pub mod sternum;
pub mod tube_wall;
pub mod tubes;
mod util;
pub mod vessels;

use std::sync::Arc;

use aisu::Aisu;

/// Every built-in anatomy unit, in dependency order.
pub fn units() -> Vec<Arc<dyn Aisu>> {
    vec![
        Arc::new(body::Body::default()),
        Arc::new(airways::Airways::default()),
        Arc::new(bronchial_tree::Bronchi::default()),
        Arc::new(lungs::Lungs::default()),
        Arc::new(lobes::Lobes::default()),
        Arc::new(aorta::Aorta::default()),
        Arc::new(vessels::GreatVessels::default()),
        Arc::new(heart::Heart::default()),
        Arc::new(esophagus::Esophagus::default()),
        Arc::new(abdomen::Abdomen::default()),
        Arc::new(spine::Spine::default()),
        Arc::new(ribs::Ribs::default()),
        Arc::new(sternum::Sternum::default()),
        Arc::new(shoulder::Shoulder::default()),
    ]
}
