//! 3D connected-component labelling with per-component statistics.
//!
//! Foreground voxels of a `Volume<bool>` are grouped under 6- (faces),
//! 18- (faces and edges) or 26-connectivity (faces, edges and corners).
//! Labels are `u32`: 0 is background, components are numbered `1..=n` in
//! the order of their first voxel in memory order (z, then y, then x);
//! [`Components::relabel_by_size`] renumbers them largest first.
//!
//! The algorithm is run-length union-find (see the internal `runs` module):
//! runs of foreground along x are found in parallel, runs of touching rows
//! are merged, and statistics are accumulated per run, so cost follows the
//! number of runs rather than voxels.
//!
//! Why not ndarray-ndimage 0.6: its `label` is single-threaded and gives no
//! statistics; masks here need volumes in mL and LPS centroids.

use rayon::prelude::*;

use crate::lines::volume_from_vec;
use crate::runs::RunLabels;
use crate::{Scalar, Volume, VolumeError};

/// Which neighbours of a voxel are connected to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Connectivity {
    /// The 6 face neighbours.
    Six,
    /// Face and edge neighbours (18).
    Eighteen,
    /// Face, edge and corner neighbours (26).
    TwentySix,
}

/// Intensity statistics of one component.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntensityStats {
    /// Mean intensity over the component's voxels.
    pub mean: f64,
    /// Smallest intensity.
    pub min: f64,
    /// Largest intensity.
    pub max: f64,
}

/// Size, extent and position of one component.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentStats {
    /// The component's label in [`Components::labels`].
    pub label: u32,
    /// Number of voxels.
    pub voxel_count: usize,
    /// Volume in mL: `voxel_count * voxel_volume_mm3 / 1000`.
    pub volume_ml: f64,
    /// Smallest `[x, y, z]` index of the component (inclusive).
    pub bbox_min: [usize; 3],
    /// Largest `[x, y, z]` index of the component (inclusive).
    pub bbox_max: [usize; 3],
    /// Mean `[x, y, z]` index of the voxels.
    pub centroid_index: [f64; 3],
    /// The centroid in LPS millimetres.
    pub centroid_lps: [f64; 3],
    /// Intensity statistics, when an intensity volume was given.
    pub intensity: Option<IntensityStats>,
}

/// A label volume and the statistics of its components.
#[derive(Debug, Clone)]
pub struct Components {
    /// 0 for background, `1..=n` for components.
    pub labels: Volume<u32>,
    /// `stats[k]` describes label `k + 1`.
    pub stats: Vec<ComponentStats>,
}

impl Components {
    /// Number of components.
    pub fn len(&self) -> usize {
        self.stats.len()
    }

    /// True when the mask had no foreground.
    pub fn is_empty(&self) -> bool {
        self.stats.is_empty()
    }

    /// Statistics of `label`, or `None` for 0 or an unknown label.
    pub fn get(&self, label: u32) -> Option<&ComponentStats> {
        self.stats.get((label as usize).checked_sub(1)?)
    }

    /// The largest component (ties: the lower label).
    pub fn largest(&self) -> Option<&ComponentStats> {
        self.stats
            .iter()
            .reduce(|a, b| if b.voxel_count > a.voxel_count { b } else { a })
    }

    /// The mask of one label.
    pub fn mask_of(&self, label: u32) -> Volume<bool> {
        self.labels.map(|&l| l == label && label != 0)
    }

    /// Renumbers components by decreasing voxel count (ties keep memory
    /// order), so label 1 is the largest; `stats` are reordered to match.
    /// Values in `labels` that name no component are left as they are.
    pub fn relabel_by_size(&mut self) {
        let mut order: Vec<usize> = (0..self.stats.len()).collect();
        order.sort_by(|&a, &b| self.stats[b].voxel_count.cmp(&self.stats[a].voxel_count));
        let mut new_label = vec![0u32; self.stats.len() + 1];
        for (rank, &old) in order.iter().enumerate() {
            new_label[old + 1] = rank as u32 + 1;
        }
        self.labels
            .as_slice_mut()
            .par_iter_mut()
            .for_each(|l| *l = new_label.get(*l as usize).copied().unwrap_or(*l));
        let mut stats: Vec<ComponentStats> = order.iter().map(|&k| self.stats[k].clone()).collect();
        for (rank, s) in stats.iter_mut().enumerate() {
            s.label = rank as u32 + 1;
        }
        self.stats = stats;
    }
}

