//! DICOM input: finding the DICOM files in a folder tree (any file names,
//! with or without a DICOMDIR), grouping them by Series Instance UID,
//! choosing the CT series to read, and handing it to the assembler that
//! builds the HU volume ([`read_dicom`] does all of it).
//!
//! Discovery reads headers only (up to Pixel Data), in parallel; a file that
//! starts like DICOM but cannot be parsed is an error naming that file, so
//! that a damaged series is never read as if it were whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject, OpenFileOptions};
use rayon::prelude::*;

use crate::{IoError, LoadedImage, Progress, check_dims};

/// Media Storage Directory Storage: the SOP class of a DICOMDIR.
const DICOMDIR_SOP_CLASS: &str = "1.2.840.10008.1.3.10";

/// How to choose and read a series.
#[derive(Debug, Clone, Default)]
pub struct DicomReadOptions {
    /// Read this Series Instance UID instead of the default choice.
    pub series_uid: Option<String>,
    /// Accept modalities other than CT (the volume is then not in HU).
    pub allow_non_ct: bool,
}

/// What the header of one DICOM image file says about its place in a series.
#[derive(Debug, Clone)]
pub struct SliceHeader {
    /// The file.
    pub path: PathBuf,
    /// Series Instance UID.
    pub series_uid: String,
    /// Study Instance UID.
    pub study_uid: Option<String>,
    /// Modality, e.g. "CT".
    pub modality: Option<String>,
    /// SOP Class UID.
    pub sop_class_uid: Option<String>,
    /// SOP Instance UID.
    pub sop_instance_uid: Option<String>,
    /// Rows (image height).
    pub rows: usize,
    /// Columns (image width).
    pub columns: usize,
    /// Number of Frames (1 when absent).
    pub frames: usize,
    /// Image Position Patient.
    pub position: Option<[f64; 3]>,
    /// Image Orientation Patient: row direction, then column direction.
    pub orientation: Option<[f64; 6]>,
    /// Pixel Spacing: row spacing (between rows), column spacing.
    pub pixel_spacing: Option<[f64; 2]>,
    /// Instance Number.
    pub instance_number: Option<i32>,
    /// Image Type values.
    pub image_type: Vec<String>,
    /// Series Description.
    pub series_description: Option<String>,
    /// Series Number.
    pub series_number: Option<i32>,
    /// Slice Thickness in mm.
    pub slice_thickness: Option<f64>,
}

impl SliceHeader {
    /// True for scout/localizer images, which never belong in a volume.
    pub fn is_localizer(&self) -> bool {
        self.image_type
            .iter()
            .any(|t| t.trim().eq_ignore_ascii_case("LOCALIZER"))
    }
}

/// One series found in the input.
#[derive(Debug, Clone)]
pub struct SeriesInfo {
    /// Series Instance UID.
    pub series_uid: String,
    /// Modality of its first image.
    pub modality: Option<String>,
    /// Series Description.
    pub description: Option<String>,
    /// Series Number.
    pub series_number: Option<i32>,
    /// Rows x columns of its first image.
    pub rows: usize,
    /// Columns of its first image.
    pub columns: usize,
    /// Plane of its first image: "axial", "coronal", "sagittal", "oblique"
    /// or "unknown".
    pub plane: &'static str,
    /// Its image files, in discovery order.
    pub slices: Vec<SliceHeader>,
}

impl SeriesInfo {
    /// Number of image files (localizers included).
    pub fn len(&self) -> usize {
        self.slices.len()
    }

    /// True when the series holds no image.
    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
    }

    /// True when its modality is CT.
    pub fn is_ct(&self) -> bool {
        self.modality.as_deref() == Some("CT")
    }

    /// Image files that are not localizers.
    pub fn image_count(&self) -> usize {
        self.slices.iter().filter(|s| !s.is_localizer()).count()
    }
}

/// The DICOM content of an input path.
#[derive(Debug, Clone)]
pub struct DicomInventory {
    /// The folder or file given.
    pub root: PathBuf,
    /// Series, largest first.
    pub series: Vec<SeriesInfo>,
    /// Files that are not DICOM images (skipped), e.g. a DICOMDIR, text
    /// files, non-image objects.
    pub skipped_files: usize,
}

