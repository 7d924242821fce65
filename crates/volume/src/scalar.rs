//! `Scalar`: the numeric voxel types that interpolating and smoothing
//! filters accept, with lossless-enough conversion to `f64` and a rounding,
//! saturating conversion back.
//!
//! Integer types round to nearest (halves away from zero) and saturate at
//! their range; NaN becomes 0. `bool` converts to 0/1 and back by
//! thresholding at 0.5, so trilinear resampling of a mask is the usual
//! "interpolate, then keep >= 0.5" rule.

/// A numeric voxel type convertible to and from `f64`.
pub trait Scalar: Copy + Send + Sync + 'static {
    /// The value as `f64` (exact for every implementing type but `u64`-sized
    /// integers, which are not implemented).
    fn to_f64(self) -> f64;
    /// The nearest representable value: rounded and saturated for integers,
    /// `>= 0.5` for `bool`, plain conversion for floats.
    fn from_f64(value: f64) -> Self;
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            #[inline]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline]
            fn from_f64(value: f64) -> Self {
                round_half_away(value).clamp(<$t>::MIN as i64, <$t>::MAX as i64) as $t
            }
        }
    )*};
}

int_scalar!(u8, i8, u16, i16, u32, i32);

/// `value.round()` as an integer (halves away from zero), saturating at the
/// `i64` range, NaN giving 0. Unlike `f64::round` it needs no libm call on
/// baseline x86-64, which matters once per voxel.
#[inline]
fn round_half_away(value: f64) -> i64 {
    let t = value as i64; // truncates toward zero, saturates, NaN -> 0
    let frac = value - t as f64;
    // Branch-free: the fraction's sign is data-dependent and unpredictable.
    t.saturating_add(i64::from(frac >= 0.5))
        .saturating_sub(i64::from(frac <= -0.5))
}

impl Scalar for f32 {
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn from_f64(value: f64) -> Self {
        value as f32
    }
}

impl Scalar for f64 {
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn from_f64(value: f64) -> Self {
        value
    }
}

impl Scalar for bool {
    #[inline]
    fn to_f64(self) -> f64 {
        if self { 1.0 } else { 0.0 }
    }
    #[inline]
    fn from_f64(value: f64) -> Self {
        value >= 0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_and_saturate() {
        assert_eq!(i16::from_f64(2.5), 3);
        assert_eq!(i16::from_f64(-2.5), -3);
        assert_eq!(i16::from_f64(1e9), i16::MAX);
        assert_eq!(u8::from_f64(-4.0), 0);
        assert_eq!(u8::from_f64(f64::NAN), 0);
        assert!(bool::from_f64(0.5));
        assert!(!bool::from_f64(0.49));
        assert_eq!(f32::from_f64(0.25), 0.25);
        assert_eq!(i32::from_f64(0.499_999_999_999_999_94), 0);
        assert_eq!(i32::from_f64(-1e300), i32::MIN);
        for k in -40..40 {
            let v = f64::from(k) * 0.25 + 0.125;
            assert_eq!(i32::from_f64(v), v.round() as i32, "{v}");
            assert_eq!(
                i32::from_f64(f64::from(k) * 0.5),
                (f64::from(k) * 0.5).round() as i32
            );
        }
    }
}
