//! Label values of `labels.nii.gz` and their canonical names
//! (shared/design/FINDINGS-JSON.md). Values are fixed across phantoms so
//! that every case of a suite uses the same legend for its anatomy;
//! lesions take values from [`LESION_BASE`] upwards and are named
//! `lesion_<finding id>`.
//!
//! A voxel carries the finest structure at its centre: a lung is the union
//! of its lobes; pulmonary vessels, airways and lesions inside a lung keep
//! their own labels and count as part of the lung when structures are
//! scored ([`LUNG_RIGHT_PARTS`], [`LUNG_LEFT_PARTS`]).

use std::collections::BTreeMap;

/// A label value.
pub type Label = u16;

/// Outside the patient (air).
pub const BACKGROUND: Label = 0;
/// Body tissue not otherwise labelled.
pub const BODY: Label = 1;
/// Skin.
pub const SKIN: Label = 2;
/// Subcutaneous and visceral fat.
pub const FAT: Label = 3;
/// Skeletal muscle.
pub const MUSCLE: Label = 4;
/// Scanner table and mattress.
pub const TABLE: Label = 5;
/// Left arm soft tissue.
pub const ARM_LEFT: Label = 6;
/// Right arm soft tissue.
pub const ARM_RIGHT: Label = 7;
/// Left breast glandular tissue.
pub const BREAST_LEFT: Label = 8;
/// Right breast glandular tissue.
pub const BREAST_RIGHT: Label = 9;
/// Right upper lobe.
pub const LOBE_RUL: Label = 10;
/// Right middle lobe.
pub const LOBE_RML: Label = 11;
/// Right lower lobe.
pub const LOBE_RLL: Label = 12;
/// Left upper lobe (with the lingula).
pub const LOBE_LUL: Label = 13;
/// Left lower lobe.
pub const LOBE_LLL: Label = 14;
/// Trachea (wall and lumen).
pub const TRACHEA: Label = 15;
/// Bronchi (wall and lumen), main to the smallest drawn.
pub const BRONCHI: Label = 16;
/// Pulmonary vessels inside the lungs (arteries and veins).
pub const VESSELS: Label = 17;
/// Central pulmonary veins between the hila and the left atrium.
pub const PULMONARY_VEINS: Label = 18;
/// Heart (chambers and myocardium as one).
pub const HEART: Label = 20;
/// Pericardium.
pub const PERICARDIUM: Label = 21;
/// Epicardial fat.
pub const EPICARDIAL_FAT: Label = 22;
/// Left main coronary artery.
pub const CORONARY_LM: Label = 23;
/// Left anterior descending artery.
pub const CORONARY_LAD: Label = 24;
/// Left circumflex artery.
pub const CORONARY_LCX: Label = 25;
/// Right coronary artery.
pub const CORONARY_RCA: Label = 26;
/// Thoracic aorta.
pub const AORTA: Label = 27;
/// Pulmonary trunk and main pulmonary arteries.
pub const PULMONARY_ARTERY: Label = 28;
/// Superior vena cava.
pub const SVC: Label = 29;
/// Oesophagus.
pub const ESOPHAGUS: Label = 30;
/// Thyroid.
pub const THYROID: Label = 31;
/// Mediastinal fat.
pub const MEDIASTINAL_FAT: Label = 32;
/// Supra-aortic arteries (brachiocephalic trunk, carotid, subclavian).
pub const AORTIC_BRANCHES: Label = 33;
/// Brachiocephalic veins.
pub const BRACHIOCEPHALIC_VEINS: Label = 34;
/// Azygos vein.
pub const AZYGOS: Label = 35;
/// Lymph nodes.
pub const LYMPH_NODE: Label = 36;
/// Inferior vena cava.
pub const IVC: Label = 37;
/// Diaphragm.
pub const DIAPHRAGM: Label = 38;
/// Liver.
pub const LIVER: Label = 40;
/// Spleen.
pub const SPLEEN: Label = 41;
/// Stomach (wall and contents).
pub const STOMACH: Label = 42;
/// Left kidney.
pub const KIDNEY_LEFT: Label = 43;
/// Right kidney.
pub const KIDNEY_RIGHT: Label = 44;
/// Colon (wall and contents).
pub const COLON: Label = 45;
/// Sternum (manubrium, body, xiphoid).
pub const STERNUM: Label = 50;
/// Costal cartilage.
pub const COSTAL_CARTILAGE: Label = 51;
/// Left clavicle.
pub const CLAVICLE_LEFT: Label = 52;
/// Right clavicle.
pub const CLAVICLE_RIGHT: Label = 53;
/// Left scapula.
pub const SCAPULA_LEFT: Label = 54;
/// Right scapula.
pub const SCAPULA_RIGHT: Label = 55;
/// Left humerus.
pub const HUMERUS_LEFT: Label = 56;
/// Right humerus.
pub const HUMERUS_RIGHT: Label = 57;
/// Spinal canal (cord and CSF).
pub const SPINAL_CANAL: Label = 58;
/// Intervertebral discs.
pub const DISC: Label = 59;
/// C7; T1..T12 are `VERTEBRA_C7 + 1..=12`, L1 and L2 follow.
pub const VERTEBRA_C7: Label = 60;
/// First right rib; rib `n` (1-13) is `RIB_RIGHT_1 + n - 1`.
pub const RIB_RIGHT_1: Label = 80;
/// Right cervical rib.
pub const RIB_CERVICAL_RIGHT: Label = 93;
/// First left rib; rib `n` (1-13) is `RIB_LEFT_1 + n - 1`.
pub const RIB_LEFT_1: Label = 100;
/// Left cervical rib.
pub const RIB_CERVICAL_LEFT: Label = 113;
/// First lesion label; lesion `i` (0-based) is `LESION_BASE + 1 + i`.
pub const LESION_BASE: Label = 1000;

