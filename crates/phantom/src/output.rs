//! Writing phantoms to disk in the layout of shared/design/FINDINGS-JSON.md:
//! `dicom/` (one CT Image Storage series), `ct.nii.gz`, `labels.nii.gz`,
//! `labels.json`, `ground_truth.json` (and `params.json`, the parameters
//! to regenerate it); and suites of such folders with `suite.json`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::params::{Kernel, KernelClass, PhantomParams, ShapeFamily};
use crate::{Phantom, PhantomError, generate, lesions, rng, truth};

fn write_text(path: &Path, text: &str) -> Result<(), PhantomError> {
    std::fs::write(path, text).map_err(|source| PhantomError::File {
        path: path.to_path_buf(),
        source,
    })
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Removes the slice files (`IM*.dcm`) an earlier phantom left in
/// `dicom`, so that a phantom written over another is one clean series.
fn remove_old_slices(dicom: &Path) -> Result<(), PhantomError> {
    let Ok(entries) = std::fs::read_dir(dicom) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("IM") && name.ends_with(".dcm") {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|source| PhantomError::File { path, source })?;
        }
    }
    Ok(())
}

/// Writes a phantom into `dir` (created when missing); the slices of a
/// phantom written there before are replaced, never mixed in.
pub fn write_phantom(dir: &Path, ph: &Phantom) -> Result<(), PhantomError> {
    std::fs::create_dir_all(dir).map_err(|source| PhantomError::File {
        path: dir.to_path_buf(),
        source,
    })?;
    let p = ph.params();
    let (study_uid, series_uid) = truth::uids(&ph.model);
    let meta = imaging_io::ScanMeta {
        modality: Some("CT".into()),
        patient_age_years: Some(p.age_years),
        patient_sex: Some(p.sex.to_string().to_uppercase()),
        study_uid: Some(study_uid.clone()),
        series_uid: Some(series_uid.clone()),
        series_description: Some(format!(
            "airad phantom {} {}",
            p.seed,
            if p.normal { "normal" } else { "abnormal" }
        )),
        study_description: Some("CT CHEST WITHOUT CONTRAST (SYNTHETIC PHANTOM)".into()),
        manufacturer: Some("airad".into()),
        model: Some("phantom".into()),
        kvp: Some(p.kvp),
        kernel: Some(p.kernel.name.clone()),
        slice_thickness_mm: Some(p.slice_mm),
        body_part: Some("CHEST".into()),
        ..Default::default()
    };
    let options = imaging_io::dicom_write::CtSeriesOptions {
        patient_name: Some(format!("Phantom^{}", p.seed)),
        patient_id: Some(format!("PHANTOM-{}", p.seed)),
        // Study ID is SH (16 characters): "PH" and at most 14 digits.
        study_id: Some(format!("PH{}", p.seed % 100_000_000_000_000)),
        series_description: meta.series_description.clone(),
        uid_seed: Some(truth::uid_seed(&ph.model)),
        study_uid: Some(study_uid),
        series_uid: Some(series_uid),
        timestamp: Some(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_067_200 + (p.seed % 1000) * 86_400),
        ),
        derivation_description: Some("synthetic chest CT phantom (airad.phantom)".into()),
        ..Default::default()
    };
    let dicom = dir.join("dicom");
    remove_old_slices(&dicom)?;
    imaging_io::dicom_write::write_ct_series(&dicom, &ph.ct, &meta, &options)?;
    imaging_io::nifti_io::write_nifti(&dir.join("ct.nii.gz"), &ph.ct)?;
    imaging_io::nifti_io::write_nifti(&dir.join("labels.nii.gz"), &ph.labels)?;
    write_text(&dir.join("labels.json"), &json(&ph.legend))?;
    write_text(&dir.join("ground_truth.json"), &ph.truth.to_json())?;
    write_text(&dir.join("params.json"), &json(p))?;
    Ok(())
}

