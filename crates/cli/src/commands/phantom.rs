//! `airad phantom`: one synthetic chest CT with exact ground truth
//! (`airad phantom --seed N --out DIR`), or a suite of them (`airad
//! phantom suite --count N --seed S --out DIR`), in the phantom folder
//! layout of shared/design/FINDINGS-JSON.md. Parsing the options into
//! [`phantom::PhantomParams`] and printing the summary live here; the
//! `phantom` crate does the rest.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};
use imaging_io::Progress;
use phantom::{Kernel, PhantomParams, ShapeFamily};

use crate::Failure;

/// Arguments of `airad phantom`: one phantom, or the `suite` subcommand.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PhantomArgs {
    /// A suite of phantoms instead of one.
    #[command(subcommand)]
    pub suite: Option<PhantomSub>,
    /// The options of one phantom.
    #[command(flatten)]
    pub one: OneArgs,
}

/// Options of one phantom.
#[derive(Args, Debug)]
pub struct OneArgs {
    /// Seed of every random draw: the same seed and options give the same
    /// voxels.
    #[arg(long, required = true)]
    pub seed: Option<u64>,
    /// Finding codes to insert, comma-separated (repeat a code for several
    /// lesions of that kind); default: drawn from the seed.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "CODES",
        conflicts_with = "normal"
    )]
    pub findings: Vec<String>,
    /// A normal phantom: no finding.
    #[arg(long)]
    pub normal: bool,
    /// Noise standard deviation in HU (8-40 typical; default: drawn).
    #[arg(long, value_name = "HU")]
    pub noise_hu: Option<f64>,
    /// Slice thickness and spacing in mm (0.5-10; default 2.5).
    #[arg(long, value_name = "MM")]
    pub slice_mm: Option<f64>,
    /// Reconstruction kernel: soft, standard, sharp or a vendor name
    /// (B30f, B70f, STANDARD, LUNG, FC52, ...; default: drawn).
    #[arg(long, value_name = "NAME")]
    pub kernel: Option<Kernel>,
    /// Body and lung shape family: ovoid, tapered or barrel (default: drawn).
    #[arg(long, value_name = "NAME")]
    pub family: Option<ShapeFamily>,
    #[command(flatten)]
    pub size: SizeArgs,
    /// Output folder (created when missing).
    #[arg(long, short, required = true)]
    pub out: Option<PathBuf>,
}

/// Size options, for quick looks and tests (the defaults are a real
/// scan's).
#[derive(Args, Debug, Clone, Default)]
pub struct SizeArgs {
    /// Scan length in mm from just above the lung apices downward
    /// (40-450; default: apices to upper abdomen, about 280-340 mm).
    #[arg(long, value_name = "MM")]
    pub z_extent_mm: Option<f64>,
    /// Image matrix, columns = rows (32-1024; default 512).
    #[arg(long, value_name = "N")]
    pub matrix: Option<usize>,
}

impl SizeArgs {
    /// Applies the size options to `p`.
    pub fn apply(&self, p: &mut PhantomParams) {
        if let Some(z) = self.z_extent_mm {
            p.z_extent_mm = Some(z);
        }
        if let Some(m) = self.matrix {
            p.matrix = m;
        }
    }
}

/// Subcommands of `airad phantom`.
#[derive(Subcommand, Debug)]
pub enum PhantomSub {
    /// A suite of phantoms for `airad eval`.
    ///
    /// DIR/case-001/ ... are each laid out as one phantom, and
    /// DIR/suite.json lists the cases, their parameters and their finding
    /// codes. About a fifth are normal; with --count 10 or more
    /// every finding the phantom can insert appears in at least two cases;
    /// noise spans 8-40 HU and slice thickness 0.625-8 mm.
    ///
    /// Example: airad phantom suite --count 20 --seed 1 --out suite20/
    Suite(SuiteArgs),
}

