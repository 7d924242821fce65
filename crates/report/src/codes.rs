//! Coded concepts for the DICOM SR/SEG and FHIR outputs: finding codes,
//! finding sites, measurement names and units.
//!
//! SNOMED CT (`SCT`, `http://snomed.info/sct`) is used where a concept is
//! well established; every other concept comes from airad's private
//! coding scheme `99AIRAD` (FHIR system [`AIRAD_SYSTEM`]), whose code
//! values are the catalogue codes ("F02"), measurement names
//! ("mean_diameter") and grade systems ("lung-rads"), documented in
//! docs/outputs.md. Units are UCUM.

use aisu::Site;

/// DICOM Coding Scheme Designator of airad's private codes.
pub const AIRAD_SCHEME: &str = "99AIRAD";
/// FHIR system URI of airad's private codes.
pub const AIRAD_SYSTEM: &str = "urn:airad:codes";
/// FHIR system URI of SNOMED CT.
pub const SNOMED_SYSTEM: &str = "http://snomed.info/sct";
/// FHIR system URI of UCUM.
pub const UCUM_SYSTEM: &str = "http://unitsofmeasure.org";

/// A coded concept: scheme designator, value, meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// DICOM Coding Scheme Designator ("SCT", "DCM", "UCUM", "99AIRAD").
    pub scheme: &'static str,
    /// Code value.
    pub value: String,
    /// Code meaning.
    pub meaning: String,
}

impl Code {
    fn new(scheme: &'static str, value: &str, meaning: &str) -> Self {
        Code {
            scheme,
            value: value.to_string(),
            meaning: meaning.to_string(),
        }
    }

    /// A SNOMED CT concept.
    pub fn sct(value: &str, meaning: &str) -> Self {
        Code::new("SCT", value, meaning)
    }

    /// A DICOM (DCM) concept.
    pub fn dcm(value: &str, meaning: &str) -> Self {
        Code::new("DCM", value, meaning)
    }

    /// A private airad concept.
    pub fn airad(value: &str, meaning: &str) -> Self {
        Code::new(AIRAD_SCHEME, value, meaning)
    }

    /// The FHIR system URI of the scheme.
    pub fn fhir_system(&self) -> &'static str {
        match self.scheme {
            "SCT" => SNOMED_SYSTEM,
            "UCUM" => UCUM_SYSTEM,
            "DCM" => "http://dicom.nema.org/resources/ontology/DCM",
            _ => AIRAD_SYSTEM,
        }
    }
}

/// SNOMED CT concepts of the catalogue codes that have an established one.
const FINDING_SCT: [(&str, &str, &str); 13] = [
    ("F01", "786838002", "Pulmonary nodule"),
    ("F05", "87433001", "Pulmonary emphysema"),
    ("F07", "95436008", "Lung consolidation"),
    ("F09", "46621007", "Atelectasis"),
    ("F11", "12295008", "Bronchiectasis"),
    ("F14", "60046008", "Pleural effusion"),
    ("F15", "36118008", "Pneumothorax"),
    ("F17", "8186001", "Cardiomegaly"),
    ("F18", "373945007", "Pericardial effusion"),
    ("F24", "30746006", "Lymphadenopathy"),
    ("F26", "84089009", "Hiatal hernia"),
    ("F28", "33737001", "Fracture of rib"),
    ("F32", "197321007", "Steatosis of liver"),
];

/// The concept of a finding code: SNOMED CT when listed, else private.
pub fn finding(code: &str) -> Code {
    if let Some((_, v, m)) = FINDING_SCT.iter().find(|(c, _, _)| *c == code) {
        return Code::sct(v, m);
    }
    let title = aisu::catalogue::entry(code).map_or("finding", |e| e.title);
    Code::airad(code, title)
}

/// The catalogue code's private concept (always present, beside any SNOMED
/// CT concept, so the exact airad code survives every conversion).
pub fn finding_private(code: &str) -> Code {
    let title = aisu::catalogue::entry(code).map_or("finding", |e| e.title);
    Code::airad(code, title)
}

