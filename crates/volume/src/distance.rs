//! Exact Euclidean distance transforms in millimetres, honest about
//! anisotropic spacing.
//!
//! The squared distance from every voxel to the nearest voxel of a target
//! set (foreground or background of a `Volume<bool>` mask) is computed by
//! separable passes: along x by two sweeps, then along y and z with the
//! Felzenszwalb–Huttenlocher lower envelope of parabolas (Theory of
//! Computing 8, 2012), each parabola weighted by the squared spacing of the
//! axis. The x and y passes run together slice by slice, in parallel over
//! slices (the y pass then finds its slice in cache); the z pass runs in
//! parallel over groups of z lines. Arithmetic within a line is
//! `f64`; squared distances are stored between passes as `f32` (relative
//! error below 1e-6). Only voxels of the grid count: nothing outside it is
//! foreground or background. With no target voxel at all, every distance is
//! `f32::INFINITY`.
//!
//! Why not ndarray-ndimage 0.6: it has no distance transform.

use rayon::prelude::*;

use crate::Volume;
use crate::lines::{ColumnBuf, for_each_column, for_each_line, volume_from_vec};

/// Squared Euclidean distance in mm² from each voxel to the nearest voxel
/// whose mask value equals `target` (0 on those voxels; `f32::INFINITY`
/// everywhere when there is none).
pub fn squared_distance_to(mask: &Volume<bool>, target: bool) -> Volume<f32> {
    let geometry = *mask.geometry();
    let data = squared_edt(
        mask.as_slice(),
        geometry.dims,
        geometry.spacing,
        target,
        f32::INFINITY,
    );
    into_volume(data, mask)
}

/// Euclidean distance in mm from each voxel to the nearest foreground
/// (`true`) voxel: 0 on the foreground, `f32::INFINITY` for an empty mask.
pub fn distance_to_foreground(mask: &Volume<bool>) -> Volume<f32> {
    let mut d = squared_distance_to(mask, true);
    d.as_slice_mut().par_iter_mut().for_each(|v| *v = v.sqrt());
    d
}

/// Euclidean distance in mm from each voxel to the nearest background
/// (`false`) voxel: 0 on the background, `f32::INFINITY` for a full mask.
/// (The "depth" of each foreground voxel.)
pub fn distance_to_background(mask: &Volume<bool>) -> Volume<f32> {
    let mut d = squared_distance_to(mask, false);
    d.as_slice_mut().par_iter_mut().for_each(|v| *v = v.sqrt());
    d
}

/// Signed distance in mm, negative inside: `-distance_to_background` on
/// foreground voxels and `+distance_to_foreground` on background voxels.
/// No voxel is 0: the voxels on either side of a boundary get `-s` and `+s`
/// for the spacing `s` across it. Infinite when one side is empty.
pub fn signed_distance(mask: &Volume<bool>) -> Volume<f32> {
    let (to_fg, to_bg) = rayon::join(
        || squared_distance_to(mask, true),
        || squared_distance_to(mask, false),
    );
    let mut out = to_fg;
    // On each voxel one of the two squared distances is 0.
    out.as_slice_mut()
        .par_iter_mut()
        .zip(to_bg.as_slice().par_iter())
        .for_each(|(a, &b)| {
            *a = if b > 0.0 { -b.sqrt() } else { a.sqrt() };
        });
    out
}

fn into_volume(data: Vec<f32>, like: &Volume<bool>) -> Volume<f32> {
    let geometry = *like.geometry();
    // Cannot fail: `squared_edt` returns one value per voxel of a valid grid.
    volume_from_vec(data, geometry).unwrap_or_else(|_| Volume::filled(geometry, f32::INFINITY))
}

