//! MetaImage (ITK) read and write: `.mha` with the data in the same file
//! (`ElementDataFile = LOCAL`) and `.mhd` with the data in a file beside it.
//!
//! MetaImage, like ITK, lives in LPS. `TransformMatrix` (alias `Rotation`,
//! `Orientation`) holds 9 numbers in which the i-th group of three is the
//! direction of index axis i (ITK's `MetaImageIO` reads it with
//! `SetDirection(i, m[3i..3i+3])`), i.e. exactly our `direction[i]`; the
//! integration tests check this against SimpleITK's
//! `TransformIndexToPhysicalPoint`. `Offset` (alias `Position`, `Origin`)
//! is the LPS centre of voxel (0, 0, 0). `AnatomicalOrientation` is
//! informative only and ignored on read.
//!
//! Read: `ElementType` MET_CHAR, MET_UCHAR, MET_SHORT, MET_USHORT, MET_INT,
//! MET_UINT, MET_FLOAT, MET_DOUBLE; `CompressedData` (zlib, or gzip);
//! `BinaryDataByteOrderMSB`; `BinaryData = False` (ASCII); `HeaderSize`
//! (including -1); `NDims` 3, or 4 with a last size of 1.
//! Write: `.mha` with zlib-compressed data (compressed in parallel), or
//! `.mhd` with `<stem>.zraw` beside it.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use volume::{Geometry, Volume};

use crate::raw::{self, ElemType, Encoding, Scaling};
use crate::{IoError, LoadedImage, ScanMeta, SourceFormat, check_dims};

/// Most header lines we read before declaring the header malformed.
const MAX_HEADER_LINES: usize = 10_000;

/// Reads a CT volume (HU) from a MetaImage file (`.mha` or `.mhd`).
pub fn read_metaimage(path: &Path) -> Result<LoadedImage, IoError> {
    let mut warnings = Vec::new();
    let mut r = raw::open_buffered(path)?;
    let fields = read_header(path, &mut r)?;
    let h = Header::parse(path, &fields, &mut warnings)?;
    let n = h.dims.iter().product::<usize>();
    let data = if h.data_file.eq_ignore_ascii_case("LOCAL") {
        read_section(path, r, &h, n)?
    } else {
        drop(r);
        let data_path = detached_path(path, &h.data_file)?;
        if !data_path.is_file() {
            return Err(IoError::bad(
                path,
                format!("the data file {} is missing", data_path.display()),
            ));
        }
        let dr = raw::open_buffered(&data_path)?;
        read_section(&data_path, dr, &h, n)?
    };
    let values = raw::decode_hu(
        path,
        &data.bytes,
        data.ty,
        data.big_endian,
        Scaling::IDENTITY,
        h.dims,
        &mut warnings,
    )?;
    drop(data);
    let volume = raw::make_volume(path, values, h.geometry)?;
    Ok(LoadedImage {
        volume,
        meta: ScanMeta {
            format: SourceFormat::MetaImage,
            ..ScanMeta::default()
        },
        warnings,
    })
}

