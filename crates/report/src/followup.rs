//! Follow-up advice of an Impression item, chosen from the finding's
//! fields (code, category, urgency) and the exam context. The advice is a
//! language-neutral [`FollowUp`]; the wording tables turn it into a
//! sentence.
//!
//! Grades are set by the finding units; this module only maps a grade to
//! the management the guideline attaches to it:
//! - Lung-RADS v2022 (ACR): 0 additional imaging or comparison; 1-2 annual
//!   LDCT in 12 months; 3 LDCT in 6 months; 4A LDCT in 3 months (PET/CT
//!   when a solid component is >= 8 mm); 4B/4X diagnostic chest CT, PET/CT
//!   and/or tissue sampling.
//! - Fleischner 2017: the unit writes the recommendation key as the
//!   category value (see [`FLEISCHNER_KEYS`]).

use aisu::{ExamContext, Finding, Urgency};
use serde::Serialize;

/// Fleischner 2017 recommendation keys a unit may put in
/// `category.value` (system "Fleischner 2017"), each the management of
/// one row of the guideline's tables.
pub const FLEISCHNER_KEYS: [&str; 7] = [
    "no-routine-follow-up",
    "optional-ct-12m",
    "ct-6-12m-then-18-24m",
    "ct-3m-pet-or-biopsy",
    "ct-3-6m-then-18-24m",
    "ct-6-12m-then-every-2y-to-5y",
    "ct-3-6m-then-annual-to-5y",
];

/// What the radiologist is advised to do next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum FollowUp {
    /// Management of a Lung-RADS v2022 category ("0".."4X").
    LungRads(String),
    /// Management of a Fleischner 2017 key ([`FLEISCHNER_KEYS`]).
    Fleischner(String),
    /// Context unknown: which nodule guideline would apply when.
    NoduleGuidelineByContext,
    /// Oncology context: compare with prior imaging and the treatment plan.
    OncologyComparison,
    /// Immediate clinical attention (tier-1 findings).
    ImmediateClinicalAttention,
    /// Echocardiography (valve calcification, pericardial effusion).
    Echocardiography,
    /// Cardiovascular risk assessment (coronary calcium).
    CardiovascularRisk,
    /// Thyroid ultrasound (ACR 2015).
    ThyroidUltrasound,
    /// Adrenal protocol CT or MRI (ACR 2017).
    AdrenalImaging,
    /// Diagnostic mammography / breast ultrasound.
    BreastImaging,
    /// Bone densitometry (DXA).
    BoneDensitometry,
    /// Dedicated CT or tissue sampling of a suspicious lesion.
    DiagnosticWorkup,
    /// Clinical correlation.
    ClinicalCorrelation,
}

/// The follow-up of a finding, or `None` when it needs none.
pub fn follow_up(f: &Finding, context: ExamContext) -> Option<FollowUp> {
    if f.urgency == Urgency::Tier1 {
        return Some(FollowUp::ImmediateClinicalAttention);
    }
    if let Some(c) = &f.category {
        if c.system.starts_with("Lung-RADS") {
            return Some(FollowUp::LungRads(c.value.clone()));
        }
        if c.system.starts_with("Fleischner") {
            return Some(FollowUp::Fleischner(c.value.clone()));
        }
    }
    let nodule = matches!(f.code.as_str(), "F01" | "F02" | "F03" | "F06" | "F13");
    if nodule {
        return Some(match context {
            ExamContext::Oncology => FollowUp::OncologyComparison,
            _ if f.code == "F03" => FollowUp::DiagnosticWorkup,
            _ => FollowUp::NoduleGuidelineByContext,
        });
    }
    let advice = match f.code.as_str() {
        "F18" | "F20" => FollowUp::Echocardiography,
        "F19" => FollowUp::CardiovascularRisk,
        "F27" => FollowUp::ThyroidUltrasound,
        "F36" => FollowUp::AdrenalImaging,
        "F38" if f.site.structure.as_deref() == Some("breast") => FollowUp::BreastImaging,
        "F30" => FollowUp::BoneDensitometry,
        "F16" | "F24" | "F25" | "F31" | "F37" | "F38" => FollowUp::DiagnosticWorkup,
        _ => FollowUp::ClinicalCorrelation,
    };
    Some(advice)
}

/// Rank of a Lung-RADS category (higher is worse); `None` when unknown.
pub fn lung_rads_rank(value: &str) -> Option<u8> {
    let core = value.trim().trim_end_matches('S').trim();
    Some(match core {
        "0" => 0,
        "1" => 1,
        "2" => 2,
        "3" => 3,
        "4A" => 4,
        "4B" => 5,
        "4X" => 6,
        _ => return None,
    })
}

/// The value of a Lung-RADS rank.
pub fn lung_rads_value(rank: u8) -> &'static str {
    ["0", "1", "2", "3", "4A", "4B", "4X"][usize::from(rank.min(6))]
}
