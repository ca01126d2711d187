//! Where a full node splits: about the middle by bytes, but, when the separator
//! there would be a long key (neighbours that share a long prefix), at the
//! nearest cut in the middle half of the node whose separator is surely short
//! (suffix truncation choosing its cut, as PostgreSQL's `nbtsplitloc` does).
//! Branches then hold short keys where the keys allow it. A node whose middle
//! separator is short splits exactly as before.

use super::node::{self, KeyRef};
use crate::error::{Error, Result};
use crate::page::PageNo;

/// Checks that a full node's cells plus the new one (`new_len` bytes) can be
/// split in two. A sound node always can: its cells fit in one page and none is
/// over `max_cell`, so each half fits. A damaged one (a header claiming less
/// room than the page has, overlapping cells) is refused here rather than split
/// into pages too small for their halves.
pub(crate) fn check_split(
    no: PageNo,
    cells: &[&[u8]],
    new_len: usize,
    page_size: usize,
) -> Result<()> {
    let total: usize = cells.iter().map(|c| c.len() + 2).sum();
    let largest = cells.iter().map(|c| c.len()).max().unwrap_or(0);
    if cells.len() < 2
        || largest > node::max_cell(page_size)
        || total - (new_len + 2) > page_size - node::HEADER
    {
        return Err(Error::corrupt(no, "full node whose cells do not add up"));
    }
    Ok(())
}

/// Index at which to cut `cells` so that both halves hold about the same bytes.
pub(crate) fn split_point(cells: &[&[u8]]) -> usize {
    let total: usize = cells.iter().map(|c| c.len() + 2).sum();
    let mut acc = 0;
    for (i, c) in cells.iter().enumerate() {
        acc += c.len() + 2;
        if acc * 2 >= total {
            // Keep at least one cell on each side.
            return (i + 1).clamp(1, cells.len() - 1);
        }
    }
    cells.len() - 1
}

/// Whether the separator between leaf keys `left < right` may need a chain,
/// decided from the stored bytes alone (no chain is read): it is
/// `right[..common + 1]`, short for sure when the keys differ inside the stored
/// part of `right` and `left` does not go on into a chain there.
pub(crate) fn separator_may_be_long(left: KeyRef<'_>, right: KeyRef<'_>) -> bool {
    let (a, b) = (left.inline, right.inline);
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let short = (!left.is_long() && !right.is_long())
        || (common < b.len() && (common < a.len() || !left.is_long()));
    !short
}

/// The cut of a leaf's `cells`: `balanced` unless its separator may be long
/// (`long_at(i)` for the cut before cell `i`) and a cut with a surely short one
/// keeps both halves within a page and at least a quarter of the bytes.
pub(crate) fn leaf_cut(
    cells: &[&[u8]],
    balanced: usize,
    capacity: usize,
    long_at: impl Fn(usize) -> bool,
) -> usize {
    nearest_short(cells, balanced, capacity, false, long_at)
}

/// The cut of the last leaf when the new key goes at its end (an append): `n`
/// (the new cell alone starts the new page, so sequential loads fill pages)
/// unless that separator may be long; then the last cut with a surely short
/// separator that leaves at least half the bytes on the left, if any.
pub(crate) fn append_cut(
    cells: &[&[u8]],
    n: usize,
    capacity: usize,
    long_at: impl Fn(usize) -> bool,
) -> usize {
    if !long_at(n) {
        return n;
    }
    let total: usize = cells.iter().map(|c| c.len() + 2).sum();
    let mut right = cells[n].len() + 2;
    for i in (1..n).rev() {
        right += cells[i].len() + 2;
        let left = total - right;
        if 2 * left < total || right > capacity {
            break;
        }
        if !long_at(i) {
            return i;
        }
    }
    n
}

/// The middle cell of a branch's `cells` (it moves up, the halves are the cells
/// before and after it): `balanced` unless its key is long (`long_at`) and a
/// short one is near, as for [`leaf_cut`].
pub(crate) fn branch_cut(
    cells: &[&[u8]],
    balanced: usize,
    capacity: usize,
    long_at: impl Fn(usize) -> bool,
) -> usize {
    nearest_short(cells, balanced, capacity, true, long_at)
}

fn nearest_short(
    cells: &[&[u8]],
    balanced: usize,
    capacity: usize,
    drops_middle: bool,
    long_at: impl Fn(usize) -> bool,
) -> usize {
    if !long_at(balanced) {
        return balanced;
    }
    let total: usize = cells.iter().map(|c| c.len() + 2).sum();
    let mut best: Option<usize> = None;
    let mut left = 0;
    let last = if drops_middle {
        cells.len() - 1
    } else {
        cells.len()
    };
    for i in 1..last {
        left += cells[i - 1].len() + 2;
        let middle = if drops_middle { cells[i].len() + 2 } else { 0 };
        let right = total - left - middle;
        let fits = left <= capacity && right <= capacity;
        let balanced_enough = 4 * left >= total && 4 * right >= total;
        if fits
            && balanced_enough
            && !long_at(i)
            && best.is_none_or(|b| i.abs_diff(balanced) < b.abs_diff(balanced))
        {
            best = Some(i);
        }
    }
    best.unwrap_or(balanced)
}
