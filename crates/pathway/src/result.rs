//! Turns a run's unit outputs into the files' contents: the findings
//! document (ids, mask labels, centroids, boxes and key slices derived
//! from each finding's mask, so they always agree with lesions.nii.gz),
//! the lesion label map and the anatomy label map.

use std::collections::BTreeMap;

use aisu::anatomy::{FIRST_EXTRA_LABEL, label_of};
use aisu::{AisuRef, Artefact, Finding, FindingsDocument, StudyInfo};
use volume::{Geometry, Volume};

use crate::scheduler::RunOutcome;

/// The merged result of a run.
pub struct AnalysisResult {
    /// findings.json.
    pub document: FindingsDocument,
    /// lesions.nii.gz: label `mask_label` of each finding.
    pub lesions: Volume<u16>,
    /// anatomy.nii.gz: every anatomy mask, finest structure on top.
    pub anatomy: Volume<u16>,
    /// anatomy.json: label value (as a string) to canonical name.
    pub anatomy_legend: BTreeMap<String, String>,
}

/// Merges a run into findings, lesion map and anatomy map on `grid`.
pub fn merge(outcome: &RunOutcome, grid: &Geometry, study: StudyInfo) -> AnalysisResult {
    let mut document = FindingsDocument::new(study);
    let mut lesions = Volume::filled(*grid, 0u16);
    let mut drafts = Vec::new();
    for (id, version, output) in &outcome.outputs {
        for draft in &output.findings {
            drafts.push((id, version, draft));
        }
        document
            .exam_measurements
            .extend(output.exam_measurements.iter().cloned());
        document
            .not_assessed
            .extend(output.not_assessed.iter().cloned());
    }
    document
        .not_assessed
        .extend(outcome.not_assessed.iter().cloned());

    for (index, (unit_id, version, draft)) in drafts.iter().enumerate() {
        let label = index as u32 + 1;
        let mask = &draft.mask;
        let centroid = mask.centroid_lps().unwrap_or(grid.origin);
        let (lo, hi) = mask.bbox_index().unwrap_or(([0; 3], [0; 3]));
        document.findings.push(Finding {
            id: format!("f-{label:04}"),
            code: draft.code.clone(),
            site: draft.site.clone(),
            centroid_lps_mm: centroid,
            bbox_lps_mm: grid.bbox_lps(lo, hi),
            key_slice: draft
                .key_slice
                .or_else(|| mask.largest_slice())
                .unwrap_or(0),
            mask_label: label,
            measurements: draft.measurements.clone(),
            morphology: draft.morphology.clone(),
            category: draft.category.clone(),
            urgency: draft.urgency,
            confidence: draft.confidence.clamp(0.0, 1.0),
            assessable: draft.assessable,
            aisu: AisuRef {
                id: unit_id.to_string(),
                version: version.to_string(),
            },
            extra: draft.extra.clone(),
        });
    }
    // Larger findings first, so a small lesion inside a large one keeps
    // its own label.
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(drafts[i].2.mask.count()));
    let [nx, ny, _] = grid.dims;
    {
        let data = lesions.as_slice_mut();
        for i in order {
            let label = u16::try_from(i + 1).unwrap_or(u16::MAX);
            drafts[i]
                .2
                .mask
                .for_each(|x, y, z| data[x + nx * (y + ny * z)] = label);
        }
    }

    // Anatomy: every mask artefact, largest first.
    let mut anatomy = Volume::filled(*grid, 0u16);
    let mut legend = BTreeMap::new();
    let mut masks: Vec<(&str, &aisu::Mask)> = outcome
        .store
        .present
        .iter()
        .filter_map(|(name, a)| match a {
            Artefact::Mask(m) if m.grid().dims == grid.dims => Some((name.name.as_str(), &**m)),
            _ => None,
        })
        .collect();
    masks.sort_by_key(|(name, m)| (std::cmp::Reverse(m.count()), *name));
    let mut next_extra = FIRST_EXTRA_LABEL;
    {
        let data = anatomy.as_slice_mut();
        for (name, mask) in masks {
            let label = label_of(name).unwrap_or_else(|| {
                next_extra += 1;
                next_extra - 1
            });
            legend.insert(label.to_string(), name.to_string());
            mask.for_each(|x, y, z| data[x + nx * (y + ny * z)] = label);
        }
    }
    AnalysisResult {
        document,
        lesions,
        anatomy,
        anatomy_legend: legend,
    }
}
