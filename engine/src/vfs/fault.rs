//! [`FaultVfs`]: an in-memory file system that fails on purpose, for crash tests
//! and fuzzing.
//!
//! Every file keeps two images: the *live* bytes, which reads see, and the
//! *durable* bytes, which survived the file's last successful `sync`, plus the
//! list of mutations made since then (`write_at` and `set_len`, in order). So at
//! any moment [`FaultVfs::crash_image`] can build the file system that a power
//! cut would leave, under a chosen [`CrashMode`]: unsynced writes dropped, kept,
//! the last one torn, or a random subset of their sectors landing.
//!
//! Directory entries are volatile too, as on a real file system: the file system
//! keeps the *live* names, which `open`, `exists` and `remove` see, and the
//! *durable* names, which survived the last [`Vfs::sync_dir`] of their directory.
//! A crash image holds exactly the durable names: a file created since the last
//! sync of its directory is absent, a file removed since then is still there
//! (with its durable bytes and the unsynced writes the crash mode lets through).
//! This holds under every [`CrashMode`]: the modes choose among unsynced *writes*;
//! an unsynced name is a different question, and the strict answer (the entry is
//! lost) is the one that makes the crash suite find a missing directory sync.
//! There is no rename in [`Vfs`], so none is modelled.
//!
//! Faults are armed by a [`FaultConfig`]. One global counter numbers every
//! mutating call (`write_at`, `sync`, `set_len`, `sync_dir`) from 1; the call
//! whose number is `fail_after_ops` fails with EIO or ENOSPC, or is the moment the
//! power goes out ([`FaultKind::PowerCut`]): it does not happen, and every later
//! call, reads included, fails with EIO until the test takes a crash image and
//! reopens the database on it. Reads never count and never fail on a live VFS.
//!
//! Invariants, per file:
//! - `live` equals `durable` with every entry of `unsynced` applied in order.
//! - `unsynced` is empty right after a successful `sync`.
//! - A node lives while a live name, a durable name or a handle refers to it.
//!
//! Simplifications: `SyncKind::Data` and `SyncKind::Full` are alike (both make
//! the file's bytes durable, neither its name), and creating or removing a file
//! is not a counted call (it cannot fail or be cut; the volatile name models what
//! a cut right after it would leave).

use super::memory::{self, MemoryVfs};
use super::{OpenMode, SyncKind, Vfs, VfsFile};
use parking_lot::Mutex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `EIO` on Linux and the BSDs. The raw value keeps `libc` out of the build.
const EIO: i32 = 5;
/// `ENOSPC` on Linux and the BSDs.
const ENOSPC: i32 = 28;

/// The failure that an armed [`FaultConfig`] injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaultKind {
    /// The call fails with EIO (raw OS error 5) and has no effect.
    #[default]
    Eio,
    /// The call fails with ENOSPC (raw OS error 28) and has no effect.
    Enospc,
    /// The power goes out: the call does not happen (but see
    /// [`FaultConfig::torn_write`]), it and every later call fail with EIO, and
    /// only [`FaultVfs::crash_image`] still works.
    PowerCut,
}

/// When and how a [`FaultVfs`] fails. The default injects nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultConfig {
    /// The number (from 1) of the mutating call that fails: `Some(1)` fails the
    /// first `write_at`, `sync` or `set_len`. `None` and `Some(0)` never fail.
    pub fail_after_ops: Option<u64>,
    /// What happens at that call.
    pub fault: FaultKind,
    /// For [`FaultKind::Eio`] and [`FaultKind::Enospc`]: every mutating call after
    /// the failing one fails too (a dead disk, a full disk), instead of only that
    /// one (a transient fault). A power cut is always for good.
    pub sticky: bool,
    /// For [`FaultKind::PowerCut`] on a `write_at`: the first half of the bytes
    /// (`len / 2`) reach the live image as an unsynced write, so crash images
    /// that keep unsynced writes can show a torn write.
    pub torn_write: bool,
}

impl FaultConfig {
    /// A configuration that injects `fault` at the `n`th mutating call (from 1),
    /// not sticky, not torn.
    pub fn at(n: u64, fault: FaultKind) -> Self {
        Self {
            fail_after_ops: Some(n),
            fault,
            ..Self::default()
        }
    }
}

/// Which unsynced mutations a power cut lets through. Whatever the mode, synced
/// data is always there, in the files whose names are durable (see the module
/// comment: every mode keeps exactly the durable names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashMode {
    /// Every file is its durable image: nothing unsynced survives.
    DropUnsynced,
    /// Every unsynced mutation survives: every file is its live image.
    KeepUnsynced,
    /// Every unsynced mutation survives except the last unsynced `write_at` of the
    /// whole VFS, of which only the first `keep_bytes` bytes land (all of it if
    /// shorter). With no unsynced write this is [`CrashMode::KeepUnsynced`].
    TornLastWrite {
        /// How many leading bytes of the last write land.
        keep_bytes: usize,
    },
    /// Every unsynced write is cut into pieces at multiples of `sector` (absolute
    /// file offsets); each piece lands or not with probability 1/2, and so does
    /// each unsynced `set_len`. Landed pieces apply in write order. The choices
    /// come from `StdRng::seed_from_u64(seed)`, drawn in global write order, so
    /// one seed always gives one image (for a given version of `rand`).
    ///
    /// # Panics
    ///
    /// [`FaultVfs::crash_image`] panics if `sector` is 0.
    RandomSubset {
        /// Seeds the choices.
        seed: u64,
        /// The size of the all-or-nothing pieces, in bytes.
        sector: usize,
    },
}

/// A fault-injecting in-memory file system. Clones share files, counter and
/// configuration; all methods take `&self`.
#[derive(Clone)]
pub struct FaultVfs {
    state: Arc<Mutex<State>>,
}

