//! Data access groups: export, import (create or rename), delete, the
//! user–DAG mapping, and switching the caller's DAG.
//!
//! The groups are the project schema's `dags`; REDCap's numeric group ids
//! are kept in `dag_ids` so that they stay stable when other groups are
//! deleted.

use redcap_schema::Dag;
use rusqlite::{Connection, OptionalExtension, params};

use super::members;
use super::table::{self, Cell, Row, text};
use super::{DAGS_EXPORT, DAGS_IMPORT, read_rows, require_dag_right};
use crate::context::Ctx;
use crate::project_admin::random_token;
use crate::records::data::GROUP_FIELD;
use crate::reply::{ApiError, Reply};
use crate::store;

/// The project's DAGs with their group ids, in the project's order; a
/// group without an id yet gets the next free one.
pub(crate) fn with_ids(
    conn: &Connection,
    project: &store::Project,
) -> rusqlite::Result<Vec<(u64, Dag)>> {
    let mut out = Vec::new();
    let mut next: u64 = conn.query_row(
        "SELECT COALESCE(MAX(group_id), 0) FROM dag_ids WHERE project_id = ?1",
        [project.id],
        |r| r.get::<_, i64>(0),
    )? as u64
        + 1;
    for dag in &project.schema.dags {
        let id: Option<i64> = conn
            .query_row(
                "SELECT group_id FROM dag_ids WHERE project_id = ?1 AND unique_name = ?2",
                params![project.id, dag.unique_name],
                |r| r.get(0),
            )
            .optional()?;
        let id = match id {
            Some(id) => id as u64,
            None => {
                conn.execute(
                    "INSERT INTO dag_ids (project_id, unique_name, group_id) VALUES (?1, ?2, ?3)",
                    params![project.id, dag.unique_name, next as i64],
                )?;
                next += 1;
                next - 1
            }
        };
        out.push((id, dag.clone()));
    }
    Ok(out)
}

/// The records the caller may touch: every record, or for a caller in a
/// DAG only that group's records (REDCap treats the others as not
/// existing).
pub(crate) fn visible_records(ctx: &Ctx<'_>) -> Result<Vec<String>, ApiError> {
    let mut records = store::record_names(ctx.conn, ctx.project.id)?;
    if let Some(group) = &ctx.user.rights.group {
        let mut stmt = ctx.conn.prepare(
            "SELECT DISTINCT record FROM data WHERE project_id = ?1 AND field = ?2 AND value = ?3",
        )?;
        let mine: Vec<String> = stmt
            .query_map(params![ctx.project.id, GROUP_FIELD, group], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        records.retain(|r| mine.contains(r));
    }
    Ok(records)
}

/// REDCap's unique group name: the label lower-cased, stripped to
/// `[0-9a-z_ ]`, spaces to `_`, its first 18 characters, trailing `_`
/// removed; a name already taken gets `b`, `c`, … appended.
pub(crate) fn unique_group_name(label: &str, taken: &[String]) -> Result<String, ApiError> {
    let cleaned: String = label
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '_' } else { c })
        .take(18)
        .collect();
    let mut base = cleaned.trim_end_matches('_').to_owned();
    if base.is_empty() {
        // A label without a single usable character: REDCap falls back to
        // a hash; any short hexadecimal name serves.
        base = random_token(8)?.to_lowercase();
    }
    if !taken.contains(&base) {
        return Ok(base);
    }
    Ok(('b'..='z')
        .map(|suffix| format!("{base}{suffix}"))
        .find(|c| !taken.contains(c))
        .unwrap_or(base))
}

/// `content=dag` export.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_EXPORT)?;
    let rows: Vec<Row> = with_ids(ctx.conn, &ctx.project)?
        .into_iter()
        .map(|(id, dag)| {
            vec![
                ("data_access_group_name", text(dag.name)),
                ("unique_group_name", text(dag.unique_name)),
                ("data_access_group_id", Cell::Number(id)),
            ]
        })
        .collect();
    Ok(table::reply(
        ctx.format,
        &rows,
        &[
            "data_access_group_name",
            "unique_group_name",
            "data_access_group_id",
        ],
        "dags",
    ))
}

