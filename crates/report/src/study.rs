//! What the report knows about the exam beyond the findings: patient,
//! study and acquisition facts (a [`ReportStudy`]), gathered from
//! `findings.json`'s `study` block and, when the scan itself is at hand,
//! from its [`ScanMeta`].

use aisu::{ExamContext, FindingsDocument};
use imaging_io::ScanMeta;
use serde::{Deserialize, Serialize};

/// Patient, study and acquisition facts used by the Technique and
/// Comparison sections, the headers of every output and the DICOM/FHIR
/// identifiers. Every field is optional: a NIfTI input carries none.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportStudy {
    /// Patient's name as DICOM writes it (`Family^Given`).
    pub patient_name: Option<String>,
    /// Patient ID.
    pub patient_id: Option<String>,
    /// "M", "F" or "O".
    pub patient_sex: Option<String>,
    /// Age in years.
    pub patient_age_years: Option<f64>,
    /// Study date, `YYYYMMDD`.
    pub study_date: Option<String>,
    /// Accession number.
    pub accession_number: Option<String>,
    /// Study Instance UID.
    pub study_uid: Option<String>,
    /// Series Instance UID of the series read.
    pub series_uid: Option<String>,
    /// Study description.
    pub study_description: Option<String>,
    /// Tube voltage, kV.
    pub kvp: Option<f64>,
    /// Slice thickness, mm.
    pub slice_thickness_mm: Option<f64>,
    /// Reconstruction kernel.
    pub kernel: Option<String>,
    /// CTDIvol, mGy.
    pub ctdi_vol_mgy: Option<f64>,
    /// Dose-length product, mGy·cm.
    pub dlp_mgy_cm: Option<f64>,
    /// Contrast agent, when the source said one was given.
    pub contrast_agent: Option<String>,
    /// Why the exam was done (decides the nodule guideline).
    pub context: ExamContext,
}

impl ReportStudy {
    /// The facts a findings document carries (`study` and its extra keys
    /// `patient_age_years`, `patient_sex`, `study_date`, `contrast_agent`,
    /// `ctdi_vol_mgy`, `dlp_mgy_cm`, `patient_id`, `patient_name`,
    /// `accession_number`).
    pub fn from_document(doc: &FindingsDocument) -> Self {
        let s = &doc.study;
        let text = |key: &str| {
            s.extra
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let number = |key: &str| s.extra.get(key).and_then(|v| v.as_f64());
        ReportStudy {
            patient_name: text("patient_name"),
            patient_id: text("patient_id"),
            patient_sex: text("patient_sex"),
            patient_age_years: number("patient_age_years"),
            study_date: text("study_date"),
            accession_number: text("accession_number"),
            study_uid: s.study_uid.clone(),
            series_uid: s.series_uid.clone(),
            study_description: text("study_description"),
            kvp: s.kvp,
            slice_thickness_mm: s.slice_thickness_mm,
            kernel: s.kernel.clone(),
            ctdi_vol_mgy: number("ctdi_vol_mgy"),
            dlp_mgy_cm: number("dlp_mgy_cm"),
            contrast_agent: text("contrast_agent"),
            context: s.context,
        }
    }

    /// Fills the fields still empty from the scan's metadata.
    pub fn with_meta(mut self, meta: &ScanMeta) -> Self {
        fn fill<T: Clone>(slot: &mut Option<T>, value: &Option<T>) {
            if slot.is_none() {
                slot.clone_from(value);
            }
        }
        fill(&mut self.patient_name, &meta.patient_name);
        fill(&mut self.patient_id, &meta.patient_id);
        fill(&mut self.patient_sex, &meta.patient_sex);
        fill(&mut self.patient_age_years, &meta.patient_age_years);
        fill(&mut self.study_date, &meta.study_date);
        fill(&mut self.accession_number, &meta.accession_number);
        fill(&mut self.study_uid, &meta.study_uid);
        fill(&mut self.series_uid, &meta.series_uid);
        fill(&mut self.study_description, &meta.study_description);
        fill(&mut self.kvp, &meta.kvp);
        fill(&mut self.slice_thickness_mm, &meta.slice_thickness_mm);
        fill(&mut self.kernel, &meta.kernel);
        fill(&mut self.ctdi_vol_mgy, &meta.ctdi_vol_mgy);
        fill(&mut self.contrast_agent, &meta.contrast_agent);
        self
    }

    /// The study date as (year, month, day) when it is a valid `YYYYMMDD`.
    pub fn date_ymd(&self) -> Option<(i32, u32, u32)> {
        parse_ymd(self.study_date.as_deref()?)
    }
}

/// (year, month, day) of a DICOM date `YYYYMMDD` (also accepts
/// `YYYY-MM-DD`); `None` when it is not a plausible date.
pub fn parse_ymd(text: &str) -> Option<(i32, u32, u32)> {
    let digits: String = text.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 8 {
        return None;
    }
    let y: i32 = digits[0..4].parse().ok()?;
    let m: u32 = digits[4..6].parse().ok()?;
    let d: u32 = digits[6..8].parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil((y, m, d): (i32, u32, u32)) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_ymd("20240131"), Some((2024, 1, 31)));
        assert_eq!(parse_ymd("2024-01-31"), Some((2024, 1, 31)));
        assert_eq!(parse_ymd("20241331"), None);
        assert_eq!(days_from_civil((1970, 1, 1)), 0);
        assert_eq!(
            days_from_civil((2024, 3, 1)) - days_from_civil((2024, 2, 1)),
            29
        );
    }
}