/// Everything behind the one lock: a `FaultVfs` is for tests, and one lock
/// makes "the last write of the whole VFS" and the op counter exact.
struct State {
    config: FaultConfig,
    /// Mutating calls so far (since the last `reset_counter`).
    ops: u64,
    /// The power went out.
    dead: bool,
    /// The linked files by name (the live directory entries).
    names: HashMap<PathBuf, NodeId>,
    /// The directory entries as of the last `sync_dir` of each directory: what a
    /// crash image holds.
    durable_names: HashMap<PathBuf, NodeId>,
    /// Successful `sync_dir` calls so far.
    dir_syncs: u64,
    /// Every file still named or still open.
    nodes: HashMap<NodeId, Node>,
    next_node: NodeId,
    next_handle: u64,
    /// Orders unsynced mutations across all files.
    next_seq: u64,
}

type NodeId = u64;

/// One file.
struct Node {
    live: Vec<u8>,
    durable: Vec<u8>,
    /// Mutations since the last successful sync, oldest first.
    unsynced: Vec<Unsynced>,
    /// The id of the handle holding the exclusive lock, if any.
    lock_owner: Option<u64>,
    /// Open handles; a removed file goes away with its last handle.
    handles: usize,
    /// Whether a name still points at this file.
    linked: bool,
}

/// An unsynced mutation and its place in the global order.
struct Unsynced {
    seq: u64,
    op: Mutation,
}

enum Mutation {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

/// What a mutating call may do, once counted.
enum Verdict {
    Proceed,
    Fail(io::Error),
    PowerCut,
}

impl FaultVfs {
    /// An empty file system armed with `config`.
    pub fn new(config: FaultConfig) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                config,
                ops: 0,
                dead: false,
                names: HashMap::new(),
                durable_names: HashMap::new(),
                dir_syncs: 0,
                nodes: HashMap::new(),
                next_node: 0,
                next_handle: 0,
                next_seq: 0,
            })),
        }
    }

    /// A file system holding a copy of every file in `files`, all durable (bytes
    /// and names), armed
    /// with `config`: to crash again while recovering from a crash image.
    pub fn with_files(files: &MemoryVfs, config: FaultConfig) -> Self {
        let vfs = Self::new(config);
        {
            let mut state = vfs.state.lock();
            for path in files.paths() {
                let bytes = files.file_bytes(&path).unwrap_or_default();
                let id = state.create(path.clone());
                state.durable_names.insert(path, id);
                let node = state.node_mut(id);
                node.durable.clone_from(&bytes);
                node.live = bytes;
            }
        }
        vfs
    }

    /// The file system a power cut at this moment would leave, as `mode` says.
    /// Works on a dead VFS too: that is its point.
    ///
    /// # Panics
    ///
    /// If `mode` is [`CrashMode::RandomSubset`] with a `sector` of 0.
    pub fn crash_image(&self, mode: CrashMode) -> MemoryVfs {
        if let CrashMode::RandomSubset { sector, .. } = mode {
            assert!(sector > 0, "CrashMode::RandomSubset needs a sector > 0");
        }
        let state = self.state.lock();
        let mut paths: Vec<(&PathBuf, NodeId)> = state
            .durable_names
            .iter()
            .map(|(path, &id)| (path, id))
            .collect();
        paths.sort();
        // Without rename a node has one name at most, so images are per name.
        let mut images: HashMap<NodeId, Vec<u8>> = paths
            .iter()
            .map(|&(_, id)| (id, state.nodes[&id].durable.clone()))
            .collect();

        let mut unsynced: Vec<(NodeId, &Unsynced)> = paths
            .iter()
            .flat_map(|&(_, id)| state.nodes[&id].unsynced.iter().map(move |u| (id, u)))
            .collect();
        unsynced.sort_by_key(|(_, u)| u.seq);

        match mode {
            CrashMode::DropUnsynced => {}
            CrashMode::KeepUnsynced => {
                for (id, u) in &unsynced {
                    apply(images.get_mut(id).expect("named"), &u.op);
                }
            }
            CrashMode::TornLastWrite { keep_bytes } => {
                let last_write = unsynced
                    .iter()
                    .rev()
                    .find(|(_, u)| matches!(u.op, Mutation::Write { .. }))
                    .map(|(_, u)| u.seq);
                for (id, u) in &unsynced {
                    let image = images.get_mut(id).expect("named");
                    match &u.op {
                        Mutation::Write { offset, data } if Some(u.seq) == last_write => {
                            let kept = &data[..keep_bytes.min(data.len())];
                            apply_write(image, kept, *offset);
                        }
                        op => apply(image, op),
                    }
                }
            }
            CrashMode::RandomSubset { seed, sector } => {
                let mut rng = StdRng::seed_from_u64(seed);
                for (id, u) in &unsynced {
                    let image = images.get_mut(id).expect("named");
                    match &u.op {
                        Mutation::Write { offset, data } => {
                            for (piece_offset, piece) in sector_pieces(*offset, data, sector) {
                                if rng.gen_bool(0.5) {
                                    apply_write(image, piece, piece_offset);
                                }
                            }
                        }
                        op @ Mutation::SetLen(_) => {
                            if rng.gen_bool(0.5) {
                                apply(image, op);
                            }
                        }
                    }
                }
            }
        }

        let out = MemoryVfs::new();
        for (path, id) in paths {
            out.set_file_bytes(path, images.remove(&id).expect("built above"));
        }
        out
    }

    /// Successful [`Vfs::sync_dir`] calls so far (not reset by
    /// [`FaultVfs::reset_counter`]).
    pub fn dir_syncs(&self) -> u64 {
        self.state.lock().dir_syncs
    }

    /// Mutating calls counted so far (since the last [`FaultVfs::reset_counter`]).
    pub fn ops(&self) -> u64 {
        self.state.lock().ops
    }

    /// Whether a [`FaultKind::PowerCut`] has happened.
    pub fn is_dead(&self) -> bool {
        self.state.lock().dead
    }

    /// Re-arms (or with `None` disarms) the fault at the `n`th mutating call,
    /// counted on the same counter as before. A dead VFS stays dead.
    pub fn set_fail_after(&self, n: Option<u64>) {
        self.state.lock().config.fail_after_ops = n;
    }

    /// Sets the op counter back to 0, so the armed fault is again
    /// `fail_after_ops` calls away (and a sticky fault stops failing until then).
    pub fn reset_counter(&self) {
        self.state.lock().ops = 0;
    }
}

