//! The scheduler: runs a plan's units as their inputs become ready,
//! several at once within the thread budget, each on its own thread with
//! a time-out, and isolates faults: a unit that fails, panics or times out
//! turns its codes into `not_assessed` with the reason, its artefacts
//! become absent (so dependants are skipped with that reason), and the run
//! goes on. Wall time and process memory are recorded per unit.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use aisu::{ArtefactName, ArtefactStore, Context, ExamInfo, NotAssessed, UnitOutput};
use serde::Serialize;
use volume::Volume;

use crate::spec::Plan;

/// How a unit's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitStatus {
    /// Finished normally.
    Ok,
    /// Returned an error or panicked.
    Failed,
    /// Exceeded its time-out; its results were discarded.
    TimedOut,
    /// Not run: a required input was absent.
    Skipped,
}

/// What run.json records of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    /// Unit id.
    pub id: String,
    /// Unit version.
    pub version: String,
    /// How it ended.
    pub status: UnitStatus,
    /// Why it did not finish normally.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Wall-clock seconds from start to end (0 when skipped).
    pub wall_s: f64,
    /// Peak resident memory of the whole process while the unit ran, MB
    /// (units running at the same time share this figure).
    pub peak_rss_mb: f64,
    /// Peak resident memory above the level at the unit's start, MB.
    pub rss_growth_mb: f64,
    /// Findings it reported.
    pub findings: usize,
}

/// Callbacks for progress display.
pub trait RunObserver: Sync {
    /// A unit started.
    fn started(&self, id: &str);
    /// A unit ended.
    fn ended(&self, report: &UnitReport);
}

/// An observer that does nothing.
pub struct Silent;

impl RunObserver for Silent {
    fn started(&self, _id: &str) {}
    fn ended(&self, _report: &UnitReport) {}
}

/// Everything the units made, unmerged.
pub struct RunOutcome {
    /// Artefacts present and absent after the run.
    pub store: ArtefactStore,
    /// Per-unit outputs (findings, measurements...), in plan order, with
    /// the producing unit's id and version.
    pub outputs: Vec<(String, String, UnitOutput)>,
    /// Codes of units that did not finish, with reasons.
    pub not_assessed: Vec<NotAssessed>,
    /// One report per unit, in plan order.
    pub reports: Vec<UnitReport>,
    /// Whole-run wall time, seconds.
    pub wall_s: f64,
}

enum Message {
    Done(usize, Result<UnitOutput, String>, f64),
}

