//! [`Kv`]: the read access the table layer needs, common to [`ReadTxn`] and [`WriteTxn`],
//! so every read path (lookups, scans, index seeks, statistics, integrity) is written
//! once for both.
//!
//! It is crate-private: the public surface is the `TableRead` trait of `read.rs`.

use std::ops::Bound;

use crate::btree::ValueGuard;
use crate::error::{Error, Result};
use crate::txn::{RangeIter, ReadTxn, Tree, WriteTxn};

/// Read access to the trees of one transaction.
pub(crate) trait Kv {
    /// The tree called `name`, or `None` when there is none.
    fn find_tree(&self, name: &str) -> Result<Option<Tree>>;
    /// The value under `key`.
    fn get(&self, tree: &Tree, key: &[u8]) -> Result<Option<ValueGuard>>;
    /// Entries with keys between the bounds, in key order or reversed.
    fn range(
        &self,
        tree: &Tree,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
        reverse: bool,
    ) -> RangeIter<'_>;
}

fn found(result: Result<Tree>) -> Result<Option<Tree>> {
    match result {
        Ok(t) => Ok(Some(t)),
        Err(Error::TreeNotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Kv for ReadTxn {
    fn find_tree(&self, name: &str) -> Result<Option<Tree>> {
        found(self.open_tree(name))
    }

    fn get(&self, tree: &Tree, key: &[u8]) -> Result<Option<ValueGuard>> {
        ReadTxn::get(self, tree, key)
    }

    fn range(
        &self,
        tree: &Tree,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
        reverse: bool,
    ) -> RangeIter<'_> {
        if reverse {
            self.range_rev(tree, (lower, upper))
        } else {
            ReadTxn::range(self, tree, (lower, upper))
        }
    }
}

impl Kv for WriteTxn {
    fn find_tree(&self, name: &str) -> Result<Option<Tree>> {
        found(self.open_tree(name))
    }

    fn get(&self, tree: &Tree, key: &[u8]) -> Result<Option<ValueGuard>> {
        WriteTxn::get(self, tree, key)
    }

    fn range(
        &self,
        tree: &Tree,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
        reverse: bool,
    ) -> RangeIter<'_> {
        if reverse {
            self.range_rev(tree, (lower, upper))
        } else {
            WriteTxn::range(self, tree, (lower, upper))
        }
    }
}