/// Reads a DICOM folder (recursively) or a single DICOM file into a HU
/// volume: discovery, choice of series, assembly.
pub fn read_dicom(
    path: &Path,
    options: &DicomReadOptions,
    progress: &dyn Progress,
) -> Result<LoadedImage, IoError> {
    let inventory = discover(path, progress)?;
    read_series(&inventory, options, progress)
}

/// Chooses a series of an inventory ([`choose_series`]) and assembles it.
pub fn read_series(
    inventory: &DicomInventory,
    options: &DicomReadOptions,
    progress: &dyn Progress,
) -> Result<LoadedImage, IoError> {
    let series = choose_series(inventory, options)?;
    crate::dicom_assemble::assemble(&inventory.root, series, options, progress)
}

/// Finds every DICOM image file under `path` (or `path` itself when it is a
/// file) and groups them by series.
pub fn discover(path: &Path, progress: &dyn Progress) -> Result<DicomInventory, IoError> {
    let metadata = std::fs::metadata(path).map_err(|e| IoError::io(path, e))?;
    let files: Vec<PathBuf> = if metadata.is_dir() {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path).follow_links(false) {
            let entry = entry.map_err(|e| {
                let at = e.path().unwrap_or(path).to_path_buf();
                IoError::bad(at, format!("cannot list folder: {e}"))
            })?;
            if entry.file_type().is_file() {
                files.push(entry.into_path());
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(IoError::bad(path, "the folder holds no files"));
        }
        files
    } else {
        vec![path.to_path_buf()]
    };

    progress.start("scanning DICOM headers", files.len() as u64);
    let headers: Vec<Result<Option<SliceHeader>, IoError>> = files
        .par_iter()
        .map(|file| {
            let header = read_header(file);
            progress.advance(1);
            header
        })
        .collect();
    progress.finish();

    let mut by_series: BTreeMap<String, Vec<SliceHeader>> = BTreeMap::new();
    let mut skipped = 0usize;
    for header in headers {
        match header? {
            Some(h) => by_series.entry(h.series_uid.clone()).or_default().push(h),
            None => skipped += 1,
        }
    }
    if by_series.is_empty() {
        let what = if files.len() == 1 {
            "not a DICOM image file".to_string()
        } else {
            format!("no DICOM image among its {} files", files.len())
        };
        return Err(IoError::bad(path, what));
    }
    let mut series: Vec<SeriesInfo> = by_series
        .into_iter()
        .map(|(series_uid, slices)| {
            let first = &slices[0];
            SeriesInfo {
                modality: first.modality.clone(),
                description: first.series_description.clone(),
                series_number: first.series_number,
                rows: first.rows,
                columns: first.columns,
                plane: first.orientation.map(plane_of).unwrap_or("unknown"),
                series_uid,
                slices,
            }
        })
        .collect();
    series.sort_by(|a, b| {
        b.image_count()
            .cmp(&a.image_count())
            .then_with(|| a.series_uid.cmp(&b.series_uid))
    });
    Ok(DicomInventory {
        root: path.to_path_buf(),
        series,
        skipped_files: skipped,
    })
}

/// Chooses the series to read: the one named in `options`, else the largest
/// axial CT series, else (with `allow_non_ct`) the largest series.
pub fn choose_series<'a>(
    inventory: &'a DicomInventory,
    options: &DicomReadOptions,
) -> Result<&'a SeriesInfo, IoError> {
    let root = &inventory.root;
    if let Some(uid) = &options.series_uid {
        let series = inventory
            .series
            .iter()
            .find(|s| &s.series_uid == uid)
            .ok_or_else(|| {
                IoError::bad(
                    root,
                    format!(
                        "no series with UID {uid} (found {}; list them with `airad info`)",
                        inventory.series.len()
                    ),
                )
            })?;
        if !series.is_ct() && !options.allow_non_ct {
            return Err(non_ct_error(root, series));
        }
        return Ok(series);
    }
    let ct_axial = inventory
        .series
        .iter()
        .filter(|s| s.is_ct() && s.image_count() > 0)
        .max_by_key(|s| (s.plane == "axial", s.image_count()));
    if let Some(series) = ct_axial {
        return Ok(series);
    }
    let largest = inventory
        .series
        .iter()
        .find(|s| s.image_count() > 0)
        .ok_or_else(|| IoError::bad(root, "only localizer images found, no image series"))?;
    if options.allow_non_ct {
        Ok(largest)
    } else {
        Err(non_ct_error(root, largest))
    }
}

