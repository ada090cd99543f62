//! `content=user`: export, import (create or update) and delete users.

use indexmap::IndexMap;

use super::table::{self, Cell, Row, text};
use super::{
    USERS_IMPORT, dags, form_pairs, members, randomization_enabled, read_rows,
    require_user_rights_full, require_user_rights_read,
};
use crate::context::Ctx;
use crate::records::payload::Item;
use crate::reply::{ApiError, Reply};
use crate::rights::{RANDOM_RIGHT_KEYS, USER_RIGHT_KEYS, UserRights};

/// Columns REDCap's user import reads but does not change (account data
/// and the exported group id/label).
const IGNORED: &[&str] = &[
    "username",
    "email",
    "firstname",
    "lastname",
    "data_export",
    "data_access_group_id",
    "data_access_group_label",
];

/// The per-form columns of a user or role: every instrument, data entry
/// rights in REDCap 15.7.6's codes and export rights.
pub(super) fn form_cells(ctx: &Ctx<'_>, rights: &UserRights) -> (Cell, Cell) {
    let forms = &ctx.project.schema.forms;
    (
        Cell::Forms(
            forms
                .iter()
                .map(|f| (f.name.clone(), u64::from(rights.form_entry_code(&f.name))))
                .collect(),
        ),
        Cell::Forms(
            forms
                .iter()
                .map(|f| (f.name.clone(), u64::from(rights.form_export(&f.name))))
                .collect(),
        ),
    )
}

/// `content=user` export.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_read(ctx)?;
    let random = randomization_enabled(ctx);
    let dag_ids = dags::with_ids(ctx.conn, &ctx.project)?;
    let mut rows = Vec::new();
    for (username, rights) in members::visible(ctx)? {
        let group_id = rights
            .group
            .as_ref()
            .and_then(|g| dag_ids.iter().find(|(_, d)| d.unique_name == *g))
            .map(|(id, _)| Cell::Number(*id))
            .unwrap_or_else(|| text(""));
        let mut row: Row = vec![
            ("username", text(username)),
            ("email", text(rights.email.clone())),
            ("firstname", text(rights.firstname.clone())),
            ("lastname", text(rights.lastname.clone())),
            (
                "expiration",
                text(rights.expiration.clone().unwrap_or_default()),
            ),
            (
                "data_access_group",
                text(rights.group.clone().unwrap_or_default()),
            ),
            ("data_access_group_id", group_id),
        ];
        let keys = USER_RIGHT_KEYS
            .iter()
            .chain(if random { RANDOM_RIGHT_KEYS } else { &[] });
        for key in keys {
            row.push((key, Cell::Number(u64::from(rights.right(key).unwrap_or(0)))));
        }
        let (forms, forms_export) = form_cells(ctx, &rights);
        row.push(("forms", forms));
        row.push(("forms_export", forms_export));
        rows.push(row);
    }
    Ok(table::reply(ctx.format, &rows, &[], "users"))
}

