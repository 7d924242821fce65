//! Canonical anatomy names (shared/design/FINDINGS-JSON.md) with fixed
//! label values, so that `anatomy.nii.gz` of every run and the phantom's
//! `labels.nii.gz` number structures alike and compare by name.

/// Canonical names in label order: the label of `CANONICAL[i]` is `i + 1`.
pub const CANONICAL: &[&str] = &[
    "body",
    "lung_right",
    "lung_left",
    "lobe_rul",
    "lobe_rml",
    "lobe_rll",
    "lobe_lul",
    "lobe_lll",
    "trachea",
    "bronchi",
    "heart",
    "pericardium",
    "aorta",
    "pulmonary_artery",
    "svc",
    "esophagus",
    "thyroid",
    "liver",
    "spleen",
    "stomach",
    "sternum",
    "vertebra_C7",
    "vertebra_T1",
    "vertebra_T2",
    "vertebra_T3",
    "vertebra_T4",
    "vertebra_T5",
    "vertebra_T6",
    "vertebra_T7",
    "vertebra_T8",
    "vertebra_T9",
    "vertebra_T10",
    "vertebra_T11",
    "vertebra_T12",
    "vertebra_L1",
    "vertebra_L2",
    "rib_left_1",
    "rib_left_2",
    "rib_left_3",
    "rib_left_4",
    "rib_left_5",
    "rib_left_6",
    "rib_left_7",
    "rib_left_8",
    "rib_left_9",
    "rib_left_10",
    "rib_left_11",
    "rib_left_12",
    "rib_left_13",
    "rib_cervical_left",
    "rib_right_1",
    "rib_right_2",
    "rib_right_3",
    "rib_right_4",
    "rib_right_5",
    "rib_right_6",
    "rib_right_7",
    "rib_right_8",
    "rib_right_9",
    "rib_right_10",
    "rib_right_11",
    "rib_right_12",
    "rib_right_13",
    "rib_cervical_right",
    "clavicle_left",
    "clavicle_right",
    "scapula_left",
    "scapula_right",
    "skin",
    "fat",
    "muscle",
    "vessels",
    "table",
    "epicardial_fat",
    "costal_cartilage",
    "arm_left",
    "arm_right",
    "spinal_canal",
    "intervertebral_disc",
    "pulmonary_vein",
    "coronary_arteries",
    "airway_wall",
    "kidney_left",
    "kidney_right",
    "adrenal_left",
    "adrenal_right",
];

/// First label value used for names outside [`CANONICAL`] (lesions and
/// finer tissues a producer adds).
pub const FIRST_EXTRA_LABEL: u16 = 1000;

/// The fixed label of a canonical name.
pub fn label_of(name: &str) -> Option<u16> {
    CANONICAL
        .iter()
        .position(|n| *n == name)
        .map(|i| i as u16 + 1)
}

/// The canonical name of a label value.
pub fn name_of(label: u16) -> Option<&'static str> {
    CANONICAL.get((label as usize).checked_sub(1)?).copied()
}

/// The lobes of a lung, by the lung's canonical name.
pub fn lobes_of(lung: &str) -> &'static [&'static str] {
    match lung {
        "lung_right" => &["lobe_rul", "lobe_rml", "lobe_rll"],
        "lung_left" => &["lobe_lul", "lobe_lll"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for (i, n) in CANONICAL.iter().enumerate() {
            assert!(seen.insert(*n), "{n} twice");
            assert_eq!(label_of(n), Some(i as u16 + 1));
            assert_eq!(name_of(i as u16 + 1), Some(*n));
        }
        assert!((CANONICAL.len() as u16) < FIRST_EXTRA_LABEL);
        assert_eq!(name_of(0), None);
    }
}