/// Labels the connected components of the foreground of `mask`.
pub fn label_components(
    mask: &Volume<bool>,
    connectivity: Connectivity,
) -> Result<Components, VolumeError> {
    label_impl::<f32>(mask, connectivity, None)
}

/// Like [`label_components`], also gathering the mean, min and max of
/// `intensity` over each component. `intensity` must be on the same grid
/// (same dims, geometry equal within 1e-3 mm).
pub fn label_components_with_intensity<T: Scalar>(
    mask: &Volume<bool>,
    connectivity: Connectivity,
    intensity: &Volume<T>,
) -> Result<Components, VolumeError> {
    if !mask.geometry().same_grid(intensity.geometry(), 1e-3) {
        return Err(VolumeError::Shape(format!(
            "intensity grid {:?} differs from mask grid {:?}",
            intensity.geometry(),
            mask.geometry()
        )));
    }
    label_impl(mask, connectivity, Some(intensity))
}

/// Keeps the `k` largest components of `mask` (ties: the earlier in memory
/// order), clearing the others.
pub fn keep_largest_components(
    mask: &Volume<bool>,
    connectivity: Connectivity,
    k: usize,
) -> Result<Volume<bool>, VolumeError> {
    let rl = RunLabels::compute(mask.as_slice(), mask.dims(), true, connectivity)?;
    let sizes = sizes(&rl);
    let mut order: Vec<usize> = (1..=rl.count).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]));
    let mut keep = vec![false; rl.count + 1];
    for &label in order.iter().take(k) {
        keep[label] = true;
    }
    paint_kept(&rl, mask, &keep)
}

/// Clears the components of `mask` with fewer than `min_voxels` voxels
/// (for a size in mL, use `ml * 1000 / geometry.voxel_volume_mm3()`).
pub fn remove_small_components(
    mask: &Volume<bool>,
    connectivity: Connectivity,
    min_voxels: usize,
) -> Result<Volume<bool>, VolumeError> {
    let rl = RunLabels::compute(mask.as_slice(), mask.dims(), true, connectivity)?;
    let keep: Vec<bool> = sizes(&rl)
        .iter()
        .map(|&s| s >= min_voxels && s > 0)
        .collect();
    paint_kept(&rl, mask, &keep)
}

/// Voxel count per label (index 0 unused).
fn sizes(rl: &RunLabels) -> Vec<usize> {
    let mut sizes = vec![0usize; rl.count + 1];
    for (run, &label) in rl.runs.iter().zip(&rl.labels) {
        sizes[label as usize] += (run.x1 - run.x0) as usize;
    }
    sizes
}

fn paint_kept(
    rl: &RunLabels,
    mask: &Volume<bool>,
    keep: &[bool],
) -> Result<Volume<bool>, VolumeError> {
    let mut out = vec![false; mask.as_slice().len()];
    rl.paint(&mut out, |l| keep[l as usize].then_some(true));
    volume_from_vec(out, *mask.geometry())
}

/// Per-label accumulator.
#[derive(Clone)]
struct Acc {
    count: u64,
    sum: [u64; 3],
    min: [usize; 3],
    max: [usize; 3],
    i_sum: f64,
    i_min: f64,
    i_max: f64,
}

