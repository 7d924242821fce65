//! DICOM outputs derived from a DICOM source series: a Segmentation
//! ([`seg`]) and a Comprehensive 3D SR following TID 1500 ([`sr`]).
//!
//! Conventions shared by both (and by imaging-io's CT writer): Explicit VR
//! Little Endian; new Series and SOP Instance UIDs under `2.25`; the
//! source's Study Instance UID, Frame of Reference UID and patient module
//! kept; Contributing Equipment naming airad and every AISU that produced
//! a finding (IHE AI Results); dates and times in UTC.

pub mod seg;
pub mod sr;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use dicom_core::value::{C, DataSetSequence};
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use imaging_io::ScanMeta;
use imaging_io::uid::{IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME};
use volume::Geometry;

use crate::ReportError;
use crate::codes::Code;

/// The DICOM series the report's findings were derived from.
#[derive(Debug, Clone)]
pub struct DicomSource {
    /// Its metadata (UIDs, patient, study, per-slice SOP Instance UIDs).
    pub meta: ScanMeta,
    /// The grid of the analysed volume (= lesions.nii.gz).
    pub geometry: Geometry,
}

/// The identifiers of one run's DICOM objects.
#[derive(Debug, Clone)]
pub struct ObjectUids {
    /// SR Series Instance UID.
    pub sr_series: String,
    /// SR SOP Instance UID.
    pub sr_instance: String,
    /// SEG Series Instance UID.
    pub seg_series: String,
    /// SEG SOP Instance UID.
    pub seg_instance: String,
    /// Tracking UID per finding id (shared by SR and SEG).
    pub tracking: Vec<(String, String)>,
}

impl ObjectUids {
    /// New random UIDs for `finding_ids`.
    pub fn new(finding_ids: &[String]) -> Self {
        let uid = || imaging_io::uid::random_uid(imaging_io::uid::UUID_ROOT).unwrap_or_default();
        ObjectUids {
            sr_series: uid(),
            sr_instance: uid(),
            seg_series: uid(),
            seg_instance: uid(),
            tracking: finding_ids.iter().map(|id| (id.clone(), uid())).collect(),
        }
    }

    /// The tracking UID of a finding.
    pub fn tracking_of(&self, id: &str) -> Option<&str> {
        self.tracking
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, u)| u.as_str())
    }
}

/// A data set under construction.
pub(crate) struct Obj {
    pub(crate) inner: InMemDicomObject,
    non_ascii: bool,
}

impl Obj {
    pub(crate) fn new() -> Self {
        Obj {
            inner: InMemDicomObject::new_empty(),
            non_ascii: false,
        }
    }

    fn put(&mut self, tag: Tag, vr: VR, value: PrimitiveValue) -> &mut Self {
        self.inner.put(DataElement::new(tag, vr, value));
        self
    }

    /// A text element; empty text gives an empty (type 2) value.
    pub(crate) fn text(&mut self, tag: Tag, vr: VR, value: &str) -> &mut Self {
        self.non_ascii |= !value.is_ascii();
        if value.is_empty() {
            self.put(tag, vr, PrimitiveValue::Empty)
        } else {
            self.put(tag, vr, PrimitiveValue::from(value))
        }
    }

    /// A multi-valued text element.
    pub(crate) fn texts(&mut self, tag: Tag, vr: VR, values: &[String]) -> &mut Self {
        self.put(tag, vr, PrimitiveValue::Strs(C::from_vec(values.to_vec())))
    }

    /// Decimal strings.
    pub(crate) fn ds(&mut self, tag: Tag, values: &[f64]) -> &mut Self {
        let v: Vec<String> = values.iter().map(|&x| ds(x)).collect();
        self.texts(tag, VR::DS, &v)
    }

    pub(crate) fn us(&mut self, tag: Tag, value: u16) -> &mut Self {
        self.put(tag, VR::US, PrimitiveValue::from(value))
    }

    pub(crate) fn ul(&mut self, tag: Tag, values: &[u32]) -> &mut Self {
        self.put(
            tag,
            VR::UL,
            PrimitiveValue::U32(C::from_vec(values.to_vec())),
        )
    }

    pub(crate) fn fd(&mut self, tag: Tag, value: f64) -> &mut Self {
        self.put(tag, VR::FD, PrimitiveValue::from(value))
    }

    pub(crate) fn at(&mut self, tag: Tag, value: Tag) -> &mut Self {
        self.put(tag, VR::AT, PrimitiveValue::Tags(C::from_vec(vec![value])))
    }

    pub(crate) fn bytes(&mut self, tag: Tag, vr: VR, value: Vec<u8>) -> &mut Self {
        self.put(tag, vr, PrimitiveValue::U8(C::from_vec(value)))
    }

    /// A sequence of items.
    pub(crate) fn seq(&mut self, tag: Tag, items: Vec<Obj>) -> &mut Self {
        self.non_ascii |= items.iter().any(|i| i.non_ascii);
        let items: Vec<InMemDicomObject> = items.into_iter().map(|i| i.inner).collect();
        self.inner
            .put(DataElement::new(tag, VR::SQ, DataSetSequence::from(items)));
        self
    }

    /// True when some text needs a character set beyond ASCII.
    pub(crate) fn needs_utf8(&self) -> bool {
        self.non_ascii
    }
}

/// A Code Sequence item.
pub(crate) fn code_item(c: &Code) -> Obj {
    let mut o = Obj::new();
    o.text(tags::CODE_VALUE, VR::SH, &c.value)
        .text(tags::CODING_SCHEME_DESIGNATOR, VR::SH, c.scheme)
        .text(tags::CODE_MEANING, VR::LO, &clip(&c.meaning, 64));
    o
}

