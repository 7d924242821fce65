//! Behaviour of generated phantoms: labels on the CT grid with canonical
//! names, determinism, rendered HU agreeing with the drawn tissue values,
//! lung voxels in the lung range, and the inserted nodule's rendered
//! volume agreeing with its ground truth.

use crate::common;

use common::{erode_inplane, mean_sd, small};
use phantom::labels;
use phantom::lesions::LesionSpec;
use phantom::lesions::nodule::{NoduleShape, NoduleSpec, NoduleVariant};
use phantom::{PhantomParams, generate};

fn mask_of(ph: &phantom::Phantom, pred: impl Fn(u16) -> bool) -> Vec<bool> {
    ph.labels.as_slice().iter().map(|&l| pred(l)).collect()
}

#[test]
fn labels_lie_on_the_ct_grid_with_canonical_names() {
    let ph = generate(&small(11, false), &imaging_io::NoProgress).unwrap();
    assert_eq!(ph.labels.geometry(), ph.ct.geometry());
    assert!(ph.ct.geometry().same_grid(ph.labels.geometry(), 0.0));
    let dims = ph.ct.dims();
    assert_eq!(dims[0], 128);
    assert!(
        (dims[2] as f64 * 5.0 - 300.0).abs() < 80.0,
        "scan of {} slices",
        dims[2]
    );
    // Every label value used is in the legend, with a canonical name.
    let mut seen = std::collections::BTreeSet::new();
    for &l in ph.labels.as_slice() {
        seen.insert(l);
    }
    for l in &seen {
        if *l == 0 {
            continue;
        }
        let name = ph
            .legend
            .get(&l.to_string())
            .unwrap_or_else(|| panic!("label {l} not in legend"));
        assert!(!name.is_empty());
    }
    for needed in [
        "lobe_rul",
        "lobe_rml",
        "lobe_rll",
        "lobe_lul",
        "lobe_lll",
        "heart",
        "aorta",
        "liver",
        "trachea",
        "vertebra_T6",
        "rib_left_5",
        "rib_right_5",
        "sternum",
        "table",
        "vessels",
    ] {
        assert!(
            ph.legend.values().any(|n| n == needed),
            "{needed} missing from {:?}",
            ph.legend.values().collect::<Vec<_>>()
        );
    }
    // Lesion labels are named after their findings.
    for f in &ph.truth.findings {
        assert_eq!(
            ph.legend.get(&f.mask_label.to_string()),
            Some(&format!("lesion_{}", f.id))
        );
    }
    // The right lung is on the patient's right (LPS -x) of the left lung.
    let g = ph.ct.geometry();
    let centroid_x = |ls: &[u16]| {
        let [nx, ny, _] = dims;
        let (mut s, mut n) = (0.0, 0.0);
        for (i, l) in ph.labels.as_slice().iter().enumerate() {
            if ls.contains(l) {
                let x = (i % nx) as f64;
                let y = ((i / nx) % ny) as f64;
                s += g.index_to_lps([x, y, 0.0])[0];
                n += 1.0;
            }
        }
        s / n
    };
    assert!(centroid_x(&labels::LUNG_RIGHT_PARTS) < centroid_x(&labels::LUNG_LEFT_PARTS) - 50.0);
}

#[test]
fn same_parameters_same_voxels() {
    let mut p = small(5, false);
    p.z_extent_mm = Some(120.0);
    let a = generate(&p, &imaging_io::NoProgress).unwrap();
    let b = generate(&p, &imaging_io::NoProgress).unwrap();
    assert_eq!(a.ct, b.ct);
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.truth, b.truth);
    let mut q = p.clone();
    q.seed += 1;
    let c = generate(&q, &imaging_io::NoProgress).unwrap();
    assert_ne!(a.ct.as_slice(), c.ct.as_slice());
}

#[test]
fn rendered_hu_agrees_with_drawn_tissue_values() {
    let mut p = small(21, true);
    p.noise_hu = 15.0;
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    let t = &ph.model.tissue;
    let dims = ph.ct.dims();
    for (name, label, drawn) in [
        ("liver", labels::LIVER, t.liver),
        ("subcutaneous fat", labels::FAT, t.fat),
        ("spleen", labels::SPLEEN, t.spleen),
    ] {
        let m = erode_inplane(&mask_of(&ph, |l| l == label), dims, 2);
        let (mean, sd, n) = mean_sd(&ph.ct, &m);
        assert!(n > 30, "{name}: only {n} interior voxels");
        // Allowance measured from the image: the standard error with
        // correlated noise (about 20 voxels per independent sample), plus
        // texture and residual partial volume of 4 HU.
        let allow = 4.0 * sd / (n as f64 / 20.0).sqrt() + 4.0;
        assert!(
            (mean - drawn).abs() < allow,
            "{name}: rendered {mean:.1} HU vs drawn {drawn} (allowance {allow:.1}, sd {sd:.1}, n {n})"
        );
    }
    // Lung: interior voxels in the lung range, mean between the drawn
    // anterior value and the dependent maximum.
    let lung = erode_inplane(&mask_of(&ph, labels::is_lobe), dims, 1);
    let mut vals: Vec<f64> = ph
        .ct
        .as_slice()
        .iter()
        .zip(&lung)
        .filter(|(_, m)| **m)
        .map(|(v, _)| *v as f64)
        .collect();
    assert!(vals.len() > 1000);
    let inside = vals
        .iter()
        .filter(|v| (-1024.0..=-500.0).contains(*v))
        .count() as f64
        / vals.len() as f64;
    assert!(
        inside > 0.95,
        "only {:.1}% of lung voxels in -1024..-500 HU",
        inside * 100.0
    );
    let mean = vals.iter().sum::<f64>() / vals.len() as f64;
    assert!(
        mean > t.lung_anterior - 40.0 && mean < t.lung_anterior + t.lung_gradient + 60.0,
        "lung mean {mean:.0} vs anterior {} + gradient {}",
        t.lung_anterior,
        t.lung_gradient
    );
    let p5 = common::percentile(&mut vals, 5.0);
    assert!(
        p5 > -1024.0 && p5 < t.lung_anterior + 0.4 * t.lung_gradient,
        "lung p5 {p5}"
    );
}

