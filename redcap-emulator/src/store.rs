//! SQLite storage: projects (their schema as a `schema.json` snapshot),
//! users with their tokens and rights, and record data as EAV rows the way
//! REDCap keeps `redcap_data` (the project log is `activity`'s).
//!
//! Every function takes the connection of the request's transaction, so a
//! request is all-or-nothing.

use indexmap::IndexMap;
use redcap_schema::ProjectSchema;
use rusqlite::{Connection, OptionalExtension, params};

use crate::rights::UserRights;

mod data_table;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    project_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    schema_json TEXT NOT NULL,
    info_json TEXT NOT NULL,
    creation_time TEXT NOT NULL,
    in_production INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (
    project_id INTEGER NOT NULL,
    username TEXT NOT NULL,
    token TEXT NOT NULL UNIQUE COLLATE NOCASE,
    rights_json TEXT NOT NULL,
    PRIMARY KEY (project_id, username)
);
";

/// Creates the tables when they do not exist yet.
pub(crate) fn init(conn: &Connection) -> rusqlite::Result<()> {
    // A page cache of up to 64 MiB (SQLite's default is 2 MiB): a large
    // import into a data directory then updates its B-trees in memory
    // instead of going back to the file for every page.
    conn.execute_batch("PRAGMA cache_size = -65536;")?;
    conn.execute_batch(SCHEMA)?;
    data_table::init(conn)?;
    crate::access::init(conn)?;
    crate::activity::init(conn)?;
    crate::records::responses::init(conn)?;
    crate::files::store::init(conn)
}

/// A stored setting (`super_token`).
pub(crate) fn setting(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

/// Stores a setting.
pub(crate) fn set_setting(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// A project as stored.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub(crate) id: i64,
    pub(crate) schema: ProjectSchema,
    /// Project attributes the schema does not model (purpose, notes, IRB
    /// number, PI, …), by the API's key names.
    pub(crate) info: IndexMap<String, String>,
    pub(crate) creation_time: String,
    pub(crate) in_production: bool,
}

fn schema_from_json(text: &str) -> rusqlite::Result<ProjectSchema> {
    redcap_schema::from_snapshot(text, "stored schema").map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn info_from_json(text: &str) -> rusqlite::Result<IndexMap<String, String>> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn project_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    let schema_json: String = row.get(2)?;
    let info_json: String = row.get(3)?;
    Ok(Project {
        id: row.get(0)?,
        schema: schema_from_json(&schema_json)?,
        info: info_from_json(&info_json)?,
        creation_time: row.get(4)?,
        in_production: row.get::<_, i64>(5)? != 0,
    })
}

const PROJECT_COLUMNS: &str =
    "project_id, name, schema_json, info_json, creation_time, in_production";

/// The project with this id.
pub(crate) fn project(conn: &Connection, id: i64) -> rusqlite::Result<Project> {
    conn.query_row(
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE project_id = ?1"),
        [id],
        project_from_row,
    )
}

/// The project with this name, if any.
pub(crate) fn project_by_name(conn: &Connection, name: &str) -> rusqlite::Result<Option<Project>> {
    conn.query_row(
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE name = ?1"),
        [name],
        project_from_row,
    )
    .optional()
}

/// Inserts a project and returns its id.
pub(crate) fn insert_project(
    conn: &Connection,
    name: &str,
    schema: &ProjectSchema,
    info: &IndexMap<String, String>,
    creation_time: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO projects (name, schema_json, info_json, creation_time) VALUES (?1, ?2, ?3, ?4)",
        params![
            name,
            redcap_schema::to_snapshot(schema),
            serde_json::to_string(info).unwrap_or_else(|_| "{}".into()),
            creation_time
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Replaces a project's schema and attributes.
pub(crate) fn save_project(conn: &Connection, project: &Project) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE projects SET schema_json = ?2, info_json = ?3, in_production = ?4 WHERE project_id = ?1",
        params![
            project.id,
            redcap_schema::to_snapshot(&project.schema),
            serde_json::to_string(&project.info).unwrap_or_else(|_| "{}".into()),
            i64::from(project.in_production)
        ],
    )?;
    Ok(())
}

/// A user of a project, found by token.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) project_id: i64,
    pub(crate) rights: UserRights,
}

