//! The scan metadata of a DICOM series (patient, study, acquisition) as
//! the report and the analysis units need it, read from the first slice's
//! header.

use dicom_dictionary_std::tags;
use dicom_object::OpenFileOptions;

use crate::dicom_read::{
    DicomReadOptions, SliceHeader, get_float, get_str, header_from_object, one_line,
};
use crate::{IoError, ScanMeta, SourceFormat};

/// The scan metadata of the series, from its first file's full header.
pub(crate) fn read_meta(
    first: &SliceHeader,
    slice_uids: Vec<Option<String>>,
    _options: &DicomReadOptions,
) -> Result<ScanMeta, IoError> {
    let path = &first.path;
    let obj = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .map_err(|e| IoError::bad(path, format!("malformed DICOM header: {}", one_line(&e))))?;
    // Re-derive the header to be sure it is the same file's view.
    let _ = header_from_object(path, &obj)?;
    let study_date = get_str(&obj, tags::STUDY_DATE);
    let age = get_str(&obj, tags::PATIENT_AGE)
        .and_then(|a| parse_age(&a))
        .or_else(|| {
            let birth = get_str(&obj, tags::PATIENT_BIRTH_DATE)?;
            age_from_dates(&birth, study_date.as_deref()?)
        });
    let joined = |tag| {
        obj.get(tag)
            .and_then(|e| e.to_multi_str().ok())
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("\\")
            })
            .filter(|s| !s.is_empty())
    };
    let indication = get_str(&obj, tags::REASON_FOR_THE_REQUESTED_PROCEDURE)
        .or_else(|| get_str(&obj, tags::REQUESTED_PROCEDURE_DESCRIPTION));
    Ok(ScanMeta {
        format: SourceFormat::Dicom,
        modality: first.modality.clone(),
        patient_age_years: age,
        patient_sex: get_str(&obj, tags::PATIENT_SEX),
        study_date,
        study_uid: first.study_uid.clone(),
        series_uid: Some(first.series_uid.clone()),
        frame_of_reference_uid: get_str(&obj, tags::FRAME_OF_REFERENCE_UID),
        series_description: first.series_description.clone(),
        series_number: first.series_number,
        patient_id: get_str(&obj, tags::PATIENT_ID),
        patient_name: get_str(&obj, tags::PATIENT_NAME),
        accession_number: get_str(&obj, tags::ACCESSION_NUMBER),
        manufacturer: get_str(&obj, tags::MANUFACTURER),
        model: get_str(&obj, tags::MANUFACTURER_MODEL_NAME),
        kvp: get_float(&obj, tags::KVP, path).ok().flatten(),
        kernel: joined(tags::CONVOLUTION_KERNEL),
        slice_thickness_mm: first.slice_thickness,
        contrast_agent: get_str(&obj, tags::CONTRAST_BOLUS_AGENT),
        contrast_route: get_str(&obj, tags::CONTRAST_BOLUS_ROUTE),
        body_part: get_str(&obj, tags::BODY_PART_EXAMINED),
        gantry_tilt_deg: get_float(&obj, tags::GANTRY_DETECTOR_TILT, path)
            .ok()
            .flatten(),
        ctdi_vol_mgy: get_float(&obj, tags::CTD_IVOL, path).ok().flatten(),
        study_description: get_str(&obj, tags::STUDY_DESCRIPTION),
        indication,
        slice_sop_instance_uids: slice_uids,
        sop_class_uid: first.sop_class_uid.clone(),
    })
}

/// Parses a DICOM Age String ("058Y", "006M", "020W", "003D") into years.
fn parse_age(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.len() < 2 {
        return None;
    }
    let (number, unit) = s.split_at(s.len() - 1);
    let n: f64 = number.trim().parse().ok()?;
    let years = match unit {
        "Y" | "y" => n,
        "M" | "m" => n / 12.0,
        "W" | "w" => n * 7.0 / 365.25,
        "D" | "d" => n / 365.25,
        _ => return None,
    };
    Some(years)
}

/// Whole years between two DICOM dates (YYYYMMDD).
fn age_from_dates(birth: &str, at: &str) -> Option<f64> {
    let parse = |d: &str| -> Option<(i32, i32, i32)> {
        let d = d.trim();
        if d.len() < 8 {
            return None;
        }
        Some((
            d[0..4].parse().ok()?,
            d[4..6].parse().ok()?,
            d[6..8].parse().ok()?,
        ))
    };
    let (by, bm, bd) = parse(birth)?;
    let (ay, am, ad) = parse(at)?;
    let mut years = ay - by;
    if (am, ad) < (bm, bd) {
        years -= 1;
    }
    (years >= 0).then_some(years as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("058Y"), Some(58.0));
        assert_eq!(parse_age("006M"), Some(0.5));
        assert_eq!(parse_age("X"), None);
        assert_eq!(age_from_dates("19600715", "20200714"), Some(59.0));
        assert_eq!(age_from_dates("19600715", "20200715"), Some(60.0));
    }
}