/// Runs a plan on a volume.
pub fn run(
    plan: &Plan,
    volume: Arc<Volume<i16>>,
    exam: Arc<ExamInfo>,
    observer: &dyn RunObserver,
) -> RunOutcome {
    let start = Instant::now();
    let n = plan.units.len();
    let mut store = ArtefactStore::default();
    let mut reports: Vec<Option<UnitReport>> = vec![None; n];
    let mut outputs: Vec<Option<UnitOutput>> = (0..n).map(|_| None).collect();
    let mut not_assessed = Vec::new();
    let mut running: BTreeMap<usize, Running> = BTreeMap::new();
    let mut free_threads = plan.threads.max(1);
    let (tx, rx) = mpsc::channel::<Message>();
    let memory = MemoryWatch::start();
    // Longest chain first. The order stays topological: a unit's chain
    // is its dependants' plus its own `typical_s` (>= 0, checked when
    // registered), and the stable sort keeps plan order on ties, so a
    // unit made ready by a skip in a pass is still to come in that pass.
    let mut by_chain: Vec<usize> = (0..n).collect();
    by_chain.sort_by(|&a, &b| plan.units[b].chain_s.total_cmp(&plan.units[a].chain_s));

    loop {
        // Start every ready unit that fits the budget (a unit wider than
        // the whole budget runs alone), the one heading the longest chain
        // of work first (critical path first; plan order breaks ties).
        for i in by_chain.iter().copied() {
            if reports[i].is_some() || running.contains_key(&i) {
                continue;
            }
            let planned = &plan.units[i];
            if !planned.depends_on.iter().all(|d| reports[*d].is_some()) {
                continue;
            }
            let manifest = planned.unit.manifest();
            if let Some(reason) = missing_input(manifest, &store) {
                let report = skipped(manifest, &reason);
                not_assessed.extend(codes_not_assessed(manifest, &reason));
                mark_absent(
                    manifest,
                    &mut store,
                    &format!("{} was skipped", manifest.id),
                );
                observer.ended(&report);
                reports[i] = Some(report);
                continue;
            }
            let width = manifest.resources.threads.clamp(1, plan.threads.max(1));
            if width > free_threads {
                continue;
            }
            free_threads -= width;
            observer.started(&manifest.id);
            let cancel = Arc::new(AtomicBool::new(false));
            let handle = spawn_unit(
                i,
                planned.unit.clone(),
                planned.params.clone(),
                volume.clone(),
                exam.clone(),
                Arc::new(store.clone()),
                cancel.clone(),
                tx.clone(),
            );
            running.insert(
                i,
                Running {
                    started: Instant::now(),
                    rss_at_start: memory.current_mb(),
                    peak_mark: memory.begin(),
                    width,
                    cancel,
                    _handle: handle,
                },
            );
        }
        if running.is_empty() {
            if reports.iter().all(Option::is_some) {
                break;
            }
            // Nothing runs and nothing can start: cannot happen with a
            // resolved plan, but never spin.
            break;
        }
        // Wait for the next unit to end or the nearest time-out.
        let nearest = running
            .iter()
            .map(|(i, r)| {
                let limit = Duration::from_secs_f64(plan.units[*i].timeout_s);
                limit.saturating_sub(r.started.elapsed())
            })
            .min()
            .unwrap_or(Duration::from_secs(1));
        match rx.recv_timeout(nearest.max(Duration::from_millis(1))) {
            Ok(Message::Done(i, result, wall_s)) => {
                let Some(r) = running.remove(&i) else {
                    continue; // a timed-out unit finishing late: ignored
                };
                free_threads += r.width;
                let manifest = plan.units[i].unit.manifest();
                let peak = memory.peak_since(r.peak_mark);
                let mut report = UnitReport {
                    id: manifest.id.clone(),
                    version: manifest.version.clone(),
                    status: UnitStatus::Ok,
                    reason: None,
                    wall_s,
                    peak_rss_mb: peak,
                    rss_growth_mb: (peak - r.rss_at_start).max(0.0),
                    findings: 0,
                };
                match result {
                    Ok(output) => {
                        report.findings = output.findings.len();
                        for (name, artefact) in &output.artefacts {
                            store.present.insert(name.clone(), artefact.clone());
                        }
                        for (name, reason) in &output.absent {
                            store.absent.insert(name.clone(), reason.clone());
                        }
                        // Declared outputs neither made nor declared absent.
                        for p in &manifest.produces {
                            if let Ok(name) = ArtefactName::parse(p)
                                && !store.present.contains_key(&name)
                                && !store.absent.contains_key(&name)
                            {
                                store
                                    .absent
                                    .insert(name, format!("{} did not produce it", manifest.id));
                            }
                        }
                        outputs[i] = Some(output);
                    }
                    Err(reason) => {
                        report.status = UnitStatus::Failed;
                        not_assessed.extend(codes_not_assessed(
                            manifest,
                            &format!("{} failed: {reason}", manifest.id),
                        ));
                        mark_absent(
                            manifest,
                            &mut store,
                            &format!("{} failed: {reason}", manifest.id),
                        );
                        report.reason = Some(reason);
                    }
                }
                observer.ended(&report);
                reports[i] = Some(report);
            }
            Err(mpsc::RecvTimeoutError::Timeout) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let expired: Vec<usize> = running
                    .iter()
                    .filter(|(i, r)| r.started.elapsed().as_secs_f64() >= plan.units[**i].timeout_s)
                    .map(|(i, _)| *i)
                    .collect();
                for i in expired {
                    let Some(r) = running.remove(&i) else {
                        continue;
                    };
                    r.cancel.store(true, Ordering::Relaxed);
                    free_threads += r.width;
                    let manifest = plan.units[i].unit.manifest();
                    let reason = format!(
                        "{} exceeded its time-out of {:.0} s",
                        manifest.id, plan.units[i].timeout_s
                    );
                    not_assessed.extend(codes_not_assessed(manifest, &reason));
                    mark_absent(manifest, &mut store, &reason);
                    let peak = memory.peak_since(r.peak_mark);
                    let report = UnitReport {
                        id: manifest.id.clone(),
                        version: manifest.version.clone(),
                        status: UnitStatus::TimedOut,
                        reason: Some(reason),
                        wall_s: r.started.elapsed().as_secs_f64(),
                        peak_rss_mb: peak,
                        rss_growth_mb: (peak - r.rss_at_start).max(0.0),
                        findings: 0,
                    };
                    observer.ended(&report);
                    reports[i] = Some(report);
                }
            }
        }
    }
    memory.stop();
    let outputs = outputs
        .into_iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let m = plan.units[i].unit.manifest();
            o.map(|o| (m.id.clone(), m.version.clone(), o))
        })
        .collect();
    RunOutcome {
        store,
        outputs,
        not_assessed,
        reports: reports
            .into_iter()
            .enumerate()
            .map(|(i, r)| r.unwrap_or_else(|| skipped(plan.units[i].unit.manifest(), "not run")))
            .collect(),
        wall_s: start.elapsed().as_secs_f64(),
    }
}

struct Running {
    started: Instant,
    rss_at_start: f64,
    peak_mark: usize,
    width: usize,
    cancel: Arc<AtomicBool>,
    _handle: Option<std::thread::JoinHandle<()>>,
}

