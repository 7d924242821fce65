//! Which organ systems the software actually looked at, and which lie
//! outside the field of view: the rule that decides whether the report may
//! say "normal".
//!
//! A report must never call an organ normal that no unit examined. The
//! rule, applied per catalogue code and then per organ system
//! ([`aisu::catalogue::OrganSystem`]):
//!
//! 1. A code is **assessed** when a finding or an exam measurement of that
//!    code is present in the document, or when it is listed in the
//!    document's `assessed_codes` (the codes of every unit that finished,
//!    written by `airad analyze`) and is not in `not_assessed`.
//! 2. A code is **not assessed** when it is in `not_assessed` (the reason
//!    is reported) and no finding of it is present.
//! 3. Any other code was **not evaluated**: no unit covering it ran.
//! 4. A system is **out of the field of view** when the document's
//!    `systems_out_of_view` lists it (snake_case names of
//!    `OrganSystem`) and no finding lies in it. Such a system gets no
//!    statement at all.
//! 5. A system in view with no finding gets a **normal statement** only
//!    when at least one of its codes is assessed; its not-assessed codes
//!    are named with their reasons and its not-evaluated codes are listed,
//!    so "normal" is never read as covering what was not examined. A
//!    system none of whose codes was assessed is stated as not evaluated.
//!
//! Without `assessed_codes` (an older findings.json, or ground truth) only
//! present codes count as assessed, so the report makes no normal
//! statement it cannot support.

use std::collections::BTreeSet;

use aisu::FindingsDocument;
use aisu::catalogue::{CATALOGUE, OrganSystem};

/// Key of the document's extra field listing the codes of units that ran.
pub const ASSESSED_CODES_KEY: &str = "assessed_codes";
/// Key of the document's extra field listing systems outside the field of view.
pub const OUT_OF_VIEW_KEY: &str = "systems_out_of_view";

/// How one code was covered by the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeStatus {
    /// A unit examined it (present, or its unit finished).
    Assessed,
    /// The scan could not support it; the reason from `not_assessed`.
    NotAssessed(String),
    /// No unit covering it ran.
    NotEvaluated,
}

/// The coverage of one document.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    present: BTreeSet<String>,
    listed: BTreeSet<String>,
    not_assessed: Vec<(String, String)>,
    out_of_view: BTreeSet<OrganSystem>,
}

impl Coverage {
    /// Reads the coverage of a document (rule in the module docs).
    pub fn of(doc: &FindingsDocument) -> Self {
        let mut present: BTreeSet<String> = doc.findings.iter().map(|f| f.code.clone()).collect();
        present.extend(doc.exam_measurements.iter().map(|m| m.code.clone()));
        let strings = |key: &str| -> Vec<String> {
            doc.extra
                .get(key)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let listed = strings(ASSESSED_CODES_KEY).into_iter().collect();
        let out_of_view = strings(OUT_OF_VIEW_KEY)
            .iter()
            .filter_map(|s| serde_json::from_value(serde_json::Value::String(s.clone())).ok())
            .collect();
        let not_assessed = doc
            .not_assessed
            .iter()
            .map(|n| (n.code.clone(), n.reason.clone()))
            .collect();
        Coverage {
            present,
            listed,
            not_assessed,
            out_of_view,
        }
    }

    /// How `code` was covered.
    pub fn status(&self, code: &str) -> CodeStatus {
        if self.present.contains(code) {
            return CodeStatus::Assessed;
        }
        if let Some((_, reason)) = self.not_assessed.iter().find(|(c, _)| c == code) {
            return CodeStatus::NotAssessed(reason.clone());
        }
        if self.listed.contains(code) {
            CodeStatus::Assessed
        } else {
            CodeStatus::NotEvaluated
        }
    }

    /// True when `system` is listed as outside the field of view.
    pub fn out_of_view(&self, system: OrganSystem) -> bool {
        self.out_of_view.contains(&system)
    }

    /// The catalogue codes of a system, in code order.
    pub fn codes_of(system: OrganSystem) -> impl Iterator<Item = &'static str> {
        CATALOGUE
            .iter()
            .filter(move |e| e.system == system)
            .map(|e| e.code)
    }

    /// True when at least one code of `system` was assessed.
    pub fn system_assessed(&self, system: OrganSystem) -> bool {
        Self::codes_of(system).any(|c| self.status(c) == CodeStatus::Assessed)
    }
}

/// The anatomy (canonical names of shared/design/FINDINGS-JSON.md) whose
/// presence puts an organ system in the field of view. Systems not listed
/// (airways, pleura, chest wall, devices) are never declared out of view:
/// a chest CT that shows the lungs shows them.
pub const SYSTEM_ANATOMY: &[(OrganSystem, &[&str])] = &[
    (
        OrganSystem::Lungs,
        &[
            "lung_right",
            "lung_left",
            "lobe_rul",
            "lobe_rml",
            "lobe_rll",
            "lobe_lul",
            "lobe_lll",
        ],
    ),
    (
        OrganSystem::HeartAndVessels,
        &["heart", "pericardium", "aorta", "pulmonary_artery"],
    ),
    (OrganSystem::UpperAbdomen, &["liver", "spleen", "stomach"]),
];

