//! `airad report FINDINGS.json`: writes the report outputs of a findings
//! document (text en/zh, HTML, PDF, FHIR, and with a DICOM scan SR + SEG).

use std::collections::BTreeSet;
use std::path::PathBuf;

use aisu::FindingsDocument;
use clap::{Args, ValueEnum};
use imaging_io::Progress;
use report::{Format, OutputOptions, ReportInput, ReportStudy};

use super::read_input;
use crate::{Failure, InputArgs};

/// An output of `airad report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// report.txt (English).
    Txt,
    /// report.zh.txt (Simplified Chinese).
    Zh,
    /// report.html (with key images when --scan is given).
    Html,
    /// report.pdf (English and Chinese).
    Pdf,
    /// sr.dcm, DICOM Comprehensive 3D SR (TID 1500); needs a DICOM --scan.
    Sr,
    /// seg.dcm, DICOM Segmentation; needs a DICOM --scan and lesions.nii.gz.
    Seg,
    /// fhir.json, FHIR R4 Bundle.
    Fhir,
    /// Every output the inputs support.
    All,
}

/// Arguments of `airad report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// findings.json (or a phantom's ground_truth.json).
    pub findings: PathBuf,
    /// Outputs to write (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub format: Vec<FormatArg>,
    /// Output folder (created when missing).
    #[arg(long, short)]
    pub out: PathBuf,
    /// The scan the findings came from (key images; SR and SEG when DICOM).
    #[arg(long, value_name = "INPUT")]
    pub scan: Option<PathBuf>,
    /// The lesion label map (default: lesions.nii.gz beside FINDINGS.json).
    #[arg(long, value_name = "FILE")]
    pub lesions: Option<PathBuf>,
    /// A prior exam's findings.json: nodules are matched and growth reported.
    #[arg(long, value_name = "FILE")]
    pub prior: Option<PathBuf>,
    /// The request's clinical question (Indication section).
    #[arg(long, value_name = "TEXT")]
    pub request: Option<String>,
    /// Print what was written as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub input_args: InputArgs,
}

fn read_document(path: &std::path::Path) -> Result<FindingsDocument, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
    FindingsDocument::from_json(&text)
        .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))
}

/// Runs `airad report`.
pub fn run(args: &ReportArgs, progress: &dyn Progress) -> Result<(), Failure> {
    let doc = read_document(&args.findings)?;
    let prior = args.prior.as_deref().map(read_document).transpose()?;
    let mut formats = BTreeSet::new();
    for f in &args.format {
        let add: &[Format] = match f {
            FormatArg::Txt => &[Format::Txt],
            FormatArg::Zh => &[Format::Zh],
            FormatArg::Html => &[Format::Html, Format::KeyImages],
            FormatArg::Pdf => &[Format::Pdf, Format::KeyImages],
            FormatArg::Sr => &[Format::Sr],
            FormatArg::Seg => &[Format::Seg],
            FormatArg::Fhir => &[Format::Fhir],
            FormatArg::All => &Format::ALL,
        };
        formats.extend(add.iter().copied());
    }
    let explicit_dicom = args
        .format
        .iter()
        .any(|f| matches!(f, FormatArg::Sr | FormatArg::Seg));
    let scan = match &args.scan {
        Some(path) => Some(read_input(path, &args.input_args, progress)?.image),
        None => None,
    };
    let is_dicom = scan
        .as_ref()
        .is_some_and(|s| s.meta.format == imaging_io::SourceFormat::Dicom);
    if explicit_dicom && !is_dicom {
        return Err(Failure::Usage(
            "--format sr/seg needs --scan naming the DICOM series the findings came from".into(),
        ));
    }
    let lesions_path = args.lesions.clone().or_else(|| {
        let beside = args.findings.parent()?.join("lesions.nii.gz");
        beside.is_file().then_some(beside)
    });
    let lesions = lesions_path
        .as_deref()
        .map(imaging_io::nifti_io::read_nifti_labels)
        .transpose()?;
    let mut input = ReportInput::new(&doc);
    input.prior = prior.as_ref();
    input.request = args
        .request
        .clone()
        .or_else(|| scan.as_ref().and_then(|s| s.meta.indication.clone()));
    if let Some(s) = &scan {
        input.study = ReportStudy::from_document(&doc).with_meta(&s.meta);
    }
    let pdf = report_pdf::TypstPdf;
    let options = OutputOptions {
        formats,
        ct: scan.as_ref().map(|s| &s.volume),
        lesions: lesions.as_ref(),
        dicom: scan
            .as_ref()
            .filter(|_| is_dicom)
            .map(|s| report::DicomSource {
                meta: s.meta.clone(),
                geometry: *s.volume.geometry(),
            }),
        pdf: Some(&pdf),
    };
    let written = report::write_outputs(&args.out, &input, &options)
        .map_err(|e| Failure::Input(e.to_string()))?;
    for notice in &written.notices {
        eprintln!("airad: note: {notice}");
    }
    if args.json {
        let summary = serde_json::json!({
            "written": written.files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "notices": written.notices,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
    } else {
        eprintln!(
            "{} file(s) written to {}",
            written.files.len(),
            args.out.display()
        );
        eprintln!("PRELIMINARY, NOT SIGNED: decision support only.");
    }
    Ok(())
}