/// Writes an int16 volume as MetaImage with zlib-compressed data: `.mha`
/// holds everything; a name ending in `.mhd` writes `<stem>.zraw` beside it.
pub fn write_metaimage(path: &Path, volume: &Volume<i16>) -> Result<(), IoError> {
    let g = volume.geometry();
    let packed = raw::zlib_parallel(&raw::i16_le_bytes(volume), raw::DEFAULT_LEVEL)
        .map_err(|e| IoError::bad(path, format!("zlib compression failed: {e}")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let detached = name
        .strip_suffix(".mhd")
        .or_else(|| name.strip_suffix(".MHD"))
        .map(|stem| format!("{stem}.zraw"));
    let dims = g.dims.map(|d| d as f64);
    let header = format!(
        "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = False\n\
         CompressedData = True\nCompressedDataSize = {}\nTransformMatrix = {}\nOffset = {}\n\
         CenterOfRotation = 0 0 0\nAnatomicalOrientation = {}\nElementSpacing = {}\n\
         DimSize = {}\nElementType = MET_SHORT\nElementDataFile = {}\n",
        packed.len(),
        raw::format_numbers(&g.direction_flat(), " "),
        raw::format_numbers(&g.origin, " "),
        orientation_code(g),
        raw::format_numbers(&g.spacing, " "),
        raw::format_numbers(&dims, " "),
        detached.as_deref().unwrap_or("LOCAL"),
    );
    match detached {
        Some(data_name) => {
            raw::write_file(&path.with_file_name(&data_name), &[&packed])?;
            raw::write_file(path, &[header.as_bytes()])
        }
        None => raw::write_file(path, &[header.as_bytes(), &packed]),
    }
}

/// ITK's three-letter orientation code: for each axis, the LPS letter the
/// axis points away from ("RAI" for the identity).
fn orientation_code(g: &Geometry) -> String {
    g.direction
        .iter()
        .map(|d| {
            let k = (0..3)
                .max_by(|&a, &b| d[a].abs().total_cmp(&d[b].abs()))
                .unwrap_or(0);
            match (k, d[k] >= 0.0) {
                (0, true) => 'R',
                (0, false) => 'L',
                (1, true) => 'A',
                (1, false) => 'P',
                (_, true) => 'I',
                (_, false) => 'S',
            }
        })
        .collect()
}

/// `Key = Value` pairs, keys lower-cased, up to and including
/// `ElementDataFile`.
fn read_header<R: BufRead>(path: &Path, r: &mut R) -> Result<Vec<(String, String)>, IoError> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for _ in 0..MAX_HEADER_LINES {
        let Some(line) = raw::read_line(path, r)? else {
            return Err(IoError::bad(
                path,
                if fields.is_empty() {
                    "file is empty or not a MetaImage header"
                } else {
                    "header ends without an ElementDataFile line"
                },
            ));
        };
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(IoError::bad(
                path,
                format!(
                    "not a MetaImage header: line '{}' is not 'Key = Value'",
                    line.chars().take(60).collect::<String>()
                ),
            ));
        };
        let key = key.trim().to_ascii_lowercase();
        let done = key == "elementdatafile";
        fields.push((key, value.trim().to_string()));
        if done {
            return Ok(fields);
        }
    }
    Err(IoError::bad(path, "header has no end"))
}

/// Parsed header.
struct Header {
    dims: [usize; 3],
    ty: ElemType,
    big_endian: bool,
    encoding: Encoding,
    header_size: i64,
    data_file: String,
    geometry: Geometry,
}

impl Header {
    fn parse(
        path: &Path,
        fields: &[(String, String)],
        warnings: &mut Vec<String>,
    ) -> Result<Header, IoError> {
        let get = |keys: &[&str]| {
            keys.iter().find_map(|k| {
                fields
                    .iter()
                    .find(|(f, _)| f == &k.to_ascii_lowercase())
                    .map(|(_, v)| v.as_str())
            })
        };
        let need = |key: &str| {
            get(&[key])
                .ok_or_else(|| IoError::bad(path, format!("required field {key} is missing")))
        };
        let numbers = |key: &str, v: &str, n: usize| -> Result<Vec<f64>, IoError> {
            raw::parse_numbers(v)
                .filter(|x| x.len() == n)
                .ok_or_else(|| IoError::bad(path, format!("{key} must hold {n} numbers: '{v}'")))
        };
        let boolean = |v: Option<&str>| v.is_some_and(|s| s.eq_ignore_ascii_case("true"));

        if let Some(t) = get(&["ObjectType"])
            && !t.eq_ignore_ascii_case("image")
        {
            return Err(IoError::bad(
                path,
                format!("ObjectType {t} is not an image"),
            ));
        }
        let ndims: usize = need("NDims")?
            .parse()
            .map_err(|_| IoError::bad(path, "NDims is not a number"))?;
        if !(ndims == 3 || ndims == 4) {
            return Err(IoError::bad(
                path,
                format!("NDims {ndims} is not supported (expected 3)"),
            ));
        }
        let sizes = numbers("DimSize", need("DimSize")?, ndims)?;
        if sizes
            .iter()
            .any(|s| !(s.fract() == 0.0 && *s >= 0.0 && *s < 1e9))
        {
            return Err(IoError::bad(
                path,
                "DimSize holds a non-integer or negative size",
            ));
        }
        if ndims == 4 && sizes[3] != 1.0 {
            return Err(IoError::bad(
                path,
                format!(
                    "4D image with {} volumes is not supported; expected one 3D volume",
                    sizes[3]
                ),
            ));
        }
        let dims = [sizes[0] as usize, sizes[1] as usize, sizes[2] as usize];
        check_dims(path, dims)?;
        if let Some(c) = get(&["ElementNumberOfChannels"])
            && c.trim() != "1"
        {
            return Err(IoError::bad(
                path,
                format!("{c} channels per voxel are not supported"),
            ));
        }
        let ty = match need("ElementType")?.to_ascii_uppercase().as_str() {
            "MET_CHAR" => ElemType::I8,
            "MET_UCHAR" => ElemType::U8,
            "MET_SHORT" => ElemType::I16,
            "MET_USHORT" => ElemType::U16,
            "MET_INT" => ElemType::I32,
            "MET_UINT" => ElemType::U32,
            "MET_FLOAT" => ElemType::F32,
            "MET_DOUBLE" => ElemType::F64,
            other => {
                return Err(IoError::bad(
                    path,
                    format!("ElementType {other} is not supported"),
                ));
            }
        };
        let big_endian = boolean(get(&["BinaryDataByteOrderMSB", "ElementByteOrderMSB"]));
        let binary = get(&["BinaryData"]).is_none_or(|s| s.eq_ignore_ascii_case("true"));
        let compressed = boolean(get(&["CompressedData"]));
        let encoding = match (binary, compressed) {
            (_, true) => Encoding::Compressed,
            (true, false) => Encoding::Raw,
            (false, false) => Encoding::Ascii,
        };
        let header_size = match get(&["HeaderSize"]) {
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|v| *v >= -1)
                .ok_or_else(|| IoError::bad(path, format!("HeaderSize '{s}' is invalid")))?,
            None => 0,
        };
        if header_size == -1 && encoding != Encoding::Raw {
            return Err(IoError::bad(
                path,
                "HeaderSize = -1 needs uncompressed binary data",
            ));
        }