/// Squared distances (mm²) on a raw `(z, y, x)` mask of size `dims` with
/// voxel `spacing`, to the nearest voxel equal to `target`. Values above
/// `cap` (mm²) may be reported as `f32::INFINITY`: intermediate values above
/// it are dropped early, which speeds up thresholding at a small distance
/// (morphology). Values `<= cap` are exact. The buffer length must be the
/// product of `dims` (otherwise an all-infinite buffer is returned).
pub(crate) fn squared_edt(
    mask: &[bool],
    dims: [usize; 3],
    spacing: [f64; 3],
    target: bool,
    cap: f32,
) -> Vec<f32> {
    let [nx, ny, nz] = dims;
    let mut out = vec![f32::INFINITY; mask.len()];
    if mask.is_empty() || mask.len() != nx * ny * nz {
        return out;
    }
    let w = spacing.map(|s| s * s);
    // x and y passes slice by slice, so the y pass finds the slice in cache.
    out.par_chunks_mut(nx * ny)
        .zip(mask.par_chunks(nx * ny))
        .for_each_init(
            || (Envelope::default(), ColumnBuf::default()),
            |(env, buf), (slice, m)| {
                let mut rows: Vec<&mut [f32]> = slice.chunks_mut(nx).collect();
                for (row, mrow) in rows.iter_mut().zip(m.chunks(nx)) {
                    first_pass(row, mrow, target, w[0], cap);
                }
                if ny > 1 {
                    for_each_column(&mut rows, buf, |line| env.transform(line, w[1], cap));
                }
            },
        );
    // A slice spacing whose square exceeds the cap (a disc-shaped ball
    // given as a huge z spacing) makes the z pass the identity: every other
    // slice is farther than the cap. Skipping it is exact.
    if nz > 1 && w[2] <= f64::from(cap) {
        for_each_line(&mut out, dims, 2, Envelope::default, |env, line| {
            env.transform(line, w[2], cap)
        });
    }
    out
}

/// 1D squared distance along a row to the nearest `target` voxel, times
/// `w`; values above `cap` become infinite.
fn first_pass(row: &mut [f32], mask: &[bool], target: bool, w: f64, cap: f32) {
    let mut last: Option<usize> = None;
    for (x, (o, &m)) in row.iter_mut().zip(mask).enumerate() {
        if m == target {
            last = Some(x);
        }
        *o = match last {
            Some(l) => ((x - l) as f64).powi(2) as f32,
            None => f32::INFINITY,
        };
    }
    let mut next: Option<usize> = None;
    for (x, (o, &m)) in row.iter_mut().zip(mask).enumerate().rev() {
        if m == target {
            next = Some(x);
        }
        if let Some(n) = next {
            *o = o.min(((n - x) as f64).powi(2) as f32);
        }
        // Index distances are exact integers in f32 up to 2^24; scale once.
        let d = (f64::from(*o) * w) as f32;
        *o = if d > cap { f32::INFINITY } else { d };
    }
}

/// One parabola of the lower envelope.
#[derive(Clone, Copy)]
struct Parabola {
    /// Apex position (index along the line).
    apex: f64,
    /// The input value at the apex.
    f: f64,
    /// `f + w apex²`, the constant of the intersection formula.
    h: f64,
    /// Left end of the interval where this parabola is lowest.
    from: f64,
}

/// Scratch space of the lower-envelope pass: the parabolas of the lower
/// envelope, left to right.
#[derive(Default)]
struct Envelope {
    stack: Vec<Parabola>,
}

