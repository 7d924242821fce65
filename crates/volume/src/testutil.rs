//! Test helpers: a tiny deterministic random generator and random masks
//! (no `rand` dependency needed).

use crate::{Geometry, Volume};

/// SplitMix64 generator.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// A mask whose voxels are independently `true` with probability `density`.
pub(crate) fn random_mask(rng: &mut Rng, geometry: Geometry, density: f64) -> Volume<bool> {
    let mut m = Volume::filled(geometry, false);
    for v in m.as_slice_mut() {
        *v = rng.unit() < density;
    }
    m
}

/// Linear index to `[x, y, z]`.
pub(crate) fn xyz(i: usize, dims: [usize; 3]) -> [usize; 3] {
    [
        i % dims[0],
        (i / dims[0]) % dims[1],
        i / (dims[0] * dims[1]),
    ]
}
