//! Simplified Chinese wording table (放射科报告用语). One row of
//! [`TEMPLATES`] per catalogue code; a code without a specific template
//! uses [`generic`]. Numbers keep the units Chinese reports print (mm, ml,
//! HU, %), with "约" before measured values and full-width punctuation.

use aisu::{Finding, Site};

pub use super::phrases_zh::Zh;
use super::{Ctx, FractureAge, Template, fracture_age, fracture_shape, measured, site_list};
use crate::assemble::GroupRole;
use crate::study::parse_ymd;

/// The Chinese table: one template per code.
pub const TEMPLATES: [(&str, Template); 39] = [
    ("F01", f01),
    ("F02", f02),
    ("F03", f03),
    ("F04", f04),
    ("F05", generic),
    ("F06", generic),
    ("F07", generic),
    ("F08", generic),
    ("F09", generic),
    ("F10", generic),
    ("F11", generic),
    ("F12", generic),
    ("F13", generic),
    ("F14", f14),
    ("F15", generic),
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
    ("F30", generic),
    ("F31", generic),
    ("F32", generic),
    ("F33", generic),
    ("F34", generic),
    ("F35", f35),
    ("F36", f36),
    ("F37", generic),
    ("F38", generic),
    ("F39", f39),
];

const ML: &str = "ml";

/// Chinese name of a catalogue code.
pub fn title(code: &str) -> &'static str {
    match code {
        "F01" => "实性肺结节",
        "F02" => "亚实性肺结节",
        "F03" => "肺肿块",
        "F04" => "良性钙化结节",
        "F05" => "肺气肿",
        "F06" => "肺大疱或肺囊肿",
        "F07" => "肺实变",
        "F08" => "磨玻璃影",
        "F09" => "肺不张",
        "F10" => "间质性肺异常",
        "F11" => "支气管扩张",
        "F12" => "支气管壁增厚",
        "F13" => "中央气道病变",
        "F14" => "胸腔积液",
        "F15" => "气胸",
        "F16" => "胸膜增厚、斑块或胸膜肿块",
        "F17" => "心脏增大",
        "F18" => "心包积液",
        "F19" => "冠状动脉钙化",
        "F20" => "主动脉瓣钙化",
        "F21" => "主动脉壁钙化",
        "F22" => "胸主动脉扩张或动脉瘤",
        "F23" => "肺动脉增宽",
        "F24" => "淋巴结肿大",
        "F25" => "食管壁增厚或食管扩张",
        "F26" => "食管裂孔疝",
        "F27" => "甲状腺结节或甲状腺肿",
        "F28" => "骨折",
        "F29" => "椎体压缩性骨折",
        "F30" => "骨密度减低",
        "F31" => "局灶性骨病变",
        "F32" => "脂肪肝",
        "F33" => "置入装置或异物",
        "F34" => "纵隔气肿或皮下气肿",
        "F35" => "急性主动脉综合征征象",
        "F36" => "肾上腺结节",
        "F37" => "前纵隔肿块或心包囊肿",
        "F38" => "乳腺肿块或腋窝淋巴结肿大",
        "F39" => "二尖瓣环钙化",
        _ => "病变",
    }
}

/// Chinese label of a measurement name.
pub fn label(name: &str) -> String {
    let known = match name {
        "long_axis" => "长径",
        "short_axis" => "短径",
        "mean_diameter" => "平均直径",
        "max_diameter" => "最大径",
        "solid_diameter" => "实性成分直径",
        "volume" => "体积",
        "mean_hu" => "平均CT值",
        "max_hu" => "最大CT值",
        "laa950_percent" => "低衰减区（LAA-950）占比",
        "upper_lower_ratio" => "上下肺比值",
        "wall_thickness" => "壁厚",
        "lobe_percent" => "占该肺叶",
        "lung_percent" => "占全肺",
        "severity_score" => "CT严重程度评分",
        "zone_percent" => "占该肺区",
        "bronchoarterial_ratio" => "支气管-动脉直径比",
        "tapering" => "管径逐渐变细",
        "stenosis_percent" => "狭窄程度",
        "lesion_diameter" => "病灶直径",
        "ap_quartile" => "前后径四分位",
        "max_depth" => "最大深度",
        "hemithorax_percent" => "占患侧胸腔",
        "max_rim" => "最大气胸带宽度",
        "thickness" => "厚度",
        "cardiothoracic_ratio" => "心胸比",
        "heart_volume" => "心脏体积",
        "max_thickness" => "最大厚度",
        "agatston" => "Agatston积分",
        "vessels_involved" => "受累血管数",
        "calcium_volume" => "钙化体积",
        "pa_diameter" => "肺动脉主干直径",
        "pa_aorta_ratio" => "肺动脉/主动脉直径比",
        "crescent_thickness" => "新月形高密度厚度",
        "crescent_hu" => "新月形高密度CT值",
        "height" => "高度",
        "gland_volume" => "腺体体积",
        "displacement" => "断端移位",
        "height_loss_percent" => "椎体高度丢失",
        "anterior_height" => "前缘高度",
        "middle_height" => "中部高度",
        "posterior_height" => "后缘高度",
        "trabecular_hu" => "松质骨CT值",
        "liver_hu" => "肝脏CT值",
        "liver_minus_spleen" => "肝脾CT值差",
        "lumen_diameter" => "管腔直径",
        other => return other.replace('_', " "),
    };
    known.to_string()
}

