//! The float32 `log` and `sincos` that torch's x86-64 `randn` uses, rounding for rounding.
//!
//! torch's AVX2 Box-Muller kernel calls `log256_ps` and `sincos256_ps` from
//! `aten/src/ATen/native/cpu/avx_mathfun.h` (Julien Pommier's SSE port of the Cephes single-precision
//! polynomials). These are not the C library's `logf`/`sinf`/`cosf`: their results differ in the last
//! bits, so reproducing torch's noise bit for bit needs the same polynomials evaluated in the same order.
//!
//! torch builds that file with GCC, `-mfma` and the default `-ffp-contract=fast`, so every multiply
//! whose only use is an add or subtract is fused into one FMA (GCC walks the statements in order and
//! fuses the first multiply it meets). Each `mul_add` below stands for one such fused instruction;
//! every other `*` and `+` is a separately rounded float32 operation. One lane is computed at a time:
//! the eight lanes of the vector code are independent.
//!
//! The constants are C `double` literals converted to `float`, hence the `f64 as f32` casts; their
//! digits are kept as written in `avx_mathfun.h`.
#![allow(clippy::excessive_precision)]

const MIN_NORMAL_POSITIVE: f32 = f32::MIN_POSITIVE;
const MANTISSA_EXPONENT_MASK: u32 = 0x7f80_0000;
const EXPONENT_BIAS: i32 = 0x7f;

const SQRT_HALF: f32 = std::f64::consts::FRAC_1_SQRT_2 as f32;
const LOG_P: [f32; 9] = [
    7.0376836292E-2_f64 as f32,
    -1.1514610310E-1_f64 as f32,
    1.1676998740E-1_f64 as f32,
    -1.2420140846E-1_f64 as f32,
    1.4249322787E-1_f64 as f32,
    -1.6668057665E-1_f64 as f32,
    2.0000714765E-1_f64 as f32,
    -2.4999993993E-1_f64 as f32,
    3.3333331174E-1_f64 as f32,
];
/// ln 2 split in two: `LOG_Q2` is exact in a few bits, `LOG_Q1` the small remainder.
const LOG_Q1: f32 = -2.12194440e-4_f64 as f32;
const LOG_Q2: f32 = 0.693359375_f64 as f32;

/// 4/pi.
const FOUR_OVER_PI: f32 = 1.27323954473516_f64 as f32;
/// pi/4 split in three parts for the "extended precision modular arithmetic" of the argument reduction.
const MINUS_PI_OVER_4_PARTS: [f32; 3] =
    [-0.78515625_f64 as f32, -2.4187564849853515625e-4_f64 as f32, -3.77489497744594108e-8_f64 as f32];
const SIN_P: [f32; 3] = [-1.9515295891E-4_f64 as f32, 8.3321608736E-3_f64 as f32, -1.6666654611E-1_f64 as f32];
const COS_P: [f32; 3] =
    [2.443315711809948E-005_f64 as f32, -1.388731625493765E-003_f64 as f32, 4.166664568298827E-002_f64 as f32];

/// `log256_ps` for one lane. Defined for the inputs Box-Muller gives it, `(0, 1]`; like the original it
/// returns NaN for `x <= 0`.
pub fn log(x: f32) -> f32 {
    if x <= 0.0 {
        return f32::from_bits(u32::MAX);
    }
    let x = x.max(MIN_NORMAL_POSITIVE);
    let (mantissa, exponent) = split_mantissa(x);
    // Move the mantissa from [0.5, 1) to [sqrt(1/2) - 1, sqrt(2) - 1): both steps are exact.
    let below_sqrt_half = mantissa < SQRT_HALF;
    let e = if below_sqrt_half { exponent - 1.0 } else { exponent };
    let m = (mantissa - 1.0) + if below_sqrt_half { mantissa } else { 0.0 };

    let z = m * m;
    let mut y = LOG_P[0].mul_add(m, LOG_P[1]);
    for &p in &LOG_P[2..] {
        y = y.mul_add(m, p);
    }
    y *= m;
    y = y.mul_add(z, e * LOG_Q1);
    y = (-z).mul_add(0.5, y);
    e.mul_add(LOG_Q2, m + y)
}

