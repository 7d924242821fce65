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

/// Algebraic (Kasa) circle fit to plane points: (centre a, centre b, radius).
pub(crate) fn fit_circle(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 3 {
        return None;
    }
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy, mut sz, mut sxz, mut syz) =
        (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y) in points {
        let z = x * x + y * y;
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
        sz += z;
        sxz += x * z;
        syz += y * z;
    }
    // Solve [sxx sxy sx; sxy syy sy; sx sy n] [A B C] = [sxz syz sz].
    let m = [[sxx, sxy, sx], [sxy, syy, sy], [sx, sy, n]];
    let rhs = [sxz, syz, sz];
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-9 {
        return None;
    }
    let mut sol = [0.0; 3];
    for (c, s) in sol.iter_mut().enumerate() {
        let mut mc = m;
        for r in 0..3 {
            mc[r][c] = rhs[r];
        }
        *s = det(mc) / d;
    }
    let (ca, cb) = (sol[0] / 2.0, sol[1] / 2.0);
    let r2 = sol[2] + ca * ca + cb * cb;
    (r2 > 0.0).then(|| (ca, cb, r2.sqrt()))
}

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
