//! Sample findings documents built in code: the inputs of the report
//! tests, the benchmark and the generated examples of docs/outputs.md.
//! Values are plausible, not real patient data.

use aisu::catalogue::CATALOGUE;
use aisu::model::Extra;
use aisu::{
    AisuRef, Category, ExamContext, Finding, FindingsDocument, Measurement, NotAssessed, Site,
    StudyInfo, Urgency,
};
use serde_json::json;

use crate::coverage::{ASSESSED_CODES_KEY, OUT_OF_VIEW_KEY};

/// A site from its parts ("" leaves a part empty).
pub fn site(side: &str, lobe: &str) -> Site {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Site {
        side: some(side),
        lobe: some(lobe),
        ..Site::default()
    }
}

/// A finding at `centroid` with a 10 mm box, mask label = its number.
pub fn finding(
    n: u32,
    code: &str,
    site: Site,
    measurements: &[(&str, f64, &str)],
    urgency: Urgency,
) -> Finding {
    let c = [
        -60.0 + 10.0 * f64::from(n % 12),
        -20.0,
        -100.0 - 8.0 * f64::from(n),
    ];
    Finding {
        id: format!("f-{n:04}"),
        code: code.to_string(),
        site,
        centroid_lps_mm: c,
        bbox_lps_mm: [
            [c[0] - 5.0, c[1] - 5.0, c[2] - 5.0],
            [c[0] + 5.0, c[1] + 5.0, c[2] + 5.0],
        ],
        key_slice: n as usize,
        mask_label: n,
        measurements: measurements
            .iter()
            .map(|(name, v, u)| Measurement::new(*name, *v, *u))
            .collect(),
        morphology: Vec::new(),
        category: None,
        urgency,
        confidence: 0.9,
        assessable: true,
        aisu: AisuRef {
            id: format!("airad.sample.{}", code.to_ascii_lowercase()),
            version: "0.1.0".into(),
        },
        extra: Extra::new(),
    }
}

/// A grade.
pub fn grade(system: &str, value: &str, context: ExamContext) -> Option<Category> {
    Some(Category {
        system: system.into(),
        value: value.into(),
        context,
    })
}

/// The study block of the samples: screening LDCT, 1 mm slices.
pub fn study(context: ExamContext) -> StudyInfo {
    let mut s = StudyInfo {
        study_uid: Some("2.25.1234567890".into()),
        series_uid: Some("2.25.1234567891".into()),
        slice_thickness_mm: Some(1.0),
        kvp: Some(120.0),
        kernel: Some("B40f".into()),
        context,
        extra: Extra::new(),
    };
    s.extra.insert("study_date".into(), json!("20250301"));
    s.extra.insert("patient_sex".into(), json!("M"));
    s.extra.insert("patient_age_years".into(), json!(64));
    s.extra.insert("ctdi_vol_mgy".into(), json!(2.1));
    s
}

/// Marks every code but those of the upper abdomen as assessed and the
/// upper abdomen as outside the field of view.
pub fn cover_all_but_upper_abdomen(doc: &mut FindingsDocument) {
    let codes: Vec<&str> = CATALOGUE
        .iter()
        .filter(|e| e.system != aisu::catalogue::OrganSystem::UpperAbdomen)
        .map(|e| e.code)
        .collect();
    doc.extra.insert(ASSESSED_CODES_KEY.into(), json!(codes));
    doc.extra
        .insert(OUT_OF_VIEW_KEY.into(), json!(["upper_abdomen"]));
}

