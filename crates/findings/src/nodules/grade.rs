//! Grades of pulmonary nodules by exam context (FINDINGS.md "Exam
//! context decides which guideline applies"):
//!
//! - screening with slices of 2.5 mm or thinner: Lung-RADS v2022 baseline
//!   categories (ACR 2022): solid under 6 mm 2, 6 to under 8 mm 3, 8 to
//!   under 15 mm 4A, 15 mm and more 4B; juxtapleural/perifissural smooth
//!   solid under 10 mm 2; ground glass under 30 mm 2, else 3; part-solid
//!   under 6 mm total 2, else by the solid component: under 6 mm 3, 6 to
//!   under 8 mm 4A, 8 mm and more 4B; mass 4B; benign calcification 1;
//! - incidental (patient 35 or older, or age unknown): Fleischner 2017
//!   (MacMahon et al., Radiology 2017), written as the recommendation key
//!   the report's wording tables know (`report::followup::FLEISCHNER_KEYS`),
//!   with the patient's risk from the unit parameter `risk` ("low" or
//!   "high"; high when not given, the conservative reading);
//! - oncology and unknown: no category (the report says which guideline
//!   would apply).

use aisu::{Category, ExamContext};

use crate::constants::{
    FLEISCHNER_MIN_AGE, FLEISCHNER_SOLID_MM, FLEISCHNER_SUBSOLID_MM, LUNG_RADS_GGN_MM,
    LUNG_RADS_MAX_SLICE_MM, LUNG_RADS_PART_SOLID_MM, LUNG_RADS_PERIFISSURAL_MM, LUNG_RADS_SOLID_MM,
};

/// Nodule type as graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Solid nodule (F01).
    Solid,
    /// Pure ground-glass nodule (F02).
    GroundGlass,
    /// Part-solid nodule (F02).
    PartSolid,
    /// Mass over 30 mm (F03).
    Mass,
    /// Benign-pattern calcified nodule (F04).
    Calcified,
}

/// What a grade needs to know of a nodule.
#[derive(Debug, Clone, Copy)]
pub struct GradeInput {
    /// Type.
    pub kind: Kind,
    /// Mean diameter, mm.
    pub mean_diameter: f64,
    /// Solid component mean diameter, mm.
    pub solid_diameter: f64,
    /// Juxtapleural or perifissural and smooth.
    pub perifissural_smooth: bool,
    /// More than one nodule in the exam.
    pub multiple: bool,
}

/// Lung-RADS v2022 baseline category.
pub fn lung_rads(n: &GradeInput) -> &'static str {
    let [s6, s8, s15] = LUNG_RADS_SOLID_MM;
    let d = n.mean_diameter;
    match n.kind {
        Kind::Calcified => "1",
        Kind::Mass => "4B",
        Kind::Solid => {
            if d < s6 || (n.perifissural_smooth && d < LUNG_RADS_PERIFISSURAL_MM) {
                "2"
            } else if d < s8 {
                "3"
            } else if d < s15 {
                "4A"
            } else {
                "4B"
            }
        }
        Kind::GroundGlass => {
            if d < LUNG_RADS_GGN_MM {
                "2"
            } else {
                "3"
            }
        }
        Kind::PartSolid => {
            let [p6, p8] = LUNG_RADS_PART_SOLID_MM;
            if d < p6 {
                "2"
            } else if n.solid_diameter < p6 {
                "3"
            } else if n.solid_diameter < p8 {
                "4A"
            } else {
                "4B"
            }
        }
    }
}