/// One case of a suite as listed in `suite.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteCase {
    /// Folder name, e.g. "case-001".
    pub case: String,
    /// Parameters it was generated from.
    pub params: PhantomParams,
    /// Number of findings in its ground truth.
    pub findings: usize,
    /// Finding codes of its ground truth, in finding order (empty for a
    /// normal case).
    #[serde(default)]
    pub codes: Vec<String>,
    /// One line per inserted lesion.
    pub lesions: Vec<String>,
}

/// `suite.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteSummary {
    /// Suite seed.
    pub seed: u64,
    /// The cases.
    pub cases: Vec<SuiteCase>,
}

/// Findings that often come with a finding, as (code, companion,
/// probability): effusion with compressive atelectasis or an underlying
/// mass, emphysema with nodules (smokers), a mass with an effusion, a rib
/// fracture with a pneumothorax, a compression fracture with low bone
/// density. A companion is added only when the phantom can insert it.
const COMPANIONS: &[(&str, &str, f64)] = &[
    ("F14", "F09", 0.6),
    ("F14", "F03", 0.3),
    ("F03", "F14", 0.3),
    ("F05", "F01", 0.5),
    ("F05", "F02", 0.35),
    ("F05", "F19", 0.3),
    ("F28", "F15", 0.3),
    ("F15", "F28", 0.2),
    ("F29", "F30", 0.6),
    ("F30", "F29", 0.3),
];

/// Minimum age (years) of a patient with a finding: coronary and aortic
/// valve calcium, emphysema and osteoporotic fractures come with age
/// (calcific aortic valve disease mostly after 65: Stewart et al., JACC
/// 1997; a younger minimum leaves room for bicuspid valves).
const MIN_AGE: &[(&str, f64)] = &[
    ("F19", 55.0),
    ("F20", 60.0),
    ("F05", 50.0),
    ("F29", 60.0),
    ("F30", 55.0),
];

/// Slice thicknesses of a suite, dealt from a shuffled deck of ten per
/// ten cases: mostly 0.625-5 mm, one thick (6-8 mm) in ten.
const SLICE_DECK: [f64; 10] = [0.625, 1.0, 1.25, 1.25, 2.0, 2.5, 2.5, 3.0, 5.0, 0.0];

/// Thick-slice choices for the deck's last entry.
const THICK_SLICES: [f64; 3] = [6.0, 7.0, 8.0];

/// True when a case can hold more than one finding of `code` (the
/// phantom widens one aortic segment per case).
fn repeatable(code: &str) -> bool {
    code != "F22"
        && aisu::catalogue::entry(code)
            .is_some_and(|e| e.granularity == aisu::catalogue::Granularity::Lesion)
}

/// Adds `code` to `codes` unless a non-repeatable code is already there.
fn add_code(codes: &mut Vec<&'static str>, code: &'static str) -> bool {
    if codes.contains(&code) && !repeatable(code) {
        return false;
    }
    codes.push(code);
    true
}

/// Fisher-Yates shuffle from a phantom stream.
fn shuffle<T>(items: &mut [T], r: &mut rng::PhantomRng) {
    for i in (1..items.len()).rev() {
        let j = (rng::uniform(r, 0.0, (i + 1) as f64) as usize).min(i);
        items.swap(i, j);
    }
}

