//! Writing a [`Volume<i16>`] in Hounsfield units as a DICOM CT Image Storage
//! series: one file per slice (`IM00001.dcm`, ...), Explicit VR Little
//! Endian, uncompressed, with a file meta group.
//!
//! The files carry every mandatory attribute of the CT Image IOD (Patient,
//! General Study, Patient Study, General Series, Frame of Reference, General
//! Equipment, General Image, Image Plane, Image Pixel, CT Image, VOI LUT, SOP
//! Common and Contrast/Bolus when the source had contrast), so that
//! `dciodvfy` finds no error.
//!
//! - Geometry: Image Orientation (Patient) is `direction[0]` (increasing
//!   column index) then `direction[1]` (increasing row index); the Image
//!   Position (Patient) of slice `z` is `index_to_lps([0, 0, z])`; Pixel
//!   Spacing is `[spacing_y, spacing_x]` (row spacing first, as DICOM orders
//!   it). Decimal strings keep as many digits as 16 characters allow.
//! - Pixels: HU stored as signed 16-bit, Rescale Slope 1, Intercept 0, no
//!   clamping.
//! - UIDs: under `2.25` from UUIDs ([`crate::uid`]); reproducible when
//!   [`CtSeriesOptions::uid_seed`] is set. The source Study and Frame of
//!   Reference UIDs in [`ScanMeta`] are kept (a derived series belongs to the
//!   source study and shares its patient coordinate system); the Series and
//!   SOP Instance UIDs are new (the options may fix the Series UID).
//! - Dates and times are UTC (Timezone Offset From UTC `+0000`).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use dicom_core::value::C;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::InMemDicomObject;
use dicom_object::meta::FileMetaTableBuilder;
use rayon::prelude::*;
use volume::{Volume, cross, dot};

use crate::uid::{self, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME};
use crate::{IoError, ScanMeta};

/// One VOI LUT window (Window Center / Window Width) stored in every image.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// Window Center in HU.
    pub center: f64,
    /// Window Width in HU (positive).
    pub width: f64,
    /// Window Center & Width Explanation, e.g. `"LUNG"`.
    pub explanation: String,
}

impl Window {
    /// A window of `center` and `width` HU named `explanation`.
    pub fn new(center: f64, width: f64, explanation: &str) -> Self {
        let explanation = explanation.to_string();
        Window {
            center,
            width,
            explanation,
        }
    }
}

/// The lung (-600/1500) and mediastinum (40/400) windows of chest CT.
pub fn chest_windows() -> Vec<Window> {
    vec![
        Window::new(-600.0, 1500.0, "LUNG"),
        Window::new(40.0, 400.0, "MEDIASTINUM"),
    ]
}

/// What [`write_ct_series`] writes beyond the volume and its [`ScanMeta`].
/// Text fields fall back to the metadata, then to a default; over-long text
/// is cut to the length its VR allows.
#[derive(Debug, Clone)]
pub struct CtSeriesOptions {
    /// Patient's Name (`Family^Given`); default from meta, else
    /// `"Anonymous^Patient"`.
    pub patient_name: Option<String>,
    /// Patient ID; default from meta, else `"ANONYMOUS"`.
    pub patient_id: Option<String>,
    /// Study ID; default `"1"` when the Study UID is generated here, else
    /// empty (the Study ID of an existing study is not known).
    pub study_id: Option<String>,
    /// Study Description; default from meta, else none.
    pub study_description: Option<String>,
    /// Series Description; default from meta, else `"airad CT"`.
    pub series_description: Option<String>,
    /// Series Number; default from meta, else 1.
    pub series_number: Option<i32>,
    /// Root of generated UIDs; [`uid::UUID_ROOT`] (`"2.25"`) by default.
    pub uid_root: String,
    /// When set, every generated UID is derived from this seed (and its
    /// role), so the same seed gives the same UIDs; when `None` they are
    /// random. Use one seed per series. For byte-identical files also fix
    /// [`CtSeriesOptions::timestamp`].
    pub uid_seed: Option<String>,
    /// Study Instance UID; default `meta.study_uid`, else generated.
    pub study_uid: Option<String>,
    /// Series Instance UID; default generated.
    pub series_uid: Option<String>,
    /// Frame of Reference UID; default `meta.frame_of_reference_uid`, else
    /// generated.
    pub frame_of_reference_uid: Option<String>,
    /// Creation time of the series (series, content and instance creation
    /// date/time; also the study date/time when meta has no study date);
    /// `None` means now.
    pub timestamp: Option<SystemTime>,
    /// Image Type values; default `DERIVED\SECONDARY\AXIAL`.
    pub image_type: Vec<String>,
    /// Derivation Description (free text), written when set.
    pub derivation_description: Option<String>,
    /// Patient Position; default `"HFS"` (head first supine).
    pub patient_position: String,
    /// VOI LUT windows; default [`chest_windows`]. Empty writes none.
    pub windows: Vec<Window>,
}

