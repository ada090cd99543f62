//! The `data` table's layout, its conversion from older layouts, and the
//! sequence numbers that keep its stored order.
//!
//! Values are clustered by project, record and field: the table is a
//! `WITHOUT ROWID` table whose primary key is
//! (project_id, record, field, seq), so a record's values sit together in
//! the table's own B-tree and reading them costs no second lookup per
//! value. `seq` numbers values in the order they were written, as the
//! row id did before: a field's values (a checkbox's codes) come back in
//! stored order by reading the key in order, without a sort. Being
//! unique, `seq` also makes the key unique; event and instance are plain
//! columns, so finding one event and instance of a field reads that
//! field's few rows in the record.
//!
//! Older data directories hold `data` as a row-id table (with an index
//! `data_value`, maybe `data_record`): [`init`] converts it once, its row
//! ids becoming the sequence numbers, so stored order survives.

use rusqlite::{Connection, params};

const TABLE: &str = "
CREATE TABLE IF NOT EXISTS data (
    project_id INTEGER NOT NULL,
    record TEXT NOT NULL,
    field TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    instance INTEGER NOT NULL DEFAULT 1,
    value TEXT NOT NULL,
    PRIMARY KEY (project_id, record, field, seq)
) WITHOUT ROWID;
-- The next sequence number (one row). Kept in the database, so it goes on
-- increasing across requests and restarts and rolls back with the
-- transaction that took numbers.
CREATE TABLE IF NOT EXISTS data_seq (next INTEGER NOT NULL);
";

