//! Renderers. [`words`] turns a [`Report`] into a [`Rendered`] report in
//! one language: sections of sentences, each sentence knowing the findings
//! it speaks about. Every output format (text, HTML, PDF) is drawn from a
//! [`Rendered`], so all formats say exactly the same thing.

pub mod html;
pub mod text;

use serde::Serialize;

use crate::assemble::{Entry, GroupRole, Report};
use crate::wording::{Ctx, Heading, Lang, finding_sentence};

/// One sentence and the ids of the findings it is about (empty for
/// normal statements and other sentences about no finding).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sentence {
    /// Finding ids.
    pub finding_ids: Vec<String>,
    /// The text.
    pub text: String,
}

impl Sentence {
    fn plain(text: String) -> Self {
        Sentence {
            finding_ids: Vec::new(),
            text,
        }
    }
}

/// A group of sentences under an optional sub-heading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    /// Sub-heading (organ system), if any.
    pub heading: Option<String>,
    /// The sentences.
    pub sentences: Vec<Sentence>,
}

/// A section of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Which section.
    pub kind: SectionKind,
    /// Heading in the report's language.
    pub heading: String,
    /// Its blocks.
    pub blocks: Vec<Block>,
    /// True when its sentences are numbered (Impression).
    pub numbered: bool,
}

/// The sections, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    /// Indication.
    Indication,
    /// Technique.
    Technique,
    /// Comparison.
    Comparison,
    /// Findings.
    Findings,
    /// Impression.
    Impression,
    /// Communication of tier-1 and tier-2 findings.
    Communication,
    /// Sign-off.
    SignOff,
}

/// A report in one language, ready for any format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rendered {
    /// Language.
    pub lang: Lang,
    /// Title.
    pub title: String,
    /// "PRELIMINARY, NOT SIGNED" (or the signature).
    pub status: String,
    /// Patient and study lines.
    pub header: Vec<String>,
    /// Sections.
    pub sections: Vec<Section>,
    /// Closing disclaimer.
    pub disclaimer: String,
}

impl Rendered {
    /// The section of a kind.
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == kind)
    }

    /// Every sentence of every section.
    pub fn sentences(&self) -> impl Iterator<Item = (&Section, &Sentence)> {
        self.sections.iter().flat_map(|s| {
            s.blocks
                .iter()
                .flat_map(move |b| b.sentences.iter().map(move |t| (s, t)))
        })
    }
}

fn header(report: &Report, lang: Lang) -> Vec<String> {
    let s = &report.study;
    let zh = lang == Lang::Zh;
    let mut lines = Vec::new();
    let mut patient = Vec::new();
    if let Some(n) = &s.patient_name {
        patient.push(n.replace('^', " ").trim().to_string());
    }
    if let Some(id) = &s.patient_id {
        patient.push(format!("ID {id}"));
    }
    if let Some(sex) = &s.patient_sex {
        patient.push(match (zh, sex.as_str()) {
            (true, "M") => "男".into(),
            (true, "F") => "女".into(),
            _ => sex.clone(),
        });
    }
    if let Some(a) = s.patient_age_years {
        patient.push(if zh {
            format!("{} 岁", a.floor())
        } else {
            format!("{} years", a.floor())
        });
    }
    let colon = if zh { "：" } else { ": " };
    if !patient.is_empty() {
        let (label, comma) = if zh {
            ("患者", "，")
        } else {
            ("Patient", ", ")
        };
        lines.push(format!("{label}{colon}{}", patient.join(comma)));
    }
    if let Some(d) = &s.study_date {
        let label = if zh { "检查日期" } else { "Study date" };
        lines.push(format!("{label}{colon}{}", crate::wording::iso_date(d)));
    }
    if let Some(a) = &s.accession_number {
        let label = if zh { "检查号" } else { "Accession" };
        lines.push(format!("{label}{colon}{a}"));
    }
    if let Some(u) = &s.study_uid {
        lines.push(format!("Study UID{colon}{u}"));
    }
    lines
}

