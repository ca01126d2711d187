//! A session's transaction: the block state machine (BEGIN … COMMIT, savepoints, the
//! failed state) and the isolation levels of DESIGN.md "Transactions".
//!
//! ```text
//!   Idle ──BEGIN──▶ Block{reads only} ──first write──▶ Block{holds the writer lock}
//!    ▲                 │   │ error                         │   │ error
//!    │                 │   ▼                               │   ▼
//!    └──COMMIT/ROLLBACK┴─ Failed ◀─────────────────────────┴───┘
//!                         (only ROLLBACK [TO SAVEPOINT] leaves it; COMMIT rolls back)
//! ```
//!
//! Isolation (writers are serial: the engine has one writer lock):
//!
//! * READ COMMITTED: each statement reads a fresh snapshot until the block's first
//!   write; that write takes the writer lock, held to the end of the block, and every
//!   later statement reads through the write transaction (the newest commit plus the
//!   block's own changes). Its writes never conflict.
//! * REPEATABLE READ and SERIALIZABLE: the block's first statement takes one snapshot
//!   and every read until the first write uses it. When the first write takes the
//!   writer lock, the newest commit must still be the snapshot's: otherwise another
//!   transaction committed between the block's reads and its writes, and the block
//!   fails with 40001. After the first write, reads go through the write transaction,
//!   which then shows the snapshot plus the block's own changes. A block that only
//!   reads never takes the lock and never fails; a block whose first statement writes
//!   read nothing before, so it cannot fail either.
//! * Outside a block, a statement is its own transaction: a read-only statement reads
//!   one snapshot; a writing one takes the writer lock and commits at its end.
//!
//! Invariants:
//!
//! 1. `slot.txn` is `Some` only inside a block that wrote (or during one statement
//!    outside a block); it is taken out at COMMIT/ROLLBACK, so a row stream that
//!    outlives its transaction finds it gone (25000) instead of reading another's.
//! 2. `slot.generation` changes whenever a transaction ends: a stream marks the block
//!    failed, or reads through the write transaction, only while it is the one it began in.
//! 3. Every user savepoint of a block that wrote has an engine savepoint; savepoints
//!    declared before the first write get theirs when it begins (all of them then mark
//!    the state before any change).
//! 4. Inside a block, every writing statement runs under an engine savepoint, rolled
//!    back alone when it fails. A savepoint costs one `Vec` push and no allocation; each
//!    page first changed under it adds one entry to its undo map (a reference to the
//!    page's previous version, not a copy), and releasing it moves at most those entries
//!    to the enclosing savepoint (read from `engine/src/txn/pages.rs`: `savepoint`,
//!    `remember`, `release`). Counted in bytes allocated by sql-eng-catalog's
//!    `engine/tests/statement_savepoints.rs`: 0 bytes for a savepoint and release around
//!    a statement that writes nothing; about 4.3 KB (one page copy) around a one-row
//!    insert, the same after 10 rows and after 20,000: the cost does not grow with the
//!    transaction. Outside a block the statement's own transaction is its unit, with
//!    no savepoint.

use std::sync::{Arc, Mutex, MutexGuard};

use covet_engine::table::{TableRead, TableWriter};
use covet_engine::{Database, ReadTxn, Savepoint, WriteTxn};

use crate::error::{QueryError, Result, SqlState};
use crate::session::TransactionStatus;

/// A transaction isolation level, by PostgreSQL's names (see the module documentation
/// for what each means in covet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IsolationLevel {
    /// Each statement sees the latest commits (the default).
    ReadCommitted,
    /// One snapshot for the whole block; 40001 if a commit came between its reads and
    /// its first write.
    RepeatableRead,
    /// As REPEATABLE READ (which, with serial writers, is already serializable).
    Serializable,
}

