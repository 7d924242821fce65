//! `airad info`: what a scan is (series, grid, geometry, acquisition, HU
//! range, warnings), for people or, with `--json`, for scripts.

use std::path::PathBuf;

use clap::Args;
use imaging_io::Progress;
use serde_json::{Value, json};

use super::{ReadScan, read_input};
use crate::{Failure, InputArgs};

/// Arguments of `airad info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// DICOM folder or file, NIfTI, NRRD or MetaImage file.
    pub input: PathBuf,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub input_args: InputArgs,
}

/// Runs `airad info`.
pub fn run(args: &InfoArgs, progress: &dyn Progress) -> Result<(), Failure> {
    let scan = read_input(&args.input, &args.input_args, progress)?;
    let report = describe(&args.input, &scan);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Input(e.to_string()))?
        );
    } else {
        print_text(&report);
    }
    Ok(())
}

/// The JSON description of a scan (also the source of the text output).
pub fn describe(input: &std::path::Path, scan: &ReadScan) -> Value {
    let image = &scan.image;
    let g = image.volume.geometry();
    let meta = &image.meta;
    let (lo, hi) = image.volume.min_max().unwrap_or((0, 0));
    let chosen = meta.series_uid.clone();
    let series: Vec<Value> = scan
        .inventory
        .iter()
        .flat_map(|inv| inv.series.iter())
        .map(|s| {
            json!({
                "series_uid": s.series_uid,
                "modality": s.modality,
                "description": s.description,
                "series_number": s.series_number,
                "images": s.image_count(),
                "files": s.len(),
                "rows": s.rows,
                "columns": s.columns,
                "plane": s.plane,
                "chosen": chosen.as_deref() == Some(s.series_uid.as_str()),
            })
        })
        .collect();
    json!({
        "input": input.display().to_string(),
        "format": format!("{:?}", meta.format).to_lowercase(),
        "series": series,
        "skipped_files": scan.inventory.as_ref().map(|i| i.skipped_files),
        "study_uid": meta.study_uid,
        "series_uid": meta.series_uid,
        "modality": meta.modality,
        "dims": g.dims,
        "spacing": g.spacing,
        "origin": g.origin,
        "direction": g.direction_flat(),
        "slice_thickness_mm": meta.slice_thickness_mm,
        "kernel": meta.kernel,
        "kvp": meta.kvp,
        "manufacturer": meta.manufacturer,
        "model": meta.model,
        "study_date": meta.study_date,
        "patient_sex": meta.patient_sex,
        "patient_age_years": meta.patient_age_years,
        "contrast_agent": meta.contrast_agent,
        "hu_range": [lo, hi],
        "warnings": image.warnings,
    })
}

fn print_text(report: &Value) {
    let text = |key: &str| match &report[key] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let numbers = |key: &str, precision: usize| -> String {
        report[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| match v.as_f64() {
                        Some(f) if v.is_f64() => format!("{f:.precision$}"),
                        _ => v.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" x ")
            })
            .unwrap_or_default()
    };
    println!("input        {}", text("input"));
    if let Some(series) = report["series"].as_array().filter(|s| !s.is_empty()) {
        println!("series       {} found", series.len());
        for s in series {
            println!(
                "  {} {:<3} {:>4} images  {}x{} {:<8} {}  {}",
                if s["chosen"].as_bool() == Some(true) {
                    "*"
                } else {
                    " "
                },
                s["modality"].as_str().unwrap_or("?"),
                s["images"],
                s["columns"],
                s["rows"],
                s["plane"].as_str().unwrap_or(""),
                s["series_uid"].as_str().unwrap_or(""),
                s["description"].as_str().unwrap_or(""),
            );
        }
    }
    println!("modality     {}", text("modality"));
    println!("dims         {} (x, y, z)", numbers("dims", 0));
    println!("spacing      {} mm", numbers("spacing", 3));
    println!("origin       {} mm (LPS)", numbers("origin", 2));
    let direction: Vec<String> = report["direction"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| format!("{:.3}", v.as_f64().unwrap_or(0.0)))
                .collect()
        })
        .unwrap_or_default();
    println!("direction    {} (LPS, x y z axes)", direction.join(" "));
    println!("thickness    {} mm", text("slice_thickness_mm"));
    println!("kernel       {}", text("kernel"));
    println!("kVp          {}", text("kvp"));
    println!("scanner      {} {}", text("manufacturer"), text("model"));
    println!("study date   {}", text("study_date"));
    println!(
        "patient      sex {}, age {}",
        text("patient_sex"),
        text("patient_age_years")
    );
    println!("contrast     {}", text("contrast_agent"));
    println!(
        "HU range     {}",
        numbers("hu_range", 0).replace(" x ", " .. ")
    );
    match report["warnings"].as_array() {
        Some(w) if !w.is_empty() => {
            for warning in w {
                println!("warning      {}", warning.as_str().unwrap_or(""));
            }
        }
        _ => println!("warnings     none"),
    }
}
