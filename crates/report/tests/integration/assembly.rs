//! Report assembly and wording on findings documents built in code.

use aisu::catalogue::{CATALOGUE, OrganSystem};
use aisu::{ExamContext, FindingsDocument, Urgency};
use report::assemble::{Entry, ExamLungRads, GroupRole, ReportInput, assemble};
use report::prior::Trend;
use report::render::{Rendered, SectionKind, text::to_text, words};
use report::sample;
use report::{Lang, Report};

fn build(doc: &FindingsDocument) -> (Report, Rendered, Rendered) {
    let report = assemble(&ReportInput::new(doc));
    let en = words(&report, Lang::En);
    let zh = words(&report, Lang::Zh);
    (report, en, zh)
}

/// How many sentences of a section name each finding id.
fn mentions(r: &Rendered, kind: SectionKind, id: &str) -> usize {
    r.section(kind)
        .map(|s| {
            s.blocks
                .iter()
                .flat_map(|b| &b.sentences)
                .filter(|t| t.finding_ids.iter().any(|i| i == id))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn ten_findings_each_once_significant_in_impression_ranked_by_urgency() {
    let doc = sample::ten_findings();
    assert_eq!(doc.findings.len(), 10);
    doc.validate().unwrap();
    let (report, en, zh) = build(&doc);
    for r in [&en, &zh] {
        for f in &doc.findings {
            assert_eq!(
                mentions(r, SectionKind::Findings, &f.id),
                1,
                "{} in Findings",
                f.id
            );
            let in_impression = mentions(r, SectionKind::Impression, &f.id);
            if f.urgency < Urgency::Incidental {
                assert_eq!(in_impression, 1, "{} above incidental in Impression", f.id);
            } else {
                assert_eq!(
                    in_impression, 0,
                    "{} incidental kept out of Impression",
                    f.id
                );
            }
        }
    }
    let tiers: Vec<Urgency> = report.impression.iter().map(|i| i.urgency).collect();
    assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "{tiers:?}");
    assert_eq!(tiers.first(), Some(&Urgency::Tier1));
    assert_eq!(report.impression[0].lead, "f-0004", "pneumothorax first");
    // Tier 1 and 2 findings get communication records.
    let comm: Vec<&str> = report
        .communications
        .iter()
        .map(|c| c.finding_id.as_str())
        .collect();
    assert_eq!(comm, ["f-0004", "f-0005"]);
    // Exam Lung-RADS: worst 4A, S for the significant non-lung-cancer findings.
    assert_eq!(
        report.exam_lung_rads,
        Some(ExamLungRads::Category {
            value: "4A".into(),
            s_modifier: true
        })
    );
    // The upper abdomen (out of view) has no section at all.
    assert!(
        report
            .sections
            .iter()
            .all(|s| s.system != OrganSystem::UpperAbdomen)
    );
    let text = to_text(&en);
    assert!(!text.contains("Upper abdomen"), "{text}");
    assert!(text.contains("PRELIMINARY, NOT SIGNED"));
    assert!(text.contains("Pulmonary embolism cannot be assessed without intravenous contrast."));
    assert!(text.contains("Not assessed: low bone density"));
    assert!(text.contains("Lung-RADS v2022 exam category: 4A S"));
    let zh_text = to_text(&zh);
    assert!(zh_text.contains("初步报告，尚未签发"));
    assert!(zh_text.contains("平扫CT无法评估肺动脉栓塞。"));
    assert!(!zh_text.contains("上腹部"));
}

#[test]
fn nodules_are_described_as_dominant_plus_count() {
    let doc = sample::ten_findings();
    let (report, en, zh) = build(&doc);
    let lungs = &report.sections[0];
    assert_eq!(lungs.system, OrganSystem::Lungs);
    assert_eq!(
        lungs.entries[..2],
        [
            Entry::Finding {
                id: "f-0001".into(),
                role: GroupRole::Dominant { count: 2 }
            },
            Entry::Finding {
                id: "f-0002".into(),
                role: GroupRole::Member
            },
        ]
    );
    let lung_text: Vec<&str> = en.section(SectionKind::Findings).unwrap().blocks[0]
        .sentences
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    assert!(
        lung_text[0].starts_with("2 solid pulmonary nodules; the dominant one (right upper lobe, subpleural) measures 8.2 mm"),
        "{}",
        lung_text[0]
    );
    assert!(
        lung_text[0].ends_with("Lung-RADS v2022 category 4A (screening)."),
        "{}",
        lung_text[0]
    );
    assert_eq!(
        lung_text[1],
        "Another solid pulmonary nodule in the left lower lobe, 4.1 mm."
    );
    let zh_lungs = &zh.section(SectionKind::Findings).unwrap().blocks[0].sentences;
    assert_eq!(
        zh_lungs[0].text,
        "肺内见实性结节 2 枚，其中最大者位于右肺上叶胸膜下，平均直径约 8.2 mm（长径约 9.1 mm，短径约 7.4 mm，体积约 0.29 ml），分叶状；Lung-RADS v2022 4A 类（筛查）。"
    );
    assert_eq!(
        zh_lungs[1].text,
        "另见左肺下叶实性结节，平均直径约 4.1 mm。"
    );
}

#[test]
fn a_normal_exam_gets_only_normal_statements() {
    let doc = sample::normal_exam();
    let (report, en, zh) = build(&doc);
    assert!(report.impression.is_empty());
    for r in [&en, &zh] {
        assert!(r.sentences().all(|(_, s)| s.finding_ids.is_empty()));
    }
    let findings = en.section(SectionKind::Findings).unwrap();
    let systems: Vec<&str> = findings
        .blocks
        .iter()
        .filter_map(|b| b.heading.as_deref())
        .collect();
    assert_eq!(
        systems,
        [
            "Lungs",
            "Airways",
            "Pleura",
            "Heart and great vessels",
            "Mediastinum",
            "Chest wall",
            "Bones",
            "Devices"
        ]
    );
    for section in &report.sections {
        let normal = section
            .entries
            .iter()
            .filter(|e| **e == Entry::Normal)
            .count();
        assert_eq!(normal, 1, "{:?}", section.system);
        assert!(
            section
                .entries
                .iter()
                .all(|e| matches!(e, Entry::Normal | Entry::PulmonaryEmbolismLimit))
        );
    }
    let text = to_text(&en);
    assert!(text.contains("No abnormality of the lungs detected."));
    assert!(
        text.contains("No significant abnormality among the findings evaluated by the software.")
    );
    assert!(text.contains("Lung-RADS v2022 exam category: 1."));
    assert!(to_text(&zh).contains("双肺未见明确异常。"));
}

#[test]
fn nothing_is_called_normal_without_a_unit_that_looked() {
    // No assessed_codes: only present codes count as assessed.
    let mut doc = sample::ten_findings();
    doc.extra.remove("assessed_codes");
    doc.extra.remove("systems_out_of_view");
    let (report, en, _) = build(&doc);
    assert!(
        report
            .sections
            .iter()
            .all(|s| !s.entries.contains(&Entry::Normal))
    );
    let abdomen = report
        .sections
        .iter()
        .find(|s| s.system == OrganSystem::UpperAbdomen)
        .unwrap();
    assert_eq!(abdomen.entries, [Entry::SystemNotEvaluated]);
    let text = to_text(&en);
    assert!(text.contains("Not evaluated by the software."));
    assert!(!text.contains("No abnormality of the lungs"));
}

#[test]
fn thick_slices_make_lung_rads_not_applicable_and_small_nodules_limited() {
    let mut doc = sample::ten_findings();
    doc.study.slice_thickness_mm = Some(5.0);
    let (report, en, zh) = build(&doc);
    assert_eq!(
        report.exam_lung_rads,
        Some(ExamLungRads::NotApplicable { slice_mm: 5.0 })
    );
    let text = to_text(&en);
    assert!(
        text.contains("4.1 mm; assessment limited on 5.0 mm slices."),
        "{text}"
    );
    assert!(to_text(&zh).contains("层厚 5.0 mm，评估受限"));
}

#[test]
fn unknown_context_names_the_guidelines_instead_of_a_category() {
    let mut doc = sample::ten_findings();
    doc.study.context = ExamContext::Unknown;
    for f in &mut doc.findings {
        f.category = None;
    }
    let (report, en, _) = build(&doc);
    assert!(report.exam_lung_rads.is_none());
    let text = to_text(&en);
    assert!(text.contains("Exam context not given: Lung-RADS v2022 applies to a screening"));
    assert!(!text.contains("exam category"));
}

#[test]
fn prior_nodules_are_matched_and_growth_reported() {
    let doc = sample::ten_findings();
    let mut prior = sample::ten_findings();
    prior
        .study
        .extra
        .insert("study_date".into(), serde_json::json!("20240301"));
    // f-0001 was 6.0 mm at almost the same place; f-0003 was elsewhere.
    prior.findings[0].measurements[0].value = 6.0;
    prior.findings[0].centroid_lps_mm[0] += 3.0;
    prior.findings[2].centroid_lps_mm[2] += 60.0;
    prior.findings[2].bbox_lps_mm[0][2] += 60.0;
    prior.findings[2].bbox_lps_mm[1][2] += 60.0;
    let mut input = ReportInput::new(&doc);
    input.prior = Some(&prior);
    let report = assemble(&input);
    let c = report.comparison.as_ref().unwrap();
    assert_eq!(c.interval_days, Some(365));
    let grown = c.change_of("f-0001").unwrap();
    assert_eq!(grown.trend, Trend::Growing);
    assert!((grown.delta_mm.unwrap() - 2.2).abs() < 1e-9);
    assert_eq!(c.change_of("f-0002").unwrap().trend, Trend::Stable);
    assert_eq!(c.change_of("f-0003").unwrap().trend, Trend::New);
    assert_eq!(c.resolved.len(), 1);
    let text = to_text(&words(&report, Lang::En));
    assert!(
        text.contains(
            "growing since 2024-03-01: mean diameter 6.0 mm to 8.2 mm (+2.2 mm over 12 months)"
        ),
        "{text}"
    );
    assert!(text.contains("Prior CT of 2024-03-01 (12 months earlier)."));
    let zh = to_text(&words(&report, Lang::Zh));
    assert!(
        zh.contains("较2024年3月1日增大：平均直径由 6.0 mm 增至 8.2 mm（+2.2 mm，间隔约 12 个月）"),
        "{zh}"
    );
}

#[test]
fn every_code_has_a_sentence_in_both_languages() {
    let doc = sample::all_codes();
    let (report, en, zh) = build(&doc);
    assert_eq!(report.findings.len(), CATALOGUE.len());
    for f in &doc.findings {
        for r in [&en, &zh] {
            let s: Vec<&str> = r
                .sentences()
                .filter(|(sec, t)| {
                    sec.kind == SectionKind::Findings && t.finding_ids.contains(&f.id)
                })
                .map(|(_, t)| t.text.as_str())
                .collect();
            assert_eq!(s.len(), 1, "{} {:?}", f.code, r.lang);
            let size = format!("{:.1}", f.measurement("max_diameter").unwrap());
            assert!(s[0].contains(&size), "{} {:?}: {}", f.code, r.lang, s[0]);
        }
        let zh_sentence = zh
            .sentences()
            .find(|(sec, t)| sec.kind == SectionKind::Findings && t.finding_ids.contains(&f.id))
            .map(|(_, t)| t.text.clone())
            .unwrap();
        assert!(zh_sentence.ends_with('。'), "{zh_sentence}");
        assert!(
            zh_sentence
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh_sentence}"
        );
    }
    // Both tables have one row per code, in code order.
    for (table, name) in [
        (report::wording::en::TEMPLATES, "en"),
        (report::wording::zh::TEMPLATES, "zh"),
    ] {
        let codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
        let expected: Vec<&str> = CATALOGUE.iter().map(|e| e.code).collect();
        assert_eq!(codes, expected, "{name}");
    }
}

/// A vertebral fracture reads with its Genant shape, its heights and what
/// the unit says of its age, in both languages.
#[test]
fn a_vertebral_fracture_reads_with_its_shape_heights_and_age() {
    let mut doc = sample::all_codes();
    let f = doc.findings.iter_mut().find(|f| f.code == "F29").unwrap();
    f.site.vertebra = Some("T11".into());
    f.morphology = vec!["wedge".into()];
    f.measurements = vec![
        aisu::Measurement::new("height_loss_percent", 23.0, "%"),
        aisu::Measurement::new("anterior_height", 15.9, "mm"),
        aisu::Measurement::new("posterior_height", 19.7, "mm"),
    ];
    f.extra.insert(
        "age".into(),
        serde_json::json!("indeterminate: compare with prior imaging"),
    );
    let id = f.id.clone();
    let (_, en, zh) = build(&doc);
    let sentence = |r: &Rendered| {
        r.sentences()
            .find(|(sec, t)| sec.kind == SectionKind::Findings && t.finding_ids.contains(&id))
            .map(|(_, t)| t.text.clone())
            .unwrap()
    };
    let (en, zh) = (sentence(&en), sentence(&zh));
    for part in [
        "Wedge compression fracture of T11",
        "height loss 23.0%",
        "anterior height 15.9 mm",
        "age indeterminate",
    ] {
        assert!(en.contains(part), "{en}");
    }
    for part in ["楔形压缩性骨折", "前缘高度约 15.9 mm", "新旧程度不能确定"] {
        assert!(zh.contains(part), "{zh}");
    }
}