#[allow(clippy::too_many_arguments)]
fn spawn_unit(
    index: usize,
    unit: Arc<dyn aisu::Aisu>,
    params: toml::Table,
    volume: Arc<Volume<i16>>,
    exam: Arc<ExamInfo>,
    store: Arc<ArtefactStore>,
    cancel: Arc<AtomicBool>,
    tx: mpsc::Sender<Message>,
) -> Option<std::thread::JoinHandle<()>> {
    let name = format!("aisu-{}", unit.manifest().id);
    let tx_failure = tx.clone();
    let body = move || {
        // Every span a unit opens nests under its id, so `AIRAD_LOG`
        // at debug times each unit's phases (see the CLI's logging).
        let _span = tracing::debug_span!("unit", id = %unit.manifest().id).entered();
        let started = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let manifest = unit.manifest();
            let mut ctx = Context::new(&volume, &exam, manifest, &params, &store, &cancel);
            unit.run(&mut ctx).map(|()| ctx.into_output())
        }));
        let result = match result {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(e)) => Err(e.to_string()),
            Err(panic) => Err(format!("panicked: {}", panic_message(&panic))),
        };
        let _ = tx.send(Message::Done(
            index,
            result,
            started.elapsed().as_secs_f64(),
        ));
    };
    match std::thread::Builder::new().name(name).spawn(body) {
        Ok(handle) => Some(handle),
        Err(e) => {
            let message = format!("could not start a thread: {e}");
            let _ = tx_failure.send(Message::Done(index, Err(message), 0.0));
            None
        }
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

fn missing_input(manifest: &aisu::Manifest, store: &ArtefactStore) -> Option<String> {
    for r in &manifest.requires {
        let name = ArtefactName::parse(r).ok()?;
        if !store.present.contains_key(&name) {
            let why = store
                .absent
                .get(&name)
                .cloned()
                .unwrap_or_else(|| "not produced".to_string());
            return Some(format!("{r} is not available ({why})"));
        }
    }
    None
}

fn codes_not_assessed(manifest: &aisu::Manifest, reason: &str) -> Vec<NotAssessed> {
    manifest
        .codes
        .iter()
        .map(|c| NotAssessed {
            code: c.clone(),
            reason: reason.to_string(),
        })
        .collect()
}

fn mark_absent(manifest: &aisu::Manifest, store: &mut ArtefactStore, reason: &str) {
    for p in &manifest.produces {
        if let Ok(name) = ArtefactName::parse(p) {
            store
                .absent
                .entry(name)
                .or_insert_with(|| reason.to_string());
        }
    }
}

fn skipped(manifest: &aisu::Manifest, reason: &str) -> UnitReport {
    UnitReport {
        id: manifest.id.clone(),
        version: manifest.version.clone(),
        status: UnitStatus::Skipped,
        reason: Some(reason.to_string()),
        wall_s: 0.0,
        peak_rss_mb: 0.0,
        rss_growth_mb: 0.0,
        findings: 0,
    }
}

/// Samples the process's resident memory every 10 ms and keeps a history
/// of peaks so each unit can ask for the peak since it started.
struct MemoryWatch {
    stop: Arc<AtomicBool>,
    current: Arc<AtomicU64>,
    marks: Arc<std::sync::Mutex<Vec<u64>>>,
}

impl MemoryWatch {
    fn start() -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let current = Arc::new(AtomicU64::new(rss_kb()));
        let marks: Arc<std::sync::Mutex<Vec<u64>>> = Arc::default();
        let (s, c, m) = (stop.clone(), current.clone(), marks.clone());
        let _ = std::thread::Builder::new()
            .name("rss-watch".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    let kb = rss_kb();
                    c.store(kb, Ordering::Relaxed);
                    if let Ok(mut marks) = m.lock() {
                        for peak in marks.iter_mut() {
                            *peak = (*peak).max(kb);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
        MemoryWatch {
            stop,
            current,
            marks,
        }
    }

    fn current_mb(&self) -> f64 {
        self.current.load(Ordering::Relaxed) as f64 / 1024.0
    }

    /// Opens a peak tracker; returns its handle.
    fn begin(&self) -> usize {
        let now = rss_kb();
        match self.marks.lock() {
            Ok(mut marks) => {
                marks.push(now);
                marks.len() - 1
            }
            Err(_) => usize::MAX,
        }
    }

    fn peak_since(&self, mark: usize) -> f64 {
        let now = rss_kb();
        let peak = self
            .marks
            .lock()
            .ok()
            .and_then(|m| m.get(mark).copied())
            .unwrap_or(now)
            .max(now);
        peak as f64 / 1024.0
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Resident set size in kB (Linux /proc; 0 elsewhere).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map(|pages| pages * 4)
        .unwrap_or(0)
}
