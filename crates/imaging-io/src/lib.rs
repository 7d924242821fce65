//! The `imaging-io` crate: everything that turns files into a [`Volume`] in
//! Hounsfield units with its patient geometry, and back.
//!
//! - DICOM: discovery of files in a folder tree, grouping by series,
//!   choice of the CT series, assembly into a volume sorted by position
//!   ([`dicom_read`]); writing a volume as a CT Image Storage series
//!   ([`dicom_write`]).
//! - NIfTI-1 (`.nii`, `.nii.gz`), NRRD (`.nrrd`, `.nhdr`) and MetaImage
//!   (`.mha`, `.mhd`) read and write with exact geometry.
//! - [`read_image`]: one entry point for any supported input.
//!
//! Errors name the file and the problem in one line ([`IoError`]); no input
//! data may cause a panic.

use std::path::{Path, PathBuf};

pub use volume::{Geometry, Volume};

mod dicom_assemble;
mod dicom_meta;
pub mod dicom_read;
pub mod dicom_write;
mod meta;
pub mod metaimage;
pub mod nifti_io;
pub mod nrrd;
pub mod picture;
mod raw;
pub mod testing;
pub mod uid;

pub use meta::{ScanMeta, SourceFormat};

/// Largest accepted image side (rows, columns) and slice count. Larger
/// values are refused before any allocation: no CT has them, and a corrupt
/// header must not make us allocate terabytes.
pub const MAX_IMAGE_SIDE: usize = 8192;
/// Largest accepted number of slices in one volume.
pub const MAX_SLICES: usize = 16384;
/// Largest accepted voxel count (about 4 GiB of int16).
pub const MAX_VOXELS: usize = 2 << 30;

/// An error reading or writing imaging data. Its `Display` is one line that
/// names the file (or folder) and the problem.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The input is not something airad can use (malformed, truncated,
    /// wrong modality, inconsistent geometry...). The CLI exits 1.
    #[error("{}: {problem}", path.display())]
    BadInput {
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong, in one sentence.
        problem: String,
    },
    /// An operating-system error while reading or writing.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder at fault.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl IoError {
    /// A bad-input error for `path`.
    pub fn bad(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        IoError::BadInput {
            path: path.as_ref().to_path_buf(),
            problem: problem.into(),
        }
    }

    /// An OS error for `path`.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        IoError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The file or folder this error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::BadInput { path, .. } | IoError::Io { path, .. } => path,
        }
    }
}

/// A CT volume in Hounsfield units with what is known about the scan.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// Voxels in HU (int16) on their patient geometry.
    pub volume: Volume<i16>,
    /// Scan metadata (empty fields when the format carries none).
    pub meta: ScanMeta,
    /// Non-fatal problems found while reading (missing slice, non-uniform
    /// spacing, ...), one sentence each.
    pub warnings: Vec<String>,
}

/// Progress of a slow operation, reported to whoever displays it (the CLI
/// shows a bar). Implementations must be cheap and thread-safe.
pub trait Progress: Sync {
    /// A new stage with `total` steps begins.
    fn start(&self, stage: &str, total: u64);
    /// `n` more steps are done.
    fn advance(&self, n: u64);
    /// The stage is over.
    fn finish(&self);
}

/// A [`Progress`] that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _stage: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

/// The kind of input a path names, decided by its extension (or being a
/// folder): DICOM folder or file, NIfTI, NRRD or MetaImage.
pub fn input_format(path: &Path) -> SourceFormat {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if path.is_dir() {
        SourceFormat::Dicom
    } else if name.ends_with(".nii") || name.ends_with(".nii.gz") {
        SourceFormat::Nifti
    } else if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
        SourceFormat::Nrrd
    } else if name.ends_with(".mha") || name.ends_with(".mhd") {
        SourceFormat::MetaImage
    } else {
        SourceFormat::Dicom
    }
}

/// Reads any supported input into a HU volume: a DICOM folder (searched
/// recursively) or file, a NIfTI, NRRD or MetaImage file.
pub fn read_image(
    path: &Path,
    options: &dicom_read::DicomReadOptions,
    progress: &dyn Progress,
) -> Result<LoadedImage, IoError> {
    if !path.exists() {
        return Err(IoError::bad(path, "no such file or folder"));
    }
    match input_format(path) {
        SourceFormat::Dicom => dicom_read::read_dicom(path, options, progress),
        SourceFormat::Nifti => nifti_io::read_nifti(path),
        SourceFormat::Nrrd => nrrd::read_nrrd(path),
        SourceFormat::MetaImage => metaimage::read_metaimage(path),
    }
}

/// Checks image dimensions against the sanity limits before allocating.
pub fn check_dims(path: &Path, dims: [usize; 3]) -> Result<(), IoError> {
    let [nx, ny, nz] = dims;
    if nx == 0 || ny == 0 || nz == 0 {
        return Err(IoError::bad(
            path,
            format!("image size {nx}x{ny}x{nz} is empty"),
        ));
    }
    if nx > MAX_IMAGE_SIDE || ny > MAX_IMAGE_SIDE {
        return Err(IoError::bad(
            path,
            format!("image size {nx}x{ny} exceeds the {MAX_IMAGE_SIDE} limit per side"),
        ));
    }
    if nz > MAX_SLICES {
        return Err(IoError::bad(
            path,
            format!("{nz} slices exceed the {MAX_SLICES} limit"),
        ));
    }
    if nx.saturating_mul(ny).saturating_mul(nz) > MAX_VOXELS {
        return Err(IoError::bad(
            path,
            format!("{nx}x{ny}x{nz} voxels exceed the {MAX_VOXELS} limit"),
        ));
    }
    Ok(())
}
