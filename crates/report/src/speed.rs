//! Report generation speed on a 39-finding exam (one finding of every
//! catalogue code, [`crate::sample::all_codes`], with a prior for the
//! comparison), excluding key-image rendering. Shared by `airad bench
//! report` (which publishes the figures in docs/benchmarks.md), the
//! `report_speed` cargo bench and the tests.
//!
//! The fixture is synthetic but complete: a CT grid with one lesion blob
//! per finding (label = `mask_label`) and an in-memory DICOM source, so SR
//! and SEG are written as for a real DICOM series.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use aisu::FindingsDocument;
use imaging_io::{ScanMeta, SourceFormat};
use volume::{Geometry, Volume};

use crate::assemble::{ReportInput, assemble};
use crate::outputs::{DicomSource, Format, OutputOptions, PdfRenderer, write_outputs};
use crate::render::words;
use crate::{Lang, ReportError, sample};

/// The exam, its prior, the lesion map and the DICOM source of a run.
#[derive(Debug, Clone)]
pub struct SpeedFixture {
    /// The 39-finding document.
    pub document: FindingsDocument,
    /// A prior exam (the same findings a year earlier).
    pub prior: FindingsDocument,
    /// Lesion labels 1..=39 on the source grid.
    pub lesions: Volume<u16>,
    /// The source series (synthetic UIDs, one per slice).
    pub source: DicomSource,
}

impl SpeedFixture {
    /// Builds the fixture: a 128 x 128 x 40 grid, 2.5 mm pixels and
    /// slices; finding `n` is a sphere of radius 3 voxels.
    pub fn new() -> Self {
        let document = sample::all_codes();
        let mut prior = sample::all_codes();
        prior
            .study
            .extra
            .insert("study_date".into(), serde_json::json!("20240301"));
        let g = Geometry::new([128, 128, 40], [2.5, 2.5, 2.5], [-160.0, -160.0, -200.0]);
        let mut lesions = Volume::filled(g, 0u16);
        let n = document.findings.len();
        for ((z, y, x), v) in lesions.data_mut().indexed_iter_mut() {
            for (k, f) in document.findings.iter().enumerate() {
                // Centres on a 7 x 6 lattice, two slabs in z.
                let c = [
                    10 + 18 * (k % 7),
                    12 + 20 * ((k / 7) % 6),
                    10 + 20 * (k * 2 / n.max(1)),
                ];
                let d2 = (x as i64 - c[0] as i64).pow(2)
                    + (y as i64 - c[1] as i64).pow(2)
                    + (z as i64 - c[2] as i64).pow(2);
                if d2 <= 9 {
                    *v = f.mask_label as u16;
                }
            }
        }
        let meta = ScanMeta {
            format: SourceFormat::Dicom,
            modality: Some("CT".into()),
            patient_id: Some("BENCH-0001".into()),
            patient_name: Some("Bench^Patient".into()),
            patient_sex: Some("M".into()),
            study_date: Some("20250301".into()),
            study_uid: document.study.study_uid.clone(),
            series_uid: document.study.series_uid.clone(),
            frame_of_reference_uid: Some("2.25.1234567892".into()),
            slice_sop_instance_uids: (0..g.dims[2])
                .map(|z| Some(format!("2.25.{}", 2_000_000 + z)))
                .collect(),
            sop_class_uid: Some("1.2.840.10008.5.1.4.1.1.2".into()),
            ..ScanMeta::default()
        };
        SpeedFixture {
            document,
            prior,
            lesions,
            source: DicomSource { meta, geometry: g },
        }
    }
}

impl Default for SpeedFixture {
    fn default() -> Self {
        Self::new()
    }
}

/// The run times of one stage, seconds, sorted ascending.
#[derive(Debug, Clone)]
pub struct Stage {
    /// What was timed.
    pub name: String,
    /// One time per run, sorted.
    pub times_s: Vec<f64>,
}

impl Stage {
    /// The median time, s.
    pub fn median(&self) -> f64 {
        self.times_s
            .get(self.times_s.len() / 2)
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// The slowest run, s.
    pub fn worst(&self) -> f64 {
        self.times_s.last().copied().unwrap_or(f64::NAN)
    }
}

/// The result of [`measure`].
#[derive(Debug, Clone)]
pub struct Speed {
    /// Findings in the exam.
    pub findings: usize,
    /// Runs per stage.
    pub runs: usize,
    /// The stages; the last is the acceptance figure (every output but
    /// key images).
    pub stages: Vec<Stage>,
    /// The files of the last full run and their sizes, bytes.
    pub files: Vec<(String, u64)>,
}

/// The formats of a full run: every output but key images (and the PDF
/// without a renderer).
pub fn full_formats(with_pdf: bool) -> BTreeSet<Format> {
    Format::ALL
        .into_iter()
        .filter(|f| *f != Format::KeyImages && (with_pdf || *f != Format::Pdf))
        .collect()
}

/// Times report generation `runs` times per stage, writing into `dir`
/// (created; its report files are overwritten): assembly with both
/// wordings in memory; text, HTML, FHIR, SR and SEG written; the PDF
/// written (with a renderer); every output but key images written.
pub fn measure(
    fixture: &SpeedFixture,
    runs: usize,
    pdf: Option<&dyn PdfRenderer>,
    dir: &Path,
) -> Result<Speed, ReportError> {
    let runs = runs.max(1);
    let mut input = ReportInput::new(&fixture.document);
    input.prior = Some(&fixture.prior);
    let options = |formats: BTreeSet<Format>| OutputOptions {
        formats,
        ct: None,
        lesions: Some(&fixture.lesions),
        dicom: Some(fixture.source.clone()),
        pdf,
    };
    let mut stages = Vec::new();
    let mut time = |name: &str, f: &mut dyn FnMut() -> Result<(), ReportError>| {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            f()?;
            times.push(start.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        stages.push(Stage {
            name: name.to_string(),
            times_s: times,
        });
        Ok::<(), ReportError>(())
    };
    time("assembly, wording en + zh (in memory)", &mut || {
        let report = assemble(&input);
        std::hint::black_box((words(&report, Lang::En), words(&report, Lang::Zh)));
        Ok(())
    })?;
    let no_pdf: BTreeSet<Format> = full_formats(false);
    time(
        "report.txt, report.zh.txt, report.html, fhir.json, sr.dcm, seg.dcm written",
        &mut || write_outputs(dir, &input, &options(no_pdf.clone())).map(drop),
    )?;
    if pdf.is_some() {
        time("report.pdf written", &mut || {
            write_outputs(dir, &input, &options([Format::Pdf].into())).map(drop)
        })?;
    }
    let all = full_formats(pdf.is_some());
    let mut files = Vec::new();
    time("every output but key images written", &mut || {
        let written = write_outputs(dir, &input, &options(all.clone()))?;
        files = written
            .files
            .iter()
            .map(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (name, std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            })
            .collect();
        Ok(())
    })?;
    Ok(Speed {
        findings: fixture.document.findings.len(),
        runs,
        stages,
        files,
    })
}
