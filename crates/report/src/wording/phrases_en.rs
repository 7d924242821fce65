//! English fixed phrases: headings, normal statements, technique,
//! comparison, follow-up advice, urgency, status and communication lines
//! (the finding templates are in `en.rs`).

use aisu::catalogue::OrganSystem;
use aisu::{ExamContext, Finding, Urgency};

use super::en::*;
use super::{Ctx, Heading, Wording, iso_date, months};
use crate::assemble::{Communication, ExamLungRads, SignOff};
use crate::followup::FollowUp;
use crate::prior::{Change, Comparison, Trend};
use crate::study::ReportStudy;

/// The English wording.
pub struct En;

impl Wording for En {
    fn finding_body(&self, ctx: &Ctx<'_>) -> String {
        TEMPLATES
            .iter()
            .find(|(code, _)| *code == ctx.f.code)
            .map_or_else(|| generic(ctx), |(_, t)| t(ctx))
    }

    fn change(&self, c: &Change, prior_date: Option<&str>) -> String {
        let since = prior_date.map_or("the prior exam".to_string(), iso_date);
        let over = c
            .interval_days
            .map_or(String::new(), |d| format!(" over {} months", months(d)));
        let mm = |v: f64| super::number(v, "mm");
        match (c.trend, c.prior_diameter_mm, c.diameter_mm, c.delta_mm) {
            (Trend::New, ..) => format!("new since {since}"),
            (t, Some(a), Some(b), Some(d)) => {
                let word = match t {
                    Trend::Growing => "growing",
                    Trend::Smaller => "smaller",
                    _ => "stable",
                };
                format!(
                    "{word} since {since}: mean diameter {} mm to {} mm ({}{} mm{over})",
                    mm(a),
                    mm(b),
                    if d >= 0.0 { "+" } else { "" },
                    mm(d)
                )
            }
            _ => format!("present on {since}"),
        }
    }

    fn limited(&self, slice_mm: f64) -> String {
        format!(
            "assessment limited on {} mm slices",
            super::number(slice_mm, "mm")
        )
    }

    fn grade(&self, f: &Finding) -> Option<String> {
        let g = f.category.as_ref()?;
        let ctx = self.context(g.context);
        Some(if g.system.starts_with("Lung-RADS") {
            format!("{} category {} ({ctx})", g.system, g.value)
        } else {
            format!("{}: {} ({ctx})", g.system, g.value)
        })
    }

    fn join_sentence(&self, parts: &[String]) -> String {
        let mut s = parts.join("; ");
        s.push('.');
        s
    }

    fn rest(&self, code: &str, count: usize) -> String {
        format!(
            "{count} further smaller findings of the same kind ({}).",
            title(code)
        )
    }

    fn resolved(&self, code: &str) -> String {
        format!("A previously reported {} is no longer seen.", title(code))
    }

    fn normal(&self, system: OrganSystem) -> String {
        match system {
            OrganSystem::Lungs => "No abnormality of the lungs detected.",
            OrganSystem::Airways => "The airways are patent, without detected abnormality.",
            OrganSystem::Pleura => {
                "No pleural effusion, pneumothorax or pleural abnormality detected."
            }
            OrganSystem::HeartAndVessels => {
                "No abnormality of the heart and great vessels detected."
            }
            OrganSystem::Mediastinum => "No mediastinal abnormality detected.",
            OrganSystem::ChestWall => "No chest wall abnormality detected.",
            OrganSystem::Bones => "No bone abnormality detected.",
            OrganSystem::UpperAbdomen => "No abnormality of the imaged upper abdomen detected.",
            OrganSystem::Devices => "No device or foreign material.",
        }
        .to_string()
    }

    fn not_assessed(&self, code: &str, reason: &str) -> String {
        format!(
            "Not assessed: {} ({}).",
            title(code),
            reason.trim_end_matches('.')
        )
    }

    fn not_evaluated(&self, codes: &[String]) -> String {
        let names: Vec<&str> = codes.iter().map(|c| title(c)).collect();
        format!("Not evaluated by the software: {}.", names.join("; "))
    }

    fn system_not_evaluated(&self, _system: OrganSystem) -> String {
        "Not evaluated by the software.".into()
    }

