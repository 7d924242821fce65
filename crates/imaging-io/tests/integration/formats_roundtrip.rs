//! Round trips through NIfTI (.nii, .nii.gz), NRRD (.nrrd, .nhdr) and
//! MetaImage (.mha, .mhd) on oblique, anisotropic synthetic volumes, plus
//! hand-made headers exercising the less common paths (qform only,
//! big-endian, scaling, RAS NRRD, detached data, multi-member gzip).

use std::io::{Read, Write};
use std::path::Path;

use imaging_io::metaimage::{read_metaimage, write_metaimage};
use imaging_io::nifti_io::{read_nifti, read_nifti_labels, write_nifti};
use imaging_io::nrrd::{read_nrrd, write_nrrd};
use imaging_io::{Geometry, SourceFormat, Volume};
use ndarray::Array3;

/// An oblique, anisotropic grid (rotation about two axes).
fn oblique(dims: [usize; 3]) -> Geometry {
    let (c, s) = (0.35f64.cos(), 0.35f64.sin());
    let (c2, s2) = (0.2f64.cos(), 0.2f64.sin());
    let x = [c, s, 0.0];
    let y = [-s * c2, c * c2, s2];
    let z = volume::cross(x, y);
    Geometry {
        dims,
        spacing: [0.683594, 0.75, 2.5],
        origin: [-175.3, -180.25, -612.5],
        direction: [x, y, z],
    }
}

/// A volume whose voxels depend on position and span the int16 range.
fn ct(dims: [usize; 3]) -> Volume<i16> {
    let g = oblique(dims);
    let [nx, ny, nz] = dims;
    let data = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        let v = (x * 37 + y * 101 + z * 1009) as i64 % 65536 - 32768;
        v as i16
    });
    let mut v = Volume::new(data, g).unwrap();
    v.as_slice_mut()[0] = i16::MIN;
    v.as_slice_mut()[1] = i16::MAX;
    v
}

fn assert_same(a: &Volume<i16>, b: &Volume<i16>, what: &str) {
    assert!(
        a.geometry().same_grid(b.geometry(), 1e-4),
        "{what}: geometry {:?} != {:?}",
        a.geometry(),
        b.geometry()
    );
    assert!(a.as_slice() == b.as_slice(), "{what}: voxels differ");
}

#[test]
fn nifti_round_trips_plain_and_gz() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([23, 17, 9]);
    for name in ["ct.nii", "ct.nii.gz"] {
        let p = dir.path().join(name);
        write_nifti(&p, &v).unwrap();
        let back = read_nifti(&p).unwrap();
        assert_eq!(back.meta.format, SourceFormat::Nifti);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert_same(&v, &back.volume, name);
    }
    // The .gz is one gzip member: a single-member decoder sees it all.
    let gz = std::fs::read(dir.path().join("ct.nii.gz")).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, std::fs::read(dir.path().join("ct.nii")).unwrap());
}

#[test]
fn large_volumes_span_many_compression_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([256, 200, 50]); // 5 MB: three parallel deflate chunks
    let p = dir.path().join("big.nii.gz");
    write_nifti(&p, &v).unwrap();
    assert_same(&v, &read_nifti(&p).unwrap().volume, "big nii.gz");
    let p = dir.path().join("big.nrrd");
    write_nrrd(&p, &v).unwrap();
    assert_same(&v, &read_nrrd(&p).unwrap().volume, "big nrrd");
    let p = dir.path().join("big.mha");
    write_metaimage(&p, &v).unwrap();
    assert_same(&v, &read_metaimage(&p).unwrap().volume, "big mha");
}

