//! Malformed NIfTI, NRRD and MetaImage input: every failure is one
//! `IoError` line naming the file, nothing panics, and absurd sizes are
//! refused (or found truncated) without allocating what the header claims.

use std::path::Path;

use imaging_io::metaimage::{read_metaimage, write_metaimage};
use imaging_io::nifti_io::{read_nifti, read_nifti_labels, write_nifti};
use imaging_io::nrrd::{read_nrrd, write_nrrd};
use imaging_io::{Geometry, IoError, LoadedImage, Volume};

fn small() -> Volume<i16> {
    let g = Geometry::new([8, 6, 4], [0.8, 0.8, 2.0], [-10.0, 5.0, 100.0]);
    let mut v = Volume::filled(g, -1000i16);
    for (i, x) in v.as_slice_mut().iter_mut().enumerate() {
        *x = (i as i16 * 37) % 2000 - 1000;
    }
    v
}

/// Asserts a one-line error that names `path` and mentions `needle`.
fn assert_bad(result: Result<LoadedImage, IoError>, path: &Path, needle: &str) {
    let e = match result {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e.to_string(),
    };
    assert!(
        e.starts_with(&format!("{}: ", path.display())),
        "error does not name the file: {e}"
    );
    assert!(!e.contains('\n'), "multi-line error: {e}");
    assert!(
        e.to_lowercase().contains(&needle.to_lowercase()),
        "expected '{needle}' in: {e}"
    );
}

#[test]
fn nifti_truncated_plain_and_gz() {
    let dir = tempfile::tempdir().unwrap();
    let v = small();
    let p = dir.path().join("t.nii");
    write_nifti(&p, &v).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    assert_bad(read_nifti(&p), &p, "truncated");
    std::fs::write(&p, &bytes[..200]).unwrap();
    assert_bad(read_nifti(&p), &p, "too short");

    let gz = dir.path().join("t.nii.gz");
    write_nifti(&gz, &v).unwrap();
    let bytes = std::fs::read(&gz).unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() / 2]).unwrap();
    assert_bad(read_nifti(&gz), &gz, "truncated");
    // A wrong CRC in the gzip trailer is caught.
    let mut b = bytes.clone();
    let n = b.len();
    b[n - 6] ^= 0x55;
    std::fs::write(&gz, &b).unwrap();
    assert_bad(read_nifti(&gz), &gz, "corrupt");
    // So is a wrong Adler-32 in a MetaImage zlib stream.
    let mha = dir.path().join("t.mha");
    write_metaimage(&mha, &v).unwrap();
    let mut b = std::fs::read(&mha).unwrap();
    let n = b.len();
    b[n - 1] ^= 0x55;
    std::fs::write(&mha, &b).unwrap();
    assert_bad(read_metaimage(&mha), &mha, "corrupt");
}

#[test]
fn nifti_garbage_and_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("g.nii");
    std::fs::write(&p, vec![0x5au8; 4000]).unwrap();
    assert_bad(read_nifti(&p), &p, "not a NIfTI-1 file");
    std::fs::write(&p, b"").unwrap();
    assert_bad(read_nifti(&p), &p, "too short");

    let v = small();
    write_nifti(&p, &v).unwrap();
    let good = std::fs::read(&p).unwrap();
    // NIfTI-2 header size.
    let mut b = good.clone();
    b[0..4].copy_from_slice(&540i32.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "NIfTI-2");
    // Bad magic.
    let mut b = good.clone();
    b[344..348].copy_from_slice(b"xyz\0");
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "magic");
    // Complex datatype.
    let mut b = good.clone();
    b[70..72].copy_from_slice(&32i16.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "datatype 32");
    // A real 4D series.
    let mut b = good.clone();
    b[40..42].copy_from_slice(&4i16.to_le_bytes());
    b[48..50].copy_from_slice(&2i16.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "2 volumes");
    // 4D with a single volume is fine.
    let mut b = good.clone();
    b[40..42].copy_from_slice(&4i16.to_le_bytes());
    b[48..50].copy_from_slice(&1i16.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_eq!(read_nifti(&p).unwrap().volume.as_slice(), v.as_slice());
    // Negative size.
    let mut b = good.clone();
    b[42..44].copy_from_slice(&(-8i16).to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "dim[1]");
    // Zero sform column with no qform.
    let mut b = good.clone();
    b[252..254].copy_from_slice(&0i16.to_le_bytes());
    b[280..284].copy_from_slice(&0f32.to_le_bytes());
    b[296..300].copy_from_slice(&0f32.to_le_bytes());
    b[312..316].copy_from_slice(&0f32.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "sform");
    // Labels must fit uint16.
    write_nifti(&p, &v).unwrap();
    let e = read_nifti_labels(&p).unwrap_err().to_string();
    assert!(e.contains("g.nii") && e.contains("uint16"), "{e}");
}

#[test]
fn nifti_absurd_dims_are_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.nii");
    write_nifti(&p, &small()).unwrap();
    let good = std::fs::read(&p).unwrap();
    let mut b = good.clone();
    for i in 1..4 {
        b[40 + 2 * i..42 + 2 * i].copy_from_slice(&30000i16.to_le_bytes());
    }
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "limit");
    // Within the limits (8 GB of float64 claimed) but the data is absent:
    // reported as truncated, without allocating the claimed size.
    let mut b = good.clone();
    for (i, d) in [8192i16, 8192, 30].iter().enumerate() {
        b[42 + 2 * i..44 + 2 * i].copy_from_slice(&d.to_le_bytes());
    }
    b[70..72].copy_from_slice(&64i16.to_le_bytes());
    std::fs::write(&p, &b).unwrap();
    assert_bad(read_nifti(&p), &p, "truncated");
}