/// The finding codes of each case of a suite (`None` for a normal case).
/// Normal cases sit at every fifth index (2, 7, 12, ...). For `count >=
/// 10`, every code of [`lesions::SUPPORTED`] goes to two different
/// abnormal cases, spread evenly; every abnormal case has at least one
/// code; companions ([`COMPANIONS`]) are added by their probabilities and
/// lesion-level codes are sometimes doubled (a second nodule).
fn suite_codes(count: usize, r: &mut rng::PhantomRng) -> Vec<Option<Vec<&'static str>>> {
    let supported: Vec<&'static str> = lesions::supported_codes().collect();
    let mut cases: Vec<Option<Vec<&'static str>>> =
        (0..count).map(|i| (i % 5 != 2).then(Vec::new)).collect();
    let abnormal: Vec<usize> = (0..count).filter(|i| i % 5 != 2).collect();
    if abnormal.is_empty() || supported.is_empty() {
        return cases;
    }
    let a = abnormal.len();
    let mut order = supported.clone();
    shuffle(&mut order, r);
    let offset = rng::uniform(r, 0.0, a as f64) as usize;
    if count >= 10 {
        // Each code twice, in cases `step` apart (different since a >= 2).
        let step = (a / 2).max(1);
        for (j, code) in order.iter().enumerate() {
            for k in [offset + j, offset + j + step] {
                if let Some(Some(codes)) = cases.get_mut(abnormal[k % a]) {
                    add_code(codes, code);
                }
            }
        }
    } else {
        for (j, &case) in abnormal.iter().enumerate() {
            if let Some(Some(codes)) = cases.get_mut(case) {
                add_code(codes, order[(offset + j) % order.len()]);
            }
        }
    }
    let present = |code: &str| supported.contains(&code);
    for codes in cases.iter_mut().flatten() {
        if codes.is_empty() {
            let pick = supported[rng::weighted(r, &vec![1.0; supported.len()])];
            add_code(codes, pick);
        }
        let mut k = 0;
        while k < codes.len() {
            let code = codes[k];
            for &(from, to, p) in COMPANIONS {
                if from == code && rng::chance(r, p) && present(to) {
                    add_code(codes, to);
                }
            }
            k += 1;
        }
        if codes.len() < 4 {
            for code in codes.clone() {
                if repeatable(code) && rng::chance(r, 0.25) {
                    add_code(codes, code);
                }
            }
        }
    }
    cases
}

/// Parameters of the cases of a suite. About a fifth are normal (every
/// fifth case from the third). The findings come from the table of
/// [`lesions::SUPPORTED`], so a new lesion kind is covered without
/// editing this: with `count >= 10` every supported code appears in at
/// least two cases. Findings come with realistic companions (effusion
/// with atelectasis or a mass, emphysema with nodules or coronary
/// calcium, fractures with a pneumothorax or low bone density), patients
/// with coronary calcium, emphysema or osteoporotic findings are old
/// enough to have them, and older patients get coronary calcium more
/// often. Noise spreads over 8-40 HU (golden-ratio sequence), the kernel
/// class follows the noise (sharper, noisier), slice thickness is mostly
/// 0.625-5 mm with one case in ten at 6-8 mm, and the shape families
/// rotate.
pub fn suite_params(count: usize, seed: u64) -> Vec<PhantomParams> {
    let r = &mut rng::stream(seed, "suite");
    let codes = suite_codes(count, r);
    let mut slices = Vec::with_capacity(count + SLICE_DECK.len());
    while slices.len() < count {
        let mut deck = SLICE_DECK;
        shuffle(&mut deck, r);
        for s in &mut deck {
            if *s == 0.0 {
                *s = THICK_SLICES[rng::weighted(r, &[1.0, 1.0, 1.0])];
            }
        }
        slices.extend(deck);
    }
    let noise_start = rng::uniform(r, 0.0, 1.0);
    let kernel_names: Vec<&str> = Kernel::known_names().collect();
    let cac = lesions::supported_codes().find(|c| *c == "F19");
    codes
        .into_iter()
        .enumerate()
        .map(|(i, case_codes)| {
            let case_seed = seed.wrapping_mul(1_000_003).wrapping_add(i as u64 + 1);
            let mut p = PhantomParams::from_seed(case_seed);
            p.slice_mm = slices[i];
            p.shape_family = ShapeFamily::ALL[i % 3];
            let u = (noise_start + i as f64 * 0.618_033_988_75).fract();
            p.noise_hu = (8.0 + 32.0 * u).round().clamp(8.0, 40.0);
            let mut class = if p.noise_hu < 17.0 {
                KernelClass::Soft
            } else if p.noise_hu < 29.0 {
                KernelClass::Standard
            } else {
                KernelClass::Sharp
            };
            if rng::chance(r, 0.2) {
                class = KernelClass::Standard;
            }
            let names: Vec<&str> = kernel_names
                .iter()
                .copied()
                .filter(|n| n.parse::<Kernel>().is_ok_and(|k| k.class == class))
                .collect();
            p.kernel = names
                .get(rng::weighted(r, &vec![1.0; names.len()]))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| Kernel::of_class(class));
            match case_codes {
                None => {
                    p.normal = true;
                    p.lesions.clear();
                }
                Some(mut case_codes) => {
                    p.normal = false;
                    if let Some(cac) = cac
                        && p.age_years >= 65.0
                        && rng::chance(r, 0.35)
                    {
                        add_code(&mut case_codes, cac);
                    }
                    for &(code, age) in MIN_AGE {
                        if case_codes.contains(&code) && p.age_years < age {
                            p.age_years = (age + rng::uniform(r, 0.0, 20.0)).round();
                        }
                    }
                    p.lesions = case_codes
                        .iter()
                        .filter_map(|c| lesions::spec_for_code(c))
                        .collect();
                }
            }
            p
        })
        .collect()
}

