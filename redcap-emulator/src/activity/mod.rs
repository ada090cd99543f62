//! Project activity REDCap records and reports on: the project log
//! (`content=log`), and the features that read or write it (reports,
//! surveys, randomisation).

pub(crate) mod blocks;
pub(crate) mod journal;
pub(crate) mod logging;
pub(crate) mod randomize;
pub(crate) mod reports;
pub(crate) mod setup;
pub(crate) mod surveys;

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use crate::context::Ctx;
use crate::records::data::GROUP_FIELD;

/// The activity tables, created with the rest of the store.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log_event (
    log_event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    ts TEXT NOT NULL,
    user TEXT NOT NULL,
    event TEXT NOT NULL,
    object_type TEXT NOT NULL,
    pk TEXT NOT NULL,
    event_name TEXT NOT NULL,
    data_values TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_event_project ON log_event (project_id, log_event_id);
";

/// Creates the activity tables when they do not exist yet.
pub(crate) fn init(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(setup::SCHEMA)?;
    conn.execute_batch(randomize::SCHEMA)
}

/// Each record's data access group (unique name), for the records in one.
pub(crate) fn record_groups(
    conn: &Connection,
    project_id: i64,
) -> rusqlite::Result<HashMap<String, String>> {
    let mut stmt =
        conn.prepare("SELECT record, value FROM data WHERE project_id = ?1 AND field = ?2")?;
    let rows = stmt.query_map(params![project_id, GROUP_FIELD], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    rows.collect()
}

/// The username of the caller: the owner of the request's token, or (for
/// the records a project brings when it is loaded) its creating user.
pub(crate) fn username(ctx: &Ctx<'_>) -> rusqlite::Result<String> {
    let token = ctx.params.get("token").unwrap_or_default().trim();
    let by_token: Option<String> = ctx
        .conn
        .prepare_cached("SELECT username FROM users WHERE project_id = ?1 AND token = ?2")?
        .query_row(params![ctx.project.id, token], |r| r.get(0))
        .optional()?;
    if let Some(name) = by_token {
        return Ok(name);
    }
    let first: Option<String> = ctx
        .conn
        .query_row(
            "SELECT username FROM users WHERE project_id = ?1 ORDER BY rowid LIMIT 1",
            [ctx.project.id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(first.unwrap_or_else(|| "SYSTEM".to_owned()))
}
