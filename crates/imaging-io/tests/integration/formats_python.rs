//! Independent checks against the Python reference implementations:
//! nibabel reads our NIfTI; SimpleITK writes MHA/MHD/NRRD/NIfTI that we
//! read, and reads the files we write; nibabel (qform-only, scaled) and
//! pynrrd (RAS space, big-endian) files are read by us. Geometry is
//! compared as the LPS position of sample voxel indices (what ITK's
//! `TransformIndexToPhysicalPoint` reports), voxels by sum and weighted sum
//! in x-fastest order.
//!
//! Python comes from `AIRAD_PYTHON`, else `<workspace>/.venv/bin/python`
//! (which needs nibabel, numpy, SimpleITK and pynrrd); without either the
//! tests print a skip notice and pass.

use std::path::{Path, PathBuf};
use std::process::Command;

use imaging_io::metaimage::{read_metaimage, write_metaimage};
use imaging_io::nifti_io::{read_nifti, read_nifti_labels, write_nifti};
use imaging_io::nrrd::{read_nrrd, write_nrrd};
use imaging_io::testing::python_with;
use imaging_io::{Geometry, LoadedImage, Volume};
use ndarray::Array3;
use serde_json::Value;

/// A Python with every checker these tests use (the shared finder prints
/// why it skips).
fn python() -> Option<PathBuf> {
    python_with(&["nibabel", "numpy", "SimpleITK", "nrrd"])
}

/// Shared Python helpers: describe an image as SimpleITK sees it.
const PY_COMMON: &str = r#"
import sys, json, os
import numpy as np

INDICES = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [5, 3, 2], [20, 15, 6]]

def checksums(flat):
    flat = np.asarray(flat).astype(np.int64).ravel()
    w = (np.arange(flat.size, dtype=np.int64) % 251) + 1
    return int(flat.sum()), int((flat * w).sum())

def describe_sitk(img):
    import SimpleITK as sitk
    arr = sitk.GetArrayFromImage(img)  # (z, y, x): x fastest when raveled
    s, ws = checksums(arr.ravel(order='C'))
    size = img.GetSize()
    pts = [{"index": i, "lps": list(img.TransformIndexToPhysicalPoint(tuple(i)))}
           for i in INDICES if all(i[k] < size[k] for k in range(3))]
    return {"size": list(size), "points": pts, "sum": s, "wsum": ws,
            "direction": list(img.GetDirection())}
"#;

