//! report.html and key images: sentence and image link both ways, every
//! link resolves to a finding; the page renders in headless chromium.

use std::collections::BTreeSet;
use std::process::Command;

use imaging_io::testing::program;
use report::assemble::ReportInput;
use report::key_images::{OUTLINE, render_key_image};
use report::outputs::{Format, OutputOptions, write_outputs};
use report::sample;
use volume::{Geometry, Volume};

/// A 64 x 64 x 12 CT: air outside, soft tissue body, lungs at -850 HU;
/// lesion `n` (of the ten-finding sample) is a disk on slice `n`.
fn volumes() -> (Volume<i16>, Volume<u16>) {
    let g = Geometry::new([64, 64, 12], [2.0, 2.0, 3.0], [-64.0, -64.0, -150.0]);
    let mut ct = Volume::filled(g, -1000i16);
    let mut lesions = Volume::filled(g, 0u16);
    for ((z, y, x), v) in ct.data_mut().indexed_iter_mut() {
        let (dx, dy) = (x as f64 - 32.0, y as f64 - 32.0);
        if (dx / 28.0).powi(2) + (dy / 24.0).powi(2) <= 1.0 {
            *v = 40;
            if (dx.abs() - 13.0).abs() < 9.0 && dy.abs() < 16.0 {
                *v = -850;
            }
        }
        let _ = z;
    }
    for ((z, y, x), v) in lesions.data_mut().indexed_iter_mut() {
        if (1..=10).contains(&z) && (x as f64 - 20.0).powi(2) + (y as f64 - 30.0).powi(2) <= 9.0 {
            *v = z as u16;
        }
    }
    (ct, lesions)
}

#[test]
fn html_sentences_and_key_images_link_to_findings_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let doc = sample::ten_findings();
    let (ct, lesions) = volumes();
    let options = OutputOptions {
        formats: [Format::Html, Format::KeyImages, Format::Txt, Format::Zh]
            .into_iter()
            .collect(),
        ct: Some(&ct),
        lesions: Some(&lesions),
        ..Default::default()
    };
    let written = write_outputs(tmp.path(), &ReportInput::new(&doc), &options).unwrap();
    assert!(written.notices.is_empty(), "{:?}", written.notices);
    for f in &doc.findings {
        assert!(
            tmp.path()
                .join("key_images")
                .join(format!("{}.png", f.id))
                .is_file()
        );
    }
    let html = std::fs::read_to_string(tmp.path().join("report.html")).unwrap();
    assert!(html.contains("PRELIMINARY, NOT SIGNED"));
    assert!(!html.contains("src=\"http"), "self-contained");
    let ids: BTreeSet<&str> = doc.findings.iter().map(|f| f.id.as_str()).collect();
    let mut sentence_ids = BTreeSet::new();
    let mut figures = Vec::new();
    for (at, attr) in html.match_indices("data-finding-id=\"") {
        let piece = &html[at + attr.len()..];
        let value = &piece[..piece.find('"').unwrap()];
        for id in value.split(' ') {
            assert!(ids.contains(id), "link {id} resolves to no finding");
        }
        // Is this attribute on a figure (key image) or a sentence?
        let before = &html[..at];
        let tag_start = before.rfind('<').unwrap();
        if before[tag_start..].starts_with("<figure") {
            figures.push(value.to_string());
            assert!(piece.contains("src=\"data:image/png;base64,iVBORw0KGgo"));
        } else {
            sentence_ids.extend(value.split(' ').map(str::to_string));
        }
    }
    let figures_set: BTreeSet<&str> = figures.iter().map(String::as_str).collect();
    assert_eq!(figures.len(), ids.len(), "one key image per finding");
    assert_eq!(figures_set, ids);
    let sentence_set: BTreeSet<&str> = sentence_ids.iter().map(String::as_str).collect();
    assert_eq!(sentence_set, ids, "every finding has a sentence");
    assert!(html.contains("scrollIntoView") && html.contains("classList.add('hl')"));

    check_in_chromium(tmp.path(), &html, &ids);
}

/// Headless chromium flags shared by the screenshot and the DOM dump.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// Clicks every linked element in a real browser, after the page's own
/// script is installed, and records what the page highlighted; the
/// record is appended to the DOM as JSON in `<pre id="airad-check">`.
const CLICK_EVERY_LINK: &str = "<script>(function(){var out=[];\
document.querySelectorAll('[data-finding-id]').forEach(function(el){el.click();\
out.push({tag:el.tagName,ids:el.getAttribute('data-finding-id'),\
hl:[].map.call(document.querySelectorAll('.hl'),function(x){return [x.tagName,x.getAttribute('data-finding-id')]})});});\
var pre=document.createElement('pre');pre.id='airad-check';pre.textContent=JSON.stringify(out);\
document.body.appendChild(pre);})();</script>";

