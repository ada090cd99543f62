//! `content=userRole` (export, import, delete) and `content=userRoleMapping`
//! (export, import), as REDCap 15.7.6's `UserRights` role functions do.
//!
//! A role member's stored rights are the role's (copied whenever the role
//! or the assignment changes), with the member's own rights kept
//! underneath for when the role no longer applies.

use rusqlite::{Connection, params};

use super::log;
use super::table::{self, Cell, Row, Xml, text};
use super::users::{entry_code, export_code, form_cells, parse_forms, set_forms};
use super::{
    NOT_IN_FORMAT, ROLES_IMPORT, dags, members, php_empty, randomization_enabled, read_item_rows,
    require_user_rights_full, require_user_rights_read, strip_tags,
};
use crate::context::Ctx;
use crate::format::Format;
use crate::reply::{ApiError, Reply};
use crate::rights::{RANDOM_RIGHT_KEYS, USER_RIGHT_KEYS, UserRights, role_right_keys};

/// The rights `uploadUserRoles` reads from a row (others are set to 0 when
/// a role is imported): every exported right but `email_logging`.
fn imported() -> impl Iterator<Item = &'static &'static str> {
    USER_RIGHT_KEYS
        .iter()
        .filter(|key| **key != "email_logging")
}

/// One stored role.
#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) id: i64,
    pub(crate) unique_name: String,
    pub(crate) label: String,
    pub(crate) rights: UserRights,
}

/// The roles of a project, in creation order as REDCap exports them.
pub(crate) fn list(conn: &Connection, project_id: i64) -> rusqlite::Result<Vec<Role>> {
    let mut stmt = conn.prepare(
        "SELECT role_id, unique_role_name, role_label, rights_json FROM user_roles
         WHERE project_id = ?1 ORDER BY role_id",
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

/// Stores a role: a new one (id 0) is added, others updated.
pub(super) fn save(conn: &Connection, project_id: i64, role: &Role) -> rusqlite::Result<()> {
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
            let merged = rights.in_role(&role.rights, &role.unique_name);
            members::save(conn, project_id, &username, &merged)?;
        }
    }
    Ok(())
}

/// A new unique role name as REDCap makes them: `U-`, three digits
/// without zeros, then seven letters and digits that are easy to type.
fn new_unique_name(taken: &[Role]) -> Result<String, ApiError> {
    const DIGITS: &[u8] = b"123456789";
    const HASH: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    loop {
        let mut bytes = [0u8; 10];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| ApiError::internal(format!("no randomness for a role name: {e}")))?;
        let digits = bytes[..3]
            .iter()
            .map(|b| char::from(DIGITS[usize::from(*b) % DIGITS.len()]));
        let hash = bytes[3..]
            .iter()
            .map(|b| char::from(HASH[usize::from(*b) % HASH.len()]));
        let name = format!("U-{}", digits.chain(hash).collect::<String>());
        if !taken.iter().any(|r| r.unique_name == name) {
            return Ok(name);
        }
    }
}

/// The role keys in export order (randomization rights after the forms).
fn role_keys(random: bool) -> (Vec<&'static str>, Vec<&'static str>) {
    (
        role_right_keys().collect(),
        if random {
            RANDOM_RIGHT_KEYS.to_vec()
        } else {
            Vec::new()
        },
    )
}

/// `content=userRole` export. REDCap writes the rights as the text it
/// stored (JSON strings), the per-form rights as numbers.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_read(ctx)?;
    let (before, after) = role_keys(randomization_enabled(ctx));
    let mut rows = Vec::new();
    for role in list(ctx.conn, ctx.project.id)? {
        let mut row: Row = vec![
            ("unique_role_name", text(role.unique_name.clone())),
            ("role_label", text(role.label.clone())),
        ];
        for key in &before {
            row.push((key, text(role.rights.right(key).unwrap_or(0).to_string())));
        }
        let (forms, mut forms_export) = form_cells(ctx, &role.rights);
        if ctx.format == Format::Csv {
            // REDCap 15.7.6's CSV role export builds the forms_export text
            // on top of the forms text, so it repeats the forms pairs.
            forms_export = forms.iter().cloned().chain(forms_export).collect();
        }
        row.push(("forms", Cell::Forms(forms)));
        row.push(("forms_export", Cell::Forms(forms_export)));
        for key in &after {
            row.push((key, text(role.rights.right(key).unwrap_or(0).to_string())));
        }
        rows.push(row);
    }
    Ok(table::reply(
        ctx.format,
        &rows,
        &[],
        "userRoles",
        Xml::Escaped,
    ))
}

