//! Annotated real cases (the Lung-PET-CT-Dx layout of ../shared/data:
//! `CASE/ct/` DICOM and `CASE/boxes/<SOPInstanceUID>.xml` PASCAL-VOC
//! boxes around the tumour): is the tumour reported as a mass or nodule
//! at the annotated place, with a size consistent with the boxes, and
//! what else is reported (listed for the developers' reading).

use std::path::Path;

use imaging_io::{IoError, Progress};
use pathway::{PathwaySpec, Registry, Silent};

use crate::EvalError;

/// Lesion codes that count as "a mass or nodule".
const TUMOUR_CODES: [&str; 3] = ["F01", "F02", "F03"];

/// The annotated tumour of a case, in LPS mm.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AnnotatedTumour {
    /// Union of the boxes, `[[min], [max]]` LPS mm.
    pub bbox_lps_mm: [[f64; 3]; 2],
    /// Largest in-plane box extent, mm.
    pub max_extent_mm: f64,
    /// Slices annotated.
    pub slices: usize,
}

/// The result on one real case.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RealCaseResult {
    /// Case name.
    pub name: String,
    /// The annotation.
    pub tumour: Option<AnnotatedTumour>,
    /// Id of the finding reported at the tumour, if any.
    pub tumour_finding: Option<String>,
    /// Its size (largest diameter measurement), mm.
    pub tumour_finding_size_mm: Option<f64>,
    /// Every finding reported.
    pub findings: Vec<RealFinding>,
    /// Codes not assessed, with reasons.
    pub not_assessed: Vec<(String, String)>,
    /// Units that did not finish, with reasons.
    pub unit_problems: Vec<(String, String)>,
    /// Wall seconds of the pathway.
    pub wall_s: f64,
    /// Anatomy structures found: canonical name and volume (mL).
    pub structures: Vec<(String, f64)>,
    /// Overlay figures written (file names inside the figures folder).
    pub figures: Vec<String>,
}

/// The summary of a finding, with its key image written into `figures`
/// (as `<case>_<id>_<code>.png`) when given.
fn real_finding(
    f: &aisu::Finding,
    case: &str,
    ct: &volume::Volume<i16>,
    lesions: &volume::Volume<u16>,
    figures: Option<&Path>,
) -> Result<RealFinding, EvalError> {
    let title = aisu::catalogue::entry(&f.code)
        .map(|e| e.title)
        .unwrap_or("");
    let mut summary = f
        .measurements
        .iter()
        .map(|m| {
            if m.unit == "1" {
                format!("{} {:.2}", m.name, m.value)
            } else {
                format!("{} {:.1} {}", m.name, m.value, m.unit)
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    if let Some(c) = &f.category {
        summary.push_str(&format!("; {}: {}", c.system, c.value));
    }
    let key_image = match figures {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir, e))?;
            let file = format!("{case}_{}_{}.png", f.id, f.code);
            report::key_images::render_key_image(ct, lesions, f).write_png(&dir.join(&file))?;
            Some(file)
        }
        None => None,
    };
    Ok(RealFinding {
        id: f.id.clone(),
        code: f.code.clone(),
        title: title.to_string(),
        key_slice: f.key_slice,
        summary,
        key_image,
    })
}

