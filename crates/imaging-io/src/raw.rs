//! Internal helpers shared by the NIfTI, NRRD and MetaImage readers and
//! writers: voxel decoding from raw bytes (any supported element type and
//! byte order, optional linear scaling) into `i16` HU or `u16` labels with
//! exact range checks, bounded reads that report truncation, gzip detection,
//! text-header line reading with size limits, and parallel deflate that
//! produces one gzip member or one zlib stream (pigz-style: chunks
//! compressed independently on the rayon pool with the previous 32 KiB as
//! dictionary, joined with sync flushes, checksums combined).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::{Compress, Compression, FlushCompress, Status};
use ndarray::Array3;
use rayon::prelude::*;
use volume::{Geometry, Volume};

use crate::IoError;

/// Voxel element types the readers accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ElemType {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl ElemType {
    /// Bytes per element.
    pub(crate) fn size(self) -> usize {
        match self {
            ElemType::I8 | ElemType::U8 => 1,
            ElemType::I16 | ElemType::U16 => 2,
            ElemType::I32 | ElemType::U32 | ElemType::F32 => 4,
            ElemType::F64 => 8,
        }
    }
}

/// Linear value scaling `stored * slope + inter` (NIfTI `scl_slope`,
/// `scl_inter`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scaling {
    pub slope: f64,
    pub inter: f64,
}

impl Scaling {
    /// No scaling.
    pub(crate) const IDENTITY: Scaling = Scaling {
        slope: 1.0,
        inter: 0.0,
    };

    fn is_identity(&self) -> bool {
        self.slope == 1.0 && self.inter == 0.0
    }
}

/// An integer voxel type the decoders produce.
pub(crate) trait Target: Copy + Send {
    /// Name used in error messages.
    const NAME: &'static str;
    /// Smallest representable value.
    const MIN: f64;
    /// Largest representable value.
    const MAX: f64;
    /// Conversion of an integer-valued, in-range `f64`.
    fn from_f64(v: f64) -> Self;
}

impl Target for i16 {
    const NAME: &'static str = "int16";
    const MIN: f64 = i16::MIN as f64;
    const MAX: f64 = i16::MAX as f64;
    fn from_f64(v: f64) -> Self {
        v as i16
    }
}

impl Target for u16 {
    const NAME: &'static str = "uint16";
    const MIN: f64 = 0.0;
    const MAX: f64 = u16::MAX as f64;
    fn from_f64(v: f64) -> Self {
        v as u16
    }
}

/// Decoded voxels plus how many non-integer values were rounded.
pub(crate) struct Decoded<T> {
    pub values: Vec<T>,
    pub rounded: usize,
    pub rounded_example: f64,
}

/// Why one voxel could not be converted.
enum Fail {
    NaN,
    NonInteger(f64),
    Range(f64),
}

/// Iterates the elements of `bytes` as `$t` in the given byte order,
/// calling `$f(value as $conv)`, which returns `Result<(), Fail>`; stops at
/// the first failure and returns it with the element index.
macro_rules! for_each_elem {
    ($bytes:expr, $t:ty, $big:expr, $f:expr, $conv:ty) => {{
        const N: usize = std::mem::size_of::<$t>();
        let mut out: Result<(), (usize, Fail)> = Ok(());
        for (i, c) in $bytes.chunks_exact(N).enumerate() {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            let v = if $big {
                <$t>::from_be_bytes(a)
            } else {
                <$t>::from_le_bytes(a)
            };
            if let Err(e) = $f(v as $conv) {
                out = Err((i, e));
                break;
            }
        }
        out
    }};
}

/// `for_each_elem!` for the element type `$ty` chosen at run time.
macro_rules! dispatch {
    ($ty:expr, $bytes:expr, $big:expr, $f:expr, $conv:ty) => {
        match $ty {
            ElemType::I8 => for_each_elem!($bytes, i8, $big, $f, $conv),
            ElemType::U8 => for_each_elem!($bytes, u8, $big, $f, $conv),
            ElemType::I16 => for_each_elem!($bytes, i16, $big, $f, $conv),
            ElemType::U16 => for_each_elem!($bytes, u16, $big, $f, $conv),
            ElemType::I32 => for_each_elem!($bytes, i32, $big, $f, $conv),
            ElemType::U32 => for_each_elem!($bytes, u32, $big, $f, $conv),
            ElemType::F32 => for_each_elem!($bytes, f32, $big, $f, $conv),
            ElemType::F64 => for_each_elem!($bytes, f64, $big, $f, $conv),
        }
    };
}