/// `content=userRole` import: a row without `unique_role_name` (or with it
/// empty) creates a role, one with an existing name updates it; either way
/// every right the row does not give is set to 0, as REDCap does.
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, ROLES_IMPORT)?;
    let Some(rows) = read_item_rows(ctx, "userRoles")? else {
        return Ok(Reply::plain(ctx.format, NOT_IN_FORMAT));
    };
    let random = randomization_enabled(ctx);
    let mut roles = list(ctx.conn, ctx.project.id)?;
    let mut errors = Vec::new();
    let mut invalid: Vec<String> = Vec::new();
    let mut parsed = Vec::new();
    for row in &rows {
        let unique = row
            .get("unique_role_name")
            .map(|s| s.trim())
            .unwrap_or_default();
        if !unique.is_empty() && !roles.iter().any(|r| r.unique_name == unique) {
            invalid.push(unique.to_owned());
        }
        let label = row.get("role_label").cloned().unwrap_or_default();
        if php_empty(&label) {
            errors.push("The Role Label is blank.".to_owned());
        }
        let fields = imported().chain(if random { RANDOM_RIGHT_KEYS } else { &[] });
        for field in fields {
            let Some(value) = row.get(*field) else {
                continue;
            };
            if !php_empty(value) && value.trim().parse::<f64>().is_err() {
                errors.push(format!(
                    "The field named \"{field}\" for user role \"{unique}\"  with value \"{value}\" is not a valid rights value."
                ));
            }
        }
        let whose = format!("user role \"{unique}\"");
        let keep = |t: &str| t.to_owned();
        let forms = row.get("forms").filter(|t| !php_empty(t.trim())).map(|t| {
            parse_forms(
                ctx,
                t,
                &whose,
                &mut errors,
                |v| entry_code(v).is_some(),
                keep,
            )
        });
        let forms_export = row
            .get("forms_export")
            .filter(|t| !php_empty(t.trim()))
            .map(|t| {
                parse_forms(
                    ctx,
                    t,
                    &whose,
                    &mut errors,
                    |v| export_code(v).is_some(),
                    keep,
                )
            });
        parsed.push((unique.to_owned(), label, row, forms, forms_export));
    }
    if !invalid.is_empty() {
        errors.push(format!("Invalid Unique Role Names: {}", invalid.join(", ")));
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    let mut changed: Vec<usize> = Vec::new();
    for (unique, label, row, forms, forms_export) in parsed {
        let index = if unique.is_empty() {
            let mut rights = UserRights::nothing();
            let no_entry: indexmap::IndexMap<String, String> = ctx
                .project
                .schema
                .forms
                .iter()
                .map(|f| (f.name.clone(), "128".to_owned()))
                .collect();
            let no_export: indexmap::IndexMap<String, String> = ctx
                .project
                .schema
                .forms
                .iter()
                .map(|f| (f.name.clone(), "0".to_owned()))
                .collect();
            set_forms(&mut rights, Some(&no_entry), Some(&no_export));
            roles.push(Role {
                id: 0,
                unique_name: new_unique_name(&roles)?,
                label: strip_tags(&label),
                rights,
            });
            roles.len() - 1
        } else {
            let i = roles
                .iter()
                .position(|r| r.unique_name == unique)
                .unwrap_or_default();
            roles[i].label = label;
            i
        };
        let role = &mut roles[index];
        for field in imported().chain(if random { RANDOM_RIGHT_KEYS } else { &[] }) {
            let value = row.get(*field).map(String::as_str).unwrap_or("0");
            let max = UserRights::right_max(field).unwrap_or(1);
            let number = value.trim().parse::<f64>().unwrap_or(0.0);
            let level = if number <= 0.0 {
                0
            } else {
                (number.round() as u8).min(max)
            };
            role.rights.set_right(field, level);
        }
        set_forms(&mut role.rights, forms.as_ref(), forms_export.as_ref());
        if !changed.contains(&index) {
            changed.push(index);
        }
    }
    for index in changed {
        let created = roles[index].id == 0;
        save(ctx.conn, ctx.project.id, &roles[index])?;
        if created {
            roles[index].id = ctx.conn.last_insert_rowid();
            log::role_added(ctx, &roles[index].label)?;
        } else {
            log::role_edited(ctx, roles[index].id, &roles[index].label)?;
        }
        refresh_members(ctx.conn, ctx.project.id, &roles[index])?;
    }
    Ok(Reply::count(ctx.format, rows.len()))
}

/// `content=userRole&action=delete`: every named role must exist. Its
/// members are then in no role and have their own rights again.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, ROLES_IMPORT)?;
    let names = ctx.params.list("roles");
    if !ctx.params.is_array("roles") || names.is_empty() {
        return Err(ApiError::bad(
            "The 'roles' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.",
        ));
    }
    let mut roles = list(ctx.conn, ctx.project.id)?;
    let mut count = 0;
    let mut missing = Vec::new();
    for name in &names {
        let name = strip_tags(name);
        let Some(index) = roles.iter().position(|r| r.unique_name == name) else {
            missing.push(name);
            continue;
        };
        let role = roles.remove(index);
        for (username, rights) in members::list(ctx.conn, ctx.project.id)? {
            if rights.role.as_deref() == Some(role.unique_name.as_str()) {
                let mut own = rights.own_rights();
                own.role = None;
                members::save(ctx.conn, ctx.project.id, &username, &own)?;
            }
        }
        ctx.conn
            .execute("DELETE FROM user_roles WHERE role_id = ?1", [role.id])?;
        log::role_deleted(ctx, role.id, &role.label)?;
        count += 1;
    }
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the roles provided are not valid rolenames that do not exist in this project. Note: No roles were deleted. Roles that do not exist: {}",
            missing.join(", ")
        )));
    }
    Ok(Reply::count(ctx.format, count))
}