/// Chinese of a morphology word (unknown words are kept as written).
pub fn morphology_word(word: &str) -> String {
    let known = match word {
        "solid" => "实性",
        "part-solid" => "部分实性",
        "ground-glass" => "磨玻璃密度",
        "lobulated" => "分叶状",
        "spiculated" => "边缘毛刺",
        "smooth" => "边缘光滑",
        "calcified" => "伴钙化",
        "cavitation" | "cavitated" => "伴空洞",
        "juxtapleural" => "邻近胸膜",
        "perifissural" => "叶间裂旁",
        "miliary" => "粟粒样分布",
        "tree-in-bud" => "树芽征",
        "centrilobular" => "小叶中心型",
        "panlobular" => "全小叶型",
        "paraseptal" => "间隔旁型",
        "fibrotic" => "纤维化型",
        "non-fibrotic" => "非纤维化型",
        "subsegmental" => "亚段性",
        "segmental" => "段性",
        "lobar" => "叶性",
        "thick-walled" => "厚壁",
        "multilocular" => "多房",
        "lytic" => "溶骨性",
        "sclerotic" => "成骨性",
        "callus" => "伴骨痂形成",
        "flail" => "连枷胸",
        "paraoesophageal" => "食管旁型",
        "displaced intimal calcification" => "内膜钙化内移",
        "aneurysm" => "动脉瘤样扩张",
        "wedge" => "楔形",
        "biconcave" => "双凹形",
        "crush" => "塌陷形",
        other => return other.to_string(),
    };
    known.to_string()
}

fn side(s: &str) -> &'static str {
    match s {
        "right" => "右侧",
        "left" => "左侧",
        "bilateral" => "双侧",
        "midline" => "中线",
        _ => "",
    }
}

fn structure(s: &str) -> String {
    let known = match s {
        "liver" => "肝脏",
        "spleen" => "脾脏",
        "stomach" => "胃",
        "thyroid" => "甲状腺",
        "esophagus" => "食管",
        "trachea" => "气管",
        "bronchi" => "支气管",
        "heart" => "心脏",
        "pericardium" => "心包",
        "aorta" => "主动脉",
        "pulmonary_artery" => "肺动脉",
        "sternum" => "胸骨",
        "breast" => "乳腺",
        "axilla" => "腋窝",
        "adrenal" => "肾上腺",
        "clavicle_left" => "左侧锁骨",
        "clavicle_right" => "右侧锁骨",
        "scapula_left" => "左侧肩胛骨",
        "scapula_right" => "右侧肩胛骨",
        other => return other.replace('_', " "),
    };
    known.to_string()
}

/// Chinese of a vertebral level ("T12" -> "胸12椎体").
fn vertebra(v: &str) -> String {
    let (prefix, rest) = v.split_at(v.chars().next().map_or(0, char::len_utf8));
    let region = match prefix {
        "C" => "颈",
        "T" => "胸",
        "L" => "腰",
        "S" => "骶",
        _ => return format!("{v}椎体"),
    };
    format!("{region}{rest}椎体")
}

