//! The one setting of an in-memory database that SQLite offers only
//! through its C interface: how large it may grow.
#![allow(unsafe_code)]

use rusqlite::{Connection, ffi};

/// Lets the `memdb` database behind `conn` grow to `limit` bytes (SQLite
/// stops it at 1 GiB by default and then answers "database or disk is
/// full").
pub(crate) fn allow_growth(conn: &Connection, limit: i64) -> rusqlite::Result<()> {
    let mut limit = limit;
    // SAFETY: the handle is `conn`'s open connection, alive for the whole
    // call; the schema name is NUL-terminated; `SQLITE_FCNTL_SIZE_LIMIT`
    // reads and writes one `sqlite3_int64` through the pointer, which
    // points to `limit`.
    let code = unsafe {
        ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_SIZE_LIMIT,
            (&raw mut limit).cast(),
        )
    };
    if code == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(code),
            Some("cannot raise the size limit of the in-memory database".to_owned()),
        ))
    }
}
