//! English wording table. One row of [`TEMPLATES`] per catalogue code; a
//! code without a specific template uses [`generic`].

use aisu::catalogue;
use aisu::{Finding, Site};

pub use super::phrases_en::En;
use super::{
    Ctx, FractureAge, Template, first_measured, fracture_age, fracture_shape, measured, site_list,
};
use crate::assemble::GroupRole;

/// The English table: one template per code.
pub const TEMPLATES: [(&str, Template); 39] = [
    ("F01", f01),
    ("F02", f02),
    ("F03", f03),
    ("F04", f04),
    ("F05", f05),
    ("F06", generic),
    ("F07", f07),
    ("F08", generic),
    ("F09", generic),
    ("F10", generic),
    ("F11", generic),
    ("F12", generic),
    ("F13", generic),
    ("F14", f14),
    ("F15", f15),
    ("F16", generic),
    ("F17", f17),
    ("F18", f18),
    ("F19", f19),
    ("F20", f20),
    ("F21", f21),
    ("F22", f22),
    ("F23", generic),
    ("F24", f24),
    ("F25", generic),
    ("F26", generic),
    ("F27", generic),
    ("F28", f28),
    ("F29", f29),
    ("F30", f30),
    ("F31", generic),
    ("F32", f32),
    ("F33", generic),
    ("F34", generic),
    ("F35", f35),
    ("F36", f36),
    ("F37", generic),
    ("F38", generic),
    ("F39", f39),
];

const ML: &str = "mL";

/// Label of a measurement name.
pub fn label(name: &str) -> String {
    let known = match name {
        "long_axis" => "long axis",
        "short_axis" => "short axis",
        "mean_diameter" => "mean diameter",
        "max_diameter" => "maximum diameter",
        "solid_diameter" => "solid component",
        "mean_hu" => "mean attenuation",
        "max_hu" => "maximum attenuation",
        "laa950_percent" => "low-attenuation area (LAA-950)",
        "upper_lower_ratio" => "upper/lower ratio",
        "lobe_percent" => "extent of the lobe",
        "lung_percent" => "extent of the lung",
        "severity_score" => "CT severity score",
        "zone_percent" => "extent of the zone",
        "bronchoarterial_ratio" => "bronchoarterial ratio",
        "stenosis_percent" => "stenosis",
        "lesion_diameter" => "lesion diameter",
        "ap_quartile" => "anteroposterior quartile",
        "max_depth" => "maximum depth",
        "hemithorax_percent" => "extent of the hemithorax",
        "max_rim" => "maximum rim",
        "cardiothoracic_ratio" => "cardiothoracic ratio",
        "max_thickness" => "maximum thickness",
        "agatston" => "Agatston score",
        "pa_diameter" => "pulmonary artery diameter",
        "pa_aorta_ratio" => "PA:aorta ratio",
        "crescent_thickness" => "crescent thickness",
        "crescent_hu" => "crescent attenuation",
        "height_loss_percent" => "height loss",
        "trabecular_hu" => "trabecular attenuation",
        "liver_hu" => "liver attenuation",
        "liver_minus_spleen" => "liver minus spleen attenuation",
        other => return other.replace('_', " "),
    };
    known.to_string()
}

fn lobe(code: &str) -> Option<&'static str> {
    Some(match code {
        "RUL" => "right upper lobe",
        "RML" => "right middle lobe",
        "RLL" => "right lower lobe",
        "LUL" => "left upper lobe",
        "LLL" => "left lower lobe",
        _ => return None,
    })
}

fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The location of a site in words ("right upper lobe, subpleural").
pub fn location(site: &Site) -> Option<String> {
    let side = site.side.as_deref().filter(|s| !s.is_empty());
    let mut parts: Vec<String> = Vec::new();
    if let Some(l) = site.lobe.as_deref().and_then(lobe) {
        parts.push(l.to_string());
    }
    if let Some(n) = site.rib {
        let mut rib = format!("{} {} rib", side.unwrap_or(""), ordinal(n));
        if let Some(seg) = &site.segment {
            rib.push_str(&format!(", {seg} segment"));
        }
        parts.push(rib.trim().to_string());
    }
    if let Some(v) = &site.vertebra {
        parts.push(v.clone());
    }
    if let Some(a) = &site.aortic_segment {
        parts.push(aortic_segment(a));
    }
    if let Some(s) = &site.station {
        parts.push(format!("station {s}"));
    }
    if let Some(s) = &site.structure {
        let s = s.replace('_', " ");
        let s = match side {
            Some(side) if site.rib.is_none() && !s.contains(side) => format!("{side} {s}"),
            _ => s,
        };
        parts.push(s);
    }
    if parts.is_empty()
        && let Some(side) = side
    {
        parts.push(side.to_string());
    }
    if let Some(z) = &site.zone {
        parts.push(format!("{z} zone").replace("subpleural zone", "subpleural"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

pub(crate) fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(crate) fn title(code: &str) -> &'static str {
    catalogue::entry(code).map_or("finding", |e| e.title)
}

fn morphology(f: &Finding, skip: &[&str]) -> Option<String> {
    let words: Vec<&str> = f
        .morphology
        .iter()
        .map(String::as_str)
        .filter(|w| !skip.contains(w))
        .collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// "label value" of every measurement not in `skip`.
fn measurement_list(f: &Finding, skip: &[&str]) -> Option<String> {
    let parts: Vec<String> = f
        .measurements
        .iter()
        .filter(|m| !skip.contains(&m.name.as_str()))
        .map(|m| format!("{} {}", label(&m.name), super::measurement_text(m, ML)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Title, location, measurements and morphology of any code.
pub fn generic(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = upper_first(title(&f.code));
    if let Some(loc) = location(&f.site) {
        s.push_str(&format!(" ({loc})"));
    }
    if let Some(m) = morphology(f, &[]) {
        s.push_str(&format!(", {m}"));
    }
    if let Some(m) = measurement_list(f, &[]) {
        s.push_str(&format!(": {m}"));
    }
    s
}

/// ", label value" of the measurements a template did not word itself, so
/// no measurement is ever dropped.
fn others(f: &Finding, used: &[&str]) -> String {
    measurement_list(f, used).map_or(String::new(), |m| format!(", {m}"))
}

/// "in the right upper lobe" or "".
fn in_loc(f: &Finding) -> String {
    location(&f.site).map_or(String::new(), |l| format!(" in the {l}"))
}

fn nodule(c: &Ctx<'_>, kind: &str, plural: &str) -> String {
    let f = c.f;
    let size_name = ["mean_diameter", "max_diameter", "long_axis"]
        .into_iter()
        .find(|n| f.measurement(n).is_some());
    let size = first_measured(f, &["mean_diameter", "max_diameter", "long_axis"], ML)
        .unwrap_or_else(|| "size not measured".into());
    if c.role == GroupRole::Member {
        return format!("Another {kind}{}, {size}", in_loc(f));
    }
    let mut s = match c.role {
        GroupRole::Dominant { count } => {
            let loc = location(&f.site).map_or(String::new(), |l| format!(" ({l})"));
            format!("{count} {plural}; the dominant one{loc} measures {size}")
        }
        _ => format!("{}{}, mean diameter {size}", upper_first(kind), in_loc(f)),
    };
    let axes: Vec<String> = [
        "long_axis",
        "short_axis",
        "solid_diameter",
        "volume",
        "mean_hu",
    ]
    .iter()
    .filter_map(|n| measured(f, n, ML).map(|v| format!("{} {v}", label(n))))
    .collect();
    let extra = others(
        f,
        &[
            size_name.unwrap_or(""),
            "long_axis",
            "short_axis",
            "solid_diameter",
            "volume",
            "mean_hu",
        ],
    );
    if !axes.is_empty() {
        s.push_str(&format!(" ({})", axes.join(", ")));
    }
    if let Some(m) = morphology(f, &["solid", "part-solid", "ground-glass"]) {
        s.push_str(&format!(", {m}"));
    }
    s.push_str(&extra);
    s
}

fn f01(c: &Ctx<'_>) -> String {
    nodule(c, "solid pulmonary nodule", "solid pulmonary nodules")
}

fn f02(c: &Ctx<'_>) -> String {
    let part_solid = c.f.morphology.iter().any(|m| m == "part-solid")
        || c.f.measurement("solid_diameter").is_some_and(|d| d > 0.0);
    if part_solid {
        nodule(c, "part-solid nodule", "part-solid nodules")
    } else {
        nodule(c, "ground-glass nodule", "ground-glass nodules")
    }
}

fn f03(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!("Lung mass{}", in_loc(f));
    if let (Some(l), Some(sh)) = (measured(f, "long_axis", ML), measured(f, "short_axis", ML)) {
        s.push_str(&format!(", {l} x {sh} (long x short axis)"));
    }
    if let Some(m) = measurement_list(f, &["long_axis", "short_axis"]) {
        s.push_str(&format!(", {m}"));
    }
    if let Some(m) = morphology(f, &[]) {
        s.push_str(&format!(", {m}"));
    }
    s
}

fn f04(c: &Ctx<'_>) -> String {
    nodule(
        c,
        "calcified nodule with a benign calcification pattern",
        "calcified nodules with benign calcification patterns",
    )
}

fn f05(c: &Ctx<'_>) -> String {
    let f = c.f;
    let pattern = morphology(f, &[]).map_or(String::new(), |m| format!("{m} "));
    let mut s = upper_first(&format!("{pattern}emphysema{}", in_loc(f)));
    if let Some(m) = measurement_list(f, &[]) {
        s.push_str(&format!(": {m}"));
    }
    s
}

fn f07(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!("Consolidation{}", in_loc(f));
    if let Some(v) = measured(f, "volume", ML) {
        s.push_str(&format!(", volume {v}"));
    }
    if let Some(p) = measured(f, "lobe_percent", ML) {
        s.push_str(&format!(" ({p} of the lobe)"));
    }
    s.push_str(&others(c.f, &["volume", "lobe_percent"]));
    s
}

fn side_word(f: &Finding) -> String {
    f.site
        .side
        .as_deref()
        .map_or(String::new(), |s| format!("{} ", upper_first(s)))
}

fn f14(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!("{}pleural effusion", side_word(f));
    let s0 = upper_first(&s);
    s = s0;
    let parts: Vec<String> = ["volume", "max_depth", "mean_hu"]
        .iter()
        .filter_map(|n| measured(f, n, ML).map(|v| format!("{} {v}", label(n))))
        .collect();
    if !parts.is_empty() {
        s.push_str(&format!(", {}", parts.join(", ")));
    }
    if f.measurement("mean_hu").is_some_and(|h| h > 30.0) {
        s.push_str("; attenuation above 30 HU raises the possibility of haemothorax");
    }
    s.push_str(&others(c.f, &["volume", "max_depth", "mean_hu"]));
    s
}

fn f15(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = upper_first(&format!("{}pneumothorax", side_word(f)));
    if let Some(v) = measured(f, "volume", ML) {
        s.push_str(&format!(", volume {v}"));
    }
    if let Some(p) = measured(f, "hemithorax_percent", ML) {
        s.push_str(&format!(" ({p} of the hemithorax)"));
    }
    if let Some(r) = measured(f, "max_rim", ML) {
        s.push_str(&format!(", maximum rim {r}"));
    }
    s.push_str(&others(c.f, &["volume", "hemithorax_percent", "max_rim"]));
    s
}

fn f17(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "Cardiomegaly".to_string();
    if let Some(r) = measured(f, "cardiothoracic_ratio", ML) {
        s.push_str(&format!(", cardiothoracic ratio {r}"));
    }
    if let Some(v) = measured(f, "heart_volume", ML) {
        s.push_str(&format!(", heart volume {v}"));
    }
    s.push_str(&others(c.f, &["cardiothoracic_ratio", "heart_volume"]));
    s
}

fn f18(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "Pericardial effusion".to_string();
    if let Some(m) = measurement_list(f, &[]) {
        s.push_str(&format!(", {m}"));
    }
    if f.measurement("mean_hu").is_some_and(|h| h > 30.0) {
        s.push_str("; attenuation above 30 HU raises the possibility of haemopericardium");
    }
    s
}

fn f19(c: &Ctx<'_>) -> String {
    // Per vessel (airad.calcium), the involved ones only.
    const VESSELS: [(&str, &str); 4] = [
        ("agatston_lm", "LM"),
        ("agatston_lad", "LAD"),
        ("agatston_lcx", "LCx"),
        ("agatston_rca", "RCA"),
    ];
    let f = c.f;
    let mut s = "Coronary artery calcification".to_string();
    if let Some(a) = measured(f, "agatston", ML) {
        s.push_str(&format!(", estimated Agatston score {a}"));
    }
    let vessels: Vec<String> = VESSELS
        .iter()
        .filter_map(|(name, vessel)| {
            f.measurement(name)
                .filter(|v| *v > 0.0)
                .map(|v| format!("{vessel} {v:.0}"))
        })
        .collect();
    if !vessels.is_empty() {
        s.push_str(&format!(" ({})", vessels.join(", ")));
    }
    let mut used = vec!["agatston"];
    used.extend(VESSELS.iter().map(|(n, _)| *n));
    s.push_str(&others(c.f, &used));
    s
}

fn f20(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "Aortic valve calcification".to_string();
    let score = f.measurements.iter().find(|m| m.name == "agatston");
    if let Some(m) = score {
        let estimated = m.method.as_deref().is_some_and(|x| x.contains("estimated"));
        let kind = if estimated { "estimated " } else { "" };
        s.push_str(&format!(", {kind}Agatston score {:.0}", m.value));
        let threshold = f.extra.get("threshold_au").and_then(|v| v.as_f64());
        let sex = f.extra.get("sex").and_then(|v| v.as_str());
        match threshold {
            Some(t) => {
                let side = if m.value > t { "above" } else { "not above" };
                let whose = match sex {
                    Some("F") => " for women",
                    Some("M") => " for men",
                    _ => "",
                };
                s.push_str(&format!(" ({side} the {t:.0} AU threshold{whose})"));
            }
            None => {
                let both = f.extra.get("thresholds_au").and_then(|v| v.as_array());
                if let Some([w, m]) = both
                    .map(|a| a.iter().filter_map(|x| x.as_f64()).collect::<Vec<_>>())
                    .as_deref()
                {
                    s.push_str(&format!(
                        " (patient sex unknown: the threshold is {w:.0} AU for women, {m:.0} AU for men)"
                    ));
                }
            }
        }
    }
    s.push_str(&others(c.f, &["agatston"]));
    s
}

/// An aortic segment's name.
fn aortic_segment(name: &str) -> String {
    match name {
        "root" => "aortic root".into(),
        "ascending" => "ascending aorta".into(),
        "arch" => "aortic arch".into(),
        "descending" => "descending aorta".into(),
        "hiatus" => "aorta at the hiatus".into(),
        other => format!("{other} aorta"),
    }
}

fn f21(c: &Ctx<'_>) -> String {
    let f = c.f;
    let segments: Vec<String> = site_list(f, "segments")
        .into_iter()
        .map(aortic_segment)
        .collect();
    let mut s = "Aortic wall calcification".to_string();
    match segments.as_slice() {
        [] => s.push_str(" of the thoracic aorta"),
        [one] => s.push_str(&format!(" of the {one}")),
        [init @ .., last] => s.push_str(&format!(" of the {} and {last}", init.join(", "))),
    }
    if let Some(v) = measured(f, "calcium_volume", ML) {
        s.push_str(&format!(", calcium volume {v}"));
    }
    s.push_str(&others(c.f, &["calcium_volume"]));
    s
}

fn f39(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "Mitral annular calcification".to_string();
    if let Some(a) = f.extra.get("arc_deg").and_then(|v| v.as_f64()) {
        s.push_str(&format!(" over about {a:.0} degrees of the annulus"));
    }
    if let Some(v) = measured(f, "calcium_volume", ML) {
        s.push_str(&format!(", calcium volume {v}"));
    }
    s.push_str(&others(c.f, &["calcium_volume"]));
    s
}

fn f22(c: &Ctx<'_>) -> String {
    let f = c.f;
    let aneurysm = f.morphology.iter().any(|m| m.contains("aneurysm"))
        || f.category
            .as_ref()
            .is_some_and(|g| g.value.contains("aneurysm"));
    let what = if aneurysm { "Aneurysm" } else { "Dilatation" };
    let segment = location(&f.site).unwrap_or_else(|| "thoracic aorta".into());
    let mut s = format!("{what} of the {segment}");
    if let Some(d) = measured(f, "max_diameter", ML) {
        s.push_str(&format!(
            ", maximum diameter {d} (outer wall to outer wall)"
        ));
    }
    s.push_str(&others(c.f, &["max_diameter"]));
    s
}

fn f24(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!(
        "Enlarged lymph node{}",
        in_loc(f).replace(" in the ", " at ")
    );
    if let Some(d) = measured(f, "short_axis", ML) {
        s.push_str(&format!(", short axis {d}"));
    }
    s.push_str(&others(c.f, &["short_axis"]));
    s
}

fn f28(c: &Ctx<'_>) -> String {
    let f = c.f;
    let bone = location(&f.site).unwrap_or_else(|| "chest wall bone".into());
    let has = |m: &str| f.morphology.iter().any(|x| x == m);
    let kind = if has("healed") {
        "Healed fracture"
    } else if has("displaced") {
        "Displaced fracture"
    } else if has("nondisplaced") {
        "Nondisplaced fracture"
    } else {
        "Fracture"
    };
    let mut s = format!("{kind} of the {bone}");
    if !has("nondisplaced")
        && let Some(d) = measured(f, "displacement", ML)
    {
        s.push_str(&format!(", displacement {d}"));
    }
    if f.measurement("callus").is_some_and(|v| v > 0.0) || has("callus") {
        s.push_str(", with callus (healing)");
    }
    s.push_str(&others(c.f, &["displacement", "callus"]));
    if f.extra.contains_key("flail_segment") {
        s.push_str("; part of a flail segment");
    }
    s
}

fn f29(c: &Ctx<'_>) -> String {
    let f = c.f;
    let level = f
        .site
        .vertebra
        .clone()
        .unwrap_or_else(|| "a vertebral body".into());
    let mut s = match fracture_shape(f) {
        Some(shape) => format!("{} compression fracture of {level}", upper_first(shape)),
        None => format!("Compression fracture of {level}"),
    };
    if let Some(h) = measured(f, "height_loss_percent", ML) {
        s.push_str(&format!(", height loss {h}"));
    }
    s.push_str(&others(c.f, &["height_loss_percent"]));
    match fracture_age(f) {
        Some(FractureAge::Acute) => s.push_str("; acute"),
        Some(FractureAge::Chronic) => s.push_str("; chronic"),
        Some(FractureAge::Indeterminate) => s.push_str("; age indeterminate"),
        None => {}
    }
    s
}

fn f30(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "Low bone density".to_string();
    if let Some(h) = measured(f, "trabecular_hu", ML) {
        let at = f
            .site
            .vertebra
            .as_deref()
            .map_or(String::new(), |v| format!(" at {v}"));
        s.push_str(&format!(": trabecular attenuation {h}{at}"));
    }
    s.push_str(&others(c.f, &["trabecular_hu"]));
    s
}

fn f32(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "Hepatic steatosis".to_string();
    if let Some(h) = measured(f, "liver_hu", ML) {
        s.push_str(&format!(": liver attenuation {h}"));
    }
    if let Some(d) = f.measurement("liver_minus_spleen") {
        s.push_str(&format!(
            ", {} HU relative to the spleen",
            super::number(d, "HU")
        ));
    }
    s.push_str(&others(c.f, &["liver_hu", "liver_minus_spleen"]));
    s
}

fn f35(c: &Ctx<'_>) -> String {
    let f = c.f;
    let segment = location(&f.site).unwrap_or_else(|| "thoracic aorta".into());
    let mut s = format!("Signs of acute aortic syndrome in the {segment}");
    let parts: Vec<String> = ["crescent_thickness", "crescent_hu"]
        .iter()
        .filter_map(|n| measured(f, n, ML).map(|v| format!("{} {v}", label(n))))
        .collect();
    if !parts.is_empty() {
        s.push_str(&format!(": hyperdense wall crescent, {}", parts.join(", ")));
    }
    if let Some(m) = morphology(f, &[]) {
        s.push_str(&format!(", {m}"));
    }
    s.push_str(&others(c.f, &["crescent_thickness", "crescent_hu"]));
    s
}

fn f36(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = upper_first(&format!("{}adrenal nodule", side_word(f)));
    if let Some(d) = measured(f, "max_diameter", ML) {
        s.push_str(&format!(", {d}"));
    }
    if let Some(h) = f.measurement("mean_hu") {
        s.push_str(&format!(", mean attenuation {} HU", super::number(h, "HU")));
        if h <= 10.0 {
            s.push_str(" (lipid-rich adenoma)");
        }
    }
    s.push_str(&others(c.f, &["max_diameter", "mean_hu"]));
    s
}
