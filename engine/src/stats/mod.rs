//! Per-table and per-column statistics for the planner: the data structures, how they are
//! built from a stream of values, their selectivity estimates and their bytes.
//!
//! * [`HyperLogLog`] (`hll.rs`): distinct counts past what fits an exact set;
//! * [`EquiDepthHistogram`] (`histogram.rs`) and [`MostCommonValues`] (`mcv.rs`), built from
//!   a sample;
//! * [`ColumnStats`] and [`TableStats`] (`column.rs`), which combine them into estimates;
//! * [`ColumnStatsBuilder`] and [`TableStatsBuilder`] (`builder.rs`): one pass over the
//!   values, with a bounded, seeded reservoir sample;
//! * the versioned binary form the catalog stores (`codec.rs`).
//!
//! No I/O and no catalog access here: `analyze` feeds a builder and stores the bytes.
//! Values are ordered by their key encoding (`memcmp`, which is [`Value::sql_cmp`]), so
//! histograms agree with index order and `1`, `1.0` and `1.00` are one value.

mod builder;
mod codec;
mod column;
mod histogram;
mod hll;
mod mcv;

pub use builder::{ColumnStatsBuilder, StatsConfig, TableStatsBuilder};
pub use codec::{StatsDecodeError, STATS_FORMAT_VERSION};
pub use column::{ColumnStats, TableStats};
pub use histogram::{Bucket, EquiDepthHistogram};
pub use hll::{HyperLogLog, DEFAULT_HLL_PRECISION, MAX_HLL_PRECISION, MIN_HLL_PRECISION};
pub use mcv::{McvEntry, MostCommonValues};

use crate::value::{encode_key_value, SortOrder, Value};

/// The ascending key encoding of one value: the order (and equality) statistics use.
pub(crate) fn sort_key(v: &Value) -> Vec<u8> {
    let mut key = Vec::new();
    encode_key_value(v, SortOrder::Asc, &mut key);
    key
}