    fn pe_limit(&self) -> String {
        "Pulmonary embolism cannot be assessed without intravenous contrast.".into()
    }

    fn heading(&self, h: Heading) -> &'static str {
        match h {
            Heading::Title => "CT Chest Report",
            Heading::Indication => "Indication",
            Heading::Technique => "Technique",
            Heading::Comparison => "Comparison",
            Heading::Findings => "Findings",
            Heading::Impression => "Impression",
            Heading::Communication => "Communication of urgent findings",
            Heading::SignOff => "Sign-off",
            Heading::KeyImages => "Key images",
        }
    }

    fn system_name(&self, system: OrganSystem) -> &'static str {
        match system {
            OrganSystem::Lungs => "Lungs",
            OrganSystem::Airways => "Airways",
            OrganSystem::Pleura => "Pleura",
            OrganSystem::HeartAndVessels => "Heart and great vessels",
            OrganSystem::Mediastinum => "Mediastinum",
            OrganSystem::ChestWall => "Chest wall",
            OrganSystem::Bones => "Bones",
            OrganSystem::UpperAbdomen => "Upper abdomen",
            OrganSystem::Devices => "Devices",
        }
    }

    fn indication_not_given(&self) -> String {
        "Not given.".into()
    }

    fn technique(&self, s: &ReportStudy) -> String {
        let contrast = if s.contrast_agent.is_some() {
            "CT of the chest (contrast agent recorded in the source; analysed as non-contrast)"
        } else {
            "Non-contrast CT of the chest"
        };
        let mut parts = vec![contrast.to_string()];
        if let Some(k) = s.kvp {
            parts.push(format!("{} kV", super::number(k, "HU")));
        }
        if let Some(t) = s.slice_thickness_mm {
            parts.push(format!("{} mm slices", super::number(t, "mm")));
        }
        if let Some(k) = &s.kernel {
            parts.push(format!("kernel {k}"));
        }
        if let Some(c) = s.ctdi_vol_mgy {
            parts.push(format!("CTDIvol {c:.1} mGy"));
        }
        if let Some(d) = s.dlp_mgy_cm {
            parts.push(format!("DLP {d:.0} mGy·cm"));
        }
        format!("{}.", parts.join(", "))
    }

    fn comparison(&self, c: Option<&Comparison>) -> String {
        match c {
            None => "None.".into(),
            Some(c) => match (&c.prior_date, c.interval_days) {
                (Some(d), Some(days)) => {
                    format!(
                        "Prior CT of {} ({} months earlier).",
                        iso_date(d),
                        months(days)
                    )
                }
                (Some(d), None) => format!("Prior CT of {}.", iso_date(d)),
                _ => "Prior CT (date unknown).".into(),
            },
        }
    }

    fn follow_up(&self, a: &FollowUp) -> String {
        match a {
            FollowUp::LungRads(v) => match v.trim_end_matches('S').trim() {
                "0" => "Additional lung cancer screening CT images and/or comparison with prior chest CT; LDCT in 1-3 months may be needed.".into(),
                "1" | "2" => "Continue annual screening with LDCT in 12 months.".into(),
                "3" => "LDCT in 6 months.".into(),
                "4A" => "LDCT in 3 months; PET/CT may be considered when there is a solid component of 8 mm or more.".into(),
                "4B" | "4X" => "Diagnostic chest CT with or without contrast, PET/CT and/or tissue sampling, depending on the probability of malignancy and comorbidities.".into(),
                other => format!("Management as for Lung-RADS category {other}."),
            },
            FollowUp::Fleischner(k) => match k.as_str() {
                "no-routine-follow-up" => "No routine follow-up (Fleischner 2017).".into(),
                "optional-ct-12m" => "Optional CT at 12 months (Fleischner 2017).".into(),
                "ct-6-12m-then-18-24m" => "CT at 6-12 months, then consider CT at 18-24 months (Fleischner 2017).".into(),
                "ct-3m-pet-or-biopsy" => "Consider CT at 3 months, PET/CT or tissue sampling (Fleischner 2017).".into(),
                "ct-3-6m-then-18-24m" => "CT at 3-6 months, then consider CT at 18-24 months (Fleischner 2017).".into(),
                "ct-6-12m-then-every-2y-to-5y" => "CT at 6-12 months to confirm persistence, then CT every 2 years until 5 years (Fleischner 2017).".into(),
                "ct-3-6m-then-annual-to-5y" => "CT at 3-6 months to confirm persistence; if unchanged and the solid component remains below 6 mm, annual CT for 5 years (Fleischner 2017).".into(),
                other => format!("Management as for Fleischner 2017 ({other})."),
            },
            FollowUp::NoduleGuidelineByContext => "Exam context not given: Lung-RADS v2022 applies to a screening low-dose CT (slices 2.5 mm or thinner), Fleischner 2017 to an incidental nodule in a patient aged 35 or older without known cancer or immunosuppression.".into(),
            FollowUp::OncologyComparison => "Compare with prior imaging and the oncological treatment plan.".into(),
            FollowUp::ImmediateClinicalAttention => "Urgent finding: communicate to the referring clinician immediately.".into(),
            FollowUp::Echocardiography => "Echocardiography advised.".into(),
            FollowUp::CardiovascularRisk => "Cardiovascular risk assessment advised.".into(),
            FollowUp::ThyroidUltrasound => "Thyroid ultrasound if 15 mm or more at age 35 or older, 10 mm or more under 35, or with suspicious features (ACR 2015).".into(),
            FollowUp::AdrenalImaging => "Adrenal protocol CT or MRI unless attenuation is 10 HU or below (ACR 2017).".into(),
            FollowUp::BreastImaging => "Diagnostic mammography and breast ultrasound advised.".into(),
            FollowUp::BoneDensitometry => "Bone densitometry (DXA) advised.".into(),
            FollowUp::DiagnosticWorkup => "Further diagnostic work-up advised.".into(),
            FollowUp::ClinicalCorrelation => "Clinical correlation advised.".into(),
        }
    }

    fn urgency(&self, u: Urgency) -> String {
        match u {
            Urgency::Tier1 => "URGENT, tier 1: communicate within minutes",
            Urgency::Tier2 => "Tier 2: communicate within hours",
            Urgency::Tier3 => "Tier 3: communicate within days",
            Urgency::Routine => "routine",
            Urgency::Incidental => "incidental",
        }
        .into()
    }

    fn context(&self, c: ExamContext) -> &'static str {
        match c {
            ExamContext::Screening => "screening",
            ExamContext::Incidental => "incidental",
            ExamContext::Oncology => "oncology",
            ExamContext::Unknown => "context unknown",
        }
    }

    fn exam_lung_rads(&self, e: &ExamLungRads) -> String {
        match e {
            ExamLungRads::Category { value, s_modifier } => format!(
                "Lung-RADS v2022 exam category: {value}{}.",
                if *s_modifier {
                    " S (significant finding unrelated to lung cancer)"
                } else {
                    ""
                }
            ),
            ExamLungRads::NotApplicable { slice_mm } => format!(
                "Lung-RADS v2022 not applicable: slices of {} mm are thicker than 2.5 mm.",
                super::number(*slice_mm, "mm")
            ),
        }
    }

    fn status(&self, s: &SignOff) -> String {
        match (&s.signed_by, &s.signed_at) {
            (Some(who), Some(when)) => format!("SIGNED by {who} at {when}."),
            _ => "PRELIMINARY, NOT SIGNED. Signed by: ________  Date/time: ________".into(),
        }
    }

    fn communication(&self, c: &Communication, f: &Finding) -> String {
        let blank = |v: &Option<String>| v.clone().unwrap_or_else(|| "________".into());
        format!(
            "{} ({}): communicated to {}; when {}; how {}.",
            upper_first(title(&f.code)),
            self.urgency(c.urgency),
            blank(&c.who),
            blank(&c.when),
            blank(&c.how)
        )
    }

    fn several(&self, count: usize) -> String {
        format!("{count} findings of this kind; the dominant one:")
    }

    fn no_significant(&self) -> String {
        "No significant abnormality among the findings evaluated by the software.".into()
    }

    fn disclaimer(&self) -> String {
        "Generated by airad, decision support software. Every statement requires review and signature by a radiologist.".into()
    }

    fn key_image_caption(&self, f: &Finding) -> String {
        let loc = location(&f.site).map_or(String::new(), |l| format!(", {l}"));
        format!("{}: {}{loc}", f.id, title(&f.code))
    }
}