impl Default for CtSeriesOptions {
    fn default() -> Self {
        CtSeriesOptions {
            patient_name: None,
            patient_id: None,
            study_id: None,
            study_description: None,
            series_description: None,
            series_number: None,
            uid_root: uid::UUID_ROOT.to_string(),
            uid_seed: None,
            study_uid: None,
            series_uid: None,
            frame_of_reference_uid: None,
            timestamp: None,
            image_type: vec!["DERIVED".into(), "SECONDARY".into(), "AXIAL".into()],
            derivation_description: None,
            patient_position: "HFS".into(),
            windows: chest_windows(),
        }
    }
}

/// What [`write_ct_series`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct CtSeriesWritten {
    /// Study Instance UID.
    pub study_uid: String,
    /// Series Instance UID.
    pub series_uid: String,
    /// Frame of Reference UID.
    pub frame_of_reference_uid: String,
    /// SOP Class UID of every file (CT Image Storage).
    pub sop_class_uid: String,
    /// SOP Instance UID of each slice, in volume z order.
    pub sop_instance_uids: Vec<String>,
    /// Path of each slice's file, in volume z order.
    pub files: Vec<PathBuf>,
}

/// Writes `volume` (HU) as a CT Image Storage series into `dir` (created
/// when missing): slice `z` goes to `IM{z+1:05}.dcm` with Instance Number
/// `z + 1`. Files of the same names are overwritten; other files are left
/// alone. Slices are encoded and written in parallel.
///
/// Errors name the folder (bad options, unusable geometry) or the file that
/// could not be written.
pub fn write_ct_series(
    dir: &Path,
    volume: &Volume<i16>,
    meta: &ScanMeta,
    options: &CtSeriesOptions,
) -> Result<CtSeriesWritten, IoError> {
    let g = volume.geometry();
    crate::check_dims(dir, g.dims)?;
    g.validate().map_err(|e| IoError::bad(dir, e.to_string()))?;
    let nz = g.dims[2];
    let root = options.uid_root.as_str();
    if !uid::is_valid_root(root) {
        let problem =
            format!("UID root {root:?} is not a valid UID prefix of 40 characters or less");
        return Err(IoError::bad(dir, problem));
    }
    // Generation only fails on a bad root, excluded above.
    let new_uid = |role: &str| {
        let uid = match &options.uid_seed {
            Some(seed) => uid::seeded_uid(root, seed, role),
            None => uid::random_uid(root),
        };
        uid.unwrap_or_default()
    };
    let (study_uid, study_is_new) =
        pick_uid(dir, "study", &options.study_uid, &meta.study_uid, &new_uid)?;
    let (series_uid, _) = pick_uid(dir, "series", &options.series_uid, &None, &new_uid)?;
    let (frame_of_reference_uid, _) = pick_uid(
        dir,
        "frame-of-reference",
        &options.frame_of_reference_uid,
        &meta.frame_of_reference_uid,
        &new_uid,
    )?;
    let sop_instance_uids: Vec<String> = (0..nz)
        .map(|z| new_uid(&format!("sop-instance/{z}")))
        .collect();

    let base = series_dataset(
        dir,
        volume,
        meta,
        options,
        [&study_uid, &series_uid, &frame_of_reference_uid],
        study_is_new,
    )?;
    std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir, e))?;
    let files: Vec<PathBuf> = (1..=nz)
        .map(|n| dir.join(format!("IM{n:05}.dcm")))
        .collect();
    (0..nz)
        .into_par_iter()
        .try_for_each(|z| write_slice(&files[z], &base, volume, z, &sop_instance_uids[z]))?;

    Ok(CtSeriesWritten {
        study_uid,
        series_uid,
        frame_of_reference_uid,
        sop_class_uid: uids::CT_IMAGE_STORAGE.to_string(),
        sop_instance_uids,
        files,
    })
}