fn non_ct_error(root: &Path, series: &SeriesInfo) -> IoError {
    IoError::bad(
        root,
        format!(
            "modality is {} not CT (series {}); use --allow-non-ct to read it anyway",
            series.modality.as_deref().unwrap_or("missing"),
            series.series_uid
        ),
    )
}

/// The anatomical plane of an image orientation (within about 10 degrees).
pub fn plane_of(iop: [f64; 6]) -> &'static str {
    let row = [iop[0], iop[1], iop[2]];
    let col = [iop[3], iop[4], iop[5]];
    let normal = volume::cross(row, col);
    let n = volume::norm(normal);
    if n < 1e-6 {
        return "unknown";
    }
    let main = normal
        .iter()
        .map(|v| v.abs() / n)
        .enumerate()
        .fold(
            (0, 0.0),
            |best, (i, v)| if v > best.1 { (i, v) } else { best },
        );
    if main.1 < 0.985 {
        return "oblique";
    }
    match main.0 {
        0 => "sagittal",
        1 => "coronal",
        _ => "axial",
    }
}

/// True when the file starts with a DICOM preamble and "DICM" magic.
fn has_dicom_magic(path: &Path) -> Result<bool, IoError> {
    let mut file = File::open(path).map_err(|e| IoError::io(path, e))?;
    let mut head = [0u8; 132];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(IoError::io(path, e)),
        }
    }
    Ok(read == 132 && &head[128..132] == b"DICM")
}

/// Reads the header of one file. `Ok(None)`: not a DICOM image (not DICOM
/// at all, a DICOMDIR, or an object without pixels); `Err`: it looks like
/// DICOM but is damaged.
fn read_header(path: &Path) -> Result<Option<SliceHeader>, IoError> {
    if !has_dicom_magic(path)? {
        return Ok(None);
    }
    let obj = OpenFileOptions::new()
        .read_until(tags::PIXEL_DATA)
        .open_file(path)
        .map_err(|e| IoError::bad(path, format!("malformed DICOM header: {}", one_line(&e))))?;
    if obj
        .meta()
        .media_storage_sop_class_uid()
        .trim_end_matches('\0')
        == DICOMDIR_SOP_CLASS
    {
        return Ok(None);
    }
    header_from_object(path, &obj)
}

/// Extracts the [`SliceHeader`] of an opened object; `Ok(None)` when it
/// holds no image (no Rows/Columns or no Series Instance UID).
pub(crate) fn header_from_object(
    path: &Path,
    obj: &DefaultDicomObject,
) -> Result<Option<SliceHeader>, IoError> {
    let (Some(rows), Some(columns)) = (
        get_uint(obj, tags::ROWS, path)?,
        get_uint(obj, tags::COLUMNS, path)?,
    ) else {
        return Ok(None);
    };
    let Some(series_uid) = get_str(obj, tags::SERIES_INSTANCE_UID) else {
        return Ok(None);
    };
    let frames = match get_str(obj, tags::NUMBER_OF_FRAMES) {
        Some(s) => s
            .trim()
            .parse::<usize>()
            .map_err(|_| IoError::bad(path, format!("Number of Frames '{s}' is not a number")))?,
        None => 1,
    };
    check_dims(path, [columns, rows, frames.max(1)])?;
    Ok(Some(SliceHeader {
        path: path.to_path_buf(),
        series_uid,
        study_uid: get_str(obj, tags::STUDY_INSTANCE_UID),
        modality: get_str(obj, tags::MODALITY),
        sop_class_uid: get_str(obj, tags::SOP_CLASS_UID),
        sop_instance_uid: get_str(obj, tags::SOP_INSTANCE_UID),
        rows,
        columns,
        frames,
        position: get_floats::<3>(obj, tags::IMAGE_POSITION_PATIENT, path)?,
        orientation: get_floats::<6>(obj, tags::IMAGE_ORIENTATION_PATIENT, path)?,
        pixel_spacing: get_floats::<2>(obj, tags::PIXEL_SPACING, path)?,
        instance_number: get_str(obj, tags::INSTANCE_NUMBER).and_then(|s| s.trim().parse().ok()),
        image_type: obj
            .get(tags::IMAGE_TYPE)
            .and_then(|e| e.to_multi_str().ok())
            .map(|v| v.iter().map(|s| s.trim().to_string()).collect())
            .unwrap_or_default(),
        series_description: get_str(obj, tags::SERIES_DESCRIPTION),
        series_number: get_str(obj, tags::SERIES_NUMBER).and_then(|s| s.trim().parse().ok()),
        slice_thickness: get_str(obj, tags::SLICE_THICKNESS).and_then(|s| s.trim().parse().ok()),
    }))
}

