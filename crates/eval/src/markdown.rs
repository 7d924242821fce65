//! The published reports: docs/performance.md written from an
//! [`EvalReport`], and the helpers every generated document shares (the
//! machine-and-date line, replacing one marked section of a markdown file).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use imaging_io::IoError;

use crate::EvalReport;
use crate::identify::Identification;

/// A case's naming result of one kind (ribs or vertebrae).
type NamingOf = fn(&crate::CaseResult) -> &Option<Identification>;

fn title_of(path: &Path) -> String {
    match path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .as_deref()
    {
        Some("benchmarks") => "Benchmarks".into(),
        Some("performance") => "Performance".into(),
        Some(other) => other.to_string(),
        None => "Report".into(),
    }
}

/// "Machine: <cpu>, <n> cores, <mem> GB; <date> UTC; airad <version> (<commit>)".
pub fn machine_line() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown commit".into());
    // Measured code that differs from the commit says so.
    let dirty = Command::new("git")
        .args([
            "diff",
            "--quiet",
            "HEAD",
            "--",
            "crates",
            "Cargo.toml",
            "Cargo.lock",
        ])
        .status()
        .is_ok_and(|s| s.code() == Some(1));
    let commit = if dirty {
        format!("{commit} with uncommitted changes")
    } else {
        commit
    };
    format!(
        "Machine: {cpu}, {cores} cores, {mem_gb:.0} GB; measured {date} UTC; airad {} ({commit}, {} build).",
        env!("CARGO_PKG_VERSION"),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    )
}

/// Replaces the section between `<!-- bench:NAME -->` and
/// `<!-- /bench:NAME -->` in a markdown file (appending it when absent).
pub fn write_section(path: &Path, name: &str, body: &str) -> Result<(), IoError> {
    let begin = format!("<!-- bench:{name} -->");
    let end = format!("<!-- /bench:{name} -->");
    let existing = std::fs::read_to_string(path).unwrap_or_else(|_| {
        format!("# {}\n\nEvery figure here is written by airad's own commands on the machine and date each section names; none is typed in.\n", title_of(path))
    });
    let block = format!("{begin}\n{}\n{end}", body.trim_end());
    let updated = match (existing.find(&begin), existing.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            format!("{}{}{}", &existing[..a], block, &existing[b + end.len()..])
        }
        _ => format!("{}\n{}\n", existing.trim_end(), block),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| IoError::io(parent, e))?;
    }
    std::fs::write(path, updated).map_err(|e| IoError::io(path, e))
}

fn pct(p: &crate::stats::Proportion) -> String {
    if p.total == 0 {
        "-".into()
    } else {
        format!(
            "{:.1}% ({}/{}; 95% CI {:.1}-{:.1}%)",
            100.0 * p.value,
            p.hits,
            p.total,
            100.0 * p.lower,
            100.0 * p.upper
        )
    }
}

