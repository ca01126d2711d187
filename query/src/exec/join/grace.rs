//! Grace hash join: both sides partitioned by a hash of the join key into temporary
//! files, then joined partition by partition.
//!
//! Rows with equal keys land in the same partition on both sides, so each pair of
//! files is a complete, independent join. A build partition that still does not fit in
//! work memory is split again with a differently salted hash (up to
//! `MAX_SPILL_DEPTH`); one that no split shrinks (a key with more rows than fit) or
//! that is at the depth limit is joined by a block nested loop on key equality.
//!
//! Rows with a NULL key match nothing. They are kept (in partition 0) only on a side
//! whose unmatched rows are output: the left side of LEFT, FULL and ANTI joins, the
//! right side of RIGHT and FULL joins; there they meet no bucket and come out padded.

use covet_engine::value::Value;

use super::super::spill::{Partitioner, SpillFile, SpillReader, MAX_SPILL_DEPTH};
use super::super::{ExecContext, Operator};
use super::block::{BlockJoin, Matcher, Outer};
use super::{build_bytes, join_key, BuildSide, HashSpec, Pending};
use crate::error::Result;

/// A build partition and the probe partition of the same keys.
struct Pair {
    build: SpillFile,
    probe: SpillFile,
    /// The salt of the next split.
    depth: u32,
}

/// The pair being joined.
enum Running {
    /// The build partition is in memory; the probe partition streams past it.
    Hash {
        build: BuildSide,
        probe: SpillReader,
        _file: SpillFile,
    },
    Block(Box<BlockJoin>),
}

pub(super) struct GraceJoin {
    pairs: Vec<Pair>,
    running: Option<Running>,
}

/// Writes a row with key `key` to `part`, or drops it when its key is NULL and its side's
/// unmatched rows are not output.
fn spill_row(
    part: &mut Partitioner,
    key: Option<&[u8]>,
    keep_null: bool,
    row: &[Value],
    ctx: &mut ExecContext<'_>,
) -> Result<()> {
    match key {
        Some(k) => part.write(k, row, ctx),
        None if keep_null => part.write(&[], row, ctx),
        None => Ok(()),
    }
}

impl GraceJoin {
    /// Partitions the build rows read so far (`held`), the rest of `right` and all of
    /// `left`.
    pub(super) fn partition(
        held: Vec<(Vec<Value>, Option<Vec<u8>>)>,
        right: &mut dyn Operator,
        left: &mut dyn Operator,
        spec: &HashSpec,
        ctx: &mut ExecContext<'_>,
    ) -> Result<GraceJoin> {
        let keep_right = spec.shape.keeps_unmatched_right();
        let keep_left = spec.shape.keeps_unmatched_left();
        let mut build = Partitioner::create(0, ctx)?;
        for (r, k) in held {
            spill_row(&mut build, k.as_deref(), keep_right, &r, ctx)?;
        }
        while let Some(b) = right.next_batch(ctx)? {
            for r in b.rows {
                let k = join_key(&spec.right_keys, &r, ctx)?;
                spill_row(&mut build, k.as_deref(), keep_right, &r, ctx)?;
            }
        }
        let mut probe = Partitioner::create(0, ctx)?;
        while let Some(b) = left.next_batch(ctx)? {
            for r in b.rows {
                let k = join_key(&spec.left_keys, &r, ctx)?;
                spill_row(&mut probe, k.as_deref(), keep_left, &r, ctx)?;
            }
        }
        Ok(GraceJoin {
            pairs: pairs(build, probe, 1)?,
            running: None,
        })
    }