/// The UID for `role`: the one in the options (which must be valid), else
/// the one from the metadata (replaced, with a warning, when invalid), else
/// a new one; and whether it is new.
fn pick_uid(
    dir: &Path,
    role: &str,
    given: &Option<String>,
    from_meta: &Option<String>,
    new_uid: &dyn Fn(&str) -> String,
) -> Result<(String, bool), IoError> {
    if let Some(uid) = given {
        let uid = uid.trim_end_matches(['\0', ' ']);
        if !uid::is_valid_uid(uid) {
            let problem = format!("{role} UID {uid:?} is not valid");
            return Err(IoError::bad(dir, problem));
        }
        return Ok((uid.to_string(), false));
    }
    if let Some(uid) = from_meta {
        let uid = uid.trim_end_matches(['\0', ' ']);
        if uid::is_valid_uid(uid) {
            return Ok((uid.to_string(), false));
        }
        tracing::warn!("source {role} UID {uid:?} is not valid: a new one is written");
    }
    Ok((new_uid(role), true))
}

/// Collects the elements of a data set, notes whether any text needs a
/// character set beyond ASCII, and names `path` in errors.
struct Elements<'a> {
    path: &'a Path,
    list: Vec<DataElement<InMemDicomObject>>,
    non_ascii: bool,
}

impl<'a> Elements<'a> {
    /// No element yet; errors will name `path`.
    fn new(path: &'a Path) -> Self {
        Elements {
            path,
            list: Vec::new(),
            non_ascii: false,
        }
    }

    /// Adds an element with any value.
    fn put(&mut self, tag: Tag, vr: VR, value: impl Into<PrimitiveValue>) {
        self.list.push(DataElement::new(tag, vr, value.into()));
    }

    /// Adds a text element (empty text gives an empty, type 2, value).
    fn text(&mut self, tag: Tag, vr: VR, value: &str) {
        self.non_ascii |= !value.is_ascii();
        if value.is_empty() {
            self.put(tag, vr, PrimitiveValue::Empty);
        } else {
            self.put(tag, vr, value);
        }
    }

    /// Adds a Long String, cleaned and cut to 64 characters.
    fn lo(&mut self, tag: Tag, value: &str) {
        self.text(tag, VR::LO, &clean(value, 64, false));
    }

    /// Adds a multi-valued text element.
    fn texts(&mut self, tag: Tag, vr: VR, values: Vec<String>) {
        self.non_ascii |= values.iter().any(|v| !v.is_ascii());
        self.put(tag, vr, PrimitiveValue::Strs(C::from_vec(values)));
    }

    /// Adds a Decimal String element of one or more numbers.
    fn ds(&mut self, tag: Tag, values: &[f64]) -> Result<(), IoError> {
        let strs = values.iter().map(|&v| {
            format_ds(v)
                .ok_or_else(|| IoError::bad(self.path, format!("{tag} value {v} is not finite")))
        });
        let strs = strs.collect::<Result<Vec<_>, _>>()?;
        self.put(tag, VR::DS, PrimitiveValue::Strs(C::from_vec(strs)));
        Ok(())
    }
}

/// `a` (given), else `b` (from the metadata), else `default`.
fn pick(a: &Option<String>, b: &Option<String>, default: &str) -> String {
    a.as_deref().or(b.as_deref()).unwrap_or(default).to_string()
}

/// Software Versions (0018,1020) of files written by airad.
const SOFTWARE: &str = concat!("airad ", env!("CARGO_PKG_VERSION"));

