//! NIfTI-1 read and write (`.nii`, `.nii.gz`, and `.hdr`/`.img` pairs on
//! read) with exact geometry.
//!
//! The header is parsed by the `nifti` crate (`NiftiHeader::from_reader`,
//! which also detects byte order); everything else is ours because the
//! crate gets it wrong for our purposes: it decodes gzip with a
//! single-member decoder (a multi-member `.nii.gz`, as written by some
//! parallel compressors, comes back truncated), allocates the data size a
//! header claims before any sanity check, and its affine helpers need
//! nalgebra. So:
//!
//! - Geometry: the sform when `sform_code > 0` (falling back to the qform,
//!   with a warning, when the sform is sheared); else the qform (method 2,
//!   quaternion plus `qfac = pixdim[0]`); else method 1 (`pixdim` only, as
//!   nifti1_io and ITK do), with a warning. The affine is RAS; the
//!   [`Geometry`] is LPS (FINDINGS-JSON.md). Metres and microns (from
//!   `xyzt_units`) are converted to millimetres.
//! - Values: `scl_slope`/`scl_inter` applied when the slope is non-zero and
//!   finite; whole numbers convert exactly, other values are rounded with a
//!   warning (CT) or refused (label maps); out-of-range values and NaN are
//!   errors naming the voxel.
//! - Writing: one header with both sform and qform (codes 1, scanner),
//!   `xyzt_units` = mm; `.gz` names are compressed in parallel on the rayon
//!   pool into a single gzip member (see `raw::gzip_parallel`).

use std::io::Read;
use std::path::{Path, PathBuf};

use nifti::{Endianness, NiftiError, NiftiHeader};
use volume::{Geometry, Volume};

use crate::raw::{self, ElemType, Scaling};
use crate::{IoError, LoadedImage, ScanMeta, SourceFormat, check_dims};

/// Size of a NIfTI-1 header in bytes.
const HEADER_SIZE: usize = 348;
/// Offset of the voxels in the `.nii` files we write (header + 4 bytes of
/// empty extension flag).
const VOX_OFFSET: usize = 352;

/// A voxel type [`write_nifti`] can store.
pub trait NiftiVoxel: Copy + Send + Sync {
    /// The NIfTI `datatype` code.
    const DATATYPE: i16;
    /// The NIfTI `bitpix` (bits per voxel).
    const BITPIX: i16;
    /// Appends the little-endian bytes of `values` to `out`.
    fn extend_le(values: &[Self], out: &mut Vec<u8>);
}

macro_rules! nifti_voxel {
    ($t:ty, $code:expr) => {
        impl NiftiVoxel for $t {
            const DATATYPE: i16 = $code;
            const BITPIX: i16 = (8 * std::mem::size_of::<$t>()) as i16;
            fn extend_le(values: &[Self], out: &mut Vec<u8>) {
                out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
            }
        }
    };
}

nifti_voxel!(u8, 2);
nifti_voxel!(i16, 4);
nifti_voxel!(f32, 16);
nifti_voxel!(u16, 512);

/// Reads a CT volume in HU from a NIfTI-1 file (`.nii`, `.nii.gz`, or a
/// `.hdr` with its `.img`). Gzip is recognised by content, not by name.
/// Accepted datatypes: int8, uint8, int16, uint16, int32, uint32, float32,
/// float64; a 4D file must hold a single volume.
pub fn read_nifti(path: &Path) -> Result<LoadedImage, IoError> {
    let mut warnings = Vec::new();
    let (info, bytes) = read_parts(path, &mut warnings)?;
    let values = raw::decode_hu(
        path,
        &bytes,
        info.ty,
        info.big_endian,
        info.scaling,
        info.geometry.dims,
        &mut warnings,
    )?;
    drop(bytes);
    let volume = raw::make_volume(path, values, info.geometry)?;
    Ok(LoadedImage {
        volume,
        meta: ScanMeta {
            format: SourceFormat::Nifti,
            ..ScanMeta::default()
        },
        warnings,
    })
}

/// Reads a label map (non-negative whole numbers up to 65535, any accepted
/// datatype, float included) from a NIfTI-1 file. Non-integer or negative
/// values are errors. Geometry warnings are logged with `tracing`.
pub fn read_nifti_labels(path: &Path) -> Result<Volume<u16>, IoError> {
    let mut warnings = Vec::new();
    let (info, bytes) = read_parts(path, &mut warnings)?;
    for w in &warnings {
        tracing::warn!("{}: {w}", path.display());
    }
    let decoded = raw::decode::<u16>(
        path,
        &bytes,
        info.ty,
        info.big_endian,
        info.scaling,
        info.geometry.dims,
        false,
    )?;
    drop(bytes);
    raw::make_volume(path, decoded.values, info.geometry)
}

