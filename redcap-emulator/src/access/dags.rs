//! Data access groups: export, import (create or rename), delete, the
//! user–DAG mapping, and switching the caller's DAG.
//!
//! The groups are the project schema's `dags`; REDCap's numeric group ids
//! live in `dag_ids`. REDCap derives unique group names from the labels
//! every time (groups ordered by label), so creating or renaming a group
//! can change unique names: [`normalise`] recomputes them and rewrites the
//! records, users and DAG Switcher entries that refer to a renamed group.
//! A deleted group's records and users keep pointing at it (REDCap deletes
//! only the group row), here as `#<group id>`, which no unique name can be.

use redcap_schema::Dag;
use rusqlite::{Connection, OptionalExtension, params};

use super::log;
use super::table::{self, Cell, Row, Xml, text};
use super::{
    DAGS_EXPORT, DAGS_IMPORT, NOT_IN_FORMAT, first_row_has, md5, members, missing_components,
    read_item_rows, require_dag_right,
};
use crate::context::Ctx;
use crate::records::data::GROUP_FIELD;
use crate::reply::{ApiError, Reply};
use crate::store;

/// `api_184`: a DAG member importing user–DAG assignments.
const IN_DAG_MAPPING: &str = "You do not have permission to import User-DAG Assignment because you have been assigned to a Data Access Group.";

/// The project's DAGs with their group ids, ordered as REDCap lists them
/// (by trimmed label, case-insensitively); a group without an id yet gets
/// the next free one.
pub(crate) fn with_ids(
    conn: &Connection,
    project: &store::Project,
) -> rusqlite::Result<Vec<(u64, Dag)>> {
    let mut next = conn.query_row(
        "SELECT COALESCE(MAX(group_id), 0) FROM dag_ids WHERE project_id = ?1",
        [project.id],
        |r| r.get::<_, i64>(0),
    )? + 1;
    let mut out = Vec::new();
    for dag in &project.schema.dags {
        let id: Option<i64> = conn
            .query_row(
                "SELECT group_id FROM dag_ids WHERE project_id = ?1 AND unique_name = ?2",
                params![project.id, dag.unique_name],
                |r| r.get(0),
            )
            .optional()?;
        let id = match id {
            Some(id) => id,
            None => {
                conn.execute(
                    "INSERT INTO dag_ids (project_id, unique_name, group_id) VALUES (?1, ?2, ?3)",
                    params![project.id, dag.unique_name, next],
                )?;
                next += 1;
                next - 1
            }
        };
        out.push((u64::try_from(id).unwrap_or_default(), dag.clone()));
    }
    out.sort_by(|(a_id, a), (b_id, b)| {
        label_key(&a.name)
            .cmp(&label_key(&b.name))
            .then(a_id.cmp(b_id))
    });
    Ok(out)
}

fn label_key(label: &str) -> String {
    label.trim().to_lowercase()
}

/// REDCap's unique group name of one label before de-duplication: the
/// trimmed label stripped to `[0-9a-zA-Z_ ]`, spaces to `_`, its first 18
/// characters lower-cased, one trailing `_` removed; for a label left
/// empty, the first 10 hex digits of its MD5.
fn unique_base(label: &str) -> String {
    let kept: String = label
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '_' } else { c })
        .take(18)
        .collect::<String>()
        .to_lowercase();
    let base = kept.strip_suffix('_').unwrap_or(&kept).to_owned();
    if base.is_empty() {
        md5::hex(label.as_bytes())[..10].to_owned()
    } else {
        base
    }
}

/// The unique names of labels in REDCap's order: the n-th repeat of a base
/// name gets `b`, `c`, … (then two letters).
fn unique_names<'a>(labels: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut bases: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for label in labels {
        let base = unique_base(label);
        let count = bases.iter().filter(|b| **b == base).count();
        let suffix = match count {
            0 => String::new(),
            1..=25 => char::from(b'a' + count as u8).to_string(),
            26..=701 => format!(
                "{}{}",
                char::from(b'`' + (count / 26) as u8),
                char::from(b'a' + (count % 26) as u8)
            ),
            _ => "??".to_owned(),
        };
        bases.push(base.clone());
        out.push(format!("{base}{suffix}"));
    }
    out
}

