//! Tissue attenuation values (HU at 120 kV, non-contrast), drawn per
//! phantom from published ranges so that no detector can be tuned to
//! fixed constants. Ranges: fat -120..-80, muscle 35..60, blood 35..50,
//! liver 50..70, spleen 40..55, trabecular bone 150..300 (falling with
//! age), cortical bone 700..1500, lung parenchyma about -870 with a
//! gravity gradient, cartilage 80..150, fluid 0..15 (e.g. Lamba et al.,
//! RadioGraphics 2014; Pickhardt et al., AJR 2011/2012; Kalender's
//! "Computed Tomography", 3rd ed.).

use serde::{Deserialize, Serialize};

use crate::params::{PhantomParams, Sex};
use crate::rng::{self, PhantomRng};

/// HU values of one phantom's tissues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TissueValues {
    /// Air outside the body and in airways.
    pub air: f64,
    /// Subcutaneous and visceral fat.
    pub fat: f64,
    /// Mediastinal and epicardial fat (a little denser than subcutaneous).
    pub mediastinal_fat: f64,
    /// Skeletal muscle.
    pub muscle: f64,
    /// Skin.
    pub skin: f64,
    /// Blood (non-contrast) in the heart and great vessels.
    pub blood: f64,
    /// Myocardium (about blood).
    pub myocardium: f64,
    /// Liver parenchyma.
    pub liver: f64,
    /// Spleen.
    pub spleen: f64,
    /// Kidney cortex and medulla (non-contrast).
    pub kidney: f64,
    /// Stomach and bowel wall.
    pub bowel_wall: f64,
    /// Fluid in the stomach and bowel, pleural or pericardial fluid.
    pub fluid: f64,
    /// Thyroid (iodine-rich, dense on non-contrast CT).
    pub thyroid: f64,
    /// Lymph nodes, oesophageal and tracheal walls, pericardium.
    pub soft_tissue: f64,
    /// Glandular breast tissue.
    pub breast_gland: f64,
    /// Lung parenchyma at the non-dependent (anterior) surface.
    pub lung_anterior: f64,
    /// Increase of lung density from anterior to posterior, HU over the
    /// whole anteroposterior depth of the lung.
    pub lung_gradient: f64,
    /// Fissures and interlobular septa (before partial volume).
    pub fissure: f64,
    /// Cortical bone.
    pub cortical: f64,
    /// Trabecular bone of the vertebral bodies at T1 (other levels in
    /// [`TissueValues::trabecular_at`]).
    pub trabecular_t1: f64,
    /// Trabecular bone at L1 (opportunistic osteoporosis screening level).
    pub trabecular_l1: f64,
    /// Marrow of ribs, sternum, clavicles, scapulae, humeri.
    pub marrow: f64,
    /// Hyaline cartilage (costal cartilage, trachea rings).
    pub cartilage: f64,
    /// Calcified cartilage.
    pub calcified_cartilage: f64,
    /// Intervertebral disc.
    pub disc: f64,
    /// Spinal canal contents (cord and CSF).
    pub canal: f64,
    /// Carbon-fibre shell of the table.
    pub table_shell: f64,
    /// Foam core of the table and mattress.
    pub table_foam: f64,
    /// Amplitude (HU, standard deviation) of lung parenchyma texture.
    pub lung_texture: f64,
    /// Amplitude of soft-tissue texture (fat strands, muscle fibres).
    pub soft_texture: f64,
    /// Amplitude of trabecular bone texture.
    pub bone_texture: f64,
}

