//! Plain-text report (`report.txt`, `report.zh.txt`): radiology prose,
//! one paragraph per section, organ systems as sub-headings, the
//! Impression numbered.

use super::Rendered;

/// The report as plain text (UTF-8, `\n` line ends).
pub fn to_text(r: &Rendered) -> String {
    let mut out = String::new();
    out.push_str(&r.title);
    out.push('\n');
    out.push_str(&r.status);
    out.push('\n');
    for line in &r.header {
        out.push_str(line);
        out.push('\n');
    }
    for section in &r.sections {
        out.push('\n');
        out.push_str(&section.heading.to_uppercase());
        out.push('\n');
        for (b, block) in section.blocks.iter().enumerate() {
            if let Some(h) = &block.heading {
                out.push_str(h);
                out.push_str(if r.lang == crate::Lang::Zh {
                    "："
                } else {
                    ":"
                });
                out.push('\n');
            }
            for (i, sentence) in block.sentences.iter().enumerate() {
                if section.numbered && b == 0 && !sentence.finding_ids.is_empty() {
                    out.push_str(&format!("{}. ", i + 1));
                } else if block.heading.is_some() {
                    out.push_str("  ");
                }
                out.push_str(&sentence.text);
                out.push('\n');
            }
        }
    }
    out.push('\n');
    out.push_str(&r.disclaimer);
    out.push('\n');
    out
}