/// The attributes shared by every slice of the series.
fn series_dataset(
    dir: &Path,
    volume: &Volume<i16>,
    m: &ScanMeta,
    o: &CtSeriesOptions,
    [study_uid, series_uid, frame_uid]: [&str; 3],
    study_is_new: bool,
) -> Result<InMemDicomObject, IoError> {
    let g = volume.geometry();
    let [nx, ny, _] = g.dims;
    let (now_date, now_time) = dicom_date_time(o.timestamp.unwrap_or_else(SystemTime::now));
    let (study_date, study_time) = match m.study_date.as_deref().map(str::trim) {
        Some(d) if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) => (d.to_string(), ""),
        _ => (now_date.clone(), now_time.as_str()),
    };
    let mut e = Elements::new(dir);

    // SOP Common
    e.text(tags::SOP_CLASS_UID, VR::UI, uids::CT_IMAGE_STORAGE);
    e.text(tags::INSTANCE_CREATION_DATE, VR::DA, &now_date);
    e.text(tags::INSTANCE_CREATION_TIME, VR::TM, &now_time);
    e.text(tags::TIMEZONE_OFFSET_FROM_UTC, VR::SH, "+0000");
    // Patient, Patient Study
    let name = pick(&o.patient_name, &m.patient_name, "Anonymous^Patient");
    e.text(tags::PATIENT_NAME, VR::PN, &clean(&name, 64, false));
    let id = pick(&o.patient_id, &m.patient_id, "ANONYMOUS");
    e.lo(tags::PATIENT_ID, &id);
    e.text(tags::PATIENT_BIRTH_DATE, VR::DA, "");
    let sex = m.patient_sex.as_deref().map(clean_cs).unwrap_or_default();
    let sex_ok = matches!(sex.as_str(), "M" | "F" | "O");
    e.text(tags::PATIENT_SEX, VR::CS, if sex_ok { &sex } else { "" });
    if let Some(age) = m.patient_age_years.and_then(age_string) {
        e.text(tags::PATIENT_AGE, VR::AS, &age);
    }
    // General Study
    e.text(tags::STUDY_INSTANCE_UID, VR::UI, study_uid);
    e.text(tags::STUDY_DATE, VR::DA, &study_date);
    e.text(tags::STUDY_TIME, VR::TM, study_time);
    e.text(tags::REFERRING_PHYSICIAN_NAME, VR::PN, "");
    let new_id = if study_is_new { "1" } else { "" };
    let study_id = o.study_id.as_deref().unwrap_or(new_id);
    e.text(tags::STUDY_ID, VR::SH, &clean(study_id, 16, false));
    let accession = m.accession_number.as_deref().unwrap_or("");
    e.text(tags::ACCESSION_NUMBER, VR::SH, &clean(accession, 16, false));
    let study_description = pick(&o.study_description, &m.study_description, "");
    if !study_description.is_empty() {
        e.lo(tags::STUDY_DESCRIPTION, &study_description);
    }
    // General Series
    e.text(tags::MODALITY, VR::CS, "CT");
    e.text(tags::SERIES_INSTANCE_UID, VR::UI, series_uid);
    let number = o.series_number.or(m.series_number).unwrap_or(1);
    e.text(tags::SERIES_NUMBER, VR::IS, &number.to_string());
    e.text(tags::SERIES_DATE, VR::DA, &now_date);
    e.text(tags::SERIES_TIME, VR::TM, &now_time);
    let description = pick(&o.series_description, &m.series_description, "airad CT");
    e.lo(tags::SERIES_DESCRIPTION, &description);
    let body_part = clean_cs(m.body_part.as_deref().unwrap_or("CHEST"));
    e.text(tags::BODY_PART_EXAMINED, VR::CS, &body_part);
    let position = clean_cs(&o.patient_position);
    e.text(tags::PATIENT_POSITION, VR::CS, &position);
    // Frame of Reference
    e.text(tags::FRAME_OF_REFERENCE_UID, VR::UI, frame_uid);
    e.text(tags::POSITION_REFERENCE_INDICATOR, VR::LO, "");
    // General Equipment
    let manufacturer = m.manufacturer.as_deref().unwrap_or("airad");
    e.lo(tags::MANUFACTURER, manufacturer);
    if let Some(model) = &m.model {
        e.lo(tags::MANUFACTURER_MODEL_NAME, model);
    }
    e.lo(tags::SOFTWARE_VERSIONS, SOFTWARE);
    // General Image
    e.text(tags::CONTENT_DATE, VR::DA, &now_date);
    e.text(tags::CONTENT_TIME, VR::TM, &now_time);
    let image_type: Vec<String> = o.image_type.iter().map(|s| clean_cs(s)).collect();
    if image_type.len() < 2 || image_type.iter().any(String::is_empty) {
        return Err(IoError::bad(dir, "Image Type needs two values or more"));
    }
    e.texts(tags::IMAGE_TYPE, VR::CS, image_type);
    if let Some(d) = &o.derivation_description {
        e.text(tags::DERIVATION_DESCRIPTION, VR::ST, &clean(d, 1024, false));
    }
    e.text(tags::BURNED_IN_ANNOTATION, VR::CS, "NO");
    e.text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00");
    // Image Plane (position and slice location are per slice)
    let [row, col] = [g.direction[0], g.direction[1]];
    let orientation = [row[0], row[1], row[2], col[0], col[1], col[2]];
    e.ds(tags::IMAGE_ORIENTATION_PATIENT, &orientation)?;
    e.ds(tags::PIXEL_SPACING, &[g.spacing[1], g.spacing[0]])?;
    let thickness = m.slice_thickness_mm.filter(|t| t.is_finite() && *t > 0.0);
    e.ds(tags::SLICE_THICKNESS, &[thickness.unwrap_or(g.spacing[2])])?;
    e.ds(tags::SPACING_BETWEEN_SLICES, &[g.spacing[2]])?;
    // Image Pixel, CT Image
    e.put(tags::SAMPLES_PER_PIXEL, VR::US, 1u16);
    e.text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2");
    e.put(tags::ROWS, VR::US, ny as u16);
    e.put(tags::COLUMNS, VR::US, nx as u16);
    e.put(tags::BITS_ALLOCATED, VR::US, 16u16);
    e.put(tags::BITS_STORED, VR::US, 16u16);
    e.put(tags::HIGH_BIT, VR::US, 15u16);
    e.put(tags::PIXEL_REPRESENTATION, VR::US, 1u16);
    e.ds(tags::RESCALE_INTERCEPT, &[0.0])?;
    e.ds(tags::RESCALE_SLOPE, &[1.0])?;
    e.text(tags::RESCALE_TYPE, VR::LO, "HU");
    match m.kvp.filter(|k| k.is_finite() && *k > 0.0) {
        Some(kvp) => e.ds(tags::KVP, &[kvp])?,
        None => e.text(tags::KVP, VR::DS, ""),
    }
    e.text(tags::ACQUISITION_NUMBER, VR::IS, "1");
    if let Some(kernel) = &m.kernel {
        e.text(tags::CONVOLUTION_KERNEL, VR::SH, &clean(kernel, 16, true));
    }
    if let Some(ctdi) = m.ctdi_vol_mgy.filter(|c| c.is_finite() && *c >= 0.0) {
        e.put(tags::CTD_IVOL, VR::FD, ctdi);
    }
    // Contrast/Bolus (present only when the source said contrast was given)
    if let Some(agent) = &m.contrast_agent {
        e.lo(tags::CONTRAST_BOLUS_AGENT, agent);
        if let Some(route) = &m.contrast_route {
            e.lo(tags::CONTRAST_BOLUS_ROUTE, route);
        }
    }
    // VOI LUT
    let windows = &o.windows;
    if windows
        .iter()
        .any(|w| !w.width.is_finite() || w.width < 1.0)
    {
        return Err(IoError::bad(dir, "a window width is below 1"));
    }
    if !windows.is_empty() {
        let centers: Vec<f64> = windows.iter().map(|w| w.center).collect();
        e.ds(tags::WINDOW_CENTER, &centers)?;
        let widths: Vec<f64> = windows.iter().map(|w| w.width).collect();
        e.ds(tags::WINDOW_WIDTH, &widths)?;
        let names = windows.iter().map(|w| clean(&w.explanation, 64, false));
        e.texts(
            tags::WINDOW_CENTER_WIDTH_EXPLANATION,
            VR::LO,
            names.collect(),
        );
    }
    if e.non_ascii {
        e.text(tags::SPECIFIC_CHARACTER_SET, VR::CS, "ISO_IR 192");
    }
    Ok(InMemDicomObject::from_element_iter(e.list))
}