/// Points every reference to a group (records, users, DAG Switcher, ids)
/// at a new name.
fn rename_references(
    conn: &Connection,
    project_id: i64,
    old: &str,
    new: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE data SET value = ?4 WHERE project_id = ?1 AND field = ?2 AND value = ?3",
        params![project_id, GROUP_FIELD, old, new],
    )?;
    conn.execute(
        "UPDATE dag_switcher SET unique_name = ?3 WHERE project_id = ?1 AND unique_name = ?2",
        params![project_id, old, new],
    )?;
    conn.execute(
        "UPDATE dag_ids SET unique_name = ?3 WHERE project_id = ?1 AND unique_name = ?2",
        params![project_id, old, new],
    )?;
    for (username, mut rights) in members::list(conn, project_id)? {
        if rights.group.as_deref() == Some(old) {
            rights.group = Some(new.to_owned());
            members::save(conn, project_id, &username, &rights)?;
        }
    }
    Ok(())
}

/// Recomputes every unique group name from the labels (REDCap's order),
/// rewrites references to the names that changed and saves the project
/// with its groups in that order.
pub(crate) fn normalise(conn: &Connection, project: &mut store::Project) -> rusqlite::Result<()> {
    let groups = with_ids(conn, project)?;
    let names = unique_names(groups.iter().map(|(_, d)| d.name.as_str()));
    // Two passes through temporary names, so that swapped names do not
    // collide.
    for (id, dag) in &groups {
        rename_references(conn, project.id, &dag.unique_name, &format!("\u{1}{id}"))?;
    }
    let mut dags = Vec::new();
    for ((id, dag), name) in groups.iter().zip(names) {
        rename_references(conn, project.id, &format!("\u{1}{id}"), &name)?;
        dags.push(Dag {
            name: dag.name.clone(),
            unique_name: name,
        });
    }
    project.schema.dags = dags;
    store::save_project(conn, project)
}

/// The unique name and id REDCap shows for a stored group reference: both
/// empty for no group or a deleted one.
pub(crate) fn group_cells(groups: &[(u64, Dag)], group: Option<&str>) -> (Cell, Cell) {
    match group.and_then(|g| groups.iter().find(|(_, d)| d.unique_name == g)) {
        Some((id, dag)) => (text(dag.unique_name.clone()), Cell::Number(*id)),
        None => (text(""), text("")),
    }
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
        Xml::Cdata,
    ))
}

