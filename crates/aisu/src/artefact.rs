//! Artefacts: what units hand each other through the context, by name.
//! A name is `kind:name`, e.g. `mask:lung_left`, `landmarks:carina`,
//! `centreline:aorta`, `values:lung_density`. Masks are stored cropped to
//! their bounding box on the CT grid, so a rib costs kilobytes, not the
//! whole volume.

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

use volume::{Geometry, Volume};

/// The kinds of artefact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ArtefactKind {
    /// A binary mask on the CT grid.
    Mask,
    /// Named points in LPS mm.
    Landmarks,
    /// A polyline with radii (aorta, airways, coronary courses).
    Centreline,
    /// Free-form values (JSON), e.g. per-lobe statistics.
    Values,
}

/// A parsed artefact name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArtefactName {
    /// Its kind.
    pub kind: ArtefactKind,
    /// Its name within the kind (canonical anatomy names for masks).
    pub name: String,
}

impl ArtefactName {
    /// Parses `kind:name`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kind, name) = text
            .split_once(':')
            .ok_or_else(|| format!("artefact name '{text}' is not kind:name"))?;
        let kind = match kind {
            "mask" => ArtefactKind::Mask,
            "landmarks" => ArtefactKind::Landmarks,
            "centreline" => ArtefactKind::Centreline,
            "values" => ArtefactKind::Values,
            other => return Err(format!("artefact kind '{other}' in '{text}' is unknown")),
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !valid {
            return Err(format!("artefact name '{text}' has an empty or odd name"));
        }
        Ok(ArtefactName {
            kind,
            name: name.to_string(),
        })
    }
}

impl std::fmt::Display for ArtefactName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            ArtefactKind::Mask => "mask",
            ArtefactKind::Landmarks => "landmarks",
            ArtefactKind::Centreline => "centreline",
            ArtefactKind::Values => "values",
        };
        write!(f, "{kind}:{}", self.name)
    }
}

/// A binary mask on a CT grid, stored cropped to its bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    grid: Geometry,
    offset: [usize; 3],
    dims: [usize; 3],
    bits: Vec<bool>,
}

impl Mask {
    /// An empty mask on a grid.
    pub fn empty(grid: Geometry) -> Self {
        Mask {
            grid,
            offset: [0; 3],
            dims: [0; 3],
            bits: Vec::new(),
        }
    }

    /// The mask of the voxels of `volume` for which `inside` holds, cropped.
    pub fn from_fn<T: Sync>(volume: &Volume<T>, inside: impl Fn(&T) -> bool + Sync) -> Self {
        let [nx, ny, _] = volume.dims();
        let data = volume.as_slice();
        let grid = *volume.geometry();
        if nx == 0 || ny == 0 {
            return Mask::empty(grid);
        }
        // The box, slice by slice in parallel: per row the first and last
        // voxel inside (whole-grid masks of 512 x 512 x 300 voxels are
        // built many times per exam).
        let slice_box = |(z, slice): (usize, &[T])| {
            let mut b: Option<([usize; 3], [usize; 3])> = None;
            for (y, row) in slice.chunks_exact(nx).enumerate() {
                let Some(x0) = row.iter().position(&inside) else {
                    continue;
                };
                let x1 = row.iter().rposition(&inside).unwrap_or(x0);
                b = Some(match b {
                    None => ([x0, y, z], [x1, y, z]),
                    Some((lo, hi)) => ([lo[0].min(x0), lo[1], z], [hi[0].max(x1), y, z]),
                });
            }
            b
        };
        let merge =
            |a: Option<([usize; 3], [usize; 3])>, b: Option<([usize; 3], [usize; 3])>| match (a, b)
            {
                (Some((alo, ahi)), Some((blo, bhi))) => Some((
                    [0, 1, 2].map(|k| alo[k].min(blo[k])),
                    [0, 1, 2].map(|k| ahi[k].max(bhi[k])),
                )),
                (a, None) => a,
                (None, b) => b,
            };
        let Some((lo, hi)) = data
            .par_chunks_exact(nx * ny)
            .enumerate()
            .map(slice_box)
            .reduce(|| None, merge)
        else {
            return Mask::empty(grid);
        };
        let dims = [hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1];
        let mut bits = vec![false; dims[0] * dims[1] * dims[2]];
        bits.par_chunks_exact_mut(dims[0] * dims[1])
            .enumerate()
            .for_each(|(k, crop_slice)| {
                let z = lo[2] + k;
                for (j, crop_row) in crop_slice.chunks_exact_mut(dims[0]).enumerate() {
                    let start = (z * ny + lo[1] + j) * nx + lo[0];
                    for (bit, v) in crop_row.iter_mut().zip(&data[start..start + dims[0]]) {
                        *bit = inside(v);
                    }
                }
            });
        Mask {
            grid,
            offset: lo,
            dims,
            bits,
        }
    }

