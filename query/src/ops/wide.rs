//! [`U256`]: the unsigned 256-bit integer under decimal arithmetic. Two coefficients of
//! 38 digits multiply to at most 76 digits (< 2^253), so every product and every
//! dividend the decimal code forms fits; operations that could pass 2^256 are checked.

use std::cmp::Ordering;

/// An unsigned 256-bit integer, four 64-bit limbs, least significant first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct U256([u64; 4]);

impl Ord for U256 {
    fn cmp(&self, other: &U256) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &U256) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl U256 {
    pub(crate) const ZERO: U256 = U256([0; 4]);

    pub(crate) fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    /// The value as a `u128`, if it fits.
    pub(crate) fn to_u128(self) -> Option<u128> {
        (self.0[2] == 0 && self.0[3] == 0)
            .then(|| u128::from(self.0[0]) | (u128::from(self.0[1]) << 64))
    }

    pub(crate) fn is_zero(self) -> bool {
        self.0 == [0; 4]
    }

    /// `10^k`, if it fits (k <= 77).
    pub(crate) fn pow10(k: u32) -> Option<U256> {
        let mut v = U256::from_u128(1);
        for _ in 0..k {
            v = v.checked_mul(U256::from_u128(10))?;
        }
        Some(v)
    }

    pub(crate) fn checked_add(self, other: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, slot) in out.iter_mut().enumerate() {
            let s = u128::from(self.0[i]) + u128::from(other.0[i]) + carry;
            *slot = s as u64;
            carry = s >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    /// `self - other`; the caller guarantees `self >= other` (else it wraps).
    pub(crate) fn wrapping_sub(self, other: U256) -> U256 {
        let mut out = [0u64; 4];
        let mut borrow = 0i128;
        for (i, slot) in out.iter_mut().enumerate() {
            let mut d = i128::from(self.0[i]) - i128::from(other.0[i]) - borrow;
            borrow = 0;
            if d < 0 {
                d += 1i128 << 64;
                borrow = 1;
            }
            *slot = d as u64;
        }
        U256(out)
    }

    pub(crate) fn checked_mul(self, other: U256) -> Option<U256> {
        let mut out = [0u64; 8];
        for i in 0..4 {
            let mut carry = 0u128;
            for j in 0..4 {
                let cur =
                    u128::from(out[i + j]) + u128::from(self.0[i]) * u128::from(other.0[j]) + carry;
                out[i + j] = cur as u64;
                carry = cur >> 64;
            }
            out[i + 4] = carry as u64;
        }
        if out[4..].iter().any(|&l| l != 0) {
            return None;
        }
        Some(U256([out[0], out[1], out[2], out[3]]))
    }

    fn bit(self, i: usize) -> bool {
        (self.0[i / 64] >> (i % 64)) & 1 == 1
    }

    fn shl1(self) -> (U256, bool) {
        let mut out = [0u64; 4];
        let mut carry = 0u64;
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = (self.0[i] << 1) | carry;
            carry = self.0[i] >> 63;
        }
        (U256(out), carry == 1)
    }

    /// `(self / d, self % d)`; `None` when `d` is zero. Binary long division: the
    /// remainder stays below `d`, and a carry out of the shift means it passed `d`.
    pub(crate) fn div_rem(self, d: U256) -> Option<(U256, U256)> {
        if d.is_zero() {
            return None;
        }
        let mut q = U256::ZERO;
        let mut r = U256::ZERO;
        for i in (0..256).rev() {
            let (shifted, carry) = r.shl1();
            r = shifted;
            if self.bit(i) {
                r.0[0] |= 1;
            }
            if carry || r >= d {
                r = r.wrapping_sub(d);
                q.0[i / 64] |= 1 << (i % 64);
            }
        }
        Some((q, r))
    }

    /// The number of decimal digits (1 for zero).
    pub(crate) fn digits(self) -> u32 {
        let mut n = 1;
        let mut p = U256::from_u128(10);
        while self >= p {
            n += 1;
            match p.checked_mul(U256::from_u128(10)) {
                Some(next) => p = next,
                None => break,
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplies_and_divides_past_u128() {
        let a = U256::from_u128(u128::MAX);
        let sq = a.checked_mul(a).unwrap();
        let (q, r) = sq.div_rem(a).unwrap();
        assert_eq!(q, a);
        assert_eq!(r, U256::ZERO);
        let (q, r) = U256::from_u128(17).div_rem(U256::from_u128(5)).unwrap();
        assert_eq!((q.to_u128(), r.to_u128()), (Some(3), Some(2)));
        assert_eq!(U256::pow10(77).unwrap().digits(), 78);
        assert_eq!(U256::pow10(78), None);
        assert_eq!(sq.checked_mul(U256::from_u128(2)), None);
        assert_eq!(U256::from_u128(0).digits(), 1);
        assert_eq!(U256::from_u128(999).digits(), 3);
        assert_eq!(U256::from_u128(5).div_rem(U256::ZERO), None);
    }
}