/// The user whose token this is; tokens compare case-insensitively as in
/// REDCap's `utf8mb4_unicode_ci` column.
pub(crate) fn user_by_token(conn: &Connection, token: &str) -> rusqlite::Result<Option<User>> {
    conn.query_row(
        "SELECT project_id, rights_json FROM users WHERE token = ?1",
        [token],
        |row| {
            let rights_json: String = row.get(1)?;
            let rights = serde_json::from_str(&rights_json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?;
            Ok(User {
                project_id: row.get(0)?,
                rights,
            })
        },
    )
    .optional()
}

/// The token of a user, if the user exists.
pub(crate) fn user_token(
    conn: &Connection,
    project_id: i64,
    username: &str,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT token FROM users WHERE project_id = ?1 AND username = ?2",
        params![project_id, username],
        |r| r.get(0),
    )
    .optional()
}

/// Adds or replaces a user.
pub(crate) fn put_user(
    conn: &Connection,
    project_id: i64,
    username: &str,
    token: &str,
    rights: &UserRights,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO users (project_id, username, token, rights_json) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (project_id, username) DO UPDATE SET token = excluded.token, rights_json = excluded.rights_json",
        params![
            project_id,
            username,
            token,
            serde_json::to_string(rights).unwrap_or_else(|_| "{}".into())
        ],
    )?;
    Ok(())
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    pub(crate) event: String,
    pub(crate) record: String,
    pub(crate) field: String,
    pub(crate) instance: i64,
    pub(crate) value: String,
}

/// Every stored value of a project, optionally only of some records, in
/// the order they were stored (record by record when records are given).
pub(crate) fn values(
    conn: &Connection,
    project_id: i64,
    records: Option<&[String]>,
) -> rusqlite::Result<Vec<Value>> {
    let map = |row: &rusqlite::Row<'_>| {
        Ok(Value {
            event: row.get(0)?,
            record: row.get(1)?,
            field: row.get(2)?,
            instance: row.get(3)?,
            value: row.get(4)?,
        })
    };
    let sql = "SELECT event, record, field, instance, value FROM data WHERE project_id = ?1";
    match records {
        None => {
            let mut stmt = conn.prepare(&format!("{sql} ORDER BY seq"))?;
            let rows = stmt.query_map([project_id], map)?;
            rows.collect()
        }
        Some(records) => {
            let mut stmt = conn.prepare_cached(&format!("{sql} AND record = ?2 ORDER BY seq"))?;
            let mut out = Vec::new();
            for record in records {
                for row in stmt.query_map(params![project_id, record], map)? {
                    out.push(row?);
                }
            }
            Ok(out)
        }
    }
}

/// The stored values of some records, record by record, each record's
/// values by field and then in stored order: the order of the table's
/// key, read without sorting (for callers that group values by field).
pub(crate) fn values_by_field(
    conn: &Connection,
    project_id: i64,
    records: &[String],
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT event, field, instance, value FROM data
         WHERE project_id = ?1 AND record = ?2 ORDER BY field, seq",
    )?;
    let mut out = Vec::new();
    for record in records {
        let mut rows = stmt.query(params![project_id, record])?;
        while let Some(row) = rows.next()? {
            out.push(Value {
                event: row.get(0)?,
                record: record.clone(),
                field: row.get(1)?,
                instance: row.get(2)?,
                value: row.get(3)?,
            });
        }
    }
    Ok(out)
}

/// A common table expression `names(name)`: the distinct record names of
/// project `?1` in byte order, found by seeking from name to name in the
/// table's key instead of reading every value (one lookup per record).
/// The last row's `name` is NULL.
pub(crate) const RECORD_NAMES: &str = "WITH RECURSIVE names(name) AS (
     SELECT (SELECT record FROM data WHERE project_id = ?1 ORDER BY record LIMIT 1)
     UNION ALL
     SELECT (SELECT record FROM data WHERE project_id = ?1 AND record > names.name
             ORDER BY record LIMIT 1)
     FROM names WHERE names.name IS NOT NULL
 )";