impl TissueValues {
    /// Draws every value for a patient (age lowers bone density; women
    /// after 50 more so).
    pub fn draw(p: &PhantomParams) -> TissueValues {
        let r = &mut rng::stream(p.seed, "tissue");
        let u = |r: &mut PhantomRng, lo: f64, hi: f64| rng::uniform(r, lo, hi).round();
        let fat = u(r, -118.0, -85.0);
        let blood = u(r, 36.0, 50.0);
        // Trabecular HU at L1 falls about 2 HU per year after 30
        // (Jang et al., Radiology 2019 normative data); a normal phantom
        // stays above the 160 HU screening cut-off.
        let age_loss = (p.age_years - 30.0).max(0.0)
            * if p.sex == Sex::Female && p.age_years > 50.0 {
                2.3
            } else {
                1.8
            };
        let l1 = (rng::normal(r, 270.0, 20.0, 215.0, 310.0) - age_loss).clamp(165.0, 300.0);
        let t1 = l1 + rng::uniform(r, 25.0, 55.0);
        let lung_anterior = u(r, -935.0, -880.0);
        TissueValues {
            air: -1000.0,
            fat,
            mediastinal_fat: fat + u(r, 5.0, 20.0),
            muscle: u(r, 38.0, 58.0),
            skin: u(r, 25.0, 55.0),
            blood,
            myocardium: blood + u(r, 0.0, 8.0),
            liver: u(r, 52.0, 68.0),
            spleen: u(r, 42.0, 54.0),
            kidney: u(r, 28.0, 40.0),
            bowel_wall: u(r, 30.0, 45.0),
            fluid: u(r, 2.0, 14.0),
            thyroid: u(r, 75.0, 115.0),
            soft_tissue: u(r, 30.0, 48.0),
            breast_gland: u(r, 15.0, 40.0),
            lung_anterior,
            lung_gradient: u(r, 35.0, 90.0),
            fissure: u(r, -60.0, 20.0),
            cortical: u(r, 900.0, 1400.0) - (p.age_years - 30.0).max(0.0) * 2.0,
            trabecular_t1: t1,
            trabecular_l1: l1,
            marrow: (l1 * rng::uniform(r, 0.75, 1.0)).round(),
            cartilage: u(r, 85.0, 140.0),
            calcified_cartilage: u(r, 250.0, 500.0),
            disc: u(r, 70.0, 105.0),
            canal: u(r, 15.0, 35.0),
            table_shell: u(r, 150.0, 450.0),
            table_foam: u(r, -950.0, -850.0),
            lung_texture: rng::uniform(r, 30.0, 42.0),
            soft_texture: rng::uniform(r, 3.0, 7.0),
            bone_texture: rng::uniform(r, 35.0, 60.0),
        }
    }

    /// Trabecular HU of a vertebra, interpolated between T1 (index 1) and
    /// L1 (index 13): thoracic levels are denser than lumbar ones.
    pub fn trabecular_at(&self, level_index: usize) -> f64 {
        let t = ((level_index as f64 - 1.0) / 12.0).clamp(0.0, 1.2);
        (self.trabecular_t1 + (self.trabecular_l1 - self.trabecular_t1) * t).round()
    }

    /// Lung parenchyma HU at a relative depth `f` (0 anterior .. 1 posterior).
    #[inline]
    pub fn lung_at(&self, f: f64) -> f64 {
        // Density rises faster in the dependent third (gravity gradient).
        let g = f.clamp(0.0, 1.2);
        self.lung_anterior + self.lung_gradient * (0.55 * g + 0.45 * g * g * g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_published_ranges() {
        for seed in 0..40 {
            let mut p = PhantomParams::from_seed(seed);
            p.age_years = 30.0 + seed as f64;
            let t = TissueValues::draw(&p);
            assert!((-120.0..=-80.0).contains(&t.fat));
            assert!((35.0..=60.0).contains(&t.muscle));
            assert!((50.0..=70.0).contains(&t.liver));
            assert!((40.0..=55.0).contains(&t.spleen));
            assert!((150.0..=300.0).contains(&t.trabecular_l1));
            assert!(t.trabecular_t1 > t.trabecular_l1);
            assert!((700.0..=1500.0).contains(&t.cortical));
            assert!(t.lung_at(0.0) < t.lung_at(1.0));
        }
    }
}
