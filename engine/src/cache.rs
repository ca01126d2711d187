//! The page cache: the only owner of page memory, with a hard byte bound.
//!
//! Entries are keyed by `(page number, version)`: version [`MAIN`] is the content
//! of the page in the main file, any other version is the WAL frame number the
//! content came from. Because a frame's content never changes, a cached version
//! never goes stale; only the `MAIN` version is replaced, by the checkpoint that
//! overwrites the page in the main file.
//!
//! Eviction is CLOCK (second chance) per shard. A page that someone still holds
//! (`Arc::strong_count > 1`, i.e. pinned by a cursor or transaction) is never
//! evicted; when a shard cannot make room the new page is simply not cached, so
//! the bound holds: cached bytes never exceed `capacity`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::page::{Page, PageNo};

/// The version of a page as it is in the main file.
pub(crate) const MAIN: u64 = 0;

/// `(page number, version)`.
pub(crate) type CacheKey = (PageNo, u64);

/// A multiply-shift hasher: keys are two integers, SipHash would cost more than
/// the lookup it guards.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    #[inline]
    fn write_u32(&mut self, v: u32) {
        self.write_u64(u64::from(v));
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// A cached page. It sits in the map itself, so a hit reads one hash bucket and
/// the page: no second, dependent load of a slot (on a large cache both are
/// cache misses).
struct Cached {
    page: Page,
    /// The CLOCK reference bit: set by every hit, cleared by a sweep passing by.
    referenced: bool,
    /// This entry's place in the clock.
    slot: usize,
}

#[derive(Default)]
struct Shard {
    map: FastMap<CacheKey, Cached>,
    /// The clock the hand sweeps: the key cached in each slot.
    slots: Vec<Option<CacheKey>>,
    vacant: Vec<usize>,
    hand: usize,
    bytes: usize,
}

/// A shard on 128 bytes of its own (two cache lines: the unit x86 prefetches
/// in). Every lookup writes its lock word; sharing a line with a neighbour
/// would make threads that use different shards take turns owning that line,
/// and a lookup would often read two lines instead of one.
#[repr(align(128))]
struct PaddedShard(Mutex<Shard>);

impl std::ops::Deref for PaddedShard {
    type Target = Mutex<Shard>;
    fn deref(&self) -> &Mutex<Shard> {
        &self.0
    }
}

/// Counters for tests and tuning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Bytes of page memory held by the cache now.
    pub bytes: usize,
    /// The bound.
    pub capacity: usize,
    /// Pages held now.
    pub pages: usize,
}

pub(crate) struct PageCache {
    shards: Box<[PaddedShard]>,
    shard_capacity: usize,
    page_size: usize,
    /// Bytes the open write transaction holds in dirty pages. They count against
    /// the same bound, so clean pages get that much less room.
    reserved: AtomicUsize,
}

impl PageCache {
    /// A cache holding at most `capacity` bytes of pages of `page_size` bytes.
    pub(crate) fn new(capacity: usize, page_size: usize) -> PageCache {
        let pages = (capacity / page_size).max(1);
        // Enough shards to spread threads, few enough that each holds several pages.
        let n = (pages / 16).clamp(1, 64).next_power_of_two().min(64);
        let n = if n > pages { 1 } else { n };
        let shards = (0..n)
            .map(|_| PaddedShard(Mutex::new(Shard::default())))
            .collect();
        PageCache {
            shards,
            shard_capacity: (pages / n) * page_size,
            page_size,
            reserved: AtomicUsize::new(0),
        }
    }

    /// Room for clean pages in one shard, after the writer's reservation.
    #[inline]
    fn shard_limit(&self) -> usize {
        let reserved = self.reserved.load(Ordering::Relaxed) / self.shards.len();
        self.shard_capacity.saturating_sub(reserved)
    }

