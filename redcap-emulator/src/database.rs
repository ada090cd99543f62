//! The connections of a running emulator: one writer, which the requests
//! that change something take in turn, and a few read-only connections,
//! so that exports (the requests a bulk export sends side by side) are
//! served at the same time instead of one after another.

use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::data_dir::Home;

/// A database's connections.
pub(crate) struct Database {
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Signalled when a reader comes back.
    returned: Condvar,
    /// Where the database lives; declared last, so that a temporary one is
    /// removed only after its connections have closed.
    _home: Home,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").finish_non_exhaustive()
    }
}

/// How many read connections to open: one per core, at least two (so a
/// one-core machine still tests reads beside reads) and at most four (each
/// keeps its own page cache).
fn reader_count() -> usize {
    std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(2, 4)
}

impl Database {
    /// The writer, and read connections to the same database. The writer
    /// has created the tables already.
    pub(crate) fn open(writer: Connection, home: &Home) -> rusqlite::Result<Database> {
        let readers = (0..reader_count())
            .map(|_| home.open_reader())
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Database {
            writer: Mutex::new(writer),
            readers: Mutex::new(readers),
            returned: Condvar::new(),
            _home: home.clone(),
        })
    }

    /// The writing connection, held until the guard drops.
    pub(crate) fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic in an earlier request must not take the server down, so
        // a poisoned lock is taken over (its transaction was rolled back).
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A read-only connection, waiting for one to come back when all are
    /// in use; it goes back when the guard drops.
    pub(crate) fn reader(&self) -> Reader<'_> {
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                return Reader {
                    database: self,
                    conn: Some(conn),
                };
            }
            idle = self.returned.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A read connection lent out by [`Database::reader`].
pub(crate) struct Reader<'d> {
    database: &'d Database,
    /// Always present until the guard drops.
    conn: Option<Connection>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a reader keeps its connection until dropped"))
    }
}

impl std::ops::DerefMut for Reader<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("a reader keeps its connection until dropped"))
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self
                .database
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            idle.push(conn);
            self.database.returned.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_dir;

    fn count(conn: &Connection) -> i64 {
        conn.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap()
    }

    fn database(dir: Option<&std::path::Path>) -> (Database, Option<std::fs::File>) {
        let opened = data_dir::open(dir).unwrap();
        opened
            .conn
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let database = Database::open(opened.conn, &opened.home).unwrap();
        (database, opened.lock)
    }

    /// Two read transactions at once, each on its own connection, see the
    /// writer's committed rows; neither can write.
    fn reads_side_by_side(database: &Database) {
        let mut first = database.reader();
        let mut second = database.reader();
        let a = first.transaction().unwrap();
        let b = second.transaction().unwrap();
        assert_eq!(count(&a), 1);
        assert_eq!(count(&b), 1);
        let refused = a.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
        assert!(
            refused.to_string().contains("readonly"),
            "a reader wrote: {refused}"
        );
        drop((a, b));
        drop((first, second));
        database
            .writer()
            .execute("INSERT INTO t VALUES (3)", [])
            .unwrap();
        assert_eq!(count(&database.reader()), 2);
    }

    #[test]
    fn temporary_readers_read_together_and_see_commits() {
        let (database, _) = database(None);
        reads_side_by_side(&database);
    }

    #[test]
    fn a_temporary_database_is_private_and_removed_once_closed() {
        let opened = data_dir::open(None).unwrap();
        let file = std::path::PathBuf::from(&opened.shown);
        let dir = file.parent().unwrap().to_owned();
        assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
            assert_eq!(mode(&dir) & 0o777, 0o700);
            assert_eq!(mode(&file) & 0o777, 0o600);
        }
        opened
            .conn
            .execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
        let page_size: u32 = opened
            .conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        assert_eq!(page_size, 65_536);
        let database = Database::open(opened.conn, &opened.home).unwrap();
        drop(opened.home);
        // The database keeps its directory as long as it is open.
        assert!(file.exists());
        assert_eq!(count(&database.reader()), 1);
        drop(database);
        assert!(!dir.exists(), "{} is left behind", dir.display());
    }

    #[test]
    fn file_readers_read_together_and_see_commits() {
        let dir =
            std::env::temp_dir().join(format!("redcap-emulator-readers-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (database, _lock) = database(Some(&dir));
        // A new file has 64 KiB pages, and its readers map it.
        let settings = |conn: &Connection| -> (u32, i64) {
            let page_size = conn.query_row("PRAGMA page_size", [], |r| r.get(0));
            let mapped = conn.query_row("PRAGMA mmap_size", [], |r| r.get(0));
            (page_size.unwrap(), mapped.unwrap())
        };
        let (page_size, mapped) = settings(&database.reader());
        assert_eq!(page_size, 65_536);
        // SQLite lowers the asked size to its compiled-in limit (2 GiB here).
        assert!(mapped >= 1 << 30, "{mapped}");
        reads_side_by_side(&database);
        // With write-ahead logging the writer commits while a read
        // transaction is open, and the reader keeps its snapshot.
        let mut reader = database.reader();
        let snapshot = reader.transaction().unwrap();
        assert_eq!(count(&snapshot), 2);
        database
            .writer()
            .execute("INSERT INTO t VALUES (4)", [])
            .unwrap();
        assert_eq!(count(&snapshot), 2);
        drop(snapshot);
        assert_eq!(count(&reader), 3);
        drop(reader);
        drop(database);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A reader waits for one to come back when all are lent out.
    #[test]
    fn a_reader_is_lent_again_once_returned() {
        let (database, _) = database(None);
        let all: Vec<Reader<'_>> = (0..reader_count()).map(|_| database.reader()).collect();
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| count(&database.reader()));
            drop(all);
            assert_eq!(waiting.join().unwrap(), 1);
        });
    }
}
