//! The finding catalogue of shared/design/FINDINGS.md in code: every
//! finding code with its title, granularity and organ system. Report
//! wording lives in the `report` crate; thresholds live with the units.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How many findings of a code an exam can hold (FINDINGS.md "gran.").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One finding per lesion.
    Lesion,
    /// One per side (or per lobe / zone where the row says so).
    Side,
    /// One per exam.
    Exam,
}

/// The organ systems of the report's Findings section, in report order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrganSystem {
    /// Lung parenchyma.
    Lungs,
    /// Airways.
    Airways,
    /// Pleura.
    Pleura,
    /// Heart and great vessels.
    HeartAndVessels,
    /// Mediastinum and neck base.
    Mediastinum,
    /// Chest wall (breast, axilla).
    ChestWall,
    /// Bones.
    Bones,
    /// Upper abdomen in view.
    UpperAbdomen,
    /// Devices and foreign material.
    Devices,
}

impl OrganSystem {
    /// Every system, in report order.
    pub const ALL: [OrganSystem; 9] = [
        OrganSystem::Lungs,
        OrganSystem::Airways,
        OrganSystem::Pleura,
        OrganSystem::HeartAndVessels,
        OrganSystem::Mediastinum,
        OrganSystem::ChestWall,
        OrganSystem::Bones,
        OrganSystem::UpperAbdomen,
        OrganSystem::Devices,
    ];
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueEntry {
    /// Finding code, "F01" to "F39".
    pub code: &'static str,
    /// Short English title (logs, tables; report prose comes from the
    /// report crate's wording tables).
    pub title: &'static str,
    /// One per lesion, side or exam.
    pub granularity: Granularity,
    /// Where the report lists it.
    pub system: OrganSystem,
}

use Granularity::{Exam, Lesion, Side};
use OrganSystem::*;

const fn row(
    code: &'static str,
    title: &'static str,
    granularity: Granularity,
    system: OrganSystem,
) -> CatalogueEntry {
    CatalogueEntry {
        code,
        title,
        granularity,
        system,
    }
}

/// Every finding code of FINDINGS.md, in code order.
pub const CATALOGUE: [CatalogueEntry; 39] = [
    row("F01", "solid pulmonary nodule", Lesion, Lungs),
    row("F02", "subsolid pulmonary nodule", Lesion, Lungs),
    row("F03", "lung mass", Lesion, Lungs),
    row("F04", "benign-pattern calcified nodule", Lesion, Lungs),
    row("F05", "emphysema", Side, Lungs),
    row("F06", "bulla or lung cyst", Lesion, Lungs),
    row("F07", "consolidation", Side, Lungs),
    row("F08", "ground-glass opacity", Side, Lungs),
    row("F09", "atelectasis", Side, Lungs),
    row("F10", "interstitial lung abnormality", Side, Lungs),
    row("F11", "bronchiectasis", Side, Airways),
    row("F12", "bronchial wall thickening", Side, Airways),
    row("F13", "central airway abnormality", Lesion, Airways),
    row("F14", "pleural effusion", Side, Pleura),
    row("F15", "pneumothorax", Side, Pleura),
    row("F16", "pleural thickening, plaque or mass", Lesion, Pleura),
    row("F17", "cardiomegaly", Exam, HeartAndVessels),
    row("F18", "pericardial effusion", Exam, HeartAndVessels),
    row(
        "F19",
        "coronary artery calcification",
        Exam,
        HeartAndVessels,
    ),
    row("F20", "aortic valve calcification", Exam, HeartAndVessels),
    row("F21", "aortic wall calcification", Exam, HeartAndVessels),
    row(
        "F22",
        "thoracic aortic dilation or aneurysm",
        Lesion,
        HeartAndVessels,
    ),
    row("F23", "pulmonary artery enlargement", Exam, HeartAndVessels),
    row("F24", "lymphadenopathy", Lesion, Mediastinum),
    row(
        "F25",
        "oesophageal wall thickening or dilatation",
        Lesion,
        Mediastinum,
    ),
    row("F26", "hiatal hernia", Exam, Mediastinum),
    row("F27", "thyroid nodule or goitre", Lesion, Mediastinum),
    row(
        "F28",
        "fracture (rib, sternum, clavicle, scapula)",
        Lesion,
        Bones,
    ),
    row("F29", "vertebral compression fracture", Lesion, Bones),
    row("F30", "low bone density", Exam, Bones),
    row("F31", "focal bone lesion", Lesion, Bones),
    row("F32", "hepatic steatosis", Exam, UpperAbdomen),
    row("F33", "device or foreign material", Lesion, Devices),
    row(
        "F34",
        "pneumomediastinum or subcutaneous emphysema",
        Exam,
        Mediastinum,
    ),
    row(
        "F35",
        "signs of acute aortic syndrome",
        Lesion,
        HeartAndVessels,
    ),
    row("F36", "adrenal nodule", Lesion, UpperAbdomen),
    row(
        "F37",
        "anterior mediastinal mass or pericardial cyst",
        Lesion,
        Mediastinum,
    ),
    row(
        "F38",
        "breast mass or axillary lymphadenopathy",
        Lesion,
        ChestWall,
    ),
    row("F39", "mitral annular calcification", Exam, HeartAndVessels),
];

/// The catalogue row of a code, if it is one.
pub fn entry(code: &str) -> Option<&'static CatalogueEntry> {
    CATALOGUE.iter().find(|e| e.code == code)
}

/// True when `code` is a catalogue code.
pub fn is_code(code: &str) -> bool {
    entry(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_complete_and_ordered() {
        for (i, e) in CATALOGUE.iter().enumerate() {
            assert_eq!(e.code, format!("F{:02}", i + 1));
        }
        assert!(is_code("F39"));
        assert!(!is_code("F40"));
    }
}