#[test]
fn nodule_volume_and_truth_agree() {
    let mut p = PhantomParams::from_seed(33);
    p.matrix = 192;
    p.slice_mm = 1.5;
    p.z_extent_mm = Some(110.0);
    p.normal = false;
    p.motion = false;
    p.context = aisu::ExamContext::Screening;
    p.lesions = vec![LesionSpec::Nodule(NoduleSpec {
        diameter_mm: Some(14.0),
        variant: Some(NoduleVariant::Intraparenchymal),
        shape: Some(NoduleShape::Round),
        lobe: Some("RUL".into()),
        hu: Some(35.0),
    })];
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    assert_eq!(ph.truth.findings.len(), 1);
    let f = &ph.truth.findings[0];
    assert_eq!(f.code, "F01");
    assert_eq!(f.site.lobe.as_deref(), Some("RUL"));
    assert_eq!(f.site.side.as_deref(), Some("right"));
    let truth_ml = f.measurement("volume").unwrap();
    let md = f.measurement("mean_diameter").unwrap();
    assert!((11.0..17.0).contains(&md), "mean diameter {md}");
    // Lung-RADS 4A for 8-<15 mm, 4B from 15 mm (screening, thin slices).
    let cat = f.category.as_ref().unwrap();
    assert_eq!(cat.value, if md < 15.0 { "4A" } else { "4B" });
    let count = ph
        .labels
        .as_slice()
        .iter()
        .filter(|&&l| u32::from(l) == f.mask_label)
        .count();
    let rendered_ml = count as f64 * ph.ct.geometry().voxel_volume_mm3() / 1000.0;
    let rel = (rendered_ml - truth_ml).abs() / truth_ml;
    assert!(
        rel < 0.15,
        "rendered {rendered_ml:.3} mL vs truth {truth_ml:.3} mL ({:.0}%)",
        rel * 100.0
    );
    // The nodule is dense: its interior is near its drawn HU, unlike lung.
    let m = erode_inplane(
        &mask_of(&ph, |l| u32::from(l) == f.mask_label),
        ph.ct.dims(),
        1,
    );
    let (mean, _, n) = mean_sd(&ph.ct, &m);
    assert!(
        n > 5 && (mean - 35.0).abs() < 60.0,
        "nodule interior {mean:.0} HU over {n} voxels"
    );
    // Centroid and box come from the mask and contain each other.
    for k in 0..3 {
        assert!(
            f.bbox_lps_mm[0][k] <= f.centroid_lps_mm[k]
                && f.centroid_lps_mm[k] <= f.bbox_lps_mm[1][k]
        );
    }
    ph.truth.validate().unwrap();
}

/// The descending aorta keeps its own label all the way from the arch to
/// the hiatus: the heart, painted after the mediastinum, must not take
/// over its voxels where the left atrium lies against it.
#[test]
fn descending_aorta_is_never_labelled_heart() {
    for seed in [3, 4, 12, 21] {
        let ph = generate(&small(seed, true), &imaging_io::NoProgress).unwrap();
        let aorta = &ph.model.mediastinum.aorta;
        let g = ph.labels.geometry();
        let [nx, ny, nz] = ph.labels.dims();
        let (mut on_aorta, mut on_heart, mut checked) = (0, 0, 0);
        let nodes = &aorta.tube.nodes[aorta.segment_starts[3]..aorta.segment_starts[4]];
        for pair in nodes.windows(2) {
            for k in 0..4 {
                let t = k as f64 / 4.0;
                let p: Vec<f64> = (0..3)
                    .map(|i| pair[0].p[i] + t * (pair[1].p[i] - pair[0].p[i]))
                    .collect();
                let lps = ph.model.frame.to_lps([p[0], p[1], p[2]]);
                let idx = g.lps_to_index(lps).map(|c| c.round());
                if idx
                    .iter()
                    .zip([nx, ny, nz])
                    .any(|(&c, n)| c < 0.0 || c >= n as f64)
                {
                    continue;
                }
                let l = ph.labels.as_slice()[ph.labels.linear_index(
                    idx[0] as usize,
                    idx[1] as usize,
                    idx[2] as usize,
                )];
                checked += 1;
                on_aorta += usize::from(l == labels::AORTA);
                on_heart += usize::from(l == labels::HEART);
            }
        }
        assert!(
            checked > 20,
            "seed {seed}: only {checked} centreline points in view"
        );
        assert_eq!(
            on_heart, 0,
            "seed {seed}: {on_heart} of {checked} descending-aorta centreline voxels labelled heart"
        );
        assert!(
            on_aorta as f64 >= 0.95 * checked as f64,
            "seed {seed}: {on_aorta} of {checked} descending-aorta centreline voxels labelled aorta"
        );
    }
}
