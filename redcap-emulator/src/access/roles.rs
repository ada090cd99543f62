//! `content=userRole` (export, import, delete) and `content=userRoleMapping`
//! (export, import). A role member's stored rights are the role's, copied
//! whenever the role or the assignment changes.

use rusqlite::{Connection, params};

use super::table::{self, Cell, Row, text};
use super::users::{apply_rights, form_cells};
use super::{
    ROLES_IMPORT, members, randomization_enabled, read_rows, require_user_rights_full,
    require_user_rights_read,
};
use crate::context::Ctx;
use crate::reply::{ApiError, Reply};
use crate::rights::{RANDOM_RIGHT_KEYS, ROLE_RIGHT_KEYS, UserRights};

/// One stored role.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) id: i64,
    pub(crate) unique_name: String,
    pub(crate) label: String,
    pub(crate) rights: UserRights,
}

/// The roles of a project, by label as REDCap lists them.
pub(crate) fn list(conn: &Connection, project_id: i64) -> rusqlite::Result<Vec<Role>> {
    let mut stmt = conn.prepare(
        "SELECT role_id, unique_role_name, role_label, rights_json FROM user_roles
         WHERE project_id = ?1 ORDER BY lower(role_label), role_id",
    )?;
    let rows = stmt.query_map([project_id], |row| {
        let json: String = row.get(3)?;
        let rights = serde_json::from_str(&json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
        })?;
        Ok(Role {
            id: row.get(0)?,
            unique_name: row.get(1)?,
            label: row.get(2)?,
            rights,
        })
    })?;
    rows.collect()
}

fn save(conn: &Connection, project_id: i64, role: &Role) -> rusqlite::Result<()> {
    let json = serde_json::to_string(&role.rights).unwrap_or_else(|_| "{}".into());
    if role.id == 0 {
        conn.execute(
            "INSERT INTO user_roles (project_id, unique_role_name, role_label, rights_json) VALUES (?1, ?2, ?3, ?4)",
            params![project_id, role.unique_name, role.label, json],
        )?;
    } else {
        conn.execute(
            "UPDATE user_roles SET role_label = ?2, rights_json = ?3 WHERE role_id = ?1",
            params![role.id, role.label, json],
        )?;
    }
    Ok(())
}

/// Copies a role's rights to each of its members.
fn refresh_members(conn: &Connection, project_id: i64, role: &Role) -> rusqlite::Result<()> {
    for (username, rights) in members::list(conn, project_id)? {
        if rights.role.as_deref() == Some(role.unique_name.as_str()) {
            let merged = rights.with_role_rights(&role.rights, &role.unique_name);
            members::save(conn, project_id, &username, &merged)?;
        }
    }
    Ok(())
}

/// A new unique role name as REDCap makes them: `U-` and ten upper-case
/// letters and digits.
fn new_unique_name(taken: &[Role]) -> Result<String, ApiError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    loop {
        let mut bytes = [0u8; 10];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| ApiError::internal(format!("no randomness for a role name: {e}")))?;
        let name: String = bytes
            .iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let name = format!("U-{name}");
        if !taken.iter().any(|r| r.unique_name == name) {
            return Ok(name);
        }
    }
}

/// `content=userRole` export.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_read(ctx)?;
    let random = randomization_enabled(ctx);
    let mut rows = Vec::new();
    for role in list(ctx.conn, ctx.project.id)? {
        let mut row: Row = vec![
            ("unique_role_name", text(role.unique_name.clone())),
            ("role_label", text(role.label.clone())),
        ];
        for key in ROLE_RIGHT_KEYS {
            row.push((
                key,
                Cell::Number(u64::from(role.rights.right(key).unwrap_or(0))),
            ));
        }
        let (forms, forms_export) = form_cells(ctx, &role.rights);
        let forms_export = match (&forms, forms_export) {
            // REDCap 15.7.6's CSV role export builds the forms_export text
            // on top of the forms text, so it repeats the forms pairs.
            (Cell::Forms(entry), Cell::Forms(export))
                if ctx.format == crate::format::Format::Csv =>
            {
                Cell::Forms(entry.iter().chain(export.iter()).cloned().collect())
            }
            (_, other) => other,
        };
        row.push(("forms", forms));
        row.push(("forms_export", forms_export));
        if random {
            for key in RANDOM_RIGHT_KEYS {
                row.push((
                    key,
                    Cell::Number(u64::from(role.rights.right(key).unwrap_or(0))),
                ));
            }
        }
        rows.push(row);
    }
    Ok(table::reply(ctx.format, &rows, &[], "userRoles"))
}