/// The SNOMED CT concept of the most specific location of a finding.
pub fn site(code: &str, site: &Site) -> Code {
    let lobe = match site.lobe.as_deref() {
        Some("RUL") => Some(("45653009", "Upper lobe of right lung")),
        Some("RML") => Some(("72481006", "Middle lobe of right lung")),
        Some("RLL") => Some(("266005", "Lower lobe of right lung")),
        Some("LUL") => Some(("44714003", "Upper lobe of left lung")),
        Some("LLL") => Some(("41224006", "Lower lobe of left lung")),
        _ => None,
    };
    if let Some((v, m)) = lobe {
        return Code::sct(v, m);
    }
    let side = site.side.as_deref();
    let (v, m) = match code {
        "F01" | "F02" | "F03" | "F04" | "F05" | "F06" | "F07" | "F08" | "F09" | "F10" => match side
        {
            Some("right") => ("3341006", "Right lung"),
            Some("left") => ("44029006", "Left lung"),
            _ => ("39607008", "Lung"),
        },
        "F11" | "F12" => ("955009", "Bronchus"),
        "F13" => ("44567001", "Trachea"),
        "F14" | "F15" | "F16" => ("3120008", "Pleural membrane"),
        "F17" => ("80891009", "Heart"),
        "F18" => ("25087005", "Pericardium"),
        "F19" => ("41801008", "Coronary artery"),
        "F20" => ("34202007", "Aortic valve"),
        "F21" | "F22" | "F35" => ("113262008", "Thoracic aorta"),
        "F23" => ("81040000", "Pulmonary artery"),
        "F24" => ("59441001", "Lymph node"),
        "F25" => ("32849002", "Esophagus"),
        "F26" => ("32849002", "Esophagus"),
        "F27" => ("69748006", "Thyroid gland"),
        "F28" => match site.structure.as_deref() {
            Some("sternum") => ("56873002", "Sternum"),
            Some(s) if s.starts_with("clavicle") => ("51299004", "Clavicle"),
            Some(s) if s.starts_with("scapula") => ("79601000", "Scapula"),
            _ => ("113197003", "Rib"),
        },
        "F29" | "F30" => ("421060004", "Vertebral column"),
        "F31" => ("272673000", "Bone"),
        "F32" => ("10200004", "Liver"),
        "F33" | "F34" => ("51185008", "Thorax"),
        "F36" => ("23451007", "Adrenal gland"),
        "F37" => ("72410000", "Mediastinum"),
        "F38" => match site.structure.as_deref() {
            Some("breast") => ("76752008", "Breast"),
            _ => ("91470000", "Axilla"),
        },
        "F39" => ("91134007", "Mitral valve"),
        _ => ("51185008", "Thorax"),
    };
    Code::sct(v, m)
}

/// The concept of a measurement name.
pub fn measurement(name: &str) -> Code {
    match name {
        "long_axis" => Code::sct("103339001", "Long axis"),
        "short_axis" => Code::sct("103340004", "Short axis"),
        "volume" => Code::sct("118565006", "Volume"),
        other => Code::airad(other, &other.replace('_', " ")),
    }
}

/// The name of a measurement from its concept (inverse of [`measurement`]).
pub fn measurement_name(code: &Code) -> String {
    match (code.scheme, code.value.as_str()) {
        ("SCT", "103339001") => "long_axis".into(),
        ("SCT", "103340004") => "short_axis".into(),
        ("SCT", "118565006") => "volume".into(),
        _ => code.value.clone(),
    }
}

/// The UCUM code and meaning of a findings.json unit.
pub fn ucum(unit: &str) -> (String, String) {
    let (c, m) = match unit {
        "mm" => ("mm", "millimeter"),
        "cm" => ("cm", "centimeter"),
        "mL" | "ml" => ("mL", "milliliter"),
        "mm3" => ("mm3", "cubic millimeter"),
        "HU" => ("[hnsf'U]", "Hounsfield unit"),
        "%" => ("%", "percent"),
        "1" | "" => ("1", "no units"),
        other => return (format!("{{{other}}}"), other.to_string()),
    };
    (c.to_string(), m.to_string())
}

/// The findings.json unit of a UCUM code (inverse of [`ucum`]).
pub fn unit_of_ucum(code: &str) -> String {
    match code {
        "mL" => "mL".into(),
        "[hnsf'U]" => "HU".into(),
        c if c.starts_with('{') && c.ends_with('}') => c[1..c.len() - 1].to_string(),
        c => c.to_string(),
    }
}

/// The concept naming a grade system (a qualitative evaluation's name).
pub fn grade_system(system: &str) -> Code {
    let key: String = system
        .chars()
        .take_while(|c| *c != ' ')
        .collect::<String>()
        .to_ascii_lowercase();
    Code::airad(&key, system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for name in ["long_axis", "mean_diameter", "volume", "agatston"] {
            assert_eq!(measurement_name(&measurement(name)), name);
        }
        for unit in ["mm", "mL", "HU", "%", "1", "AU"] {
            assert_eq!(unit_of_ucum(&ucum(unit).0), unit);
        }
        assert_eq!(finding("F01").scheme, "SCT");
        assert_eq!(finding("F02").value, "F02");
        assert_eq!(grade_system("Lung-RADS v2022").value, "lung-rads");
    }
}