/// Writes a volume as NIfTI-1: RAS affine `geometry.affine_ras()` in both
/// sform and qform (codes 1), units mm, no scaling. The file is
/// gzip-compressed (in parallel) when its name ends in `.gz`.
pub fn write_nifti<T: NiftiVoxel>(path: &Path, volume: &Volume<T>) -> Result<(), IoError> {
    let g = volume.geometry();
    if g.dims.iter().any(|&d| d > i16::MAX as usize) {
        return Err(IoError::bad(
            path,
            format!(
                "size {:?} exceeds the NIfTI-1 limit of 32767 per axis",
                g.dims
            ),
        ));
    }
    let mut buf = Vec::with_capacity(VOX_OFFSET + g.len() * (T::BITPIX as usize / 8));
    buf.extend_from_slice(&header_bytes(g, T::DATATYPE, T::BITPIX));
    T::extend_le(volume.as_slice(), &mut buf);
    let gz = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase().ends_with(".gz"))
        .unwrap_or(false);
    if gz {
        let packed = raw::gzip_parallel(&buf, raw::DEFAULT_LEVEL)
            .map_err(|e| IoError::bad(path, format!("gzip compression failed: {e}")))?;
        drop(buf);
        raw::write_file(path, &[&packed])
    } else {
        raw::write_file(path, &[&buf])
    }
}

/// What the header says about the voxels.
struct Info {
    ty: ElemType,
    big_endian: bool,
    scaling: Scaling,
    geometry: Geometry,
}

/// Reads and checks the header, then exactly the voxel bytes.
fn read_parts(path: &Path, warnings: &mut Vec<String>) -> Result<(Info, Vec<u8>), IoError> {
    let mut input = raw::maybe_gunzip(path, raw::open_buffered(path)?)?;
    let mut hdr = [0u8; HEADER_SIZE];
    input.read_exact(&mut hdr).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            IoError::bad(path, "file is too short for a NIfTI-1 header (348 bytes)")
        }
        _ => raw::read_error(path, e, "NIfTI header"),
    })?;
    let (header, info) = parse_header(path, &hdr, warnings)?;
    let nbytes = info.geometry.len() * info.ty.size();
    let offset = vox_offset(path, &header)?;
    let bytes = if &header.magic == b"ni1\0" {
        drop(input);
        let data_path = pair_data_path(path)?;
        let mut data = raw::maybe_gunzip(&data_path, raw::open_buffered(&data_path)?)?;
        raw::skip_bytes(&data_path, &mut data, offset, "image data")?;
        raw::read_exact_bytes(&data_path, data, nbytes, "image data")?
    } else {
        if offset < HEADER_SIZE as u64 {
            return Err(IoError::bad(
                path,
                format!("vox_offset {offset} lies inside the 348-byte header"),
            ));
        }
        raw::skip_bytes(
            path,
            &mut input,
            offset - HEADER_SIZE as u64,
            "NIfTI extensions",
        )?;
        raw::read_exact_bytes(path, input, nbytes, "image data")?
    };
    Ok((info, bytes))
}

/// The `.img` beside a `.hdr` (or `.img.gz` beside `.hdr.gz`).
fn pair_data_path(path: &Path) -> Result<PathBuf, IoError> {
    let name = path.to_string_lossy();
    let lower = name.to_ascii_lowercase();
    let candidates: Vec<String> = if let Some(stem) = lower
        .strip_suffix(".hdr.gz")
        .map(|_| &name[..name.len() - 7])
    {
        vec![format!("{stem}.img.gz"), format!("{stem}.img")]
    } else if lower.ends_with(".hdr") {
        let stem = &name[..name.len() - 4];
        vec![format!("{stem}.img"), format!("{stem}.img.gz")]
    } else {
        return Err(IoError::bad(
            path,
            "header-only NIfTI (magic ni1) must be a .hdr file with its .img beside it",
        ));
    };
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            IoError::bad(
                path,
                format!("the image data file {} is missing", candidates[0]),
            )
        })
}

