//! Ground truth of a phantom: the label legend (`labels.json`) and
//! `ground_truth.json` (an [`aisu::FindingsDocument`]): the study with its
//! acquisition, one finding per lesion stated by the lesion itself, and
//! exam-level values known exactly from the generator (the drawn liver
//! and spleen HU, the trabecular HU of every vertebra in view).

use std::collections::BTreeMap;

use volume::Volume;

use crate::anatomy::PhantomModel;
use crate::labels::{self, Label};
use crate::lesions::{FindingContext, Lesion, MaskStats};

/// UID root of phantom studies (UUID-derived, `2.25`).
pub const UID_ROOT: &str = "2.25";

/// The seed string from which a phantom's UIDs derive.
pub fn uid_seed(model: &PhantomModel) -> String {
    format!("airad-phantom-{}", model.params.seed)
}

/// Study and series UIDs of a phantom (reproducible).
pub fn uids(model: &PhantomModel) -> (String, String) {
    let seed = uid_seed(model);
    let u = |role: &str| {
        imaging_io::uid::seeded_uid(UID_ROOT, &seed, role).unwrap_or_else(|| "2.25.0".into())
    };
    (u("study"), u("series"))
}

/// Mask statistics of every label value at or above `first`.
pub fn mask_stats(labels: &Volume<u16>, first: Label, count: usize) -> Vec<MaskStats> {
    let g = *labels.geometry();
    let [nx, ny, nz] = g.dims;
    let mut n = vec![0usize; count];
    let mut sum = vec![[0.0f64; 3]; count];
    let mut lo = vec![[usize::MAX; 3]; count];
    let mut hi = vec![[0usize; 3]; count];
    let mut per_slice = vec![vec![0usize; nz]; count];
    let data = labels.as_slice();
    for z in 0..nz {
        for y in 0..ny {
            for x in 0..nx {
                let l = data[x + nx * (y + ny * z)];
                if l < first || (l - first) as usize >= count {
                    continue;
                }
                let k = (l - first) as usize;
                n[k] += 1;
                let p = g.index_to_lps([x as f64, y as f64, z as f64]);
                for a in 0..3 {
                    sum[k][a] += p[a];
                }
                for (a, v) in [x, y, z].into_iter().enumerate() {
                    lo[k][a] = lo[k][a].min(v);
                    hi[k][a] = hi[k][a].max(v);
                }
                per_slice[k][z] += 1;
            }
        }
    }
    (0..count)
        .map(|k| {
            if n[k] == 0 {
                return MaskStats {
                    voxels: 0,
                    centroid_lps: [0.0; 3],
                    bbox_lps: [[0.0; 3]; 2],
                    key_slice: 0,
                };
            }
            let c = sum[k].map(|s| s / n[k] as f64);
            let key = per_slice[k]
                .iter()
                .enumerate()
                .max_by_key(|(_, c)| **c)
                .map(|(i, _)| i)
                .unwrap_or(0);
            MaskStats {
                voxels: n[k],
                centroid_lps: c,
                bbox_lps: g.bbox_lps(lo[k], hi[k]),
                key_slice: key,
            }
        })
        .collect()
}

