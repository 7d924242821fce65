//! Internal run-length connected-component labelling, shared by
//! [`crate::components`] and [`crate::fill_holes`].
//!
//! Each row (fixed y, z) of a `(z, y, x)` mask is cut into runs of voxels
//! equal to a target value. Runs of neighbouring rows that touch under the
//! chosen connectivity are merged with a union-find over runs (union links
//! the larger root to the smaller, with path halving, so a parent never
//! follows its child in memory order). Runs are found in parallel per slice;
//! merging splits the slices in halves merged in parallel, then joins the
//! halves across their boundary slice. The work is proportional to the
//! number of runs, not voxels.

use rayon::prelude::*;

use crate::VolumeError;
use crate::components::Connectivity;

/// A run `[x0, x1)` of target voxels within one row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    /// First x of the run.
    pub x0: u32,
    /// One past the last x of the run.
    pub x1: u32,
}

/// Runs of a mask with the component label of each run.
pub(crate) struct RunLabels {
    /// Grid size `[nx, ny, nz]`.
    pub dims: [usize; 3],
    /// All runs in memory order.
    pub runs: Vec<Run>,
    /// Runs of row `y + ny * z` are `runs[row_start[r]..row_start[r + 1]]`.
    pub row_start: Vec<usize>,
    /// Label (1-based, in order of first voxel in memory order) of each run.
    pub labels: Vec<u32>,
    /// Number of components.
    pub count: usize,
}

impl RunLabels {
    /// Labels the voxels of `mask` (size `dims`) equal to `target`.
    pub(crate) fn compute(
        mask: &[bool],
        dims: [usize; 3],
        target: bool,
        connectivity: Connectivity,
    ) -> Result<RunLabels, VolumeError> {
        let [nx, ny, nz] = dims;
        if mask.len() != nx * ny * nz {
            return Err(VolumeError::Shape(format!(
                "mask of {} voxels for dims {dims:?}",
                mask.len()
            )));
        }
        if nx >= u32::MAX as usize {
            return Err(VolumeError::Shape(format!("{nx} columns is too many")));
        }
        if mask.is_empty() {
            return Ok(RunLabels {
                dims,
                runs: Vec::new(),
                row_start: vec![0; ny * nz + 1],
                labels: Vec::new(),
                count: 0,
            });
        }
        let (runs, row_start) = find_runs(mask, dims, target);
        if runs.len() >= u32::MAX as usize {
            return Err(VolumeError::Parameter(format!(
                "{} runs is too many to label",
                runs.len()
            )));
        }
        let mut parent: Vec<u32> = (0..runs.len() as u32).collect();
        let merger = Merger {
            runs: &runs,
            row_start: &row_start,
            ny,
            rules: match connectivity {
                Connectivity::Six => (0, 0, None),
                Connectivity::Eighteen => (1, 1, Some(0)),
                Connectivity::TwentySix => (1, 1, Some(1)),
            },
        };
        merger.merge(0, nz, &mut parent, 0);

        // parent[i] <= i always, so one forward pass resolves the labels.
        let mut labels = vec![0u32; runs.len()];
        let mut count = 0u32;
        for i in 0..runs.len() {
            let p = parent[i] as usize;
            labels[i] = if p == i {
                count += 1;
                count
            } else {
                labels[p]
            };
        }
        Ok(RunLabels {
            dims,
            runs,
            row_start,
            labels,
            count: count as usize,
        })
    }

    /// Calls `f(label, run, y, z)` for every run, in memory order.
    pub(crate) fn for_each_run(&self, mut f: impl FnMut(u32, Run, usize, usize)) {
        let ny = self.dims[1];
        for r in 0..self.row_start.len().saturating_sub(1) {
            let (y, z) = (r % ny, r / ny);
            for i in self.row_start[r]..self.row_start[r + 1] {
                f(self.labels[i], self.runs[i], y, z);
            }
        }
    }

    /// Writes `value(label)` over every run whose label maps to `Some`, in
    /// parallel over slices; `out` is a `(z, y, x)` buffer of the same dims.
    pub(crate) fn paint<T: Copy + Send + Sync>(
        &self,
        out: &mut [T],
        value: impl Fn(u32) -> Option<T> + Sync,
    ) {
        let [nx, ny, _] = self.dims;
        if nx * ny == 0 {
            return;
        }
        out.par_chunks_mut(nx * ny)
            .enumerate()
            .for_each(|(z, slice)| {
                for y in 0..ny {
                    let r = y + ny * z;
                    for i in self.row_start[r]..self.row_start[r + 1] {
                        if let Some(v) = value(self.labels[i]) {
                            let Run { x0, x1 } = self.runs[i];
                            slice[y * nx + x0 as usize..y * nx + x1 as usize].fill(v);
                        }
                    }
                }
            });
    }
}

