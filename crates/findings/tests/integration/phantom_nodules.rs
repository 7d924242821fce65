//! `airad.nodules` on phantoms with known nodules and masses:
//! sensitivity, false positives per scan and size error against the
//! phantom's ground truth, with eval's matching (same code, centroid
//! within max(10 mm, radius)).

use crate::support;

use aisu::ExamContext;
use support::{describe, exam, match_findings, run};

const CODES: [&str; 4] = ["F01", "F02", "F03", "F04"];

struct Tally {
    found: usize,
    wanted: usize,
    false_positives: usize,
    scans: usize,
    errors: Vec<f64>,
    missed: Vec<String>,
}

fn case(seed: u64, codes: &[&str], slice_mm: f64, tally: &mut Tally) {
    let mut p = phantom::PhantomParams::from_seed(seed);
    p.normal = false;
    p.matrix = 256;
    p.slice_mm = slice_mm;
    p.context = ExamContext::Screening;
    p.lesions = codes
        .iter()
        .filter_map(|c| phantom::lesions::spec_for_code(c))
        .collect();
    let ph = match phantom::generate(&p, &imaging_io::NoProgress) {
        Ok(ph) => ph,
        Err(e) => {
            println!("seed {seed}: phantom not generated: {e}");
            return;
        }
    };
    let t0 = std::time::Instant::now();
    let (doc, outcome) = run(&ph.ct, exam(slice_mm, ExamContext::Screening));
    let nodule_s = outcome
        .reports
        .iter()
        .find(|r| r.id == "airad.nodules")
        .map(|r| (r.wall_s, format!("{:?} {:?}", r.status, r.reason)));
    println!(
        "seed {seed} slice {slice_mm} mm: pathway {:.1} s, nodules {:?}",
        t0.elapsed().as_secs_f64(),
        nodule_s
    );
    let predicted: Vec<_> = doc
        .findings
        .iter()
        .filter(|f| CODES.contains(&f.code.as_str()))
        .cloned()
        .collect();
    let truth: Vec<_> = ph
        .truth
        .findings
        .iter()
        .filter(|f| CODES.contains(&f.code.as_str()))
        .cloned()
        .collect();
    for t in &truth {
        println!("  truth  {}", describe(t));
    }
    for f in &predicted {
        println!("  found  {}", describe(f));
    }
    let pairs = match_findings(&predicted, &truth);
    tally.scans += 1;
    for (j, t) in truth.iter().enumerate() {
        let md = t.measurement("mean_diameter").unwrap_or(0.0);
        let counted = t.assessable && (md >= 6.0 || t.code == "F03");
        let hit = pairs.iter().find(|(_, tj)| *tj == j);
        if counted {
            tally.wanted += 1;
            match hit {
                Some((i, _)) => {
                    tally.found += 1;
                    let size = |f: &aisu::Finding| {
                        f.measurement("mean_diameter")
                            .or_else(|| f.measurement("max_diameter"))
                            .unwrap_or(0.0)
                    };
                    let err = size(&predicted[*i]) - size(t);
                    tally.errors.push(err);
                }
                None => tally.missed.push(format!("seed {seed}: {}", describe(t))),
            }
        }
    }
    // False positives: predictions matched to nothing (those matched to
    // non-assessable truth are no error, as in eval).
    let fp = (0..predicted.len())
        .filter(|i| !pairs.iter().any(|(pi, _)| pi == i))
        .count();
    tally.false_positives += fp;
}

fn report(name: &str, t: &Tally) {
    let n = t.errors.len().max(1) as f64;
    let mean = t.errors.iter().sum::<f64>() / n;
    let mae = t.errors.iter().map(|e| e.abs()).sum::<f64>() / n;
    println!(
        "{name}: sensitivity {}/{} ({:.0}%), FPs {} over {} scans ({:.2}/scan), size error mean {:+.2} mm, MAE {:.2} mm",
        t.found,
        t.wanted,
        100.0 * t.found as f64 / t.wanted.max(1) as f64,
        t.false_positives,
        t.scans,
        t.false_positives as f64 / t.scans.max(1) as f64,
        mean,
        mae
    );
    for m in &t.missed {
        println!("  missed {m}");
    }
}

fn new_tally() -> Tally {
    Tally {
        found: 0,
        wanted: 0,
        false_positives: 0,
        scans: 0,
        errors: Vec::new(),
        missed: Vec::new(),
    }
}

#[test]
fn solid_nodules_on_thin_slices() {
    let mut t = new_tally();
    for seed in [11, 12, 13] {
        case(seed, &["F01", "F01", "F01"], 1.25, &mut t);
    }
    report("F01 1.25 mm", &t);
    assert!(t.found * 10 >= t.wanted * 9, "sensitivity");
    assert!(
        t.false_positives as f64 / t.scans as f64 <= 3.0,
        "false positives"
    );
    let mae = t.errors.iter().map(|e| e.abs()).sum::<f64>() / t.errors.len().max(1) as f64;
    assert!(mae <= 1.5, "mean diameter error");
}