/// The legend and the ground-truth document.
pub fn ground_truth(
    model: &PhantomModel,
    lesions: &[Box<dyn Lesion>],
    labels_vol: &Volume<u16>,
) -> (BTreeMap<String, String>, aisu::FindingsDocument) {
    let p = &model.params;
    let first = labels::LESION_BASE + 1;
    let stats = mask_stats(labels_vol, first, lesions.len());
    let mut is_present = vec![false; 65536];
    for &l in labels_vol.as_slice() {
        is_present[l as usize] = true;
    }
    let present: Vec<Label> = (0..65536usize)
        .filter(|&l| is_present[l])
        .map(|l| l as Label)
        .collect();
    let mut lesion_names = BTreeMap::new();
    let mut findings = Vec::new();
    for (i, (lesion, st)) in lesions.iter().zip(stats).enumerate() {
        let id = format!("f-{:04}", i + 1);
        let label = first + i as Label;
        lesion_names.insert(label, format!("lesion_{id}"));
        let mut st = st;
        if st.voxels == 0 {
            // Too small to own a voxel centre: point at the lesion itself.
            let c = model.to_lps(lesion.bbox().centre());
            st.centroid_lps = c;
            st.bbox_lps = [c, c];
            let g = labels_vol.geometry();
            st.key_slice = g.lps_to_index(c)[2]
                .round()
                .clamp(0.0, (g.dims[2] - 1) as f64) as usize;
        }
        let ctx = FindingContext {
            id,
            mask_label: label,
            mask: st,
            model,
            slice_mm: p.slice_mm,
            context: p.context,
        };
        let mut f = lesion.finding(&ctx);
        if ctx.mask.voxels == 0 && lesion.owns_voxels() {
            f.assessable = false;
        }
        f.extra
            .insert("mask_voxels".into(), serde_json::json!(ctx.mask.voxels));
        findings.push(f);
    }
    // Every lesion is listed, even one too small to own a voxel centre.
    let mut present = present;
    present.extend(lesion_names.keys().copied());
    let legend = labels::legend(&present, &lesion_names);
    let (study_uid, series_uid) = uids(model);
    let mut study = aisu::StudyInfo {
        study_uid: Some(study_uid),
        series_uid: Some(series_uid),
        slice_thickness_mm: Some(p.slice_mm),
        kvp: Some(p.kvp),
        kernel: Some(p.kernel.name.clone()),
        context: p.context,
        extra: Default::default(),
    };
    study.extra.insert(
        "patient_sex".into(),
        serde_json::json!(p.sex.to_string().to_uppercase()),
    );
    study
        .extra
        .insert("patient_age_years".into(), serde_json::json!(p.age_years));
    study
        .extra
        .insert("phantom_seed".into(), serde_json::json!(p.seed));
    study
        .extra
        .insert("phantom_normal".into(), serde_json::json!(p.normal));
    study.extra.insert(
        "phantom_shape_family".into(),
        serde_json::json!(p.shape_family.to_string()),
    );
    let mut doc = aisu::FindingsDocument::new(study);
    doc.findings = findings;
    let t = &model.tissue;
    // A steatosis or low-density lesion changes these values and states
    // them in its own finding; the drawn normal tissue values would then
    // contradict it, so they are written only without such a lesion.
    let has = |code: &str| lesions.iter().any(|l| l.code() == code);
    if !has("F32") {
        doc.exam_measurements.push(aisu::ExamMeasurement {
            code: "F32".into(),
            name: "liver_hu".into(),
            value: t.liver,
            unit: "HU".into(),
            site: None,
        });
        doc.exam_measurements.push(aisu::ExamMeasurement {
            code: "F32".into(),
            name: "liver_minus_spleen".into(),
            value: t.liver - t.spleen,
            unit: "HU".into(),
            site: None,
        });
    }
    if !has("F17") {
        let size = crate::lesions::cardiomegaly::measure(model);
        if size.ratio > 0.0 {
            let round = |x: f64, k: f64| (x * k).round() / k;
            doc.exam_measurements.push(aisu::ExamMeasurement {
                code: "F17".into(),
                name: "cardiothoracic_ratio".into(),
                value: round(size.ratio, 1000.0),
                unit: "1".into(),
                site: None,
            });
            doc.exam_measurements.push(aisu::ExamMeasurement {
                code: "F17".into(),
                name: "heart_volume".into(),
                value: round(size.heart_volume_ml, 1.0),
                unit: "ml".into(),
                site: None,
            });
        }
    }
    let dilated: Vec<String> = doc
        .findings
        .iter()
        .filter(|f| f.code == "F22")
        .filter_map(|f| f.site.aortic_segment.clone())
        .collect();
    for (segment, diameter, node) in crate::lesions::aortic_dilation::segment_diameters(model) {
        let w = model.mediastinum.aorta.tube.nodes[node].p[2];
        if dilated.iter().any(|s| s == segment.name())
            || !(model.scan_w[0]..=model.scan_w[1]).contains(&w)
        {
            continue;
        }
        doc.exam_measurements.push(aisu::ExamMeasurement {
            code: "F22".into(),
            name: "max_diameter".into(),
            value: (diameter * 10.0).round() / 10.0,
            unit: "mm".into(),
            site: Some(aisu::Site {
                aortic_segment: Some(segment.name().into()),
                ..Default::default()
            }),
        });
    }
    for v in model.spine.vertebrae.iter().filter(|_| !has("F30")) {
        let l = labels::vertebra(v.index);
        if v.index == 0 || !is_present[l as usize] {
            continue;
        }
        doc.exam_measurements.push(aisu::ExamMeasurement {
            code: "F30".into(),
            name: "trabecular_hu".into(),
            value: v.trabecular_hu,
            unit: "HU".into(),
            site: Some(aisu::Site {
                vertebra: Some(v.name.clone()),
                ..Default::default()
            }),
        });
    }
    if p.slice_mm > 3.0 {
        doc.not_assessed.push(aisu::NotAssessed {
            code: "F19".into(),
            reason: format!(
                "slice thickness {} mm > 3 mm: CAC = 0 cannot be asserted",
                p.slice_mm
            ),
        });
    }
    if (p.kvp - 120.0).abs() > 1.0 {
        doc.not_assessed.push(aisu::NotAssessed {
            code: "F30".into(),
            reason: format!("{} kV: bone density cut-offs hold at 120 kV", p.kvp),
        });
    }
    (legend, doc)
}