/// Decodes `bytes` (exactly `dims` elements of `ty`) into `T`, applying
/// `scaling`. Non-integer results are rounded (and counted) when
/// `allow_rounding`, else an error; NaN and out-of-range values are errors
/// naming the voxel.
pub(crate) fn decode<T: Target>(
    path: &Path,
    bytes: &[u8],
    ty: ElemType,
    big_endian: bool,
    scaling: Scaling,
    dims: [usize; 3],
    allow_rounding: bool,
) -> Result<Decoded<T>, IoError> {
    let n = dims[0] * dims[1] * dims[2];
    if bytes.len() != n * ty.size() {
        return Err(IoError::bad(
            path,
            format!(
                "data holds {} bytes, expected {}",
                bytes.len(),
                n * ty.size()
            ),
        ));
    }
    let identity = scaling.is_identity();
    let mut values: Vec<T> = Vec::with_capacity(n);
    let mut rounded = 0usize;
    let mut rounded_example = 0.0;
    // Integer data with whole-number scaling (e.g. slope 1, intercept
    // -1024) stays in integers: exact and several times faster.
    let whole = |v: f64| v.fract() == 0.0 && v.abs() <= 1e9;
    let int_scaling = !matches!(ty, ElemType::F32 | ElemType::F64)
        && whole(scaling.slope)
        && whole(scaling.inter);
    let result = if int_scaling {
        let (m, b) = (scaling.slope as i64, scaling.inter as i64);
        let (lo, hi) = (T::MIN as i64, T::MAX as i64);
        let mut push = |raw: i64| -> Result<(), Fail> {
            let v = raw * m + b;
            if v < lo || v > hi {
                return Err(Fail::Range(v as f64));
            }
            values.push(T::from_f64(v as f64));
            Ok(())
        };
        dispatch!(ty, bytes, big_endian, push, i64)
    } else {
        let mut push = |raw: f64| -> Result<(), Fail> {
            let v = if identity {
                raw
            } else {
                raw * scaling.slope + scaling.inter
            };
            if v.is_nan() {
                return Err(Fail::NaN);
            }
            let r = v.round();
            if r != v {
                if !allow_rounding {
                    return Err(Fail::NonInteger(v));
                }
                if rounded == 0 {
                    rounded_example = v;
                }
                rounded += 1;
            }
            if !(T::MIN..=T::MAX).contains(&r) {
                return Err(Fail::Range(v));
            }
            values.push(T::from_f64(r));
            Ok(())
        };
        dispatch!(ty, bytes, big_endian, push, f64)
    };
    if let Err((i, fail)) = result {
        let [nx, ny, _] = dims;
        let at = format!("voxel [{}, {}, {}]", i % nx, (i / nx) % ny, i / (nx * ny));
        let scaled = if identity { "" } else { " after scaling" };
        let problem = match fail {
            Fail::NaN => format!("{at} is NaN{scaled}"),
            Fail::NonInteger(v) => {
                format!("{at} holds the non-integer value {v}{scaled}; expected whole numbers")
            }
            Fail::Range(v) => format!(
                "{at} holds {v}{scaled}, outside the {} range {}..{}",
                T::NAME,
                T::MIN,
                T::MAX
            ),
        };
        return Err(IoError::bad(path, problem));
    }
    Ok(Decoded {
        values,
        rounded,
        rounded_example,
    })
}

/// Decodes HU voxels, adding a warning when values were rounded.
pub(crate) fn decode_hu(
    path: &Path,
    bytes: &[u8],
    ty: ElemType,
    big_endian: bool,
    scaling: Scaling,
    dims: [usize; 3],
    warnings: &mut Vec<String>,
) -> Result<Vec<i16>, IoError> {
    let d = decode::<i16>(path, bytes, ty, big_endian, scaling, dims, true)?;
    if d.rounded > 0 {
        warnings.push(format!(
            "{} voxels held non-integer values (e.g. {}) and were rounded to whole HU",
            d.rounded, d.rounded_example
        ));
    }
    Ok(d.values)
}

