//! Helpers shared by the CLI integration tests: running the `airad` binary.

#![allow(dead_code)]

use std::process::{Command, Output};

#[allow(unused_imports)]
pub use imaging_io::testing::{python_with, real_data};

/// Runs `airad` with arguments (and `--quiet`); returns exit code, stdout
/// and stderr.
pub fn airad(args: &[&str]) -> (i32, String, String) {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_airad"))
        .args(args)
        .arg("--quiet")
        .output()
        .expect("airad runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts a failure with exit code 1 and one stderr line naming `path`
/// and containing `problem`.
pub fn assert_bad_input(result: &(i32, String, String), path: &std::path::Path, problem: &str) {
    let (code, _, stderr) = result;
    assert_eq!(*code, 1, "exit code; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(
        lines[0].contains(&path.display().to_string()),
        "message does not name {}: {}",
        path.display(),
        lines[0]
    );
    assert!(
        lines[0].contains(problem),
        "message lacks '{problem}': {}",
        lines[0]
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
