//! Pictures of a volume for people: windowed axial, coronal and sagittal
//! slices with outlined or filled overlays, a scale bar and an L/R marker,
//! written as PNG. Used for key images, documentation figures and
//! debugging; reformats are resampled to square pixels so anatomy keeps
//! its proportions.

use std::path::Path;

use volume::Volume;

use crate::IoError;

/// An RGB picture, row-major, 3 bytes per pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// RGB bytes.
    pub rgb: Vec<u8>,
}

/// A display window in HU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Centre (level), HU.
    pub center: f64,
    /// Width, HU.
    pub width: f64,
}

impl Window {
    /// Lung window (-600 / 1500).
    pub const LUNG: Window = Window {
        center: -600.0,
        width: 1500.0,
    };
    /// Soft-tissue (mediastinal) window (40 / 400).
    pub const SOFT_TISSUE: Window = Window {
        center: 40.0,
        width: 400.0,
    };
    /// Bone window (400 / 1800).
    pub const BONE: Window = Window {
        center: 400.0,
        width: 1800.0,
    };

    fn grey(&self, hu: f64) -> u8 {
        let lo = self.center - self.width / 2.0;
        ((hu - lo) / self.width * 255.0).clamp(0.0, 255.0) as u8
    }
}

/// The plane of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    /// Axial slice at z index.
    Axial(usize),
    /// Coronal reformat at y index (row).
    Coronal(usize),
    /// Sagittal reformat at x index (column).
    Sagittal(usize),
}

/// A region drawn over the picture.
pub struct Overlay<'a> {
    /// Whether voxel `[x, y, z]` belongs to the region.
    pub contains: &'a (dyn Fn(usize, usize, usize) -> bool + Sync),
    /// Colour.
    pub colour: [u8; 3],
    /// Outline only (true) or a translucent fill (false).
    pub outline: bool,
}