/// Splits a positive normal float into a mantissa in [0.5, 1) and the matching exponent, as float.
fn split_mantissa(x: f32) -> (f32, f32) {
    let bits = x.to_bits();
    let exponent = (bits >> 23) as i32 - EXPONENT_BIAS;
    let mantissa = f32::from_bits((bits & !MANTISSA_EXPONENT_MASK) | 0.5_f32.to_bits());
    (mantissa, exponent as f32 + 1.0)
}

/// `sincos256_ps` for one lane: `(sin x, cos x)`. Accurate for |x| < 8192; Box-Muller gives it
/// [0, 2 pi).
pub fn sin_cos(x: f32) -> (f32, f32) {
    let sign_of_x = x.to_bits() & 0x8000_0000;
    let x = x.abs();

    // Octant j, rounded up to even, and the reduced argument x - j pi/4.
    let octant = ((x * FOUR_OVER_PI) as i32).wrapping_add(1) & !1;
    let j = octant as f32;
    let mut r = j.mul_add(MINUS_PI_OVER_4_PARTS[0], x);
    r = j.mul_add(MINUS_PI_OVER_4_PARTS[1], r);
    r = j.mul_add(MINUS_PI_OVER_4_PARTS[2], r);

    let sin_sign = sign_of_x ^ (((octant & 4) as u32) << 29);
    let cos_sign = ((!octant.wrapping_sub(2) & 4) as u32) << 29;
    let use_sin_polynomial_for_sin = octant & 2 == 0;

    let z = r * r;
    let cos_poly = cos_polynomial(z);
    let sin_poly = sin_polynomial(z, r);
    // The vector code blends the two polynomials with masks and adds a +0 lane, which turns -0 into +0.
    let (sin, cos) = if use_sin_polynomial_for_sin { (sin_poly + 0.0, cos_poly + 0.0) } else { (cos_poly + 0.0, sin_poly + 0.0) };
    (f32::from_bits(sin.to_bits() ^ sin_sign), f32::from_bits(cos.to_bits() ^ cos_sign))
}

/// cos(r) ~ 1 - z/2 + z^2 (c0 z^2 + c1 z + c2), z = r^2, on [-pi/4, pi/4].
fn cos_polynomial(z: f32) -> f32 {
    let mut y = COS_P[0].mul_add(z, COS_P[1]);
    y = y.mul_add(z, COS_P[2]);
    y *= z;
    y = y.mul_add(z, -(z * 0.5));
    y + 1.0
}

/// sin(r) ~ r + r z (s0 z^2 + s1 z + s2), z = r^2, on [-pi/4, pi/4].
fn sin_polynomial(z: f32, r: f32) -> f32 {
    let mut y = SIN_P[0].mul_add(z, SIN_P[1]);
    y = y.mul_add(z, SIN_P[2]);
    y *= z;
    y.mul_add(r, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in float32 steps (both values finite, same sign or zero).
    fn ulps(a: f32, b: f64) -> u32 {
        (a.to_bits() as i64 - (b as f32).to_bits() as i64).unsigned_abs() as u32
    }

    #[test]
    fn log_stays_within_two_ulps_of_the_true_logarithm_on_the_box_muller_range() {
        for k in (1..=(1u32 << 24)).step_by(997) {
            let x = k as f32 * (1.0 / 16_777_216.0);
            let got = log(x);
            let want = f64::from(x).ln();
            assert!(ulps(got, want) <= 2 || (got as f64 - want).abs() < 1e-7, "log({x}) = {got}, want {want}");
        }
        assert_eq!(log(1.0), 0.0);
        assert!(log(0.0).is_nan());
    }

    #[test]
    fn sin_cos_stay_within_a_few_ulps_of_the_true_values_on_zero_to_two_pi() {
        let two_pi = (2.0 * std::f64::consts::PI) as f32;
        for k in 0..100_000u32 {
            let x = k as f32 * (two_pi / 100_000.0);
            let (s, c) = sin_cos(x);
            let (want_s, want_c) = f64::from(x).sin_cos();
            assert!((f64::from(s) - want_s).abs() < 2e-7, "sin({x}) = {s}, want {want_s}");
            assert!((f64::from(c) - want_c).abs() < 2e-7, "cos({x}) = {c}, want {want_c}");
        }
        assert_eq!(sin_cos(0.0), (0.0, 1.0));
    }
}
