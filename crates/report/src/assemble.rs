//! Report assembly: from a findings document (plus study facts, an
//! optional prior document and an optional request) to a language-neutral
//! [`Report`]: which statement goes in which section, in which order. The
//! wording tables then turn each entry into a sentence per language.
//!
//! Rules:
//! - Findings are grouped by organ system in `OrganSystem` order; each
//!   finding appears in exactly one entry. Within a system, the most urgent
//!   first, then by code, then larger first.
//! - Several nodules of one code (F01, F02, F04, F06): the dominant one
//!   (most urgent, then largest) carries the count; up to
//!   [`MAX_LISTED_MEMBERS`] others get a short sentence each, the rest one
//!   sentence together.
//! - Normal, not-assessed and not-evaluated statements follow
//!   [`crate::coverage`].
//! - The pulmonary embolism limitation is always stated.
//! - Impression: findings above "incidental", ranked by urgency (tier 1
//!   first), then by Lung-RADS rank, organ system and code; several
//!   significant nodules of one code make one item.

use aisu::catalogue::{self, OrganSystem};
use aisu::{ExamContext, Finding, FindingsDocument, Urgency};
use serde::Serialize;

use crate::coverage::{CodeStatus, Coverage};
use crate::followup::{FollowUp, follow_up, lung_rads_rank, lung_rads_value};
use crate::prior::{Comparison, compare, nodule_size};
use crate::study::ReportStudy;

/// Codes whose multiple findings are described as dominant + count.
pub const GROUPED_CODES: [&str; 4] = ["F01", "F02", "F04", "F06"];
/// Group members listed one by one after the dominant finding.
pub const MAX_LISTED_MEMBERS: usize = 4;
/// Lung-RADS applies only to slices this thin or thinner, mm.
pub const LUNG_RADS_MAX_SLICE_MM: f64 = 2.5;

/// Everything a report is made from.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The exam's findings.
    pub document: &'a FindingsDocument,
    /// Patient, study and acquisition facts.
    pub study: ReportStudy,
    /// The prior exam's findings, for the Comparison section.
    pub prior: Option<&'a FindingsDocument>,
    /// The request's clinical question (free text from the requester).
    pub request: Option<String>,
    /// Sign-off state.
    pub sign_off: SignOff,
}

impl<'a> ReportInput<'a> {
    /// An unsigned report of `document` with the study facts it carries.
    pub fn new(document: &'a FindingsDocument) -> Self {
        ReportInput {
            document,
            study: ReportStudy::from_document(document),
            prior: None,
            request: None,
            sign_off: SignOff::default(),
        }
    }
}

/// Who signed, when. Empty means PRELIMINARY, NOT SIGNED.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SignOff {
    /// The signing radiologist.
    pub signed_by: Option<String>,
    /// When (ISO 8601).
    pub signed_at: Option<String>,
}

impl SignOff {
    /// True once a radiologist signed.
    pub fn is_signed(&self) -> bool {
        self.signed_by.is_some() && self.signed_at.is_some()
    }
}

/// Role of a finding inside a group of same-code nodules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRole {
    /// The only finding of its code.
    Single,
    /// The dominant of `count` findings of its code.
    Dominant {
        /// How many findings of the code there are in all.
        count: usize,
    },
    /// Another finding of the group, listed after the dominant one.
    Member,
}

/// One statement of the Findings section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A finding (by id).
    Finding {
        /// Finding id.
        id: String,
        /// Its role in a group of same-code nodules.
        role: GroupRole,
    },
    /// Further findings of a group, counted together.
    Rest {
        /// Their code.
        code: String,
        /// Their ids.
        ids: Vec<String>,
    },
    /// A prior nodule not seen any more.
    Resolved {
        /// Its code.
        code: String,
    },
    /// No abnormality among the assessed codes of the system.
    Normal,
    /// A code the scan could not support, with the reason.
    NotAssessed {
        /// The code.
        code: String,
        /// The reason given by the unit or the scheduler.
        reason: String,
    },
    /// Codes no unit covered.
    NotEvaluated {
        /// The codes.
        codes: Vec<String>,
    },
    /// No code of the system was examined.
    SystemNotEvaluated,
    /// Pulmonary embolism cannot be assessed without contrast.
    PulmonaryEmbolismLimit,
}

/// The Findings statements of one organ system.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemSection {
    /// The system.
    pub system: OrganSystem,
    /// Its statements, in order.
    pub entries: Vec<Entry>,
}