/// A trimmed, non-empty string value.
pub(crate) fn get_str(obj: &InMemDicomObject, tag: dicom_core::Tag) -> Option<String> {
    let s = obj.get(tag)?.to_str().ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!s.is_empty()).then(|| s.to_string())
}

/// A number from a string or binary element; `Err` when present but not
/// a number.
pub(crate) fn get_float(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    path: &Path,
) -> Result<Option<f64>, IoError> {
    let Some(element) = obj.get(tag) else {
        return Ok(None);
    };
    if element.header().len.get() == Some(0) {
        return Ok(None);
    }
    element
        .to_float64()
        .map(Some)
        .map_err(|_| IoError::bad(path, format!("{} is not a number", tag_name(tag))))
}

fn get_uint(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    path: &Path,
) -> Result<Option<usize>, IoError> {
    let Some(element) = obj.get(tag) else {
        return Ok(None);
    };
    let v: i64 = element
        .to_int()
        .map_err(|_| IoError::bad(path, format!("{} is not an integer", tag_name(tag))))?;
    if v < 0 {
        return Err(IoError::bad(
            path,
            format!("{} is negative ({v})", tag_name(tag)),
        ));
    }
    Ok(Some(v as usize))
}

fn get_floats<const N: usize>(
    obj: &InMemDicomObject,
    tag: dicom_core::Tag,
    path: &Path,
) -> Result<Option<[f64; N]>, IoError> {
    let Some(element) = obj.get(tag) else {
        return Ok(None);
    };
    if element.header().len.get() == Some(0) {
        return Ok(None);
    }
    let values = element
        .to_multi_float64()
        .map_err(|_| IoError::bad(path, format!("{} is not numeric", tag_name(tag))))?;
    if values.len() != N || values.iter().any(|v| !v.is_finite()) {
        return Err(IoError::bad(
            path,
            format!(
                "{} has {} values, expected {N} finite numbers",
                tag_name(tag),
                values.len()
            ),
        ));
    }
    let mut out = [0.0; N];
    out.copy_from_slice(&values);
    Ok(Some(out))
}

/// A readable tag name for messages.
pub(crate) fn tag_name(tag: dicom_core::Tag) -> String {
    use dicom_core::dictionary::DataDictionary;
    let name = dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map(|e| e.alias.to_string());
    match name {
        Some(n) => format!("{n} {tag}"),
        None => format!("{tag}"),
    }
}

/// Collapses an error chain into one line.
pub(crate) fn one_line(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes() {
        assert_eq!(plane_of([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), "axial");
        assert_eq!(plane_of([1.0, 0.0, 0.0, 0.0, 0.0, -1.0]), "coronal");
        assert_eq!(plane_of([0.0, 1.0, 0.0, 0.0, 0.0, -1.0]), "sagittal");
        let c = 0.8f64;
        let s = (1.0 - c * c).sqrt();
        assert_eq!(plane_of([1.0, 0.0, 0.0, 0.0, c, s]), "oblique");
    }
}
