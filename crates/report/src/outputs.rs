//! Writes the report outputs into a folder (file names of
//! shared/design/FINDINGS-JSON.md): `report.txt`, `report.zh.txt`,
//! `report.html`, `report.pdf` (through a [`PdfRenderer`], implemented by
//! the `report-pdf` crate), `key_images/`, `fhir.json`, and for a DICOM
//! source `seg.dcm` and `sr.dcm`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use volume::Volume;

pub use crate::dicom::DicomSource;
use crate::dicom::{ObjectUids, seg, sr};
use crate::render::html::{KeyImage, to_html};
use crate::render::text::to_text;
use crate::render::{Rendered, words};
use crate::wording::{Heading, Lang};
use crate::{ReportError, ReportInput, assemble};

/// An output of `airad report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// report.txt (English).
    Txt,
    /// report.zh.txt (Simplified Chinese).
    Zh,
    /// report.html (with key images when the CT is at hand).
    Html,
    /// report.pdf (needs a [`PdfRenderer`]).
    Pdf,
    /// sr.dcm (needs a DICOM source).
    Sr,
    /// seg.dcm (needs a DICOM source and the lesion map).
    Seg,
    /// fhir.json.
    Fhir,
    /// key_images/ (needs the CT and the lesion map).
    KeyImages,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 8] = [
        Format::Txt,
        Format::Zh,
        Format::Html,
        Format::Pdf,
        Format::Sr,
        Format::Seg,
        Format::Fhir,
        Format::KeyImages,
    ];
}

/// Makes `report.pdf` from the rendered reports (English first) and the
/// key images. Implemented by `report_pdf::TypstPdf`.
pub trait PdfRenderer {
    /// The PDF bytes.
    fn render_pdf(&self, reports: &[Rendered], images: &[KeyImage]) -> Result<Vec<u8>, String>;
}

/// Inputs beyond the findings.
pub struct OutputOptions<'a> {
    /// Which outputs to write.
    pub formats: BTreeSet<Format>,
    /// The CT (for key images).
    pub ct: Option<&'a Volume<i16>>,
    /// lesions.nii.gz (key images, SEG).
    pub lesions: Option<&'a Volume<u16>>,
    /// The DICOM source series (SR, SEG).
    pub dicom: Option<DicomSource>,
    /// The PDF renderer.
    pub pdf: Option<&'a dyn PdfRenderer>,
}

impl Default for OutputOptions<'_> {
    fn default() -> Self {
        OutputOptions {
            formats: Format::ALL.into_iter().collect(),
            ct: None,
            lesions: None,
            dicom: None,
            pdf: None,
        }
    }
}

/// What was written, and why something was not.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// Files written.
    pub files: Vec<PathBuf>,
    /// One sentence per output that could not be written (e.g. SR/SEG
    /// without a DICOM source).
    pub notices: Vec<String>,
}

fn write(path: PathBuf, bytes: &[u8], written: &mut Written) -> Result<(), ReportError> {
    std::fs::write(&path, bytes).map_err(|e| imaging_io::IoError::io(&path, e))?;
    written.files.push(path);
    Ok(())
}

/// Assembles the report and writes the requested outputs into `dir`
/// (created when missing).
pub fn write_outputs(
    dir: &Path,
    input: &ReportInput<'_>,
    options: &OutputOptions<'_>,
) -> Result<Written, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| imaging_io::IoError::io(dir, e))?;
    let wants = |f: Format| options.formats.contains(&f);
    let report = assemble(input);
    let en = words(&report, Lang::En);
    let zh = words(&report, Lang::Zh);
    let en_text = to_text(&en);
    let mut written = Written::default();
    if wants(Format::Txt) {
        write(dir.join("report.txt"), en_text.as_bytes(), &mut written)?;
    }
    if wants(Format::Zh) {
        write(
            dir.join("report.zh.txt"),
            to_text(&zh).as_bytes(),
            &mut written,
        )?;
    }
    let mut images = Vec::new();
    let need_images = wants(Format::KeyImages) || wants(Format::Html) || wants(Format::Pdf);
    match (options.ct, options.lesions) {
        (Some(ct), Some(lesions)) if need_images && !report.findings.is_empty() => {
            let paths = crate::key_images::write_key_images(
                &dir.join("key_images"),
                ct,
                lesions,
                &report.findings,
            )?;
            for (id, path) in paths {
                let png = std::fs::read(&path).map_err(|e| imaging_io::IoError::io(&path, e))?;
                let caption = report
                    .finding(&id)
                    .map(|f| Lang::En.wording().key_image_caption(f))
                    .unwrap_or_default();
                images.push(KeyImage {
                    finding_id: id,
                    caption,
                    png,
                });
                written.files.push(path);
            }
        }
        _ if need_images && !report.findings.is_empty() => written
            .notices
            .push("key images need the CT and lesions.nii.gz: not written".into()),
        _ => {}
    }
    if wants(Format::Html) {
        let heading = Lang::En.wording().heading(Heading::KeyImages);
        write(
            dir.join("report.html"),
            to_html(&en, &images, heading).as_bytes(),
            &mut written,
        )?;
    }
    if wants(Format::Pdf) {
        match options.pdf {
            Some(pdf) => {
                let bytes = pdf
                    .render_pdf(&[en.clone(), zh.clone()], &images)
                    .map_err(|e| ReportError::Unsupported(format!("report.pdf: {e}")))?;
                write(dir.join("report.pdf"), &bytes, &mut written)?;
            }
            None => written
                .notices
                .push("report.pdf needs the PDF renderer (report-pdf): not written".into()),
        }
    }
    if wants(Format::Fhir) {
        let bundle = crate::fhir::bundle(&report, &en, &en_text);
        let text = serde_json::to_string_pretty(&bundle).unwrap_or_default() + "\n";
        write(dir.join("fhir.json"), text.as_bytes(), &mut written)?;
    }
    if wants(Format::Sr) || wants(Format::Seg) {
        let dicom_source = options
            .dicom
            .as_ref()
            .filter(|d| d.meta.format == imaging_io::SourceFormat::Dicom);
        match dicom_source {
            None => written.notices.push(
                "sr.dcm and seg.dcm need a DICOM source series: the input was not DICOM, so they were not written".into(),
            ),
            Some(source) => {
                let ids: Vec<String> = report.findings.iter().map(|f| f.id.clone()).collect();
                let uids = ObjectUids::new(&ids);
                let mut segments = Vec::new();
                if wants(Format::Seg) {
                    match options.lesions {
                        Some(lesions) if !seg::segments(&report.findings, lesions).is_empty() => {
                            let path = dir.join("seg.dcm");
                            segments =
                                seg::write_seg(&path, &report.findings, lesions, source, &uids)?;
                            written.files.push(path);
                        }
                        Some(_) => written
                            .notices
                            .push("no finding has mask voxels: seg.dcm not written".into()),
                        None => written
                            .notices
                            .push("seg.dcm needs lesions.nii.gz: not written".into()),
                    }
                }
                if wants(Format::Sr) {
                    let path = dir.join("sr.dcm");
                    sr::write_sr(&path, &report, source, &uids, &segments)?;
                    written.files.push(path);
                }
            }
        }
    }
    Ok(written)
}
