//! Shared by the fuzz targets: the readers take paths (they stream large
//! files), so each input is written to a file in memory-backed /dev/shm
//! (or the temp dir) and read back through the public entry point.

use std::path::PathBuf;

pub fn with_file(bytes: &[u8], name: &str, read: impl FnOnce(&std::path::Path)) {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("airad-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    if std::fs::write(&path, bytes).is_ok() {
        read(&path);
    }
}