impl IsolationLevel {
    /// The level's name as `SHOW transaction_isolation` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            IsolationLevel::ReadCommitted => "read committed",
            IsolationLevel::RepeatableRead => "repeatable read",
            IsolationLevel::Serializable => "serializable",
        }
    }

    fn one_snapshot(&self) -> bool {
        !matches!(self, IsolationLevel::ReadCommitted)
    }
}

/// The write transaction of a session, shared with the row streams that read through
/// it (each locks it per batch).
pub(crate) type SharedWrite = Arc<Mutex<WriteSlot>>;

/// What the session shares with its streams.
pub(crate) struct WriteSlot {
    /// The write transaction, while one is open.
    pub txn: Option<WriteTxn>,
    /// Counts ended transactions (invariant 2).
    pub generation: u64,
    /// A statement of the current block failed (set by the session or by a stream).
    pub failed: bool,
    /// The schema cookie the write transaction began at: while its cookie is still
    /// this one, it has done no DDL and sees a committed schema.
    pub base_cookie: u64,
}

/// Locks the slot. A panic while it was held cannot leave the write transaction
/// half-changed in a way the engine does not track (the engine fails the transaction
/// itself), so a poisoned lock is taken over.
pub(crate) fn lock(slot: &SharedWrite) -> MutexGuard<'_, WriteSlot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// What a statement reads through.
#[derive(Clone)]
pub(crate) enum Reader {
    /// A snapshot (outside a block, or a block that has not written).
    Snapshot(Arc<ReadTxn>),
    /// The session's write transaction of generation `generation`.
    Write {
        /// The shared slot.
        slot: SharedWrite,
        /// The transaction it must still be.
        generation: u64,
    },
}

impl Reader {
    /// Runs `f` over the tables this reader sees.
    pub fn with_tables<R>(&self, f: impl FnOnce(&dyn TableRead) -> Result<R>) -> Result<R> {
        match self {
            Reader::Snapshot(txn) => f(&txn.tables()),
            Reader::Write { slot, generation } => {
                let mut guard = lock(slot);
                if guard.generation != *generation {
                    return Err(ended());
                }
                let txn = guard.txn.as_mut().ok_or_else(ended)?;
                // The writer hands its catalog cache back when dropped: before `guard`.
                let tables = txn.tables();
                f(&tables)
            }
        }
    }

    /// The schema cookie of what this reader sees, when that schema is a committed
    /// one (a cookie names one committed schema; a write transaction's own DDL gives
    /// cookies that a rollback may reuse for another schema): `None` then.
    pub fn catalog_key(&self) -> Result<Option<u64>> {
        match self {
            Reader::Snapshot(txn) => Ok(Some(txn.schema_cookie())),
            Reader::Write { slot, generation } => {
                let guard = lock(slot);
                match &guard.txn {
                    Some(t) if guard.generation == *generation => {
                        let cookie = t.schema_cookie();
                        Ok((cookie == guard.base_cookie).then_some(cookie))
                    }
                    _ => Err(ended()),
                }
            }
        }
    }
}

fn ended() -> QueryError {
    QueryError::new(
        SqlState::INVALID_TRANSACTION_STATE,
        "the transaction this statement read through has ended",
    )
}

/// A user savepoint: its name, and its engine savepoint once the block wrote.
struct UserSavepoint {
    name: String,
    engine: Option<Savepoint>,
}

/// An open transaction block.
struct Block {
    isolation: IsolationLevel,
    read_only: bool,
    /// REPEATABLE READ / SERIALIZABLE: the block's snapshot, until its first write.
    snapshot: Option<Arc<ReadTxn>>,
    /// Whether a statement other than transaction control ran in the block.
    started: bool,
    savepoints: Vec<UserSavepoint>,
}

/// How a writing statement runs: under a savepoint of the block, or as its own
/// transaction.
pub(crate) enum WriteScope {
    /// Outside a block: commit at the end.
    Own,
    /// Inside a block, under this statement savepoint.
    InBlock(Savepoint),
}