/// `content=userRole` import: a row without `unique_role_name` (or with it
/// empty) creates a role, one with an existing name updates it (only the
/// columns given); `role_label` is required on every row.
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, ROLES_IMPORT)?;
    let rows = read_rows(ctx)?;
    let mut roles = list(ctx.conn, ctx.project.id)?;
    let mut errors = Vec::new();
    let mut changed: Vec<usize> = Vec::new();
    for row in &rows {
        let label = row.get("role_label").map(|s| s.trim()).unwrap_or_default();
        let unique = row
            .get("unique_role_name")
            .map(|s| s.trim())
            .unwrap_or_default();
        if label.is_empty() {
            errors.push("The role_label is missing for one or more roles.".to_owned());
            continue;
        }
        let index = if unique.is_empty() {
            let mut rights = UserRights::nothing();
            for form in &ctx.project.schema.forms {
                rights.forms.insert(form.name.clone(), 0);
                rights.forms_export.insert(form.name.clone(), 0);
            }
            roles.push(Role {
                id: 0,
                unique_name: new_unique_name(&roles)?,
                label: label.to_owned(),
                rights,
            });
            roles.len() - 1
        } else if let Some(i) = roles.iter().position(|r| r.unique_name == unique) {
            roles[i].label = label.to_owned();
            i
        } else {
            errors.push(format!("The unique role name \"{unique}\" is not valid."));
            continue;
        };
        let who = label.to_owned();
        let role = &mut roles[index];
        errors.extend(apply_rights(
            ctx,
            &who,
            row,
            &mut role.rights,
            &["unique_role_name", "role_label"],
        ));
        if !changed.contains(&index) {
            changed.push(index);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    for index in changed {
        save(ctx.conn, ctx.project.id, &roles[index])?;
        refresh_members(ctx.conn, ctx.project.id, &roles[index])?;
    }
    Ok(Reply::count(ctx.format, rows.len()))
}

/// `content=userRole&action=delete`: every named role must exist; its
/// members leave the role and keep its rights as their own.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, ROLES_IMPORT)?;
    let names = ctx.params.list("roles");
    if !ctx.params.is_array("roles") || names.is_empty() {
        return Err(ApiError::bad(
            "The 'roles' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.",
        ));
    }
    let roles = list(ctx.conn, ctx.project.id)?;
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !roles.iter().any(|r| r.unique_name == **n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the roles provided are not valid rolenames that do not exist in this project. Note: No roles were deleted. Roles that do not exist: {}",
            missing.join(", ")
        )));
    }
    let mut count = 0;
    for role in roles.iter().filter(|r| names.contains(&r.unique_name)) {
        for (username, mut rights) in members::list(ctx.conn, ctx.project.id)? {
            if rights.role.as_deref() == Some(role.unique_name.as_str()) {
                rights.role = None;
                members::save(ctx.conn, ctx.project.id, &username, &rights)?;
            }
        }
        ctx.conn
            .execute("DELETE FROM user_roles WHERE role_id = ?1", [role.id])?;
        count += 1;
    }
    Ok(Reply::count(ctx.format, count))
}

/// `content=userRoleMapping` export: every user the caller may see with
/// their role's unique name (empty for none).
pub(crate) fn export_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_read(ctx)?;
    let rows: Vec<Row> = members::visible(ctx)?
        .into_iter()
        .map(|(username, rights)| {
            vec![
                ("username", text(username)),
                ("unique_role_name", text(rights.role.unwrap_or_default())),
            ]
        })
        .collect();
    Ok(table::reply(
        ctx.format,
        &rows,
        &["username", "unique_role_name"],
        "items",
    ))
}

/// `content=userRoleMapping` import: rows of `username` and
/// `unique_role_name`; an empty role name takes the user out of their role
/// (keeping its rights).
pub(crate) fn import_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, ROLES_IMPORT)?;
    let rows = read_rows(ctx)?;
    let roles = list(ctx.conn, ctx.project.id)?;
    let visible = members::visible(ctx)?;
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for row in &rows {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        let unique = row
            .get("unique_role_name")
            .map(|s| s.trim())
            .unwrap_or_default();
        let Some((_, rights)) = visible.iter().find(|(u, _)| u == username) else {
            errors.push(format!(
                "The username \"{username}\" is not a valid user in this project."
            ));
            continue;
        };
        if unique.is_empty() {
            let mut rights = rights.clone();
            rights.role = None;
            changes.push((username.to_owned(), rights));
        } else if let Some(role) = roles.iter().find(|r| r.unique_name == unique) {
            changes.push((
                username.to_owned(),
                rights.with_role_rights(&role.rights, unique),
            ));
        } else {
            errors.push(format!(
                "The unique role name \"{unique}\" for the user \"{username}\" is not valid."
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    for (username, rights) in changes {
        members::save(ctx.conn, ctx.project.id, &username, &rights)?;
    }
    Ok(Reply::count(ctx.format, rows.len()))
}