/// Renders one plane of a volume with overlays, a 50 mm scale bar and the
/// patient's right/left marker. Axial pictures are shown as radiologists
/// read them: patient's right on the image's left, anterior up.
pub fn render(
    volume: &Volume<i16>,
    plane: Plane,
    window: Window,
    overlays: &[Overlay<'_>],
) -> Picture {
    let g = volume.geometry();
    let [nx, ny, nz] = g.dims;
    let s = g.spacing;
    // (horizontal axis, vertical axis, fixed index) in voxel terms.
    let (cols, rows, col_mm, row_mm) = match plane {
        Plane::Axial(_) => (nx, ny, s[0], s[1]),
        Plane::Coronal(_) => (nx, nz, s[0], s[2]),
        Plane::Sagittal(_) => (ny, nz, s[1], s[2]),
    };
    // Square pixels at the finer of the two spacings.
    let pixel_mm = col_mm.min(row_mm);
    let width = ((cols as f64 * col_mm) / pixel_mm).round().max(1.0) as usize;
    let height = ((rows as f64 * row_mm) / pixel_mm).round().max(1.0) as usize;
    // Display orientation: flip so that the patient's right is on the
    // left (+x LPS to the right) and superior/anterior is up.
    let flip_h = match plane {
        Plane::Axial(_) | Plane::Coronal(_) => g.direction[0][0] < 0.0,
        Plane::Sagittal(_) => g.direction[1][1] > 0.0,
    };
    let flip_v = match plane {
        Plane::Axial(_) => g.direction[1][1] < 0.0,
        Plane::Coronal(_) | Plane::Sagittal(_) => g.direction[2][2] > 0.0,
    };
    let voxel = |px: usize, py: usize| -> (usize, usize, usize) {
        let c = ((px as f64 + 0.5) * pixel_mm / col_mm) as usize;
        let r = ((py as f64 + 0.5) * pixel_mm / row_mm) as usize;
        let c = if flip_h {
            cols - 1 - c.min(cols - 1)
        } else {
            c.min(cols - 1)
        };
        let r = if flip_v {
            rows - 1 - r.min(rows - 1)
        } else {
            r.min(rows - 1)
        };
        match plane {
            Plane::Axial(z) => (c, r, z.min(nz - 1)),
            Plane::Coronal(y) => (c, y.min(ny - 1), r),
            Plane::Sagittal(x) => (x.min(nx - 1), c, r),
        }
    };
    let data = volume.as_slice();
    let mut rgb = vec![0u8; width * height * 3];
    let mut member: Vec<Vec<bool>> = vec![vec![false; width * height]; overlays.len()];
    for py in 0..height {
        for px in 0..width {
            let (x, y, z) = voxel(px, py);
            let v = window.grey(data[x + nx * (y + ny * z)] as f64);
            let i = (py * width + px) * 3;
            rgb[i..i + 3].copy_from_slice(&[v, v, v]);
            for (k, o) in overlays.iter().enumerate() {
                member[k][py * width + px] = (o.contains)(x, y, z);
            }
        }
    }
    for (k, o) in overlays.iter().enumerate() {
        let m = &member[k];
        for py in 0..height {
            for px in 0..width {
                if !m[py * width + px] {
                    continue;
                }
                let edge = px == 0
                    || py == 0
                    || px + 1 == width
                    || py + 1 == height
                    || !m[py * width + px - 1]
                    || !m[py * width + px + 1]
                    || !m[(py - 1) * width + px]
                    || !m[(py + 1) * width + px];
                let i = (py * width + px) * 3;
                if edge {
                    rgb[i..i + 3].copy_from_slice(&o.colour);
                } else if !o.outline {
                    for c in 0..3 {
                        rgb[i + c] = ((rgb[i + c] as u16 * 3 + o.colour[c] as u16) / 4) as u8;
                    }
                }
            }
        }
    }
    let mut picture = Picture { width, height, rgb };
    picture.scale_bar(50.0 / pixel_mm);
    if matches!(plane, Plane::Axial(_) | Plane::Coronal(_)) {
        picture.letter_r();
    }
    picture
}

impl Picture {
    fn set(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = (y * self.width + x) * 3;
            self.rgb[i..i + 3].copy_from_slice(&colour);
        }
    }

    /// A white bar of `length_px` pixels at the bottom right (50 mm).
    fn scale_bar(&mut self, length_px: f64) {
        let length = length_px.round() as usize;
        if length + 12 > self.width || self.height < 12 {
            return;
        }
        let y0 = self.height - 8;
        let x0 = self.width - 6 - length;
        for x in x0..x0 + length {
            for y in y0..y0 + 3 {
                self.set(x, y, [255, 255, 255]);
            }
        }
        for y in y0 - 4..y0 + 3 {
            self.set(x0, y, [255, 255, 255]);
            self.set(x0 + length - 1, y, [255, 255, 255]);
        }
    }

    /// A yellow "R" in the top left corner: the patient's right.
    fn letter_r(&mut self) {
        const GLYPH: [&str; 7] = ["1110", "1001", "1001", "1110", "1010", "1001", "1001"];
        let scale = (self.width / 128).max(2);
        for (gy, row) in GLYPH.iter().enumerate() {
            for (gx, c) in row.chars().enumerate() {
                if c == '1' {
                    for dy in 0..scale {
                        for dx in 0..scale {
                            self.set(6 + gx * scale + dx, 6 + gy * scale + dy, [255, 220, 0]);
                        }
                    }
                }
            }
        }
    }

    /// Places pictures side by side (top-aligned, black background).
    pub fn side_by_side(pictures: &[Picture]) -> Picture {
        let width =
            pictures.iter().map(|p| p.width).sum::<usize>() + 4 * pictures.len().saturating_sub(1);
        let height = pictures.iter().map(|p| p.height).max().unwrap_or(0);
        let mut out = Picture {
            width,
            height,
            rgb: vec![0; width * height * 3],
        };
        let mut x0 = 0;
        for p in pictures {
            for y in 0..p.height {
                let src = &p.rgb[y * p.width * 3..(y + 1) * p.width * 3];
                let dst = (y * width + x0) * 3;
                out.rgb[dst..dst + src.len()].copy_from_slice(src);
            }
            x0 += p.width + 4;
        }
        out
    }

    /// Writes the picture as an 8-bit RGB PNG.
    pub fn write_png(&self, path: &Path) -> Result<(), IoError> {
        let file = std::fs::File::create(path).map_err(|e| IoError::io(path, e))?;
        let mut encoder = png::Encoder::new(
            std::io::BufWriter::new(file),
            self.width as u32,
            self.height as u32,
        );
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| IoError::bad(path, format!("cannot write PNG: {e}")))?;
        writer
            .write_image_data(&self.rgb)
            .map_err(|e| IoError::bad(path, format!("cannot write PNG: {e}")))
    }
}
