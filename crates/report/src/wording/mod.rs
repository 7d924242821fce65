//! Report wording: one table per language ([`en`], [`zh`]). Every finding
//! sentence is built only from the finding's fields (code, site,
//! measurements, morphology, category, urgency) and the comparison with a
//! prior; finding units never write prose.
//!
//! Each language module holds `TEMPLATES`, one row per catalogue code
//! (`("F01", f01)`, ...). A row names the function that writes the body
//! of that code's sentence; codes without a specific template point to
//! the language's `generic` function (catalogue title + location +
//! measurements with units + morphology). To refine a code, write its
//! function and change its row: nothing else needs to change. The
//! dispatcher ([`finding_sentence`]) adds the comparison with the prior,
//! the thick-slice limitation and the grade to every body.

pub mod en;
mod phrases_en;
mod phrases_zh;
pub mod zh;

use aisu::catalogue::OrganSystem;
use aisu::{ExamContext, Finding, Urgency};
use serde::{Deserialize, Serialize};

use crate::assemble::{Communication, ExamLungRads, GroupRole, SignOff};
use crate::followup::FollowUp;
use crate::prior::{Change, Comparison};
use crate::study::ReportStudy;

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Both languages.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The wording table of the language.
    pub fn wording(self) -> &'static dyn Wording {
        match self {
            Lang::En => &en::En,
            Lang::Zh => &zh::Zh,
        }
    }

    /// BCP 47 tag ("en", "zh-Hans").
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-Hans",
        }
    }
}

/// What a finding template sees.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// The finding.
    pub f: &'a Finding,
    /// Its role in a group of same-code nodules.
    pub role: GroupRole,
    /// Its change since the prior exam.
    pub change: Option<&'a Change>,
    /// Slice thickness of the exam, mm.
    pub slice_mm: Option<f64>,
    /// Date of the prior exam, `YYYYMMDD`.
    pub prior_date: Option<&'a str>,
}

/// A template: writes the body of one code's sentence.
pub type Template = fn(&Ctx<'_>) -> String;

/// Headings of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heading {
    /// Report title.
    Title,
    /// Indication.
    Indication,
    /// Technique.
    Technique,
    /// Comparison.
    Comparison,
    /// Findings.
    Findings,
    /// Impression.
    Impression,
    /// Communication of urgent findings.
    Communication,
    /// Sign-off.
    SignOff,
    /// Key images.
    KeyImages,
}

/// Everything a language must say. Implemented by [`en::En`] and
/// [`zh::Zh`].
pub trait Wording: Sync {
    /// The body of a finding's sentence (its code's template).
    fn finding_body(&self, ctx: &Ctx<'_>) -> String;
    /// The change since the prior exam.
    fn change(&self, change: &Change, prior_date: Option<&str>) -> String;
    /// The thick-slice limitation of a small nodule.
    fn limited(&self, slice_mm: f64) -> String;
    /// The grade: system, value and context.
    fn grade(&self, f: &Finding) -> Option<String>;
    /// Ends a sentence made of parts.
    fn join_sentence(&self, parts: &[String]) -> String;
    /// Further findings of a group counted together.
    fn rest(&self, code: &str, count: usize) -> String;
    /// A prior nodule not seen any more.
    fn resolved(&self, code: &str) -> String;
    /// No abnormality of an assessed system.
    fn normal(&self, system: OrganSystem) -> String;
    /// A code the scan could not support.
    fn not_assessed(&self, code: &str, reason: &str) -> String;
    /// Codes no unit covered.
    fn not_evaluated(&self, codes: &[String]) -> String;
    /// A system none of whose codes was examined.
    fn system_not_evaluated(&self, system: OrganSystem) -> String;
    /// The pulmonary embolism limitation.
    fn pe_limit(&self) -> String;
    /// A heading.
    fn heading(&self, h: Heading) -> &'static str;
    /// A system's name (Findings sub-heading).
    fn system_name(&self, system: OrganSystem) -> &'static str;
    /// The Indication text when no request was given.
    fn indication_not_given(&self) -> String;
    /// The Technique paragraph.
    fn technique(&self, study: &ReportStudy) -> String;
    /// The Comparison paragraph.
    fn comparison(&self, comparison: Option<&Comparison>) -> String;
    /// Follow-up advice.
    fn follow_up(&self, advice: &FollowUp) -> String;
    /// Urgency tier label.
    fn urgency(&self, u: Urgency) -> String;
    /// Exam context label.
    fn context(&self, c: ExamContext) -> &'static str;
    /// The exam-level Lung-RADS statement.
    fn exam_lung_rads(&self, e: &ExamLungRads) -> String;
    /// The status banner: preliminary or signed.
    fn status(&self, sign_off: &SignOff) -> String;
    /// One communication record line (blank fields for the radiologist).
    fn communication(&self, c: &Communication, f: &Finding) -> String;
    /// Impression item lead-in for several findings of a code.
    fn several(&self, count: usize) -> String;
    /// The Impression when no finding is above incidental.
    fn no_significant(&self) -> String;
    /// The footer: decision support disclaimer.
    fn disclaimer(&self) -> String;
    /// Title of a key image (the finding's short name and location).
    fn key_image_caption(&self, f: &Finding) -> String;
}

/// The full Findings sentence of a finding in `lang`: body, change,
/// limitation and grade.
pub fn finding_sentence(lang: Lang, ctx: &Ctx<'_>) -> String {
    let w = lang.wording();
    let mut parts = vec![w.finding_body(ctx)];
    if let Some(c) = ctx.change {
        parts.push(w.change(c, ctx.prior_date));
    }
    let small = crate::prior::nodule_size(ctx.f).is_some_and(|d| d < 6.0);
    let nodule = matches!(ctx.f.code.as_str(), "F01" | "F02");
    if let Some(t) = ctx.slice_mm.filter(|t| *t > 2.5 && nodule && small) {
        parts.push(w.limited(t));
    }
    if ctx.role != GroupRole::Member
        && let Some(g) = w.grade(ctx.f)
    {
        parts.push(g);
    }
    w.join_sentence(&parts)
}

/// Number of decimals for a unit.
fn decimals(unit: &str, value: f64) -> usize {
    match unit {
        "mm" | "%" | "cm" => 1,
        "mL" | "ml" => {
            if value.abs() < 10.0 {
                2
            } else if value.abs() < 100.0 {
                1
            } else {
                0
            }
        }
        "HU" | "AU" | "mm3" | "{Agatston}" | "count" => 0,
        "1" => 2,
        _ => 2,
    }
}

/// A number as reports write it for `unit` (no unit appended).
pub fn number(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return "?".into();
    }
    let d = decimals(unit, value);
    let s = format!("{value:.d$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        return s.trim_start_matches('-').to_string();
    }
    s
}