/// Reads the boxes of a case into one LPS box.
fn read_tumour(
    case: &Path,
    image: &imaging_io::LoadedImage,
) -> Result<Option<AnnotatedTumour>, EvalError> {
    let dir = case.join("boxes");
    if !dir.is_dir() {
        return Ok(None);
    }
    let g = image.volume.geometry();
    let uids = &image.meta.slice_sop_instance_uids;
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    let mut slices = 0;
    let mut max_extent: f64 = 0.0;
    for entry in std::fs::read_dir(&dir).map_err(|e| IoError::io(&dir, e))? {
        let path = entry.map_err(|e| IoError::io(&dir, e))?.path();
        let text = std::fs::read_to_string(&path).map_err(|e| IoError::io(&path, e))?;
        let grab = |tag: &str| -> Option<f64> {
            let a = text.find(&format!("<{tag}>"))? + tag.len() + 2;
            let b = text[a..].find('<')? + a;
            text[a..b].trim().parse().ok()
        };
        let (Some(x0), Some(y0), Some(x1), Some(y1)) =
            (grab("xmin"), grab("ymin"), grab("xmax"), grab("ymax"))
        else {
            return Err(EvalError::Suite(format!(
                "{}: not a PASCAL-VOC box",
                path.display()
            )));
        };
        let uid = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let Some(z) = uids.iter().position(|u| u.as_deref() == Some(uid.as_str())) else {
            return Err(EvalError::Suite(format!(
                "{}: no slice of the series has this SOP Instance UID",
                path.display()
            )));
        };
        slices += 1;
        for corner in [[x0, y0], [x1, y0], [x0, y1], [x1, y1]] {
            let p = g.index_to_lps([corner[0], corner[1], z as f64]);
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        let s = g.spacing;
        max_extent = max_extent.max(((x1 - x0) * s[0]).max((y1 - y0) * s[1]));
    }
    Ok((slices > 0).then_some(AnnotatedTumour {
        bbox_lps_mm: [lo, hi],
        max_extent_mm: max_extent,
        slices,
    }))
}

/// Volume (mL) of every labelled structure of an anatomy map, by name.
fn structure_volumes(
    anatomy: &volume::Volume<u16>,
    legend: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, f64)> {
    let mut counts = std::collections::BTreeMap::<u16, usize>::new();
    for &v in anatomy.as_slice() {
        if v != 0 {
            *counts.entry(v).or_default() += 1;
        }
    }
    let voxel_ml = anatomy.geometry().voxel_volume_mm3() / 1000.0;
    let mut out: Vec<(String, f64)> = counts
        .into_iter()
        .map(|(v, n)| {
            let name = legend
                .get(&v.to_string())
                .cloned()
                .unwrap_or_else(|| format!("label {v}"));
            (name, n as f64 * voxel_ml)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// One finding reported on a real case, for the developers' reading.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RealFinding {
    /// Finding id.
    pub id: String,
    /// Catalogue code.
    pub code: String,
    /// Catalogue title.
    pub title: String,
    /// Key slice.
    pub key_slice: usize,
    /// Measurements and grade in one line.
    pub summary: String,
    /// Key image file name inside the figures folder (when one was asked).
    pub key_image: Option<String>,
}

/// Runs the pathway on every case of a real-data folder; with `figures`,
/// writes anatomy overlay pictures and one key image per finding (the
/// report's: axial key slice, lesion outlined) of each case there.
pub fn evaluate_real(
    dir: &Path,
    spec: &PathwaySpec,
    registry: &Registry,
    threads: Option<usize>,
    figures: Option<&Path>,
    progress: &dyn Progress,
) -> Result<Vec<RealCaseResult>, EvalError> {
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| IoError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("ct").is_dir())
        .collect();
    cases.sort();
    progress.start("evaluating real cases", cases.len() as u64);
    let mut out = Vec::new();
    for case in cases {
        let image = imaging_io::read_image(
            &case.join("ct"),
            &Default::default(),
            &imaging_io::NoProgress,
        )?;
        let tumour = read_tumour(&case, &image)?;
        let exam = analysis::exam_info(&image, aisu::ExamContext::Unknown);
        let analysis = analysis::analyze(&image, spec, registry, exam, threads, &Silent)?;
        let doc = &analysis.result.document;
        let tolerance = 5.0;
        let at_tumour = tumour.as_ref().and_then(|t| {
            doc.findings.iter().find(|f| {
                TUMOUR_CODES.contains(&f.code.as_str())
                    && (0..3).all(|k| {
                        f.bbox_lps_mm[0][k] <= t.bbox_lps_mm[1][k] + tolerance
                            && f.bbox_lps_mm[1][k] >= t.bbox_lps_mm[0][k] - tolerance
                    })
            })
        });
        let size = at_tumour.and_then(|f| {
            ["max_diameter", "long_axis", "mean_diameter"]
                .iter()
                .find_map(|n| f.measurement(n))
        });
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let result = &analysis.result;
        let figure_files = match figures {
            Some(dir) => crate::figures::anatomy_figures(
                &image.volume,
                &result.anatomy,
                &result.anatomy_legend,
                tumour.as_ref().map(|t| t.bbox_lps_mm),
                dir,
                &name,
            )?
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect(),
            None => Vec::new(),
        };
        let structures = structure_volumes(&result.anatomy, &result.anatomy_legend);
        let findings = doc
            .findings
            .iter()
            .map(|f| real_finding(f, &name, &image.volume, &result.lesions, figures))
            .collect::<Result<Vec<_>, _>>()?;
        out.push(RealCaseResult {
            name,
            structures,
            figures: figure_files,
            tumour,
            tumour_finding: at_tumour.map(|f| f.id.clone()),
            tumour_finding_size_mm: size,
            findings,
            not_assessed: doc
                .not_assessed
                .iter()
                .map(|n| (n.code.clone(), n.reason.clone()))
                .collect(),
            unit_problems: analysis
                .outcome
                .reports
                .iter()
                .filter(|r| r.status != pathway::UnitStatus::Ok)
                .map(|r| (r.id.clone(), r.reason.clone().unwrap_or_default()))
                .collect(),
            wall_s: analysis.outcome.wall_s,
        });
        progress.advance(1);
    }
    progress.finish();
    Ok(out)
}