/// Adds the per-slice attributes to a copy of `base` and writes the file.
fn write_slice(
    path: &Path,
    base: &InMemDicomObject,
    volume: &Volume<i16>,
    z: usize,
    sop_instance_uid: &str,
) -> Result<(), IoError> {
    let g = volume.geometry();
    let position = g.index_to_lps([0.0, 0.0, z as f64]);
    let normal = cross(g.direction[0], g.direction[1]);
    let mut e = Elements::new(path);
    e.text(tags::SOP_INSTANCE_UID, VR::UI, sop_instance_uid);
    e.text(tags::INSTANCE_NUMBER, VR::IS, &(z + 1).to_string());
    e.ds(tags::IMAGE_POSITION_PATIENT, &position)?;
    e.ds(tags::SLICE_LOCATION, &[dot(position, normal)])?;
    let slice = volume.slice_z(z);
    let mut bytes = Vec::with_capacity(slice.len() * 2);
    for v in slice.iter() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    e.put(tags::PIXEL_DATA, VR::OW, bytes);

    let mut obj = base.clone();
    for element in e.list {
        obj.put(element);
    }
    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN)
                .implementation_class_uid(IMPLEMENTATION_CLASS_UID)
                .implementation_version_name(IMPLEMENTATION_VERSION_NAME),
        )
        .map_err(|err| IoError::bad(path, format!("cannot build the file meta group: {err}")))?;
    let mut encoded = Vec::with_capacity(slice.len() * 2 + 4096);
    file.write_all(&mut encoded)
        .map_err(|err| IoError::bad(path, format!("cannot encode DICOM: {err}")))?;
    std::fs::write(path, encoded).map_err(|err| IoError::io(path, err))
}

