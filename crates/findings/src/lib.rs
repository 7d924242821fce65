//! The `findings` crate: airad's built-in finding AISUs, one module per
//! unit, each citing its criteria (shared/design/FINDINGS.md), with every
//! threshold in [`constants`] beside its source. Units read the CT and
//! anatomy artefacts by name through the context and emit findings with
//! their masks; they never call each other.
//!
//! - [`nodules`]: `airad.nodules`, pulmonary nodules and masses (F01-F04).
//! - [`emphysema`]: `airad.emphysema`, emphysema extent by %LAA-950 (F05).
//! - [`pleura`]: `airad.pleura`, pleural effusion and haemothorax (F14), pneumothorax (F15).
//! - [`heart_size`]: `airad.heart_size`, cardiomegaly from the axial cardiothoracic ratio (F17).
//! - [`pericardium`]: `airad.pericardium`, pericardial effusion and haemopericardium (F18).
//! - [`aorta_size`]: `airad.aorta_size`, thoracic aortic dilation and aneurysm (F22).
//! - [`calcium`]: `airad.calcium`, coronary artery calcification (F19), aortic valve calcification (F20) and mitral annular calcification (F39).
//! - [`aortic_calcium`]: `airad.aortic_calcium`, aortic wall calcification (F21).
//! - [`liver`]: `airad.liver`, hepatic steatosis from liver and spleen attenuation (F32).
//! - [`bone_density`]: `airad.bone_density`, opportunistic vertebral bone density (F30).
//! - [`vertebral_fracture`]: `airad.vertebral_fracture`, vertebral compression fractures by Genant (F29).
//! - [`rib_fractures`]: `airad.rib_fractures`, rib fractures, acute and healed (F28).

pub mod aorta_size;
pub mod aortic_calcium;
pub mod bone_density;
pub mod calcium;
pub mod constants;
pub mod emphysema;
pub mod heart_size;
pub mod liver;
pub mod nodules;
pub mod pericardium;
pub mod pleura;
pub mod rib_fractures;
pub mod vertebral_fracture;

use std::sync::Arc;

use aisu::{Aisu, ExamInfo};
use volume::Volume;

/// The exam's slice thickness, mm: the stated one when it is a positive
/// number, else the slice spacing of the CT.
pub(crate) fn slice_thickness_mm(exam: &ExamInfo, ct: &Volume<i16>) -> f64 {
    exam.slice_thickness_mm
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(ct.spacing()[2])
}

/// Median and robust standard deviation (1.4826 x the median absolute
/// deviation) of `values`, the upper median for an even count; `None`
/// when empty.
pub(crate) fn median_robust_sd(mut values: Vec<f32>) -> Option<(f32, f32)> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let median = *values.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
    let mut dev: Vec<f32> = values.iter().map(|x| (x - median).abs()).collect();
    let mad = *dev.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1;
    Some((median, 1.4826 * mad))
}

/// `a - b`, componentwise (LPS points and directions).
pub(crate) fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) use anatomy::tube_wall::fit_circle;

/// Every built-in finding unit.
pub fn units() -> Vec<Arc<dyn Aisu>> {
    vec![
        Arc::new(nodules::Nodules::default()),
        Arc::new(emphysema::Emphysema::default()),
        Arc::new(pleura::Pleura::default()),
        Arc::new(heart_size::HeartSize::default()),
        Arc::new(pericardium::Pericardium::default()),
        Arc::new(aorta_size::AortaSize::default()),
        Arc::new(calcium::Calcium::default()),
        Arc::new(aortic_calcium::AorticCalcium::default()),
        Arc::new(liver::Liver::default()),
        Arc::new(bone_density::BoneDensity::default()),
        Arc::new(vertebral_fracture::VertebralFracture::default()),
        Arc::new(rib_fractures::RibFractures::default()),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn manifests_are_valid() {
        for unit in super::units() {
            unit.manifest().validate().unwrap();
        }
    }
}
