//! `airad demo`: the whole job on a scan whose answer is known. Generates
//! a phantom with a few findings into DIR/phantom, runs the analysis on
//! its DICOM series exactly as `airad analyze` does (the same function),
//! writes the outputs into DIR, and prints the summary with the ground
//! truth beside what airad reported.

use std::path::PathBuf;

use clap::Args;
use imaging_io::Progress;

use super::analyze::{AnalyzeArgs, ContextArg, LangArg};
use super::phantom::{SizeArgs, finding_line, make_phantom, print_phantom, site_text};
use crate::{Failure, InputArgs};

/// Findings the demo phantom shows when the phantom can insert them, in
/// order of preference; the supported table fills in otherwise.
const DEMO_PREFERENCE: &[&str] = &["F01", "F14", "F05", "F19", "F03"];

/// How many findings the demo phantom has.
const DEMO_FINDINGS: usize = 3;

/// Arguments of `airad demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Output folder: the phantom goes to DIR/phantom, the analysis
    /// outputs to DIR.
    #[arg(long, short, default_value = "airad-demo")]
    pub out: PathBuf,
    /// Seed of the phantom.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Language of the printed summary and the primary report.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: LangArg,
    #[command(flatten)]
    pub size: SizeArgs,
}

/// The finding codes of the demo phantom: preferred ones the phantom
/// supports, then the rest of its table, [`DEMO_FINDINGS`] in all.
pub fn demo_codes() -> Vec<String> {
    let supported: Vec<&str> = phantom::lesions::supported_codes().collect();
    let mut codes: Vec<&str> = DEMO_PREFERENCE
        .iter()
        .copied()
        .filter(|c| supported.contains(c))
        .collect();
    for c in &supported {
        if !codes.contains(c) {
            codes.push(c);
        }
    }
    codes.truncate(DEMO_FINDINGS);
    codes.into_iter().map(String::from).collect()
}

/// Runs `airad demo`.
pub fn run(args: &DemoArgs, progress: &dyn Progress, quiet: bool) -> Result<(), Failure> {
    let mut params = phantom::PhantomParams::from_seed(args.seed);
    params.normal = false;
    params.lesions = super::phantom::specs_for(&demo_codes())?;
    args.size.apply(&mut params);
    params
        .validate()
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let phantom_dir = args.out.join("phantom");
    let (ph, generate_s, write_s) = make_phantom(&params, &phantom_dir, progress)?;
    print_phantom(&ph, &phantom_dir);
    println!("generated in {generate_s:.1} s, written in {write_s:.1} s");

    let analyze_args = AnalyzeArgs {
        input: phantom_dir.join("dicom"),
        out: args.out.clone(),
        pathway: None,
        context: ContextArg::Unknown,
        lang: args.lang,
        threads: None,
        input_args: InputArgs::default(),
    };
    let t = std::time::Instant::now();
    let analysis = super::analyze::analyze_and_write(&analyze_args, progress, quiet)?;
    let analyze_s = t.elapsed().as_secs_f64();
    super::analyze::print_summary(&analysis, &args.out);
    println!();
    println!(
        "{}",
        side_by_side(
            &ph.truth.findings,
            &analysis.result.document.findings,
            args.lang
        )
    );
    println!(
        "analysed in {analyze_s:.1} s; ground truth in {}, airad's results in {}",
        phantom_dir.join("ground_truth.json").display(),
        args.out.join("findings.json").display()
    );
    Ok(())
}

/// Ground-truth findings beside reported ones, matched as `airad eval`
/// matches them (same code, nearest centroid within max(10 mm, lesion
/// radius)): one row per pair, then misses, then reported findings with
/// no counterpart in the truth.
pub fn side_by_side(truth: &[aisu::Finding], reported: &[aisu::Finding], lang: LangArg) -> String {
    let (title, left, right, missed, extra) = match lang {
        LangArg::En => (
            "Ground truth vs airad",
            "ground truth",
            "airad",
            "not reported",
            "not in ground truth",
        ),
        LangArg::Zh => (
            "真值与 airad 结果对照",
            "真值",
            "airad",
            "未报告",
            "真值中没有",
        ),
    };
    let pairs = eval::finding_score::match_findings(reported, truth);
    let mut rows: Vec<(String, String)> = Vec::new();
    for (i, j) in &pairs {
        let (p, t) = (&reported[*i], &truth[*j]);
        let d = (0..3)
            .map(|k| (p.centroid_lps_mm[k] - t.centroid_lps_mm[k]).powi(2))
            .sum::<f64>()
            .sqrt();
        rows.push((finding_line(t), format!("{} ({d:.1} mm)", short_line(p))));
    }
    for (j, t) in truth.iter().enumerate() {
        if !pairs.iter().any(|(_, tj)| *tj == j) {
            rows.push((finding_line(t), format!("- {missed}")));
        }
    }
    for (i, p) in reported.iter().enumerate() {
        if !pairs.iter().any(|(pi, _)| *pi == i) {
            rows.push((format!("- {extra}"), short_line(p)));
        }
    }
    let width = rows
        .iter()
        .map(|(l, _)| display_width(l))
        .chain([display_width(left)])
        .max()
        .unwrap_or(0);
    let pad = |s: &str| {
        let n = width.saturating_sub(display_width(s));
        format!("{s}{}", " ".repeat(n))
    };
    let mut s = format!(
        "{title} ({} / {}):\n  {} | {right}\n",
        truth.len(),
        reported.len(),
        pad(left)
    );
    if rows.is_empty() {
        s.push_str(&format!("  {} | -\n", pad("-")));
    }
    for (l, r) in &rows {
        s.push_str(&format!("  {} | {r}\n", pad(l)));
    }
    s.trim_end().to_string()
}

/// Terminal columns of `s`: East Asian wide characters take two.
fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            let u = u32::from(c);
            let wide = (0x1100..=0x115F).contains(&u)
                || (0x2E80..=0xA4CF).contains(&u)
                || (0xAC00..=0xD7A3).contains(&u)
                || (0xF900..=0xFAFF).contains(&u)
                || (0xFE30..=0xFE4F).contains(&u)
                || (0xFF00..=0xFF60).contains(&u)
                || (0xFFE0..=0xFFE6).contains(&u);
            if wide { 2 } else { 1 }
        })
        .sum()
}

/// A reported finding in one short line: code, location, centroid.
fn short_line(f: &aisu::Finding) -> String {
    let site = site_text(&f.site);
    let [x, y, z] = f.centroid_lps_mm;
    format!(
        "{} {}{}{} at ({x:.0}, {y:.0}, {z:.0}) mm",
        f.id,
        f.code,
        if site.is_empty() { "" } else { " " },
        site
    )
}