#[test]
fn nifti_label_types_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let g = oblique([11, 7, 5]);
    let labels = Volume::new(
        Array3::from_shape_fn((5, 7, 11), |(z, y, x)| {
            ((x + 3 * y + 7 * z) % 70) as u16 * 900
        }),
        g,
    )
    .unwrap();
    let p = dir.path().join("labels.nii.gz");
    write_nifti(&p, &labels).unwrap();
    let back = read_nifti_labels(&p).unwrap();
    assert!(back.geometry().same_grid(&g, 1e-4));
    assert_eq!(back.as_slice(), labels.as_slice());

    let bytes = labels.map(|v| (*v % 256) as u8);
    let p = dir.path().join("mask.nii");
    write_nifti(&p, &bytes).unwrap();
    let back = read_nifti_labels(&p).unwrap();
    assert!(
        back.as_slice()
            .iter()
            .zip(bytes.as_slice())
            .all(|(a, b)| *a == *b as u16)
    );

    // float32 holding whole numbers reads exactly as HU and as labels.
    let floats = labels.map(|v| (*v / 4) as f32 - 1000.0);
    let p = dir.path().join("f.nii.gz");
    write_nifti(&p, &floats).unwrap();
    let hu = read_nifti(&p).unwrap();
    assert!(hu.warnings.is_empty());
    assert!(
        hu.volume
            .as_slice()
            .iter()
            .zip(labels.as_slice())
            .all(|(a, b)| *a as i32 == (*b / 4) as i32 - 1000)
    );
    // ... but negative values are not labels.
    let e = read_nifti_labels(&p).unwrap_err().to_string();
    assert!(e.contains("f.nii.gz") && e.contains("uint16"), "{e}");
}

#[test]
fn nifti_non_integer_floats_round_with_warning_and_range_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let g = oblique([4, 3, 2]);
    let mut f = Volume::filled(g, 10.0f32);
    f.as_slice_mut()[5] = -20.6;
    let p = dir.path().join("f.nii");
    write_nifti(&p, &f).unwrap();
    let r = read_nifti(&p).unwrap();
    assert_eq!(r.volume.as_slice()[5], -21);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(read_nifti_labels(&p).is_err());

    f.as_slice_mut()[7] = 40000.0;
    write_nifti(&p, &f).unwrap();
    let e = read_nifti(&p).unwrap_err().to_string();
    assert!(e.starts_with(&p.display().to_string()), "{e}");
    assert!(e.contains("40000") && e.contains("[3, 1, 0]"), "{e}");
    assert!(!e.contains('\n'));
}

/// Offsets in the NIfTI-1 header.
const SFORM_CODE: usize = 254;
const SCL_SLOPE: usize = 112;
const SCL_INTER: usize = 116;

#[test]
fn nifti_qform_only_matches_sform() {
    let dir = tempfile::tempdir().unwrap();
    let oblique_dirs = oblique([1, 1, 1]).direction;
    let mut left = oblique_dirs;
    left[2] = left[2].map(|c| -c); // left-handed: qfac = -1
    // Half turns (quaternion a = 0) about RAS x, RAS y and RAS z (the
    // last is the LPS identity, the usual axial CT).
    let half_x = [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]];
    let half_y = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, -1.0]];
    let half_z = volume::IDENTITY_DIRECTION;
    for direction in [oblique_dirs, left, half_x, half_y, half_z] {
        let mut v = ct([9, 8, 7]);
        let mut g = *v.geometry();
        g.direction = direction;
        v.set_geometry(g).unwrap();
        let p = dir.path().join("q.nii");
        write_nifti(&p, &v).unwrap();
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[SFORM_CODE..SFORM_CODE + 2].copy_from_slice(&0i16.to_le_bytes());
        std::fs::write(&p, &bytes).unwrap();
        let r = read_nifti(&p).unwrap();
        assert_same(&v, &r.volume, "qform");
    }
}

#[test]
fn nifti_scaling_is_applied() {
    let dir = tempfile::tempdir().unwrap();
    let g = oblique([6, 5, 4]);
    let stored = Volume::new(
        Array3::from_shape_fn((4, 5, 6), |(z, y, x)| (x + 10 * y + 100 * z) as u16),
        g,
    )
    .unwrap();
    let p = dir.path().join("s.nii");
    write_nifti(&p, &stored).unwrap();
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[SCL_SLOPE..SCL_SLOPE + 4].copy_from_slice(&2.0f32.to_le_bytes());
    bytes[SCL_INTER..SCL_INTER + 4].copy_from_slice(&(-1024.0f32).to_le_bytes());
    std::fs::write(&p, &bytes).unwrap();
    let r = read_nifti(&p).unwrap();
    for (a, b) in r.volume.as_slice().iter().zip(stored.as_slice()) {
        assert_eq!(*a as i32, *b as i32 * 2 - 1024);
    }
}