/// The distinct record names of a project, in byte order ([`RECORD_NAMES`]).
pub(crate) fn record_names(conn: &Connection, project_id: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{RECORD_NAMES} SELECT name FROM names WHERE name IS NOT NULL"
    ))?;
    let rows = stmt.query_map([project_id], |r| r.get(0))?;
    rows.collect()
}

/// The stored values of one field of one record, in any event and instance.
pub(crate) fn field_values(
    conn: &Connection,
    project_id: i64,
    record: &str,
    field: &str,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT value FROM data WHERE project_id = ?1 AND record = ?2 AND field = ?3 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![project_id, record, field], |r| r.get(0))?;
    rows.collect()
}

/// Stores one value, replacing what was there (checkbox codes are separate
/// rows, so they are inserted with [`insert_value`] instead).
pub(crate) fn set_value(conn: &Connection, project_id: i64, v: &Value) -> rusqlite::Result<()> {
    delete_value(conn, project_id, &v.event, &v.record, &v.field, v.instance)?;
    insert_value(conn, project_id, v)
}

/// One value to write, borrowed from wherever it is held.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell<'a> {
    pub(crate) event: &'a str,
    pub(crate) record: &'a str,
    pub(crate) field: &'a str,
    pub(crate) instance: i64,
    pub(crate) value: &'a str,
}

/// The statements a record import runs for every value, prepared once
/// for the whole import rather than looked up in the statement cache
/// for each value. It numbers its values from blocks of sequence numbers
/// (see `data_table`), so values stored through the other functions while
/// it writes would sort after the rest of its block: a request writes
/// record values through one writer, or none.
pub(crate) struct Writer<'c> {
    project_id: i64,
    insert: rusqlite::Statement<'c>,
    delete: rusqlite::Statement<'c>,
    delete_code: rusqlite::Statement<'c>,
    delete_field: rusqlite::Statement<'c>,
    exists: rusqlite::Statement<'c>,
    conn: &'c Connection,
    seq: data_table::Numbers,
    /// While a new record is written: its rows as (event, field,
    /// instance, value), kept as the table has them.
    captured: Option<Vec<(String, String, i64, String)>>,
}