/// The voxel offset as a whole number of bytes.
fn vox_offset(path: &Path, h: &NiftiHeader) -> Result<u64, IoError> {
    let v = h.vox_offset as f64;
    if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e12) {
        return Err(IoError::bad(
            path,
            format!("vox_offset {v} is not a valid byte offset"),
        ));
    }
    Ok(v as u64)
}

/// Parses the 348 header bytes and derives type, scaling and geometry.
fn parse_header(
    path: &Path,
    hdr: &[u8; HEADER_SIZE],
    warnings: &mut Vec<String>,
) -> Result<(NiftiHeader, Info), IoError> {
    let size_le = i32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    let size_be = i32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    if size_le == 540 || size_be == 540 {
        return Err(IoError::bad(path, "NIfTI-2 files are not supported"));
    }
    if size_le != 348 && size_be != 348 {
        return Err(IoError::bad(
            path,
            format!("not a NIfTI-1 file (header size field is {size_le}, expected 348)"),
        ));
    }
    let h = NiftiHeader::from_reader(&hdr[..]).map_err(|e| match e {
        NiftiError::InvalidFormat => IoError::bad(path, "not a NIfTI-1 file (bad magic code)"),
        e => IoError::bad(path, format!("invalid NIfTI-1 header: {e}")),
    })?;
    let big_endian = h.endianness == Endianness::Big;
    let dims = dims(path, &h)?;
    check_dims(path, dims)?;
    let ty = match h.datatype {
        2 => ElemType::U8,
        4 => ElemType::I16,
        8 => ElemType::I32,
        16 => ElemType::F32,
        64 => ElemType::F64,
        256 => ElemType::I8,
        512 => ElemType::U16,
        768 => ElemType::U32,
        other => {
            return Err(IoError::bad(
                path,
                format!(
                    "NIfTI datatype {other} is not supported (expected int8, uint8, int16, \
                     uint16, int32, uint32, float32 or float64)"
                ),
            ));
        }
    };
    let slope = h.scl_slope as f64;
    let scaling = if slope.is_finite() && slope != 0.0 {
        let inter = h.scl_inter as f64;
        Scaling {
            slope,
            inter: if inter.is_finite() { inter } else { 0.0 },
        }
    } else {
        Scaling::IDENTITY
    };
    let geometry = geometry(path, &h, dims, warnings)?;
    Ok((
        h,
        Info {
            ty,
            big_endian,
            scaling,
            geometry,
        },
    ))
}

/// `[x, y, z]` sizes; a 4th and higher dimension must be 1.
fn dims(path: &Path, h: &NiftiHeader) -> Result<[usize; 3], IoError> {
    let ndim = h.dim[0] as i16;
    if !(1..=7).contains(&ndim) {
        return Err(IoError::bad(
            path,
            format!("dim[0] = {ndim} is not a valid number of dimensions"),
        ));
    }
    let ndim = ndim as usize;
    let mut sizes = [1usize; 7];
    for i in 1..=ndim {
        let d = h.dim[i] as i16;
        if d <= 0 {
            return Err(IoError::bad(
                path,
                format!("dim[{i}] = {d} is not a positive size"),
            ));
        }
        sizes[i - 1] = d as usize;
    }
    let extra: usize = sizes[3..].iter().product();
    if extra > 1 {
        return Err(IoError::bad(
            path,
            format!("image is {ndim}D with {extra} volumes; only a single 3D volume is supported"),
        ));
    }
    Ok([sizes[0], sizes[1], sizes[2]])
}

/// Spacing along axis `i` (1-based) from `pixdim`, for the qform and
/// method 1.
fn pixdim(path: &Path, h: &NiftiHeader, i: usize) -> Result<f64, IoError> {
    let v = h.pixdim[i] as f64;
    let ndim = (h.dim[0] as usize).min(7);
    if i > ndim && !(v.is_finite() && v > 0.0) {
        return Ok(1.0);
    }
    if !v.is_finite() || v == 0.0 {
        return Err(IoError::bad(
            path,
            format!("pixdim[{i}] = {v} is not a usable voxel size"),
        ));
    }
    Ok(v.abs())
}

/// The RAS affine of the sform rows.
fn sform_affine(h: &NiftiHeader) -> [[f64; 4]; 4] {
    let r = |row: [f32; 4]| row.map(|v| v as f64);
    [r(h.srow_x), r(h.srow_y), r(h.srow_z), [0.0, 0.0, 0.0, 1.0]]
}

