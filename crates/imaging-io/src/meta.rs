//! Scan metadata carried beside the voxels: what the report and the
//! analysis units need to know about the patient, the study and the
//! acquisition. Fields are optional because NIfTI/NRRD/MHA carry none.

/// Where a loaded image came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceFormat {
    /// A DICOM series (folder or single file).
    #[default]
    Dicom,
    /// NIfTI-1 (.nii or .nii.gz).
    Nifti,
    /// NRRD (.nrrd or .nhdr).
    Nrrd,
    /// MetaImage (.mha or .mhd).
    MetaImage,
}

/// Patient, study and acquisition metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanMeta {
    /// The input format.
    pub format: SourceFormat,
    /// Modality (0008,0060), e.g. "CT".
    pub modality: Option<String>,
    /// Patient age in years, from (0010,1010) or birth and study dates.
    pub patient_age_years: Option<f64>,
    /// Patient sex (0010,0040): "M", "F" or "O".
    pub patient_sex: Option<String>,
    /// Study date (0008,0020) as YYYYMMDD.
    pub study_date: Option<String>,
    /// Study Instance UID (0020,000D).
    pub study_uid: Option<String>,
    /// Series Instance UID (0020,000E).
    pub series_uid: Option<String>,
    /// Frame of Reference UID (0020,0052).
    pub frame_of_reference_uid: Option<String>,
    /// Series Description (0008,103E).
    pub series_description: Option<String>,
    /// Series Number (0020,0011).
    pub series_number: Option<i32>,
    /// Patient ID (0010,0020).
    pub patient_id: Option<String>,
    /// Patient Name (0010,0010).
    pub patient_name: Option<String>,
    /// Accession Number (0008,0050).
    pub accession_number: Option<String>,
    /// Manufacturer (0008,0070).
    pub manufacturer: Option<String>,
    /// Manufacturer's Model Name (0008,1090).
    pub model: Option<String>,
    /// Peak kilovoltage (0018,0060).
    pub kvp: Option<f64>,
    /// Convolution Kernel (0018,1210), multiple values joined by '\\'.
    pub kernel: Option<String>,
    /// Slice Thickness (0018,0050) in mm.
    pub slice_thickness_mm: Option<f64>,
    /// Contrast/Bolus Agent (0018,0010); `Some` means a contrast tag was present.
    pub contrast_agent: Option<String>,
    /// Contrast/Bolus Route (0018,1040).
    pub contrast_route: Option<String>,
    /// Body Part Examined (0018,0015).
    pub body_part: Option<String>,
    /// Gantry/Detector Tilt (0018,1120) in degrees.
    pub gantry_tilt_deg: Option<f64>,
    /// CTDIvol (0018,9345) in mGy.
    pub ctdi_vol_mgy: Option<f64>,
    /// Study Description (0008,1030).
    pub study_description: Option<String>,
    /// Referring physician / indication: Reason for Requested Procedure or
    /// Requested Procedure Description when present.
    pub indication: Option<String>,
    /// SOP Instance UID of the source slice at each z index (DICOM only),
    /// so derived objects (SR, SEG) can reference them; `None` for a slice
    /// that was interpolated into a gap of the series.
    pub slice_sop_instance_uids: Vec<Option<String>>,
    /// SOP Class UID of the source slices.
    pub sop_class_uid: Option<String>,
}
