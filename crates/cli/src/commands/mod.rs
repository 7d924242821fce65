//! One module per `airad` subcommand; each has its clap arguments and a
//! `run` function returning a [`crate::Failure`] on error.

pub mod analyze;
pub mod bench;
pub mod bench_anatomy;
pub mod bench_phantom;
pub mod bench_report;
pub mod convert;
pub mod demo;
pub mod eval_cmd;
pub mod info;
pub mod phantom;
pub mod report;

use imaging_io::dicom_read::{DicomInventory, DicomReadOptions};
use imaging_io::{LoadedImage, Progress, SourceFormat};

use crate::{Failure, InputArgs};

/// A scan read from INPUT, with the DICOM inventory when INPUT was DICOM.
pub struct ReadScan {
    /// The volume and its metadata.
    pub image: LoadedImage,
    /// Every series found (DICOM input only).
    pub inventory: Option<DicomInventory>,
}

/// Reads INPUT as the CLI's input options say.
pub fn read_input(
    input: &std::path::Path,
    args: &InputArgs,
    progress: &dyn Progress,
) -> Result<ReadScan, Failure> {
    let options = DicomReadOptions {
        series_uid: args.series.clone(),
        allow_non_ct: args.allow_non_ct,
    };
    if !input.exists() {
        return Err(Failure::Input(format!(
            "{}: no such file or folder",
            input.display()
        )));
    }
    if imaging_io::input_format(input) == SourceFormat::Dicom {
        let inventory = imaging_io::dicom_read::discover(input, progress)?;
        let image = imaging_io::dicom_read::read_series(&inventory, &options, progress)?;
        Ok(ReadScan {
            image,
            inventory: Some(inventory),
        })
    } else {
        if args.series.is_some() {
            return Err(Failure::Usage(
                "--series applies to DICOM input only".to_string(),
            ));
        }
        let image = imaging_io::read_image(input, &options, progress)?;
        Ok(ReadScan {
            image,
            inventory: None,
        })
    }
}