/// Writes and runs a Python script, returning its JSON output.
fn run_py(py: &Path, dir: &Path, body: &str, args: &[&str]) -> Value {
    let script = dir.join("check.py");
    std::fs::write(&script, format!("{PY_COMMON}\n{body}")).unwrap();
    let out = Command::new(py)
        .arg(&script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", py.display()));
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn checksums<T: Copy + Into<i64>>(v: &[T]) -> (i64, i64) {
    let mut s = 0i64;
    let mut ws = 0i64;
    for (i, x) in v.iter().enumerate() {
        let x: i64 = (*x).into();
        s += x;
        ws += x * ((i % 251) as i64 + 1);
    }
    (s, ws)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// Compares our geometry and voxels with a `describe_sitk` entry.
fn assert_matches(what: &str, g: &Geometry, voxels: &[i16], e: &Value, tol: f64) {
    let size: Vec<usize> = e["size"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(size, g.dims.to_vec(), "{what}: size");
    for p in e["points"].as_array().unwrap() {
        let idx: Vec<f64> = p["index"].as_array().unwrap().iter().map(f).collect();
        let theirs: Vec<f64> = p["lps"].as_array().unwrap().iter().map(f).collect();
        let ours = g.index_to_lps([idx[0], idx[1], idx[2]]);
        for k in 0..3 {
            assert!(
                (ours[k] - theirs[k]).abs() < tol,
                "{what}: index {idx:?} -> ours {ours:?}, reference {theirs:?}"
            );
        }
    }
    let (s, ws) = checksums(voxels);
    assert_eq!(
        (s, ws),
        (e["sum"].as_i64().unwrap(), e["wsum"].as_i64().unwrap()),
        "{what}: voxels"
    );
}

/// An oblique anisotropic grid; `left` flips the slice axis (qfac = -1).
fn oblique(dims: [usize; 3], left: bool) -> Geometry {
    let (c, s) = (0.5f64.cos(), 0.5f64.sin());
    let (c2, s2) = (0.3f64.cos(), 0.3f64.sin());
    let x = [c, s, 0.0];
    let y = [-s * c2, c * c2, s2];
    let mut z = volume::cross(x, y);
    if left {
        z = z.map(|v| -v);
    }
    Geometry {
        dims,
        spacing: [0.7, 0.9, 2.5],
        origin: [-120.5, 33.25, -401.0],
        direction: [x, y, z],
    }
}

fn ct(g: Geometry) -> Volume<i16> {
    let [nx, ny, nz] = g.dims;
    let data = Array3::from_shape_fn((nz, ny, nx), |(z, y, x)| {
        ((x * 37 + y * 101 + z * 1009) % 4096) as i16 - 2048
    });
    Volume::new(data, g).unwrap()
}

#[test]
fn nibabel_reads_our_nifti() {
    let Some(py) = python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut ours = Vec::new();
    // The large size spans several parallel deflate chunks.
    for (i, (left, dims)) in [
        (false, [21, 16, 7]),
        (true, [21, 16, 7]),
        (false, [256, 200, 50]),
    ]
    .into_iter()
    .enumerate()
    {
        let v = ct(oblique(dims, left));
        let p = dir.path().join(format!("ct{i}.nii.gz"));
        write_nifti(&p, &v).unwrap();
        files.push(p.display().to_string());
        ours.push((*v.geometry(), checksums(v.as_slice())));
    }
    let labels = ct(oblique([21, 16, 7], false)).map(|v| (*v + 2048) as u16);
    let lp = dir.path().join("labels.nii.gz");
    write_nifti(&lp, &labels).unwrap();
    files.push(lp.display().to_string());
    ours.push((*labels.geometry(), checksums(labels.as_slice())));

    let body = r#"
import nibabel as nib
out = []
for f in sys.argv[1:]:
    img = nib.load(f)
    h = img.header
    d = np.asanyarray(img.dataobj)
    s, ws = checksums(d.ravel(order='F'))
    out.append({"shape": list(d.shape), "affine": img.affine.tolist(),
                "qform": h.get_qform().tolist(), "sform_code": int(h['sform_code']),
                "qform_code": int(h['qform_code']), "units": list(h.get_xyzt_units()),
                "sum": s, "wsum": ws})
print(json.dumps(out))
"#;
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = run_py(&py, dir.path(), body, &args);
    for (e, (g, sums)) in out.as_array().unwrap().iter().zip(&ours) {
        let shape: Vec<u64> = e["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert_eq!(shape, g.dims.map(|d| d as u64).to_vec());
        assert_eq!(e["sform_code"], 1);
        assert_eq!(e["qform_code"], 1);
        assert_eq!(e["units"][0], "mm");
        let ras = g.affine_ras();
        for key in ["affine", "qform"] {
            for r in 0..4 {
                for c in 0..4 {
                    let theirs = f(&e[key][r][c]);
                    assert!(
                        (theirs - ras[r][c]).abs() < 1e-4,
                        "{key}[{r}][{c}]: nibabel {theirs}, ours {}",
                        ras[r][c]
                    );
                }
            }
        }
        assert_eq!(
            (e["sum"].as_i64().unwrap(), e["wsum"].as_i64().unwrap()),
            *sums
        );
    }
}

#[test]
fn simpleitk_files_read_by_us() {
    let Some(py) = python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
import SimpleITK as sitk
d = sys.argv[1]
nx, ny, nz = 21, 16, 7
z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing='ij')
arr = ((x * 37 + y * 101 + z * 1009) % 4096 - 2048).astype(np.int16)
def rot(a, b):
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rz @ rx
out = {}
for hand, m in [("right", rot(0.5, 0.3)), ("left", rot(-0.4, 0.7) @ np.diag([1, 1, -1]))]:
    for kind, a in [("i16", arr), ("f32", arr.astype(np.float32)), ("u16", (arr + 2048).astype(np.uint16))]:
        img = sitk.GetImageFromArray(a)
        img.SetSpacing((0.7, 0.9, 2.5))
        img.SetOrigin((-120.5, 33.25, -401.0))
        img.SetDirection(tuple(m.ravel()))  # row-major; columns are axis directions
        for ext, comp in [(".mha", True), (".mhd", False), (".nrrd", True), (".nhdr", False), (".nii.gz", True), (".nii", False)]:
            name = f"{hand}_{kind}{ext}"
            sitk.WriteImage(img, os.path.join(d, name), comp)
            out[name] = describe_sitk(img)
            out[name]["reread"] = describe_sitk(sitk.ReadImage(os.path.join(d, name)))
print(json.dumps(out))
"#;
    let out = run_py(&py, dir.path(), body, &[&dir.path().display().to_string()]);
    let out = out.as_object().unwrap();
    assert_eq!(out.len(), 36);
    for (name, e) in out {
        let p = dir.path().join(name);
        let read: LoadedImage = if name.ends_with(".mha") || name.ends_with(".mhd") {
            read_metaimage(&p)
        } else if name.ends_with(".nrrd") || name.ends_with(".nhdr") {
            read_nrrd(&p)
        } else {
            read_nifti(&p)
        }
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(read.warnings.is_empty(), "{name}: {:?}", read.warnings);
        // Text formats carry doubles; NIfTI carries float32.
        let tol = if name.contains(".nii") { 2e-4 } else { 1e-6 };
        let g = read.volume.geometry();
        assert_matches(name, g, read.volume.as_slice(), e, tol);
        assert_matches(
            &format!("{name} (ITK re-read)"),
            g,
            read.volume.as_slice(),
            &e["reread"],
            tol,
        );
        if name.ends_with(".mha") {
            // ITK's direction matrix is row-major with axis directions as
            // columns: element [row][col] = direction[col][row].
            let dm: Vec<f64> = e["direction"].as_array().unwrap().iter().map(f).collect();
            for (axis, d) in g.direction.iter().enumerate() {
                for row in 0..3 {
                    assert!((dm[row * 3 + axis] - d[row]).abs() < 1e-9);
                }
            }
        }
        if name.contains("u16") && name.ends_with(".nii") {
            let labels = read_nifti_labels(&p).unwrap();
            assert!(labels.geometry().same_grid(g, 1e-6));
        }
    }
}

#[test]
fn simpleitk_reads_our_files() {
    let Some(py) = python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut volumes = Vec::new();
    // The large size spans several parallel deflate chunks.
    for (left, dims) in [
        (false, [21, 16, 7]),
        (true, [21, 16, 7]),
        (true, [256, 200, 50]),
    ] {
        let v = ct(oblique(dims, left));
        for ext in ["mha", "mhd", "nrrd", "nhdr", "nii.gz", "nii"] {
            let p = dir.path().join(format!("ours_{left}_{}.{ext}", dims[0]));
            match ext {
                "mha" | "mhd" => write_metaimage(&p, &v).unwrap(),
                "nrrd" | "nhdr" => write_nrrd(&p, &v).unwrap(),
                _ => write_nifti(&p, &v).unwrap(),
            }
            files.push(p.display().to_string());
            volumes.push(v.clone());
        }
    }
    let body = r#"
import SimpleITK as sitk
print(json.dumps([describe_sitk(sitk.ReadImage(f)) for f in sys.argv[1:]]))
"#;
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let out = run_py(&py, dir.path(), body, &args);
    for ((e, v), name) in out.as_array().unwrap().iter().zip(&volumes).zip(&files) {
        let tol = if name.contains(".nii") { 2e-4 } else { 1e-9 };
        assert_matches(name, v.geometry(), v.as_slice(), e, tol);
    }
}

#[test]
fn nibabel_qform_only_scaled_and_pynrrd_ras_files() {
    let Some(py) = python() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
import struct
import nibabel as nib, nrrd
d = sys.argv[1]
nx, ny, nz = 21, 16, 7
x, y, z = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing='ij')  # [x, y, z]
raw = ((x * 37 + y * 101 + z * 1009) % 4096).astype(np.int16)
def points(aff_ras):
    pts = []
    for i in INDICES:
        if all(i[k] < (nx, ny, nz)[k] for k in range(3)):
            p = aff_ras @ np.array(i + [1.0])
            pts.append({"index": i, "lps": [-p[0], -p[1], p[2]]})
    return pts
out = {}
# nibabel: left-handed oblique qform only (sform code 0), int16 with scaling.
a = np.diag([-0.8, 0.6, 3.0, 1.0])
c, s = np.cos(0.3), np.sin(0.3)
a[:3, :3] = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]) @ a[:3, :3]
a[:3, 3] = [12.5, -40.0, 77.0]
img = nib.Nifti1Image(raw, None)
img.set_qform(a, code=1)
img.set_sform(None, code=0)
img.set_data_dtype(np.int16)
f = os.path.join(d, "nib_qform.nii")
nib.save(img, f)
b = bytearray(open(f, "rb").read())
b[112:120] = struct.pack("<ff", 2.0, -1024.0)
open(f, "wb").write(bytes(b))
img = nib.load(f)
assert int(img.header['sform_code']) == 0 and img.header['pixdim'][0] == -1
s_, ws = checksums(img.get_fdata().ravel(order='F'))
out["nib_qform.nii"] = {"size": [nx, ny, nz], "points": points(img.affine), "sum": s_, "wsum": ws}
# pynrrd: RAS space, big-endian float32, gzip.
t = 0.2
dirs = np.array([[0.0, -0.7 * np.cos(t), 0.7 * np.sin(t)], [0.9, 0.0, 0.0],
                 [0.0, -2.5 * np.sin(t), -2.5 * np.cos(t)]])  # rows: axis vectors
org = np.array([10.0, 20.0, -30.0])
data = (raw.astype(np.float32) - 1000).astype('>f4')
hdr = {"space": "right-anterior-superior", "space directions": dirs, "space origin": org,
       "encoding": "gzip", "kinds": ["domain"] * 3}
nrrd.write(os.path.join(d, "pynrrd_ras.nrrd"), data, hdr)
aff = np.eye(4); aff[:3, :3] = dirs.T; aff[:3, 3] = org
s_, ws = checksums(data.ravel(order='F'))
out["pynrrd_ras.nrrd"] = {"size": [nx, ny, nz], "points": points(aff), "sum": s_, "wsum": ws}
print(json.dumps(out))
"#;
    let out = run_py(&py, dir.path(), body, &[&dir.path().display().to_string()]);
    for (name, e) in out.as_object().unwrap() {
        let p = dir.path().join(name);
        let r = if name.ends_with(".nrrd") {
            read_nrrd(&p)
        } else {
            read_nifti(&p)
        }
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.warnings.is_empty(), "{name}: {:?}", r.warnings);
        assert_matches(name, r.volume.geometry(), r.volume.as_slice(), e, 2e-4);
    }
}
