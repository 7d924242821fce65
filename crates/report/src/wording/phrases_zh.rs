//! Simplified Chinese fixed phrases: headings, normal statements, technique,
//! comparison, follow-up advice, urgency, status and communication lines
//! (the finding templates are in `zh.rs`).

use aisu::catalogue::OrganSystem;
use aisu::{ExamContext, Finding, Urgency};

use super::zh::*;
use super::{Ctx, Heading, Wording, months, number};
use crate::assemble::{Communication, ExamLungRads, SignOff};
use crate::followup::FollowUp;
use crate::prior::{Change, Comparison, Trend};
use crate::study::ReportStudy;

/// The Chinese wording.
pub struct Zh;

impl Wording for Zh {
    fn finding_body(&self, ctx: &Ctx<'_>) -> String {
        TEMPLATES
            .iter()
            .find(|(code, _)| *code == ctx.f.code)
            .map_or_else(|| generic(ctx), |(_, t)| t(ctx))
    }

    fn change(&self, c: &Change, prior_date: Option<&str>) -> String {
        let since = prior_date.map_or("既往检查".to_string(), date);
        let mm = |v: f64| number(v, "mm");
        let over = c
            .interval_days
            .map_or(String::new(), |d| format!("，间隔约 {} 个月", months(d)));
        match (c.trend, c.prior_diameter_mm, c.diameter_mm, c.delta_mm) {
            (Trend::New, ..) => format!("与{since}对比为新发病灶"),
            (t, Some(a), Some(b), Some(d)) => {
                let (word, verb) = match t {
                    Trend::Growing => ("增大", "增至"),
                    Trend::Smaller => ("缩小", "减至"),
                    _ => ("大致稳定", "变为"),
                };
                format!(
                    "较{since}{word}：平均直径由 {} mm {verb} {} mm（{}{} mm{over}）",
                    mm(a),
                    mm(b),
                    if d >= 0.0 { "+" } else { "" },
                    mm(d)
                )
            }
            _ => format!("{since}已存在"),
        }
    }

    fn limited(&self, slice_mm: f64) -> String {
        format!("层厚 {} mm，评估受限", number(slice_mm, "mm"))
    }

    fn grade(&self, f: &Finding) -> Option<String> {
        let g = f.category.as_ref()?;
        let ctx = self.context(g.context);
        Some(if g.system.starts_with("Lung-RADS") {
            format!("{} {} 类（{ctx}）", g.system, g.value)
        } else {
            format!(
                "{}：{}（{ctx}）",
                grade_system(&g.system),
                grade_value(&g.system, &g.value)
            )
        })
    }

    fn join_sentence(&self, parts: &[String]) -> String {
        let mut s = parts.join("；");
        s.push('。');
        s
    }

    fn rest(&self, code: &str, count: usize) -> String {
        format!("另见同类较小病灶 {count} 处（{}）。", title(code))
    }

    fn resolved(&self, code: &str) -> String {
        format!("既往所见{}本次未再显示。", title(code))
    }

    fn normal(&self, system: OrganSystem) -> String {
        match system {
            OrganSystem::Lungs => "双肺未见明确异常。",
            OrganSystem::Airways => "气管及各级支气管通畅，未见明确异常。",
            OrganSystem::Pleura => "未见胸腔积液、气胸或其他胸膜异常。",
            OrganSystem::HeartAndVessels => "心脏及大血管未见明确异常。",
            OrganSystem::Mediastinum => "纵隔未见明确异常。",
            OrganSystem::ChestWall => "胸壁未见明确异常。",
            OrganSystem::Bones => "所见骨质未见明确异常。",
            OrganSystem::UpperAbdomen => "所见上腹部未见明确异常。",
            OrganSystem::Devices => "未见置入装置或异物。",
        }
        .to_string()
    }

    fn not_assessed(&self, code: &str, _reason: &str) -> String {
        format!("受扫描条件所限，未能评估{}。", title(code))
    }

    fn not_evaluated(&self, codes: &[String]) -> String {
        let names: Vec<&str> = codes.iter().map(|c| title(c)).collect();
        format!("本软件未评估：{}。", names.join("、"))
    }

    fn system_not_evaluated(&self, _system: OrganSystem) -> String {
        "本软件未评估该部位。".into()
    }

    fn pe_limit(&self) -> String {
        "平扫CT无法评估肺动脉栓塞。".into()
    }