/// A screening exam with ten findings of every urgency.
pub fn ten_findings() -> FindingsDocument {
    use ExamContext::Screening as S;
    use Urgency::*;
    let mut doc = FindingsDocument::new(study(S));
    let mut f1 = finding(
        1,
        "F01",
        Site {
            zone: Some("subpleural".into()),
            ..site("right", "RUL")
        },
        &[
            ("mean_diameter", 8.2, "mm"),
            ("long_axis", 9.1, "mm"),
            ("short_axis", 7.4, "mm"),
            ("volume", 0.29, "mL"),
        ],
        Routine,
    );
    f1.morphology = vec!["solid".into(), "lobulated".into()];
    f1.category = grade("Lung-RADS v2022", "4A", S);
    let mut f2 = finding(
        2,
        "F01",
        site("left", "LLL"),
        &[("mean_diameter", 4.1, "mm")],
        Incidental,
    );
    f2.category = grade("Lung-RADS v2022", "2", S);
    let mut f3 = finding(
        3,
        "F02",
        site("right", "RML"),
        &[("mean_diameter", 12.0, "mm"), ("solid_diameter", 5.0, "mm")],
        Routine,
    );
    f3.morphology = vec!["part-solid".into()];
    f3.category = grade("Lung-RADS v2022", "3", S);
    let f4 = finding(
        4,
        "F15",
        site("left", ""),
        &[
            ("volume", 350.0, "mL"),
            ("hemithorax_percent", 18.0, "%"),
            ("max_rim", 25.0, "mm"),
        ],
        Tier1,
    );
    let f5 = finding(
        5,
        "F14",
        site("right", ""),
        &[
            ("volume", 420.0, "mL"),
            ("max_depth", 38.0, "mm"),
            ("mean_hu", 34.0, "HU"),
        ],
        Tier2,
    );
    let mut f6 = finding(
        6,
        "F19",
        Site::default(),
        &[("agatston", 245.0, "1")],
        Routine,
    );
    f6.category = grade("CAC-DRS", "A2/N2", S);
    let f7 = finding(
        7,
        "F28",
        Site {
            rib: Some(5),
            segment: Some("lateral".into()),
            ..site("right", "")
        },
        &[("displacement", 2.5, "mm")],
        Tier3,
    );
    let f8 = finding(
        8,
        "F24",
        Site {
            station: Some("4R".into()),
            ..Site::default()
        },
        &[("short_axis", 12.5, "mm")],
        Routine,
    );
    let mut f9 = finding(
        9,
        "F04",
        site("left", "LUL"),
        &[("mean_diameter", 5.0, "mm"), ("max_hu", 610.0, "HU")],
        Incidental,
    );
    f9.category = grade("Lung-RADS v2022", "1", S);
    let f10 = finding(
        10,
        "F26",
        Site::default(),
        &[("height", 30.0, "mm")],
        Incidental,
    );
    doc.findings = vec![f1, f2, f3, f4, f5, f6, f7, f8, f9, f10];
    cover_all_but_upper_abdomen(&mut doc);
    doc.not_assessed.push(NotAssessed {
        code: "F30".into(),
        reason: "opportunistic bone density thresholds need 120 kV and an L1 level in view".into(),
    });
    doc
}

/// A normal exam: every code but the upper abdomen's assessed, nothing found.
pub fn normal_exam() -> FindingsDocument {
    let mut doc = FindingsDocument::new(study(ExamContext::Screening));
    cover_all_but_upper_abdomen(&mut doc);
    doc
}

/// One finding of every catalogue code (the benchmark's 39-finding exam).
pub fn all_codes() -> FindingsDocument {
    let mut doc = FindingsDocument::new(study(ExamContext::Unknown));
    for (i, e) in CATALOGUE.iter().enumerate() {
        let n = i as u32 + 1;
        let urgency = [
            Urgency::Tier1,
            Urgency::Tier2,
            Urgency::Tier3,
            Urgency::Routine,
            Urgency::Incidental,
        ][i % 5];
        let mut f = finding(
            n,
            e.code,
            site(["right", "left"][i % 2], ["RUL", "LLL", ""][i % 3]),
            &[
                ("max_diameter", 5.0 + i as f64, "mm"),
                ("mean_hu", 20.0 + i as f64, "HU"),
            ],
            urgency,
        );
        f.morphology = vec!["lobulated".into()];
        doc.findings.push(f);
    }
    cover_all_but_upper_abdomen(&mut doc);
    doc
}

/// The sample ten-finding report in both languages, as the markdown block
/// pasted into docs/outputs.md by `cargo run -p report --example
/// outputs_doc` (a test checks the docs hold exactly this text).
pub fn markdown_sample() -> String {
    use crate::render::{text::to_text, words};
    let doc = ten_findings();
    let report = crate::assemble(&crate::ReportInput::new(&doc));
    let mut s = String::new();
    for (lang, name) in [
        (crate::Lang::En, "English (report.txt)"),
        (crate::Lang::Zh, "Simplified Chinese (report.zh.txt)"),
    ] {
        s.push_str(&format!(
            "\n#### {name}\n\n```text\n{}```\n",
            to_text(&words(&report, lang))
        ));
    }
    s
}