    /// Adds output rows until `out` is full or every pair is joined.
    pub(super) fn fill(
        &mut self,
        spec: &HashSpec,
        ctx: &mut ExecContext<'_>,
        out: &mut Pending,
    ) -> Result<()> {
        while !out.full() {
            match &mut self.running {
                Some(Running::Hash { build, probe, .. }) => match probe.next_rows()? {
                    Some(rows) => build.probe(rows, spec, ctx, out)?,
                    None => {
                        build.finish(spec.shape, out);
                        self.running = None;
                    }
                },
                Some(Running::Block(join)) => {
                    if join.fill(None, ctx, out)? {
                        self.running = None;
                    }
                }
                None => {
                    let Some(pair) = self.pairs.pop() else {
                        return Ok(());
                    };
                    self.running = self.start(pair, spec, ctx)?;
                }
            }
        }
        Ok(())
    }

    /// Starts joining `pair`: its build side into memory if it fits, else split again
    /// (queued; `None`) or joined by a block nested loop.
    fn start(
        &mut self,
        pair: Pair,
        spec: &HashSpec,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Option<Running>> {
        let shape = spec.shape;
        if (pair.build.rows() == 0 && !shape.keeps_unmatched_left())
            || (pair.probe.rows() == 0 && !shape.keeps_unmatched_right())
        {
            return Ok(None);
        }
        let work_mem = ctx.state.settings.work_mem;
        let (mut rows, mut keys, mut bytes) = (Vec::new(), Vec::new(), 0usize);
        let mut reader = pair.build.reader()?;
        let mut fits = true;
        while let Some(r) = reader.next_row()? {
            let k = join_key(&spec.right_keys, &r, ctx)?;
            bytes += build_bytes(&r, k.as_deref());
            if bytes > work_mem {
                fits = false;
                break;
            }
            rows.push(r);
            keys.push(k);
        }
        if fits {
            return Ok(Some(Running::Hash {
                build: BuildSide::new(rows, keys),
                probe: pair.probe.reader()?,
                _file: pair.probe,
            }));
        }
        drop((rows, keys, reader));
        if pair.depth >= MAX_SPILL_DEPTH {
            let reader = pair.probe.reader()?;
            return Ok(Some(Running::Block(Box::new(BlockJoin::new(
                shape,
                Matcher::Keys {
                    left: spec.left_keys.clone(),
                    right: spec.right_keys.clone(),
                    residual: spec.residual.clone(),
                },
                pair.build,
                Outer::File {
                    reader,
                    _file: pair.probe,
                },
            )))));
        }
        self.pairs.extend(split(pair, spec, ctx)?);
        Ok(None)
    }
}

/// The pairs of partition files of the same number.
fn pairs(build: Partitioner, probe: Partitioner, depth: u32) -> Result<Vec<Pair>> {
    Ok(build
        .finish()?
        .into_iter()
        .zip(probe.finish()?)
        .map(|(build, probe)| Pair {
            build,
            probe,
            depth,
        })
        .collect())
}

/// Splits both sides of `pair` again with the salt of its depth. A part that holds every
/// build row of `pair` (all of one key, or NULL keys) would not shrink under any salt:
/// it goes straight to the block nested loop.
fn split(pair: Pair, spec: &HashSpec, ctx: &mut ExecContext<'_>) -> Result<Vec<Pair>> {
    let mut build = Partitioner::create(pair.depth, ctx)?;
    let mut reader = pair.build.reader()?;
    while let Some(r) = reader.next_row()? {
        let k = join_key(&spec.right_keys, &r, ctx)?;
        build.write(k.as_deref().unwrap_or(&[]), &r, ctx)?;
    }
    let mut probe = Partitioner::create(pair.depth, ctx)?;
    let mut reader = pair.probe.reader()?;
    while let Some(r) = reader.next_row()? {
        let k = join_key(&spec.left_keys, &r, ctx)?;
        probe.write(k.as_deref().unwrap_or(&[]), &r, ctx)?;
    }
    let all = pair.build.rows();
    let mut parts = pairs(build, probe, pair.depth + 1)?;
    for p in &mut parts {
        if p.build.rows() == all {
            p.depth = MAX_SPILL_DEPTH;
        }
    }
    Ok(parts)
}
