//! ANALYZE: statistics of a table from one full scan, stored in the catalog.
//!
//! The scan streams rows into a [`TableStatsBuilder`], whose memory is bounded by its
//! [`StatsConfig`] whatever the table's size. `page_count` is counted exactly by a second
//! walk that reads the row tree's pages (branches, leaves, and the overflow pages their
//! cells name, by length, without reading them): the pages a full scan of the table
//! touches. Index trees are not counted.

use super::catalog;
use super::keys::KeyRange;
use super::write::TableWriter;
use crate::btree::node::{Node, ValueLoc};
use crate::btree::{overflow, PageSource, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::page::PageNo;
use crate::stats::{StatsConfig, TableStats, TableStatsBuilder};

impl TableWriter<'_> {
    /// Scans `table`, computes its statistics with the default [`StatsConfig`], stores them
    /// in the catalog (replacing earlier ones) and returns them.
    pub fn analyze(&mut self, table: &str) -> Result<TableStats> {
        self.analyze_with(table, StatsConfig::default())
    }

    /// [`analyze`](Self::analyze) with explicit sample sizes and seed.
    pub fn analyze_with(&mut self, table: &str, config: StatsConfig) -> Result<TableStats> {
        let t = self.table(table)?;
        let mut builder = TableStatsBuilder::new(t.schema().columns.len(), config);
        for row in self.access().scan_range(table, &KeyRange::all())? {
            builder.add_row(&row?.values);
        }
        let pages = count_pages(self.txn.page_source(), t.tree.root())?;
        let stats = builder.finish(pages);
        catalog::store_stats(self.txn, table, &stats)?;
        Ok(stats)
    }
}

/// The pages of the tree rooted at `root`: branches, leaves and overflow pages.
pub(crate) fn count_pages(src: &dyn PageSource, root: PageNo) -> Result<u64> {
    let per_overflow = overflow::capacity(src.page_size()) as u64;
    let mut count = 0u64;
    // Depth-first, so the stack holds at most one node's children per level.
    let mut stack = vec![(root, 0usize)];
    while let Some((no, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(Error::corrupt(
                root,
                "tree deeper than the depth limit (cycle?)",
            ));
        }
        let page = src.page(no)?;
        let node = Node::new(&page, no)?;
        count += 1;
        if node.is_leaf() {
            for i in 0..node.len() {
                if let ValueLoc::Overflow { len, .. } = node.leaf_cell(i)?.value {
                    count += len.div_ceil(per_overflow);
                }
            }
        } else {
            for slot in 0..=node.len() {
                stack.push((node.child(slot)?, depth + 1));
            }
        }
    }
    Ok(count)
}
