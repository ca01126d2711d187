//! [`HyperLogLog`]: a fixed-size sketch that estimates how many distinct items it has seen.
//!
//! `2^p` one-byte registers (`p` = precision, default 14: 16 KiB, about 0.8% standard
//! error). An item's 64-bit hash picks a register with its top `p` bits; the register keeps
//! the largest "rank" seen, one plus the leading zeros of the remaining `64 - p` bits
//! (at most `65 - p`). Values are hashed through their key encoding, so SQL-equal values
//! (`1`, `1.0`, `1.00`) are one item.
//!
//! The estimate is Otmar Ertl's improved estimator ("New cardinality estimation algorithms
//! for HyperLogLog sketches", 2017), which needs neither bias tables nor a switch to linear
//! counting and is accurate from 0 to far beyond 2^32 items. Sketches merge by register-wise
//! maximum; a sketch of higher precision is folded down to the lower one first.

use xxhash_rust::xxh3::xxh3_64;

use super::codec::StatsDecodeError;
use super::sort_key;
use crate::value::Value;

/// The smallest precision accepted (16 registers).
pub const MIN_HLL_PRECISION: u8 = 4;
/// The largest precision accepted (262,144 registers).
pub const MAX_HLL_PRECISION: u8 = 18;
/// The precision used by default: 16,384 registers, ~0.8% standard error.
pub const DEFAULT_HLL_PRECISION: u8 = 14;

/// Version byte of the serialized form.
const HLL_FORMAT_VERSION: u8 = 1;

/// A HyperLogLog distinct-count sketch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HyperLogLog {
    precision: u8,
    registers: Vec<u8>,
}

impl Default for HyperLogLog {
    fn default() -> HyperLogLog {
        HyperLogLog::new(DEFAULT_HLL_PRECISION)
    }
}

impl HyperLogLog {
    /// An empty sketch with `2^precision` registers; the precision is clamped to
    /// `MIN_HLL_PRECISION..=MAX_HLL_PRECISION`.
    pub fn new(precision: u8) -> HyperLogLog {
        let precision = precision.clamp(MIN_HLL_PRECISION, MAX_HLL_PRECISION);
        HyperLogLog {
            precision,
            registers: vec![0; 1 << precision],
        }
    }

    /// The precision `p` (the sketch has `2^p` registers).
    pub fn precision(&self) -> u8 {
        self.precision
    }

    /// The largest rank a register can hold: `65 - p`.
    fn max_rank(precision: u8) -> u8 {
        65 - precision
    }

    /// Adds an item by its 64-bit hash (which must be well mixed).
    pub fn add_hash(&mut self, hash: u64) {
        let p = u32::from(self.precision);
        let index = (hash >> (64 - p)) as usize;
        let rest = hash << p;
        let rank = if rest == 0 {
            Self::max_rank(self.precision)
        } else {
            (rest.leading_zeros() + 1) as u8
        };
        let r = &mut self.registers[index];
        *r = (*r).max(rank);
    }

    /// Adds an item given as bytes.
    pub fn add_bytes(&mut self, bytes: &[u8]) {
        self.add_hash(xxh3_64(bytes));
    }

    /// Adds a value, through its key encoding so that SQL-equal values count once.
    pub fn add_value(&mut self, value: &Value) {
        self.add_bytes(&sort_key(value));
    }

    /// Adds every item of `other`. Sketches of different precision merge at the lower one.
    pub fn merge(&mut self, other: &HyperLogLog) {
        if other.precision < self.precision {
            *self = self.folded(other.precision);
        }
        let folded;
        let other = if other.precision > self.precision {
            folded = other.folded(self.precision);
            &folded
        } else {
            other
        };
        for (r, o) in self.registers.iter_mut().zip(&other.registers) {
            *r = (*r).max(*o);
        }
    }

    /// This sketch at a lower precision, as if its items had been added there.
    fn folded(&self, precision: u8) -> HyperLogLog {
        let d = u32::from(self.precision - precision);
        let mut out = HyperLogLog::new(precision);
        for (i, &r) in self.registers.iter().enumerate() {
            if r == 0 {
                continue;
            }
            // The index bits dropped now lead the remaining hash bits.
            let dropped = (i as u64) & ((1 << d) - 1);
            let rank = if dropped == 0 {
                r + d as u8
            } else {
                (d - (64 - dropped.leading_zeros())) as u8 + 1
            };
            let slot = &mut out.registers[i >> d];
            *slot = (*slot).max(rank);
        }
        out
    }

    /// The estimated number of distinct items added.
    pub fn estimate(&self) -> f64 {
        let q = usize::from(64 - self.precision);
        let m = self.registers.len() as f64;
        let mut counts = vec![0u32; q + 2];
        for &r in &self.registers {
            counts[usize::from(r).min(q + 1)] += 1;
        }
        if counts[0] as usize == self.registers.len() {
            return 0.0;
        }
        let mut z = m * tau(1.0 - f64::from(counts[q + 1]) / m);
        for k in (1..=q).rev() {
            z = 0.5 * (z + f64::from(counts[k]));
        }
        z += m * sigma(f64::from(counts[0]) / m);
        let alpha_inf = 1.0 / (2.0 * std::f64::consts::LN_2);
        alpha_inf * m * m / z
    }

