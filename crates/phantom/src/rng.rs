//! Seeded, platform-independent randomness: every random decision of the
//! phantom draws from a ChaCha8 stream named after what it decides
//! (`stream(seed, "lungs")`), so that adding a draw in one place never
//! shifts the values drawn elsewhere, and the same seed gives the same
//! phantom on every machine.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The random generator used everywhere.
pub type PhantomRng = ChaCha8Rng;

/// 64-bit FNV-1a of a name.
fn fnv1a(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser: decorrelates nearby seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A generator for the decision `name` of phantom `seed`.
pub fn stream(seed: u64, name: &str) -> PhantomRng {
    PhantomRng::seed_from_u64(mix(seed ^ mix(fnv1a(name))))
}

/// A generator for item `index` of the decision `name` (e.g. noise of
/// slice 17).
pub fn stream_indexed(seed: u64, name: &str, index: u64) -> PhantomRng {
    PhantomRng::seed_from_u64(mix(mix(seed ^ mix(fnv1a(name))) ^ mix(index)))
}

/// Uniform draw in `[lo, hi)`.
pub fn uniform(rng: &mut PhantomRng, lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return lo;
    }
    lo + (hi - lo) * rng.random::<f64>()
}

/// Normal draw clamped to `[lo, hi]`.
pub fn normal(rng: &mut PhantomRng, mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    let z: f64 = StandardNormal.sample(rng);
    (mean + sd * z).clamp(lo, hi)
}

/// True with probability `p`.
pub fn chance(rng: &mut PhantomRng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A symmetric perturbation in `[-amp, amp]`.
pub fn jitter(rng: &mut PhantomRng, amp: f64) -> f64 {
    uniform(rng, -amp, amp)
}

/// Index drawn with the given (non-negative) weights.
pub fn weighted(rng: &mut PhantomRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: u64 = stream(7, "lungs").random();
        let b: u64 = stream(7, "lungs").random();
        let c: u64 = stream(7, "heart").random();
        let d: u64 = stream(8, "lungs").random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        let e: u64 = stream_indexed(7, "noise", 1).random();
        let f: u64 = stream_indexed(7, "noise", 2).random();
        assert_ne!(e, f);
    }

    #[test]
    fn weighted_respects_zero_weights() {
        let mut r = stream(1, "w");
        for _ in 0..100 {
            assert_eq!(weighted(&mut r, &[0.0, 1.0, 0.0]), 1);
        }
    }
}