/// The organ systems outside the field of view, from an anatomy label map
/// (`anatomy.nii.gz` of a run, or a phantom's `labels.nii.gz`):
/// `looked_for(name)` says whether the segmentation tried that structure
/// (a run: its mask artefact exists; a phantom: always), `present(name)`
/// whether the map holds voxels of it. A system is out of view when every
/// structure of it in [`SYSTEM_ANATOMY`] was looked for and none is
/// present. Nothing is declared out of view when no lung is present (the
/// anatomy failed, or this is no chest CT) or a structure was not looked
/// for: unknown is not "out of view". The result, as snake_case names,
/// belongs in the document's [`OUT_OF_VIEW_KEY`].
pub fn systems_out_of_view(
    looked_for: impl Fn(&str) -> bool,
    present: impl Fn(&str) -> bool,
) -> Vec<OrganSystem> {
    let lungs = SYSTEM_ANATOMY
        .iter()
        .find(|(s, _)| *s == OrganSystem::Lungs)
        .map(|(_, names)| *names)
        .unwrap_or_default();
    if !lungs.iter().any(|n| present(n)) {
        return Vec::new();
    }
    SYSTEM_ANATOMY
        .iter()
        .filter(|(_, names)| {
            names.iter().all(|n| looked_for(n)) && !names.iter().any(|n| present(n))
        })
        .map(|(system, _)| *system)
        .collect()
}

/// [`systems_out_of_view`] of a label map and its legend (label value as a
/// string to canonical name): a structure is present when some voxel
/// carries its label; with `all_looked_for` (ground truth, which draws every
/// structure it models) every structure counts as looked for, otherwise
/// only those the legend names.
pub fn systems_out_of_view_in(
    labels: &volume::Volume<u16>,
    legend: &std::collections::BTreeMap<String, String>,
    all_looked_for: bool,
) -> Vec<OrganSystem> {
    let mut seen = vec![false; usize::from(u16::MAX) + 1];
    for &l in labels.as_slice() {
        seen[usize::from(l)] = true;
    }
    let present: BTreeSet<&str> = legend
        .iter()
        .filter(|(value, _)| {
            value
                .parse::<u16>()
                .is_ok_and(|l| l != 0 && seen[usize::from(l)])
        })
        .map(|(_, name)| name.as_str())
        .collect();
    let named: BTreeSet<&str> = legend.values().map(String::as_str).collect();
    systems_out_of_view(
        |n| all_looked_for || named.contains(n),
        |n| present.contains(n),
    )
}

/// Snake_case names of `systems`, the form of [`OUT_OF_VIEW_KEY`].
pub fn system_names(systems: &[OrganSystem]) -> Vec<String> {
    systems
        .iter()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aisu::{NotAssessed, StudyInfo};

    #[test]
    fn listed_codes_count_unless_not_assessed() {
        let mut doc = FindingsDocument::new(StudyInfo::default());
        doc.extra
            .insert(ASSESSED_CODES_KEY.into(), serde_json::json!(["F01", "F19"]));
        doc.extra
            .insert(OUT_OF_VIEW_KEY.into(), serde_json::json!(["upper_abdomen"]));
        doc.not_assessed.push(NotAssessed {
            code: "F19".into(),
            reason: "thick slices".into(),
        });
        let c = Coverage::of(&doc);
        assert_eq!(c.status("F01"), CodeStatus::Assessed);
        assert_eq!(
            c.status("F19"),
            CodeStatus::NotAssessed("thick slices".into())
        );
        assert_eq!(c.status("F02"), CodeStatus::NotEvaluated);
        assert!(c.system_assessed(OrganSystem::Lungs));
        assert!(!c.system_assessed(OrganSystem::Bones));
        assert!(c.out_of_view(OrganSystem::UpperAbdomen));
        assert!(!c.out_of_view(OrganSystem::Lungs));
    }

    #[test]
    fn out_of_view_needs_lungs_and_a_search_that_found_nothing() {
        let looked = |_: &str| true;
        let chest = |n: &str| n.starts_with("lung") || n == "heart";
        assert_eq!(
            systems_out_of_view(looked, chest),
            [OrganSystem::UpperAbdomen]
        );
        assert_eq!(
            system_names(&[OrganSystem::UpperAbdomen]),
            ["upper_abdomen"]
        );
        // The liver was never searched for: unknown, not out of view.
        assert!(systems_out_of_view(|n: &str| n != "liver", chest).is_empty());
        // No lung at all: the anatomy failed, nothing is declared.
        assert!(systems_out_of_view(looked, |_: &str| false).is_empty());
        assert!(systems_out_of_view(looked, |_: &str| true).is_empty());
    }
}