/// Fleischner 2017 recommendation key; `None` where the guideline does
/// not apply (masses, benign calcification).
pub fn fleischner(n: &GradeInput, high_risk: bool) -> Option<&'static str> {
    // Sizes are the mean diameter rounded to the nearest millimetre.
    let d = n.mean_diameter.round();
    let [f6, f8] = FLEISCHNER_SOLID_MM;
    Some(match n.kind {
        Kind::Mass | Kind::Calcified => return None,
        Kind::Solid => {
            if d < f6 {
                if high_risk {
                    "optional-ct-12m"
                } else {
                    "no-routine-follow-up"
                }
            } else if n.multiple {
                "ct-3-6m-then-18-24m"
            } else if d <= f8 {
                "ct-6-12m-then-18-24m"
            } else {
                "ct-3m-pet-or-biopsy"
            }
        }
        Kind::GroundGlass => {
            if d < FLEISCHNER_SUBSOLID_MM {
                "no-routine-follow-up"
            } else {
                "ct-6-12m-then-every-2y-to-5y"
            }
        }
        Kind::PartSolid => {
            if d < FLEISCHNER_SUBSOLID_MM {
                "no-routine-follow-up"
            } else {
                "ct-3-6m-then-annual-to-5y"
            }
        }
    })
}

/// The category for the exam, or `None` when no guideline applies.
pub fn category(
    n: &GradeInput,
    context: ExamContext,
    slice_mm: f64,
    age_years: Option<f64>,
    high_risk: bool,
) -> Option<Category> {
    match context {
        ExamContext::Screening if slice_mm <= LUNG_RADS_MAX_SLICE_MM + 1e-6 => Some(Category {
            system: "Lung-RADS v2022".into(),
            value: lung_rads(n).into(),
            context,
        }),
        ExamContext::Incidental if age_years.is_none_or(|a| a >= FLEISCHNER_MIN_AGE) => {
            fleischner(n, high_risk).map(|v| Category {
                system: "Fleischner 2017".into(),
                value: v.into(),
                context,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(kind: Kind, d: f64, solid: f64) -> GradeInput {
        GradeInput {
            kind,
            mean_diameter: d,
            solid_diameter: solid,
            perifissural_smooth: false,
            multiple: false,
        }
    }

    #[test]
    fn lung_rads_steps() {
        assert_eq!(lung_rads(&n(Kind::Solid, 5.9, 5.9)), "2");
        assert_eq!(lung_rads(&n(Kind::Solid, 6.0, 6.0)), "3");
        assert_eq!(lung_rads(&n(Kind::Solid, 8.0, 8.0)), "4A");
        assert_eq!(lung_rads(&n(Kind::Solid, 15.0, 15.0)), "4B");
        let mut p = n(Kind::Solid, 9.0, 9.0);
        p.perifissural_smooth = true;
        assert_eq!(lung_rads(&p), "2");
        assert_eq!(lung_rads(&n(Kind::GroundGlass, 29.0, 0.0)), "2");
        assert_eq!(lung_rads(&n(Kind::GroundGlass, 30.0, 0.0)), "3");
        assert_eq!(lung_rads(&n(Kind::PartSolid, 5.0, 3.0)), "2");
        assert_eq!(lung_rads(&n(Kind::PartSolid, 12.0, 5.0)), "3");
        assert_eq!(lung_rads(&n(Kind::PartSolid, 12.0, 7.0)), "4A");
        assert_eq!(lung_rads(&n(Kind::PartSolid, 12.0, 9.0)), "4B");
        assert_eq!(lung_rads(&n(Kind::Mass, 40.0, 40.0)), "4B");
        assert_eq!(lung_rads(&n(Kind::Calcified, 5.0, 5.0)), "1");
    }

    #[test]
    fn guideline_by_context() {
        let x = n(Kind::Solid, 7.0, 7.0);
        assert!(category(&x, ExamContext::Screening, 5.0, None, true).is_none());
        assert_eq!(
            category(&x, ExamContext::Incidental, 5.0, Some(60.0), false)
                .unwrap()
                .value,
            "ct-6-12m-then-18-24m"
        );
        assert!(category(&x, ExamContext::Incidental, 1.0, Some(30.0), false).is_none());
        assert!(category(&x, ExamContext::Unknown, 1.0, None, false).is_none());
        assert_eq!(
            fleischner(&n(Kind::Solid, 9.0, 9.0), false),
            Some("ct-3m-pet-or-biopsy")
        );
        assert_eq!(
            fleischner(&n(Kind::Solid, 4.0, 4.0), true),
            Some("optional-ct-12m")
        );
    }
}