/// The location of a site ("右肺上叶胸膜下").
pub fn location(site: &Site) -> String {
    let mut s = String::new();
    let side_zh = site.side.as_deref().map(side).unwrap_or("");
    if let Some(l) = site.lobe.as_deref() {
        s.push_str(match l {
            "RUL" => "右肺上叶",
            "RML" => "右肺中叶",
            "RLL" => "右肺下叶",
            "LUL" => "左肺上叶",
            "LLL" => "左肺下叶",
            _ => "",
        });
    }
    if let Some(n) = site.rib {
        s.push_str(&format!("{side_zh}第{n}肋"));
        s.push_str(match site.segment.as_deref() {
            Some("anterior") => "前段",
            Some("lateral") => "腋段",
            Some("posterior") => "后段",
            _ => "",
        });
    }
    if let Some(v) = &site.vertebra {
        s.push_str(&vertebra(v));
    }
    if let Some(a) = &site.aortic_segment {
        s.push_str(aortic_segment(a));
    }
    if let Some(st) = &site.station {
        s.push_str(&format!("{st}区"));
    }
    if let Some(st) = &site.structure {
        if site.rib.is_none() && !st.ends_with("_left") && !st.ends_with("_right") {
            s.push_str(side_zh);
        }
        s.push_str(&structure(st));
    }
    if s.is_empty() {
        s.push_str(side_zh);
    }
    if let Some(z) = &site.zone {
        s.push_str(match z.as_str() {
            "upper" => "上肺野",
            "middle" => "中肺野",
            "lower" => "下肺野",
            "central" => "中央带",
            "peripheral" => "外周带",
            "subpleural" => "胸膜下",
            _ => "",
        });
    }
    s
}

fn morphology(f: &Finding, skip: &[&str]) -> Option<String> {
    let words: Vec<String> = f
        .morphology
        .iter()
        .filter(|w| !skip.contains(&w.as_str()))
        .map(|w| morphology_word(w))
        .collect();
    (!words.is_empty()).then(|| words.join("，"))
}

/// "标签约 值" of one measurement.
fn item(f: &Finding, name: &str) -> Option<String> {
    measured(f, name, ML).map(|v| format!("{}约 {v}", label(name)))
}

fn measurement_list(f: &Finding, skip: &[&str]) -> Option<String> {
    let parts: Vec<String> = f
        .measurements
        .iter()
        .filter(|m| !skip.contains(&m.name.as_str()))
        .map(|m| format!("{}约 {}", label(&m.name), super::measurement_text(m, ML)))
        .collect();
    (!parts.is_empty()).then(|| parts.join("，"))
}

/// Location, title, measurements and morphology of any code.
pub fn generic(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!("{}{}", location(&f.site), title(&f.code));
    if let Some(m) = morphology(f, &[]) {
        s.push_str(&format!("，{m}"));
    }
    if let Some(m) = measurement_list(f, &[]) {
        s.push_str(&format!("，{m}"));
    }
    s
}

/// ", label value" of the measurements a template did not word itself, so
/// no measurement is ever dropped.
fn others(f: &Finding, used: &[&str]) -> String {
    measurement_list(f, used).map_or(String::new(), |m| format!("，{m}"))
}

fn nodule(c: &Ctx<'_>, kind: &str) -> String {
    let f = c.f;
    let size_name = ["mean_diameter", "max_diameter", "long_axis"]
        .into_iter()
        .find(|n| f.measurement(n).is_some());
    let loc = location(&f.site);
    let size = ["mean_diameter", "max_diameter", "long_axis"]
        .iter()
        .find_map(|n| item(f, n))
        .unwrap_or_else(|| "大小未测量".into());
    if c.role == GroupRole::Member {
        return format!("另见{loc}{kind}，{size}");
    }
    let mut s = match c.role {
        GroupRole::Dominant { count } => {
            format!("肺内见{kind} {count} 枚，其中最大者位于{loc}，{size}")
        }
        _ => format!("{loc}{kind}，{size}"),
    };
    let details: Vec<String> = [
        "long_axis",
        "short_axis",
        "solid_diameter",
        "volume",
        "mean_hu",
    ]
    .iter()
    .filter_map(|n| item(f, n))
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
    if !details.is_empty() {
        s.push_str(&format!("（{}）", details.join("，")));
    }
    if let Some(m) = morphology(f, &["solid", "part-solid", "ground-glass"]) {
        s.push_str(&format!("，{m}"));
    }
    s.push_str(&extra);
    s
}

fn f01(c: &Ctx<'_>) -> String {
    nodule(c, "实性结节")
}

