//! Fuzz target: arbitrary bytes as a .nii.gz file must give a volume or a
//! one-line error, never a panic or a huge allocation.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::with_file(data, "input.nii.gz", |path| {
        if let Err(e) = imaging_io::nifti_io::read_nifti(path) {
            assert!(!e.to_string().contains('\n'));
        }
    });
});