/// `content=dag&action=import`: a row with an empty `unique_group_name`
/// creates a group, one naming an existing group renames it (REDCap then
/// derives its unique name from the new label).
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_IMPORT)?;
    let Some(rows) = read_item_rows(ctx, "dags")? else {
        return Ok(Reply::plain(ctx.format, NOT_IN_FORMAT));
    };
    if !first_row_has(&rows, &["unique_group_name", "data_access_group_name"]) {
        return Err(missing_components(
            "data_access_group_name, unique_group_name",
        ));
    }
    let mut project = ctx.project.clone();
    let existing: Vec<String> = project
        .schema
        .dags
        .iter()
        .map(|d| d.unique_name.clone())
        .collect();
    let mut errors = Vec::new();
    let mut count = 0;
    for row in &rows {
        let name = row
            .get("data_access_group_name")
            .cloned()
            .unwrap_or_default();
        let unique = row
            .get("unique_group_name")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        if name.is_empty() {
            // `design_638` is not in 15.7.6's language file, hence the
            // message ends with a space.
            errors.push(format!(
                "The data access group name for unique group name \"{unique}\" "
            ));
            continue;
        }
        if name.len() > 100 {
            errors.push(format!(
                "The data access group name \"{name}\" must be less than or equal to 100 characters in length."
            ));
            continue;
        }
        if !unique.is_empty() && !existing.contains(&unique) {
            errors.push(format!(
                "Unique group name \"{unique}\" does not exist in the project. NOTE: The unique group name is auto-generated from the name of the data access group, so there is no way to set the unique group name manually.\n              If you are attempting to create a new DAG, you should leave the unique_group_name and data_access_group_id fields blank in your upload file."
            ));
            continue;
        }
        if !errors.is_empty() {
            continue;
        }
        match project
            .schema
            .dags
            .iter_mut()
            .find(|d| d.unique_name == unique)
        {
            Some(dag) if !unique.is_empty() => dag.name = name,
            _ => {
                // A placeholder unique name until `normalise` derives it;
                // the id is given now, in creation order.
                let placeholder = format!("\u{2}{}", project.schema.dags.len());
                project.schema.dags.push(Dag {
                    name,
                    unique_name: placeholder,
                });
                with_ids(ctx.conn, &project)?;
            }
        }
        count += 1;
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    normalise(ctx.conn, &mut project)?;
    Ok(Reply::count(ctx.format, count))
}

/// `content=dag&action=delete`: every named group must exist. As in
/// REDCap, only the group goes: its records and users keep their group id
/// (so a member still sees only those records), shown as no group.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_IMPORT)?;
    let names = ctx.params.list("dags");
    if !ctx.params.is_array("dags") || names.is_empty() {
        return Err(ApiError::bad(
            "The 'dags' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.",
        ));
    }
    let groups = with_ids(ctx.conn, &ctx.project)?;
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !groups.iter().any(|(_, d)| d.unique_name == **n))
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
    for (id, dag) in groups
        .iter()
        .filter(|(_, d)| names.contains(&d.unique_name))
    {
        count += 1;
        rename_references(ctx.conn, project.id, &dag.unique_name, &format!("#{id}"))?;
        ctx.conn.execute(
            "DELETE FROM dag_ids WHERE project_id = ?1 AND group_id = ?2",
            params![project.id, i64::try_from(*id).unwrap_or_default()],
        )?;
        project
            .schema
            .dags
            .retain(|d| d.unique_name != dag.unique_name);
    }
    normalise(ctx.conn, &mut project)?;
    Ok(Reply::count(ctx.format, count))
}

/// `content=userDagMapping` export: every user the caller may see with
/// the unique name of their group (empty for none).
pub(crate) fn export_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_EXPORT)?;
    let groups = with_ids(ctx.conn, &ctx.project)?;
    let rows: Vec<Row> = members::visible(ctx)?
        .into_iter()
        .map(|(username, rights)| {
            let (unique, _) = group_cells(&groups, rights.group.as_deref());
            vec![
                ("username", text(username.to_lowercase())),
                ("redcap_data_access_group", unique),
            ]
        })
        .collect();
    Ok(table::reply(
        ctx.format,
        &rows,
        &["username", "redcap_data_access_group"],
        "items",
        Xml::Cdata,
    ))
}