impl fmt::Debug for FaultVfs {
    /// Configuration, counter and file names with sizes; not the bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock();
        let mut files: Vec<(&PathBuf, usize, usize, usize)> = state
            .names
            .iter()
            .map(|(path, id)| {
                let node = &state.nodes[id];
                (
                    path,
                    node.live.len(),
                    node.durable.len(),
                    node.unsynced.len(),
                )
            })
            .collect();
        files.sort();
        f.debug_struct("FaultVfs")
            .field("config", &state.config)
            .field("ops", &state.ops)
            .field("dead", &state.dead)
            .field("files (path, live, durable, unsynced)", &files)
            .finish()
    }
}

impl Vfs for FaultVfs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn VfsFile>> {
        let mut state = self.state.lock();
        state.check_alive()?;
        let node = match (state.names.get(path).copied(), mode) {
            (Some(_), OpenMode::CreateNew) => return Err(memory::already_exists(path)),
            (Some(id), _) => id,
            (None, OpenMode::Existing) => return Err(memory::not_found(path)),
            (None, OpenMode::CreateIfMissing | OpenMode::CreateNew) => {
                state.create(path.to_path_buf())
            }
        };
        state.node_mut(node).handles += 1;
        let id = state.next_handle;
        state.next_handle += 1;
        Ok(Box::new(FaultFile {
            state: Arc::clone(&self.state),
            node,
            path: path.to_path_buf(),
            id,
        }))
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        let state = self.state.lock();
        state.check_alive()?;
        Ok(state.names.contains_key(path))
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.check_alive()?;
        let id = state
            .names
            .remove(path)
            .ok_or_else(|| memory::not_found(path))?;
        state.node_mut(id).linked = false;
        state.free_if_unreferenced(id);
        Ok(())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state.lock();
        state.check_alive()?;
        match state.count_op() {
            Verdict::Proceed => {
                let dir = path.parent();
                let gone: Vec<NodeId> = state
                    .durable_names
                    .iter()
                    .filter(|(p, _)| p.parent() == dir)
                    .map(|(_, &id)| id)
                    .collect();
                state.durable_names.retain(|p, _| p.parent() != dir);
                let live: Vec<(PathBuf, NodeId)> = state
                    .names
                    .iter()
                    .filter(|(p, _)| p.parent() == dir)
                    .map(|(p, &id)| (p.clone(), id))
                    .collect();
                state.durable_names.extend(live);
                for id in gone {
                    state.free_if_unreferenced(id);
                }
                state.dir_syncs += 1;
                Ok(())
            }
            Verdict::Fail(err) => Err(err),
            Verdict::PowerCut => Err(io::Error::from_raw_os_error(EIO)),
        }
    }
}

impl State {
    fn check_alive(&self) -> io::Result<()> {
        if self.dead {
            Err(io::Error::from_raw_os_error(EIO))
        } else {
            Ok(())
        }
    }

    /// Counts one mutating call and says whether it may run.
    fn count_op(&mut self) -> Verdict {
        self.ops += 1;
        let fires = match self.config.fail_after_ops {
            Some(n) if n > 0 => self.ops == n || (self.config.sticky && self.ops > n),
            _ => false,
        };
        if !fires {
            return Verdict::Proceed;
        }
        match self.config.fault {
            FaultKind::Eio => Verdict::Fail(io::Error::from_raw_os_error(EIO)),
            FaultKind::Enospc => Verdict::Fail(io::Error::from_raw_os_error(ENOSPC)),
            FaultKind::PowerCut => {
                self.dead = true;
                Verdict::PowerCut
            }
        }
    }

    /// Frees node `id` once no live name, durable name or handle refers to it.
    fn free_if_unreferenced(&mut self, id: NodeId) {
        let Some(node) = self.nodes.get(&id) else {
            return;
        };
        if node.handles == 0 && !node.linked && !self.durable_names.values().any(|&d| d == id) {
            self.nodes.remove(&id);
        }
    }

    /// Creates an empty, linked file at `path` (its name not durable yet).
    fn create(&mut self, path: PathBuf) -> NodeId {
        let id = self.next_node;
        self.next_node += 1;
        self.nodes.insert(
            id,
            Node {
                live: Vec::new(),
                durable: Vec::new(),
                unsynced: Vec::new(),
                lock_owner: None,
                handles: 0,
                linked: true,
            },
        );
        self.names.insert(path, id);
        id
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[&id]
    }

    fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.nodes
            .get_mut(&id)
            .expect("a node outlives its handles")
    }

    /// Applies `op` to the live image and records it as unsynced.
    fn mutate(&mut self, id: NodeId, op: Mutation) -> io::Result<()> {
        let seq = self.next_seq;
        let node = self.node_mut(id);
        match &op {
            Mutation::Write { offset, data } => {
                if data.is_empty() {
                    return Ok(());
                }
                memory::write_into(&mut node.live, data, *offset)?;
            }
            Mutation::SetLen(len) => memory::resize(&mut node.live, *len)?,
        }
        node.unsynced.push(Unsynced { seq, op });
        self.next_seq += 1;
        Ok(())
    }
}

/// An open handle on a [`Node`].
struct FaultFile {
    state: Arc<Mutex<State>>,
    node: NodeId,
    path: PathBuf,
    /// Identifies this handle as a lock owner.
    id: u64,
}

