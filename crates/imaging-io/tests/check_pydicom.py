"""Independent check of airad's DICOM assembly with pydicom.

Usage: check_pydicom.py DICOM_DIR OUT_DIR
OUT_DIR holds volume.i16 (raw little-endian int16 in (z, y, x) order) and
geometry.json (dims [x,y,z], spacing, origin, direction rows = LPS axis
vectors). For every DICOM file, the slice at its Image Position Patient must
equal pixel_array * RescaleSlope + RescaleIntercept exactly.
"""
import json
import pathlib
import sys

import numpy as np
import pydicom

dicom_dir, out_dir = map(pathlib.Path, sys.argv[1:3])
geometry = json.loads((out_dir / "geometry.json").read_text())
nx, ny, nz = geometry["dims"]
volume = np.fromfile(out_dir / "volume.i16", dtype="<i2").reshape(nz, ny, nx)
spacing = np.array(geometry["spacing"])
origin = np.array(geometry["origin"])
# Columns of the index->LPS matrix are the axis vectors times spacing.
matrix = np.array(geometry["direction"]).T * spacing
inverse = np.linalg.inv(matrix)

checked = 0
seen = set()
for path in sorted(p for p in dicom_dir.rglob("*") if p.is_file()):
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    index = inverse @ (np.array([float(v) for v in ds.ImagePositionPatient]) - origin)
    k = int(round(index[2]))
    if abs(index[0]) > 1e-3 or abs(index[1]) > 1e-3 or abs(index[2] - k) > 1e-3:
        sys.exit(f"{path}: position maps to index {index}, not a slice origin")
    if not 0 <= k < nz:
        sys.exit(f"{path}: slice index {k} outside 0..{nz}")
    if k in seen:
        sys.exit(f"{path}: two files map to slice {k}")
    seen.add(k)
    if not np.array_equal(volume[k].astype(np.float64), hu):
        diff = np.abs(volume[k] - hu)
        sys.exit(f"{path}: slice {k} differs in {int((diff > 0).sum())} voxels (max {diff.max()})")
    checked += 1
print(f"checked {checked} slices: every voxel equal")
