//! Pathway files: a TOML list of units with their parameters, and the plan
//! (a DAG) derived from what each unit requires and produces.
//!
//! ```toml
//! name = "chest-ct-full"
//! description = "every built-in unit"
//! threads = 2                  # optional thread budget
//! [[units]]
//! id = "airad.lungs"
//! [[units]]
//! id = "airad.nodule"
//! timeout_s = 60               # optional override of the manifest's
//! [units.params]
//! min_diameter_mm = 3.0
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aisu::{Aisu, ArtefactName};
use serde::{Deserialize, Serialize};

use crate::PathwayError;

/// A pathway as written in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathwaySpec {
    /// Pathway name.
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Thread budget (default: the machine's cores).
    #[serde(default)]
    pub threads: Option<usize>,
    /// Its units.
    pub units: Vec<UnitSpec>,
}

/// One unit in a pathway file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitSpec {
    /// Unit id, as in its manifest.
    pub id: String,
    /// Parameters handed to the unit.
    #[serde(default)]
    pub params: toml::Table,
    /// Time-out override in seconds.
    #[serde(default)]
    pub timeout_s: Option<f64>,
}

impl PathwaySpec {
    /// Parses a pathway file's text.
    pub fn from_toml(text: &str) -> Result<Self, PathwayError> {
        let spec: PathwaySpec =
            toml::from_str(text).map_err(|e| PathwayError::Spec(one_line(&e.to_string())))?;
        if spec.units.is_empty() {
            return Err(PathwayError::Spec("the pathway lists no units".into()));
        }
        let mut seen = BTreeSet::new();
        for u in &spec.units {
            if !seen.insert(&u.id) {
                return Err(PathwayError::Spec(format!("unit {} is listed twice", u.id)));
            }
            if let Some(t) = u.timeout_s
                && (t.is_nan() || t <= 0.0)
            {
                return Err(PathwayError::Spec(format!(
                    "unit {}: timeout_s must be positive",
                    u.id
                )));
            }
        }
        if spec.threads == Some(0) {
            return Err(PathwayError::Spec("threads must be at least 1".into()));
        }
        Ok(spec)
    }