/// Wraps `(x fastest, then y, then z)` values into a volume.
pub(crate) fn make_volume<T: Clone>(
    path: &Path,
    values: Vec<T>,
    geometry: Geometry,
) -> Result<Volume<T>, IoError> {
    let [nx, ny, nz] = geometry.dims;
    let data = Array3::from_shape_vec((nz, ny, nx), values)
        .map_err(|e| IoError::bad(path, format!("voxel count does not match the size: {e}")))?;
    Volume::new(data, geometry).map_err(|e| IoError::bad(path, e.to_string()))
}

/// A geometry from LPS axis vectors that include the spacing (affine
/// columns) and an LPS origin.
pub(crate) fn geometry_from_columns(
    path: &Path,
    dims: [usize; 3],
    columns: [[f64; 3]; 3],
    origin: [f64; 3],
) -> Result<Geometry, IoError> {
    let mut a = [[0.0, 0.0, 0.0, 1.0]; 4];
    for (row, r) in a.iter_mut().take(3).enumerate() {
        *r = [
            columns[0][row],
            columns[1][row],
            columns[2][row],
            origin[row],
        ];
    }
    if a.iter().flatten().any(|v| !v.is_finite()) {
        return Err(IoError::bad(path, "geometry holds non-finite numbers"));
    }
    Geometry::from_affine_lps(dims, a).map_err(|e| IoError::bad(path, e.to_string()))
}

/// Maps a read error to a one-line `IoError`: truncation and corrupt
/// compressed data are bad input, anything else is an OS error.
pub(crate) fn read_error(path: &Path, e: io::Error, what: &str) -> IoError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => IoError::bad(
            path,
            format!("{what} is truncated (unexpected end of file)"),
        ),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => {
            IoError::bad(path, format!("{what} is corrupt: {e}"))
        }
        _ => IoError::io(path, e),
    }
}

/// Reads exactly `n` bytes, growing the buffer by at most 16 MiB at a
/// time as data arrives (so a header claiming a huge size does not
/// allocate it up front), or fails naming the shortfall or a checksum
/// error of compressed data.
pub(crate) fn read_exact_bytes<R: Read>(
    path: &Path,
    mut reader: R,
    n: usize,
    what: &str,
) -> Result<Vec<u8>, IoError> {
    let mut buf = Vec::new();
    let mut filled = 0;
    while filled < n {
        if filled == buf.len() {
            buf.resize(filled + (n - filled).min(16 << 20), 0);
        }
        match reader.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(IoError::bad(
                    path,
                    format!("{what} is truncated: expected {n} bytes, found {filled}"),
                ));
            }
            Ok(k) => filled += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(path, e, what)),
        }
    }
    // One more read makes a decompressor reach its trailer and verify the
    // checksum (trailing data, if any, is ignored).
    if let Err(e) = reader.read(&mut [0u8; 1]) {
        return Err(read_error(path, e, what));
    }
    Ok(buf)
}

/// Discards `n` bytes from a reader, or fails when the input ends first.
pub(crate) fn skip_bytes<R: Read>(
    path: &Path,
    reader: &mut R,
    n: u64,
    what: &str,
) -> Result<(), IoError> {
    let skipped =
        io::copy(&mut reader.take(n), &mut io::sink()).map_err(|e| read_error(path, e, what))?;
    if skipped < n {
        return Err(IoError::bad(
            path,
            format!("{what} is truncated: the file ends before byte {n} of the data"),
        ));
    }
    Ok(())
}

/// Opens a file for buffered reading.
pub(crate) fn open_buffered(path: &Path) -> Result<BufReader<File>, IoError> {
    let f = File::open(path).map_err(|e| IoError::io(path, e))?;
    Ok(BufReader::with_capacity(1 << 18, f))
}

/// Wraps a buffered input in a multi-member gzip decoder when it starts
/// with the gzip magic bytes, else returns it as is.
pub(crate) fn maybe_gunzip<'a, R: BufRead + 'a>(
    path: &Path,
    mut r: R,
) -> Result<Box<dyn Read + 'a>, IoError> {
    let head = r.fill_buf().map_err(|e| IoError::io(path, e))?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(r)))
    } else {
        Ok(Box::new(r))
    }
}

/// How a data section is stored (NRRD `encoding`, MetaImage
/// `CompressedData` / `BinaryData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Plain binary.
    Raw,
    /// gzip or zlib (recognised by the first bytes).
    Compressed,
    /// Whitespace-separated decimal numbers.
    Ascii,
}

