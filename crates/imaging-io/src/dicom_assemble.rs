//! Assembly of one DICOM series into a HU volume.
//!
//! Slices are ordered by Image Position Patient projected on the slice
//! normal (never by file name or Instance Number). The stack is checked:
//! one orientation and one pixel grid for all slices; duplicate positions,
//! missing slices and non-uniform spacing are reported; a gantry tilt is
//! corrected by shifting each slice in its plane. Stored values become HU
//! through each slice's Rescale Slope/Intercept, exactly (no padding
//! substitution, no clamping); a value that does not fit int16 is an error.

use std::path::Path;

use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, OpenFileOptions};
use dicom_pixeldata::PixelDecoder;
use ndarray::Array3;
use rayon::prelude::*;
use volume::{Geometry, Volume, cross, dot, norm};

use crate::dicom_meta::read_meta;
use crate::dicom_read::{DicomReadOptions, SeriesInfo, SliceHeader, get_float, one_line};
use crate::{IoError, LoadedImage, Progress, check_dims};

/// Direction cosines of two slices may differ by this much and still count
/// as one orientation.
const ORIENTATION_TOLERANCE: f64 = 1e-3;
/// Two slices closer than this along the normal share a position (mm).
const DUPLICATE_TOLERANCE_MM: f64 = 0.01;
/// Gaps within this fraction of the median gap count as uniform spacing.
const UNIFORM_RELATIVE_TOLERANCE: f64 = 0.02;
/// In-plane slice offsets below this are rounding, not gantry tilt (mm).
const TILT_TOLERANCE_MM: f64 = 0.02;

/// One decoded slice.
struct DecodedSlice {
    header: SliceHeader,
    /// HU values, row-major (rows x columns).
    hu: Vec<i16>,
    /// True when the rescale was not integral and values were rounded.
    rounded: bool,
}

