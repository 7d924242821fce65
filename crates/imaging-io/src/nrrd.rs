//! NRRD read and write (`.nrrd` with attached data, `.nhdr` with a
//! detached data file), after the NRRD0001-0005 format of teem.
//!
//! Read: encodings raw, gzip and ascii; types (u)int8, (u)short, (u)int,
//! float, double in either byte order; `dimension` 3, or 4 when the extra
//! (non-spatial) axis has size 1. Geometry from `space` (LPS, RAS or LAS,
//! long or 3-letter form, converted to LPS), `space directions` (axis
//! vectors including the spacing) and `space origin`; without them from
//! `spacings`, with a warning. `line skip` and `byte skip` (including -1
//! for raw data at the end of the file) are honoured.
//!
//! Write: attached gzip data, `space: left-posterior-superior`, numbers
//! printed so that they read back exactly. A `.nhdr` name gets its data in
//! `<stem>.raw.gz` beside it.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use volume::Volume;

use crate::raw::{self, ElemType, Encoding, Scaling};
use crate::{IoError, LoadedImage, ScanMeta, SourceFormat, check_dims};

/// Most header lines we read before declaring the header malformed.
const MAX_HEADER_LINES: usize = 100_000;

/// Reads a CT volume (HU) from a NRRD file (`.nrrd` or `.nhdr`).
pub fn read_nrrd(path: &Path) -> Result<LoadedImage, IoError> {
    let mut warnings = Vec::new();
    let mut r = raw::open_buffered(path)?;
    let fields = read_header(path, &mut r)?;
    let h = Header::parse(path, &fields, &mut warnings)?;
    let n = h.dims.iter().product::<usize>();
    let data = match &fields.data_file {
        None => read_section(path, r, &h, n)?,
        Some(spec) => {
            drop(r);
            let data_path = detached_path(path, spec)?;
            if !data_path.is_file() {
                return Err(IoError::bad(
                    path,
                    format!("the data file {} is missing", data_path.display()),
                ));
            }
            let dr = raw::open_buffered(&data_path)?;
            read_section(&data_path, dr, &h, n)?
        }
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
    let geometry = raw::geometry_from_columns(path, h.dims, h.columns, h.origin)?;
    let volume = raw::make_volume(path, values, geometry)?;
    Ok(LoadedImage {
        volume,
        meta: ScanMeta {
            format: SourceFormat::Nrrd,
            ..ScanMeta::default()
        },
        warnings,
    })
}

/// Writes an int16 volume as NRRD with gzip encoding and LPS space. A name
/// ending in `.nhdr` writes a detached header and `<stem>.raw.gz`.
pub fn write_nrrd(path: &Path, volume: &Volume<i16>) -> Result<(), IoError> {
    let g = volume.geometry();
    let cols: Vec<String> = (0..3)
        .map(|axis| {
            let v: Vec<f64> = (0..3)
                .map(|k| g.direction[axis][k] * g.spacing[axis])
                .collect();
            format!("({})", raw::format_numbers(&v, ","))
        })
        .collect();
    let mut header = format!(
        "NRRD0004\n# written by airad\ntype: short\ndimension: 3\n\
         space: left-posterior-superior\nsizes: {} {} {}\nspace directions: {}\n\
         kinds: domain domain domain\nendian: little\nencoding: gzip\n\
         space origin: ({})\n",
        g.dims[0],
        g.dims[1],
        g.dims[2],
        cols.join(" "),
        raw::format_numbers(&g.origin, ","),
    );
    let packed = raw::gzip_parallel(&raw::i16_le_bytes(volume), raw::DEFAULT_LEVEL)
        .map_err(|e| IoError::bad(path, format!("gzip compression failed: {e}")))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(stem) = name
        .strip_suffix(".nhdr")
        .or_else(|| name.strip_suffix(".NHDR"))
    {
        let data_name = format!("{stem}.raw.gz");
        header.push_str(&format!("data file: {data_name}\n"));
        raw::write_file(&path.with_file_name(&data_name), &[&packed])?;
        raw::write_file(path, &[header.as_bytes()])
    } else {
        header.push('\n');
        raw::write_file(path, &[header.as_bytes(), &packed])
    }
}

/// Header fields as read: lower-case field names and their values.
struct Fields {
    list: Vec<(String, String)>,
    data_file: Option<String>,
}

impl Fields {
    fn get(&self, key: &str) -> Option<&str> {
        self.list
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the magic line and the fields up to the blank line (or the end of
/// a detached header).
fn read_header<R: BufRead>(path: &Path, r: &mut R) -> Result<Fields, IoError> {
    let magic = raw::read_line(path, r)?.unwrap_or_default();
    if !magic.starts_with("NRRD000") {
        return Err(IoError::bad(
            path,
            "not a NRRD file (no NRRD000x magic line)",
        ));
    }
    let mut fields = Fields {
        list: Vec::new(),
        data_file: None,
    };
    for _ in 0..MAX_HEADER_LINES {
        let Some(line) = raw::read_line(path, r)? else {
            return Ok(fields);
        };
        if line.is_empty() {
            return Ok(fields);
        }
        if line.starts_with('#') || line.contains(":=") {
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(IoError::bad(
                path,
                format!("header line '{}' is not 'field: value'", shorten(&line)),
            ));
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if key == "data file" || key == "datafile" {
            fields.data_file = Some(value);
        } else {
            fields.list.push((key, value));
        }
    }
    Err(IoError::bad(path, "header has no end"))
}

/// The start of a long line, for messages.
fn shorten(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Parsed header: what the data section holds and where it lies in space.
struct Header {
    dims: [usize; 3],
    ty: ElemType,
    big_endian: bool,
    encoding: Encoding,
    line_skip: usize,
    byte_skip: i64,
    /// LPS axis vectors including spacing.
    columns: [[f64; 3]; 3],
    origin: [f64; 3],
}

impl Header {
    fn parse(path: &Path, f: &Fields, warnings: &mut Vec<String>) -> Result<Header, IoError> {
        let need = |key: &str| {
            f.get(key)
                .ok_or_else(|| IoError::bad(path, format!("required field '{key}' is missing")))
        };
        let ty = elem_type(path, need("type")?)?;
        let dimension: usize = need("dimension")?
            .parse()
            .map_err(|_| IoError::bad(path, "field 'dimension' is not a number"))?;
        let sizes: Vec<usize> = need("sizes")?
            .split_whitespace()
            .map(|t| t.parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| IoError::bad(path, "field 'sizes' holds a non-number"))?;
        if sizes.len() != dimension {
            return Err(IoError::bad(
                path,
                format!(
                    "'sizes' has {} values for dimension {dimension}",
                    sizes.len()
                ),
            ));
        }
        let directions = match f.get("space directions") {
            Some(s) => Some(
                parse_vectors(s)
                    .ok_or_else(|| IoError::bad(path, "field 'space directions' is malformed"))?,
            ),
            None => None,
        };
        let kinds: Vec<String> = f
            .get("kinds")
            .map(|s| {
                s.split_whitespace()
                    .map(|k| k.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let spatial = spatial_axes(path, &sizes, directions.as_deref(), &kinds)?;
        let dims = [sizes[spatial[0]], sizes[spatial[1]], sizes[spatial[2]]];
        check_dims(path, dims)?;

        let encoding = match need("encoding")?.to_ascii_lowercase().as_str() {
            "raw" => Encoding::Raw,
            "gzip" | "gz" => Encoding::Compressed,
            "ascii" | "text" | "txt" => Encoding::Ascii,
            other => {
                return Err(IoError::bad(
                    path,
                    format!("NRRD encoding '{other}' is not supported (raw, gzip or ascii)"),
                ));
            }
        };
        let big_endian = match f.get("endian").map(|s| s.to_ascii_lowercase()) {
            Some(e) if e == "big" => true,
            Some(e) if e == "little" => false,
            Some(e) => return Err(IoError::bad(path, format!("unknown endian '{e}'"))),
            None => {
                if ty.size() > 1 && encoding != Encoding::Ascii {
                    warnings.push("no 'endian' field: assuming little-endian".into());
                }
                false
            }
        };
        let int_field = |key: &str| -> Result<i64, IoError> {
            f.get(key).map_or(Ok(0), |s| {
                s.parse::<i64>()
                    .map_err(|_| IoError::bad(path, format!("field '{key}' is not an integer")))
            })
        };
        let line_skip = int_field("line skip")?;
        let byte_skip = int_field("byte skip")?;
        if line_skip < 0 || byte_skip < -1 {
            return Err(IoError::bad(path, "negative 'line skip' or 'byte skip'"));
        }
        if byte_skip == -1 && encoding != Encoding::Raw {
            return Err(IoError::bad(path, "'byte skip: -1' needs raw encoding"));
        }
        let (columns, origin) = space(path, f, directions.as_deref(), spatial, warnings)?;
        Ok(Header {
            dims,
            ty,
            big_endian,
            encoding,
            line_skip: line_skip as usize,
            byte_skip,
            columns,
            origin,
        })
    }
}

/// The NRRD type names we accept.
fn elem_type(path: &Path, name: &str) -> Result<ElemType, IoError> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "signed char" | "int8" | "int8_t" => ElemType::I8,
        "uchar" | "unsigned char" | "uint8" | "uint8_t" => ElemType::U8,
        "short" | "short int" | "signed short" | "signed short int" | "int16" | "int16_t" => {
            ElemType::I16
        }
        "ushort" | "unsigned short" | "unsigned short int" | "uint16" | "uint16_t" => ElemType::U16,
        "int" | "signed int" | "int32" | "int32_t" => ElemType::I32,
        "uint" | "unsigned int" | "uint32" | "uint32_t" => ElemType::U32,
        "float" => ElemType::F32,
        "double" => ElemType::F64,
        other => {
            return Err(IoError::bad(
                path,
                format!("NRRD type '{other}' is not supported"),
            ));
        }
    })
}

/// Parses `(a,b,c) none (d,e,f)`: `None` for `none` entries.
fn parse_vectors(s: &str) -> Option<Vec<Option<Vec<f64>>>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('(') {
            let end = after.find(')')?;
            out.push(Some(raw::parse_numbers(&after[..end])?));
            rest = after[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if !rest[..end].eq_ignore_ascii_case("none") {
                return None;
            }
            out.push(None);
            rest = rest[end..].trim_start();
        }
    }
    Some(out)
}

/// Indices of the three spatial axes; a 4th axis must have size 1.
fn spatial_axes(
    path: &Path,
    sizes: &[usize],
    directions: Option<&[Option<Vec<f64>>]>,
    kinds: &[String],
) -> Result<[usize; 3], IoError> {
    match sizes.len() {
        3 => Ok([0, 1, 2]),
        4 => {
            let non_domain = |i: usize| {
                kinds
                    .get(i)
                    .is_some_and(|k| !matches!(k.as_str(), "domain" | "space" | "time"))
            };
            let extra = match directions {
                Some(d) if d.len() == 4 => d.iter().position(|v| v.is_none()),
                _ => (0..4).find(|&i| non_domain(i)),
            };
            let Some(extra) = extra else {
                return Err(IoError::bad(
                    path,
                    "4D NRRD without a non-spatial axis is not supported",
                ));
            };
            if sizes[extra] != 1 {
                let kind = kinds.get(extra).map_or("non-spatial", |k| k.as_str());
                return Err(IoError::bad(
                    path,
                    format!(
                        "4D NRRD with a {kind} axis of size {} is not supported; expected one 3D volume",
                        sizes[extra]
                    ),
                ));
            }
            let mut axes = [0; 3];
            for (slot, i) in axes.iter_mut().zip((0..4).filter(|&i| i != extra)) {
                *slot = i;
            }
            Ok(axes)
        }
        d => Err(IoError::bad(
            path,
            format!("NRRD dimension {d} is not supported (expected 3)"),
        )),
    }
}

/// LPS axis vectors (with spacing) and origin from the space fields.
fn space(
    path: &Path,
    f: &Fields,
    directions: Option<&[Option<Vec<f64>>]>,
    spatial: [usize; 3],
    warnings: &mut Vec<String>,
) -> Result<([[f64; 3]; 3], [f64; 3]), IoError> {
    let flip = match f.get("space").map(|s| s.to_ascii_lowercase()) {
        Some(s) => match s.as_str() {
            "left-posterior-superior" | "lps" => [1.0, 1.0, 1.0],
            "right-anterior-superior" | "ras" => [-1.0, -1.0, 1.0],
            "left-anterior-superior" | "las" => [1.0, -1.0, 1.0],
            "scanner-xyz" | "3d-right-handed" => {
                warnings.push(format!("space '{s}' taken as LPS"));
                [1.0, 1.0, 1.0]
            }
            other => {
                return Err(IoError::bad(
                    path,
                    format!("NRRD space '{other}' is not supported (LPS, RAS or LAS)"),
                ));
            }
        },
        None => {
            if directions.is_some() {
                warnings.push("no 'space' field: space directions taken as LPS".into());
            }
            [1.0, 1.0, 1.0]
        }
    };
    if let Some(units) = f.get("space units")
        && units
            .split_whitespace()
            .any(|u| !u.trim_matches('"').eq_ignore_ascii_case("mm"))
    {
        warnings.push(format!("space units {units} are not mm; taken as mm"));
    }
    let mut columns = [[0.0; 3]; 3];
    match directions {
        Some(d) => {
            if d.len() != f.get("sizes").map_or(0, |s| s.split_whitespace().count()) {
                return Err(IoError::bad(
                    path,
                    "'space directions' does not have one entry per axis",
                ));
            }
            for (col, &axis) in columns.iter_mut().zip(spatial.iter()) {
                let v = d[axis].as_ref().filter(|v| v.len() == 3).ok_or_else(|| {
                    IoError::bad(
                        path,
                        format!("space direction of axis {axis} is not a 3-vector"),
                    )
                })?;
                for k in 0..3 {
                    col[k] = v[k] * flip[k];
                }
            }
        }
        None => {
            let spacings = f.get("spacings").and_then(|s| {
                s.split_whitespace()
                    .map(|t| t.parse::<f64>().ok())
                    .collect::<Option<Vec<f64>>>()
            });
            warnings.push(
                "no 'space directions': orientation taken as identity from 'spacings'".into(),
            );
            for (i, (col, &axis)) in columns.iter_mut().zip(spatial.iter()).enumerate() {
                let s = spacings
                    .as_ref()
                    .and_then(|v| v.get(axis).copied())
                    .filter(|s| s.is_finite() && *s != 0.0)
                    .unwrap_or(1.0);
                col[i] = s.abs();
            }
        }
    }
    let origin = match f.get("space origin") {
        Some(s) => {
            let v = parse_vectors(s)
                .and_then(|v| v.into_iter().next().flatten())
                .filter(|v| v.len() == 3)
                .ok_or_else(|| IoError::bad(path, "field 'space origin' is malformed"))?;
            [v[0] * flip[0], v[1] * flip[1], v[2] * flip[2]]
        }
        None => {
            warnings.push("no 'space origin': origin taken as 0".into());
            [0.0; 3]
        }
    };
    Ok((columns, origin))
}

/// The detached data file named by `data file`, relative to the header.
fn detached_path(path: &Path, spec: &str) -> Result<PathBuf, IoError> {
    if spec.eq_ignore_ascii_case("LIST") || spec.contains('%') || spec.contains(char::is_whitespace)
    {
        return Err(IoError::bad(
            path,
            format!("multi-file NRRD data ('data file: {spec}') is not supported"),
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
fn read_section<R: BufRead>(
    path: &Path,
    mut r: R,
    h: &Header,
    n: usize,
) -> Result<raw::Data, IoError> {
    for _ in 0..h.line_skip {
        if raw::read_line(path, &mut r)?.is_none() {
            return Err(IoError::bad(path, "file ends within 'line skip' lines"));
        }
    }
    if h.byte_skip == -1 {
        let bytes = raw::read_tail(path, n * h.ty.size())?;
        return Ok(raw::Data {
            bytes,
            ty: h.ty,
            big_endian: h.big_endian,
        });
    }
    raw::read_data(
        path,
        r,
        h.encoding,
        n,
        h.ty,
        h.big_endian,
        h.byte_skip as u64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vectors_with_none_and_spaces() {
        let v = parse_vectors("none (1,0,0) ( 0, 2.5 ,0)(0,0,3)").unwrap();
        assert_eq!(v.len(), 4);
        assert!(v[0].is_none());
        assert_eq!(v[2].as_deref(), Some(&[0.0, 2.5, 0.0][..]));
        assert!(parse_vectors("(1,0,0) junk").is_none());
        assert!(parse_vectors("(1,0,0").is_none());
    }
}