/// Voxel bytes as read, with the type they are now in (ASCII data comes
/// back as little-endian `f64`).
pub(crate) struct Data {
    pub bytes: Vec<u8>,
    pub ty: ElemType,
    pub big_endian: bool,
}

/// Reads a data section of `n` voxels of `ty` from `r`, skipping `skip`
/// bytes after decompression.
pub(crate) fn read_data<'a, R: BufRead + 'a>(
    path: &Path,
    mut r: R,
    encoding: Encoding,
    n: usize,
    ty: ElemType,
    big_endian: bool,
    skip: u64,
) -> Result<Data, IoError> {
    let nbytes = n * ty.size();
    let mut input: Box<dyn Read + 'a> = match encoding {
        Encoding::Raw => Box::new(r),
        Encoding::Compressed => {
            let head = r.fill_buf().map_err(|e| IoError::io(path, e))?;
            if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
                Box::new(flate2::bufread::MultiGzDecoder::new(r))
            } else if head.len() >= 2
                && head[0] & 0x0f == 8
                && (u16::from(head[0]) * 256 + u16::from(head[1])) % 31 == 0
            {
                Box::new(flate2::bufread::ZlibDecoder::new(r))
            } else {
                return Err(IoError::bad(
                    path,
                    "compressed data starts with neither a gzip nor a zlib header",
                ));
            }
        }
        Encoding::Ascii => {
            skip_bytes(path, &mut r, skip, "ASCII data")?;
            let mut text = String::new();
            r.read_to_string(&mut text)
                .map_err(|e| read_error(path, e, "ASCII data"))?;
            let mut bytes = Vec::with_capacity(n.min(1 << 24) * 8);
            let mut count = 0usize;
            for tok in text.split_ascii_whitespace() {
                if count == n {
                    break;
                }
                let v: f64 = tok.parse().map_err(|_| {
                    IoError::bad(path, format!("ASCII data holds a non-number '{tok}'"))
                })?;
                bytes.extend_from_slice(&v.to_le_bytes());
                count += 1;
            }
            if count < n {
                return Err(IoError::bad(
                    path,
                    format!("ASCII data is truncated: expected {n} values, found {count}"),
                ));
            }
            return Ok(Data {
                bytes,
                ty: ElemType::F64,
                big_endian: false,
            });
        }
    };
    skip_bytes(path, &mut input, skip, "image data")?;
    let bytes = read_exact_bytes(path, input, nbytes, "image data")?;
    Ok(Data {
        bytes,
        ty,
        big_endian,
    })
}

/// Reads the last `nbytes` of a file (NRRD `byte skip: -1`, MetaImage
/// `HeaderSize = -1`: raw data at the end of the file).
pub(crate) fn read_tail(path: &Path, nbytes: usize) -> Result<Vec<u8>, IoError> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = f.metadata().map_err(|e| IoError::io(path, e))?.len();
    if len < nbytes as u64 {
        return Err(IoError::bad(
            path,
            format!("image data is truncated: expected {nbytes} bytes, the file holds {len}"),
        ));
    }
    f.seek(SeekFrom::Start(len - nbytes as u64))
        .map_err(|e| IoError::io(path, e))?;
    read_exact_bytes(path, BufReader::new(f), nbytes, "image data")
}

/// Largest accepted text-header line (NRRD, MetaImage).
const MAX_LINE: u64 = 1 << 20;

/// Reads one `\n`-terminated header line (without the line ending), or
/// `None` at end of input. Lines longer than 1 MiB are an error, so a
/// binary file is never read whole as a "line".
pub(crate) fn read_line<R: BufRead>(path: &Path, r: &mut R) -> Result<Option<String>, IoError> {
    let mut buf = Vec::new();
    r.by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut buf)
        .map_err(|e| IoError::io(path, e))?;
    if buf.is_empty() {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') && buf.len() as u64 >= MAX_LINE {
        return Err(IoError::bad(path, "header line longer than 1 MiB"));
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Parses whitespace- or comma-separated numbers.
pub(crate) fn parse_numbers(s: &str) -> Option<Vec<f64>> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<f64>().ok())
        .collect()
}