/// `value unit` with a space before a unit other than "%" and none for
/// unitless values ("1").
pub fn quantity(value: f64, unit: &str, ml: &str) -> String {
    let n = number(value, unit);
    match unit {
        "1" | "" => n,
        "%" => format!("{n}%"),
        "mL" | "ml" => format!("{n} {ml}"),
        "{Agatston}" | "AU" => n,
        u => format!("{n} {u}"),
    }
}

/// True for measurements that are whole-number scores whatever their
/// unit (Agatston, severity score, quartile, counts).
pub fn is_integer_score(name: &str) -> bool {
    name.starts_with("agatston")
        || name.ends_with("_score")
        || name.ends_with("_quartile")
        || name.ends_with("_involved")
        || name.ends_with("count")
}

/// A measurement's value with its unit, as reports write it.
pub fn measurement_text(m: &aisu::Measurement, ml: &str) -> String {
    if is_integer_score(&m.name) && (m.unit == "1" || m.unit.is_empty()) {
        return format!("{:.0}", m.value);
    }
    quantity(m.value, &m.unit, ml)
}

/// Formats a measurement of a finding by name, if present.
/// The strings of a list in a finding's `site.extra` (e.g. the aortic
/// `segments` of F21), in order; empty when absent.
pub fn site_list<'a>(f: &'a Finding, key: &str) -> Vec<&'a str> {
    f.site
        .extra
        .get(key)
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default()
}

/// The value of measurement `name` with its unit, when present.
pub fn measured(f: &Finding, name: &str, ml: &str) -> Option<String> {
    f.measurements
        .iter()
        .find(|m| m.name == name)
        .map(|m| measurement_text(m, ml))
}

/// The first of several measurements present.
pub fn first_measured(f: &Finding, names: &[&str], ml: &str) -> Option<String> {
    names.iter().find_map(|n| measured(f, n, ml))
}

/// The Genant shape of a vertebral fracture among its morphology words.
pub fn fracture_shape(f: &Finding) -> Option<&'static str> {
    ["wedge", "biconcave", "crush"]
        .into_iter()
        .find(|w| f.morphology.iter().any(|m| m == w))
}

/// What a fracture finding says of its age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FractureAge {
    /// "acute" among its morphology words.
    Acute,
    /// "chronic" among its morphology words.
    Chronic,
    /// Its `age` extra says indeterminate (one CT cannot tell).
    Indeterminate,
}

/// The age a fracture finding states, if any.
pub fn fracture_age(f: &Finding) -> Option<FractureAge> {
    let has = |w: &str| f.morphology.iter().any(|m| m == w);
    if has("acute") {
        Some(FractureAge::Acute)
    } else if has("chronic") {
        Some(FractureAge::Chronic)
    } else {
        f.extra
            .get("age")
            .and_then(|v| v.as_str())
            .filter(|a| a.starts_with("indeterminate"))
            .map(|_| FractureAge::Indeterminate)
    }
}

/// Months (rounded to one decimal when below 3) of an interval in days.
pub fn months(days: i64) -> String {
    let m = days as f64 / 30.44;
    if m < 3.0 {
        format!("{m:.1}")
    } else {
        format!("{}", m.round() as i64)
    }
}

/// `YYYY-MM-DD` of a `YYYYMMDD` date (unchanged when not one).
pub fn iso_date(date: &str) -> String {
    match crate::study::parse_ymd(date) {
        Some((y, m, d)) => format!("{y:04}-{m:02}-{d:02}"),
        None => date.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_units() {
        assert_eq!(number(8.24, "mm"), "8.2");
        assert_eq!(number(1.364, "mL"), "1.36");
        assert_eq!(number(250.4, "mL"), "250");
        assert_eq!(number(25.04, "mL"), "25.0");
        assert_eq!(number(-649.6, "HU"), "-650");
        assert_eq!(number(-0.01, "mm"), "0.0");
        assert_eq!(quantity(0.456, "1", "mL"), "0.46");
        assert_eq!(quantity(12.34, "%", "mL"), "12.3%");
        assert_eq!(quantity(3.0, "mL", "ml"), "3.00 ml");
        assert_eq!(months(365), "12");
        assert_eq!(iso_date("20240105"), "2024-01-05");
    }
}