    /// Sets the writer's reservation to `bytes` and, if it grew, evicts clean
    /// pages until every shard is within its smaller limit.
    pub(crate) fn set_reserved(&self, bytes: usize) {
        let old = self.reserved.swap(bytes, Ordering::Relaxed);
        if bytes <= old {
            return;
        }
        let limit = self.shard_limit();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            while shard.bytes > limit && shard.evict_one() {
                shard.bytes -= self.page_size;
            }
        }
    }

    /// The bound on cached plus reserved bytes.
    pub(crate) fn capacity(&self) -> usize {
        self.shard_capacity * self.shards.len()
    }

    #[inline]
    fn shard(&self, key: CacheKey) -> &Mutex<Shard> {
        let mut h = KeyHasher::default();
        h.write_u32(key.0);
        h.write_u64(key.1);
        let i = (h.finish() >> 40) as usize & (self.shards.len() - 1);
        &self.shards[i].0
    }

    /// The cached page, if present; marks it recently used.
    #[inline]
    pub(crate) fn get(&self, key: CacheKey) -> Option<Page> {
        let mut shard = self.shard(key).lock();
        let cached = shard.map.get_mut(&key)?;
        // Written only when it changes: threads reading the same pages then do
        // not take turns owning the entry's cache line.
        if !cached.referenced {
            cached.referenced = true;
        }
        Some(cached.page.clone())
    }

    /// Caches `page` under `key`, replacing any earlier entry for the key. Evicts
    /// unpinned pages to stay within the bound; if it cannot, the page is not cached.
    pub(crate) fn insert(&self, key: CacheKey, page: Page) {
        let mut shard = self.shard(key).lock();
        if let Some(cached) = shard.map.get_mut(&key) {
            cached.page = page;
            cached.referenced = true;
            return;
        }
        let limit = self.shard_limit();
        while shard.bytes + self.page_size > limit {
            if !shard.evict_one() {
                return;
            }
            shard.bytes -= self.page_size;
        }
        let slot = match shard.vacant.pop() {
            Some(i) => {
                shard.slots[i] = Some(key);
                i
            }
            None => {
                shard.slots.push(Some(key));
                shard.slots.len() - 1
            }
        };
        let cached = Cached {
            page,
            referenced: true,
            slot,
        };
        shard.map.insert(key, cached);
        shard.bytes += self.page_size;
    }

    /// Drops the entry for `key`, if any.
    pub(crate) fn remove(&self, key: CacheKey) {
        let mut shard = self.shard(key).lock();
        if let Some(cached) = shard.map.remove(&key) {
            shard.release(cached.slot, self.page_size);
        }
    }

    /// Moves the entry at `from` to `to` (replacing what `to` held). Used when a
    /// WAL reset turns frame versions into main-file versions: moving instead of
    /// sharing keeps one `Arc` per entry, which the pin test relies on.
    pub(crate) fn rekey(&self, from: CacheKey, to: CacheKey) {
        let page = {
            let mut shard = self.shard(from).lock();
            let Some(cached) = shard.map.remove(&from) else {
                return;
            };
            shard.release(cached.slot, self.page_size);
            cached.page
        };
        self.remove(to);
        self.insert(to, page);
    }

    /// Drops every entry whose version is above `version` (frames of a transaction
    /// that rolled back: their frame numbers will be reused).
    pub(crate) fn remove_versions_above(&self, version: u64) {
        self.remove_versions_where(|v| v > version);
    }

    /// Drops every entry whose version satisfies `doomed`.
    pub(crate) fn remove_versions_where(&self, doomed: impl Fn(u64) -> bool) {
        self.remove_where(|(_, v)| doomed(v));
    }

    /// Drops every entry whose key satisfies `doomed`.
    pub(crate) fn remove_where(&self, doomed: impl Fn(CacheKey) -> bool) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            let doomed: Vec<CacheKey> = shard.map.keys().filter(|&&k| doomed(k)).copied().collect();
            for key in doomed {
                let cached = shard.map.remove(&key).expect("present");
                shard.release(cached.slot, self.page_size);
            }
        }
    }

    /// Current use.
    pub(crate) fn stats(&self) -> CacheStats {
        let mut s = CacheStats {
            capacity: self.shard_capacity * self.shards.len(),
            ..CacheStats::default()
        };
        for shard in self.shards.iter() {
            let shard = shard.lock();
            s.bytes += shard.bytes;
            s.pages += shard.map.len();
        }
        s
    }
}

