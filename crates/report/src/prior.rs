//! Comparison with a prior exam: nodules of the two documents are matched
//! and their size change reported.
//!
//! Matching: a current and a prior finding of the nodule family (F01 solid,
//! F02 subsolid, F03 mass: a nodule may change type between exams) are
//! candidates when their centroids lie within `max(10 mm, radius)`, the
//! radius being half the larger mean (or maximum) diameter of the two.
//! Pairs are taken nearest first, each finding at most once. Patient
//! coordinates of two exams are assumed to be comparable (no
//! registration yet): a large repositioning defeats matching, which then
//! reports nodules as new rather than inventing growth.

use aisu::{Finding, FindingsDocument};
use serde::Serialize;

use crate::study::{days_from_civil, parse_ymd};

/// Codes that match each other across exams.
pub const NODULE_FAMILY: [&str; 3] = ["F01", "F02", "F03"];
/// Minimum matching distance, mm.
pub const MATCH_MIN_MM: f64 = 10.0;
/// Growth threshold: mean diameter up by more than 1.5 mm (Lung-RADS
/// v2022 definition of growth); the same margin down counts as smaller.
pub const GROWTH_MM: f64 = 1.5;

/// How a nodule changed since the prior exam.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Mean diameter up by more than [`GROWTH_MM`].
    Growing,
    /// Within [`GROWTH_MM`].
    Stable,
    /// Mean diameter down by more than [`GROWTH_MM`].
    Smaller,
    /// No matching prior nodule.
    New,
}

/// The change of one current nodule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Id of the matched prior finding, if any.
    pub prior_id: Option<String>,
    /// Prior mean diameter, mm.
    pub prior_diameter_mm: Option<f64>,
    /// Current mean diameter, mm.
    pub diameter_mm: Option<f64>,
    /// Current minus prior, mm.
    pub delta_mm: Option<f64>,
    /// Days between the exams, when both dates are known.
    pub interval_days: Option<i64>,
    /// The trend.
    pub trend: Trend,
}

/// The comparison of a document with its prior.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// Prior study date `YYYYMMDD`, when known.
    pub prior_date: Option<String>,
    /// Days between the exams.
    pub interval_days: Option<i64>,
    /// Change per current nodule id.
    pub changes: Vec<(String, Change)>,
    /// Prior nodules with no current match (resolved): prior id and code.
    pub resolved: Vec<(String, String)>,
}

impl Comparison {
    /// The change of one current finding, if it is a compared nodule.
    pub fn change_of(&self, id: &str) -> Option<&Change> {
        self.changes.iter().find(|(i, _)| i == id).map(|(_, c)| c)
    }
}

/// The size used for nodules: mean diameter, else maximum diameter, else
/// long axis, mm.
pub fn nodule_size(f: &Finding) -> Option<f64> {
    f.measurement("mean_diameter")
        .or_else(|| f.measurement("max_diameter"))
        .or_else(|| f.measurement("long_axis"))
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Compares the nodules of `current` with those of `prior`.
pub fn compare(current: &FindingsDocument, prior: &FindingsDocument) -> Comparison {
    let is_nodule = |f: &&Finding| NODULE_FAMILY.contains(&f.code.as_str());
    let cur: Vec<&Finding> = current.findings.iter().filter(is_nodule).collect();
    let old: Vec<&Finding> = prior.findings.iter().filter(is_nodule).collect();
    let mut pairs = Vec::new();
    for (i, c) in cur.iter().enumerate() {
        for (j, p) in old.iter().enumerate() {
            let d = distance(c.centroid_lps_mm, p.centroid_lps_mm);
            let radius = nodule_size(c)
                .unwrap_or(0.0)
                .max(nodule_size(p).unwrap_or(0.0))
                / 2.0;
            if d <= MATCH_MIN_MM.max(radius) {
                pairs.push((d, i, j));
            }
        }
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cur_match = vec![None; cur.len()];
    let mut old_taken = vec![false; old.len()];
    for (_, i, j) in pairs {
        if cur_match[i].is_none() && !old_taken[j] {
            cur_match[i] = Some(j);
            old_taken[j] = true;
        }
    }
    let date = |doc: &FindingsDocument| {
        doc.study
            .extra
            .get("study_date")
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let prior_date = date(prior);
    let interval_days = match (date(current).as_deref(), prior_date.as_deref()) {
        (Some(a), Some(b)) => match (parse_ymd(a), parse_ymd(b)) {
            (Some(a), Some(b)) => Some(days_from_civil(a) - days_from_civil(b)),
            _ => None,
        },
        _ => None,
    };
    let changes = cur
        .iter()
        .zip(&cur_match)
        .map(|(c, m)| {
            let now = nodule_size(c);
            let change = match m {
                None => Change {
                    prior_id: None,
                    prior_diameter_mm: None,
                    diameter_mm: now,
                    delta_mm: None,
                    interval_days,
                    trend: Trend::New,
                },
                Some(j) => {
                    let before = nodule_size(old[*j]);
                    let delta = now.zip(before).map(|(a, b)| a - b);
                    let trend = match delta {
                        Some(d) if d > GROWTH_MM => Trend::Growing,
                        Some(d) if d < -GROWTH_MM => Trend::Smaller,
                        _ => Trend::Stable,
                    };
                    Change {
                        prior_id: Some(old[*j].id.clone()),
                        prior_diameter_mm: before,
                        diameter_mm: now,
                        delta_mm: delta,
                        interval_days,
                        trend,
                    }
                }
            };
            (c.id.clone(), change)
        })
        .collect();
    let resolved = old
        .iter()
        .zip(&old_taken)
        .filter(|(_, taken)| !**taken)
        .map(|(p, _)| (p.id.clone(), p.code.clone()))
        .collect();
    Comparison {
        prior_date,
        interval_days,
        changes,
        resolved,
    }
}