fn f02(c: &Ctx<'_>) -> String {
    let part_solid = c.f.morphology.iter().any(|m| m == "part-solid")
        || c.f.measurement("solid_diameter").is_some_and(|d| d > 0.0);
    nodule(
        c,
        if part_solid {
            "部分实性结节"
        } else {
            "磨玻璃结节"
        },
    )
}

fn f03(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!("{}肿块", location(&f.site));
    if let (Some(l), Some(sh)) = (measured(f, "long_axis", ML), measured(f, "short_axis", ML)) {
        s.push_str(&format!("，大小约 {l} × {sh}"));
    }
    if let Some(m) = measurement_list(f, &["long_axis", "short_axis"]) {
        s.push_str(&format!("，{m}"));
    }
    if let Some(m) = morphology(f, &[]) {
        s.push_str(&format!("，{m}"));
    }
    s
}

fn f04(c: &Ctx<'_>) -> String {
    nodule(c, "良性钙化结节")
}

fn f14(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = generic(c);
    if f.measurement("mean_hu").is_some_and(|h| h > 30.0) {
        s.push_str("，CT值高于 30 HU，需警惕血胸");
    }
    s
}

fn f17(c: &Ctx<'_>) -> String {
    format!("心脏增大{}", others(c.f, &[]))
}

fn f18(c: &Ctx<'_>) -> String {
    let f = c.f;
    // Echocardiographic grade (FINDINGS.md F18), from airad.pericardium.
    let size = match f.category.as_ref().map(|g| g.value.as_str()) {
        Some("small") => "少量",
        Some("moderate") => "中量",
        Some("large") => "大量",
        _ => "",
    };
    let mut s = format!("{size}心包积液{}", others(f, &[]));
    if f.measurement("mean_hu").is_some_and(|h| h > 30.0) {
        s.push_str("，CT值高于 30 HU，需警惕心包积血");
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
    let mut s = "冠状动脉钙化".to_string();
    if let Some(a) = measured(f, "agatston", ML) {
        s.push_str(&format!("，Agatston积分估计约 {a}"));
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
        s.push_str(&format!("（{}）", vessels.join("，")));
    }
    let mut used = vec!["agatston"];
    used.extend(VESSELS.iter().map(|(n, _)| *n));
    if let Some(m) = measurement_list(f, &used) {
        s.push_str(&format!("，{m}"));
    }
    s
}

/// The women's and men's thresholds a finding states when the sex is
/// unknown.
fn both_thresholds(f: &Finding) -> Option<[f64; 2]> {
    let a = f.extra.get("thresholds_au")?.as_array()?;
    Some([a.first()?.as_f64()?, a.get(1)?.as_f64()?])
}

fn f20(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "主动脉瓣钙化".to_string();
    let score = f.measurements.iter().find(|m| m.name == "agatston");
    if let Some(m) = score {
        let estimated = m.method.as_deref().is_some_and(|x| x.contains("estimated"));
        let kind = if estimated { "（估计）" } else { "" };
        s.push_str(&format!("，Agatston积分{kind}约 {:.0}", m.value));
        let threshold = f.extra.get("threshold_au").and_then(|v| v.as_f64());
        let sex = f.extra.get("sex").and_then(|v| v.as_str());
        match threshold {
            Some(t) => {
                let side = if m.value > t { "高于" } else { "未超过" };
                let whose = match sex {
                    Some("F") => "女性",
                    Some("M") => "男性",
                    _ => "",
                };
                s.push_str(&format!("（{side}{whose}阈值 {t:.0} AU）"));
            }
            None => {
                if let Some([w, m]) = both_thresholds(f) {
                    s.push_str(&format!(
                        "（性别未知：女性阈值 {w:.0} AU，男性阈值 {m:.0} AU）"
                    ));
                }
            }
        }
    }
    s.push_str(&others(c.f, &["agatston"]));
    s
}

/// An aortic segment's name.
fn aortic_segment(name: &str) -> &'static str {
    match name {
        "root" => "主动脉根部",
        "ascending" => "升主动脉",
        "arch" => "主动脉弓",
        "descending" => "降主动脉",
        "hiatus" => "膈肌裂孔水平主动脉",
        _ => "主动脉",
    }
}