        let spacing = match get(&["ElementSpacing", "ElementSize"]) {
            Some(v) => numbers("ElementSpacing", v, ndims)?,
            None => {
                warnings.push("no ElementSpacing: spacing taken as 1 mm".into());
                vec![1.0; ndims]
            }
        };
        let origin = match get(&["Offset", "Position", "Origin"]) {
            Some(v) => numbers("Offset", v, ndims)?,
            None => vec![0.0; ndims],
        };
        let matrix = match get(&["TransformMatrix", "Rotation", "Orientation"]) {
            Some(v) => numbers("TransformMatrix", v, ndims * ndims)?,
            None => (0..ndims * ndims)
                .map(|i| if i % (ndims + 1) == 0 { 1.0 } else { 0.0 })
                .collect(),
        };
        if ndims == 4 {
            let off_axis = (0..3).any(|i| matrix[i * 4 + 3] != 0.0 || matrix[12 + i] != 0.0);
            if off_axis {
                warnings.push("4th axis of TransformMatrix mixes with space; ignored".into());
            }
        }
        // Group i of `ndims` numbers is the direction of index axis i.
        let mut columns = [[0.0; 3]; 3];
        for (axis, col) in columns.iter_mut().enumerate() {
            for k in 0..3 {
                col[k] = matrix[axis * ndims + k] * spacing[axis];
            }
        }
        let geometry =
            raw::geometry_from_columns(path, dims, columns, [origin[0], origin[1], origin[2]])?;
        Ok(Header {
            dims,
            ty,
            big_endian,
            encoding,
            header_size,
            data_file: need("ElementDataFile")?.to_string(),
            geometry,
        })
    }
}

/// The detached data file, relative to the header.
fn detached_path(path: &Path, spec: &str) -> Result<PathBuf, IoError> {
    if spec.eq_ignore_ascii_case("LIST") || spec.contains('%') {
        return Err(IoError::bad(
            path,
            format!("multi-file MetaImage data ('ElementDataFile = {spec}') is not supported"),
        ));
    }
    let p = Path::new(spec);
    Ok(if p.is_absolute() {
        p.to_path_buf()
    } else {
        path.parent().unwrap_or(Path::new("")).join(p)
    })
}

/// Reads the data section from `r` (positioned at the data of `path`).
fn read_section<R: BufRead>(path: &Path, r: R, h: &Header, n: usize) -> Result<raw::Data, IoError> {
    if h.header_size == -1 {
        let bytes = raw::read_tail(path, n * h.ty.size())?;
        return Ok(raw::Data {
            bytes,
            ty: h.ty,
            big_endian: h.big_endian,
        });
    }
    let mut r = r;
    // HeaderSize counts bytes of the data file before the data (before
    // decompression when compressed).
    if h.header_size > 0 {
        raw::skip_bytes(path, &mut r, h.header_size as u64, "image data")?;
    }
    raw::read_data(path, r, h.encoding, n, h.ty, h.big_endian, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_codes_follow_itk() {
        let g = Geometry::new([1, 1, 1], [1.0; 3], [0.0; 3]);
        assert_eq!(orientation_code(&g), "RAI");
        let mut h = g;
        h.direction = [[-1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]];
        assert_eq!(orientation_code(&h), "LSA");
    }
}