/// `content=userRoleMapping` export: every user the caller may see with
/// their role's unique name (empty for none) and, when the project has
/// DAGs, their group.
pub(crate) fn export_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_read(ctx)?;
    let roles = list(ctx.conn, ctx.project.id)?;
    let groups = dags::with_ids(ctx.conn, &ctx.project)?;
    let rows: Vec<Row> = members::visible(ctx)?
        .into_iter()
        .map(|(username, rights)| {
            let role = rights
                .role
                .filter(|r| roles.iter().any(|role| role.unique_name == *r))
                .unwrap_or_default();
            let mut row: Row = vec![
                ("username", text(username.to_lowercase())),
                ("unique_role_name", text(role)),
            ];
            if !groups.is_empty() {
                row.push((
                    "data_access_group",
                    dags::group_cells(&groups, rights.group.as_deref()).0,
                ));
            }
            row
        })
        .collect();
    Ok(table::reply(
        ctx.format,
        &rows,
        &["username", "unique_role_name"],
        "items",
        Xml::Cdata,
    ))
}

/// `content=userRoleMapping` import: rows of `username` and
/// `unique_role_name` (empty = no role) and optionally
/// `data_access_group`; a user not yet in the project is added with no
/// rights, as REDCap does.
pub(crate) fn import_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, ROLES_IMPORT)?;
    let Some(rows) = read_item_rows(ctx, "items")? else {
        return Ok(Reply::plain(ctx.format, NOT_IN_FORMAT));
    };
    if !super::first_row_has(&rows, &["username", "unique_role_name"]) {
        return Err(ApiError::bad(
            "One or more components are missing in your input data. The following attributes are required: username, unique_role_name",
        ));
    }
    let roles = list(ctx.conn, ctx.project.id)?;
    let mut errors = Vec::new();
    let mut invalid_users = Vec::new();
    let mut invalid_roles = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for row in &rows {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        let role = row
            .get("unique_role_name")
            .map(|s| s.trim())
            .unwrap_or_default();
        seen.push(username.to_owned());
        if let Some(own) = &ctx.user.rights.group {
            let group =
                members::get(ctx.conn, ctx.project.id, username)?.and_then(|(_, r)| r.group);
            if group.as_ref() != Some(own) {
                invalid_users.push(username.to_owned());
                continue;
            }
        }
        if username.is_empty() {
            errors.push(format!("The username for unique role name \"{role}\" "));
            continue;
        }
        if username.len() > 255 {
            errors.push(format!(
                "The username \"{username}\" must be less than or equal to 255 characters in length."
            ));
            continue;
        }
        if seen.iter().filter(|u| *u == username).count() > 1 {
            errors.push(format!(
                "The username \"{username}\" occurs in more than one record. "
            ));
            continue;
        }
        if !role.is_empty() && !roles.iter().any(|r| r.unique_name == role) {
            invalid_roles.push(role.to_owned());
        }
    }
    if !invalid_users.is_empty() {
        errors.push(format!("Invalid usernames: {}", invalid_users.join(", ")));
    }
    if !invalid_roles.is_empty() {
        errors.push(format!(
            "Invalid Unique Role Names: {}",
            invalid_roles.join(", ")
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    let mut count = 0;
    for row in &rows {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        if username.is_empty() {
            continue;
        }
        let role = row
            .get("unique_role_name")
            .map(|s| s.trim())
            .unwrap_or_default();
        let (stored, rights) = match members::get(ctx.conn, ctx.project.id, username)? {
            Some(found) => found,
            None => {
                let mut rights = UserRights::nothing();
                for form in &ctx.project.schema.forms {
                    rights.set_form_entry_code(&form.name, 0);
                    rights.forms_export.insert(form.name.clone(), 0);
                }
                let stored = username.to_lowercase();
                members::insert(ctx.conn, ctx.project.id, &stored, &rights)?;
                log::user_added(ctx, &stored)?;
                (stored, rights)
            }
        };
        let mut rights = match roles.iter().find(|r| r.unique_name == role) {
            Some(found) => rights.in_role(&found.rights, role),
            None => {
                let mut own = rights.own_rights();
                own.role = None;
                own
            }
        };
        let dag = row
            .get("data_access_group")
            .map(|s| s.trim())
            .unwrap_or_default();
        let role_label = roles
            .iter()
            .find(|r| r.unique_name == role)
            .map(|r| r.label.as_str())
            .unwrap_or_default();
        log::user_role(ctx, username, role_label)?;
        if ctx.project.schema.dags.iter().any(|d| d.unique_name == dag) {
            rights.group = Some(dag.to_owned());
            log::user_rights_group(ctx, username, dag, true)?;
        }
        members::save(ctx.conn, ctx.project.id, &stored, &rights)?;
        count += 1;
    }
    Ok(Reply::count(ctx.format, count))
}
