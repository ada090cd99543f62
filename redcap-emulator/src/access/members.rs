//! The users of a project as stored in the `users` table. User names match
//! case-insensitively and are exported in lower case, as REDCap does.

use rusqlite::{Connection, OptionalExtension, params};

use crate::context::Ctx;
use crate::project_admin::random_token;
use crate::reply::ApiError;
use crate::rights::UserRights;

fn rights_from_json(text: &str) -> rusqlite::Result<UserRights> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn rights_json(rights: &UserRights) -> String {
    serde_json::to_string(rights).unwrap_or_else(|_| "{}".into())
}

/// Every user of a project (stored name, rights), by lower-cased user name.
pub(crate) fn list(
    conn: &Connection,
    project_id: i64,
) -> rusqlite::Result<Vec<(String, UserRights)>> {
    let mut stmt = conn.prepare(
        "SELECT username, rights_json FROM users WHERE project_id = ?1
         ORDER BY lower(username), username",
    )?;
    let rows = stmt.query_map([project_id], |row| {
        let json: String = row.get(1)?;
        Ok((row.get(0)?, rights_from_json(&json)?))
    })?;
    rows.collect()
}

/// A user of the project by name (any case): the stored name and rights.
pub(crate) fn get(
    conn: &Connection,
    project_id: i64,
    username: &str,
) -> rusqlite::Result<Option<(String, UserRights)>> {
    conn.query_row(
        "SELECT username, rights_json FROM users WHERE project_id = ?1 AND lower(username) = lower(?2)",
        params![project_id, username],
        |row| Ok((row.get(0)?, rights_from_json(&row.get::<_, String>(1)?)?)),
    )
    .optional()
}

/// Replaces the rights of a user (stored name) in the project.
pub(crate) fn save(
    conn: &Connection,
    project_id: i64,
    username: &str,
    rights: &UserRights,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET rights_json = ?3 WHERE project_id = ?1 AND username = ?2",
        params![project_id, username, rights_json(rights)],
    )?;
    Ok(())
}

/// Adds a user without an API token: REDCap's user import never creates
/// tokens. The stored placeholder starts with `-`, which the token check
/// refuses before any lookup, so it can never authenticate.
pub(crate) fn insert(
    conn: &Connection,
    project_id: i64,
    username: &str,
    rights: &UserRights,
) -> Result<(), ApiError> {
    let placeholder = format!("-{}", random_token(32)?);
    conn.execute(
        "INSERT INTO users (project_id, username, token, rights_json) VALUES (?1, ?2, ?3, ?4)",
        params![project_id, username, placeholder, rights_json(rights)],
    )?;
    Ok(())
}

/// Removes a user (stored name) from the project, with their token and
/// DAG Switcher entries.
pub(crate) fn delete(conn: &Connection, project_id: i64, username: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM users WHERE project_id = ?1 AND username = ?2",
        params![project_id, username],
    )?;
    conn.execute(
        "DELETE FROM dag_switcher WHERE project_id = ?1 AND lower(username) = lower(?2)",
        params![project_id, username],
    )?;
    Ok(())
}

/// The stored name of the caller (the owner of the request's token).
pub(crate) fn caller(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let token = ctx.params.get("token").unwrap_or_default().trim();
    Ok(ctx.conn.query_row(
        "SELECT username FROM users WHERE token = ?1",
        [token],
        |r| r.get(0),
    )?)
}

/// The users the caller may see: everyone, or for a caller in a DAG only
/// the users of that DAG.
pub(crate) fn visible(ctx: &Ctx<'_>) -> Result<Vec<(String, UserRights)>, ApiError> {
    let mut users = list(ctx.conn, ctx.project.id)?;
    if let Some(group) = &ctx.user.rights.group {
        users.retain(|(_, r)| r.group.as_ref() == Some(group));
    }
    Ok(users)
}