/// Applies the rights of one imported row (user or role) to `rights`;
/// columns not given keep their value. Returns REDCap-style messages for
/// values it refuses.
pub(super) fn apply_rights(
    ctx: &Ctx<'_>,
    who: &str,
    row: &Item,
    rights: &mut UserRights,
    skip: &[&str],
) -> Vec<String> {
    let mut errors = Vec::new();
    for (key, value) in row {
        let value = value.trim();
        if skip.contains(&key.as_str()) {
            continue;
        }
        match key.as_str() {
            "forms" => {
                for (form, code) in form_pairs(value) {
                    if ctx.project.schema.form(&form).is_none() {
                        errors.push(format!("{who}: \"{form}\" is not a valid instrument name."));
                    } else if !rights.set_form_entry_code(&form, &code) {
                        errors.push(format!(
                            "{who}: \"{code}\" is not a valid data entry right for the instrument \"{form}\"."
                        ));
                    }
                }
            }
            "forms_export" => {
                for (form, code) in form_pairs(value) {
                    match code.parse::<u8>() {
                        _ if ctx.project.schema.form(&form).is_none() => {
                            errors.push(format!("{who}: \"{form}\" is not a valid instrument name."));
                        }
                        Ok(n) if n <= 3 => {
                            rights.forms_export.insert(form, n);
                        }
                        _ => errors.push(format!(
                            "{who}: \"{code}\" is not a valid data export right for the instrument \"{form}\"."
                        )),
                    }
                }
            }
            other => {
                let Some(max) = UserRights::right_max(other) else {
                    // Columns REDCap does not know are ignored.
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                match value.parse::<u8>() {
                    Ok(n) if n <= max => rights.set_right(other, n),
                    _ => errors.push(format!(
                        "{who}: the value \"{value}\" of \"{other}\" is not valid (it must be an integer from 0 to {max})."
                    )),
                }
            }
        }
    }
    errors
}

/// Whether text is a real `YYYY-MM-DD` date.
fn is_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// `content=user` import: creates users (no token) or updates them. Only
/// the columns given change, except the group: as in REDCap 15.7.6 a row
/// without `data_access_group` (or with it empty) leaves the user in no
/// group.
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, USERS_IMPORT)?;
    let rows = read_rows(ctx)?;
    let caller_group = ctx.user.rights.group.clone();
    let mut errors = Vec::new();
    let mut changes: IndexMap<String, (bool, UserRights)> = IndexMap::new();
    for row in &rows {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        if username.is_empty() {
            errors.push("The username is missing for one or more users.".to_owned());
            continue;
        }
        let existing = match changes.get(username) {
            Some((_, rights)) => Some(rights.clone()),
            None => members::get(ctx.conn, ctx.project.id, username)?,
        };
        let is_new = existing.is_none();
        if let Some(rights) = &existing
            && rights.role.is_some()
        {
            errors.push(format!(
                "The user \"{username}\" cannot have their user privileges modified because the user belongs to a user role. Users in roles cannot have their privileges modified via the 'Import User' API method."
            ));
            continue;
        }
        if let Some(group) = &caller_group {
            let allowed = existing
                .as_ref()
                .is_some_and(|r| r.group.as_ref() == Some(group));
            if !allowed {
                errors.push(format!(
                    "The user \"{username}\" cannot be added or modified because you are in a Data Access Group and the user is not in your Data Access Group."
                ));
                continue;
            }
        }
        let mut rights = existing.unwrap_or_else(|| new_user_rights(ctx));
        errors.extend(apply_rights(ctx, username, row, &mut rights, IGNORED));
        if let Some(expiration) = row.get("expiration").map(|s| s.trim()) {
            if expiration.is_empty() {
                rights.expiration = None;
            } else if is_date(expiration) {
                rights.expiration = Some(expiration.to_owned());
            } else {
                errors.push(format!(
                    "{username}: the expiration date \"{expiration}\" is not a valid date in YYYY-MM-DD format."
                ));
            }
        }
        let group = row
            .get("data_access_group")
            .map(|s| s.trim())
            .unwrap_or_default();
        rights.group = match &caller_group {
            // A DAG member can only keep users in their own group.
            Some(own) => Some(own.clone()),
            None if group.is_empty() => None,
            None if ctx
                .project
                .schema
                .dags
                .iter()
                .any(|d| d.unique_name == group) =>
            {
                Some(group.to_owned())
            }
            None => {
                errors.push(format!(
                    "{username}: \"{group}\" is not a valid unique group name for data_access_group."
                ));
                None
            }
        };
        let was_new = changes.get(username).map_or(is_new, |(n, _)| *n);
        changes.insert(username.to_owned(), (was_new, rights));
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    for (username, (is_new, rights)) in &changes {
        if *is_new {
            members::insert(ctx.conn, ctx.project.id, username, rights)?;
        } else {
            members::save(ctx.conn, ctx.project.id, username, rights)?;
        }
    }
    Ok(Reply::count(ctx.format, rows.len()))
}

/// A user added by import: no right and no access to any instrument
/// (REDCap's minimum for every column not given).
fn new_user_rights(ctx: &Ctx<'_>) -> UserRights {
    let mut rights = UserRights::nothing();
    for form in &ctx.project.schema.forms {
        rights.forms.insert(form.name.clone(), 0);
        rights.forms_export.insert(form.name.clone(), 0);
    }
    rights
}

/// `content=user&action=delete`: every named user must be in the project
/// (and, for a caller in a DAG, in the caller's group).
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, USERS_IMPORT)?;
    let names = ctx.params.list("users");
    if !ctx.params.is_array("users") || names.is_empty() {
        return Err(ApiError::bad(
            "The 'users' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.",
        ));
    }
    let visible: Vec<String> = members::visible(ctx)?.into_iter().map(|(u, _)| u).collect();
    let missing: Vec<&str> = names
        .iter()
        .filter(|n| !visible.contains(n))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the users provided are not valid usernames that do not exist in this project. Note: No users were deleted. Users that do not exist: {}",
            missing.join(", ")
        )));
    }
    let mut deleted: Vec<&String> = Vec::new();
    for name in &names {
        if !deleted.contains(&name) {
            members::delete(ctx.conn, ctx.project.id, name)?;
            deleted.push(name);
        }
    }
    Ok(Reply::count(ctx.format, deleted.len()))
}