impl fmt::Debug for FaultFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultFile")
            .field("path", &self.path)
            .field("id", &self.id)
            .finish()
    }
}

impl VfsFile for FaultFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let state = self.state.lock();
        state.check_alive()?;
        memory::read_from(&state.node(self.node).live, buf, offset)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut state = self.state.lock();
        state.check_alive()?;
        match state.count_op() {
            Verdict::Proceed => state.mutate(
                self.node,
                Mutation::Write {
                    offset,
                    data: buf.to_vec(),
                },
            ),
            Verdict::Fail(err) => Err(err),
            Verdict::PowerCut => {
                if state.config.torn_write {
                    let data = buf[..buf.len() / 2].to_vec();
                    // The machine is dead either way; a torn half that cannot be
                    // held in memory just does not land.
                    let _ = state.mutate(self.node, Mutation::Write { offset, data });
                }
                Err(io::Error::from_raw_os_error(EIO))
            }
        }
    }

    fn sync(&self, _kind: SyncKind) -> io::Result<()> {
        let mut state = self.state.lock();
        state.check_alive()?;
        match state.count_op() {
            Verdict::Proceed => {
                let node = state.node_mut(self.node);
                for u in node.unsynced.drain(..) {
                    apply(&mut node.durable, &u.op);
                }
                debug_assert_eq!(node.durable.len(), node.live.len());
                Ok(())
            }
            Verdict::Fail(err) => Err(err),
            Verdict::PowerCut => Err(io::Error::from_raw_os_error(EIO)),
        }
    }

    fn size(&self) -> io::Result<u64> {
        let state = self.state.lock();
        state.check_alive()?;
        Ok(state.node(self.node).live.len() as u64)
    }

    fn set_len(&self, size: u64) -> io::Result<()> {
        let mut state = self.state.lock();
        state.check_alive()?;
        match state.count_op() {
            Verdict::Proceed => state.mutate(self.node, Mutation::SetLen(size)),
            Verdict::Fail(err) => Err(err),
            Verdict::PowerCut => Err(io::Error::from_raw_os_error(EIO)),
        }
    }

    fn try_lock_exclusive(&self) -> io::Result<bool> {
        let mut state = self.state.lock();
        state.check_alive()?;
        let node = state.node_mut(self.node);
        Ok(memory::try_lock(&mut node.lock_owner, self.id))
    }
}

impl Drop for FaultFile {
    fn drop(&mut self) {
        let mut state = self.state.lock();
        let node = state.node_mut(self.node);
        memory::unlock(&mut node.lock_owner, self.id);
        node.handles -= 1;
        state.free_if_unreferenced(self.node);
    }
}

/// Applies one mutation to an image. Every mutation was applied to the live
/// image once already, so it fits in memory.
fn apply(image: &mut Vec<u8>, op: &Mutation) {
    match op {
        Mutation::Write { offset, data } => apply_write(image, data, *offset),
        Mutation::SetLen(len) => {
            memory::resize(image, *len).expect("the live image held this length");
        }
    }
}

fn apply_write(image: &mut Vec<u8>, data: &[u8], offset: u64) {
    memory::write_into(image, data, offset).expect("the live image held this write");
}