    /// The versioned serialized form: version byte, precision byte, then the registers.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 + self.registers.len());
        out.push(HLL_FORMAT_VERSION);
        out.push(self.precision);
        out.extend_from_slice(&self.registers);
        out
    }

    /// Reads the form written by [`HyperLogLog::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<HyperLogLog, StatsDecodeError> {
        const WHAT: &str = "hyperloglog";
        let [version, precision, registers @ ..] = bytes else {
            return Err(StatsDecodeError::Truncated { what: WHAT });
        };
        if *version != HLL_FORMAT_VERSION {
            return Err(StatsDecodeError::UnsupportedVersion {
                what: WHAT,
                version: *version,
            });
        }
        if !(MIN_HLL_PRECISION..=MAX_HLL_PRECISION).contains(precision) {
            return Err(StatsDecodeError::Invalid {
                what: WHAT,
                reason: "precision out of range",
            });
        }
        if registers.len() != 1 << precision {
            return Err(StatsDecodeError::Invalid {
                what: WHAT,
                reason: "wrong register count",
            });
        }
        if registers.iter().any(|&r| r > Self::max_rank(*precision)) {
            return Err(StatsDecodeError::Invalid {
                what: WHAT,
                reason: "register out of range",
            });
        }
        Ok(HyperLogLog {
            precision: *precision,
            registers: registers.to_vec(),
        })
    }
}

/// Ertl's σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k-1), for the registers still at zero.
fn sigma(x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut x, mut y, mut z) = (x, 1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

/// Ertl's τ(x) = (1 - x - Σ_{k≥1} (1 - x^(2^-k))² 2^-k) / 3, for saturated registers.
fn tau(x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut x, mut y, mut z) = (x, 1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powi(2) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(range: std::ops::Range<u64>, precision: u8) -> HyperLogLog {
        let mut h = HyperLogLog::new(precision);
        for i in range {
            h.add_bytes(&i.to_le_bytes());
        }
        h
    }

    fn rel_error(est: f64, truth: f64) -> f64 {
        (est - truth).abs() / truth
    }

    #[test]
    fn empty_and_small() {
        assert_eq!(HyperLogLog::default().estimate(), 0.0);
        let h = sketch(0..10, 14);
        assert!((h.estimate() - 10.0).abs() < 0.5, "{}", h.estimate());
        let mut dup = h.clone();
        dup.merge(&h);
        assert_eq!(dup, h);
    }

    #[test]
    fn within_five_percent_at_100k_for_each_precision() {
        for p in [12, 13, 14] {
            let h = sketch(0..100_000, p);
            let e = rel_error(h.estimate(), 100_000.0);
            assert!(e < 0.05, "p={p}: error {e}");
        }
        let e = rel_error(sketch(0..1_000_000, 14).estimate(), 1_000_000.0);
        assert!(e < 0.03, "1M: error {e}");
    }

    #[test]
    fn accurate_across_the_small_to_large_transition() {
        for n in [100u64, 1_000, 5_000, 20_000, 40_000, 80_000] {
            let e = rel_error(sketch(0..n, 14).estimate(), n as f64);
            assert!(e < 0.04, "n={n}: error {e}");
        }
    }

    #[test]
    fn values_hash_through_their_keys() {
        let mut h = HyperLogLog::default();
        h.add_value(&Value::Int(1));
        h.add_value(&Value::Float(1.0));
        h.add_value(&Value::Decimal("1.00".parse().unwrap()));
        assert!((h.estimate() - 1.0).abs() < 0.01);
    }

    #[test]
    fn merge_is_union_and_folds_precision() {
        let (a, b) = (sketch(0..60_000, 14), sketch(40_000..100_000, 14));
        let mut u = a.clone();
        u.merge(&b);
        assert_eq!(u, sketch(0..100_000, 14));
        // Folding a p=14 sketch to p=12 gives exactly the p=12 sketch of the same items.
        let mut low = HyperLogLog::new(12);
        low.merge(&sketch(0..50_000, 14));
        assert_eq!(low, sketch(0..50_000, 12));
        let mut high = sketch(0..50_000, 14);
        high.merge(&HyperLogLog::new(12));
        assert_eq!(high, sketch(0..50_000, 12));
    }

    #[test]
    fn serializes() {
        let h = sketch(0..5_000, 12);
        let bytes = h.to_bytes();
        assert_eq!(bytes.len(), 2 + 4096);
        assert_eq!(HyperLogLog::from_bytes(&bytes).unwrap(), h);
        assert!(HyperLogLog::from_bytes(&bytes[..100]).is_err());
        assert!(HyperLogLog::from_bytes(&[]).is_err());
        assert!(matches!(
            HyperLogLog::from_bytes(&[2, 12]),
            Err(StatsDecodeError::UnsupportedVersion { version: 2, .. })
        ));
        let mut bad = bytes;
        bad[10] = 200;
        assert!(HyperLogLog::from_bytes(&bad).is_err());
    }
}