    /// A mask on `grid` from a box of bits (x fastest) at `offset`, so a
    /// small lesion costs its box, not a scan of the whole grid. Fails when
    /// the box leaves the grid or `bits` has the wrong length.
    pub fn from_crop(
        grid: Geometry,
        offset: [usize; 3],
        dims: [usize; 3],
        bits: Vec<bool>,
    ) -> Result<Self, String> {
        if bits.len() != dims[0] * dims[1] * dims[2] {
            return Err(format!(
                "mask box {dims:?} needs {} bits, got {}",
                dims[0] * dims[1] * dims[2],
                bits.len()
            ));
        }
        if (0..3).any(|a| offset[a] + dims[a] > grid.dims[a]) {
            return Err(format!(
                "mask box at {offset:?} of size {dims:?} leaves the grid {:?}",
                grid.dims
            ));
        }
        if !bits.iter().any(|b| *b) {
            return Ok(Mask::empty(grid));
        }
        Ok(Mask {
            grid,
            offset,
            dims,
            bits,
        })
    }

    /// The mask of a boolean volume.
    pub fn from_volume(volume: &Volume<bool>) -> Self {
        Mask::from_fn(volume, |v| *v)
    }

    /// The grid it lies on.
    pub fn grid(&self) -> &Geometry {
        &self.grid
    }

    /// Index of the first voxel of the crop box.
    pub fn offset(&self) -> [usize; 3] {
        self.offset
    }

    /// Size of the crop box.
    pub fn crop_dims(&self) -> [usize; 3] {
        self.dims
    }

    /// True when no voxel is set.
    pub fn is_empty(&self) -> bool {
        !self.bits.iter().any(|b| *b)
    }

    /// Whether voxel `[x, y, z]` of the full grid is set.
    #[inline]
    pub fn contains(&self, x: usize, y: usize, z: usize) -> bool {
        let [ox, oy, oz] = self.offset;
        if x < ox || y < oy || z < oz {
            return false;
        }
        let (x, y, z) = (x - ox, y - oy, z - oz);
        let [dx, dy, dz] = self.dims;
        x < dx && y < dy && z < dz && self.bits[x + dx * (y + dy * z)]
    }

    /// Number of set voxels.
    pub fn count(&self) -> usize {
        self.bits.par_iter().filter(|b| **b).count()
    }

    /// Volume of the set voxels in mL.
    pub fn volume_ml(&self) -> f64 {
        self.count() as f64 * self.grid.voxel_volume_mm3() / 1000.0
    }

    /// Calls `f(x, y, z)` for every set voxel (full-grid indices).
    pub fn for_each(&self, mut f: impl FnMut(usize, usize, usize)) {
        let [dx, dy, dz] = self.dims;
        let [ox, oy, oz] = self.offset;
        for z in 0..dz {
            for y in 0..dy {
                for x in 0..dx {
                    if self.bits[x + dx * (y + dy * z)] {
                        f(x + ox, y + oy, z + oz);
                    }
                }
            }
        }
    }

    /// The mask on the full grid.
    pub fn to_volume(&self) -> Volume<bool> {
        let mut full = Volume::filled(self.grid, false);
        let [nx, ny, _] = self.grid.dims;
        let data = full.as_slice_mut();
        self.for_each(|x, y, z| data[x + nx * (y + ny * z)] = true);
        full
    }

    /// Centroid of the set voxels in LPS mm, or `None` when empty.
    pub fn centroid_lps(&self) -> Option<[f64; 3]> {
        let mut sum = [0.0; 3];
        let mut n = 0usize;
        self.for_each(|x, y, z| {
            sum[0] += x as f64;
            sum[1] += y as f64;
            sum[2] += z as f64;
            n += 1;
        });
        (n > 0).then(|| {
            self.grid
                .index_to_lps([sum[0] / n as f64, sum[1] / n as f64, sum[2] / n as f64])
        })
    }

    /// Inclusive index bounding box of the set voxels, or `None` when empty.
    pub fn bbox_index(&self) -> Option<([usize; 3], [usize; 3])> {
        let [ox, oy, oz] = self.offset;
        volume::bounding_box(&self.bits, self.dims).map(|(lo, hi)| {
            (
                [lo[0] + ox, lo[1] + oy, lo[2] + oz],
                [hi[0] + ox, hi[1] + oy, hi[2] + oz],
            )
        })
    }

    /// Calls `f(x, y)` for every set voxel of axial slice `z` (full-grid
    /// indices): one slice at a time, so that callers can run slices in
    /// parallel.
    pub fn for_each_in_slice(&self, z: usize, mut f: impl FnMut(usize, usize)) {
        let [dx, dy, dz] = self.dims;
        let [ox, oy, oz] = self.offset;
        if z < oz || z >= oz + dz {
            return;
        }
        let slice = &self.bits[dx * dy * (z - oz)..dx * dy * (z - oz + 1)];
        for (y, row) in slice.chunks(dx).enumerate() {
            for (x, v) in row.iter().enumerate() {
                if *v {
                    f(x + ox, y + oy);
                }
            }
        }
    }

