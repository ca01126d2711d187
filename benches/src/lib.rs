//! Comparison benchmarks: the same workloads run on covet and on peer embedded engines (redb,
//! sled, SQLite, LMDB) in one process run, printed as one JSON object per line.
//!
//! The `compare` binary is the entry point; see `benches/README.md`. Each engine sits behind
//! [`engines::KvEngine`]; the workloads in [`kv`] are generic over it, and their keys and values
//! come from [`keys`], which streams them from a seed instead of holding them.

pub mod engines;
pub mod keys;
pub mod kv;
pub mod space;