/// Builds the volume of `series`.
pub(crate) fn assemble(
    root: &Path,
    series: &SeriesInfo,
    options: &DicomReadOptions,
    progress: &dyn Progress,
) -> Result<LoadedImage, IoError> {
    let mut warnings = Vec::new();
    let mut headers: Vec<&SliceHeader> = series.slices.iter().collect();
    let localizers = headers.iter().filter(|h| h.is_localizer()).count();
    if localizers > 0 {
        headers.retain(|h| !h.is_localizer());
        warnings.push(format!(
            "{localizers} localizer image(s) left out of the volume"
        ));
    }
    if let Some(multi) = headers.iter().find(|h| h.frames > 1) {
        return Err(IoError::bad(
            &multi.path,
            format!(
                "multi-frame image ({} frames): enhanced multi-frame CT is not supported",
                multi.frames
            ),
        ));
    }
    let first = headers
        .first()
        .ok_or_else(|| IoError::bad(root, "the series holds no image"))?;
    let (rows, columns) = (first.rows, first.columns);
    if let Some(other) = headers
        .iter()
        .find(|h| h.rows != rows || h.columns != columns)
    {
        return Err(IoError::bad(
            &other.path,
            format!(
                "image is {}x{} but the series' first image is {columns}x{rows}",
                other.columns, other.rows
            ),
        ));
    }
    check_dims(root, [columns, rows, headers.len()])?;

    // Orientation: one for all slices.
    let orientation = match first.orientation {
        Some(o) => o,
        None if headers.len() == 1 => {
            warnings.push("no Image Orientation Patient: axial assumed".into());
            [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        }
        None => {
            return Err(IoError::bad(
                &first.path,
                "no Image Orientation Patient: slices cannot be placed",
            ));
        }
    };
    for h in &headers {
        let o = h.orientation.unwrap_or(orientation);
        if o.iter()
            .zip(orientation.iter())
            .any(|(a, b)| (a - b).abs() > ORIENTATION_TOLERANCE)
        {
            return Err(IoError::bad(
                root,
                format!(
                    "mixed orientations in series {}: {} differs from {}",
                    series.series_uid,
                    h.path.display(),
                    first.path.display()
                ),
            ));
        }
    }
    let row_dir = unit(
        [orientation[0], orientation[1], orientation[2]],
        &first.path,
    )?;
    let col_dir = unit(
        [orientation[3], orientation[4], orientation[5]],
        &first.path,
    )?;
    if dot(row_dir, col_dir).abs() > 1e-3 {
        return Err(IoError::bad(
            &first.path,
            "Image Orientation Patient row and column directions are not orthogonal",
        ));
    }
    let normal = cross(row_dir, col_dir);

    // Decode every slice in parallel.
    progress.start("reading slices", headers.len() as u64);
    let decoded: Result<Vec<DecodedSlice>, IoError> = headers
        .par_iter()
        .map(|h| {
            let slice = decode_slice(h);
            progress.advance(1);
            slice
        })
        .collect();
    progress.finish();
    let mut slices = decoded?;
    if slices.iter().any(|s| s.rounded) {
        warnings.push("non-integer rescale: HU rounded to whole numbers".into());
    }

    // Order by position along the normal.
    let position = |s: &DecodedSlice| s.header.position.unwrap_or([0.0; 3]);
    if slices.len() > 1
        && let Some(missing) = slices.iter().find(|s| s.header.position.is_none())
    {
        return Err(IoError::bad(
            &missing.header.path,
            "no Image Position Patient: slices cannot be ordered",
        ));
    }
    slices.sort_by(|a, b| {
        dot(position(a), normal)
            .total_cmp(&dot(position(b), normal))
            .then_with(|| a.header.instance_number.cmp(&b.header.instance_number))
            .then_with(|| a.header.path.cmp(&b.header.path))
    });
    drop_duplicates(&mut slices, normal, &mut warnings)?;

    let pixel_spacing = first.pixel_spacing.unwrap_or_else(|| {
        warnings.push("no Pixel Spacing: 1 mm assumed".into());
        [1.0, 1.0]
    });
    if pixel_spacing.iter().any(|s| *s <= 0.0) {
        return Err(IoError::bad(
            &first.path,
            format!("Pixel Spacing {pixel_spacing:?} is not positive"),
        ));
    }
    let spacing_x = pixel_spacing[1];
    let spacing_y = pixel_spacing[0];

    let along: Vec<f64> = slices.iter().map(|s| dot(position(s), normal)).collect();
    let origin0 = position(&slices[0]);

    // Gantry tilt: slice origins drift in-plane as they move along the normal.
    let offsets: Vec<[f64; 2]> = slices
        .iter()
        .map(|s| {
            let d = sub(position(s), origin0);
            [dot(d, row_dir), dot(d, col_dir)]
        })
        .collect();
    let max_offset = offsets.iter().map(|o| o[0].hypot(o[1])).fold(0.0, f64::max);
    if max_offset > TILT_TOLERANCE_MM {
        check_straight_stack(root, &offsets, &along, spacing_x.min(spacing_y))?;
        let extent = along[along.len() - 1] - along[0];
        let angle = (max_offset / extent.max(1e-9)).atan().to_degrees();
        warnings.push(format!(
            "gantry tilt of {angle:.1} degrees corrected by shifting slices in-plane"
        ));
        for (slice, offset) in slices.iter_mut().zip(&offsets) {
            shift_in_plane(slice, columns, rows, *offset, [spacing_x, spacing_y]);
        }
    }

    // Spacing along the normal: uniform, missing slices, or irregular.
    let (hu_slices, spacing_z, sop_uids) =
        regularise_stack(root, slices, &along, first.slice_thickness, &mut warnings)?;
    let nz = hu_slices.len();
    let mut data = Vec::with_capacity(columns * rows * nz);
    for s in &hu_slices {
        data.extend_from_slice(s);
    }
    let array = Array3::from_shape_vec((nz, rows, columns), data)
        .map_err(|e| IoError::bad(root, format!("internal shape error: {e}")))?;
    let geometry = Geometry {
        dims: [columns, rows, nz],
        spacing: [spacing_x, spacing_y, spacing_z],
        origin: origin0,
        direction: [row_dir, col_dir, normal],
    };
    let volume = Volume::new(array, geometry).map_err(|e| IoError::bad(root, e.to_string()))?;

    let meta = read_meta(first, sop_uids, options)?;
    Ok(LoadedImage {
        volume,
        meta,
        warnings,
    })
}

/// Decodes one file's pixels to HU.
fn decode_slice(header: &SliceHeader) -> Result<DecodedSlice, IoError> {
    let path = &header.path;
    let obj: DefaultDicomObject = OpenFileOptions::new().open_file(path).map_err(|e| {
        IoError::bad(
            path,
            format!("truncated or malformed DICOM: {}", one_line(&e)),
        )
    })?;
    if obj.get(tags::PIXEL_DATA).is_none() {
        return Err(IoError::bad(path, "no Pixel Data (file truncated?)"));
    }
    let samples = get_float(&obj, tags::SAMPLES_PER_PIXEL, path)?.unwrap_or(1.0);
    if samples != 1.0 {
        return Err(IoError::bad(
            path,
            format!("{samples} samples per pixel: only greyscale images are supported"),
        ));
    }
    let decoded = obj
        .decode_pixel_data()
        .map_err(|e| IoError::bad(path, format!("cannot decode pixel data: {}", one_line(&e))))?;
    let n = header.rows * header.columns;
    let bits_allocated = decoded.bits_allocated();
    let bits_stored = decoded.bits_stored().clamp(1, bits_allocated.max(1));
    let signed = decoded.pixel_representation() == dicom_pixeldata::PixelRepresentation::Signed;
    let bytes = decoded.data();
    let bytes_per = match bits_allocated {
        8 => 1,
        16 => 2,
        32 => 4,
        b => {
            return Err(IoError::bad(
                path,
                format!("Bits Allocated {b} is not supported for CT"),
            ));
        }
    };
    if bytes.len() < n * bytes_per {
        return Err(IoError::bad(
            path,
            format!(
                "pixel data holds {} bytes, {} expected for {}x{} pixels (truncated?)",
                bytes.len(),
                n * bytes_per,
                header.columns,
                header.rows
            ),
        ));
    }
    let slope = get_float(&obj, tags::RESCALE_SLOPE, path)?.unwrap_or(1.0);
    let intercept = get_float(&obj, tags::RESCALE_INTERCEPT, path)?.unwrap_or(0.0);
    if slope == 0.0 || !slope.is_finite() || !intercept.is_finite() {
        return Err(IoError::bad(
            path,
            format!("unusable Rescale Slope/Intercept {slope}/{intercept}"),
        ));
    }
    let integral = slope.fract() == 0.0 && intercept.fract() == 0.0;
    let mut hu = Vec::with_capacity(n);
    for i in 0..n {
        let raw = stored_value(
            &bytes[i * bytes_per..(i + 1) * bytes_per],
            bits_stored,
            signed,
        );
        let value = raw as f64 * slope + intercept;
        let value = if integral { value } else { value.round() };
        if value < i16::MIN as f64 || value > i16::MAX as f64 {
            return Err(IoError::bad(
                path,
                format!(
                    "value {value} (stored {raw}, slope {slope}, intercept {intercept}) does not fit int16 HU"
                ),
            ));
        }
        hu.push(value as i16);
    }
    Ok(DecodedSlice {
        header: header.clone(),
        hu,
        rounded: !integral,
    })
}

/// The stored value of one little-endian sample: bits above Bits Stored are
/// ignored, signed values are sign-extended from the top stored bit.
fn stored_value(sample: &[u8], bits_stored: u16, signed: bool) -> i64 {
    let mut raw: u64 = 0;
    for (k, b) in sample.iter().enumerate() {
        raw |= (*b as u64) << (8 * k);
    }
    let bits = bits_stored as u32;
    let mask = if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let raw = raw & mask;
    if signed && bits < 64 && raw & (1u64 << (bits - 1)) != 0 {
        raw as i64 - (1i64 << bits)
    } else {
        raw as i64
    }
}

/// Removes slices that share a position: identical pixels are a harmless
/// copy (warning), different pixels mean two acquisitions in one series
/// (error, ask for a series choice).
fn drop_duplicates(
    slices: &mut Vec<DecodedSlice>,
    normal: [f64; 3],
    warnings: &mut Vec<String>,
) -> Result<(), IoError> {
    let mut kept: Vec<DecodedSlice> = Vec::with_capacity(slices.len());
    let mut dropped = 0;
    for s in slices.drain(..) {
        if let Some(prev) = kept.last() {
            let a = dot(prev.header.position.unwrap_or([0.0; 3]), normal);
            let b = dot(s.header.position.unwrap_or([0.0; 3]), normal);
            if (b - a).abs() < DUPLICATE_TOLERANCE_MM {
                if prev.hu == s.hu {
                    dropped += 1;
                    continue;
                }
                return Err(IoError::bad(
                    &s.header.path,
                    format!(
                        "same position ({b:.2} mm along the normal) as {} with different pixels: two acquisitions in one series are not supported",
                        prev.header.path.display()
                    ),
                ));
            }
        }
        kept.push(s);
    }
    if dropped > 0 {
        warnings.push(format!(
            "{dropped} duplicate slice(s) with identical pixels left out"
        ));
    }
    *slices = kept;
    Ok(())
}

/// Refuses stacks whose in-plane drift is not a straight line (not a tilt).
fn check_straight_stack(
    root: &Path,
    offsets: &[[f64; 2]],
    along: &[f64],
    pixel: f64,
) -> Result<(), IoError> {
    let n = along.len();
    let extent = along[n - 1] - along[0];
    if extent <= 0.0 {
        return Err(IoError::bad(
            root,
            "slices do not advance along their normal",
        ));
    }
    let rate = [offsets[n - 1][0] / extent, offsets[n - 1][1] / extent];
    for (o, a) in offsets.iter().zip(along) {
        let t = a - along[0];
        let err = (o[0] - rate[0] * t).hypot(o[1] - rate[1] * t);
        if err > 0.5 * pixel {
            return Err(IoError::bad(
                root,
                format!(
                    "slice positions do not form a straight stack (off by {err:.1} mm): cannot correct"
                ),
            ));
        }
    }
    Ok(())
}

/// Moves a slice by `-offset` (mm along rows' and columns' directions) with
/// bilinear interpolation, so that all slices share one in-plane grid.
/// Pixels that come from outside the slice take its smallest value.
fn shift_in_plane(
    slice: &mut DecodedSlice,
    columns: usize,
    rows: usize,
    offset: [f64; 2],
    spacing: [f64; 2],
) {
    let dx = offset[0] / spacing[0];
    let dy = offset[1] / spacing[1];
    if dx.abs() < 1e-6 && dy.abs() < 1e-6 {
        return;
    }
    let src = &slice.hu;
    let fill = src.iter().copied().min().unwrap_or(-1024) as f64;
    let sample = |x: isize, y: isize| -> f64 {
        if x < 0 || y < 0 || x as usize >= columns || y as usize >= rows {
            fill
        } else {
            src[y as usize * columns + x as usize] as f64
        }
    };
    let mut out = vec![0i16; src.len()];
    out.par_chunks_mut(columns)
        .enumerate()
        .for_each(|(j, row)| {
            for (i, v) in row.iter_mut().enumerate() {
                // Output pixel (i, j) of this slice sits at input index (i - dx, j - dy).
                let x = i as f64 - dx;
                let y = j as f64 - dy;
                let x0 = x.floor();
                let y0 = y.floor();
                let fx = x - x0;
                let fy = y - y0;
                let (x0, y0) = (x0 as isize, y0 as isize);
                let top = sample(x0, y0) * (1.0 - fx) + sample(x0 + 1, y0) * fx;
                let bottom = sample(x0, y0 + 1) * (1.0 - fx) + sample(x0 + 1, y0 + 1) * fx;
                *v = (top * (1.0 - fy) + bottom * fy).round() as i16;
            }
        });
    slice.hu = out;
}

/// Turns sorted slices into equally spaced ones: returns the slices, the
/// spacing along the normal and each slice's SOP Instance UID (`None` for
/// interpolated slices).
#[allow(clippy::type_complexity)]
fn regularise_stack(
    root: &Path,
    slices: Vec<DecodedSlice>,
    along: &[f64],
    thickness: Option<f64>,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Vec<i16>>, f64, Vec<Option<String>>), IoError> {
    let n = slices.len();
    if n == 1 {
        let spacing = thickness.filter(|t| *t > 0.0).unwrap_or(1.0);
        let s = slices
            .into_iter()
            .next()
            .map(|s| (s.hu, s.header.sop_instance_uid));
        let (hu, uid) = s.ok_or_else(|| IoError::bad(root, "no slice"))?;
        return Ok((vec![hu], spacing, vec![uid]));
    }
    let gaps: Vec<f64> = along.windows(2).map(|w| w[1] - w[0]).collect();
    let mut sorted = gaps.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let tolerance = (median * UNIFORM_RELATIVE_TOLERANCE).max(DUPLICATE_TOLERANCE_MM);
    if gaps.iter().all(|g| (g - median).abs() <= tolerance) {
        let spacing = (along[n - 1] - along[0]) / (n - 1) as f64;
        let (hu, uids) = slices
            .into_iter()
            .map(|s| (s.hu, s.header.sop_instance_uid))
            .unzip();
        return Ok((hu, spacing, uids));
    }
    let multiples_only = gaps.iter().all(|g| {
        let k = (g / median).round();
        k >= 1.0 && (g - k * median).abs() <= tolerance * k
    });
    let mut out = Vec::new();
    let mut uids = Vec::new();
    if multiples_only {
        let mut missing = 0usize;
        for i in 0..n {
            out.push(slices[i].hu.clone());
            uids.push(slices[i].header.sop_instance_uid.clone());
            if i + 1 < n {
                let k = (gaps[i] / median).round() as usize;
                for step in 1..k {
                    let t = step as f64 / k as f64;
                    out.push(lerp_slices(&slices[i].hu, &slices[i + 1].hu, t));
                    uids.push(None);
                    missing += 1;
                }
                if k > 1 {
                    warnings.push(format!(
                        "{} missing slice(s) between {:.2} and {:.2} mm (after {}): filled by interpolation",
                        k - 1,
                        along[i],
                        along[i + 1],
                        slices[i].header.path.display()
                    ));
                }
            }
        }
        let spacing = (along[n - 1] - along[0]) / (out.len() - 1) as f64;
        debug_assert!(missing > 0);
        return Ok((out, spacing, uids));
    }
    // Irregular spacing: resample along the normal at the median gap.
    let extent = along[n - 1] - along[0];
    let count = (extent / median).round() as usize + 1;
    let spacing = extent / (count - 1) as f64;
    warnings.push(format!(
        "non-uniform slice spacing ({:.2} to {:.2} mm): resampled to {spacing:.3} mm",
        sorted[0],
        sorted[sorted.len() - 1]
    ));
    let mut j = 0;
    for k in 0..count {
        let z = along[0] + k as f64 * spacing;
        while j + 2 < n && along[j + 1] < z {
            j += 1;
        }
        let t = ((z - along[j]) / (along[j + 1] - along[j])).clamp(0.0, 1.0);
        if t < 1e-6 {
            out.push(slices[j].hu.clone());
            uids.push(slices[j].header.sop_instance_uid.clone());
        } else if t > 1.0 - 1e-6 {
            out.push(slices[j + 1].hu.clone());
            uids.push(slices[j + 1].header.sop_instance_uid.clone());
        } else {
            out.push(lerp_slices(&slices[j].hu, &slices[j + 1].hu, t));
            uids.push(None);
        }
    }
    Ok((out, spacing, uids))
}

fn lerp_slices(a: &[i16], b: &[i16], t: f64) -> Vec<i16> {
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 * (1.0 - t) + *y as f64 * t).round() as i16)
        .collect()
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn unit(v: [f64; 3], path: &Path) -> Result<[f64; 3], IoError> {
    let n = norm(v);
    if !(n > 0.5 && n < 1.5) {
        return Err(IoError::bad(
            path,
            format!("Image Orientation Patient has a vector of length {n:.3}"),
        ));
    }
    Ok([v[0] / n, v[1] / n, v[2] / n])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_are_sign_extended_and_masked() {
        assert_eq!(stored_value(&[0xff, 0xff], 16, true), -1);
        assert_eq!(stored_value(&[0xff, 0xff], 16, false), 65535);
        // 12-bit signed: 0x0800 is -2048; bits above 12 ignored.
        assert_eq!(stored_value(&[0x00, 0xf8], 12, true), -2048);
        assert_eq!(stored_value(&[0xff, 0xf7], 12, false), 0x7ff);
        assert_eq!(stored_value(&[0x30], 8, false), 0x30);
    }
}
