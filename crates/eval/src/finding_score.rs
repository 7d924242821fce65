//! Finding scoring: matches predicted findings to ground-truth findings and
//! accumulates per-code sensitivity, false positives per scan per unit,
//! measurement error, location accuracy and grade agreement.
//!
//! Matching is [`aisu::matching`] (issue 4: same code, nearest centroid
//! first, within max(10 mm, lesion radius)). Ground-truth lesions with `"assessable":
//! false` are skipped: missing them is no error, and a prediction matched
//! to one is no false positive.

use std::collections::BTreeMap;

use aisu::{FindingsDocument, Urgency};

use crate::stats::{ErrorSummary, Proportion};

pub use aisu::matching::{MATCH_MIN_MM, lesion_radius, match_findings};

/// Accumulated counts for one finding code over a suite.
#[derive(Debug, Clone, Default)]
pub struct CodeTally {
    /// Assessable truth lesions found.
    pub true_positives: usize,
    /// Assessable truth lesions missed.
    pub false_negatives: usize,
    /// Predictions matching no truth lesion, by producing unit.
    pub false_positives_by_unit: BTreeMap<String, usize>,
    /// (measured, truth) per measurement name.
    pub measurements: BTreeMap<String, Vec<(f64, f64)>>,
    /// (agreeing, compared) per site field.
    pub location: BTreeMap<String, (usize, usize)>,
    /// (agreeing, compared) grades.
    pub grade: (usize, usize),
}

/// The suite-level result for one code.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CodeScore {
    /// Finding code.
    pub code: String,
    /// Sensitivity with its Wilson 95% interval.
    pub sensitivity: Proportion,
    /// False positives per scan, by unit.
    pub false_positives_per_scan: BTreeMap<String, f64>,
    /// Error summaries per measurement name.
    pub measurement_error: BTreeMap<String, ErrorSummary>,
    /// Agreement per site field.
    pub location_accuracy: BTreeMap<String, Proportion>,
    /// Grade agreement.
    pub grade_agreement: Option<Proportion>,
}

/// Tallies of all codes over a suite.
#[derive(Debug, Clone, Default)]
pub struct FindingTally {
    /// Per code.
    pub codes: BTreeMap<String, CodeTally>,
    /// Scans scored.
    pub scans: usize,
    /// Normal scans scored.
    pub normal_scans: usize,
    /// Normal scans with a tier-1 or tier-2 flag.
    pub normal_scans_flagged: usize,
}

impl FindingTally {
    /// Adds one case.
    pub fn add_case(
        &mut self,
        predicted: &FindingsDocument,
        truth: &FindingsDocument,
        normal: bool,
    ) {
        self.scans += 1;
        if normal {
            self.normal_scans += 1;
            if predicted
                .findings
                .iter()
                .any(|f| matches!(f.urgency, Urgency::Tier1 | Urgency::Tier2))
            {
                self.normal_scans_flagged += 1;
            }
        }
        let pairs = match_findings(&predicted.findings, &truth.findings);
        let mut matched_p = vec![false; predicted.findings.len()];
        let mut matched_t = vec![false; truth.findings.len()];
        for &(i, j) in &pairs {
            matched_p[i] = true;
            matched_t[j] = true;
            let (p, t) = (&predicted.findings[i], &truth.findings[j]);
            if !t.assessable {
                continue;
            }
            let tally = self.codes.entry(t.code.clone()).or_default();
            tally.true_positives += 1;
            for m in &t.measurements {
                if let Some(v) = p.measurement(&m.name) {
                    tally
                        .measurements
                        .entry(m.name.clone())
                        .or_default()
                        .push((v, m.value));
                }
            }
            let fields = [
                ("side", p.site.side.clone(), t.site.side.clone()),
                ("lobe", p.site.lobe.clone(), t.site.lobe.clone()),
                (
                    "rib",
                    p.site.rib.map(|r| r.to_string()),
                    t.site.rib.map(|r| r.to_string()),
                ),
                ("vertebra", p.site.vertebra.clone(), t.site.vertebra.clone()),
                (
                    "aortic_segment",
                    p.site.aortic_segment.clone(),
                    t.site.aortic_segment.clone(),
                ),
            ];
            for (name, pv, tv) in fields {
                if let Some(tv) = tv {
                    let entry = tally.location.entry(name.to_string()).or_default();
                    entry.1 += 1;
                    if pv.as_deref() == Some(tv.as_str()) {
                        entry.0 += 1;
                    }
                }
            }
            if let Some(tc) = &t.category {
                tally.grade.1 += 1;
                if p.category.as_ref().is_some_and(|pc| pc.value == tc.value) {
                    tally.grade.0 += 1;
                }
            }
        }
        for (j, t) in truth.findings.iter().enumerate() {
            if !matched_t[j] && t.assessable {
                self.codes
                    .entry(t.code.clone())
                    .or_default()
                    .false_negatives += 1;
            }
        }
        for (i, p) in predicted.findings.iter().enumerate() {
            if !matched_p[i] {
                *self
                    .codes
                    .entry(p.code.clone())
                    .or_default()
                    .false_positives_by_unit
                    .entry(p.aisu.id.clone())
                    .or_default() += 1;
            }
        }
    }

