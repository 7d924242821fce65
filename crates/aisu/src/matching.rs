//! Matching reported findings to ground-truth findings, one rule for
//! every scorer (`airad eval`, `airad demo`, the units' tests): same code,
//! nearest centroid first, within max(10 mm, lesion radius) (issue 4).
//! Codes reported once per exam (catalogue granularity `Exam`: coronary
//! calcium, steatosis, bone density...) match by code alone, and
//! once-per-side codes (effusion, pneumothorax, emphysema) by code and
//! side when both name one: their centroids describe a region, not a
//! lesion.

use crate::catalogue::{self, Granularity};
use crate::model::Finding;

/// Minimum matching distance, mm.
pub const MATCH_MIN_MM: f64 = 10.0;

/// The radius of a ground-truth lesion, mm: half its largest diameter
/// measurement, else half the diagonal of its box.
pub fn lesion_radius(f: &Finding) -> f64 {
    let diameter = ["max_diameter", "long_axis", "mean_diameter"]
        .iter()
        .find_map(|n| f.measurement(n));
    match diameter {
        Some(d) => d / 2.0,
        None => {
            let [lo, hi] = f.bbox_lps_mm;
            let d2: f64 = (0..3).map(|k| (hi[k] - lo[k]).powi(2)).sum();
            d2.sqrt() / 2.0
        }
    }
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Pairs of (predicted index, truth index) for one case.
pub fn match_findings(predicted: &[Finding], truth: &[Finding]) -> Vec<(usize, usize)> {
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for (i, p) in predicted.iter().enumerate() {
        for (j, t) in truth.iter().enumerate() {
            if p.code != t.code {
                continue;
            }
            let d = distance(p.centroid_lps_mm, t.centroid_lps_mm);
            let granularity = catalogue::entry(&t.code).map(|e| e.granularity);
            let matches = match granularity {
                Some(Granularity::Exam) => true,
                Some(Granularity::Side) => match (&p.site.side, &t.site.side) {
                    (Some(a), Some(b)) => a == b,
                    _ => d <= MATCH_MIN_MM.max(lesion_radius(t)),
                },
                _ => d <= MATCH_MIN_MM.max(lesion_radius(t)),
            };
            if matches {
                candidates.push((d, i, j));
            }
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut used_p = vec![false; predicted.len()];
    let mut used_t = vec![false; truth.len()];
    let mut pairs = Vec::new();
    for (_, i, j) in candidates {
        if !used_p[i] && !used_t[j] {
            used_p[i] = true;
            used_t[j] = true;
            pairs.push((i, j));
        }
    }
    pairs
}
