//! The AISU manifest: what a unit is, what it needs and makes, which
//! finding codes it may emit and what resources it asks for. The same
//! structure describes built-in units (in code) and external ones
//! (`manifest.toml` beside an executable, an HTTP service or an ONNX model),
//! so the pathway treats them alike.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A unit's identity card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique id, reverse-domain style: "airad.lungs", "acme.nodule-cad".
    pub id: String,
    /// Semantic version of the unit.
    pub version: String,
    /// Who made it.
    pub vendor: String,
    /// One sentence on what it does.
    pub description: String,
    /// Modality it reads ("CT").
    #[serde(default = "ct")]
    pub modality: String,
    /// Body region it reads ("chest").
    #[serde(default = "chest")]
    pub body_region: String,
    /// Artefact names it needs before it can run ("mask:lung_left",
    /// "landmarks:carina", "centreline:aorta"...). The volume itself is
    /// always available and not listed.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Artefact names it uses when present but can run without (e.g.
    /// "mask:spleen", often out of the field of view).
    #[serde(default)]
    pub optional: Vec<String>,
    /// Artefact names it makes.
    #[serde(default)]
    pub produces: Vec<String>,
    /// Finding codes (F01..F39) it may emit; a failed unit turns each into
    /// a `not_assessed` entry.
    #[serde(default)]
    pub codes: Vec<String>,
    /// What it asks of the machine.
    #[serde(default)]
    pub resources: Resources,
}

fn ct() -> String {
    "CT".to_string()
}

fn chest() -> String {
    "chest".to_string()
}

/// Resource requests of a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Threads it uses at most.
    #[serde(default = "one_thread")]
    pub threads: usize,
    /// Peak memory it may need, MB.
    #[serde(default = "default_memory")]
    pub memory_mb: u64,
    /// Whether it needs a GPU.
    #[serde(default)]
    pub gpu: bool,
    /// Wall-clock limit in seconds; past it the unit's codes become
    /// `not_assessed` and its results are ignored.
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// Typical wall-clock seconds on a 512 x 512 x 300 chest CT on 2
    /// cores. Used only for scheduling: of the units ready to start, the
    /// one heading the longest chain of typical times still to run starts
    /// first (default 1).
    #[serde(default = "default_typical")]
    pub typical_s: f64,
}

fn one_thread() -> usize {
    1
}

fn default_memory() -> u64 {
    1024
}

fn default_timeout() -> f64 {
    120.0
}

fn default_typical() -> f64 {
    1.0
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            threads: one_thread(),
            memory_mb: default_memory(),
            gpu: false,
            timeout_s: default_timeout(),
            typical_s: default_typical(),
        }
    }
}

impl Manifest {
    /// A manifest with defaults for everything but identity.
    pub fn new(id: &str, version: &str, description: &str) -> Self {
        Manifest {
            id: id.to_string(),
            version: version.to_string(),
            vendor: "airad".to_string(),
            description: description.to_string(),
            modality: ct(),
            body_region: chest(),
            requires: Vec::new(),
            optional: Vec::new(),
            produces: Vec::new(),
            codes: Vec::new(),
            resources: Resources::default(),
        }
    }

    /// Builder: artefacts required.
    pub fn requires(mut self, names: &[&str]) -> Self {
        self.requires = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Builder: artefacts used when present.
    pub fn optional(mut self, names: &[&str]) -> Self {
        self.optional = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Builder: artefacts produced.
    pub fn produces(mut self, names: &[&str]) -> Self {
        self.produces = names.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Builder: finding codes it may emit.
    pub fn codes(mut self, codes: &[&str]) -> Self {
        self.codes = codes.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Builder: resources.
    pub fn resources(mut self, threads: usize, memory_mb: u64, timeout_s: f64) -> Self {
        self.resources = Resources {
            threads,
            memory_mb,
            gpu: false,
            timeout_s,
            typical_s: self.resources.typical_s,
        };
        self
    }

    /// Builder: typical wall-clock seconds on a 512 x 512 x 300 chest CT
    /// on 2 cores (see [`Resources::typical_s`]).
    pub fn typical(mut self, seconds: f64) -> Self {
        self.resources.typical_s = seconds;
        self
    }

    /// Checks the manifest: non-empty id and version, known codes,
    /// well-formed artefact names, sane resources.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.trim().is_empty() {
            return Err("manifest id is empty".into());
        }
        if self.version.trim().is_empty() {
            return Err(format!("{}: version is empty", self.id));
        }
        for code in &self.codes {
            if !crate::catalogue::is_code(code) {
                return Err(format!("{}: unknown finding code {code}", self.id));
            }
        }
        for name in self
            .requires
            .iter()
            .chain(&self.optional)
            .chain(&self.produces)
        {
            crate::artefact::ArtefactName::parse(name).map_err(|e| format!("{}: {e}", self.id))?;
        }
        if self.resources.threads == 0
            || self.resources.timeout_s.is_nan()
            || self.resources.timeout_s <= 0.0
        {
            return Err(format!(
                "{}: threads and timeout_s must be positive",
                self.id
            ));
        }
        if !(self.resources.typical_s >= 0.0 && self.resources.typical_s.is_finite()) {
            return Err(format!(
                "{}: typical_s must be a finite number of seconds, 0 or more",
                self.id
            ));
        }
        Ok(())
    }

    /// Parses a `manifest.toml`.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| e.to_string())?;
        manifest.validate()?;
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_manifest_with_defaults() {
        let m = Manifest::from_toml(
            r#"
            id = "acme.nodule"
            version = "2.1.0"
            vendor = "Acme"
            description = "Nodule detector"
            requires = ["mask:lung_left", "mask:lung_right"]
            codes = ["F01", "F02"]
            [resources]
            threads = 2
            timeout_s = 30
            "#,
        )
        .unwrap();
        assert_eq!(m.modality, "CT");
        assert_eq!(m.resources.threads, 2);
        assert_eq!(m.resources.memory_mb, 1024);
        assert_eq!(m.resources.typical_s, 1.0);
    }

    #[test]
    fn bad_manifests_are_refused() {
        let base = Manifest::new("x.y", "1", "d");
        assert!(base.clone().codes(&["F77"]).validate().is_err());
        assert!(base.clone().requires(&["lung"]).validate().is_err());
        assert!(base.clone().typical(-1.0).validate().is_err());
        assert!(base.clone().typical(f64::NAN).validate().is_err());
        assert!(base.clone().typical(2.5).validate().is_ok());
        assert!(
            Manifest::from_toml(
                "id = 'a'\nversion = '1'\nvendor = 'v'\ndescription = 'd'\ncolour = 'red'"
            )
            .is_err()
        );
    }
}
