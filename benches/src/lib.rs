//! Comparison benchmarks: the same workloads run on covet and on peer embedded engines (redb,
//! sled, SQLite, LMDB), each engine in its own child process, several rounds, printed as one
//! JSON object per line with the median and the spread over the rounds.
//!
//! The `compare` binary is the entry point; see `benches/README.md`. [`cli`] parses its command
//! line, [`rounds`] runs the children round by round and prints the lines, [`protocol`] is what a
//! child reports. Each engine sits behind [`engines::KvEngine`]; the workloads of the suites
//! ([`kv`], [`commits`], [`load_savepoint`], [`space`]) are generic over it (or use covet's table
//! layer directly), and their keys and values come from [`keys`], which streams them from a seed
//! instead of holding them. The [`sql`] suite has its own engine trait
//! ([`sql::engine::SqlEngine`]: covet through its Rust API, and SQLite) and row generator.

pub mod cli;
pub mod commits;
pub mod engines;
pub mod json;
pub mod keys;
pub mod kv;
pub mod load_savepoint;
pub mod protocol;
pub mod rounds;
pub mod scan_check;
pub mod space;
pub mod sql;
