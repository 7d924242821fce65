//! `airad convert`: a scan to NIfTI, with the RAS affine in sform and qform.

use std::path::PathBuf;

use clap::Args;
use imaging_io::Progress;

use super::read_input;
use crate::{Failure, InputArgs};

/// Arguments of `airad convert`.
#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// DICOM folder or file, NIfTI, NRRD or MetaImage file.
    pub input: PathBuf,
    /// Output file: .nii.gz (compressed, in parallel) or .nii.
    pub output: PathBuf,
    #[command(flatten)]
    pub input_args: InputArgs,
}

/// Runs `airad convert`.
pub fn run(args: &ConvertArgs, progress: &dyn Progress) -> Result<(), Failure> {
    let name = args.output.to_string_lossy().to_ascii_lowercase();
    if !(name.ends_with(".nii.gz") || name.ends_with(".nii")) {
        return Err(Failure::Usage(format!(
            "{}: output must end in .nii.gz or .nii",
            args.output.display()
        )));
    }
    let scan = read_input(&args.input, &args.input_args, progress)?;
    for warning in &scan.image.warnings {
        tracing::warn!("{}: {warning}", args.input.display());
    }
    imaging_io::nifti_io::write_nifti(&args.output, &scan.image.volume)?;
    let [nx, ny, nz] = scan.image.volume.dims();
    eprintln!("wrote {} ({nx} x {ny} x {nz})", args.output.display());
    Ok(())
}