/// Formats `v` as a DICOM Decimal String (16 characters at most) with as
/// many significant digits as fit. `None` for NaN and infinities.
fn format_ds(v: f64) -> Option<String> {
    if !v.is_finite() {
        return None;
    }
    let shortest = format!("{v}");
    if shortest.len() <= 16 {
        return Some(if v == 0.0 { "0".into() } else { shortest });
    }
    for precision in (0..=15).rev() {
        let mut s = format!("{v:.precision$}");
        if s.contains('.') {
            s.truncate(s.trim_end_matches('0').trim_end_matches('.').len());
        }
        if s.len() <= 16 {
            return Some(if s == "-0" { "0".into() } else { s });
        }
    }
    (0..=10)
        .rev()
        .map(|precision| format!("{v:.precision$e}"))
        .find(|s| s.len() <= 16)
}

/// Cleans free text for a string VR: drops control characters, replaces
/// `\` (the value separator) with `/` unless `multi`, trims spaces and cuts
/// each value to `max` characters.
fn clean(text: &str, max: usize, multi: bool) -> String {
    let one = |value: &str| -> String {
        let value: String = value
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        let cut: String = value.trim().chars().take(max).collect();
        cut.trim_end().to_string()
    };
    if multi {
        text.split('\\').map(one).collect::<Vec<_>>().join("\\")
    } else {
        one(text)
    }
}

/// Cleans a Code String value: upper case, characters outside `A-Z 0-9 _`
/// and space become `_`, at most 16 characters.
fn clean_cs(text: &str) -> String {
    text.trim()
        .chars()
        .take(16)
        .map(|c| match c.to_ascii_uppercase() {
            c @ ('A'..='Z' | '0'..='9' | ' ' | '_') => c,
            _ => '_',
        })
        .collect()
}