#[test]
fn nifti_big_endian_header_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([5, 4, 3]);
    let p = dir.path().join("le.nii");
    write_nifti(&p, &v).unwrap();
    let le = std::fs::read(&p).unwrap();
    // Swap every numeric header field (by layout) and every voxel.
    let mut be = le.clone();
    let swap = |b: &mut Vec<u8>, off: usize, size: usize| b[off..off + size].reverse();
    swap(&mut be, 0, 4);
    swap(&mut be, 32, 4);
    swap(&mut be, 36, 2);
    for i in 0..8 {
        swap(&mut be, 40 + 2 * i, 2);
    }
    for off in [56, 60, 64] {
        swap(&mut be, off, 4);
    }
    for off in [68, 70, 72, 74] {
        swap(&mut be, off, 2);
    }
    for i in 0..8 {
        swap(&mut be, 76 + 4 * i, 4);
    }
    for off in [108, 112, 116, 124, 128, 132, 136, 140, 144] {
        swap(&mut be, off, 4);
    }
    swap(&mut be, 120, 2);
    swap(&mut be, 252, 2);
    swap(&mut be, 254, 2);
    for i in 0..18 {
        swap(&mut be, 256 + 4 * i, 4);
    }
    for i in 0..v.geometry().len() {
        swap(&mut be, 352 + 2 * i, 2);
    }
    let p = dir.path().join("be.nii");
    std::fs::write(&p, &be).unwrap();
    assert_same(&v, &read_nifti(&p).unwrap().volume, "big-endian");
}

#[test]
fn nifti_multi_member_gzip_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([30, 20, 10]);
    let plain = dir.path().join("m.nii");
    write_nifti(&plain, &v).unwrap();
    let bytes = std::fs::read(&plain).unwrap();
    let mut gz = Vec::new();
    for part in bytes.chunks(1000) {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(part).unwrap();
        gz.extend(e.finish().unwrap());
    }
    let p = dir.path().join("m.nii.gz");
    std::fs::write(&p, &gz).unwrap();
    assert_same(&v, &read_nifti(&p).unwrap().volume, "multi-member");
}

#[test]
fn nifti_hdr_img_pair() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([6, 6, 3]);
    let p = dir.path().join("x.nii");
    write_nifti(&p, &v).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let mut hdr = bytes[..348].to_vec();
    hdr[108..112].copy_from_slice(&0.0f32.to_le_bytes());
    hdr[344..348].copy_from_slice(b"ni1\0");
    std::fs::write(dir.path().join("pair.hdr"), &hdr).unwrap();
    let hp = dir.path().join("pair.hdr");
    let e = read_nifti(&hp).unwrap_err().to_string();
    assert!(e.contains("pair.img") && e.contains("missing"), "{e}");
    std::fs::write(dir.path().join("pair.img"), &bytes[352..]).unwrap();
    assert_same(&v, &read_nifti(&hp).unwrap().volume, "pair");
}

#[test]
fn nrrd_round_trips_attached_and_detached() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([21, 13, 8]);
    for name in ["ct.nrrd", "ct.nhdr"] {
        let p = dir.path().join(name);
        write_nrrd(&p, &v).unwrap();
        let r = read_nrrd(&p).unwrap();
        assert_eq!(r.meta.format, SourceFormat::Nrrd);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_same(&v, &r.volume, name);
    }
    assert!(dir.path().join("ct.raw.gz").is_file());
}

/// Writes a NRRD header followed by `data`.
fn nrrd_file(path: &Path, header: &str, data: &[u8]) {
    let mut bytes = header.as_bytes().to_vec();
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn nrrd_ras_space_big_endian_floats_and_4d_vector_axis() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..24).map(|i| i as f32 * 3.0 - 30.0).collect();
    let be: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
    let p = dir.path().join("ras.nrrd");
    nrrd_file(
        &p,
        "NRRD0005\n# comment\ntype: float\ndimension: 4\nspace: RAS\nsizes: 1 4 3 2\n\
         space directions: none (0,-0.5,0) (0.8,0,0) (0,0,-2)\nkinds: vector domain domain domain\n\
         endian: big\nencoding: raw\nspace origin: (10,20,30)\nkey:=value\n\n",
        &be,
    );
    let r = read_nrrd(&p).unwrap();
    let g = r.volume.geometry();
    assert_eq!(g.dims, [4, 3, 2]);
    // RAS (0,-0.5,0) is LPS (0,0.5,0); RAS origin (10,20,30) is LPS (-10,-20,30).
    let p1 = g.index_to_lps([1.0, 1.0, 1.0]);
    let expect = [-10.0 - 0.8, -20.0 + 0.5, 30.0 - 2.0];
    for k in 0..3 {
        assert!((p1[k] - expect[k]).abs() < 1e-9, "{p1:?}");
    }
    let want: Vec<i16> = values.iter().map(|v| *v as i16).collect();
    assert_eq!(r.volume.as_slice(), &want[..]);

    // The same with a real vector axis is refused.
    nrrd_file(
        &p,
        "NRRD0004\ntype: float\ndimension: 4\nspace: RAS\nsizes: 2 4 3 1\n\
         space directions: none (0,-0.5,0) (0.8,0,0) (0,0,-2)\nendian: big\nencoding: raw\n\n",
        &be,
    );
    let e = read_nrrd(&p).unwrap_err().to_string();
    assert!(e.contains("4D") && e.contains("size 2"), "{e}");
}