impl<'c> Writer<'c> {
    /// The statements for one project's data.
    pub(crate) fn new(conn: &'c Connection, project_id: i64) -> rusqlite::Result<Writer<'c>> {
        Ok(Writer {
            project_id,
            insert: conn.prepare(
                "INSERT INTO data (project_id, event, record, field, instance, value, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?,
            delete: conn.prepare(
                "DELETE FROM data WHERE project_id = ?1 AND event = ?2 AND record = ?3 AND field = ?4 AND instance = ?5",
            )?,
            delete_code: conn.prepare(
                "DELETE FROM data WHERE project_id = ?1 AND event = ?2 AND record = ?3 AND field = ?4 AND instance = ?5 AND value = ?6",
            )?,
            delete_field: conn.prepare(
                "DELETE FROM data WHERE project_id = ?1 AND record = ?2 AND field = ?3",
            )?,
            exists: conn.prepare(
                "SELECT 1 FROM data WHERE project_id = ?1 AND record = ?2 AND field = ?3 AND event = ?4 AND instance = ?5 LIMIT 1",
            )?,
            conn,
            seq: data_table::Numbers::new(),
            captured: None,
        })
    }

    /// Starts keeping a copy of what is written, for a record that has no
    /// stored rows: the copy is then its rows, without reading them back.
    pub(crate) fn capture(&mut self) {
        self.captured = Some(Vec::new());
    }

    /// The copy kept since [`Writer::capture`], which stops keeping it.
    pub(crate) fn captured(&mut self) -> Vec<(String, String, i64, String)> {
        self.captured.take().unwrap_or_default()
    }

    /// Drops the kept rows that a delete removed.
    fn forget(&mut self, removed: impl Fn(&(String, String, i64, String)) -> bool) {
        if let Some(captured) = &mut self.captured {
            captured.retain(|row| !removed(row));
        }
    }

    /// Inserts one value row.
    pub(crate) fn insert(&mut self, v: Cell<'_>) -> rusqlite::Result<()> {
        let seq = self.seq.next(self.conn)?;
        self.insert.execute(params![
            self.project_id,
            v.event,
            v.record,
            v.field,
            v.instance,
            v.value,
            seq
        ])?;
        if let Some(captured) = &mut self.captured {
            captured.push((
                v.event.to_owned(),
                v.field.to_owned(),
                v.instance,
                v.value.to_owned(),
            ));
        }
        Ok(())
    }

    /// Stores one value, replacing what was there.
    pub(crate) fn set(&mut self, v: Cell<'_>) -> rusqlite::Result<()> {
        self.delete(v)?;
        self.insert(v)
    }

    /// Deletes every row of the cell's field in its event and instance.
    pub(crate) fn delete(&mut self, v: Cell<'_>) -> rusqlite::Result<usize> {
        self.forget(|(e, f, i, _)| e == v.event && f == v.field && *i == v.instance);
        self.delete.execute(params![
            self.project_id,
            v.event,
            v.record,
            v.field,
            v.instance
        ])
    }

    /// Deletes every row of a field of a record, in any event and instance.
    pub(crate) fn delete_field(&mut self, record: &str, field: &str) -> rusqlite::Result<usize> {
        self.forget(|(_, f, _, _)| f == field);
        self.delete_field
            .execute(params![self.project_id, record, field])
    }

    /// Deletes one checkbox code (the cell's value).
    pub(crate) fn delete_code(&mut self, v: Cell<'_>) -> rusqlite::Result<usize> {
        self.forget(|(e, f, i, x)| {
            e == v.event && f == v.field && *i == v.instance && x == v.value
        });
        self.delete_code.execute(params![
            self.project_id,
            v.event,
            v.record,
            v.field,
            v.instance,
            v.value
        ])
    }

    /// Whether the cell's field has a row in its event and instance.
    pub(crate) fn has(&mut self, v: Cell<'_>) -> rusqlite::Result<bool> {
        self.exists.exists(params![
            self.project_id,
            v.record,
            v.field,
            v.event,
            v.instance
        ])
    }
}

/// Inserts one value row.
pub(crate) fn insert_value(conn: &Connection, project_id: i64, v: &Value) -> rusqlite::Result<()> {
    let seq = data_table::take(conn, 1)?;
    conn.prepare_cached(
        "INSERT INTO data (project_id, event, record, field, instance, value, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![project_id, v.event, v.record, v.field, v.instance, v.value, seq])?;
    Ok(())
}

/// Deletes every row of one field in one event and instance.
pub(crate) fn delete_value(
    conn: &Connection,
    project_id: i64,
    event: &str,
    record: &str,
    field: &str,
    instance: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM data WHERE project_id = ?1 AND event = ?2 AND record = ?3 AND field = ?4 AND instance = ?5",
    )?
    .execute(params![project_id, event, record, field, instance])
}

/// Runs a raw delete over the data of one project, with extra conditions.
pub(crate) fn delete_where(
    conn: &Connection,
    project_id: i64,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<usize> {
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&project_id];
    all.extend_from_slice(args);
    conn.execute(
        &format!("DELETE FROM data WHERE project_id = ?1 AND {condition}"),
        all.as_slice(),
    )
}

/// Renames a record everywhere.
pub(crate) fn rename_record(
    conn: &Connection,
    project_id: i64,
    old: &str,
    new: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE data SET record = ?3 WHERE project_id = ?1 AND record = ?2",
        params![project_id, old, new],
    )?;
    Ok(())
}

/// Records with a logged change between two timestamps (inclusive).
pub(crate) fn records_changed_between(
    conn: &Connection,
    project_id: i64,
    begin: &str,
    end: &str,
) -> rusqlite::Result<Vec<String>> {
    crate::activity::journal::records_changed_between(conn, project_id, begin, end)
}
