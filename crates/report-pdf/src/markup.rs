//! Generates the typst source of the report. All report text goes in as
//! typst string literals (`#"..."`), so no character of a report can be
//! read as markup.

use report::Lang;
use report::Rendered;
use report::render::SectionKind;
use report::render::html::KeyImage;

/// A typst string literal of `text`.
pub fn lit(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            '\r' | '\t' => s.push(' '),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

/// (year, month, day) of days since 1970-01-01.
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn report_body(r: &Rendered, out: &mut String) {
    let (lang, region) = match r.lang {
        Lang::En => ("en", "gb"),
        Lang::Zh => ("zh", "cn"),
    };
    out.push_str(&format!(
        "#set text(lang: \"{lang}\", region: \"{region}\")\n"
    ));
    out.push_str(&format!(
        "#align(left, text(size: 16pt, weight: \"bold\", {}))\n",
        lit(&r.title)
    ));
    out.push_str(&format!(
        "#block(fill: rgb(\"#b00020\"), inset: 5pt, radius: 2pt, text(fill: white, weight: \"bold\", {}))\n",
        lit(&r.status)
    ));
    for line in &r.header {
        out.push_str(&format!("#text(size: 9pt, {}) \\\n", lit(line)));
    }
    for section in &r.sections {
        out.push_str(&format!("\n== #{}\n", lit(&section.heading)));
        for (b, block) in section.blocks.iter().enumerate() {
            if let Some(h) = &block.heading {
                out.push_str(&format!("\n=== #{}\n", lit(h)));
            }
            let numbered = section.kind == SectionKind::Impression
                && b == 0
                && block.sentences.iter().any(|s| !s.finding_ids.is_empty());
            if numbered {
                for s in &block.sentences {
                    out.push_str(&format!("+ #{}\n", lit(&s.text)));
                }
            } else {
                let joined: Vec<String> = block
                    .sentences
                    .iter()
                    .map(|s| format!("#{}", lit(&s.text)))
                    .collect();
                out.push('\n');
                out.push_str(&joined.join(if r.lang == Lang::Zh { "" } else { " " }));
                out.push('\n');
            }
        }
    }
    out.push_str(&format!(
        "\n#text(size: 8pt, fill: luma(90), {})\n",
        lit(&r.disclaimer)
    ));
}

/// The typst source and the image files it loads (virtual path, bytes).
pub fn document(
    reports: &[Rendered],
    images: &[KeyImage],
    have_cjk: bool,
) -> (String, Vec<(String, Vec<u8>)>) {
    let status = reports
        .first()
        .map(|r| r.status.clone())
        .unwrap_or_default();
    let title = reports.first().map(|r| r.title.clone()).unwrap_or_default();
    let mut out = String::new();
    out.push_str(&format!(
        "#set document(title: {}, author: \"airad\")\n",
        lit(&title)
    ));
    out.push_str(&format!(
        "#set page(paper: \"a4\", margin: (x: 1.8cm, y: 2cm), header: align(right, text(size: 7pt, fill: rgb(\"#b00020\"), {})), numbering: \"1 / 1\")\n",
        lit(&status)
    ));
    out.push_str("#set text(font: (\"Libertinus Serif\", \"Noto Sans CJK SC\"), size: 10pt)\n");
    out.push_str("#set par(justify: false, leading: 0.6em)\n");
    out.push_str("#show heading: set block(above: 1.1em, below: 0.5em)\n");
    let mut files = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        if r.lang == Lang::Zh && !have_cjk {
            out.push_str(&format!(
                "\n#text(fill: rgb(\"#b00020\"), {})\n",
                lit("The Chinese report was left out of this PDF: no CJK font is installed (Debian package fonts-noto-cjk). See report.zh.txt.")
            ));
            continue;
        }
        if i > 0 {
            out.push_str("\n#pagebreak()\n");
        }
        report_body(r, &mut out);
        if i == 0 && !images.is_empty() {
            out.push_str("\n#pagebreak()\n== #\"Key images\"\n#grid(columns: 2, gutter: 10pt,\n");
            for (k, img) in images.iter().enumerate() {
                let name = format!("/img/{k}.png");
                out.push_str(&format!(
                    "  figure(image({}, width: 100%), caption: text(size: 8pt, {})),\n",
                    lit(&name),
                    lit(&img.caption)
                ));
                files.push((name, img.png.clone()));
            }
            out.push_str(")\n");
        }
    }
    (out, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(lit("a\"b\\c#d"), "\"a\\\"b\\\\c#d\"");
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(19_723), (2024, 1, 1));
    }
}
