//! [`Rng`]: a small seeded generator (SplitMix64), so the differential test needs no external
//! randomness and every run of a seed is the same.

/// A SplitMix64 stream.
#[derive(Clone, Debug)]
pub struct Rng(u64);

/// SplitMix64's output function.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(mix(seed ^ 0x6469_6666_6572_656E)) // "differen"
    }

    /// The stream of item `index` under `seed` (independent of every other item's).
    pub fn for_item(seed: u64, index: u64) -> Rng {
        Rng::new(mix(seed).wrapping_add(mix(index ^ 0x6974_656D))) // "item"
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// A number in `0..n` (`n >= 1`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent` / 100.
    pub fn pct(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_bounded() {
        let mut a = Rng::for_item(7, 3);
        let mut b = Rng::for_item(7, 3);
        let xs: Vec<u64> = (0..100).map(|_| a.below(10)).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.below(10)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| x < 10));
        assert!((0..10).all(|v| xs.contains(&v)));
        assert_ne!(
            Rng::for_item(7, 4).next_u64(),
            Rng::for_item(7, 3).next_u64()
        );
        let mut r = Rng::new(1);
        assert!((0..1000)
            .map(|_| r.range(-3, 3))
            .all(|v| (-3..=3).contains(&v)));
    }
}