    /// The per-code scores.
    pub fn scores(&self) -> Vec<CodeScore> {
        let scans = self.scans.max(1) as f64;
        self.codes
            .iter()
            .map(|(code, t)| CodeScore {
                code: code.clone(),
                sensitivity: Proportion::wilson(
                    t.true_positives,
                    t.true_positives + t.false_negatives,
                ),
                false_positives_per_scan: t
                    .false_positives_by_unit
                    .iter()
                    .map(|(u, n)| (u.clone(), *n as f64 / scans))
                    .collect(),
                measurement_error: t
                    .measurements
                    .iter()
                    .filter_map(|(n, pairs)| Some((n.clone(), ErrorSummary::of(pairs)?)))
                    .collect(),
                location_accuracy: t
                    .location
                    .iter()
                    .map(|(n, (hit, total))| (n.clone(), Proportion::wilson(*hit, *total)))
                    .collect(),
                grade_agreement: (t.grade.1 > 0).then(|| Proportion::wilson(t.grade.0, t.grade.1)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aisu::{AisuRef, Finding, Measurement, Site};

    fn finding(code: &str, at: [f64; 3], diameter: f64, assessable: bool) -> Finding {
        Finding {
            id: format!("f-{}", at[0]),
            code: code.into(),
            site: Site::default(),
            centroid_lps_mm: at,
            bbox_lps_mm: [at, at],
            key_slice: 0,
            mask_label: 1,
            measurements: vec![Measurement::new("mean_diameter", diameter, "mm")],
            morphology: vec![],
            category: None,
            urgency: Urgency::Incidental,
            confidence: 1.0,
            assessable,
            aisu: AisuRef {
                id: "airad.nodule".into(),
                version: "1".into(),
            },
            extra: Default::default(),
        }
    }

    #[test]
    fn nearest_first_within_radius() {
        let truth = vec![
            finding("F01", [0.0, 0.0, 0.0], 6.0, true),
            finding("F01", [50.0, 0.0, 0.0], 40.0, true),
            finding("F01", [100.0, 0.0, 0.0], 3.0, false),
        ];
        let predicted = vec![
            finding("F01", [8.0, 0.0, 0.0], 7.0, true), // 8 mm from the first: match
            finding("F01", [68.0, 0.0, 0.0], 38.0, true), // 18 mm, radius 20: match
            finding("F01", [101.0, 0.0, 0.0], 3.0, true), // matches a non-assessable lesion
            finding("F02", [0.0, 0.0, 0.0], 6.0, true), // wrong code: false positive
            finding("F01", [200.0, 0.0, 0.0], 6.0, true), // far: false positive
        ];
        let mut tally = FindingTally::default();
        let doc = |f: Vec<Finding>| {
            let mut d = FindingsDocument::new(Default::default());
            d.findings = f;
            d
        };
        tally.add_case(&doc(predicted), &doc(truth), false);
        let f01 = &tally.codes["F01"];
        assert_eq!((f01.true_positives, f01.false_negatives), (2, 0));
        assert_eq!(f01.false_positives_by_unit["airad.nodule"], 1);
        assert_eq!(
            tally.codes["F02"].false_positives_by_unit["airad.nodule"],
            1
        );
        let scores = tally.scores();
        let e = &scores[0].measurement_error["mean_diameter"];
        assert!((e.bias - (1.0 - 2.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn exam_codes_match_by_code_and_side_codes_by_side() {
        let sided = |code: &str, at: [f64; 3], side: &str| {
            let mut f = finding(code, at, 5.0, true);
            f.site.side = Some(side.into());
            f
        };
        // Steatosis (exam-level): the centroids of two ROI sets 80 mm apart
        // still describe the same finding.
        let pairs = match_findings(
            &[finding("F32", [80.0, 0.0, 0.0], 5.0, true)],
            &[finding("F32", [0.0, 0.0, 0.0], 5.0, true)],
        );
        assert_eq!(pairs, vec![(0, 0)]);
        // Effusion (per side): the side decides, not the distance.
        let truth = [
            sided("F14", [-60.0, 40.0, 0.0], "right"),
            sided("F14", [60.0, 40.0, 0.0], "left"),
        ];
        let predicted = [
            sided("F14", [30.0, 0.0, -40.0], "left"),
            sided("F14", [-20.0, 0.0, 60.0], "right"),
        ];
        let mut pairs = match_findings(&predicted, &truth);
        pairs.sort();
        assert_eq!(pairs, vec![(0, 1), (1, 0)]);
        // A lesion-level code 80 mm away does not match.
        assert!(
            match_findings(
                &[finding("F01", [80.0, 0.0, 0.0], 5.0, true)],
                &[finding("F01", [0.0, 0.0, 0.0], 5.0, true)],
            )
            .is_empty()
        );
    }
}
