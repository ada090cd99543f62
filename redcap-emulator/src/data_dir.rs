//! The database's home: `DIR/redcap-emulator.sqlite3` in a data
//! directory, or, without one, the same file in a private temporary
//! directory that is removed when the emulator's database closes. A data
//! directory belongs to one emulator at a time (two writers would fail
//! each other's writes with "database is locked"), and since the file
//! holds every API token, only its owner may read it.
//!
//! The file is opened once to write and again, read-only, for each
//! connection that serves exports beside the writer (`database.rs`). It is
//! in write-ahead-log mode, so that readers and the writer never wait for
//! each other, and every connection maps it into memory (`PRAGMA
//! mmap_size`) and reads it in place.
//!
//! A temporary database is a file rather than SQLite's `memdb`: every
//! connection of a shared `memdb` copies each page it reads out of the one
//! buffer under one lock, so two exports at once slowed each other down.
//! The operating system's page cache holds the file in memory all the
//! same, and SQLite never syncs a temporary one to disk.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StartError;

/// The database file's name inside a data directory.
const FILE: &str = "redcap-emulator.sqlite3";
/// The lock file's name: held, exclusively, as long as the emulator runs.
const LOCK: &str = "redcap-emulator.lock";

/// An open database and what keeps it ours.
pub(crate) struct Opened {
    /// The connection that writes.
    pub(crate) conn: Connection,
    /// Where, for error messages.
    pub(crate) shown: String,
    /// The data directory's lock; released when dropped.
    pub(crate) lock: Option<File>,
    /// How to open more connections to the same database.
    pub(crate) home: Home,
}

/// Where a database lives, to open read connections to it.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    path: PathBuf,
    /// For a temporary database, its directory, kept only to be removed
    /// when the last holder (the [`crate::database::Database`], after its
    /// connections) lets go.
    _temporary: Option<Arc<TemporaryDir>>,
}

/// A private temporary directory, removed when dropped.
#[derive(Debug)]
struct TemporaryDir(PathBuf);

impl Drop for TemporaryDir {
    fn drop(&mut self) {
        // Nothing to report to: a directory that cannot be removed stays
        // behind in the system's temporary directory.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How long a connection waits for a lock another one holds before it
/// fails with "database is locked": longer than any one request holds
/// one (a checkpoint after a large import).
const BUSY_TIMEOUT: Duration = Duration::from_secs(600);

/// How much of the database its connections map into memory: as much as
/// SQLite allows (its compiled-in limit, 2 GiB in the bundled build, lowers
/// this; pages past it are read the usual way). It maps only what the file
/// holds.
const MAPPED_BYTES: i64 = 1 << 34;

/// The page size of a new database file: SQLite's largest. A record's
/// values (a few kB in a wide project) then share a page with the next
/// records', so walking from record to record (a record-ID export) reads
/// far fewer pages than with 4 kB ones; that counts, since SQLite sets up
/// a page again each time it reads it from the mapped file. An older data
/// directory keeps the size its file was made with.
const PAGE_SIZE: u32 = 65_536;

/// Sets up the writing connection: the page size (of a new file),
/// write-ahead logging, how often SQLite syncs, the mapping and the busy
/// timeout.
fn set_up_writer(conn: &Connection, synchronous: &str) -> rusqlite::Result<()> {
    conn.execute_batch(&format!(
        "PRAGMA page_size = {PAGE_SIZE}; PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = {synchronous}; PRAGMA mmap_size = {MAPPED_BYTES};"
    ))?;
    conn.busy_timeout(BUSY_TIMEOUT)
}

/// Numbers the temporary databases of one process.
static TEMPORARY_DATABASES: AtomicU64 = AtomicU64::new(0);

fn storage(path: &Path, message: impl std::fmt::Display) -> StartError {
    StartError::Storage {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Opens the database in `dir`, or a temporary one without it.
pub(crate) fn open(dir: Option<&Path>) -> Result<Opened, StartError> {
    let Some(dir) = dir else {
        return open_temporary();
    };
    create_private_dir(dir)?;
    let lock_path = dir.join(LOCK);
    let lock = private_file(&lock_path)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(storage(
                dir,
                "the data directory is in use by another emulator (it holds \
                 redcap-emulator.lock); stop that one or choose another --data-dir",
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(storage(&lock_path, e)),
    }
    let path = dir.join(FILE);
    // Created (or tightened) before SQLite opens it: its journal files
    // take the database file's permissions.
    private_file(&path)?;
    let conn = Connection::open(&path).map_err(|e| storage(&path, e))?;
    // Write-ahead logging lets exports read while an import writes; with
    // it, `NORMAL` keeps the file consistent through a crash of the
    // emulator and only syncs at checkpoints.
    set_up_writer(&conn, "NORMAL").map_err(|e| storage(&path, e))?;
    Ok(Opened {
        conn,
        shown: path.display().to_string(),
        lock: Some(lock),
        home: Home {
            path,
            _temporary: None,
        },
    })
}

/// A new database in a private directory of its own under the system's
/// temporary directory (`TMPDIR`), removed when the database closes.
fn open_temporary() -> Result<Opened, StartError> {
    let base = std::env::temp_dir();
    let dir = loop {
        let number = TEMPORARY_DATABASES.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("redcap-emulator-{}-{number}", std::process::id()));
        // Made new, never reused: one left behind by an earlier process
        // with the same id is passed over.
        match private_dir_builder().create(&dir) {
            Ok(()) => break TemporaryDir(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(storage(
                    &dir,
                    format!(
                        "cannot create a temporary database here: {e} (TMPDIR chooses \
                         where; --data-dir keeps the data in a directory of your own)"
                    ),
                ));
            }
        }
    };
    let path = dir.0.join(FILE);
    private_file(&path)?;
    let conn = Connection::open(&path).map_err(|e| storage(&path, e))?;
    // Nothing of a temporary database has to survive a crash: no syncs.
    set_up_writer(&conn, "OFF").map_err(|e| storage(&path, e))?;
    Ok(Opened {
        conn,
        shown: path.display().to_string(),
        lock: None,
        home: Home {
            path,
            _temporary: Some(Arc::new(dir)),
        },
    })
}

impl Home {
    /// A read-only connection to the database (which its writer has
    /// opened, and keeps open).
    pub(crate) fn open_reader(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.execute_batch(&format!("PRAGMA mmap_size = {MAPPED_BYTES};"))?;
        Ok(conn)
    }
}

/// A builder of directories only their owner may enter (mode 0700 on Unix).
fn private_dir_builder() -> std::fs::DirBuilder {
    #[allow(unused_mut, reason = "only Unix sets a mode")]
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

/// Creates the directory (mode 0700 on Unix) when it does not exist.
fn create_private_dir(dir: &Path) -> Result<(), StartError> {
    if dir.is_dir() {
        return Ok(());
    }
    private_dir_builder()
        .recursive(true)
        .create(dir)
        .map_err(|e| storage(dir, e))
}

/// Opens (creating when needed) a file only its owner may read and write.
fn private_file(path: &Path) -> Result<File, StartError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(|e| storage(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // A file made by an earlier version may be readable by others.
        let mode = file
            .metadata()
            .map_err(|e| storage(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| storage(path, e))?;
        }
    }
    Ok(file)
}