/// The RAS affine of the qform (NIfTI method 2), as nifti1_io computes it.
fn qform_affine(path: &Path, h: &NiftiHeader) -> Result<[[f64; 4]; 4], IoError> {
    let (mut b, mut c, mut d) = (h.quatern_b as f64, h.quatern_c as f64, h.quatern_d as f64);
    if ![b, c, d].iter().all(|v| v.is_finite()) {
        return Err(IoError::bad(path, "qform quaternion is not finite"));
    }
    let mut a = 1.0 - (b * b + c * c + d * d);
    if a < 1e-7 {
        // Rotation by 180 degrees: renormalise (b, c, d), a = 0.
        let n = (b * b + c * c + d * d).sqrt();
        b /= n;
        c /= n;
        d /= n;
        a = 0.0;
    } else {
        a = a.sqrt();
    }
    let rot = [
        [
            a * a + b * b - c * c - d * d,
            2.0 * (b * c - a * d),
            2.0 * (b * d + a * c),
        ],
        [
            2.0 * (b * c + a * d),
            a * a + c * c - b * b - d * d,
            2.0 * (c * d - a * b),
        ],
        [
            2.0 * (b * d - a * c),
            2.0 * (c * d + a * b),
            a * a + d * d - c * c - b * b,
        ],
    ];
    let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
    let zoom = [
        pixdim(path, h, 1)?,
        pixdim(path, h, 2)?,
        pixdim(path, h, 3)? * qfac,
    ];
    let offset = [h.quatern_x, h.quatern_y, h.quatern_z].map(|v| v as f64);
    let mut m = [[0.0; 4]; 4];
    for row in 0..3 {
        for col in 0..3 {
            m[row][col] = rot[row][col] * zoom[col];
        }
        m[row][3] = offset[row];
    }
    m[3][3] = 1.0;
    Ok(m)
}