fn f21(c: &Ctx<'_>) -> String {
    let f = c.f;
    let segments: Vec<&str> = site_list(f, "segments")
        .into_iter()
        .map(aortic_segment)
        .collect();
    let mut s = if segments.is_empty() {
        "胸主动脉壁钙化".to_string()
    } else {
        format!("{}壁钙化", segments.join("、"))
    };
    if let Some(v) = measured(f, "calcium_volume", ML) {
        s.push_str(&format!("，钙化体积约 {v}"));
    }
    s.push_str(&others(c.f, &["calcium_volume"]));
    s
}

fn f39(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = "二尖瓣环钙化".to_string();
    if let Some(a) = f.extra.get("arc_deg").and_then(|v| v.as_f64()) {
        s.push_str(&format!("，累及瓣环约 {a:.0}°"));
    }
    if let Some(v) = measured(f, "calcium_volume", ML) {
        s.push_str(&format!("，钙化体积约 {v}"));
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
    let seg = location(&f.site);
    let seg = if seg.is_empty() {
        "胸主动脉".to_string()
    } else {
        seg
    };
    let mut s = format!("{seg}{}", if aneurysm { "动脉瘤" } else { "扩张" });
    if let Some(d) = measured(f, "max_diameter", ML) {
        s.push_str(&format!("，最大径约 {d}（外壁至外壁）"));
    }
    s.push_str(&others(c.f, &["max_diameter"]));
    s
}

fn f24(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = format!("{}淋巴结肿大", location(&f.site));
    if let Some(d) = item(f, "short_axis") {
        s.push_str(&format!("，{d}"));
    }
    s.push_str(&others(c.f, &["short_axis"]));
    s
}

fn f28(c: &Ctx<'_>) -> String {
    let f = c.f;
    let has = |m: &str| f.morphology.iter().any(|x| x == m);
    let kind = if has("healed") {
        "陈旧性骨折"
    } else if has("displaced") {
        "骨折，断端错位"
    } else if has("nondisplaced") {
        "无移位骨折"
    } else {
        "骨折"
    };
    let mut s = format!("{}{kind}", location(&f.site));
    if !has("nondisplaced")
        && let Some(d) = item(f, "displacement")
    {
        s.push_str(&format!("，{d}"));
    }
    if f.measurement("callus").is_some_and(|v| v > 0.0) || has("callus") {
        s.push_str("，伴骨痂形成（愈合期）");
    }
    s.push_str(&others(c.f, &["displacement", "callus"]));
    if f.extra.contains_key("flail_segment") {
        s.push_str("，属连枷胸节段");
    }
    s
}

fn f29(c: &Ctx<'_>) -> String {
    let f = c.f;
    let level = f.site.vertebra.as_deref().map_or("椎体".into(), vertebra);
    let shape = fracture_shape(f).map_or(String::new(), morphology_word);
    let mut s = format!("{level}{shape}压缩性骨折");
    if let Some(h) = item(f, "height_loss_percent") {
        s.push_str(&format!("，{h}"));
    }
    s.push_str(&others(c.f, &["height_loss_percent"]));
    match fracture_age(f) {
        Some(FractureAge::Acute) => s.push_str("，急性"),
        Some(FractureAge::Chronic) => s.push_str("，陈旧性"),
        Some(FractureAge::Indeterminate) => s.push_str("，新旧程度不能确定"),
        None => {}
    }
    s
}

fn f35(c: &Ctx<'_>) -> String {
    let f = c.f;
    let seg = location(&f.site);
    let mut s = format!(
        "{}壁内见新月形高密度影，提示急性主动脉综合征",
        if seg.is_empty() {
            "主动脉".into()
        } else {
            seg
        }
    );
    if let Some(m) = measurement_list(f, &[]) {
        s.push_str(&format!("，{m}"));
    }
    if let Some(m) = morphology(f, &[]) {
        s.push_str(&format!("，{m}"));
    }
    s
}

fn f36(c: &Ctx<'_>) -> String {
    let f = c.f;
    let mut s = generic(c);
    if f.measurement("mean_hu").is_some_and(|h| h <= 10.0) {
        s.push_str("，CT值不高于 10 HU，符合富脂性腺瘤");
    }
    s
}

/// A date as Chinese reports write it ("2024年1月5日").
pub fn date(d: &str) -> String {
    match parse_ymd(d) {
        Some((y, m, day)) => format!("{y}年{m}月{day}日"),
        None => d.to_string(),
    }
}