/// One numbered Impression item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpressionItem {
    /// The finding the item is written from.
    pub lead: String,
    /// Every finding the item covers (lead first).
    pub ids: Vec<String>,
    /// The most urgent tier among them.
    pub urgency: Urgency,
    /// Advice.
    pub follow_up: Option<FollowUp>,
}

/// The exam-level Lung-RADS statement (screening context only).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExamLungRads {
    /// The category, e.g. "4B", with the S modifier.
    Category {
        /// "0".."4X".
        value: String,
        /// A clinically significant non-lung-cancer finding is present.
        s_modifier: bool,
    },
    /// Slices too thick for Lung-RADS.
    NotApplicable {
        /// The slice thickness, mm.
        slice_mm: f64,
    },
}

/// A tier-1 or tier-2 finding whose communication must be recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Communication {
    /// Finding id.
    pub finding_id: String,
    /// Its tier.
    pub urgency: Urgency,
    /// To whom it was communicated (filled by the radiologist).
    pub who: Option<String>,
    /// When.
    pub when: Option<String>,
    /// How (phone, in person...).
    pub how: Option<String>,
}

/// A whole report, before wording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Study facts.
    pub study: ReportStudy,
    /// The request's clinical question, if given.
    pub indication: Option<String>,
    /// Comparison with the prior exam, if one was given.
    pub comparison: Option<Comparison>,
    /// Findings by organ system (systems out of view are absent).
    pub sections: Vec<SystemSection>,
    /// Numbered impression items, most urgent first.
    pub impression: Vec<ImpressionItem>,
    /// Exam-level Lung-RADS (screening only).
    pub exam_lung_rads: Option<ExamLungRads>,
    /// Communication records of tier-1 and tier-2 findings.
    pub communications: Vec<Communication>,
    /// Sign-off.
    pub sign_off: SignOff,
    /// The findings, in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The finding with this id.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }
}

/// The organ system of a code (Lungs for an unknown code, which
/// validation excludes).
pub fn system_of(code: &str) -> OrganSystem {
    catalogue::entry(code).map_or(OrganSystem::Lungs, |e| e.system)
}

/// Sort key: most urgent, then code, then larger first.
fn finding_order(f: &Finding) -> (Urgency, String, i64) {
    let size = nodule_size(f).unwrap_or(0.0);
    (f.urgency, f.code.clone(), -(size * 1000.0) as i64)
}

/// Assembles the report.
pub fn assemble(input: &ReportInput<'_>) -> Report {
    let doc = input.document;
    let coverage = Coverage::of(doc);
    let comparison = input.prior.map(|p| compare(doc, p));
    let mut sections = Vec::new();
    for system in OrganSystem::ALL {
        let mut found: Vec<&Finding> = doc
            .findings
            .iter()
            .filter(|f| system_of(&f.code) == system)
            .collect();
        if found.is_empty() && coverage.out_of_view(system) {
            continue;
        }
        found.sort_by_key(|f| finding_order(f));
        let mut entries = finding_entries(&found);
        if system == OrganSystem::Lungs
            && let Some(c) = &comparison
        {
            entries.extend(
                c.resolved
                    .iter()
                    .map(|(_, code)| Entry::Resolved { code: code.clone() }),
            );
        }
        entries.extend(coverage_entries(&coverage, system, found.is_empty()));
        if system == OrganSystem::HeartAndVessels {
            entries.push(Entry::PulmonaryEmbolismLimit);
        }
        sections.push(SystemSection { system, entries });
    }
    let context = input.study.context;
    let impression = impression(&doc.findings, context);
    let communications = doc
        .findings
        .iter()
        .filter(|f| matches!(f.urgency, Urgency::Tier1 | Urgency::Tier2))
        .map(|f| Communication {
            finding_id: f.id.clone(),
            urgency: f.urgency,
            who: None,
            when: None,
            how: None,
        })
        .collect();
    Report {
        study: input.study.clone(),
        indication: input
            .request
            .as_ref()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty()),
        comparison,
        sections,
        exam_lung_rads: exam_lung_rads(doc, &input.study, &coverage),
        impression,
        communications,
        sign_off: input.sign_off.clone(),
        findings: doc.findings.clone(),
    }
}