impl Shard {
    /// Frees clock slot `slot` of an entry just taken out of the map.
    fn release(&mut self, slot: usize, page_size: usize) {
        self.slots[slot] = None;
        self.vacant.push(slot);
        self.bytes -= page_size;
    }

    /// Evicts one unpinned, not recently used page. Returns false when every page
    /// is pinned (two full sweeps found nothing).
    fn evict_one(&mut self) -> bool {
        let n = self.slots.len();
        if n == 0 {
            return false;
        }
        for _ in 0..2 * n {
            let i = self.hand;
            self.hand = (self.hand + 1) % n;
            let Some(key) = self.slots[i] else {
                continue;
            };
            let cached = self
                .map
                .get_mut(&key)
                .expect("a clock slot's key is mapped");
            if Arc::strong_count(&cached.page) > 1 {
                continue;
            }
            if cached.referenced {
                cached.referenced = false;
                continue;
            }
            self.map.remove(&key);
            self.slots[i] = None;
            self.vacant.push(i);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page::PageBuf;

    fn page() -> Page {
        Arc::new(PageBuf::zeroed(512))
    }

    #[test]
    fn bound_holds_and_pinned_pages_stay() {
        let cache = PageCache::new(512 * 8, 512);
        let pinned = page();
        cache.insert((1, MAIN), pinned.clone());
        for no in 2..100 {
            cache.insert((no, MAIN), page());
            assert!(cache.stats().bytes <= 512 * 8);
        }
        assert!(cache.get((1, MAIN)).is_some(), "pinned page was evicted");
        assert!(cache.stats().pages <= 8);
    }

    #[test]
    fn all_pinned_means_not_cached() {
        let cache = PageCache::new(512 * 2, 512);
        let a = page();
        let b = page();
        cache.insert((1, MAIN), a.clone());
        cache.insert((2, MAIN), b.clone());
        cache.insert((3, MAIN), page());
        assert!(cache.get((3, MAIN)).is_none());
        assert_eq!(cache.stats().bytes, 1024);
    }

    #[test]
    fn a_hit_gives_a_page_a_second_chance() {
        let cache = PageCache::new(512 * 3, 512);
        for no in 1..=3 {
            cache.insert((no, MAIN), page());
        }
        // Full: the sweep clears every reference bit and evicts page 1.
        cache.insert((4, MAIN), page());
        assert!(cache.get((1, MAIN)).is_none());
        // Page 2 is next under the hand, but was just used: page 3 goes instead.
        assert!(cache.get((2, MAIN)).is_some());
        cache.insert((5, MAIN), page());
        assert!(cache.get((3, MAIN)).is_none());
        for no in [2, 4, 5] {
            assert!(cache.get((no, MAIN)).is_some(), "page {no}");
        }
        assert_eq!(cache.stats().pages, 3);
    }

    #[test]
    fn versions_are_distinct_and_removable() {
        let cache = PageCache::new(512 * 64, 512);
        let mut v1 = PageBuf::zeroed(512);
        v1.bytes_mut()[9] = 1;
        cache.insert((5, 10), Arc::new(v1.clone()));
        cache.insert((5, 11), page());
        cache.insert((6, 3), page());
        assert_eq!(cache.get((5, 10)).unwrap().bytes()[9], 1);
        cache.remove_versions_above(10);
        assert!(cache.get((5, 11)).is_none());
        assert!(cache.get((5, 10)).is_some());
        assert!(cache.get((6, 3)).is_some());
        cache.remove((5, 10));
        assert!(cache.get((5, 10)).is_none());
        assert_eq!(cache.stats().pages, 1);
    }
}