/// Cuts a write at `offset` into pieces that end at multiples of `sector`.
fn sector_pieces(offset: u64, data: &[u8], sector: usize) -> impl Iterator<Item = (u64, &[u8])> {
    let sector = sector as u64;
    let mut start = 0usize;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let at = offset + start as u64;
        let room = sector - at % sector;
        let len =
            usize::try_from(room).map_or(data.len() - start, |room| room.min(data.len() - start));
        let piece = (at, &data[start..start + len]);
        start += len;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(name: &str) -> &Path {
        Path::new(name)
    }

    fn raw(err: &io::Error) -> Option<i32> {
        err.raw_os_error()
    }

    fn bytes(image: &MemoryVfs, path: &str) -> Vec<u8> {
        image.file_bytes(path).expect("file in image")
    }

    /// Creates `name` with a durable name, without a counted call: the tests of
    /// file contents then number their ops as before directories were modelled.
    fn create(vfs: &FaultVfs, name: &str) -> Box<dyn VfsFile> {
        let f = vfs.open(p(name), OpenMode::CreateNew).unwrap();
        let mut state = vfs.state.lock();
        let id = state.names[p(name)];
        state.durable_names.insert(PathBuf::from(name), id);
        f
    }

    #[test]
    fn created_files_are_absent_until_their_directory_is_synced() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = vfs.open(p("dir/db"), OpenMode::CreateNew).unwrap();
        f.write_at(b"data", 0).unwrap();
        f.sync(SyncKind::Full).unwrap();
        for mode in [CrashMode::DropUnsynced, CrashMode::KeepUnsynced] {
            assert!(vfs.crash_image(mode).paths().is_empty(), "{mode:?}");
        }
        // A sync of another directory does not help.
        vfs.sync_dir(p("other/x")).unwrap();
        assert!(vfs.crash_image(CrashMode::KeepUnsynced).paths().is_empty());
        vfs.sync_dir(p("dir/anything")).unwrap();
        assert_eq!(vfs.dir_syncs(), 2);
        assert_eq!(vfs.ops(), 4, "a directory sync is a counted call");
        let image = vfs.crash_image(CrashMode::DropUnsynced);
        assert_eq!(image.paths(), vec![PathBuf::from("dir/db")]);
        assert_eq!(bytes(&image, "dir/db"), b"data");
        // Bytes written after the directory sync follow the file's own syncs.
        f.write_at(b"DA", 0).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "dir/db"),
            b"data"
        );
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "dir/db"),
            b"DAta"
        );
    }

    #[test]
    fn removed_files_come_back_until_their_directory_is_synced() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = vfs.open(p("db"), OpenMode::CreateNew).unwrap();
        f.write_at(b"old", 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        vfs.sync_dir(p("db")).unwrap();
        f.write_at(b"O", 0).unwrap();
        drop(f);
        vfs.remove(p("db")).unwrap();
        assert!(!vfs.exists(p("db")).unwrap());
        // A new file under the same name is another file.
        let g = vfs.open(p("db"), OpenMode::CreateNew).unwrap();
        g.write_at(b"new", 0).unwrap();
        g.sync(SyncKind::Data).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "db"),
            b"old"
        );
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "db"),
            b"Old"
        );
        vfs.sync_dir(p("db")).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "db"),
            b"new"
        );
        assert_eq!(vfs.state.lock().nodes.len(), 1, "the old file is freed");
        // Removed and synced: gone.
        drop(g);
        vfs.remove(p("db")).unwrap();
        assert_eq!(vfs.crash_image(CrashMode::DropUnsynced).paths().len(), 1);
        vfs.sync_dir(p("db")).unwrap();
        assert!(vfs.crash_image(CrashMode::KeepUnsynced).paths().is_empty());
        assert!(vfs.state.lock().nodes.is_empty());
    }

    #[test]
    fn a_failed_or_cut_directory_sync_makes_nothing_durable() {
        let vfs = FaultVfs::new(FaultConfig::at(2, FaultKind::Eio));
        let f = vfs.open(p("db"), OpenMode::CreateNew).unwrap();
        f.sync(SyncKind::Data).unwrap(); // op 1
        assert_eq!(raw(&vfs.sync_dir(p("db")).unwrap_err()), Some(EIO)); // op 2
        assert_eq!(vfs.dir_syncs(), 0);
        assert!(vfs.crash_image(CrashMode::KeepUnsynced).paths().is_empty());

        let vfs = FaultVfs::new(FaultConfig::at(1, FaultKind::PowerCut));
        vfs.open(p("db"), OpenMode::CreateNew).unwrap();
        assert!(vfs.sync_dir(p("db")).is_err());
        assert!(vfs.is_dead());
        assert!(vfs.crash_image(CrashMode::KeepUnsynced).paths().is_empty());
        assert!(vfs.sync_dir(p("db")).is_err(), "dead");
    }

    #[test]
    fn drop_unsynced_keeps_exactly_the_synced_writes() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "db");
        f.write_at(b"first", 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        f.write_at(b"SECOND", 2).unwrap();

        let mut live = [0u8; 8];
        f.read_at(&mut live, 0).unwrap();
        assert_eq!(&live, b"fiSECOND");

        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "db"),
            b"first"
        );
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "db"),
            b"fiSECOND"
        );

        f.sync(SyncKind::Full).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "db"),
            b"fiSECOND"
        );
        assert_eq!(vfs.ops(), 4);
    }

    #[test]
    fn sync_is_per_file() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let a = create(&vfs, "a");
        let b = create(&vfs, "b");
        a.write_at(b"aaaa", 0).unwrap();
        b.write_at(b"bbbb", 0).unwrap();
        a.sync(SyncKind::Data).unwrap();

        let image = vfs.crash_image(CrashMode::DropUnsynced);
        assert_eq!(image.paths(), vec![PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(bytes(&image, "a"), b"aaaa");
        assert_eq!(bytes(&image, "b"), b"", "created files survive, empty");

        // A sync through another handle on the same file covers this one's writes.
        let b2 = vfs.open(p("b"), OpenMode::Existing).unwrap();
        b2.sync(SyncKind::Data).unwrap();
        let image = vfs.crash_image(CrashMode::DropUnsynced);
        assert_eq!(bytes(&image, "b"), b"bbbb");
    }

    #[test]
    fn torn_last_write_tears_only_the_last_write_of_the_vfs() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let a = create(&vfs, "a");
        let b = create(&vfs, "b");
        a.write_at(b"........", 0).unwrap();
        a.sync(SyncKind::Data).unwrap();
        a.write_at(b"AAAA", 2).unwrap();
        b.write_at(b"BBBBBB", 0).unwrap();
        a.set_len(7).unwrap();

        let image = vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 2 });
        assert_eq!(bytes(&image, "a"), b"..AAAA.");
        assert_eq!(bytes(&image, "b"), b"BB");

        let image = vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 0 });
        assert_eq!(bytes(&image, "b"), b"");

        // Keeping more than the write has keeps all of it.
        let image = vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 100 });
        assert_eq!(bytes(&image, "b"), b"BBBBBB");

        // Once b is synced, the last unsynced write is a's.
        b.sync(SyncKind::Data).unwrap();
        let image = vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 1 });
        assert_eq!(bytes(&image, "a"), b"..A....");
        assert_eq!(bytes(&image, "b"), b"BBBBBB");

        // With no unsynced write at all, nothing is torn.
        a.sync(SyncKind::Data).unwrap();
        let image = vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 1 });
        assert_eq!(bytes(&image, "a"), b"..AAAA.");
    }

    #[test]
    fn torn_write_into_the_gap_past_the_end() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        f.write_at(b"ab", 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        f.write_at(b"xyz", 4).unwrap();
        let image = vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 1 });
        assert_eq!(bytes(&image, "f"), b"ab\0\0x");
        let image = vfs.crash_image(CrashMode::DropUnsynced);
        assert_eq!(bytes(&image, "f"), b"ab");
    }

    #[test]
    fn set_len_is_durable_only_after_sync() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        f.write_at(b"abcdef", 0).unwrap();
        f.sync(SyncKind::Data).unwrap();

        f.set_len(2).unwrap();
        assert_eq!(f.size().unwrap(), 2);
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "f"),
            b"abcdef"
        );
        assert_eq!(bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "f"), b"ab");

        // Cut then regrow: the regrown bytes are zeros, not the old bytes.
        f.set_len(4).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "f"),
            b"ab\0\0"
        );
        f.sync(SyncKind::Full).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "f"),
            b"ab\0\0"
        );
    }

    #[test]
    fn read_past_eof_is_unexpected_eof() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        f.write_at(&[1, 2, 3, 4], 0).unwrap();
        for (len, offset) in [(1, 4), (2, 3), (5, 0), (1, u64::MAX)] {
            let mut buf = vec![0u8; len];
            let err = f.read_at(&mut buf, offset).unwrap_err();
            assert_eq!(
                err.kind(),
                io::ErrorKind::UnexpectedEof,
                "{len} at {offset}"
            );
        }
        assert_eq!(vfs.ops(), 1, "reads are not ops");
    }

    /// The image RandomSubset must build, computed independently: sector-sized
    /// pieces at absolute offsets, one coin per piece in write order.
    fn expected_random_subset(
        seed: u64,
        sector: u64,
        durable: &[u8],
        writes: &[(u64, &[u8])],
    ) -> Vec<u8> {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut image = durable.to_vec();
        for &(offset, data) in writes {
            let mut pos = offset;
            let end = offset + data.len() as u64;
            while pos < end {
                let piece_end = ((pos / sector + 1) * sector).min(end);
                if rng.gen_bool(0.5) {
                    if image.len() < piece_end as usize {
                        image.resize(piece_end as usize, 0);
                    }
                    image[pos as usize..piece_end as usize].copy_from_slice(
                        &data[(pos - offset) as usize..(piece_end - offset) as usize],
                    );
                }
                pos = piece_end;
            }
        }
        image
    }

    #[test]
    fn random_subset_is_exact_and_deterministic() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        let durable = [b'.'; 12];
        f.write_at(&durable, 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        let w1: &[u8] = b"ABCDEFGHIJ"; // 3..13: pieces 3..4, 4..8, 8..12, 12..13
        let w2: &[u8] = b"xyz"; // 9..12: one piece
        let w3: &[u8] = b"0123456789"; // 14..24, past the end
        f.write_at(w1, 3).unwrap();
        f.write_at(w2, 9).unwrap();
        f.write_at(w3, 14).unwrap();

        let mut seen = std::collections::HashSet::new();
        for seed in 0..64 {
            let mode = CrashMode::RandomSubset { seed, sector: 4 };
            let image = bytes(&vfs.crash_image(mode), "f");
            assert_eq!(image, bytes(&vfs.crash_image(mode), "f"), "seed {seed}");
            let expected = expected_random_subset(seed, 4, &durable, &[(3, w1), (9, w2), (14, w3)]);
            assert_eq!(image, expected, "seed {seed}");
            seen.insert(image);
        }
        // 64 seeds over 2^8 outcomes: the choices really vary.
        assert!(seen.len() > 16, "{} distinct images", seen.len());
    }

    #[test]
    fn random_subset_pieces_are_all_or_nothing() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        f.write_at(&[0u8; 4096], 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        f.write_at(&[1u8; 4096], 0).unwrap();
        f.write_at(&[2u8; 1024], 4096).unwrap();
        let mut landed_counts = Vec::new();
        for seed in 0..8 {
            let image = bytes(
                &vfs.crash_image(CrashMode::RandomSubset { seed, sector: 512 }),
                "f",
            );
            assert_eq!(image.len() % 512, 0);
            assert!(image.len() >= 4096);
            for (i, chunk) in image.chunks(512).enumerate() {
                let value = if i < 8 { [0, 1] } else { [0, 2] };
                assert!(
                    value.iter().any(|&v| chunk.iter().all(|&b| b == v)),
                    "seed {seed}, sector {i} mixed"
                );
            }
            landed_counts.push(image[..4096].chunks(512).filter(|c| c[0] == 1).count());
        }
        assert!(
            landed_counts.iter().any(|&n| n > 0 && n < 8),
            "{landed_counts:?}"
        );
    }

    #[test]
    fn random_subset_may_keep_or_drop_set_len() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        f.write_at(b"abcdef", 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        f.set_len(2).unwrap();
        let mut outcomes = std::collections::BTreeSet::new();
        for seed in 0..32 {
            let image = bytes(
                &vfs.crash_image(CrashMode::RandomSubset { seed, sector: 512 }),
                "f",
            );
            let mut rng = StdRng::seed_from_u64(seed);
            let expected: &[u8] = if rng.gen_bool(0.5) { b"ab" } else { b"abcdef" };
            assert_eq!(image, expected, "seed {seed}");
            outcomes.insert(image);
        }
        assert_eq!(outcomes.len(), 2);
    }

    #[test]
    #[should_panic(expected = "sector > 0")]
    fn random_subset_rejects_sector_zero() {
        FaultVfs::new(FaultConfig::default())
            .crash_image(CrashMode::RandomSubset { seed: 0, sector: 0 });
    }

    #[test]
    fn transient_eio_fails_one_call_only() {
        let vfs = FaultVfs::new(FaultConfig::at(3, FaultKind::Eio));
        let f = create(&vfs, "f");
        f.write_at(b"one", 0).unwrap(); // op 1
        f.sync(SyncKind::Data).unwrap(); // op 2
        let mut buf = [0u8; 3];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(f.size().unwrap(), 3);
        assert_eq!(vfs.ops(), 2);

        let err = f.write_at(b"two", 3).unwrap_err(); // op 3
        assert_eq!(raw(&err), Some(EIO));
        assert_eq!(f.size().unwrap(), 3, "the failed write did nothing");
        assert_eq!(vfs.ops(), 3);

        f.write_at(b"TWO", 3).unwrap(); // op 4
        f.set_len(7).unwrap(); // op 5
        f.sync(SyncKind::Full).unwrap(); // op 6
        assert_eq!(vfs.ops(), 6);
        assert!(!vfs.is_dead());
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "f"),
            b"oneTWO\0"
        );
    }

    #[test]
    fn failed_sync_and_set_len_do_nothing() {
        let vfs = FaultVfs::new(FaultConfig::at(2, FaultKind::Eio));
        let f = create(&vfs, "f");
        f.write_at(b"data", 0).unwrap();
        assert_eq!(raw(&f.sync(SyncKind::Data).unwrap_err()), Some(EIO));
        assert_eq!(bytes(&vfs.crash_image(CrashMode::DropUnsynced), "f"), b"");

        vfs.set_fail_after(Some(3));
        assert_eq!(raw(&f.set_len(1).unwrap_err()), Some(EIO));
        assert_eq!(f.size().unwrap(), 4);
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "f"),
            b"data"
        );
    }

    #[test]
    fn sticky_enospc_fails_every_later_mutation() {
        let vfs = FaultVfs::new(FaultConfig {
            sticky: true,
            ..FaultConfig::at(2, FaultKind::Enospc)
        });
        let f = create(&vfs, "f");
        f.write_at(b"ok", 0).unwrap();
        for _ in 0..3 {
            let err = f.write_at(b"no", 2).unwrap_err();
            assert_eq!(raw(&err), Some(ENOSPC));
            assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        }
        assert_eq!(raw(&f.sync(SyncKind::Data).unwrap_err()), Some(ENOSPC));
        assert_eq!(raw(&f.set_len(0).unwrap_err()), Some(ENOSPC));
        assert_eq!(vfs.ops(), 6);

        // Reads, opens and locks still work.
        let mut buf = [0u8; 2];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"ok");
        assert!(f.try_lock_exclusive().unwrap());
        vfs.open(p("g"), OpenMode::CreateNew).unwrap();

        // Resetting the counter gives one good call before the fault is due again.
        vfs.reset_counter();
        assert_eq!(vfs.ops(), 0);
        f.write_at(b"!", 2).unwrap();
        assert!(f.sync(SyncKind::Data).is_err());

        // Disarming stops it.
        vfs.set_fail_after(None);
        f.sync(SyncKind::Data).unwrap();
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "f"),
            b"ok!"
        );
    }

    #[test]
    fn zero_never_fires() {
        let vfs = FaultVfs::new(FaultConfig {
            sticky: true,
            ..FaultConfig::at(0, FaultKind::PowerCut)
        });
        let f = create(&vfs, "f");
        for i in 0..5 {
            f.write_at(b"x", i).unwrap();
        }
        assert!(!vfs.is_dead());
    }

    #[test]
    fn power_cut_kills_every_later_call() {
        let vfs = FaultVfs::new(FaultConfig::at(4, FaultKind::PowerCut));
        let f = create(&vfs, "db");
        f.write_at(b"synced", 0).unwrap(); // op 1
        f.sync(SyncKind::Data).unwrap(); // op 2
        f.write_at(b"SYN", 0).unwrap(); // op 3
        let err = f.write_at(b"lost", 6).unwrap_err(); // op 4: the cut
        assert_eq!(raw(&err), Some(EIO));
        assert!(vfs.is_dead());

        let eio = |r: io::Result<()>| assert_eq!(raw(&r.unwrap_err()), Some(EIO));
        eio(f.write_at(b"x", 0));
        eio(f.sync(SyncKind::Full));
        eio(f.set_len(0));
        eio(f.read_at(&mut [0u8; 1], 0));
        eio(f.size().map(drop));
        eio(f.try_lock_exclusive().map(drop));
        eio(vfs.open(p("db"), OpenMode::Existing).map(drop));
        eio(vfs.open(p("new"), OpenMode::CreateNew).map(drop));
        eio(vfs.exists(p("db")).map(drop));
        eio(vfs.remove(p("db")));
        // Even with the fault disarmed and the counter reset: the machine is dead.
        vfs.set_fail_after(None);
        vfs.reset_counter();
        eio(f.write_at(b"x", 0));
        assert!(vfs.clone().is_dead());

        let image = vfs.crash_image(CrashMode::DropUnsynced);
        assert_eq!(image.paths(), vec![PathBuf::from("db")]);
        assert_eq!(bytes(&image, "db"), b"synced");
        let image = vfs.crash_image(CrashMode::KeepUnsynced);
        assert_eq!(
            bytes(&image, "db"),
            b"SYNced",
            "the cut write never happened"
        );

        // The image is a working file system to reopen on.
        let g = image.open(p("db"), OpenMode::Existing).unwrap();
        g.write_at(b"!", 6).unwrap();
        assert_eq!(bytes(&image, "db"), b"SYNced!");
    }

    #[test]
    fn power_cut_at_sync_makes_nothing_durable() {
        let vfs = FaultVfs::new(FaultConfig::at(2, FaultKind::PowerCut));
        let f = create(&vfs, "db");
        f.write_at(b"commit", 0).unwrap();
        assert_eq!(raw(&f.sync(SyncKind::Full).unwrap_err()), Some(EIO));
        assert!(vfs.is_dead());
        assert_eq!(bytes(&vfs.crash_image(CrashMode::DropUnsynced), "db"), b"");
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "db"),
            b"commit"
        );
    }

    #[test]
    fn power_cut_with_torn_write_lands_the_first_half() {
        let vfs = FaultVfs::new(FaultConfig {
            torn_write: true,
            ..FaultConfig::at(3, FaultKind::PowerCut)
        });
        let f = create(&vfs, "db");
        f.write_at(b"........", 0).unwrap();
        f.sync(SyncKind::Data).unwrap();
        assert!(f.write_at(b"ABCDEFG", 1).is_err());
        assert!(vfs.is_dead());
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::DropUnsynced), "db"),
            b"........"
        );
        assert_eq!(
            bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "db"),
            b".ABC...."
        );
        assert_eq!(
            bytes(
                &vfs.crash_image(CrashMode::TornLastWrite { keep_bytes: 1 }),
                "db"
            ),
            b".A......"
        );
    }

    #[test]
    fn torn_write_flag_does_not_affect_a_cut_set_len() {
        let vfs = FaultVfs::new(FaultConfig {
            torn_write: true,
            ..FaultConfig::at(1, FaultKind::PowerCut)
        });
        let f = create(&vfs, "db");
        assert!(f.set_len(10).is_err());
        assert_eq!(bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "db"), b"");
    }

    #[test]
    fn open_modes_remove_and_persistence() {
        let vfs = FaultVfs::new(FaultConfig::default());
        assert_eq!(
            vfs.open(p("a"), OpenMode::Existing).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        {
            let f = vfs.open(p("a"), OpenMode::CreateNew).unwrap();
            f.write_at(b"kept", 0).unwrap();
        }
        assert!(vfs.exists(p("a")).unwrap());
        assert_eq!(
            vfs.open(p("a"), OpenMode::CreateNew).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        let f = vfs.clone().open(p("a"), OpenMode::CreateIfMissing).unwrap();
        assert_eq!(f.size().unwrap(), 4, "files outlive handles; clones share");

        vfs.remove(p("a")).unwrap();
        assert!(!vfs.exists(p("a")).unwrap());
        assert_eq!(
            vfs.remove(p("a")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        // The open handle keeps the unlinked file; the crash image never had
        // its name (no directory sync).
        f.write_at(b"!", 4).unwrap();
        assert_eq!(f.size().unwrap(), 5);
        assert!(vfs.crash_image(CrashMode::KeepUnsynced).paths().is_empty());
        let g = vfs.open(p("a"), OpenMode::CreateNew).unwrap();
        assert_eq!(g.size().unwrap(), 0);
        drop(f);
        assert_eq!(
            vfs.state.lock().nodes.len(),
            1,
            "the unlinked file is freed"
        );
    }

    #[test]
    fn exclusive_lock_has_one_holder_until_drop() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let a = create(&vfs, "db");
        let b = vfs.open(p("db"), OpenMode::Existing).unwrap();
        assert!(a.try_lock_exclusive().unwrap());
        assert!(a.try_lock_exclusive().unwrap());
        assert!(!b.try_lock_exclusive().unwrap());
        let c = vfs.open(p("db"), OpenMode::Existing).unwrap();
        assert!(!c.try_lock_exclusive().unwrap());
        drop(c);
        assert!(!b.try_lock_exclusive().unwrap());
        drop(a);
        assert!(b.try_lock_exclusive().unwrap());
        assert_eq!(vfs.ops(), 0, "locks are not ops");
    }

    #[test]
    fn with_files_starts_durable() {
        let files = MemoryVfs::new();
        files.set_file_bytes("db", b"durable".to_vec());
        files.set_file_bytes("wal", b"log".to_vec());
        let vfs = FaultVfs::with_files(&files, FaultConfig::at(1, FaultKind::PowerCut));
        let f = vfs.open(p("db"), OpenMode::Existing).unwrap();
        let mut buf = [0u8; 7];
        f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"durable");
        assert!(f.write_at(b"X", 0).is_err());
        let image = vfs.crash_image(CrashMode::KeepUnsynced);
        assert_eq!(image.paths(), files.paths());
        assert_eq!(bytes(&image, "db"), b"durable");
        assert_eq!(bytes(&image, "wal"), b"log");
    }

    #[test]
    fn keep_unsynced_equals_live_after_many_mutations() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f = create(&vfs, "f");
        let mut rng = StdRng::seed_from_u64(7);
        for i in 0..200u32 {
            match rng.gen_range(0..10) {
                0 => f.sync(SyncKind::Data).unwrap(),
                1 => f.set_len(rng.gen_range(0..300)).unwrap(),
                _ => {
                    let len = rng.gen_range(0..40);
                    f.write_at(&vec![i as u8; len], rng.gen_range(0..300))
                        .unwrap();
                }
            }
            let mut live = vec![0u8; f.size().unwrap() as usize];
            f.read_at(&mut live, 0).unwrap();
            assert_eq!(bytes(&vfs.crash_image(CrashMode::KeepUnsynced), "f"), live);
        }
        f.sync(SyncKind::Data).unwrap();
        let mut live = vec![0u8; f.size().unwrap() as usize];
        f.read_at(&mut live, 0).unwrap();
        assert_eq!(bytes(&vfs.crash_image(CrashMode::DropUnsynced), "f"), live);
    }

    #[test]
    fn clones_share_the_counter_and_handles_cross_threads() {
        let vfs = FaultVfs::new(FaultConfig::default());
        let f: Arc<dyn VfsFile> = vfs.open(p("f"), OpenMode::CreateNew).unwrap().into();
        let threads: Vec<_> = (0..4u8)
            .map(|i| {
                let f = Arc::clone(&f);
                std::thread::spawn(move || f.write_at(&[i; 16], u64::from(i) * 16).unwrap())
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(vfs.clone().ops(), 4);
        assert_eq!(f.size().unwrap(), 64);
    }

    #[test]
    fn sector_pieces_split_at_absolute_offsets() {
        let data = [0u8; 10];
        let pieces: Vec<(u64, usize)> = sector_pieces(3, &data, 4)
            .map(|(offset, piece)| (offset, piece.len()))
            .collect();
        assert_eq!(pieces, vec![(3, 1), (4, 4), (8, 4), (12, 1)]);
        let pieces: Vec<(u64, usize)> = sector_pieces(8, &data[..8], 4)
            .map(|(offset, piece)| (offset, piece.len()))
            .collect();
        assert_eq!(pieces, vec![(8, 4), (12, 4)]);
        assert_eq!(sector_pieces(0, &[], 4).count(), 0);
    }

    #[test]
    fn debug_is_short() {
        let vfs = FaultVfs::new(FaultConfig::default());
        vfs.open(p("f"), OpenMode::CreateNew)
            .unwrap()
            .write_at(&[0; 1000], 0)
            .unwrap();
        let text = format!("{vfs:?}");
        assert!(text.contains("(\"f\", 1000, 0, 1)"), "{text}");
    }
}
