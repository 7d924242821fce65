//! Internal helpers to run a 1D operation over every line of a `(z, y, x)`
//! buffer along one axis, in parallel with rayon.
//!
//! Lines along x are contiguous rows. Lines along y and z are strided; the
//! helpers hand them out either gathered into a contiguous buffer
//! ([`for_each_line`]) or as groups of whole rows ([`for_each_row_group`]), so
//! that filters can vectorise over x. Everything here is safe code: a buffer
//! is split into disjoint `&mut` rows and those rows are regrouped.

use rayon::prelude::*;

use crate::{Geometry, Volume, VolumeError};

/// Wraps a `(z, y, x)`-ordered buffer as a volume on `geometry`.
pub(crate) fn volume_from_vec<T: Clone>(
    data: Vec<T>,
    geometry: Geometry,
) -> Result<Volume<T>, VolumeError> {
    let [nx, ny, nz] = geometry.dims;
    let array = ndarray::Array3::from_shape_vec((nz, ny, nx), data)
        .map_err(|e| VolumeError::Shape(e.to_string()))?;
    Volume::new(array, geometry)
}

/// The rows (length `nx`) of `data`, grouped so that the rows of one group
/// are the successive samples along `axis` (1 = y: one group per slice; 2 =
/// z: one group per row index y). `axis` must be 1 or 2.
fn row_groups<T>(data: &mut [T], dims: [usize; 3], axis: usize) -> Vec<Vec<&mut [T]>> {
    let [nx, ny, nz] = dims;
    if axis == 1 {
        return data
            .chunks_mut(nx * ny)
            .map(|slice| slice.chunks_mut(nx).collect())
            .collect();
    }
    let mut groups: Vec<Vec<&mut [T]>> = (0..ny).map(|_| Vec::with_capacity(nz)).collect();
    for slice in data.chunks_mut(nx * ny) {
        for (group, row) in groups.iter_mut().zip(slice.chunks_mut(nx)) {
            group.push(row);
        }
    }
    groups
}

/// Number of adjacent columns gathered together from strided rows: one
/// 64-byte cache line of `f32`.
const BLOCK: usize = 16;

/// Reusable buffers of [`for_each_column`].
pub(crate) struct ColumnBuf<T> {
    block: Vec<T>,
    line: Vec<T>,
}

impl<T> Default for ColumnBuf<T> {
    fn default() -> Self {
        ColumnBuf {
            block: Vec::new(),
            line: Vec::new(),
        }
    }
}

/// Calls `f(line)` on each column of `rows` (all of equal length), the
/// column being gathered into a contiguous buffer and written back. Columns
/// are copied in blocks of [`BLOCK`] so that memory is read and written in
/// whole cache lines even when the rows are far apart.
pub(crate) fn for_each_column<T: Copy>(
    rows: &mut [&mut [T]],
    buf: &mut ColumnBuf<T>,
    mut f: impl FnMut(&mut [T]),
) {
    let n = rows.len();
    let nx = rows.first().map_or(0, |r| r.len());
    for x0 in (0..nx).step_by(BLOCK) {
        let w = BLOCK.min(nx - x0);
        buf.block.clear();
        for r in rows.iter() {
            buf.block.extend_from_slice(&r[x0..x0 + w]);
        }
        for b in 0..w {
            buf.line.clear();
            buf.line.extend((0..n).map(|i| buf.block[i * w + b]));
            f(&mut buf.line);
            for (i, &v) in buf.line.iter().enumerate() {
                buf.block[i * w + b] = v;
            }
        }
        for (r, chunk) in rows.iter_mut().zip(buf.block.chunks(w)) {
            r[x0..x0 + w].copy_from_slice(chunk);
        }
    }
}

/// Calls `f(scratch, line)` on every line along `axis` (0 = x, 1 = y, 2 = z)
/// of the `(z, y, x)` buffer `data` of size `dims = [nx, ny, nz]`, in
/// parallel. Strided lines are gathered into a contiguous buffer and
/// written back afterwards. `init` makes one scratch value per rayon job.
pub(crate) fn for_each_line<T, S, I, F>(
    data: &mut [T],
    dims: [usize; 3],
    axis: usize,
    init: I,
    f: F,
) where
    T: Copy + Send + Sync,
    S: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, &mut [T]) + Sync + Send,
{
    let nx = dims[0];
    if data.is_empty() || dims.contains(&0) || data.len() != dims.iter().product::<usize>() {
        return;
    }
    if axis == 0 {
        data.par_chunks_mut(nx)
            .with_min_len(64)
            .for_each_init(&init, |s, row| f(s, row));
        return;
    }
    row_groups(data, dims, axis).into_par_iter().for_each_init(
        || (init(), ColumnBuf::default()),
        |(s, buf), mut rows| for_each_column(&mut rows, buf, |line| f(s, line)),
    );
}

/// Calls `f(scratch, rows)` in parallel on every group of rows along `axis`
/// (1 = y: the `ny` rows of one slice; 2 = z: the `nz` rows of one row index
/// y across slices). `rows[i]` is the row at position `i` along `axis`; an
/// operation along the axis then works on whole rows and vectorises over x.
pub(crate) fn for_each_row_group<T, S, I, F>(
    data: &mut [T],
    dims: [usize; 3],
    axis: usize,
    init: I,
    f: F,
) where
    T: Send,
    S: Send,
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, &mut [&mut [T]]) + Sync + Send,
{
    if data.is_empty() || dims.contains(&0) || data.len() != dims.iter().product::<usize>() {
        return;
    }
    row_groups(data, dims, axis)
        .into_par_iter()
        .for_each_init(&init, |s, mut rows| f(s, &mut rows));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_visit_every_axis_in_order() {
        let dims = [3, 4, 5];
        for axis in 0..3 {
            // Each line gets its values replaced by its position along the axis.
            let mut data = vec![0usize; 60];
            for_each_line(
                &mut data,
                dims,
                axis,
                || (),
                |_, line| {
                    for (i, v) in line.iter_mut().enumerate() {
                        *v = i;
                    }
                },
            );
            for z in 0..5 {
                for y in 0..4 {
                    for x in 0..3 {
                        assert_eq!(data[x + 3 * (y + 4 * z)], [x, y, z][axis]);
                    }
                }
            }
            let mut data = vec![0usize; 60];
            if axis > 0 {
                for_each_row_group(
                    &mut data,
                    dims,
                    axis,
                    || (),
                    |_, rows| {
                        for (i, r) in rows.iter_mut().enumerate() {
                            r.iter_mut().for_each(|v| *v = i);
                        }
                    },
                );
                assert_eq!(data[2 + 3 * (1 + 4 * 3)], [0, 1, 3][axis]);
            }
        }
    }
}
