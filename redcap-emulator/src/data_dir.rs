//! The database's home: memory, or `DIR/redcap-emulator.sqlite3`. A data
//! directory belongs to one emulator at a time (two writers would fail
//! each other's writes with "database is locked"), and since the file
//! holds every API token, only its owner may read it.
//!
//! Either home is opened once to write and again, read-only, for each
//! connection that serves exports beside the writer (`database.rs`): a
//! file in write-ahead-log mode, so that readers and the writer never wait
//! for each other; memory as one `memdb` database that all connections of
//! the emulator share.

use std::fs::File;
use std::path::{Path, PathBuf};
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
pub(crate) enum Home {
    /// A file in a data directory.
    File(PathBuf),
    /// A `memdb` database, by its URI.
    Memory(String),
}

/// How long a connection waits for a lock another one holds before it
/// fails with "database is locked": longer than any one request holds
/// one (an import of a large project into memory keeps readers out for
/// its whole transaction).
const BUSY_TIMEOUT: Duration = Duration::from_secs(600);

/// The largest a database in memory may grow: `memdb` refuses to grow
/// past 1 GiB unless told otherwise, far less than a large project needs.
const MEMORY_LIMIT: i64 = i64::MAX;

/// Numbers the in-memory databases of one process, which share one
/// namespace of `memdb` names.
static MEMORY_DATABASES: AtomicU64 = AtomicU64::new(0);

fn storage(path: &Path, message: impl std::fmt::Display) -> StartError {
    StartError::Storage {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Opens the database in `dir`, or in memory without one.
pub(crate) fn open(dir: Option<&Path>) -> Result<Opened, StartError> {
    let Some(dir) = dir else {
        return open_memory();
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
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .and_then(|()| conn.busy_timeout(BUSY_TIMEOUT))
        .map_err(|e| storage(&path, e))?;
    Ok(Opened {
        conn,
        shown: path.display().to_string(),
        lock: Some(lock),
        home: Home::File(path),
    })
}

/// A new database in memory, shared by the connections that open its
/// name.
fn open_memory() -> Result<Opened, StartError> {
    let number = MEMORY_DATABASES.fetch_add(1, Ordering::Relaxed);
    let uri = format!(
        "file:/redcap-emulator-{}-{number}?vfs=memdb",
        std::process::id()
    );
    let shown = ":memory:".to_owned();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(&uri, flags).map_err(|e| storage(Path::new(&shown), e))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .and_then(|()| crate::memdb::allow_growth(&conn, MEMORY_LIMIT))
        .map_err(|e| storage(Path::new(&shown), e))?;
    Ok(Opened {
        conn,
        shown,
        lock: None,
        home: Home::Memory(uri),
    })
}

impl Home {
    /// A read-only connection to the database (which its writer has
    /// opened, and keeps open).
    pub(crate) fn open_reader(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match self {
            Home::File(path) => Connection::open_with_flags(path, flags)?,
            Home::Memory(uri) => Connection::open_with_flags(uri, flags)?,
        };
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }
}

/// Creates the directory (mode 0700 on Unix) when it does not exist.
fn create_private_dir(dir: &Path) -> Result<(), StartError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| storage(dir, e))
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