/// Arguments of `airad phantom suite`.
#[derive(Args, Debug)]
pub struct SuiteArgs {
    /// Number of cases.
    #[arg(long)]
    pub count: usize,
    /// Suite seed: the same seed and count give the same suite.
    #[arg(long)]
    pub seed: u64,
    #[command(flatten)]
    pub size: SizeArgs,
    /// Output folder (created when missing).
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `airad phantom`.
pub fn run(args: &PhantomArgs, progress: &dyn Progress) -> Result<(), Failure> {
    match &args.suite {
        Some(PhantomSub::Suite(suite)) => run_suite(suite, progress),
        None => run_one(&args.one, progress),
    }
}

/// The supported finding codes, comma-separated.
fn supported_list() -> String {
    phantom::lesions::supported_codes()
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lesion requests of `codes`; an unknown code is a usage error
/// naming the codes the phantom can insert.
pub fn specs_for(codes: &[String]) -> Result<Vec<phantom::lesions::LesionSpec>, Failure> {
    codes
        .iter()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
        .map(|c| {
            phantom::lesions::spec_for_code(c).ok_or_else(|| {
                Failure::Usage(format!(
                    "--findings: the phantom cannot insert {c:?}; supported codes: {}",
                    supported_list()
                ))
            })
        })
        .collect()
}

/// The parameters of one phantom from the options.
fn params_of(args: &OneArgs) -> Result<PhantomParams, Failure> {
    let seed = args
        .seed
        .ok_or_else(|| Failure::Usage("--seed is required".into()))?;
    let mut p = PhantomParams::from_seed(seed);
    if args.normal {
        p.normal = true;
        p.lesions.clear();
    } else if !args.findings.is_empty() {
        let specs = specs_for(&args.findings)?;
        if specs.is_empty() {
            return Err(Failure::Usage(format!(
                "--findings is empty; supported codes: {}",
                supported_list()
            )));
        }
        p.normal = false;
        p.lesions = specs;
    }
    if let Some(n) = args.noise_hu {
        p.noise_hu = n;
    }
    if let Some(s) = args.slice_mm {
        p.slice_mm = s;
    }
    if let Some(k) = &args.kernel {
        p.kernel = k.clone();
    }
    if let Some(f) = args.family {
        p.shape_family = f;
    }
    args.size.apply(&mut p);
    p.validate().map_err(|e| Failure::Usage(e.to_string()))?;
    Ok(p)
}

/// Generates one phantom and writes it into `out`; returns it with the
/// seconds spent generating and writing.
pub fn make_phantom(
    params: &PhantomParams,
    out: &Path,
    progress: &dyn Progress,
) -> Result<(phantom::Phantom, f64, f64), Failure> {
    let t = Instant::now();
    let ph = phantom::generate(params, progress).map_err(|e| match e {
        phantom::PhantomError::Params(m) => Failure::Usage(format!("phantom parameters: {m}")),
        other => Failure::Input(other.to_string()),
    })?;
    let generate_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    phantom::write_phantom(out, &ph).map_err(|e| Failure::Input(e.to_string()))?;
    Ok((ph, generate_s, t.elapsed().as_secs_f64()))
}

fn run_one(args: &OneArgs, progress: &dyn Progress) -> Result<(), Failure> {
    let out = args
        .out
        .as_deref()
        .ok_or_else(|| Failure::Usage("--out is required".into()))?;
    let params = params_of(args)?;
    let (ph, generate_s, write_s) = make_phantom(&params, out, progress)?;
    print_phantom(&ph, out);
    println!("generated in {generate_s:.1} s, written in {write_s:.1} s");
    Ok(())
}

/// Prints what a phantom is: grid, acquisition, findings, folder.
pub fn print_phantom(ph: &phantom::Phantom, out: &Path) {
    let p = ph.params();
    let [nx, ny, nz] = ph.ct.dims();
    let [sx, sy, sz] = ph.ct.spacing();
    println!(
        "phantom seed {}: {nx} x {ny} x {nz} voxels of {sx:.2} x {sy:.2} x {sz:.2} mm; noise {} HU, kernel {}, {} family; {}, sex {}, {} years",
        p.seed,
        p.noise_hu,
        p.kernel,
        p.shape_family,
        if p.normal { "normal" } else { "abnormal" },
        p.sex.to_string().to_uppercase(),
        p.age_years
    );
    if ph.truth.findings.is_empty() {
        println!("no finding (normal)");
    } else {
        println!("{} finding(s) in ground truth:", ph.truth.findings.len());
        for f in &ph.truth.findings {
            println!("  {}", finding_line(f));
        }
    }
    println!(
        "wrote {} (dicom/, ct.nii.gz, labels.nii.gz, labels.json, ground_truth.json, params.json)",
        out.display()
    );
}

/// "f-0001 F01 solid pulmonary nodule, right RUL at (x, y, z) mm" for a
/// finding (LPS centroid).
pub fn finding_line(f: &aisu::Finding) -> String {
    let title = aisu::catalogue::entry(&f.code)
        .map(|e| e.title)
        .unwrap_or("");
    let site = site_text(&f.site);
    let [x, y, z] = f.centroid_lps_mm;
    format!(
        "{} {} {title}{}{} at ({x:.0}, {y:.0}, {z:.0}) mm{}",
        f.id,
        f.code,
        if site.is_empty() { "" } else { ", " },
        site,
        if f.assessable {
            ""
        } else {
            " (not assessable)"
        }
    )
}

/// The location of a finding in words: side, lobe, zone, rib, vertebra,
/// structure, whichever are set.
pub fn site_text(s: &aisu::Site) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(s.side.clone());
    parts.extend(s.lobe.clone());
    parts.extend(s.zone.clone());
    if let Some(r) = s.rib {
        parts.push(format!("rib {r}"));
    }
    parts.extend(s.vertebra.clone());
    parts.extend(s.structure.clone());
    parts.join(" ")
}

fn run_suite(args: &SuiteArgs, progress: &dyn Progress) -> Result<(), Failure> {
    if args.count == 0 {
        return Err(Failure::Usage("--count must be at least 1".into()));
    }
    let params: Vec<PhantomParams> = phantom::output::suite_params(args.count, args.seed)
        .into_iter()
        .map(|mut p| {
            args.size.apply(&mut p);
            p
        })
        .collect();
    for p in &params {
        p.validate().map_err(|e| Failure::Usage(e.to_string()))?;
    }
    let t = Instant::now();
    let summary = phantom::output::write_suite(args.seed, params, &args.out, progress)
        .map_err(|e| Failure::Input(e.to_string()))?;
    for case in &summary.cases {
        let p = &case.params;
        println!(
            "{}: {:.3} mm, {} HU, {}: {}",
            case.case,
            p.slice_mm,
            p.noise_hu,
            p.kernel,
            if case.codes.is_empty() {
                "normal".to_string()
            } else {
                case.codes.join(" ")
            }
        );
    }
    println!(
        "{} case(s) in {:.1} s; wrote {}",
        summary.cases.len(),
        t.elapsed().as_secs_f64(),
        args.out.join("suite.json").display()
    );
    Ok(())
}
