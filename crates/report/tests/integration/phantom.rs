//! The report on real phantoms (crates/phantom): ground truth has the
//! model of findings.json, so these are the documents `airad report`
//! reads. A phantom with ten findings of every kind the phantom can insert
//! (kinds repeated to reach ten), and a normal phantom whose scan stops
//! above the upper abdomen.

use std::time::Instant;

use aisu::catalogue::{CATALOGUE, OrganSystem};
use aisu::{FindingsDocument, Urgency};
use phantom::lesions::{LesionSpec, SUPPORTED, place_all};
use phantom::{Arms, KernelClass, PhantomParams, generate};
use report::assemble::{Entry, ReportInput, assemble};
use report::coverage::{ASSESSED_CODES_KEY, OUT_OF_VIEW_KEY, system_names, systems_out_of_view_in};
use report::render::{Rendered, SectionKind, text::to_text, words};
use report::{Lang, Report};

/// A small, quick phantom: 64 x 64 over the usual field of view, 5 mm
/// slices, arms up, no motion, no lesions.
fn small(seed: u64, normal: bool) -> PhantomParams {
    let mut p = PhantomParams::from_seed(seed);
    p.matrix = 64;
    p.slice_mm = 5.0;
    p.normal = normal;
    p.lesions.clear();
    p.motion = false;
    p.arms = Arms::Up;
    p.kernel = phantom::Kernel::of_class(KernelClass::Standard);
    p
}

/// Requests cycling through `SUPPORTED` (every kind the phantom can
/// insert, whatever that is today) until exactly `n` lesions are placed;
/// a kind whose placement would overshoot `n` (one request may place
/// several lesions, e.g. emphysema in both lungs) or fails is skipped.
/// Placement is counted on the anatomy alone, without rendering.
fn specs_for(p: &PhantomParams, n: usize) -> Vec<LesionSpec> {
    let model = phantom::anatomy::build(p);
    let mut specs: Vec<LesionSpec> = Vec::new();
    let mut placed = 0;
    for round in 0..4 * n {
        if placed == n {
            break;
        }
        let (_, make) = SUPPORTED[round % SUPPORTED.len()];
        let mut trial = specs.clone();
        trial.push(make());
        if let Ok(lesions) = place_all(&model, &trial)
            && lesions.len() <= n
        {
            placed = lesions.len();
            specs = trial;
        }
    }
    assert_eq!(placed, n, "could not place {n} lesions from {SUPPORTED:?}");
    specs
}

fn build(doc: &FindingsDocument) -> (Report, Rendered, Rendered) {
    let report = assemble(&ReportInput::new(doc));
    let en = words(&report, Lang::En);
    let zh = words(&report, Lang::Zh);
    (report, en, zh)
}