#[test]
fn nrrd_ascii_and_detached_raw_with_skips() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.nrrd");
    nrrd_file(
        &p,
        "NRRD0004\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 2 2 2\n\
         space directions: (1,0,0) (0,1,0) (0,0,1)\nencoding: ascii\nspace origin: (0,0,0)\n\n",
        b"1 2 3\n4 -5 6 7 -1024\n",
    );
    let r = read_nrrd(&p).unwrap();
    assert_eq!(r.volume.as_slice(), &[1, 2, 3, 4, -5, 6, 7, -1024]);

    let h = dir.path().join("d.nhdr");
    std::fs::write(
        &h,
        "NRRD0004\ntype: ushort\ndimension: 3\nspace: LPS\nsizes: 2 2 1\n\
         space directions: (2,0,0) (0,2,0) (0,0,3)\nendian: little\nencoding: raw\n\
         line skip: 1\nbyte skip: 3\ndata file: sub/d.raw\n",
    )
    .unwrap();
    let e = read_nrrd(&h).unwrap_err().to_string();
    assert!(e.contains("d.raw") && e.contains("missing"), "{e}");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let mut raw = b"junk line\nabc".to_vec();
    for v in [0u16, 1, 1000, 65535] {
        raw.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(dir.path().join("sub/d.raw"), &raw).unwrap();
    let e = read_nrrd(&h).unwrap_err().to_string();
    assert!(e.contains("65535") && e.contains("int16"), "{e}");
    raw.truncate(raw.len() - 2);
    raw.extend_from_slice(&3000u16.to_le_bytes());
    std::fs::write(dir.path().join("sub/d.raw"), &raw).unwrap();
    let r = read_nrrd(&h).unwrap();
    assert_eq!(r.volume.as_slice(), &[0, 1, 1000, 3000]);
    assert_eq!(r.volume.spacing(), [2.0, 2.0, 3.0]);
}

#[test]
fn metaimage_round_trips_mha_and_mhd() {
    let dir = tempfile::tempdir().unwrap();
    let v = ct([19, 14, 6]);
    for name in ["ct.mha", "ct.mhd"] {
        let p = dir.path().join(name);
        write_metaimage(&p, &v).unwrap();
        let r = read_metaimage(&p).unwrap();
        assert_eq!(r.meta.format, SourceFormat::MetaImage);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_same(&v, &r.volume, name);
    }
    assert!(dir.path().join("ct.zraw").is_file());
}

#[test]
fn metaimage_uncompressed_msb_detached() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("b.mhd");
    std::fs::write(
        &h,
        "ObjectType = Image\nNDims = 3\nBinaryData = True\nBinaryDataByteOrderMSB = True\n\
         CompressedData = False\nTransformMatrix = 0 1 0 -1 0 0 0 0 1\nOffset = 1 2 3\n\
         ElementSpacing = 0.5 0.25 4\nDimSize = 2 1 2\nElementType = MET_INT\n\
         HeaderSize = -1\nElementDataFile = b.raw\n",
    )
    .unwrap();
    let mut raw = b"some leading bytes".to_vec();
    for v in [-1000i32, 0, 70, 3000] {
        raw.extend_from_slice(&v.to_be_bytes());
    }
    std::fs::write(dir.path().join("b.raw"), &raw).unwrap();
    let r = read_metaimage(&h).unwrap();
    assert_eq!(r.volume.as_slice(), &[-1000, 0, 70, 3000]);
    let g = r.volume.geometry();
    assert_eq!(g.direction[0], [0.0, 1.0, 0.0]);
    assert_eq!(g.direction[1], [-1.0, 0.0, 0.0]);
    assert_eq!(g.index_to_lps([1.0, 0.0, 1.0]), [1.0, 2.5, 7.0]);
}
