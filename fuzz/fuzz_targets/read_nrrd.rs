//! Fuzz target: arbitrary bytes as a .nrrd file must give a volume or a
//! one-line error, never a panic or a huge allocation.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::with_file(data, "input.nrrd", |path| {
        if let Err(e) = imaging_io::nrrd::read_nrrd(path) {
            assert!(!e.to_string().contains('\n'));
        }
    });
});