/// Entries of the findings of one system (already sorted).
fn finding_entries(found: &[&Finding]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut done = std::collections::BTreeSet::new();
    for f in found {
        if done.contains(&f.code) {
            continue;
        }
        let same: Vec<&&Finding> = found.iter().filter(|g| g.code == f.code).collect();
        if !GROUPED_CODES.contains(&f.code.as_str()) || same.len() == 1 {
            entries.push(Entry::Finding {
                id: f.id.clone(),
                role: GroupRole::Single,
            });
            continue;
        }
        done.insert(f.code.clone());
        // `found` is sorted most urgent then largest: the first is dominant.
        entries.push(Entry::Finding {
            id: same[0].id.clone(),
            role: GroupRole::Dominant { count: same.len() },
        });
        for g in same.iter().skip(1).take(MAX_LISTED_MEMBERS) {
            entries.push(Entry::Finding {
                id: g.id.clone(),
                role: GroupRole::Member,
            });
        }
        if same.len() > 1 + MAX_LISTED_MEMBERS {
            entries.push(Entry::Rest {
                code: f.code.clone(),
                ids: same
                    .iter()
                    .skip(1 + MAX_LISTED_MEMBERS)
                    .map(|g| g.id.clone())
                    .collect(),
            });
        }
    }
    entries
}

/// Normal / not assessed / not evaluated statements of one system.
fn coverage_entries(coverage: &Coverage, system: OrganSystem, no_findings: bool) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut not_evaluated = Vec::new();
    for code in Coverage::codes_of(system) {
        match coverage.status(code) {
            CodeStatus::Assessed => {}
            CodeStatus::NotAssessed(reason) => entries.push(Entry::NotAssessed {
                code: code.to_string(),
                reason,
            }),
            CodeStatus::NotEvaluated => not_evaluated.push(code.to_string()),
        }
    }
    let assessed = coverage.system_assessed(system);
    if !assessed {
        return if entries.is_empty() {
            vec![Entry::SystemNotEvaluated]
        } else {
            entries
        };
    }
    if no_findings {
        entries.insert(0, Entry::Normal);
    }
    if !not_evaluated.is_empty() {
        entries.push(Entry::NotEvaluated {
            codes: not_evaluated,
        });
    }
    entries
}

fn rank_of(f: &Finding) -> u8 {
    f.category
        .as_ref()
        .filter(|c| c.system.starts_with("Lung-RADS"))
        .and_then(|c| lung_rads_rank(&c.value))
        .unwrap_or(0)
}

/// Impression items of the significant findings, ranked.
fn impression(findings: &[Finding], context: ExamContext) -> Vec<ImpressionItem> {
    let mut significant: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.urgency < Urgency::Incidental)
        .collect();
    significant.sort_by_key(|f| {
        (
            f.urgency,
            std::cmp::Reverse(rank_of(f)),
            system_of(&f.code),
            finding_order(f),
        )
    });
    let mut items: Vec<ImpressionItem> = Vec::new();
    for f in significant {
        let grouped = GROUPED_CODES.contains(&f.code.as_str());
        if grouped
            && let Some(item) = items
                .iter_mut()
                .find(|i| findings.iter().any(|g| g.id == i.lead && g.code == f.code))
        {
            item.ids.push(f.id.clone());
            continue;
        }
        items.push(ImpressionItem {
            lead: f.id.clone(),
            ids: vec![f.id.clone()],
            urgency: f.urgency,
            follow_up: follow_up(f, context),
        });
    }
    items
}

/// The exam-level Lung-RADS category in screening context.
fn exam_lung_rads(
    doc: &FindingsDocument,
    study: &ReportStudy,
    coverage: &Coverage,
) -> Option<ExamLungRads> {
    if study.context != ExamContext::Screening {
        return None;
    }
    if let Some(t) = study
        .slice_thickness_mm
        .filter(|t| *t > LUNG_RADS_MAX_SLICE_MM)
    {
        return Some(ExamLungRads::NotApplicable { slice_mm: t });
    }
    let worst = doc
        .findings
        .iter()
        .filter(|f| {
            f.category
                .as_ref()
                .is_some_and(|c| c.system.starts_with("Lung-RADS"))
        })
        .map(rank_of)
        .max();
    let rank = match worst {
        Some(r) => r,
        None if coverage.status("F01") == CodeStatus::Assessed => 1,
        None => 0,
    };
    let lung_cancer_codes = ["F01", "F02", "F03", "F04", "F06", "F13"];
    let s_modifier = doc.findings.iter().any(|f| {
        f.urgency < Urgency::Incidental
            && !lung_cancer_codes.contains(&f.code.as_str())
            && !f
                .category
                .as_ref()
                .is_some_and(|c| c.system.starts_with("Lung-RADS"))
    });
    Some(ExamLungRads::Category {
        value: lung_rads_value(rank).to_string(),
        s_modifier,
    })
}