    fn heading(&self, h: Heading) -> &'static str {
        match h {
            Heading::Title => "胸部CT检查报告",
            Heading::Indication => "检查指征",
            Heading::Technique => "检查技术",
            Heading::Comparison => "对比",
            Heading::Findings => "影像所见",
            Heading::Impression => "印象",
            Heading::Communication => "危急及紧急结果通报",
            Heading::SignOff => "签发",
            Heading::KeyImages => "关键图像",
        }
    }

    fn system_name(&self, system: OrganSystem) -> &'static str {
        match system {
            OrganSystem::Lungs => "肺",
            OrganSystem::Airways => "气道",
            OrganSystem::Pleura => "胸膜",
            OrganSystem::HeartAndVessels => "心脏及大血管",
            OrganSystem::Mediastinum => "纵隔",
            OrganSystem::ChestWall => "胸壁",
            OrganSystem::Bones => "骨骼",
            OrganSystem::UpperAbdomen => "上腹部",
            OrganSystem::Devices => "置入装置",
        }
    }

    fn indication_not_given(&self) -> String {
        "未提供。".into()
    }

    fn technique(&self, s: &ReportStudy) -> String {
        let mut parts = vec![if s.contrast_agent.is_some() {
            "胸部CT（原始资料记录有对比剂，本软件按平扫分析）".to_string()
        } else {
            "胸部CT平扫".to_string()
        }];
        if let Some(k) = s.kvp {
            parts.push(format!("管电压 {} kV", number(k, "HU")));
        }
        if let Some(t) = s.slice_thickness_mm {
            parts.push(format!("层厚 {} mm", number(t, "mm")));
        }
        if let Some(k) = &s.kernel {
            parts.push(format!("重建卷积核 {k}"));
        }
        if let Some(c) = s.ctdi_vol_mgy {
            parts.push(format!("CTDIvol {c:.1} mGy"));
        }
        if let Some(d) = s.dlp_mgy_cm {
            parts.push(format!("DLP {d:.0} mGy·cm"));
        }
        format!("{}。", parts.join("，"))
    }

    fn comparison(&self, c: Option<&Comparison>) -> String {
        match c {
            None => "无。".into(),
            Some(c) => match (&c.prior_date, c.interval_days) {
                (Some(d), Some(days)) => {
                    format!("与{}胸部CT对比（间隔约 {} 个月）。", date(d), months(days))
                }
                (Some(d), None) => format!("与{}胸部CT对比。", date(d)),
                _ => "与既往胸部CT对比（日期不详）。".into(),
            },
        }
    }

    fn follow_up(&self, a: &FollowUp) -> String {
        match a {
            FollowUp::LungRads(v) => match v.trim_end_matches('S').trim() {
                "0" => "建议补充肺癌筛查CT图像和/或与既往胸部CT对比，必要时1-3个月后复查低剂量CT。".into(),
                "1" | "2" => "建议12个月后继续年度低剂量CT筛查。".into(),
                "3" => "建议6个月后复查低剂量CT。".into(),
                "4A" => "建议3个月后复查低剂量CT；实性结节或实性成分≥8 mm时可考虑PET/CT。".into(),
                "4B" | "4X" => "建议行胸部诊断性CT（平扫或增强）、PET/CT和/或组织活检，视恶性概率及合并症而定。".into(),
                other => format!("按 Lung-RADS {other} 类处理。"),
            },
            FollowUp::Fleischner(k) => match k.as_str() {
                "no-routine-follow-up" => "无需常规随访（Fleischner 2017）。".into(),
                "optional-ct-12m" => "可选择12个月后复查CT（Fleischner 2017）。".into(),
                "ct-6-12m-then-18-24m" => "建议6-12个月后复查CT，之后可考虑18-24个月再次复查（Fleischner 2017）。".into(),
                "ct-3m-pet-or-biopsy" => "建议考虑3个月后复查CT、PET/CT或组织活检（Fleischner 2017）。".into(),
                "ct-3-6m-then-18-24m" => "建议3-6个月后复查CT，之后可考虑18-24个月再次复查（Fleischner 2017）。".into(),
                "ct-6-12m-then-every-2y-to-5y" => "建议6-12个月后复查CT确认病灶持续存在，之后每2年复查至满5年（Fleischner 2017）。".into(),
                "ct-3-6m-then-annual-to-5y" => "建议3-6个月后复查CT确认病灶持续存在；如无变化且实性成分仍小于6 mm，每年复查CT至满5年（Fleischner 2017）。".into(),
                other => format!("按 Fleischner 2017（{other}）处理。"),
            },
            FollowUp::NoduleGuidelineByContext => "未提供检查目的：低剂量肺癌筛查CT（层厚≤2.5 mm）适用 Lung-RADS v2022；35岁及以上、无已知肿瘤或免疫抑制患者的偶发结节适用 Fleischner 2017。".into(),
            FollowUp::OncologyComparison => "建议结合既往影像及肿瘤治疗方案对比评估。".into(),
            FollowUp::ImmediateClinicalAttention => "危急结果：请立即通知临床医师。".into(),
            FollowUp::Echocardiography => "建议行超声心动图检查。".into(),
            FollowUp::CardiovascularRisk => "建议进行心血管风险评估。".into(),
            FollowUp::ThyroidUltrasound => "年龄≥35岁且结节≥15 mm、年龄<35岁且结节≥10 mm或具有可疑征象时，建议行甲状腺超声检查（ACR 2015）。".into(),
            FollowUp::AdrenalImaging => "除非CT值≤10 HU，建议行肾上腺专用CT或MRI检查（ACR 2017）。".into(),
            FollowUp::BreastImaging => "建议行诊断性乳腺X线摄影及乳腺超声检查。".into(),
            FollowUp::BoneDensitometry => "建议行双能X线骨密度检查（DXA）。".into(),
            FollowUp::DiagnosticWorkup => "建议进一步诊断性检查。".into(),
            FollowUp::ClinicalCorrelation => "建议结合临床。".into(),
        }
    }

    fn urgency(&self, u: Urgency) -> String {
        match u {
            Urgency::Tier1 => "危急，1级：需数分钟内通报",
            Urgency::Tier2 => "2级：需数小时内通报",
            Urgency::Tier3 => "3级：需数日内通报",
            Urgency::Routine => "常规",
            Urgency::Incidental => "偶发",
        }
        .into()
    }

    fn context(&self, c: ExamContext) -> &'static str {
        match c {
            ExamContext::Screening => "筛查",
            ExamContext::Incidental => "偶发",
            ExamContext::Oncology => "肿瘤随访",
            ExamContext::Unknown => "检查目的未知",
        }
    }

    fn exam_lung_rads(&self, e: &ExamLungRads) -> String {
        match e {
            ExamLungRads::Category { value, s_modifier } => format!(
                "Lung-RADS v2022 整体分类：{value} 类{}。",
                if *s_modifier {
                    "，S（存在与肺癌无关的重要发现）"
                } else {
                    ""
                }
            ),
            ExamLungRads::NotApplicable { slice_mm } => format!(
                "层厚 {} mm 大于 2.5 mm，不适用 Lung-RADS v2022。",
                number(*slice_mm, "mm")
            ),
        }
    }

    fn status(&self, s: &SignOff) -> String {
        match (&s.signed_by, &s.signed_at) {
            (Some(who), Some(when)) => format!("已由 {who} 于 {when} 签发。"),
            _ => "初步报告，尚未签发（PRELIMINARY, NOT SIGNED）。签发医师：________  日期时间：________".into(),
        }
    }

    fn communication(&self, c: &Communication, f: &Finding) -> String {
        let blank = |v: &Option<String>| v.clone().unwrap_or_else(|| "________".into());
        format!(
            "{}（{}）：通报对象 {}；时间 {}；方式 {}。",
            title(&f.code),
            self.urgency(c.urgency),
            blank(&c.who),
            blank(&c.when),
            blank(&c.how)
        )
    }

    fn several(&self, count: usize) -> String {
        format!("同类病灶共 {count} 处，以最大者为代表：")
    }

    fn no_significant(&self) -> String {
        "本软件评估范围内未见需要处理的重要异常。".into()
    }

    fn disclaimer(&self) -> String {
        "本报告由 airad 辅助诊断软件生成，所有内容须经放射科医师审核并签发。".into()
    }

    fn key_image_caption(&self, f: &Finding) -> String {
        format!("{}：{}{}", f.id, location(&f.site), title(&f.code))
    }
}