    /// The z index with the most set voxels (the natural key slice).
    pub fn largest_slice(&self) -> Option<usize> {
        let mut per_slice = vec![0usize; self.dims[2]];
        let [dx, dy, _] = self.dims;
        for (i, b) in self.bits.iter().enumerate() {
            if *b {
                per_slice[i / (dx * dy)] += 1;
            }
        }
        per_slice
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .max_by_key(|(z, n)| (**n, std::cmp::Reverse(*z)))
            .map(|(z, _)| z + self.offset[2])
    }
}

/// Named points in LPS mm.
pub type Landmarks = BTreeMap<String, [f64; 3]>;

/// A polyline through a tubular structure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Centreline {
    /// Points in LPS mm, in order.
    pub points: Vec<[f64; 3]>,
    /// Radius in mm at each point (outer wall).
    pub radii_mm: Vec<f64>,
    /// A segment name per point ("ascending", "arch"...), or empty.
    pub segments: Vec<String>,
}

/// Any artefact.
#[derive(Debug, Clone)]
pub enum Artefact {
    /// A binary mask.
    Mask(Arc<Mask>),
    /// Named points.
    Landmarks(Arc<Landmarks>),
    /// A centreline.
    Centreline(Arc<Centreline>),
    /// JSON values.
    Values(Arc<serde_json::Value>),
}

impl Artefact {
    /// Its kind.
    pub fn kind(&self) -> ArtefactKind {
        match self {
            Artefact::Mask(_) => ArtefactKind::Mask,
            Artefact::Landmarks(_) => ArtefactKind::Landmarks,
            Artefact::Centreline(_) => ArtefactKind::Centreline,
            Artefact::Values(_) => ArtefactKind::Values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print() {
        let n = ArtefactName::parse("mask:lung_left").unwrap();
        assert_eq!(n.kind, ArtefactKind::Mask);
        assert_eq!(n.to_string(), "mask:lung_left");
        assert!(ArtefactName::parse("lung_left").is_err());
        assert!(ArtefactName::parse("blob:x").is_err());
        assert!(ArtefactName::parse("mask:").is_err());
    }

    #[test]
    fn cropped_mask_round_trips() {
        let g = Geometry::new([10, 8, 6], [0.5, 0.5, 2.0], [0.0; 3]);
        let mut v = Volume::filled(g, false);
        for (x, y, z) in [(2, 3, 1), (4, 3, 1), (4, 5, 3)] {
            v.as_slice_mut()[x + 10 * (y + 8 * z)] = true;
        }
        let m = Mask::from_volume(&v);
        assert_eq!(m.offset(), [2, 3, 1]);
        assert_eq!(m.crop_dims(), [3, 3, 3]);
        assert_eq!(m.count(), 3);
        assert!(m.contains(4, 5, 3) && !m.contains(3, 3, 1) && !m.contains(9, 7, 5));
        assert_eq!(m.to_volume(), v);
        assert_eq!(m.largest_slice(), Some(1));
        assert_eq!(m.bbox_index(), Some(([2, 3, 1], [4, 5, 3])));
        let mut in_slice = Vec::new();
        for z in 0..6 {
            m.for_each_in_slice(z, |x, y| in_slice.push((x, y, z)));
        }
        assert_eq!(in_slice, vec![(2, 3, 1), (4, 3, 1), (4, 5, 3)]);
        let c = m.centroid_lps().unwrap();
        assert!((c[0] - 0.5 * 10.0 / 3.0).abs() < 1e-9);
        assert!((m.volume_ml() - 3.0 * 0.5 / 1000.0).abs() < 1e-12);
        assert!(Mask::from_fn(&v, |_| false).is_empty());
        let boxed = Mask::from_crop(g, [2, 3, 1], [3, 3, 3], {
            let mut bits = vec![false; 27];
            bits[0] = true;
            bits[2] = true;
            bits[2 + 3 * (2 + 3 * 2)] = true;
            bits
        })
        .unwrap();
        assert_eq!(boxed.to_volume(), v);
        assert!(Mask::from_crop(g, [9, 0, 0], [2, 1, 1], vec![true; 2]).is_err());
        assert!(Mask::from_crop(g, [0, 0, 0], [2, 1, 1], vec![true; 3]).is_err());
    }

    #[test]
    fn the_crop_box_is_the_tightest_over_rows_and_slices() {
        let g = Geometry::new([12, 9, 7], [1.0; 3], [0.0; 3]);
        let mut v = Volume::filled(g, false);
        // The leftmost voxel lies on a later row and slice than the first.
        let set = [(6, 2, 2), (9, 2, 2), (3, 6, 2), (7, 4, 5), (10, 7, 5)];
        for (x, y, z) in set {
            v.as_slice_mut()[x + 12 * (y + 9 * z)] = true;
        }
        let m = Mask::from_volume(&v);
        assert_eq!(m.offset(), [3, 2, 2]);
        assert_eq!(m.crop_dims(), [8, 6, 4]);
        assert_eq!(m.count(), set.len());
        assert_eq!(m.to_volume(), v);
    }
}