/// Cuts text to `max` characters.
pub(crate) fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// A Decimal String of at most 16 characters.
pub(crate) fn ds(v: f64) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    for precision in (0..=10).rev() {
        let mut s = format!("{v:.precision$}");
        if s.contains('.') {
            s.truncate(s.trim_end_matches('0').trim_end_matches('.').len());
        }
        if s == "-0" {
            s = "0".into();
        }
        if s.len() <= 16 {
            return s;
        }
    }
    format!("{v:.6e}")
}

/// DICOM date and time (`YYYYMMDD`, `HHMMSS`) of now, UTC.
pub(crate) fn now() -> (String, String) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, sec) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        format!("{y:04}{m:02}{d:02}"),
        format!("{:02}{:02}{:02}", sec / 3600, sec % 3600 / 60, sec % 60),
    )
}

/// Patient, General Study and the study-level identifiers, copied from
/// the source.
pub(crate) fn patient_and_study(o: &mut Obj, m: &ScanMeta) -> Result<String, ReportError> {
    let study_uid = m
        .study_uid
        .clone()
        .filter(|u| imaging_io::uid::is_valid_uid(u))
        .ok_or_else(|| {
            ReportError::Unsupported("the source has no valid Study Instance UID".into())
        })?;
    let name = m.patient_name.clone().unwrap_or_default();
    o.text(tags::PATIENT_NAME, VR::PN, &clip(&name, 64))
        .text(
            tags::PATIENT_ID,
            VR::LO,
            &clip(m.patient_id.as_deref().unwrap_or(""), 64),
        )
        .text(tags::PATIENT_BIRTH_DATE, VR::DA, "");
    let sex = m.patient_sex.as_deref().unwrap_or("");
    o.text(
        tags::PATIENT_SEX,
        VR::CS,
        if matches!(sex, "M" | "F" | "O") {
            sex
        } else {
            ""
        },
    );
    if let Some(a) = m.patient_age_years.filter(|a| a.is_finite() && *a >= 1.0) {
        o.text(
            tags::PATIENT_AGE,
            VR::AS,
            &format!("{:03}Y", (a.floor() as u32).min(999)),
        );
    }
    let date = m
        .study_date
        .as_deref()
        .filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("");
    o.text(tags::STUDY_INSTANCE_UID, VR::UI, &study_uid)
        .text(tags::STUDY_DATE, VR::DA, date)
        .text(tags::STUDY_TIME, VR::TM, "")
        .text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "")
        .text(tags::STUDY_ID, VR::SH, "")
        .text(
            tags::ACCESSION_NUMBER,
            VR::SH,
            &clip(m.accession_number.as_deref().unwrap_or(""), 16),
        );
    if let Some(d) = &m.study_description {
        o.text(tags::STUDY_DESCRIPTION, VR::LO, &clip(d, 64));
    }
    Ok(study_uid)
}

/// The Contributing Equipment Sequence: airad itself and each unit.
pub(crate) fn contributing_equipment(units: &[(String, String)]) -> Vec<Obj> {
    let (date, time) = now();
    let mut all = vec![("airad".to_string(), env!("CARGO_PKG_VERSION").to_string())];
    all.extend(units.iter().cloned());
    all.into_iter()
        .map(|(model, version)| {
            let mut o = Obj::new();
            o.text(tags::MANUFACTURER, VR::LO, "airad")
                .text(tags::MANUFACTURER_MODEL_NAME, VR::LO, &clip(&model, 64))
                .text(tags::SOFTWARE_VERSIONS, VR::LO, &clip(&version, 64))
                .text(
                    tags::CONTRIBUTION_DATE_TIME,
                    VR::DT,
                    &format!("{date}{time}"),
                )
                .text(
                    tags::CONTRIBUTION_DESCRIPTION,
                    VR::ST,
                    if model == "airad" {
                        "airad report generator"
                    } else {
                        "airad analysis unit (AISU)"
                    },
                )
                .seq(
                    tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
                    vec![code_item(&Code::dcm("109102", "Processing Equipment"))],
                );
            o
        })
        .collect()
}

/// Writes a data set as a DICOM file with its file meta group.
pub(crate) fn write_file(
    path: &Path,
    mut obj: Obj,
    sop_class: &str,
    sop_instance: &str,
) -> Result<(), ReportError> {
    obj.text(tags::SOP_CLASS_UID, VR::UI, sop_class).text(
        tags::SOP_INSTANCE_UID,
        VR::UI,
        sop_instance,
    );
    if obj.needs_utf8() {
        obj.text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
    }
    let file = obj
        .inner
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(dicom_dictionary_std::uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .media_storage_sop_class_uid(sop_class)
                .media_storage_sop_instance_uid(sop_instance)
                .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
                .implementation_version_name(IMPLEMENTATION_VERSION_NAME),
        )
        .map_err(|e| ReportError::Dicom(format!("{}: {e}", path.display())))?;
    let mut bytes = Vec::new();
    file.write_all(&mut bytes)
        .map_err(|e| ReportError::Dicom(format!("{}: {e}", path.display())))?;
    std::fs::write(path, bytes).map_err(|e| imaging_io::IoError::io(path, e).into())
}

/// The distinct (unit id, version) pairs of the findings.
pub(crate) fn units_of(findings: &[aisu::Finding]) -> Vec<(String, String)> {
    let mut units: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.aisu.id.clone(), f.aisu.version.clone()))
        .collect();
    units.sort();
    units.dedup();
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_fit() {
        assert_eq!(ds(8.2), "8.2");
        assert_eq!(ds(-0.0), "0");
        assert_eq!(ds(1.0 / 3.0), "0.3333333333");
        assert!(ds(-123456.123456789).len() <= 16);
        let (d, t) = now();
        assert_eq!((d.len(), t.len()), (8, 6));
    }
}