impl Envelope {
    /// Replaces `line[p]` by `min_q line[q] + w (p - q)²`, or by infinity
    /// when that exceeds `cap`.
    fn transform(&mut self, line: &mut [f32], w: f64, cap: f32) {
        if w.is_nan() || w <= 0.0 {
            // Zero spacing (only from an unvalidated geometry): every point
            // of the line is at distance 0 along it. Keeps NaN out.
            let m = line.iter().copied().fold(f32::INFINITY, f32::min);
            line.fill(if m > cap { f32::INFINITY } else { m });
            return;
        }
        self.stack.clear();
        let two_w = 2.0 * w;
        for (q, &fq) in line.iter().enumerate() {
            if fq == f32::INFINITY {
                continue;
            }
            let (qf, fq) = (q as f64, f64::from(fq));
            let h = fq + w * qf * qf;
            // Intersection with the top parabola at num / den (den > 0);
            // the top is hidden when that is left of where the top starts.
            let from = loop {
                let Some(top) = self.stack.last() else {
                    break f64::NEG_INFINITY;
                };
                let num = h - top.h;
                let den = two_w * (qf - top.apex);
                if num <= top.from * den {
                    self.stack.pop();
                } else {
                    break num / den;
                }
            };
            self.stack.push(Parabola {
                apex: qf,
                f: fq,
                h,
                from,
            });
        }
        if self.stack.is_empty() {
            return; // no finite value: the line stays infinite
        }
        let mut k = 0;
        let last = self.stack.len() - 1;
        for (p, out) in line.iter_mut().enumerate() {
            let pf = p as f64;
            while k < last && self.stack[k + 1].from < pf {
                k += 1;
            }
            let top = &self.stack[k];
            let d = pf - top.apex;
            let v = (top.f + w * d * d) as f32;
            *out = if v > cap { f32::INFINITY } else { v };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Geometry;
    use crate::testutil::{Rng, random_mask};

    fn brute(mask: &Volume<bool>, target: bool) -> Vec<f64> {
        let [nx, ny, nz] = mask.dims();
        let s = mask.spacing();
        let m = mask.as_slice();
        let mut out = vec![f64::INFINITY; m.len()];
        for (i, o) in out.iter_mut().enumerate() {
            let (x, y, z) = (i % nx, (i / nx) % ny, i / (nx * ny));
            for (j, &mj) in m.iter().enumerate() {
                if mj != target {
                    continue;
                }
                let (a, b, c) = (j % nx, (j / nx) % ny, j / (nx * ny));
                let d = ((x as f64 - a as f64) * s[0]).powi(2)
                    + ((y as f64 - b as f64) * s[1]).powi(2)
                    + ((z as f64 - c as f64) * s[2]).powi(2);
                *o = o.min(d);
            }
        }
        let _ = nz;
        out
    }

    #[test]
    fn matches_brute_force_on_random_anisotropic_masks() {
        let mut rng = Rng::new(7);
        for trial in 0..40 {
            let dims = [1 + rng.below(11), 1 + rng.below(9), 1 + rng.below(8)];
            let spacing = [
                0.3 + rng.unit() * 2.0,
                0.3 + rng.unit() * 2.0,
                0.5 + rng.unit() * 5.0,
            ];
            let density = [0.01, 0.05, 0.3, 0.8][trial % 4];
            let mask = random_mask(&mut rng, Geometry::new(dims, spacing, [0.0; 3]), density);
            let signed = signed_distance(&mask);
            let (fg, bg) = (brute(&mask, true), brute(&mask, false));
            for ((s, f), b) in signed.as_slice().iter().zip(&fg).zip(&bg) {
                let want = f.sqrt() - b.sqrt();
                assert!(
                    s == &(want as f32)
                        || (f64::from(*s) - want).abs() <= 1e-6 * want.abs().max(1.0)
                );
            }
            for target in [true, false] {
                let got = squared_distance_to(&mask, target);
                let want = brute(&mask, target);
                for (g, w) in got.as_slice().iter().zip(&want) {
                    if w.is_infinite() {
                        assert!(g.is_infinite());
                    } else {
                        assert!((f64::from(*g) - w).abs() <= 1e-6 * w.max(1.0), "{g} vs {w}");
                    }
                }
            }
        }
    }

    #[test]
    fn signed_and_plain_distances() {
        let g = Geometry::new([5, 1, 1], [2.0, 1.0, 1.0], [0.0; 3]);
        let m = Volume::new(
            ndarray::Array3::from_shape_vec((1, 1, 5), vec![false, true, true, true, false])
                .unwrap(),
            g,
        )
        .unwrap();
        assert_eq!(
            distance_to_foreground(&m).as_slice(),
            &[2.0, 0.0, 0.0, 0.0, 2.0]
        );
        assert_eq!(
            distance_to_background(&m).as_slice(),
            &[0.0, 2.0, 4.0, 2.0, 0.0]
        );
        assert_eq!(
            signed_distance(&m).as_slice(),
            &[2.0, -2.0, -4.0, -2.0, 2.0]
        );
        let empty = Volume::filled(g, false);
        assert!(
            distance_to_foreground(&empty)
                .as_slice()
                .iter()
                .all(|d| d.is_infinite())
        );
    }
}
