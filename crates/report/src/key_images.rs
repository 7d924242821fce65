//! Key images (`key_images/<finding id>.png`): for each finding, the axial
//! key slice in the window of its organ system (lung window for lung,
//! airway and air-leak findings, bone window for bones, soft tissue
//! otherwise), the lesion outlined from `lesions.nii.gz`, a 50 mm scale bar
//! and the patient's-right marker (drawn by `imaging_io::picture`).

use std::path::{Path, PathBuf};

use aisu::Finding;
use aisu::catalogue::OrganSystem;
use imaging_io::picture::{Overlay, Plane, Window, render};
use volume::Volume;

use crate::ReportError;
use crate::assemble::system_of;

/// Outline colour of lesions.
pub const OUTLINE: [u8; 3] = [255, 64, 64];

/// The display window of a finding.
pub fn window_for(f: &Finding) -> Window {
    match f.code.as_str() {
        "F15" | "F34" => Window::LUNG,
        _ => match system_of(&f.code) {
            OrganSystem::Lungs | OrganSystem::Airways => Window::LUNG,
            OrganSystem::Bones => Window::BONE,
            _ => Window::SOFT_TISSUE,
        },
    }
}

/// Renders one finding's key image.
pub fn render_key_image(
    ct: &Volume<i16>,
    lesions: &Volume<u16>,
    f: &Finding,
) -> imaging_io::picture::Picture {
    let labels = lesions.as_slice();
    let [nx, ny, _] = lesions.dims();
    let label = f.mask_label;
    let contains = move |x: usize, y: usize, z: usize| {
        labels
            .get(x + nx * (y + ny * z))
            .is_some_and(|&v| u32::from(v) == label)
    };
    let overlay = Overlay {
        contains: &contains,
        colour: OUTLINE,
        outline: true,
    };
    render(ct, Plane::Axial(f.key_slice), window_for(f), &[overlay])
}

/// Writes one PNG per finding into `dir` (created when missing); returns
/// (finding id, path) in finding order.
pub fn write_key_images(
    dir: &Path,
    ct: &Volume<i16>,
    lesions: &Volume<u16>,
    findings: &[Finding],
) -> Result<Vec<(String, PathBuf)>, ReportError> {
    if !ct.geometry().same_grid(lesions.geometry(), 1e-3) {
        return Err(ReportError::Inconsistent(
            "lesions.nii.gz is not on the grid of the CT".into(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| imaging_io::IoError::io(dir, e))?;
    let mut written = Vec::new();
    for f in findings {
        let safe: String =
            f.id.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
        let path = dir.join(format!("{safe}.png"));
        render_key_image(ct, lesions, f).write_png(&path)?;
        written.push((f.id.clone(), path));
    }
    Ok(written)
}