/// Labels that make up the right lung when structures are scored.
pub const LUNG_RIGHT_PARTS: [Label; 3] = [LOBE_RUL, LOBE_RML, LOBE_RLL];
/// Labels that make up the left lung when structures are scored.
pub const LUNG_LEFT_PARTS: [Label; 2] = [LOBE_LUL, LOBE_LLL];

/// Vertebra names by index from C7 (0) to L2 (14).
pub const VERTEBRA_NAMES: [&str; 15] = [
    "C7", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1", "L2",
];

/// Label of a vertebra by its index from C7 (0) to L2 (14).
pub fn vertebra(index: usize) -> Label {
    VERTEBRA_C7 + index.min(14) as Label
}

/// Label of rib `number` (1-13) on a side (`left` true for left).
pub fn rib(left: bool, number: u8) -> Label {
    let base = if left { RIB_LEFT_1 } else { RIB_RIGHT_1 };
    base + number.clamp(1, 13) as Label - 1
}

/// True for the labels of lung parenchyma (any lobe).
#[inline]
pub fn is_lobe(l: Label) -> bool {
    (LOBE_RUL..=LOBE_LLL).contains(&l)
}

/// Canonical name of an anatomy label value, `None` for unknown values
/// and for lesions (named by their finding id).
pub fn anatomy_name(l: Label) -> Option<String> {
    let fixed = match l {
        BODY => "body",
        SKIN => "skin",
        FAT => "fat",
        MUSCLE => "muscle",
        TABLE => "table",
        ARM_LEFT => "arm_left",
        ARM_RIGHT => "arm_right",
        BREAST_LEFT => "breast_left",
        BREAST_RIGHT => "breast_right",
        LOBE_RUL => "lobe_rul",
        LOBE_RML => "lobe_rml",
        LOBE_RLL => "lobe_rll",
        LOBE_LUL => "lobe_lul",
        LOBE_LLL => "lobe_lll",
        TRACHEA => "trachea",
        BRONCHI => "bronchi",
        VESSELS => "vessels",
        PULMONARY_VEINS => "pulmonary_veins",
        HEART => "heart",
        PERICARDIUM => "pericardium",
        EPICARDIAL_FAT => "epicardial_fat",
        CORONARY_LM => "coronary_lm",
        CORONARY_LAD => "coronary_lad",
        CORONARY_LCX => "coronary_lcx",
        CORONARY_RCA => "coronary_rca",
        AORTA => "aorta",
        PULMONARY_ARTERY => "pulmonary_artery",
        SVC => "svc",
        ESOPHAGUS => "esophagus",
        THYROID => "thyroid",
        MEDIASTINAL_FAT => "mediastinal_fat",
        AORTIC_BRANCHES => "aortic_branches",
        BRACHIOCEPHALIC_VEINS => "brachiocephalic_veins",
        AZYGOS => "azygos",
        LYMPH_NODE => "lymph_node",
        IVC => "ivc",
        DIAPHRAGM => "diaphragm",
        LIVER => "liver",
        SPLEEN => "spleen",
        STOMACH => "stomach",
        KIDNEY_LEFT => "kidney_left",
        KIDNEY_RIGHT => "kidney_right",
        COLON => "colon",
        STERNUM => "sternum",
        COSTAL_CARTILAGE => "costal_cartilage",
        CLAVICLE_LEFT => "clavicle_left",
        CLAVICLE_RIGHT => "clavicle_right",
        SCAPULA_LEFT => "scapula_left",
        SCAPULA_RIGHT => "scapula_right",
        HUMERUS_LEFT => "humerus_left",
        HUMERUS_RIGHT => "humerus_right",
        SPINAL_CANAL => "spinal_canal",
        DISC => "intervertebral_disc",
        RIB_CERVICAL_RIGHT => "rib_cervical_right",
        RIB_CERVICAL_LEFT => "rib_cervical_left",
        _ => "",
    };
    if !fixed.is_empty() {
        return Some(fixed.to_string());
    }
    if (VERTEBRA_C7..VERTEBRA_C7 + 15).contains(&l) {
        return Some(format!(
            "vertebra_{}",
            VERTEBRA_NAMES[(l - VERTEBRA_C7) as usize]
        ));
    }
    if (RIB_RIGHT_1..RIB_RIGHT_1 + 13).contains(&l) {
        return Some(format!("rib_right_{}", l - RIB_RIGHT_1 + 1));
    }
    if (RIB_LEFT_1..RIB_LEFT_1 + 13).contains(&l) {
        return Some(format!("rib_left_{}", l - RIB_LEFT_1 + 1));
    }
    None
}

