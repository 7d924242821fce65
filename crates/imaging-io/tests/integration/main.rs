//! Reading and writing DICOM, NIfTI, NRRD and MetaImage: round trips,
//! codecs, real series, bad input, and the independent Python readers.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

mod dicom_codecs;
mod dicom_real;
mod dicom_roundtrip;
mod dicom_write;
mod formats_bad_input;
mod formats_python;
mod formats_roundtrip;
