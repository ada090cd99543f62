//! The database's home: memory, or `DIR/redcap-emulator.sqlite3`. A data
//! directory belongs to one emulator at a time (two writers would fail
//! each other's writes with "database is locked"), and since the file
//! holds every API token, only its owner may read it.

use std::fs::File;
use std::path::Path;

use rusqlite::Connection;

use crate::StartError;

/// The database file's name inside a data directory.
const FILE: &str = "redcap-emulator.sqlite3";
/// The lock file's name: held, exclusively, as long as the emulator runs.
const LOCK: &str = "redcap-emulator.lock";

/// An open database and what keeps it ours.
pub(crate) struct Opened {
    pub(crate) conn: Connection,
    /// Where, for error messages.
    pub(crate) shown: String,
    /// The data directory's lock; released when dropped.
    pub(crate) lock: Option<File>,
}

fn storage(path: &Path, message: impl std::fmt::Display) -> StartError {
    StartError::Storage {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Opens the database in `dir`, or in memory without one.
pub(crate) fn open(dir: Option<&Path>) -> Result<Opened, StartError> {
    let Some(dir) = dir else {
        let conn = Connection::open_in_memory().map_err(|e| storage(Path::new(":memory:"), e))?;
        return Ok(Opened {
            conn,
            shown: ":memory:".to_owned(),
            lock: None,
        });
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
    Ok(Opened {
        conn,
        shown: path.display().to_string(),
        lock: Some(lock),
    })
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
