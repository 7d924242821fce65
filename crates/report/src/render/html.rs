//! Self-contained HTML report (`report.html`): inline CSS and script, key
//! images inline as `data:` URIs. Every sentence about a finding is an
//! element with `data-finding-id` (space-separated ids); every key image
//! carries the id of its finding. Clicking one highlights the other and
//! scrolls it into view: the groundwork of the Smart Eye viewer's
//! sentence-lesion link.

use super::{Rendered, SectionKind};

/// One key image for the HTML report.
#[derive(Debug, Clone)]
pub struct KeyImage {
    /// The finding it shows.
    pub finding_id: String,
    /// Caption.
    pub caption: String,
    /// PNG bytes.
    pub png: Vec<u8>,
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648) with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

const STYLE: &str = "body{font-family:'Noto Sans','Noto Sans CJK SC',Arial,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#111;line-height:1.45}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;border-bottom:1px solid #999;margin-top:1.4rem}\
h3{font-size:1rem;margin:.6rem 0 .2rem}.status{background:#b00020;color:#fff;padding:.35rem .6rem;font-weight:bold;display:inline-block}\
.status.signed{background:#1b5e20}.header{color:#333;font-size:.9rem}\
[data-finding-id]{cursor:pointer;border-radius:3px}.s[data-finding-id]:hover{background:#fff3c4}\
.hl{background:#ffe082!important;outline:2px solid #ff8f00}\
ol li{margin-bottom:.35rem}.imgs{display:flex;flex-wrap:wrap;gap:.8rem}\
figure{margin:0;padding:.3rem;border:1px solid #ccc;max-width:18rem}figure img{width:100%;display:block}\
figcaption{font-size:.8rem}.disclaimer{font-size:.8rem;color:#555;margin-top:2rem}";

const SCRIPT: &str = "document.addEventListener('click',function(e){\
var el=e.target.closest('[data-finding-id]');\
document.querySelectorAll('.hl').forEach(function(x){x.classList.remove('hl')});\
if(!el)return;var ids=el.getAttribute('data-finding-id').split(' ');var first=null;\
document.querySelectorAll('[data-finding-id]').forEach(function(x){\
var mine=x.getAttribute('data-finding-id').split(' ');\
if(mine.some(function(i){return ids.indexOf(i)>=0})){x.classList.add('hl');\
if(!first&&x.tagName!==el.tagName&&x!==el)first=x;}});\
if(first&&first.scrollIntoView)first.scrollIntoView({block:'nearest',behavior:'smooth'});});";

fn sentence_html(ids: &[String], text: &str, tag: &str) -> String {
    if ids.is_empty() {
        format!("<{tag} class=\"s\">{}</{tag}>", escape(text))
    } else {
        format!(
            "<{tag} class=\"s\" data-finding-id=\"{}\">{}</{tag}>",
            escape(&ids.join(" ")),
            escape(text)
        )
    }
}

/// The HTML document.
pub fn to_html(r: &Rendered, images: &[KeyImage], key_images_heading: &str) -> String {
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        r.lang.tag(),
        escape(&r.title)
    ));
    h.push_str(&format!("<h1>{}</h1>\n", escape(&r.title)));
    let signed = !r.status.contains("PRELIMINARY");
    h.push_str(&format!(
        "<div class=\"status{}\" id=\"status\">{}</div>\n",
        if signed { " signed" } else { "" },
        escape(&r.status)
    ));
    h.push_str("<div class=\"header\">");
    for line in &r.header {
        h.push_str(&format!("<div>{}</div>", escape(line)));
    }
    h.push_str("</div>\n");
    for section in &r.sections {
        let id = serde_json::to_value(section.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        h.push_str(&format!(
            "<section id=\"{id}\">\n<h2>{}</h2>\n",
            escape(&section.heading)
        ));
        for (b, block) in section.blocks.iter().enumerate() {
            if let Some(sub) = &block.heading {
                h.push_str(&format!("<h3>{}</h3>\n", escape(sub)));
            }
            let numbered = section.numbered && b == 0 && section.kind == SectionKind::Impression;
            if numbered && block.sentences.iter().any(|s| !s.finding_ids.is_empty()) {
                h.push_str("<ol>\n");
                for s in &block.sentences {
                    h.push_str(&sentence_html(&s.finding_ids, &s.text, "li"));
                    h.push('\n');
                }
                h.push_str("</ol>\n");
            } else {
                h.push_str("<p>");
                for s in &block.sentences {
                    h.push_str(&sentence_html(&s.finding_ids, &s.text, "span"));
                    if r.lang != crate::Lang::Zh {
                        h.push(' ');
                    }
                }
                h.push_str("</p>\n");
            }
        }
        h.push_str("</section>\n");
    }
    if !images.is_empty() {
        h.push_str(&format!(
            "<section id=\"key_images\">\n<h2>{}</h2>\n<div class=\"imgs\">\n",
            escape(key_images_heading)
        ));
        for img in images {
            h.push_str(&format!(
                "<figure id=\"img-{id}\" data-finding-id=\"{id}\"><img alt=\"{cap}\" src=\"data:image/png;base64,{}\"><figcaption>{cap}</figcaption></figure>\n",
                base64(&img.png),
                id = escape(&img.finding_id),
                cap = escape(&img.caption)
            ));
        }
        h.push_str("</div>\n</section>\n");
    }
    h.push_str(&format!(
        "<p class=\"disclaimer\">{}</p>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(&r.disclaimer)
    ));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(escape("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