/// Merges touching runs, dividing the slices in halves merged in parallel
/// (each half owns a contiguous range of runs, hence of `parent`) and then
/// joined across the slice boundary between them.
struct Merger<'a> {
    runs: &'a [Run],
    row_start: &'a [usize],
    ny: usize,
    /// Adjacency extension (0: overlap in x, 1: also diagonal) for rows at
    /// (dy, dz) = (-1, 0), (0, -1), and (+-1, -1) (`None`: not neighbours).
    rules: (u32, u32, Option<u32>),
}

impl Merger<'_> {
    fn row(&self, y: usize, z: usize) -> std::ops::Range<usize> {
        let r = y + self.ny * z;
        self.row_start[r]..self.row_start[r + 1]
    }

    /// Merges slices `z0..z1`, whose runs are `base..` in `parent`.
    fn merge(&self, z0: usize, z1: usize, parent: &mut [u32], base: usize) {
        if z1 <= z0 {
            return;
        }
        if z1 - z0 == 1 {
            for y in 1..self.ny {
                adjacent(
                    self.runs,
                    self.row(y - 1, z0),
                    self.row(y, z0),
                    self.rules.0,
                    |a, b| union(parent, base, a, b),
                );
            }
            return;
        }
        let mid = z0 + (z1 - z0) / 2;
        let split = self.row_start[self.ny * mid] - base;
        let (lo, hi) = parent.split_at_mut(split);
        rayon::join(
            || self.merge(z0, mid, lo, base),
            || self.merge(mid, z1, hi, base + split),
        );
        let (straight, diagonal) = (self.rules.1, self.rules.2);
        for y in 0..self.ny {
            let cur = self.row(y, mid);
            if cur.is_empty() {
                continue;
            }
            let mut join = |prev: std::ops::Range<usize>, e: u32| {
                adjacent(self.runs, prev, cur.clone(), e, |a, b| {
                    union(parent, base, a, b)
                })
            };
            join(self.row(y, mid - 1), straight);
            if let Some(e) = diagonal {
                if y > 0 {
                    join(self.row(y - 1, mid - 1), e);
                }
                if y + 1 < self.ny {
                    join(self.row(y + 1, mid - 1), e);
                }
            }
        }
    }
}

/// Runs of `target` voxels of every row, and the row offsets into them.
fn find_runs(mask: &[bool], dims: [usize; 3], target: bool) -> (Vec<Run>, Vec<usize>) {
    let [nx, ny, _] = dims;
    let per_slice: Vec<(Vec<Run>, Vec<usize>)> = mask
        .par_chunks(nx * ny)
        .map(|slice| {
            let mut runs = Vec::new();
            let mut counts = Vec::with_capacity(ny);
            for row in slice.chunks(nx) {
                let before = runs.len();
                let mut x = 0;
                while x < nx {
                    if row[x] != target {
                        x += 1;
                        continue;
                    }
                    let x0 = x;
                    while x < nx && row[x] == target {
                        x += 1;
                    }
                    runs.push(Run {
                        x0: x0 as u32,
                        x1: x as u32,
                    });
                }
                counts.push(runs.len() - before);
            }
            (runs, counts)
        })
        .collect();
    let total = per_slice.iter().map(|(r, _)| r.len()).sum();
    let mut runs = Vec::with_capacity(total);
    let mut row_start = Vec::with_capacity(mask.len() / nx + 1);
    row_start.push(0);
    for (r, counts) in per_slice {
        runs.extend_from_slice(&r);
        for c in counts {
            let last = row_start.last().copied().unwrap_or(0);
            row_start.push(last + c);
        }
    }
    (runs, row_start)
}

/// Calls `f(i, j)` for each run `i` of row range `a` touching run `j` of row
/// range `b`: overlapping in x, or (with `ext = 1`) diagonally adjacent.
fn adjacent(
    runs: &[Run],
    a: std::ops::Range<usize>,
    b: std::ops::Range<usize>,
    ext: u32,
    mut f: impl FnMut(usize, usize),
) {
    let (mut i, mut j) = (a.start, b.start);
    while i < a.end && j < b.end {
        let (ra, rb) = (runs[i], runs[j]);
        if ra.x1 + ext <= rb.x0 {
            i += 1;
        } else if rb.x1 + ext <= ra.x0 {
            j += 1;
        } else {
            f(i, j);
            if ra.x1 < rb.x1 {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
}

/// Root of `i`, halving the path. `parent` holds runs `base..`.
fn find(parent: &mut [u32], base: usize, mut i: usize) -> usize {
    loop {
        let p = parent[i - base] as usize;
        if p == i {
            return i;
        }
        let gp = parent[p - base];
        parent[i - base] = gp;
        i = gp as usize;
    }
}

/// Merges the sets of `a` and `b`, the smaller root becoming the parent.
fn union(parent: &mut [u32], base: usize, a: usize, b: usize) {
    let ra = find(parent, base, a);
    let rb = find(parent, base, b);
    if ra != rb {
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[hi - base] = lo as u32;
    }
}