/// One session's transaction state.
pub(crate) struct Transaction {
    db: Database,
    slot: SharedWrite,
    block: Option<Block>,
}

impl Transaction {
    pub fn new(db: Database) -> Transaction {
        Transaction {
            db,
            slot: Arc::new(Mutex::new(WriteSlot {
                txn: None,
                generation: 0,
                failed: false,
                base_cookie: 0,
            })),
            block: None,
        }
    }

    pub fn status(&self) -> TransactionStatus {
        match &self.block {
            None => TransactionStatus::Idle,
            Some(_) if lock(&self.slot).failed => TransactionStatus::Failed,
            Some(_) => TransactionStatus::InTransaction,
        }
    }

    /// The shared slot and its current generation (for streams that mark failures).
    pub fn slot(&self) -> (SharedWrite, u64) {
        let generation = lock(&self.slot).generation;
        (self.slot.clone(), generation)
    }

    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    /// The level of the open block, if any.
    pub fn isolation(&self) -> Option<IsolationLevel> {
        self.block.as_ref().map(|b| b.isolation)
    }

    /// BEGIN. Inside a block, PostgreSQL warns and changes nothing; so does covet.
    pub fn begin(&mut self, isolation: IsolationLevel, read_only: bool) {
        if self.block.is_some() {
            return;
        }
        self.block = Some(Block {
            isolation,
            read_only,
            snapshot: None,
            started: false,
            savepoints: Vec::new(),
        });
    }