/// `content=dag&action=import`: a row with an empty (or no)
/// `unique_group_name` creates a group, one naming an existing group
/// renames it (its unique name stays).
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_IMPORT)?;
    let rows = read_rows(ctx)?;
    let mut project = ctx.project.clone();
    let mut errors = Vec::new();
    for row in &rows {
        let label = row
            .get("data_access_group_name")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let unique = row
            .get("unique_group_name")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        if label.is_empty() {
            errors.push("The data_access_group_name field is required for every DAG.".to_owned());
            continue;
        }
        if unique.is_empty() {
            let taken: Vec<String> = project
                .schema
                .dags
                .iter()
                .map(|d| d.unique_name.clone())
                .collect();
            let unique_name = unique_group_name(&label, &taken)?;
            project.schema.dags.push(Dag {
                name: label,
                unique_name,
            });
        } else if let Some(dag) = project
            .schema
            .dags
            .iter_mut()
            .find(|d| d.unique_name == unique)
        {
            dag.name = label;
        } else {
            errors.push(format!("The unique group name \"{unique}\" is not valid."));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    store::save_project(ctx.conn, &project)?;
    // Give new groups their ids now, in the order they were created.
    with_ids(ctx.conn, &project)?;
    Ok(Reply::count(ctx.format, rows.len()))
}

/// `content=dag&action=delete`: every named group must exist; the records
/// of a deleted group and its users become unassigned.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_IMPORT)?;
    let names = ctx.params.list("dags");
    if !ctx.params.is_array("dags") || names.is_empty() {
        return Err(ApiError::bad(
            "The 'dags' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.",
        ));
    }
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !ctx.project.schema.dags.iter().any(|d| d.unique_name == **n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the dags provided are not valid unique group names that do not exist in this project. Note: No dags were deleted. DAGs that do not exist: {}",
            missing.join(", ")
        )));
    }
    let mut project = ctx.project.clone();
    let mut count = 0;
    for name in &names {
        let before = project.schema.dags.len();
        project.schema.dags.retain(|d| d.unique_name != *name);
        if project.schema.dags.len() == before {
            continue; // named twice
        }
        count += 1;
        store::delete_where(
            ctx.conn,
            project.id,
            "field = ?2 AND value = ?3",
            &[&GROUP_FIELD, name],
        )?;
        for (username, mut rights) in members::list(ctx.conn, project.id)? {
            if rights.group.as_deref() == Some(name.as_str()) {
                rights.group = None;
                members::save(ctx.conn, project.id, &username, &rights)?;
            }
        }
        ctx.conn.execute(
            "DELETE FROM dag_switcher WHERE project_id = ?1 AND unique_name = ?2",
            params![project.id, name],
        )?;
        ctx.conn.execute(
            "DELETE FROM dag_ids WHERE project_id = ?1 AND unique_name = ?2",
            params![project.id, name],
        )?;
    }
    store::save_project(ctx.conn, &project)?;
    Ok(Reply::count(ctx.format, count))
}

/// `content=userDagMapping` export: every user the caller may see with
/// the unique name of their group (empty for none).
pub(crate) fn export_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_EXPORT)?;
    let rows: Vec<Row> = members::visible(ctx)?
        .into_iter()
        .map(|(username, rights)| {
            vec![
                ("username", text(username)),
                (
                    "redcap_data_access_group",
                    text(rights.group.unwrap_or_default()),
                ),
            ]
        })
        .collect();
    Ok(table::reply(
        ctx.format,
        &rows,
        &["username", "redcap_data_access_group"],
        "items",
    ))
}

/// `content=userDagMapping` import: rows of `username` and
/// `redcap_data_access_group` (empty = no group).
pub(crate) fn import_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_IMPORT)?;
    let rows = read_rows(ctx)?;
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for row in &rows {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        let group = row
            .get("redcap_data_access_group")
            .map(|s| s.trim())
            .unwrap_or_default();
        let Some(rights) = members::get(ctx.conn, ctx.project.id, username)? else {
            errors.push(format!(
                "The username \"{username}\" is not a valid user in this project."
            ));
            continue;
        };
        if !group.is_empty()
            && !ctx
                .project
                .schema
                .dags
                .iter()
                .any(|d| d.unique_name == group)
        {
            errors.push(format!(
                "The Data Access Group \"{group}\" for the user \"{username}\" is not a valid unique group name."
            ));
            continue;
        }
        changes.push((
            username.to_owned(),
            rights,
            (!group.is_empty()).then(|| group.to_owned()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    for (username, mut rights, group) in changes {
        rights.group = group;
        members::save(ctx.conn, ctx.project.id, &username, &rights)?;
    }
    Ok(Reply::count(ctx.format, rows.len()))
}

/// Lets a user switch to these DAGs (`""` = no group), as REDCap's DAG
/// Switcher page does; the API has no method for it.
pub(crate) fn allow_switch(
    conn: &Connection,
    project_id: i64,
    username: &str,
    dags: &[&str],
) -> rusqlite::Result<()> {
    for dag in dags {
        conn.execute(
            "INSERT OR IGNORE INTO dag_switcher (project_id, username, unique_name) VALUES (?1, ?2, ?3)",
            params![project_id, username, dag],
        )?;
    }
    Ok(())
}

/// `content=dag&action=switch`: moves the caller to another group they are
/// allowed on the DAG Switcher. Failures are 200 answers with REDCap's
/// plain-text `ERROR: …` message.
pub(crate) fn switch(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let wanted = ctx.params.get("dag").unwrap_or_default().trim();
    let target = if wanted.is_empty() || wanted == "0" {
        ""
    } else {
        wanted
    };
    if !target.is_empty()
        && !ctx
            .project
            .schema
            .dags
            .iter()
            .any(|d| d.unique_name == target)
    {
        return Ok(Reply::plain(ctx.format, "ERROR: Invalid DAG"));
    }
    let username = members::caller(ctx)?;
    let Some(mut rights) = members::get(ctx.conn, ctx.project.id, &username)? else {
        return Ok(Reply::plain(ctx.format, "ERROR: Invalid user"));
    };
    let allowed: bool = ctx.conn.query_row(
        "SELECT COUNT(*) FROM dag_switcher WHERE project_id = ?1 AND username = ?2 AND unique_name = ?3",
        params![ctx.project.id, username, target],
        |r| r.get::<_, i64>(0),
    )? > 0;
    if !allowed {
        return Ok(Reply::plain(
            ctx.format,
            "ERROR: User/DAG assignment not permitted",
        ));
    }
    rights.group = (!target.is_empty()).then(|| target.to_owned());
    members::save(ctx.conn, ctx.project.id, &username, &rights)?;
    Ok(Reply::plain(ctx.format, "1"))
}