/// Formats numbers with the shortest text that reads back exactly.
pub(crate) fn format_numbers(v: &[f64], sep: &str) -> String {
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// The voxels of an `i16` volume as little-endian bytes.
pub(crate) fn i16_le_bytes(volume: &Volume<i16>) -> Vec<u8> {
    volume
        .as_slice()
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect()
}

/// Writes bytes to a new file.
pub(crate) fn write_file(path: &Path, parts: &[&[u8]]) -> Result<(), IoError> {
    use std::io::Write;
    let mut f = File::create(path).map_err(|e| IoError::io(path, e))?;
    for p in parts {
        f.write_all(p).map_err(|e| IoError::io(path, e))?;
    }
    f.flush().map_err(|e| IoError::io(path, e))
}

/// Deflate level used by the writers. With the zlib-rs backend, level 3
/// compresses CT as well as zlib/pigz level 6 (what dcm2niix uses) and
/// about 1.5x faster than its own level 6, whose gain is under 0.2%;
/// level 1 is faster again but 75% instead of 57% of the input size.
pub(crate) const DEFAULT_LEVEL: u32 = 3;
/// Uncompressed bytes per parallel deflate chunk.
const CHUNK: usize = 1 << 21;
/// Deflate window: the dictionary each chunk inherits from the previous.
const WINDOW: usize = 32 * 1024;

/// One compressed chunk with the checksums of its input.
struct Piece {
    deflated: Vec<u8>,
    crc: u32,
    adler: u32,
    len: u64,
}

/// Raw-deflates `data` in independent chunks on the rayon pool. Each chunk
/// but the last ends with a sync flush (byte-aligned, not final), so their
/// concatenation is one valid deflate stream.
fn deflate_pieces(data: &[u8], level: u32) -> Result<Vec<Piece>, String> {
    let n = data.len().div_ceil(CHUNK).max(1);
    (0..n)
        .into_par_iter()
        .map(|i| {
            let start = i * CHUNK;
            let end = (start + CHUNK).min(data.len());
            let input = &data[start..end];
            let mut c = Compress::new(Compression::new(level), false);
            if start > 0 {
                c.set_dictionary(&data[start.saturating_sub(WINDOW)..start])
                    .map_err(|e| e.to_string())?;
            }
            let last = i + 1 == n;
            let flush = if last {
                FlushCompress::Finish
            } else {
                FlushCompress::Sync
            };
            let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 1024);
            loop {
                let consumed = c.total_in() as usize;
                let status = c
                    .compress_vec(&input[consumed..], &mut out, flush)
                    .map_err(|e| e.to_string())?;
                let done_input = c.total_in() as usize == input.len();
                let room_left = out.len() < out.capacity();
                match status {
                    Status::StreamEnd => break,
                    Status::Ok | Status::BufError if !last && done_input && room_left => break,
                    _ => out.reserve(out.capacity().max(4096)),
                }
            }
            Ok(Piece {
                deflated: out,
                crc: zlib_rs::crc32::crc32(0, input),
                adler: zlib_rs::adler32::adler32(1, input),
                len: input.len() as u64,
            })
        })
        .collect()
}

/// Compresses `data` as a single-member gzip file, in parallel.
pub(crate) fn gzip_parallel(data: &[u8], level: u32) -> Result<Vec<u8>, String> {
    let pieces = deflate_pieces(data, level)?;
    let total: usize = pieces.iter().map(|p| p.deflated.len()).sum();
    let mut out = Vec::with_capacity(total + 18);
    // Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    let mut crc = 0u32;
    for p in &pieces {
        out.extend_from_slice(&p.deflated);
        crc = zlib_rs::crc32::crc32_combine(crc, p.crc, p.len);
    }
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(out)
}

/// Compresses `data` as one zlib stream (RFC 1950), in parallel.
pub(crate) fn zlib_parallel(data: &[u8], level: u32) -> Result<Vec<u8>, String> {
    let pieces = deflate_pieces(data, level)?;
    let total: usize = pieces.iter().map(|p| p.deflated.len()).sum();
    let mut out = Vec::with_capacity(total + 6);
    out.extend_from_slice(&[0x78, 0x9c]);
    let mut adler = 1u32;
    for p in &pieces {
        out.extend_from_slice(&p.deflated);
        adler = zlib_rs::adler32::adler32_combine(adler, p.adler, p.len);
    }
    out.extend_from_slice(&adler.to_be_bytes());
    Ok(out)
}