    /// `SET TRANSACTION …` / `SET transaction_isolation`: only before the block's
    /// first statement (25001 after it), a warning and no change outside a block.
    pub fn set_characteristics(
        &mut self,
        isolation: Option<IsolationLevel>,
        read_only: Option<bool>,
    ) -> Result<()> {
        let Some(block) = &mut self.block else {
            return Ok(());
        };
        if let Some(level) = isolation {
            if block.started && level != block.isolation {
                return Err(QueryError::new(
                    SqlState::ACTIVE_SQL_TRANSACTION,
                    "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                ));
            }
            block.isolation = level;
        }
        if let Some(ro) = read_only {
            block.read_only = ro;
        }
        Ok(())
    }

    /// Fails with 25P02 when the block failed (everything but ROLLBACK is refused).
    pub fn check_not_failed(&self) -> Result<()> {
        if self.block.is_some() && lock(&self.slot).failed {
            return Err(QueryError::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        Ok(())
    }

    /// Marks the block failed after a statement's error (no effect outside a block).
    pub fn mark_failed(&mut self) {
        if self.block.is_some() {
            lock(&self.slot).failed = true;
        }
    }

    /// After a statement panicked (see `Session`'s guard): a write transaction it opened
    /// outside a block is rolled back, so that the writer lock is free again; a block
    /// fails (ROLLBACK [TO SAVEPOINT] then undoes the statement).
    pub fn abandon_statement(&mut self) {
        if self.block.is_some() {
            self.mark_failed();
            return;
        }
        let mut slot = lock(&self.slot);
        let Some(w) = slot.txn.take() else {
            return;
        };
        slot.generation += 1;
        drop(slot);
        w.rollback();
    }

    /// Ends the block: commits (or rolls back a failed block, as PostgreSQL's COMMIT
    /// does). Returns whether it committed. Outside a block, nothing happens.
    pub fn commit(&mut self) -> Result<bool> {
        let Some(_) = self.block.take() else {
            return Ok(true);
        };
        let mut slot = lock(&self.slot);
        slot.generation += 1;
        let failed = std::mem::take(&mut slot.failed);
        let txn = slot.txn.take();
        drop(slot);
        match txn {
            Some(w) if !failed => {
                w.commit()?;
                Ok(true)
            }
            Some(w) => {
                w.rollback();
                Ok(false)
            }
            None => Ok(!failed),
        }
    }

    /// ROLLBACK: discards the block (nothing happens outside one).
    pub fn rollback(&mut self) {
        if self.block.take().is_none() {
            return;
        }
        let mut slot = lock(&self.slot);
        slot.generation += 1;
        slot.failed = false;
        if let Some(w) = slot.txn.take() {
            w.rollback();
        }
    }

    fn block_mut(&mut self, what: &str) -> Result<&mut Block> {
        self.block.as_mut().ok_or_else(|| {
            QueryError::new(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                format!("{what} can only be used in transaction blocks"),
            )
        })
    }

    /// SAVEPOINT name.
    pub fn savepoint(&mut self, name: &str) -> Result<()> {
        self.block_mut("SAVEPOINT")?;
        let engine = {
            let mut slot = lock(&self.slot);
            match slot.txn.as_mut() {
                Some(w) => Some(w.savepoint()?),
                None => None,
            }
        };
        let block = self.block_mut("SAVEPOINT")?;
        block.savepoints.push(UserSavepoint {
            name: name.to_string(),
            engine,
        });
        Ok(())
    }

    fn find_savepoint(&mut self, what: &str, name: &str) -> Result<usize> {
        let block = self.block_mut(what)?;
        block
            .savepoints
            .iter()
            .rposition(|s| s.name == name)
            .ok_or_else(|| {
                QueryError::new(
                    SqlState::INVALID_SAVEPOINT_SPECIFICATION,
                    format!("savepoint \"{name}\" does not exist"),
                )
            })
    }

    /// RELEASE [SAVEPOINT] name: closes it and those declared after it.
    pub fn release(&mut self, name: &str) -> Result<()> {
        let pos = self.find_savepoint("RELEASE SAVEPOINT", name)?;
        let block = self.block.as_mut().expect("found in the block");
        let sp = block.savepoints[pos].engine;
        block.savepoints.truncate(pos);
        if let Some(sp) = sp {
            let mut slot = lock(&self.slot);
            if let Some(w) = slot.txn.as_mut() {
                w.release(sp)?;
            }
        }
        Ok(())
    }

    /// ROLLBACK TO [SAVEPOINT] name: undoes what followed it (it stays declared,
    /// those after it are gone) and leaves the failed state.
    pub fn rollback_to(&mut self, name: &str) -> Result<()> {
        let pos = self.find_savepoint("ROLLBACK TO SAVEPOINT", name)?;
        let block = self.block.as_mut().expect("found in the block");
        let sp = block.savepoints[pos].engine;
        block.savepoints.truncate(pos + 1);
        let mut slot = lock(&self.slot);
        if let (Some(sp), Some(w)) = (sp, slot.txn.as_mut()) {
            w.rollback_to(sp)?;
        }
        slot.failed = false;
        Ok(())
    }

    /// What a statement being prepared reads the catalog through, without starting
    /// anything: the write transaction, the block's snapshot, or a fresh snapshot.
    pub fn peek_reader(&self) -> Result<Reader> {
        let slot = lock(&self.slot);
        if slot.txn.is_some() {
            return Ok(Reader::Write {
                slot: self.slot.clone(),
                generation: slot.generation,
            });
        }
        if let Some(snap) = self.block.as_ref().and_then(|b| b.snapshot.clone()) {
            return Ok(Reader::Snapshot(snap));
        }
        Ok(Reader::Snapshot(Arc::new(self.db.begin_read()?)))
    }

    /// What the next read-only statement reads through (see the module documentation).
    pub fn reader(&mut self) -> Result<Reader> {
        {
            let slot = lock(&self.slot);
            if slot.txn.is_some() {
                return Ok(Reader::Write {
                    slot: self.slot.clone(),
                    generation: slot.generation,
                });
            }
        }
        let db = self.db.clone();
        match &mut self.block {
            Some(block) => {
                block.started = true;
                if !block.isolation.one_snapshot() {
                    return Ok(Reader::Snapshot(Arc::new(db.begin_read()?)));
                }
                if block.snapshot.is_none() {
                    block.snapshot = Some(Arc::new(db.begin_read()?));
                }
                Ok(Reader::Snapshot(block.snapshot.clone().expect("just set")))
            }
            None => Ok(Reader::Snapshot(Arc::new(db.begin_read()?))),
        }
    }

    /// Prepares a writing statement: takes the writer lock if the session does not
    /// hold it (checking the block's snapshot, 40001), refuses writes in a READ ONLY
    /// block (25006), and opens the statement's savepoint inside a block.
    pub fn begin_write(&mut self) -> Result<WriteScope> {
        let db = self.db.clone();
        let Some(block) = &mut self.block else {
            let w = db.begin_write()?;
            let mut slot = lock(&self.slot);
            slot.base_cookie = w.schema_cookie();
            slot.txn = Some(w);
            return Ok(WriteScope::Own);
        };
        if block.read_only {
            return Err(QueryError::new(
                SqlState::READ_ONLY_SQL_TRANSACTION,
                "cannot execute this statement in a read-only transaction",
            ));
        }
        block.started = true;
        let mut slot = lock(&self.slot);
        if slot.txn.is_none() {
            let mut w = db.begin_write()?;
            if let Some(snapshot) = block.snapshot.take() {
                // The writer lock is held: the newest commit is the write's base.
                let newest = db.begin_read()?.txn_id();
                if newest != snapshot.txn_id() {
                    w.rollback();
                    return Err(QueryError::new(
                        SqlState::SERIALIZATION_FAILURE,
                        "could not serialize access due to concurrent update",
                    )
                    .with_hint("The transaction might succeed if retried."));
                }
            }
            for sp in &mut block.savepoints {
                sp.engine = Some(w.savepoint()?);
            }
            slot.base_cookie = w.schema_cookie();
            slot.txn = Some(w);
        }
        let w = slot.txn.as_mut().expect("present");
        Ok(WriteScope::InBlock(w.savepoint()?))
    }

    /// Runs `f` on the write transaction opened by [`Transaction::begin_write`].
    pub fn with_write<R>(&self, f: impl FnOnce(&mut TableWriter<'_>) -> Result<R>) -> Result<R> {
        let mut slot = lock(&self.slot);
        let w = slot
            .txn
            .as_mut()
            .ok_or_else(|| QueryError::internal("no write transaction is open"))?;
        // The writer hands its catalog cache back when dropped: before `slot`.
        let mut tables = w.tables();
        f(&mut tables)
    }

    /// A reader over the write transaction opened by [`Transaction::begin_write`].
    pub fn write_reader(&self) -> Reader {
        let generation = lock(&self.slot).generation;
        Reader::Write {
            slot: self.slot.clone(),
            generation,
        }
    }

    /// Ends a writing statement: outside a block, commits (on success) or rolls back;
    /// inside one, releases its savepoint or rolls back to it (the block then fails).
    pub fn end_write(&mut self, scope: WriteScope, ok: bool) -> Result<()> {
        match scope {
            WriteScope::Own => {
                let mut slot = lock(&self.slot);
                slot.generation += 1;
                let w = slot.txn.take();
                drop(slot);
                match w {
                    Some(w) if ok => w.commit()?,
                    Some(w) => w.rollback(),
                    None => {}
                }
                Ok(())
            }
            WriteScope::InBlock(sp) => {
                let mut slot = lock(&self.slot);
                if let Some(w) = slot.txn.as_mut() {
                    if !ok {
                        w.rollback_to(sp)?;
                    }
                    w.release(sp)?;
                }
                if !ok {
                    slot.failed = true;
                }
                Ok(())
            }
        }
    }

    /// Runs VACUUM (outside a block only: 25001 inside).
    pub fn vacuum(&mut self) -> Result<()> {
        if self.block.is_some() {
            return Err(QueryError::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "VACUUM cannot run inside a transaction block",
            ));
        }
        self.db.vacuum()?;
        Ok(())
    }
}