    /// A pathway running every unit of a registry, in registry order.
    pub fn all_of(name: &str, registry: &Registry) -> Self {
        PathwaySpec {
            name: name.to_string(),
            description: format!("every unit registered ({})", registry.len()),
            threads: None,
            units: registry
                .ids()
                .map(|id| UnitSpec {
                    id: id.to_string(),
                    params: toml::Table::new(),
                    timeout_s: None,
                })
                .collect(),
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The units a pathway can name, by id.
#[derive(Default, Clone)]
pub struct Registry {
    units: Vec<Arc<dyn Aisu>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds a unit; its manifest must be valid and its id new.
    pub fn register(&mut self, unit: Arc<dyn Aisu>) -> Result<(), PathwayError> {
        let m = unit.manifest();
        m.validate().map_err(PathwayError::Manifest)?;
        if self.get(&m.id).is_some() {
            return Err(PathwayError::Manifest(format!(
                "unit {} registered twice",
                m.id
            )));
        }
        self.units.push(unit);
        Ok(())
    }

    /// The unit with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<dyn Aisu>> {
        self.units.iter().find(|u| u.manifest().id == id)
    }

    /// Unit ids in registration order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.units.iter().map(|u| u.manifest().id.as_str())
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
}

/// A resolved pathway: units in a topological order with their
/// dependencies.
#[derive(Clone)]
pub struct Plan {
    /// Pathway name.
    pub name: String,
    /// Thread budget.
    pub threads: usize,
    /// Units in topological order.
    pub units: Vec<PlannedUnit>,
}

/// A unit in a plan.
#[derive(Clone)]
pub struct PlannedUnit {
    /// The unit.
    pub unit: Arc<dyn Aisu>,
    /// Its parameters.
    pub params: toml::Table,
    /// Its time-out, seconds.
    pub timeout_s: f64,
    /// Indices (into `Plan::units`) of the units it depends on.
    pub depends_on: Vec<usize>,
    /// Typical seconds of the longest chain of units that starts with this
    /// one (its own `typical_s` plus the longest such chain among the units
    /// that depend on it): the scheduler starts the ready unit with the
    /// longest chain first, so the critical path is never left waiting
    /// behind short side branches.
    pub chain_s: f64,
}

impl Plan {
    /// Resolves a spec against a registry: every unit must exist, every
    /// required artefact must have exactly one producer in the pathway, and
    /// the graph must have no cycle.
    pub fn resolve(spec: &PathwaySpec, registry: &Registry) -> Result<Plan, PathwayError> {
        let mut units = Vec::new();
        for u in &spec.units {
            let unit = registry.get(&u.id).ok_or_else(|| {
                PathwayError::Spec(format!(
                    "unit {} is not known (known: {})",
                    u.id,
                    registry.ids().collect::<Vec<_>>().join(", ")
                ))
            })?;
            units.push((u, unit.clone()));
        }
        // Who produces what.
        let mut producer: BTreeMap<ArtefactName, usize> = BTreeMap::new();
        for (i, (_, unit)) in units.iter().enumerate() {
            for p in &unit.manifest().produces {
                let name = ArtefactName::parse(p).map_err(PathwayError::Manifest)?;
                if let Some(j) = producer.insert(name, i) {
                    return Err(PathwayError::Spec(format!(
                        "{p} is produced by both {} and {}",
                        units[j].1.manifest().id,
                        unit.manifest().id
                    )));
                }
            }
        }
        let mut deps: Vec<Vec<usize>> = Vec::new();
        for (unit_spec, unit) in &units {
            let m = unit.manifest();
            let mut d = BTreeSet::new();
            for r in &m.requires {
                let name = ArtefactName::parse(r).map_err(PathwayError::Manifest)?;
                match producer.get(&name) {
                    Some(j) => {
                        d.insert(*j);
                    }
                    None => {
                        return Err(PathwayError::Spec(format!(
                            "{} requires {r}, which no unit of pathway {} produces",
                            unit_spec.id, spec.name
                        )));
                    }
                }
            }
            for r in &m.optional {
                let name = ArtefactName::parse(r).map_err(PathwayError::Manifest)?;
                if let Some(j) = producer.get(&name) {
                    d.insert(*j);
                }
            }
            deps.push(d.into_iter().collect());
        }
        // Topological order (Kahn), stable in pathway order.
        let n = units.len();
        let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
        let mut order = Vec::with_capacity(n);
        let mut done = vec![false; n];
        while order.len() < n {
            let next = (0..n).find(|&i| !done[i] && indegree[i] == 0);
            let Some(i) = next else {
                let stuck: Vec<&str> = (0..n)
                    .filter(|&i| !done[i])
                    .map(|i| units[i].0.id.as_str())
                    .collect();
                return Err(PathwayError::Spec(format!(
                    "dependency cycle among {}",
                    stuck.join(", ")
                )));
            };
            done[i] = true;
            order.push(i);
            for (k, dk) in deps.iter().enumerate() {
                if !done[k] && dk.contains(&i) {
                    indegree[k] -= 1;
                }
            }
        }
        let position: BTreeMap<usize, usize> =
            order.iter().enumerate().map(|(pos, &i)| (i, pos)).collect();
        // Longest chain from each unit to the end, in typical seconds:
        // dependants come later in `order`, so walk it backwards.
        let mut chain_s = vec![0.0f64; n];
        for &i in order.iter().rev() {
            let after = (0..n)
                .filter(|&k| deps[k].contains(&i))
                .map(|k| chain_s[k])
                .fold(0.0, f64::max);
            chain_s[i] = units[i].1.manifest().resources.typical_s + after;
        }
        let planned = order
            .iter()
            .map(|&i| {
                let (unit_spec, unit) = &units[i];
                PlannedUnit {
                    unit: unit.clone(),
                    params: unit_spec.params.clone(),
                    timeout_s: unit_spec
                        .timeout_s
                        .unwrap_or(unit.manifest().resources.timeout_s),
                    depends_on: deps[i].iter().map(|j| position[j]).collect(),
                    chain_s: chain_s[i],
                }
            })
            .collect();
        let threads = spec.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
        Ok(Plan {
            name: spec.name.clone(),
            threads,
            units: planned,
        })
    }
}
