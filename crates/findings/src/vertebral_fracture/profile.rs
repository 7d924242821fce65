//! Profiles through a vertebral body for `airad.vertebral_fracture`:
//! sampling a thin mid-sagittal slab of the CT, and finding on a profile
//! the bright plate (endplate or wall cortex) that bounds the body.

use crate::constants::{
    FRACTURE_EDGE_MIN_DROP_HU, FRACTURE_EDGE_RELATIVE, FRACTURE_EDGE_RISE_TOLERANCE_HU,
};

/// A profile sampler over a thin left-right slab of the CT.
pub(super) struct Slab<'a> {
    pub(super) data: &'a [i16],
    pub(super) dims: [usize; 3],
    /// Slab columns (CT x indices).
    pub(super) xs: std::ops::RangeInclusive<usize>,
}

impl Slab<'_> {
    /// Mean over the slab at fractional y (linear) and slice `z`; `None`
    /// outside the grid.
    pub(super) fn at(&self, y: f64, z: i64) -> Option<f64> {
        let [nx, ny, nz] = self.dims;
        if y < 0.0 || z < 0 || z as usize >= nz {
            return None;
        }
        let y0 = y.floor() as usize;
        if y0 >= ny {
            return None;
        }
        let y1 = (y0 + 1).min(ny - 1);
        let t = y - y0 as f64;
        let z = z as usize;
        let (mut sum, mut n) = (0.0, 0usize);
        for x in self.xs.clone() {
            let a = f64::from(self.data[x + nx * (y0 + ny * z)]);
            let b = f64::from(self.data[x + nx * (y1 + ny * z)]);
            sum += a + t * (b - a);
            n += 1;
        }
        (n > 0).then(|| sum / n as f64)
    }
}

/// The centre of the bright plate that bounds a body on a profile sampled
/// outwards from inside it (an endplate cortex), in samples from the
/// start: the peak of the first marked fall of [`outer_edge`], placed by
/// the centroid of its excess over the fall's low value on the peak and
/// its two neighbours (a plate straddling two slices lies between them).
/// `None` when the start is not darker than the plate (a profile through
/// a wall's cortex) or without a marked fall.
pub fn plate_centre(profile: &[f64]) -> Option<f64> {
    let (peak, low) = first_fall(profile)?;
    let base = profile[low];
    if profile[0] > 0.5 * (profile[peak] + base) {
        return None;
    }
    let (mut sum, mut weight) = (0.0, 0.0);
    let first = peak.saturating_sub(1);
    for (t, v) in profile
        .iter()
        .enumerate()
        .skip(first)
        .take(peak + 2 - first)
    {
        let w = (v - base).max(0.0);
        sum += w * t as f64;
        weight += w;
    }
    (weight > 0.0).then(|| sum / weight)
}

/// The outer edge on a profile sampled outwards from inside a body
/// (`profile[0]` inside), in samples from the start: half-way down the
/// first descending run that falls by at least
/// [`FRACTURE_EDGE_MIN_DROP_HU`] and by [`FRACTURE_EDGE_RELATIVE`] of the
/// largest fall on the profile. A run goes on over rises of up to
/// [`FRACTURE_EDGE_RISE_TOLERANCE_HU`]. `None` without such a fall.
///
/// Written by hand: an edge of a bright shell over a background that can
/// be as bright as the inside is no threshold or gradient operator of the
/// image crates.
pub fn outer_edge(profile: &[f64]) -> Option<f64> {
    let (peak, low) = first_fall(profile)?;
    let half = 0.5 * (profile[peak] + profile[low]);
    (peak..low).find_map(|t| {
        let (a, b) = (profile[t], profile[t + 1]);
        (a >= half && b < half).then(|| t as f64 + (a - half) / (a - b))
    })
}

/// The peak and low sample of the first marked fall (see [`outer_edge`]).
fn first_fall(profile: &[f64]) -> Option<(usize, usize)> {
    let n = profile.len();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut s = 0;
    while s + 1 < n {
        if profile[s + 1] >= profile[s] {
            s += 1;
            continue;
        }
        let peak = s;
        let mut low = s + 1;
        let mut t = s + 1;
        while t < n && profile[t] <= profile[low] + FRACTURE_EDGE_RISE_TOLERANCE_HU {
            if profile[t] < profile[low] {
                low = t;
            }
            t += 1;
        }
        runs.push((peak, low));
        s = low;
    }
    let fall = |r: &(usize, usize)| profile[r.0] - profile[r.1];
    let largest = runs.iter().map(fall).fold(0.0, f64::max);
    let wanted = FRACTURE_EDGE_MIN_DROP_HU.max(FRACTURE_EDGE_RELATIVE * largest);
    runs.into_iter().find(|r| fall(r) >= wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_edge_is_half_way_down_the_cortex_fall_not_on_texture() {
        // Trabecular texture (±40), cortex peak, disc, next body's cortex.
        let p = [
            120.0, 160.0, 110.0, 150.0, 420.0, 300.0, 90.0, 85.0, 380.0, 140.0,
        ];
        let e = outer_edge(&p).unwrap();
        // Fall 420 -> 85 (run over the 90 -> 85 step): half 252.5, between
        // samples 5 (300) and 6 (90).
        assert!((e - (5.0 + (300.0 - 252.5) / 210.0)).abs() < 1e-9, "{e}");
        // A porotic body as dark as its disc: the cortex still bounds it.
        let p = [80.0, 75.0, 90.0, 260.0, 85.0, 80.0, 250.0, 70.0];
        let e = outer_edge(&p).unwrap();
        assert!(e > 3.0 && e < 4.0, "{e}");
        // No marked fall: no edge.
        assert_eq!(outer_edge(&[100.0, 120.0, 95.0, 110.0, 90.0]), None);
    }
}