/// A DICOM Age String (`nnnY`, or `nnnM`, `nnnW`, `nnnD` under one year)
/// from an age in years; `None` when negative or not finite.
fn age_string(years: f64) -> Option<String> {
    if !(years.is_finite() && years >= 0.0) {
        return None;
    }
    let (value, unit) = if years >= 1.0 {
        (years, 'Y')
    } else if years * 12.0 >= 1.0 {
        (years * 12.0, 'M')
    } else if years * 365.25 / 7.0 >= 1.0 {
        (years * 365.25 / 7.0, 'W')
    } else {
        (years * 365.25, 'D')
    };
    Some(format!("{:03}{unit}", (value.floor() as u32).min(999)))
}

/// DICOM date (`YYYYMMDD`) and time (`HHMMSS`) of `t` in UTC, without a
/// calendar library (days-to-civil conversion of the proleptic Gregorian
/// calendar). Years are clamped to 0..=9999.
fn dicom_date_time(t: SystemTime) -> (String, String) {
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX / 2),
    };
    let (days, second) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (year, month, day) = match year {
        0..=9999 => (year, month, day),
        y if y < 0 => (0, 1, 1),
        _ => (9999, 12, 31),
    };
    let (hour, minute, second) = (second / 3600, second % 3600 / 60, second % 60);
    let date = format!("{year:04}{month:02}{day:02}");
    (date, format!("{hour:02}{minute:02}{second:02}"))
}

/// (year, month, day) of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn decimal_strings_fit_and_round_trip() {
        let long = [
            -0.295_520_206_661_34,
            -1_234.567_890_123_456,
            99_999.123_456_789,
        ];
        let tiny = [
            1e-20,
            -3e-17,
            0.1 + 0.2,
            6.02e23,
            -1.5e-300,
            -99_999.999_999_999,
        ];
        for v in [0.0, -0.0, 1.0, 0.7].into_iter().chain(long).chain(tiny) {
            let s = format_ds(v).unwrap();
            assert!(s.len() <= 16, "{v} -> {s}");
            let back: f64 = s.parse().unwrap();
            let tolerance = 1e-9_f64.max(v.abs() * 1e-10);
            assert!((back - v).abs() <= tolerance, "{v} -> {s}");
            assert!(!s.starts_with("-0") || s.starts_with("-0."), "{v} -> {s}");
        }
        assert_eq!(format_ds(-0.0).unwrap(), "0");
        assert_eq!(format_ds(1e-20).unwrap(), "0");
        assert!(format_ds(f64::NAN).is_none());
    }

    #[test]
    fn ages() {
        assert_eq!(age_string(65.9).as_deref(), Some("065Y"));
        assert_eq!(age_string(0.5).as_deref(), Some("006M"));
        assert_eq!(age_string(0.05).as_deref(), Some("002W"));
        assert_eq!(age_string(0.01).as_deref(), Some("003D"));
        assert_eq!(age_string(1500.0).as_deref(), Some("999Y"));
        assert_eq!(age_string(-1.0), None);
    }

    #[test]
    fn dates() {
        let at = |s: u64| dicom_date_time(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), ("19700101".into(), "000000".into()));
        assert_eq!(at(951_782_400).0, "20000229");
        assert_eq!(at(1_700_000_000), ("20231114".into(), "221320".into()));
        assert_eq!(at(4_102_444_799), ("20991231".into(), "235959".into()));
        let before = dicom_date_time(UNIX_EPOCH - Duration::from_secs(1));
        assert_eq!(before, ("19691231".into(), "235959".into()));
    }

    #[test]
    fn text_cleaning() {
        assert_eq!(clean(" a\\b\u{7}c ", 64, false), "a/bc");
        assert_eq!(clean("B40f\\H30s", 16, true), "B40f\\H30s");
        assert_eq!(clean("0123456789abcdefXYZ", 16, false), "0123456789abcdef");
        assert_eq!(clean_cs("Chest-abdomen"), "CHEST_ABDOMEN");
    }
}