/// The Chinese name of a grading system the units name after FINDINGS.md
/// (guidelines named after their authors keep their names).
fn grade_system(system: &str) -> &str {
    match system {
        "axial cardiothoracic ratio (FINDINGS.md F17)" => "轴位心胸比",
        "pericardial effusion size (FINDINGS.md F18)" => "心包积液分级（超声心动图标准）",
        "thoracic aortic diameter (FINDINGS.md F22)" => "胸主动脉径线",
        "aortic wall calcification (FINDINGS.md F21, convention)" => "主动脉壁钙化分级（约定）",
        "mitral annular calcification (FINDINGS.md F39)" => "二尖瓣环钙化范围",
        "aortic valve calcification (FINDINGS.md F20, gated-CT thresholds)" => {
            "主动脉瓣钙化（门控CT阈值）"
        }
        other => other,
    }
}

/// The Chinese word for a grade value the units write in English: a
/// degree (轻度/中度/重度) for calcification, an amount (少量/中量/大量)
/// for fluid.
fn grade_value<'a>(system: &str, value: &'a str) -> &'a str {
    if system.contains("calcification") {
        return match value {
            "mild" => "轻度",
            "moderate" => "中度",
            "severe" => "重度",
            "present" => "存在",
            "extensive" => "广泛（≥ 半周）",
            "possible severe aortic stenosis, echocardiography advised" => {
                "可能为重度主动脉瓣狭窄，建议超声心动图检查"
            }
            "possible severe aortic stenosis if female, echocardiography advised" => {
                "若为女性则可能为重度主动脉瓣狭窄，建议超声心动图检查"
            }
            "below the severe aortic stenosis threshold" => "低于重度主动脉瓣狭窄阈值",
            other => other,
        };
    }
    match value {
        "small" => "少量",
        "moderate" => "中量",
        "large" => "大量",
        "dilated" => "扩张",
        "aneurysm" => "动脉瘤",
        "enlarged (> 0.5)" => "增大（> 0.5）",
        other => other,
    }
}