/// Chooses sform, qform or method 1 and returns the LPS geometry.
fn geometry(
    path: &Path,
    h: &NiftiHeader,
    dims: [usize; 3],
    warnings: &mut Vec<String>,
) -> Result<Geometry, IoError> {
    let unit = match h.xyzt_units & 7 {
        1 => {
            warnings.push("spatial units are metres; converted to millimetres".into());
            1000.0
        }
        3 => {
            warnings.push("spatial units are microns; converted to millimetres".into());
            0.001
        }
        _ => 1.0,
    };
    let build = |affine: [[f64; 4]; 4]| -> Result<Geometry, String> {
        let mut a = affine;
        for row in a.iter_mut().take(3) {
            for v in row.iter_mut() {
                *v *= unit;
            }
        }
        if a.iter().flatten().any(|v| !v.is_finite()) {
            return Err("holds non-finite numbers".into());
        }
        Geometry::from_affine_ras(dims, a).map_err(|e| e.to_string())
    };
    if h.sform_code > 0 {
        match build(sform_affine(h)) {
            Ok(g) => return Ok(g),
            Err(e) if h.qform_code > 0 => {
                warnings.push(format!(
                    "sform is unusable ({e}); geometry taken from the qform"
                ));
            }
            Err(e) => return Err(IoError::bad(path, format!("sform is unusable: {e}"))),
        }
    }
    if h.qform_code > 0 {
        return build(qform_affine(path, h)?)
            .map_err(|e| IoError::bad(path, format!("qform is unusable: {e}")));
    }
    warnings.push(
        "no sform or qform (both codes 0): geometry from pixdim only, \
         identity orientation and origin 0"
            .into(),
    );
    let d = [
        pixdim(path, h, 1)?,
        pixdim(path, h, 2)?,
        pixdim(path, h, 3)?,
    ];
    let affine = [
        [d[0], 0.0, 0.0, 0.0],
        [0.0, d[1], 0.0, 0.0],
        [0.0, 0.0, d[2], 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ];
    build(affine).map_err(|e| IoError::bad(path, format!("pixdim is unusable: {e}")))
}

/// The quaternion `(b, c, d)` and `qfac` of an orthonormal RAS rotation
/// whose columns are the axis directions (nifti_mat44_to_quatern).
fn quaternion(cols: [[f64; 3]; 3]) -> ([f64; 3], f64) {
    // r[row][col]
    let mut r = [[0.0; 3]; 3];
    for (col, v) in cols.iter().enumerate() {
        for row in 0..3 {
            r[row][col] = v[row];
        }
    }
    let det = volume::dot(cols[2], volume::cross(cols[0], cols[1]));
    let qfac = if det < 0.0 {
        for row in r.iter_mut() {
            row[2] = -row[2];
        }
        -1.0
    } else {
        1.0
    };
    let trace = r[0][0] + r[1][1] + r[2][2] + 1.0;
    let (a, mut b, mut c, mut d);
    if trace > 0.5 {
        a = 0.5 * trace.sqrt();
        b = 0.25 * (r[2][1] - r[1][2]) / a;
        c = 0.25 * (r[0][2] - r[2][0]) / a;
        d = 0.25 * (r[1][0] - r[0][1]) / a;
    } else {
        let xd = 1.0 + r[0][0] - (r[1][1] + r[2][2]);
        let yd = 1.0 + r[1][1] - (r[0][0] + r[2][2]);
        let zd = 1.0 + r[2][2] - (r[0][0] + r[1][1]);
        if xd > 1.0 {
            b = 0.5 * xd.sqrt();
            c = 0.25 * (r[0][1] + r[1][0]) / b;
            d = 0.25 * (r[0][2] + r[2][0]) / b;
            a = 0.25 * (r[2][1] - r[1][2]) / b;
        } else if yd > 1.0 {
            c = 0.5 * yd.sqrt();
            b = 0.25 * (r[0][1] + r[1][0]) / c;
            d = 0.25 * (r[1][2] + r[2][1]) / c;
            a = 0.25 * (r[0][2] - r[2][0]) / c;
        } else {
            d = 0.5 * zd.sqrt();
            b = 0.25 * (r[0][2] + r[2][0]) / d;
            c = 0.25 * (r[1][2] + r[2][1]) / d;
            a = 0.25 * (r[1][0] - r[0][1]) / d;
        }
        if a < 0.0 {
            b = -b;
            c = -c;
            d = -d;
        }
    }
    ([b, c, d], qfac)
}

/// The 352 bytes (header plus empty extension flag) we write, little-endian.
fn header_bytes(g: &Geometry, datatype: i16, bitpix: i16) -> [u8; VOX_OFFSET] {
    let mut b = [0u8; VOX_OFFSET];
    let mut put = |off: usize, bytes: &[u8]| b[off..off + bytes.len()].copy_from_slice(bytes);
    let ras = g.affine_ras();
    // RAS unit vectors of the index axes (LPS with x and y negated).
    let cols = g.direction.map(|d| [-d[0], -d[1], d[2]]);
    let ([qb, qc, qd], qfac) = quaternion(cols);

    put(0, &348i32.to_le_bytes());
    put(38, b"r");
    let dim: [i16; 8] = [
        3,
        g.dims[0] as i16,
        g.dims[1] as i16,
        g.dims[2] as i16,
        1,
        1,
        1,
        1,
    ];
    for (i, v) in dim.iter().enumerate() {
        put(40 + 2 * i, &v.to_le_bytes());
    }
    put(70, &datatype.to_le_bytes());
    put(72, &bitpix.to_le_bytes());
    let pixdim: [f32; 8] = [
        qfac as f32,
        g.spacing[0] as f32,
        g.spacing[1] as f32,
        g.spacing[2] as f32,
        1.0,
        1.0,
        1.0,
        1.0,
    ];
    for (i, v) in pixdim.iter().enumerate() {
        put(76 + 4 * i, &v.to_le_bytes());
    }
    put(108, &(VOX_OFFSET as f32).to_le_bytes());
    put(112, &1.0f32.to_le_bytes()); // scl_slope
    put(116, &0.0f32.to_le_bytes()); // scl_inter
    put(123, &[2]); // xyzt_units: mm
    put(148, b"airad");
    put(252, &1i16.to_le_bytes()); // qform_code: scanner
    put(254, &1i16.to_le_bytes()); // sform_code: scanner
    for (i, v) in [qb, qc, qd, ras[0][3], ras[1][3], ras[2][3]]
        .iter()
        .enumerate()
    {
        put(256 + 4 * i, &(*v as f32).to_le_bytes());
    }
    for (row, affine_row) in ras.iter().take(3).enumerate() {
        for (col, v) in affine_row.iter().enumerate() {
            put(280 + 16 * row + 4 * col, &(*v as f32).to_le_bytes());
        }
    }
    put(344, b"n+1\0");
    b
}