#[test]
fn nrrd_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let v = small();
    let p = dir.path().join("b.nrrd");
    std::fs::write(&p, b"P5\n8 8\n255\n").unwrap();
    assert_bad(read_nrrd(&p), &p, "not a NRRD");

    write_nrrd(&p, &v).unwrap();
    let good = std::fs::read(&p).unwrap();
    std::fs::write(&p, &good[..good.len() - 20]).unwrap();
    assert_bad(read_nrrd(&p), &p, "truncated");

    let text = String::from_utf8_lossy(&good[..good.iter().position(|&c| c == 0x1f).unwrap()])
        .into_owned();
    let data = &good[text.len()..];
    let variant = |from: &str, to: &str| {
        let mut b = text.replace(from, to).into_bytes();
        b.extend_from_slice(data);
        std::fs::write(&p, b).unwrap();
    };
    variant("sizes: 8 6 4", "sizes: 100000 100000 100000");
    assert_bad(read_nrrd(&p), &p, "limit");
    variant("type: short", "type: complex");
    assert_bad(read_nrrd(&p), &p, "type");
    variant("encoding: gzip", "encoding: bzip2");
    assert_bad(read_nrrd(&p), &p, "bzip2");
    variant("dimension: 3", "dimension: 2");
    assert_bad(read_nrrd(&p), &p, "sizes");
    variant("space: left-posterior-superior", "space: martian");
    assert_bad(read_nrrd(&p), &p, "martian");
    variant("space directions: (", "space directions: [");
    assert_bad(read_nrrd(&p), &p, "space directions");
    variant("sizes: 8 6 4", "sizes: 8 6 x");
    assert_bad(read_nrrd(&p), &p, "sizes");
    variant("encoding: gzip", "encoding: raw");
    assert_bad(read_nrrd(&p), &p, "truncated");

    let h = dir.path().join("d.nhdr");
    write_nrrd(&h, &v).unwrap();
    std::fs::remove_file(dir.path().join("d.raw.gz")).unwrap();
    assert_bad(read_nrrd(&h), &h, "missing");
}

#[test]
fn metaimage_bad_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let v = small();
    let p = dir.path().join("m.mha");
    std::fs::write(&p, vec![0u8; 100]).unwrap();
    assert_bad(read_metaimage(&p), &p, "MetaImage");

    write_metaimage(&p, &v).unwrap();
    let good = std::fs::read(&p).unwrap();
    std::fs::write(&p, &good[..good.len() - 20]).unwrap();
    assert_bad(read_metaimage(&p), &p, "truncated");

    let end = good
        .windows(22)
        .position(|w| w == b"ElementDataFile = LOCA")
        .unwrap()
        + 22
        + 2;
    let text = String::from_utf8_lossy(&good[..end]).into_owned();
    let data = &good[end..];
    let variant = |from: &str, to: &str| {
        let mut b = text.replace(from, to).into_bytes();
        b.extend_from_slice(data);
        std::fs::write(&p, b).unwrap();
    };
    variant("DimSize = 8 6 4", "DimSize = 9000 9000 9000");
    assert_bad(read_metaimage(&p), &p, "limit");
    variant("DimSize = 8 6 4", "DimSize = 8 6");
    assert_bad(read_metaimage(&p), &p, "DimSize");
    variant("MET_SHORT", "MET_SHORT_ARRAY");
    assert_bad(read_metaimage(&p), &p, "ElementType");
    variant("NDims = 3", "NDims = 5");
    assert_bad(read_metaimage(&p), &p, "NDims");
    variant(
        "TransformMatrix = 1 0 0 0 1 0 0 0 1",
        "TransformMatrix = 1 0 0 1 0 0 0 0 1",
    );
    assert_bad(read_metaimage(&p), &p, "orthogonal");
    variant("CompressedData = True", "CompressedData = False");
    assert_bad(read_metaimage(&p), &p, "truncated");
    variant("ElementDataFile = LOCAL", "ElementDataFile = nothere.raw");
    assert_bad(read_metaimage(&p), &p, "missing");

    let h = dir.path().join("d.mhd");
    write_metaimage(&h, &v).unwrap();
    std::fs::remove_file(dir.path().join("d.zraw")).unwrap();
    assert_bad(read_metaimage(&h), &h, "missing");
}

/// Cheap deterministic pseudo-random numbers.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn corrupted_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let v = small();
    type Reader = fn(&Path) -> Result<LoadedImage, IoError>;
    let cases: [(&str, Reader); 5] = [
        ("c.nii", read_nifti),
        ("c.nii.gz", read_nifti),
        ("c.nrrd", read_nrrd),
        ("c.mha", read_metaimage),
        ("c2.mha", read_metaimage),
    ];
    let mut rng = Lcg(7);
    for (name, read) in cases {
        let p = dir.path().join(name);
        match name {
            "c.nii" | "c.nii.gz" => write_nifti(&p, &v).unwrap(),
            "c.nrrd" => write_nrrd(&p, &v).unwrap(),
            _ => write_metaimage(&p, &v).unwrap(),
        }
        let good = std::fs::read(&p).unwrap();
        for round in 0..300 {
            let mut b = good.clone();
            if round % 5 == 0 {
                b.truncate(rng.next() % b.len());
            } else {
                let span = if name.ends_with(".gz") {
                    b.len()
                } else {
                    400.min(b.len())
                };
                for _ in 0..1 + rng.next() % 4 {
                    let i = rng.next() % span;
                    b[i] = rng.next() as u8;
                }
            }
            std::fs::write(&p, &b).unwrap();
            if let Err(e) = read(&p) {
                let s = e.to_string();
                assert!(!s.contains('\n') && s.contains(name), "{s}");
            }
        }
    }
}