/// `content=userDagMapping` import: rows of `username` and
/// `redcap_data_access_group` (empty = no group).
pub(crate) fn import_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_dag_right(ctx, DAGS_IMPORT)?;
    let Some(rows) = read_item_rows(ctx, "items")? else {
        return Ok(Reply::plain(ctx.format, NOT_IN_FORMAT));
    };
    if !first_row_has(&rows, &["username", "redcap_data_access_group"]) {
        return Err(ApiError::bad(
            "One or more components are missing in your input data. The following attributes are required: username, redcap_data_access_group",
        ));
    }
    if ctx.user.rights.group.is_some() {
        return Err(ApiError::bad(IN_DAG_MAPPING));
    }
    let mut errors = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut changes = Vec::new();
    for row in &rows {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        let group = row
            .get("redcap_data_access_group")
            .map(|s| s.trim())
            .unwrap_or_default();
        seen.push(username.to_owned());
        if username.is_empty() {
            errors.push(format!("The username for unique group name \"{group}\" "));
            continue;
        }
        if username.len() > 255 {
            errors.push(format!(
                "The username \"{username}\" must be less than or equal to 255 characters in length."
            ));
            continue;
        }
        let Some((stored, rights)) = members::get(ctx.conn, ctx.project.id, username)? else {
            errors.push(format!(
                "The username \"{username}\" does not exist in the project."
            ));
            continue;
        };
        if seen.iter().filter(|u| *u == username).count() > 1 {
            errors.push(format!(
                "The username \"{username}\" occurs in more than one record. "
            ));
            continue;
        }
        if !group.is_empty()
            && !ctx
                .project
                .schema
                .dags
                .iter()
                .any(|d| d.unique_name == group)
        {
            errors.push(format!(
                "Unique group name \"{group}\" does not exist in the project."
            ));
            continue;
        }
        changes.push((
            stored,
            rights,
            (!group.is_empty()).then(|| group.to_owned()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    let count = changes.len();
    for (username, mut rights, group) in changes {
        let label = ctx
            .project
            .schema
            .dags
            .iter()
            .find(|d| Some(&d.unique_name) == group.as_ref())
            .map(|d| d.name.as_str())
            .unwrap_or_default();
        log::user_group(ctx, &username, label)?;
        rights.group = group;
        members::save(ctx.conn, ctx.project.id, &username, &rights)?;
    }
    Ok(Reply::count(ctx.format, count))
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
            "INSERT OR IGNORE INTO dag_switcher (project_id, username, unique_name) VALUES (?1, lower(?2), ?3)",
            params![project_id, username, dag],
        )?;
    }
    Ok(())
}

/// `content=dag&action=switch` (REDCap's `DAGSwitcher::switchToDAG`):
/// moves the caller to a group they are allowed on the DAG Switcher.
/// Failures are 200 answers with REDCap's plain-text `ERROR: …` message.
pub(crate) fn switch(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let wanted = ctx.params.get("dag").unwrap_or_default().trim();
    // PHP's empty(): "" and "0" both mean "no group".
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
    let mut stmt = ctx.conn.prepare(
        "SELECT unique_name FROM dag_switcher WHERE project_id = ?1 AND username = lower(?2)",
    )?;
    let allowed: Vec<String> = stmt
        .query_map(params![ctx.project.id, username], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if allowed.is_empty() {
        return Ok(Reply::plain(ctx.format, "ERROR: Invalid user"));
    }
    if !allowed.iter().any(|a| a == target) {
        return Ok(Reply::plain(
            ctx.format,
            "ERROR: User/DAG assignment not permitted",
        ));
    }
    let mut rights = ctx.user.rights.clone();
    rights.group = (!target.is_empty()).then(|| target.to_owned());
    members::save(ctx.conn, ctx.project.id, &username, &rights)?;
    Ok(Reply::plain(ctx.format, "1"))
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
        // A set: a project has tens of thousands of records.
        let mine: std::collections::HashSet<String> = stmt
            .query_map(params![ctx.project.id, GROUP_FIELD, group], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        records.retain(|r| mine.contains(r));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_as_redcap_derives_them() {
        let names = unique_names(
            [
                "Site Três: North / 2",
                "dag 1",
                "dag_1",
                "DAG  1",
                "中文",
                "x_",
            ]
            .into_iter(),
        );
        assert_eq!(
            names,
            [
                "site_trs_north__2",
                "dag_1",
                "dag_1b",
                "dag__1",
                &md5::hex("中文".as_bytes())[..10],
                "x"
            ]
        );
        assert_eq!(
            unique_base("A very long group label indeed"),
            "a_very_long_group"
        );
    }
}