/// Generates and writes `count` phantoms under `out_dir` (`case-001`, ...)
/// and `suite.json`.
pub fn generate_suite(
    count: usize,
    seed: u64,
    out_dir: &Path,
    progress: &dyn imaging_io::Progress,
) -> Result<SuiteSummary, PhantomError> {
    write_suite(seed, suite_params(count, seed), out_dir, progress)
}

/// Generates and writes the phantoms of `params` as a suite.
pub fn write_suite(
    seed: u64,
    params: Vec<PhantomParams>,
    out_dir: &Path,
    progress: &dyn imaging_io::Progress,
) -> Result<SuiteSummary, PhantomError> {
    std::fs::create_dir_all(out_dir).map_err(|source| PhantomError::File {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut cases = Vec::new();
    for (i, p) in params.into_iter().enumerate() {
        let name = format!("case-{:03}", i + 1);
        let ph = generate(&p, progress)?;
        write_phantom(&out_dir.join(&name), &ph)?;
        cases.push(SuiteCase {
            case: name,
            findings: ph.truth.findings.len(),
            codes: ph.truth.findings.iter().map(|f| f.code.clone()).collect(),
            lesions: ph.lesions.iter().map(|l| l.describe()).collect(),
            params: p,
        });
    }
    let summary = SuiteSummary { seed, cases };
    write_text(&out_dir.join("suite.json"), &json(&summary))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesions::LesionSpec;

    /// The supported code whose default request is `spec`.
    fn code_of(spec: &LesionSpec) -> &'static str {
        lesions::supported_codes()
            .find(|c| lesions::spec_for_code(c).as_ref() == Some(spec))
            .unwrap_or("?")
    }

    fn codes(p: &PhantomParams) -> Vec<&'static str> {
        p.lesions.iter().map(code_of).collect()
    }

    #[test]
    fn suites_cover_every_supported_code_twice() {
        let supported: Vec<&str> = lesions::supported_codes().collect();
        for (count, seed) in [(10, 1), (10, 99), (13, 7), (25, 2024), (40, 5)] {
            let suite = suite_params(count, seed);
            assert_eq!(suite.len(), count);
            assert_eq!(suite, suite_params(count, seed), "not reproducible");
            let normal = suite.iter().filter(|p| p.normal).count();
            let fifth = count as f64 / 5.0;
            assert!(
                (normal as f64 - fifth).abs() <= 1.0,
                "{normal} normal of {count}"
            );
            for p in &suite {
                p.validate().unwrap();
                assert_eq!(p.normal, p.lesions.is_empty(), "seed {}", p.seed);
                assert!(codes(p).iter().all(|c| *c != "?"), "{:?}", p.lesions);
            }
            for code in &supported {
                let cases = suite.iter().filter(|p| codes(p).contains(code)).count();
                assert!(
                    cases >= 2,
                    "{code} in {cases} case(s) of {count}, seed {seed}"
                );
            }
        }
    }

    #[test]
    fn suites_spread_noise_and_slice_thickness() {
        for (count, seed) in [(10, 1), (10, 99), (30, 3)] {
            let suite = suite_params(count, seed);
            let noise: Vec<f64> = suite.iter().map(|p| p.noise_hu).collect();
            assert!(noise.iter().all(|n| (8.0..=40.0).contains(n)));
            assert!(noise.iter().cloned().fold(f64::INFINITY, f64::min) < 15.0);
            assert!(noise.iter().cloned().fold(0.0, f64::max) > 33.0);
            let slices: Vec<f64> = suite.iter().map(|p| p.slice_mm).collect();
            assert!(slices.iter().all(|s| (0.625..=8.0).contains(s)));
            let thin = slices.iter().filter(|s| **s <= 5.0).count();
            assert!(thin as f64 >= 0.85 * count as f64, "{slices:?}");
            assert!(slices.iter().any(|s| *s > 5.0), "{slices:?}");
            assert!(slices.contains(&0.625), "{slices:?}");
            let distinct: std::collections::BTreeSet<u64> =
                slices.iter().map(|s| (s * 1000.0) as u64).collect();
            assert!(distinct.len() >= 6, "{slices:?}");
            // Sharper kernels where the noise is high.
            let mean_noise = |class: KernelClass| {
                let v: Vec<f64> = suite
                    .iter()
                    .filter(|p| p.kernel.class == class)
                    .map(|p| p.noise_hu)
                    .collect();
                v.iter().sum::<f64>() / v.len().max(1) as f64
            };
            if suite.iter().any(|p| p.kernel.class == KernelClass::Sharp)
                && suite.iter().any(|p| p.kernel.class == KernelClass::Soft)
            {
                assert!(mean_noise(KernelClass::Sharp) > mean_noise(KernelClass::Soft));
            }
            for f in ShapeFamily::ALL {
                assert!(suite.iter().any(|p| p.shape_family == f));
            }
        }
    }

    #[test]
    fn suites_have_realistic_co_occurrences() {
        let supported: Vec<&str> = lesions::supported_codes().collect();
        let suite = suite_params(1000, 11);
        let abnormal: Vec<Vec<&str>> = suite.iter().filter(|p| !p.normal).map(codes).collect();
        // P(companion | code) clearly above P(companion | not code).
        for &(code, companion, p) in COMPANIONS {
            if !supported.contains(&code) || !supported.contains(&companion) {
                continue;
            }
            let rate = |with: bool| {
                let group: Vec<&Vec<&str>> = abnormal
                    .iter()
                    .filter(|c| c.contains(&code) == with)
                    .collect();
                let hits = group.iter().filter(|c| c.contains(&companion)).count();
                (hits as f64 / group.len().max(1) as f64, group.len())
            };
            let (with, n) = rate(true);
            let (without, _) = rate(false);
            assert!(n >= 20, "{code} in only {n} cases");
            assert!(
                with > without + 0.3 * p * (1.0 - without),
                "{companion} with {code}: {with:.2} vs {without:.2} without"
            );
        }
        // Findings that come with age.
        for p in suite.iter() {
            let c = codes(p);
            for &(code, age) in MIN_AGE {
                if c.contains(&code) {
                    assert!(p.age_years >= age, "{code} at age {}", p.age_years);
                }
            }
        }
        // Non-repeatable codes appear at most once per case.
        for c in &abnormal {
            for code in c {
                if !repeatable(code) {
                    assert_eq!(c.iter().filter(|x| *x == code).count(), 1, "{c:?}");
                }
            }
        }
    }

    #[test]
    fn suite_params_survive_json() {
        // suite.json and params.json must regenerate the same cases, with
        // every supported lesion request among them.
        let suite = suite_params(20, 3);
        let text = serde_json::to_string(&suite).unwrap();
        let back: Result<Vec<PhantomParams>, _> = serde_json::from_str(&text);
        match back {
            Ok(back) => assert_eq!(back, suite),
            Err(e) => panic!("suite parameters do not parse back: {e}"),
        }
    }

    #[test]
    fn small_suites_have_abnormal_cases_with_findings() {
        let suite = suite_params(2, 4);
        assert!(suite.iter().all(|p| !p.normal && !p.lesions.is_empty()));
        let suite = suite_params(3, 4);
        assert_eq!(suite.iter().filter(|p| p.normal).count(), 1);
        assert!(suite_params(0, 4).is_empty());
    }
}