/// report.html in headless chromium (skipped with a reason when absent):
/// the page renders (screenshot with the red status banner), and in the
/// DOM chromium builds, clicking every sentence highlights the key image of
/// each of its findings and clicking every key image highlights its
/// sentences: every link resolves to a finding, both ways, through the
/// page's own script.
fn check_in_chromium(dir: &std::path::Path, html: &str, ids: &BTreeSet<&str>) {
    let Some(chromium) = program("chromium") else {
        return;
    };
    let shot = dir.join("shot.png");
    let out = Command::new(&chromium)
        .args(CHROMIUM_FLAGS)
        .arg("--window-size=1000,1400")
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.join("report.html").display()))
        .output()
        .unwrap();
    assert!(shot.is_file(), "{}", String::from_utf8_lossy(&out.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1000, 1400));
    // The red status banner is drawn: some pixel is strongly red.
    let px = info.line_size / info.width as usize;
    let red = buf[..info.buffer_size()]
        .chunks(px)
        .filter(|p| p[0] > 150 && p[1] < 40 && p[2] < 60)
        .count();
    assert!(red > 500, "status banner not rendered ({red} red pixels)");

    // The DOM after the page's script and the click check ran.
    let probe = dir.join("probe.html");
    std::fs::write(
        &probe,
        html.replace("</body>", &format!("{CLICK_EVERY_LINK}\n</body>")),
    )
    .unwrap();
    let out = Command::new(&chromium)
        .args(CHROMIUM_FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            dir.join("profile2").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", probe.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"airad-check\">").unwrap_or_else(|| {
        panic!(
            "the check did not run:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let json = &dom[start + "<pre id=\"airad-check\">".len()..];
    let json = &json[..json.find("</pre>").unwrap()];
    let clicks: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
    let split = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_str().unwrap().split(' ').map(str::to_string).collect()
    };
    let mut sentence_ids = BTreeSet::new();
    let mut figure_ids = BTreeSet::new();
    for c in &clicks {
        let mine = split(&c["ids"]);
        for id in &mine {
            assert!(
                ids.contains(id.as_str()),
                "link {id} resolves to no finding"
            );
        }
        let hl: Vec<(String, BTreeSet<String>)> = c["hl"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().to_string(), split(&h[1])))
            .collect();
        // Everything highlighted shares an id with the clicked element.
        assert!(hl.iter().all(|(_, h)| !h.is_disjoint(&mine)), "{c}");
        if c["tag"] == "FIGURE" {
            figure_ids.extend(mine.iter().cloned());
            // A key image highlights at least one sentence of its finding.
            assert!(hl.iter().any(|(tag, _)| tag != "FIGURE"), "{c}");
        } else {
            sentence_ids.extend(mine.iter().cloned());
            // A sentence highlights the key image of each of its findings.
            for id in &mine {
                assert!(
                    hl.iter().any(|(tag, h)| tag == "FIGURE" && h.contains(id)),
                    "sentence of {id} does not reach its key image: {c}"
                );
            }
        }
    }
    let expected: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
    assert_eq!(sentence_ids, expected, "every finding has a sentence (DOM)");
    assert_eq!(figure_ids, expected, "every finding has a key image (DOM)");
}

#[test]
fn key_images_use_the_finding_window_and_outline_the_lesion() {
    let doc = sample::ten_findings();
    let (ct, lesions) = volumes();
    let nodule = render_key_image(&ct, &lesions, &doc.findings[0]);
    let effusion = render_key_image(&ct, &lesions, &doc.findings[4]);
    let grey_at =
        |p: &imaging_io::picture::Picture, x: usize, y: usize| p.rgb[(y * p.width + x) * 3];
    // A lung voxel (-850 HU) at x = 18, y = 40; with an identity direction
    // the picture's columns and rows are x and y.
    assert!(
        nodule.rgb.chunks(3).any(|c| c == OUTLINE),
        "lesion outlined"
    );
    assert_eq!((nodule.width, nodule.height), (64, 64));
    let lung_grey = grey_at(&nodule, 18, 40);
    assert!(
        (80..=90).contains(&lung_grey),
        "lung window shows lung grey {lung_grey}"
    );
    assert_eq!(
        grey_at(&effusion, 18, 40),
        0,
        "soft-tissue window shows lung black"
    );
}