/// The performance report in markdown (without the file's title).
pub fn markdown(report: &EvalReport, command: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}\n", machine_line());
    let _ = writeln!(
        s,
        "Pathway `{}`; regenerate with `{command}`.\n",
        report.pathway
    );
    if !report.cases.is_empty() {
        let n = report.cases.len();
        let normal = report.cases.iter().filter(|c| c.normal).count();
        let _ = writeln!(s, "### Anatomy on {n} phantom cases ({normal} normal)\n");
        let _ = writeln!(
            s,
            "| structure | cases | mean Dice | min Dice | mean ASSD mm | mean HD95 mm | target |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        let mut by_name: std::collections::BTreeMap<
            &str,
            Vec<&crate::anatomy_score::StructureScore>,
        > = Default::default();
        for c in &report.cases {
            for a in &c.anatomy {
                by_name.entry(a.name.as_str()).or_default().push(a);
            }
        }
        // Structures that no unit of the pathway produced in any case are
        // listed after the table, not scored as misses.
        let (by_name, not_produced): (Vec<_>, Vec<_>) = by_name
            .into_iter()
            .partition(|(_, scores)| scores.iter().any(|a| a.produced));
        for (name, scores) in &by_name {
            let k = scores.len() as f64;
            let mean = scores.iter().map(|a| a.dice).sum::<f64>() / k;
            let min = scores.iter().map(|a| a.dice).fold(f64::INFINITY, f64::min);
            let mean_of = |f: &dyn Fn(&crate::anatomy_score::StructureScore) -> Option<f64>| {
                let v: Vec<f64> = scores.iter().filter_map(|a| f(a)).collect();
                if v.is_empty() {
                    "-".to_string()
                } else {
                    format!("{:.2}", v.iter().sum::<f64>() / v.len() as f64)
                }
            };
            let target = match *name {
                "lung_right" | "lung_left" => ">= 0.95",
                n if n.starts_with("lobe_") => ">= 0.85",
                "heart" | "aorta" | "liver" => ">= 0.85",
                _ => "",
            };
            let _ = writeln!(
                s,
                "| {name} | {} | {mean:.3} | {min:.3} | {} | {} | {target} |",
                scores.len(),
                mean_of(&|a| a.assd_mm),
                mean_of(&|a| a.hd95_mm)
            );
        }
        if !not_produced.is_empty() {
            let names: Vec<&str> = not_produced.iter().map(|(n, _)| *n).collect();
            let _ = writeln!(
                s,
                "\nIn the ground truth but produced by no unit of this pathway (not scored): {}.",
                names.join(", ")
            );
        }
        let share = |f: &dyn Fn(&crate::CaseResult) -> Option<bool>| {
            let v: Vec<bool> = report.cases.iter().filter_map(f).collect();
            crate::stats::Proportion::wilson(v.iter().filter(|b| **b).count(), v.len())
        };
        let naming: [(&str, NamingOf); 2] = [
            (
                "\nRibs numbered correctly (every rib in view covered mostly by the rib label of its own number and side)",
                |c| &c.ribs_numbered,
            ),
            (
                "Vertebral levels correct (every vertebra in view covered mostly by the label of its own level)",
                |c| &c.vertebrae_labelled,
            ),
        ];
        for (what, of) in naming {
            let _ = writeln!(
                s,
                "{what}: {} (target >= 95%).",
                pct(&share(&|c| of(c).as_ref().map(Identification::all_correct)))
            );
        }
        let _ = writeln!(
            s,
            "Naming is scored apart from outline (Dice above); a rib or vertebra cut by the scan's first or last slice to under half the typical size may go unlabelled, never misnamed."
        );
        let misnamed: Vec<String> = report
            .cases
            .iter()
            .filter(|c| {
                naming
                    .iter()
                    .any(|(_, of)| of(c).as_ref().is_some_and(|i| !i.all_correct()))
            })
            .map(|c| {
                let count = |i: &Option<Identification>| {
                    i.as_ref().map_or_else(|| "-".into(), Identification::tally)
                };
                format!(
                    "{} (ribs {}, vertebrae {})",
                    c.name,
                    count(&c.ribs_numbered),
                    count(&c.vertebrae_labelled)
                )
            })
            .collect();
        if !misnamed.is_empty() {
            let _ = writeln!(s, "Misnamed (wrong / in view): {}.", misnamed.join("; "));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "### Findings\n");
        if report.findings.is_empty() {
            let _ = writeln!(s, "No finding was present or predicted in this suite.\n");
        } else {
            let _ = writeln!(
                s,
                "| code | sensitivity | FP per scan (by unit) | measurement error (bias / mean abs) | location | grade |"
            );
            let _ = writeln!(s, "|---|---|---|---|---|---|");
            for c in &report.findings {
                let fp = c
                    .false_positives_per_scan
                    .iter()
                    .map(|(u, v)| format!("{u} {v:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let m = c
                    .measurement_error
                    .iter()
                    .map(|(n, e)| format!("{n} {:+.2} / {:.2} (n={})", e.bias, e.mean_abs, e.n))
                    .collect::<Vec<_>>()
                    .join("; ");
                let l = c
                    .location_accuracy
                    .iter()
                    .map(|(n, p)| format!("{n} {}", pct(p)))
                    .collect::<Vec<_>>()
                    .join("; ");
                let g = c
                    .grade_agreement
                    .as_ref()
                    .map(pct)
                    .unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} |",
                    c.code,
                    pct(&c.sensitivity),
                    if fp.is_empty() { "0".into() } else { fp },
                    m,
                    l,
                    g
                );
            }
            s.push('\n');
        }
        let (normals, flagged) = report.normal_flags;
        let _ = writeln!(
            s,
            "Normal phantoms with a tier-1 or tier-2 flag: {flagged} of {normals} (target <= 2%).\n"
        );
        let _ = writeln!(s, "### Time per unit (wall seconds, mean over cases)\n");
        let _ = writeln!(s, "| unit | mean s | max s |\n|---|---|---|");
        let mut times: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
        for c in &report.cases {
            for (u, t) in &c.unit_seconds {
                times.entry(u.as_str()).or_default().push(*t);
            }
        }
        for (u, t) in &times {
            let _ = writeln!(
                s,
                "| {u} | {:.2} | {:.2} |",
                t.iter().sum::<f64>() / t.len() as f64,
                t.iter().cloned().fold(0.0, f64::max)
            );
        }
        let walls: Vec<f64> = report.cases.iter().map(|c| c.wall_s).collect();
        let _ = writeln!(
            s,
            "| whole pathway | {:.2} | {:.2} |\n",
            walls.iter().sum::<f64>() / walls.len() as f64,
            walls.iter().cloned().fold(0.0, f64::max)
        );
    }
    if !report.real.is_empty() {
        let _ = writeln!(s, "### Real scans (not clinically validated)\n");
        for r in &report.real {
            let _ = writeln!(s, "**{}** ({:.1} s)", r.name, r.wall_s);
            match (&r.tumour, &r.tumour_finding) {
                (Some(t), Some(id)) => {
                    let _ = writeln!(
                        s,
                        "- annotated tumour ({} slices, up to {:.0} mm in-plane): reported as {id}, size {}",
                        t.slices,
                        t.max_extent_mm,
                        r.tumour_finding_size_mm
                            .map(|v| format!("{v:.0} mm"))
                            .unwrap_or_else(|| "-".into())
                    );
                }
                (Some(t), None) => {
                    let _ = writeln!(
                        s,
                        "- annotated tumour ({} slices, up to {:.0} mm in-plane): NOT reported",
                        t.slices, t.max_extent_mm
                    );
                }
                _ => {}
            }
            let link = report.figures_link.as_deref().unwrap_or(".");
            for f in &r.findings {
                let _ = writeln!(
                    s,
                    "- {} {} {}, key slice {}: {}",
                    f.id, f.code, f.title, f.key_slice, f.summary
                );
                if let Some(img) = &f.key_image {
                    let _ = writeln!(s, "\n  ![{} {}]({link}/{img})\n", f.id, f.code);
                }
            }
            for (unit, why) in &r.unit_problems {
                let _ = writeln!(s, "- unit {unit} did not finish: {why}");
            }
            if !r.structures.is_empty() {
                let listed: Vec<String> = r
                    .structures
                    .iter()
                    .map(|(name, ml)| format!("{name} {ml:.0}"))
                    .collect();
                let _ = writeln!(s, "- anatomy found (mL): {}", listed.join(", "));
            }
            if !r.figures.is_empty() {
                s.push('\n');
                for f in &r.figures {
                    let _ = write!(s, "![{f}]({link}/{f}) ");
                }
                s.push('\n');
            }
            s.push('\n');
        }
    }
    s
}