/// Creates the `data` table, converting a table of an older layout, and
/// sets the sequence counter when it has none.
pub(crate) fn init(conn: &Connection) -> rusqlite::Result<()> {
    // Nothing is written when all is in place, so a read-only connection
    // may run this too.
    if is_current(conn)? {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    // Without `seq`: the row-id layout of older versions.
    let old = columns_of(&tx, "data")?.is_some_and(|c| !c.iter().any(|c| c == "seq"));
    if old {
        // Its indexes (`data_value`, `data_record`) go with it below.
        tx.execute_batch("ALTER TABLE data RENAME TO data_rowid;")?;
    }
    tx.execute_batch(TABLE)?;
    if old {
        // In key order, so the new table is written from left to right.
        tx.execute_batch(
            "INSERT INTO data (project_id, record, field, seq, event, instance, value)
             SELECT project_id, record, field, rowid, event, instance, value FROM data_rowid
             ORDER BY project_id, record, field, rowid;
             DROP TABLE data_rowid;
             DELETE FROM data_seq;",
        )?;
    }
    // Only a new or converted table has no counter yet; the maximum is
    // then read once.
    tx.execute_batch(
        "INSERT INTO data_seq (next)
         SELECT COALESCE((SELECT MAX(seq) FROM data), 0) + 1
         WHERE NOT EXISTS (SELECT 1 FROM data_seq);",
    )?;
    tx.commit()
}

/// The columns of table `table`, if it exists.
fn columns_of(conn: &Connection, table: &str) -> rusqlite::Result<Option<Vec<String>>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let columns: Vec<String> = stmt
        .query_map([table], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((!columns.is_empty()).then_some(columns))
}

/// Whether `data` has the current layout and the counter its row.
fn is_current(conn: &Connection) -> rusqlite::Result<bool> {
    if !columns_of(conn, "data")?.is_some_and(|c| c.iter().any(|c| c == "seq"))
        || columns_of(conn, "data_seq")?.is_none()
    {
        return Ok(false);
    }
    conn.query_row("SELECT EXISTS (SELECT 1 FROM data_seq)", [], |r| r.get(0))
}

/// Takes `count` sequence numbers and returns the first.
pub(crate) fn take(conn: &Connection, count: i64) -> rusqlite::Result<i64> {
    conn.prepare_cached("UPDATE data_seq SET next = next + ?1 RETURNING next - ?1")?
        .query_row(params![count], |r| r.get(0))
}

/// Sequence numbers taken from the counter in blocks, for a writer of many
/// values: one counter update per block instead of one per value. A block
/// left partly unused leaves a gap, which no order minds.
#[derive(Debug)]
pub(crate) struct Numbers {
    next: i64,
    end: i64,
    block: i64,
}

/// The first block's size; each next block doubles, up to [`MAX_BLOCK`].
const FIRST_BLOCK: i64 = 64;
const MAX_BLOCK: i64 = 1 << 16;

impl Numbers {
    /// No numbers taken yet.
    pub(crate) fn new() -> Numbers {
        Numbers {
            next: 0,
            end: 0,
            block: FIRST_BLOCK,
        }
    }

    /// The next number, taking a block from the counter when needed.
    pub(crate) fn next(&mut self, conn: &Connection) -> rusqlite::Result<i64> {
        if self.next == self.end {
            self.next = take(conn, self.block)?;
            self.end = self.next + self.block;
            self.block = (self.block * 2).min(MAX_BLOCK);
        }
        let n = self.next;
        self.next += 1;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old_layout() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE data (
                 project_id INTEGER NOT NULL,
                 event TEXT NOT NULL,
                 record TEXT NOT NULL,
                 field TEXT NOT NULL,
                 instance INTEGER NOT NULL DEFAULT 1,
                 value TEXT NOT NULL
             );
             CREATE INDEX data_record ON data (project_id, record);
             CREATE INDEX data_value ON data (project_id, record, field);",
        )
        .unwrap();
        conn
    }

    fn insert_old(conn: &Connection, record: &str, field: &str, value: &str) {
        conn.execute(
            "INSERT INTO data (project_id, event, record, field, instance, value)
             VALUES (1, 'event_1_arm_1', ?1, ?2, 1, ?3)",
            params![record, field, value],
        )
        .unwrap();
    }

    fn stored(conn: &Connection) -> Vec<(String, String, i64, String)> {
        let mut stmt = conn
            .prepare("SELECT record, field, seq, value FROM data ORDER BY project_id, record, field, seq")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn an_old_table_is_converted_with_its_order() {
        let conn = old_layout();
        insert_old(&conn, "2", "record_id", "2");
        insert_old(&conn, "1", "race", "3");
        insert_old(&conn, "1", "record_id", "1");
        insert_old(&conn, "1", "race", "1");
        init(&conn).unwrap();
        // Row ids became sequence numbers: code 3 before code 1.
        assert_eq!(
            stored(&conn),
            [
                ("1".into(), "race".into(), 2, "3".into()),
                ("1".into(), "race".into(), 4, "1".into()),
                ("1".into(), "record_id".into(), 3, "1".into()),
                ("2".into(), "record_id".into(), 1, "2".into()),
            ]
        );
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'data%'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(indexes.is_empty(), "{indexes:?}");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'data%' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(tables, ["data", "data_seq"]);
        // New numbers follow the converted ones.
        assert_eq!(take(&conn, 1).unwrap(), 5);
        // A second start leaves the table and the counter alone.
        init(&conn).unwrap();
        assert_eq!(stored(&conn).len(), 4);
        assert_eq!(take(&conn, 1).unwrap(), 6);
    }

    #[test]
    fn a_current_database_opens_read_only() {
        let path = std::env::temp_dir().join(format!(
            "redcap-emulator-data-table-{}.sqlite3",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        init(&Connection::open(&path).unwrap()).unwrap();
        let read_only =
            Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        init(&read_only).unwrap();
        drop(read_only);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn numbers_increase_across_writers_and_blocks() {
        let conn = Connection::open_in_memory().unwrap();
        init(&conn).unwrap();
        let mut first = Numbers::new();
        let taken: Vec<i64> = (0..200).map(|_| first.next(&conn).unwrap()).collect();
        assert!(taken.windows(2).all(|w| w[0] < w[1]));
        // Another writer, after the first one (its unused numbers are skipped).
        let mut second = Numbers::new();
        assert!(second.next(&conn).unwrap() > *taken.last().unwrap());
        assert!(take(&conn, 1).unwrap() > *taken.last().unwrap());
    }

    #[test]
    fn numbers_taken_in_a_rolled_back_transaction_are_taken_again() {
        let conn = Connection::open_in_memory().unwrap();
        init(&conn).unwrap();
        let before = take(&conn, 1).unwrap();
        let tx = conn.unchecked_transaction().unwrap();
        assert_eq!(take(&tx, 10).unwrap(), before + 1);
        drop(tx);
        assert_eq!(take(&conn, 1).unwrap(), before + 1);
    }
}