/// The report in `lang`.
pub fn words(report: &Report, lang: Lang) -> Rendered {
    let w = lang.wording();
    let one = |kind, heading, sentences: Vec<Sentence>| Section {
        kind,
        heading: w.heading(heading).to_string(),
        blocks: vec![Block {
            heading: None,
            sentences,
        }],
        numbered: false,
    };
    let prior_date = report
        .comparison
        .as_ref()
        .and_then(|c| c.prior_date.as_deref());
    let ctx = |id: &str, role: GroupRole| {
        report.finding(id).map(|f| Ctx {
            f,
            role,
            change: report.comparison.as_ref().and_then(|c| c.change_of(id)),
            slice_mm: report.study.slice_thickness_mm,
            prior_date,
        })
    };
    let mut sections = vec![
        one(
            SectionKind::Indication,
            Heading::Indication,
            vec![Sentence::plain(
                report
                    .indication
                    .clone()
                    .unwrap_or_else(|| w.indication_not_given()),
            )],
        ),
        one(
            SectionKind::Technique,
            Heading::Technique,
            vec![Sentence::plain(w.technique(&report.study))],
        ),
        one(
            SectionKind::Comparison,
            Heading::Comparison,
            vec![Sentence::plain(w.comparison(report.comparison.as_ref()))],
        ),
    ];
    let mut blocks = Vec::new();
    for section in &report.sections {
        let mut sentences = Vec::new();
        for entry in &section.entries {
            let sentence = match entry {
                Entry::Finding { id, role } => match ctx(id, *role) {
                    Some(c) => Sentence {
                        finding_ids: vec![id.clone()],
                        text: finding_sentence(lang, &c),
                    },
                    None => continue,
                },
                Entry::Rest { code, ids } => Sentence {
                    finding_ids: ids.clone(),
                    text: w.rest(code, ids.len()),
                },
                Entry::Resolved { code } => Sentence::plain(w.resolved(code)),
                Entry::Normal => Sentence::plain(w.normal(section.system)),
                Entry::NotAssessed { code, reason } => {
                    Sentence::plain(w.not_assessed(code, reason))
                }
                Entry::NotEvaluated { codes } => Sentence::plain(w.not_evaluated(codes)),
                Entry::SystemNotEvaluated => {
                    Sentence::plain(w.system_not_evaluated(section.system))
                }
                Entry::PulmonaryEmbolismLimit => Sentence::plain(w.pe_limit()),
            };
            sentences.push(sentence);
        }
        blocks.push(Block {
            heading: Some(w.system_name(section.system).to_string()),
            sentences,
        });
    }
    sections.push(Section {
        kind: SectionKind::Findings,
        heading: w.heading(Heading::Findings).to_string(),
        blocks,
        numbered: false,
    });
    let mut impression = Vec::new();
    for item in &report.impression {
        let Some(c) = ctx(&item.lead, GroupRole::Single) else {
            continue;
        };
        let mut text = String::new();
        if item.ids.len() > 1 {
            text.push_str(&w.several(item.ids.len()));
            if lang != Lang::Zh {
                text.push(' ');
            }
        }
        text.push_str(&finding_sentence(lang, &c));
        let gap = if lang == Lang::Zh { "" } else { " " };
        if item.urgency < aisu::Urgency::Routine {
            text.push_str(gap);
            text.push_str(&w.urgency(item.urgency));
            text.push_str(if lang == Lang::Zh { "。" } else { "." });
        }
        if let Some(a) = &item.follow_up {
            text.push_str(gap);
            text.push_str(&w.follow_up(a));
        }
        impression.push(Sentence {
            finding_ids: item.ids.clone(),
            text,
        });
    }
    if impression.is_empty() {
        impression.push(Sentence::plain(w.no_significant()));
    }
    let mut impression_blocks = vec![Block {
        heading: None,
        sentences: impression,
    }];
    if let Some(e) = &report.exam_lung_rads {
        impression_blocks.push(Block {
            heading: None,
            sentences: vec![Sentence::plain(w.exam_lung_rads(e))],
        });
    }
    sections.push(Section {
        kind: SectionKind::Impression,
        heading: w.heading(Heading::Impression).to_string(),
        blocks: impression_blocks,
        numbered: true,
    });
    if !report.communications.is_empty() {
        let sentences = report
            .communications
            .iter()
            .filter_map(|c| {
                report.finding(&c.finding_id).map(|f| Sentence {
                    finding_ids: vec![f.id.clone()],
                    text: w.communication(c, f),
                })
            })
            .collect();
        sections.push(one(
            SectionKind::Communication,
            Heading::Communication,
            sentences,
        ));
    }
    sections.push(one(
        SectionKind::SignOff,
        Heading::SignOff,
        vec![Sentence::plain(w.status(&report.sign_off))],
    ));
    Rendered {
        lang,
        title: w.heading(Heading::Title).to_string(),
        status: w.status(&report.sign_off),
        header: header(report, lang),
        sections,
        disclaimer: w.disclaimer(),
    }
}