fn label_impl<T: Scalar>(
    mask: &Volume<bool>,
    connectivity: Connectivity,
    intensity: Option<&Volume<T>>,
) -> Result<Components, VolumeError> {
    let geometry = *mask.geometry();
    let [nx, ny, _] = geometry.dims;
    let rl = RunLabels::compute(mask.as_slice(), geometry.dims, true, connectivity)?;
    let mut labels = vec![0u32; mask.as_slice().len()];
    rl.paint(&mut labels, Some);
    let labels = volume_from_vec(labels, geometry)?;

    let empty = Acc {
        count: 0,
        sum: [0; 3],
        min: [usize::MAX; 3],
        max: [0; 3],
        i_sum: 0.0,
        i_min: f64::INFINITY,
        i_max: f64::NEG_INFINITY,
    };
    let mut acc = vec![empty; rl.count];
    let values = intensity.map(|v| v.as_slice());
    rl.for_each_run(|label, run, y, z| {
        let a = &mut acc[label as usize - 1];
        let (x0, x1) = (run.x0 as usize, run.x1 as usize);
        let n = (x1 - x0) as u64;
        a.count += n;
        a.sum[0] += n * x0 as u64 + n * (n - 1) / 2;
        a.sum[1] += n * y as u64;
        a.sum[2] += n * z as u64;
        for (k, (lo, hi)) in [(x0, x1 - 1), (y, y), (z, z)].into_iter().enumerate() {
            a.min[k] = a.min[k].min(lo);
            a.max[k] = a.max[k].max(hi);
        }
        if let Some(v) = values {
            let start = nx * (y + ny * z);
            for &t in &v[start + x0..start + x1] {
                let t = t.to_f64();
                a.i_sum += t;
                a.i_min = a.i_min.min(t);
                a.i_max = a.i_max.max(t);
            }
        }
    });
    let voxel_ml = geometry.voxel_volume_mm3() / 1000.0;
    let stats = acc
        .into_iter()
        .enumerate()
        .map(|(k, a)| {
            let c = a.count as f64;
            let centroid_index = [
                a.sum[0] as f64 / c,
                a.sum[1] as f64 / c,
                a.sum[2] as f64 / c,
            ];
            ComponentStats {
                label: k as u32 + 1,
                voxel_count: a.count as usize,
                volume_ml: c * voxel_ml,
                bbox_min: a.min,
                bbox_max: a.max,
                centroid_index,
                centroid_lps: geometry.index_to_lps(centroid_index),
                intensity: values.map(|_| IntensityStats {
                    mean: a.i_sum / c,
                    min: a.i_min,
                    max: a.i_max,
                }),
            }
        })
        .collect();
    Ok(Components { labels, stats })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Geometry;
    use crate::testutil::{Rng, random_mask, xyz};

    /// Flood fill, labelling components in order of first voxel.
    fn flood(mask: &Volume<bool>, conn: Connectivity) -> Vec<u32> {
        let dims = mask.dims();
        let m = mask.as_slice();
        let limit = match conn {
            Connectivity::Six => 1,
            Connectivity::Eighteen => 2,
            Connectivity::TwentySix => 3,
        };
        let mut labels = vec![0u32; m.len()];
        let mut next = 0;
        for start in 0..m.len() {
            if !m[start] || labels[start] != 0 {
                continue;
            }
            next += 1;
            labels[start] = next;
            let mut stack = vec![start];
            while let Some(i) = stack.pop() {
                let p = xyz(i, dims);
                for dz in -1i64..=1 {
                    for dy in -1i64..=1 {
                        for dx in -1i64..=1 {
                            if dx.abs() + dy.abs() + dz.abs() > limit {
                                continue;
                            }
                            let q = [p[0] as i64 + dx, p[1] as i64 + dy, p[2] as i64 + dz];
                            if (0..3).any(|a| q[a] < 0 || q[a] >= dims[a] as i64) {
                                continue;
                            }
                            let j =
                                q[0] as usize + dims[0] * (q[1] as usize + dims[1] * q[2] as usize);
                            if m[j] && labels[j] == 0 {
                                labels[j] = next;
                                stack.push(j);
                            }
                        }
                    }
                }
            }
        }
        labels
    }

    #[test]
    fn matches_flood_fill() {
        let mut rng = Rng::new(11);
        for trial in 0..90 {
            let dims = [1 + rng.below(14), 1 + rng.below(12), 1 + rng.below(9)];
            let g = Geometry::new(dims, [0.7, 0.8, 2.5], [0.0; 3]);
            let mask = random_mask(&mut rng, g, [0.1, 0.3, 0.5, 0.7][trial % 4]);
            for conn in [
                Connectivity::Six,
                Connectivity::Eighteen,
                Connectivity::TwentySix,
            ] {
                let c = label_components(&mask, conn).unwrap();
                let want = flood(&mask, conn);
                assert_eq!(
                    c.labels.as_slice(),
                    want.as_slice(),
                    "trial {trial} {conn:?}"
                );
                let n = want.iter().copied().max().unwrap_or(0) as usize;
                assert_eq!(c.len(), n);
                for s in &c.stats {
                    assert_eq!(
                        s.voxel_count,
                        want.iter().filter(|&&l| l == s.label).count()
                    );
                }
            }
        }
    }

    #[test]
    fn statistics_and_helpers() {
        let mut g = Geometry::new([6, 5, 4], [0.5, 0.5, 2.0], [10.0, 20.0, 30.0]);
        g.direction = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
        let mut m = Volume::filled(g, false);
        // Component 1: a 2x2x2 cube at (1..=2, 1..=2, 0..=1); component 2:
        // a single voxel at (5, 4, 3).
        for (x, y, z) in [
            (1, 1, 0),
            (2, 1, 0),
            (1, 2, 0),
            (2, 2, 0),
            (1, 1, 1),
            (2, 1, 1),
            (1, 2, 1),
            (2, 2, 1),
        ] {
            m.data_mut()[(z, y, x)] = true;
        }
        m.data_mut()[(3, 4, 5)] = true;
        let intensity = m.map(|&b| if b { 100i16 } else { -5 });
        let mut it = intensity.clone();
        it.data_mut()[(0, 1, 1)] = 60;
        let c = label_components_with_intensity(&m, Connectivity::Six, &it).unwrap();
        assert_eq!(c.len(), 2);
        let s = &c.stats[0];
        assert_eq!((s.label, s.voxel_count), (1, 8));
        assert!((s.volume_ml - 8.0 * 0.5 / 1000.0).abs() < 1e-12);
        assert_eq!((s.bbox_min, s.bbox_max), ([1, 1, 0], [2, 2, 1]));
        assert_eq!(s.centroid_index, [1.5, 1.5, 0.5]);
        // x runs along P, y along L.
        assert_eq!(s.centroid_lps, [10.75, 20.75, 31.0]);
        let i = s.intensity.unwrap();
        assert_eq!((i.mean, i.min, i.max), (95.0, 60.0, 100.0));
        assert_eq!(c.largest().map(|s| s.label), Some(1));
        assert_eq!(c.get(2).map(|s| s.bbox_min), Some([5, 4, 3]));
        assert_eq!(c.mask_of(2).as_slice().iter().filter(|&&b| b).count(), 1);

        let only = keep_largest_components(&m, Connectivity::Six, 1).unwrap();
        assert_eq!(only, c.mask_of(1));
        assert_eq!(
            remove_small_components(&m, Connectivity::Six, 2).unwrap(),
            only
        );
        assert_eq!(
            remove_small_components(&m, Connectivity::Six, 1).unwrap(),
            m
        );
        assert_eq!(
            keep_largest_components(&m, Connectivity::Six, 5).unwrap(),
            m
        );

        // Relabel by size: put the small one first in memory order.
        let mut flipped = m.clone();
        flipped.data_mut()[(3, 4, 5)] = false;
        flipped.data_mut()[(0, 0, 0)] = true;
        let mut c = label_components(&flipped, Connectivity::Six).unwrap();
        assert_eq!(c.stats[0].voxel_count, 1);
        c.relabel_by_size();
        assert_eq!((c.stats[0].label, c.stats[0].voxel_count), (1, 8));
        assert_eq!(c.labels.as_slice()[0], 2);
        assert_eq!(c.labels.as_slice()[c.labels.linear_index(1, 1, 0)], 1);

        let other = Volume::filled(Geometry::new([6, 5, 3], [1.0; 3], [0.0; 3]), 0i16);
        assert!(label_components_with_intensity(&m, Connectivity::Six, &other).is_err());
    }
}
