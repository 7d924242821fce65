//! Fuzz target: arbitrary bytes after a valid preamble and "DICM" magic
//! as a single DICOM file go through discovery and assembly: a volume or a
//! one-line error, never a panic or a huge allocation.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = vec![0u8; 128];
    bytes.extend_from_slice(b"DICM");
    bytes.extend_from_slice(data);
    common::with_file(&bytes, "input.dcm", |path| {
        let options = imaging_io::dicom_read::DicomReadOptions {
            series_uid: None,
            allow_non_ct: true,
        };
        if let Err(e) =
            imaging_io::dicom_read::read_dicom(path, &options, &imaging_io::NoProgress)
        {
            assert!(!e.to_string().contains('\n'));
        }
    });
});