/// Sentences of a section naming finding `id`.
fn mentions<'a>(r: &'a Rendered, kind: SectionKind, id: &str) -> Vec<&'a str> {
    r.section(kind)
        .map(|s| {
            s.blocks
                .iter()
                .flat_map(|b| &b.sentences)
                .filter(|t| t.finding_ids.iter().any(|i| i == id))
                .map(|t| t.text.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// True when `sentence` shows one of the finding's measured values (as
/// the wording tables print them: 0, 1 or 2 decimals).
fn shows_a_measurement(sentence: &str, f: &aisu::Finding) -> bool {
    f.measurements.iter().any(|m| {
        [0, 1, 2]
            .iter()
            .any(|&d| sentence.contains(&format!("{:.*}", d, m.value)))
    })
}

#[test]
fn ten_phantom_findings_each_once_significant_in_impression_by_urgency() {
    let start = Instant::now();
    let mut p = small(7, false);
    p.z_extent_mm = Some(180.0);
    p.lesions = specs_for(&p, 10);
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    eprintln!(
        "phantom with {} lesions generated in {:.1} s",
        ph.truth.findings.len(),
        start.elapsed().as_secs_f64()
    );
    let mut doc = ph.truth.clone();
    assert_eq!(doc.findings.len(), 10);
    // 180 mm of chest from above the apices: the scan may end above the
    // liver; whatever the label map says is out of view is recorded.
    let out = systems_out_of_view_in(&ph.labels, &ph.legend, true);
    eprintln!("out of view: {out:?}");
    doc.extra.insert(
        OUT_OF_VIEW_KEY.into(),
        serde_json::json!(system_names(&out)),
    );
    // Kinds in SUPPORTED order, as many as ten findings hold.
    let codes: std::collections::BTreeSet<&str> =
        doc.findings.iter().map(|f| f.code.as_str()).collect();
    let supported: std::collections::BTreeSet<&str> = SUPPORTED.iter().map(|(c, _)| *c).collect();
    assert!(codes.is_subset(&supported), "{codes:?}");
    assert!(
        codes.len() >= SUPPORTED.len().min(10) / 2,
        "a varied phantom: {codes:?}"
    );
    eprintln!("finding codes: {codes:?}");

    let (report, en, zh) = build(&doc);
    for r in [&en, &zh] {
        for f in &doc.findings {
            let found = mentions(r, SectionKind::Findings, &f.id);
            assert_eq!(found.len(), 1, "{} {} in Findings: {found:?}", f.id, f.code);
            let impression = mentions(r, SectionKind::Impression, &f.id);
            if f.urgency < Urgency::Incidental {
                assert_eq!(impression.len(), 1, "{} {} in Impression", f.id, f.code);
            } else {
                assert!(impression.is_empty(), "{} incidental in Impression", f.id);
            }
        }
    }
    // Sentences come from the findings' fields: the English Findings
    // sentence of a finding shows one of its measured values unless the
    // finding is a group member summarised with others.
    for f in &doc.findings {
        let s = mentions(&en, SectionKind::Findings, &f.id)[0];
        let shared = en
            .sentences()
            .any(|(_, t)| t.text == s && t.finding_ids.len() > 1);
        assert!(shared || shows_a_measurement(s, f), "{}: {s}", f.code);
    }
    // Impression order follows urgency, and nothing incidental is in it.
    let tiers: Vec<Urgency> = report.impression.iter().map(|i| i.urgency).collect();
    assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "{tiers:?}");
    assert!(tiers.iter().all(|t| *t < Urgency::Incidental));
    let significant = doc
        .findings
        .iter()
        .filter(|f| f.urgency < Urgency::Incidental)
        .count();
    assert!(significant > 0, "the phantom has findings above incidental");
    let best = doc.findings.iter().map(|f| f.urgency).min().unwrap();
    assert_eq!(tiers.first(), Some(&best));
    // Tier 1 and 2 findings get communication records.
    let urgent: Vec<&str> = doc
        .findings
        .iter()
        .filter(|f| f.urgency <= Urgency::Tier2)
        .map(|f| f.id.as_str())
        .collect();
    let mut comm: Vec<&str> = report
        .communications
        .iter()
        .map(|c| c.finding_id.as_str())
        .collect();
    comm.sort();
    assert_eq!(comm.len(), urgent.len());
    // A system out of view gets no statement unless a finding lies in it.
    for system in &out {
        let has_finding = doc
            .findings
            .iter()
            .any(|f| aisu::catalogue::entry(&f.code).is_some_and(|e| e.system == *system));
        assert_eq!(
            report.sections.iter().any(|s| s.system == *system),
            has_finding,
            "{system:?}"
        );
    }
    let text = to_text(&en);
    assert!(text.contains("PRELIMINARY, NOT SIGNED"));
    assert!(text.contains("Pulmonary embolism cannot be assessed without intravenous contrast."));
    assert!(to_text(&zh).contains("初步报告，尚未签发"));
}

#[test]
fn normal_phantom_gets_only_normal_statements_and_out_of_view_gets_none() {
    let mut p = small(11, true);
    // The scan stops 120 mm below its top: the upper abdomen is not drawn.
    p.z_extent_mm = Some(120.0);
    p.slice_mm = 2.5;
    p.kvp = 120.0;
    let ph = generate(&p, &imaging_io::NoProgress).unwrap();
    let mut doc = ph.truth.clone();
    assert!(doc.findings.is_empty());
    let out = systems_out_of_view_in(&ph.labels, &ph.legend, true);
    assert_eq!(
        out,
        [OrganSystem::UpperAbdomen],
        "liver, spleen, stomach absent"
    );
    doc.extra.insert(
        OUT_OF_VIEW_KEY.into(),
        serde_json::json!(system_names(&out)),
    );
    // As `airad analyze` writes it when every unit finished.
    let all: Vec<&str> = CATALOGUE.iter().map(|e| e.code).collect();
    doc.extra
        .insert(ASSESSED_CODES_KEY.into(), serde_json::json!(all));

    let (report, en, zh) = build(&doc);
    assert!(report.impression.is_empty());
    assert!(report.communications.is_empty());
    for r in [&en, &zh] {
        assert!(
            r.sentences().all(|(_, s)| s.finding_ids.is_empty()),
            "no sentence about a finding"
        );
    }
    // Every system in view gets its normal statement; the upper abdomen,
    // out of view, gets no statement at all.
    let in_view: Vec<OrganSystem> = OrganSystem::ALL
        .into_iter()
        .filter(|s| *s != OrganSystem::UpperAbdomen)
        .collect();
    let systems: Vec<OrganSystem> = report.sections.iter().map(|s| s.system).collect();
    assert_eq!(systems, in_view);
    for section in &report.sections {
        assert_eq!(
            section.entries.first(),
            Some(&Entry::Normal),
            "{:?}",
            section.system
        );
        assert!(
            section.entries.iter().all(|e| matches!(
                e,
                Entry::Normal | Entry::PulmonaryEmbolismLimit | Entry::NotAssessed { .. }
            )),
            "{:?}: {:?}",
            section.system,
            section.entries
        );
    }
    let text = to_text(&en);
    assert!(
        text.contains("No abnormality of the lungs detected."),
        "{text}"
    );
    assert!(!text.contains("Upper abdomen"), "{text}");
    assert!(
        text.contains("No significant abnormality among the findings evaluated by the software.")
    );
    let zh_text = to_text(&zh);
    assert!(zh_text.contains("双肺未见明确异常。"), "{zh_text}");
    assert!(!zh_text.contains("上腹部"), "{zh_text}");

    // Without the list the same document names the upper abdomen, since
    // the phantom's liver value (an exam measurement) counts as assessed:
    // the statement disappears because of the field of view alone.
    doc.extra.remove(OUT_OF_VIEW_KEY);
    let (report, _, _) = build(&doc);
    assert!(
        report
            .sections
            .iter()
            .any(|s| s.system == OrganSystem::UpperAbdomen)
    );
}