/// The legend of a label map: every value present (anatomy by canonical
/// name, lesions by `lesion_<finding id>` from `lesion_names`), as
/// `labels.json` stores it.
pub fn legend(
    present: &[Label],
    lesion_names: &BTreeMap<Label, String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for &l in present {
        if l == BACKGROUND {
            continue;
        }
        let name = lesion_names.get(&l).cloned().or_else(|| anatomy_name(l));
        if let Some(n) = name {
            out.insert(l.to_string(), n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_canonical() {
        assert_eq!(anatomy_name(vertebra(1)).unwrap(), "vertebra_T1");
        assert_eq!(anatomy_name(vertebra(13)).unwrap(), "vertebra_L1");
        assert_eq!(anatomy_name(rib(true, 12)).unwrap(), "rib_left_12");
        assert_eq!(anatomy_name(rib(false, 1)).unwrap(), "rib_right_1");
        assert_eq!(anatomy_name(LOBE_RML).unwrap(), "lobe_rml");
        assert!(anatomy_name(LESION_BASE + 1).is_none());
    }

    #[test]
    fn every_value_has_one_name() {
        let mut seen = std::collections::BTreeSet::new();
        for l in 0..LESION_BASE {
            if let Some(n) = anatomy_name(l) {
                assert!(seen.insert(n.clone()), "{n} repeats");
            }
        }
        assert!(seen.len() > 80);
    }
}
