//! Hole filling: background regions enclosed by foreground become
//! foreground.
//!
//! A hole is a 6-connected component of background (4-connected within a
//! slice for the 2D variant) that does not touch the border of the grid
//! (of the slice for the 2D variant). Holes are found by run-length
//! labelling of the background (internal `runs` module), so the cost is
//! proportional to the number of background runs.
//!
//! [`fill_holes_slicewise`] works on each axial slice independently (in
//! parallel): lungs and bodies are often open at the top and bottom of the
//! scan, where 3D filling cannot see them as closed.
//!
//! Why not ndarray-ndimage 0.6: it has no hole filling.

use rayon::prelude::*;

use crate::components::Connectivity;
use crate::lines::volume_from_vec;
use crate::runs::RunLabels;
use crate::{Volume, VolumeError};

/// Fills every 6-connected background region of `mask` that does not reach
/// a face of the volume.
pub fn fill_holes(mask: &Volume<bool>) -> Result<Volume<bool>, VolumeError> {
    let mut out = mask.as_slice().to_vec();
    fill_raw(&mut out, mask.dims(), [true; 3])?;
    volume_from_vec(out, *mask.geometry())
}

/// Fills, in each axial slice (fixed z) separately, every 4-connected
/// background region that does not reach the slice's edge.
pub fn fill_holes_slicewise(mask: &Volume<bool>) -> Result<Volume<bool>, VolumeError> {
    let mut out = mask.as_slice().to_vec();
    fill_holes_slicewise_in_place(&mut out, mask.dims())?;
    volume_from_vec(out, *mask.geometry())
}

/// [`fill_holes_slicewise`] on a bare buffer of size `dims` (x fastest, as
/// [`Volume::as_slice`]), in place: for units that work on their own grids.
pub fn fill_holes_slicewise_in_place(
    mask: &mut [bool],
    dims: [usize; 3],
) -> Result<(), VolumeError> {
    let [nx, ny, nz] = dims;
    if mask.len() != nx * ny * nz {
        return Err(VolumeError::Shape(format!(
            "hole filling: {} voxels for a {nx} x {ny} x {nz} grid",
            mask.len()
        )));
    }
    if nx * ny > 0 {
        mask.par_chunks_mut(nx * ny)
            .try_for_each(|slice| fill_raw(slice, [nx, ny, 1], [true, true, false]))?;
    }
    Ok(())
}

/// Fills in place the background components of `mask` (size `dims`) that
/// touch no border on the axes flagged in `border_axes`.
fn fill_raw(
    mask: &mut [bool],
    dims: [usize; 3],
    border_axes: [bool; 3],
) -> Result<(), VolumeError> {
    let rl = RunLabels::compute(mask, dims, false, Connectivity::Six)?;
    let mut open = vec![false; rl.count + 1];
    let last = [
        dims[0].saturating_sub(1),
        dims[1].saturating_sub(1),
        dims[2].saturating_sub(1),
    ];
    rl.for_each_run(|label, run, y, z| {
        let touches = (border_axes[0] && (run.x0 == 0 || run.x1 as usize - 1 == last[0]))
            || (border_axes[1] && (y == 0 || y == last[1]))
            || (border_axes[2] && (z == 0 || z == last[2]));
        if touches {
            open[label as usize] = true;
        }
    });
    if open.iter().skip(1).all(|&o| o) {
        return Ok(());
    }
    rl.paint(mask, |label| (!open[label as usize]).then_some(true));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Geometry;
    use crate::testutil::{Rng, random_mask, xyz};

    /// Brute force: flood the background from every border voxel.
    fn brute(mask: &Volume<bool>, border_axes: [bool; 3], neighbours_z: bool) -> Vec<bool> {
        let dims = mask.dims();
        let m = mask.as_slice();
        let mut reached = vec![false; m.len()];
        let mut stack: Vec<usize> = (0..m.len())
            .filter(|&i| {
                let p = xyz(i, dims);
                !m[i] && (0..3).any(|a| border_axes[a] && (p[a] == 0 || p[a] + 1 == dims[a]))
            })
            .collect();
        for &i in &stack {
            reached[i] = true;
        }
        while let Some(i) = stack.pop() {
            let p = xyz(i, dims);
            for (a, d) in [(0, -1i64), (0, 1), (1, -1), (1, 1), (2, -1), (2, 1)] {
                if a == 2 && !neighbours_z {
                    continue;
                }
                let mut q = [p[0] as i64, p[1] as i64, p[2] as i64];
                q[a] += d;
                if q[a] < 0 || q[a] >= dims[a] as i64 {
                    continue;
                }
                let j = q[0] as usize + dims[0] * (q[1] as usize + dims[1] * q[2] as usize);
                if !m[j] && !reached[j] {
                    reached[j] = true;
                    stack.push(j);
                }
            }
        }
        (0..m.len()).map(|i| m[i] || !reached[i]).collect()
    }

    #[test]
    fn matches_brute_force() {
        let mut rng = Rng::new(5);
        for trial in 0..80 {
            let dims = [1 + rng.below(12), 1 + rng.below(12), 1 + rng.below(7)];
            let g = Geometry::new(dims, [0.7, 0.7, 5.0], [0.0; 3]);
            let mask = random_mask(&mut rng, g, [0.5, 0.6, 0.7, 0.8][trial % 4]);
            let f3 = fill_holes(&mask).unwrap();
            assert_eq!(
                f3.as_slice(),
                brute(&mask, [true; 3], true).as_slice(),
                "3D trial {trial}"
            );
            let f2 = fill_holes_slicewise(&mask).unwrap();
            assert_eq!(
                f2.as_slice(),
                brute(&mask, [true, true, false], false).as_slice(),
                "2D trial {trial}"
            );
        }
    }

    #[test]
    fn hollow_cube_is_filled_but_open_tube_only_slicewise() {
        let g = Geometry::new([7, 7, 7], [1.0; 3], [0.0; 3]);
        // A hollow cube shell with walls at 1 and 5.
        let mut m = Volume::filled(g, false);
        for z in 1..=5 {
            for y in 1..=5 {
                for x in 1..=5 {
                    let wall = [x, y, z].iter().any(|&c| c == 1 || c == 5);
                    m.data_mut()[(z, y, x)] = wall;
                }
            }
        }
        let f = fill_holes(&m).unwrap();
        assert_eq!(f.as_slice().iter().filter(|&&b| b).count(), 125);
        // A tube along z open at both ends: not a 3D hole, but slice holes.
        let mut t = Volume::filled(g, false);
        for z in 0..7 {
            for y in 1..=5 {
                for x in 1..=5 {
                    t.data_mut()[(z, y, x)] = x == 1 || x == 5 || y == 1 || y == 5;
                }
            }
        }
        assert_eq!(fill_holes(&t).unwrap(), t);
        assert_eq!(
            fill_holes_slicewise(&t)
                .unwrap()
                .as_slice()
                .iter()
                .filter(|&&b| b)
                .count(),
            175
        );
    }
}
