//! Support for tests and benchmarks across the workspace: where the shared
//! real scans are, and which Python (with the independent checkers such as
//! pydicom and nibabel) to call. Tests skip, with a printed reason, when
//! either is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// The real-data folder: `$AIRAD_REAL_DATA`, else `../shared/data` beside
/// the workspace. `None` (and a printed reason) when absent.
pub fn real_data_dir() -> Option<PathBuf> {
    let candidate = std::env::var_os("AIRAD_REAL_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/data"));
    if candidate.is_dir() {
        Some(candidate)
    } else {
        eprintln!(
            "skipped: real data not found at {} (set AIRAD_REAL_DATA)",
            candidate.display()
        );
        None
    }
}

/// A file or folder inside the real-data folder, or `None` with a printed
/// reason.
pub fn real_data(relative: &str) -> Option<PathBuf> {
    let path = real_data_dir()?.join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is missing", path.display());
        None
    }
}

/// A Python interpreter that can import every module in `modules`:
/// `$AIRAD_PYTHON`, else the workspace's `.venv`. `None` (and a printed
/// reason) otherwise; `.ci/run` creates the venv.
pub fn python_with(modules: &[&str]) -> Option<PathBuf> {
    let python = std::env::var_os("AIRAD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let import = format!("import {}", modules.join(", "));
    let ok = Command::new(&python)
        .args(["-c", &import])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some(python)
    } else {
        eprintln!(
            "skipped: no Python with {} at {} (set AIRAD_PYTHON or run .ci/run)",
            modules.join(", "),
            python.display()
        );
        None
    }
}

/// The path of a program on PATH, or `None` with a printed reason.
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!("skipped: {name} is not installed (see .ci/run)");
    }
    found
}
