//! LEB128 variable-length unsigned integers, used inside B+tree cells.

/// Appends `v` as LEB128.
#[inline]
pub(crate) fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// How many bytes `v` takes.
#[inline]
pub(crate) fn len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Reads a LEB128 value at the start of `b`: `(value, bytes used)`, or `None` if
/// `b` ends first or the value does not fit 64 bits.
#[inline]
pub(crate) fn get(b: &[u8]) -> Option<(u64, usize)> {
    // Almost every length in a page fits one byte; a value length (shifted left
    // by one for the overflow bit) of 64 to 8191 bytes fits two.
    match b {
        [x, ..] if *x < 0x80 => Some((u64::from(*x), 1)),
        [x, y, ..] if *y < 0x80 => Some((u64::from(x & 0x7f) | u64::from(*y) << 7, 2)),
        _ => get_long(b),
    }
}

#[inline(never)]
fn get_long(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &byte) in b.iter().enumerate().take(10) {
        let part = u64::from(byte & 0x7f);
        if i == 9 && byte > 1 {
            return None;
        }
        v |= part << (7 * i);
        if byte & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_lengths() {
        for v in [
            0u64,
            1,
            127,
            128,
            300,
            16383,
            16384,
            u32::MAX as u64,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put(&mut out, v);
            assert_eq!(out.len(), len(v), "{v}");
            assert_eq!(get(&out), Some((v, out.len())));
        }
    }

    #[test]
    fn malformed_input_is_none() {
        assert_eq!(get(&[]), None);
        assert_eq!(get(&[0x80, 0x80]), None);
        assert_eq!(get(&[0xff; 11]), None);
    }
}
