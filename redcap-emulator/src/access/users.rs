//! `content=user`: export, import (create or update) and delete users, as
//! REDCap 15.7.6's `UserRights::getUserDetails` / `uploadUsers` and
//! `API/user/delete.php` do.

use indexmap::IndexMap;

use super::log;
use super::table::{self, Cell, Row, Xml, text};
use super::{
    NOT_IN_FORMAT, USERS_IMPORT, dags, escape, form_pairs, members, php_empty,
    randomization_enabled, read_item_rows, require_user_rights_full, require_user_rights_read,
    strip_tags,
};
use crate::context::Ctx;
use crate::records::payload::Item;
use crate::reply::{ApiError, Reply};
use crate::rights::{RANDOM_RIGHT_KEYS, USER_RIGHT_KEYS, UserRights, entry_level};

/// The rights `uploadUsers` validates (0/1, or 0/1/2 for `user_rights` and
/// `lock_records`); the others it stores unchecked.
/// Every exported right but `alerts` and `email_logging`.
fn validated() -> impl Iterator<Item = &'static &'static str> {
    USER_RIGHT_KEYS
        .iter()
        .filter(|key| !matches!(**key, "alerts" | "email_logging"))
}

/// Form → right, in instrument order.
pub(super) type FormRights = Vec<(String, u64)>;

/// The per-form columns of a user or role: every instrument, with data
/// entry codes and export rights.
pub(super) fn form_cells(ctx: &Ctx<'_>, rights: &UserRights) -> (FormRights, FormRights) {
    let forms = &ctx.project.schema.forms;
    (
        forms
            .iter()
            .map(|f| (f.name.clone(), u64::from(rights.form_entry_code(&f.name))))
            .collect(),
        forms
            .iter()
            .map(|f| (f.name.clone(), u64::from(rights.form_export(&f.name))))
            .collect(),
    )
}

/// `content=user` export.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_read(ctx)?;
    let random = randomization_enabled(ctx);
    let groups = dags::with_ids(ctx.conn, &ctx.project)?;
    let mut rows = Vec::new();
    for (username, rights) in members::visible(ctx)? {
        let (group, group_id) = dags::group_cells(&groups, rights.group.as_deref());
        let mut row: Row = vec![
            ("username", text(username.to_lowercase())),
            ("email", text(rights.email.clone())),
            ("firstname", text(rights.firstname.clone())),
            ("lastname", text(rights.lastname.clone())),
            (
                "expiration",
                text(rights.expiration.clone().unwrap_or_default()),
            ),
            ("data_access_group", group),
            ("data_access_group_id", group_id),
        ];
        let keys = USER_RIGHT_KEYS
            .iter()
            .chain(if random { RANDOM_RIGHT_KEYS } else { &[] });
        for key in keys {
            row.push((key, Cell::Number(u64::from(rights.right(key).unwrap_or(0)))));
        }
        let (forms, forms_export) = form_cells(ctx, &rights);
        row.push(("forms", Cell::Forms(forms)));
        row.push(("forms_export", Cell::Forms(forms_export)));
        rows.push(row);
    }
    Ok(table::reply(ctx.format, &rows, &[], "users", Xml::Escaped))
}

/// A right's value as MySQL stores an imported text in an integer column
/// (non-numbers are 0), kept within the right's levels.
fn stored_level(value: &str, max: u8) -> u8 {
    let number = value.trim().parse::<f64>().unwrap_or(0.0);
    if number <= 0.0 {
        0
    } else if number >= f64::from(max) {
        max
    } else {
        number.round() as u8
    }
}

/// A PHP loose comparison of an imported value with small integers.
fn is_one_of(value: &str, allowed: &[u8]) -> bool {
    value
        .trim()
        .parse::<f64>()
        .is_ok_and(|n| allowed.iter().any(|a| f64::from(*a) == n))
}

/// Whether a data entry code is one REDCap accepts
/// (`isValidDataViewingRightsValue`), and its number.
pub(super) fn entry_code(value: &str) -> Option<u16> {
    let number = value.trim().parse::<f64>().ok()?;
    if number.fract() != 0.0 || !(0.0..=u16::MAX as f64).contains(&number) {
        return None;
    }
    let code = number as u16;
    entry_level(code).map(|_| code)
}

/// Whether an export right is numeric and within 0–3, and its value.
pub(super) fn export_code(value: &str) -> Option<u8> {
    let number = value.trim().parse::<f64>().ok()?;
    (0.0..=3.0).contains(&number).then_some(number as u8)
}

/// PHP's `strtotime` for the date forms an expiration takes, as
/// `Y-m-d`; anything else is the epoch, as `date("Y-m-d", false)` gives.
fn expiration_date(value: &str) -> String {
    let value = value.trim();
    let date_part = value.split_whitespace().next().unwrap_or_default();
    for format in ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d-%m-%Y", "%d.%m.%Y"] {
        if let Ok(date) = chrono::NaiveDate::parse_from_str(date_part, format) {
            return date.format("%Y-%m-%d").to_string();
        }
    }
    "1970-01-01".to_owned()
}

/// Whether a user name has only REDCap's allowed characters.
/// REDCap's username format: letters, digits, `_ - . ' @` and spaces.
pub(crate) fn valid_username(name: &str) -> bool {
    name.chars().all(|c| {
        c.is_ascii_alphanumeric() || matches!(c, '\'' | '_' | '.' | '-' | '@') || c.is_whitespace()
    })
}

/// The validated forms of one row: form → code (forms not given are 0).
pub(super) fn parse_forms(
    ctx: &Ctx<'_>,
    text: &str,
    whose: &str,
    errors: &mut Vec<String>,
    check: fn(&str) -> bool,
    quote: fn(&str) -> String,
) -> IndexMap<String, String> {
    let mut forms: IndexMap<String, String> = IndexMap::new();
    for (form, right) in form_pairs(text) {
        if ctx.project.schema.form(&form).is_none() {
            errors.push(format!(
                "The form named \"{}\" is incorrect for the {whose} The form does not exist in this project.",
                quote(&form)
            ));
        } else if !check(&right) {
            errors.push(format!(
                "The form named \"{}\" with value \"{}\" is not a valid form-level rights value. It must be 0, 1, 2 or 3.",
                quote(&form),
                quote(&right)
            ));
        } else {
            forms.insert(form, right);
        }
    }
    for form in &ctx.project.schema.forms {
        forms
            .entry(form.name.clone())
            .or_insert_with(|| "0".to_owned());
    }
    forms
}

/// Sets the per-form rights of a user or role from validated forms.
pub(super) fn set_forms(
    rights: &mut UserRights,
    entry: Option<&IndexMap<String, String>>,
    export: Option<&IndexMap<String, String>>,
) {
    if let Some(entry) = entry {
        rights.forms.clear();
        rights.forms_codes.clear();
        for (form, code) in entry {
            if let Some(code) = entry_code(code) {
                rights.set_form_entry_code(form, code);
            }
        }
    }
    if let Some(export) = export {
        rights.forms_export.clear();
        for (form, code) in export {
            rights
                .forms_export
                .insert(form.clone(), export_code(code).unwrap_or(0));
        }
    }
}

/// One validated import row.
struct Upload<'a> {
    username: String,
    row: &'a Item,
    group: Option<String>,
    forms: Option<IndexMap<String, String>>,
    forms_export: Option<IndexMap<String, String>>,
}

/// `content=user` import. New users get every right not given at 0 and
/// no access to any instrument; existing users keep the rights not given,
/// except their group: a row without `data_access_group` (or with it
/// empty) takes the user out of their group, as in REDCap 15.7.6.
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, USERS_IMPORT)?;
    let Some(rows) = read_item_rows(ctx, "users")? else {
        return Ok(Reply::plain(ctx.format, NOT_IN_FORMAT));
    };
    let caller_group = ctx.user.rights.group.clone();
    let in_dag_note = "Since you have been assigned to a Data Access Group, you are only able to view/edit users from your group, and you are not allowed to add new users to this project.";
    let mut errors = Vec::new();
    let mut uploads = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let username = row.get("username").map(|s| s.trim()).unwrap_or_default();
        if username.is_empty() {
            errors.push(format!(
                "The username is missing for user #{} in the list of users provided.",
                index + 1
            ));
            continue;
        }
        if !valid_username(username) {
            errors.push(format!(
                "username \"{}\" is not in a valid username format. User names can only contain letters, numbers, underscores, hyphens, periods, spaces, apostrophes, and @ symbols.",
                escape(username)
            ));
        }
        let group = row
            .get("data_access_group")
            .map(|s| s.trim())
            .unwrap_or_default();
        if caller_group.is_some() {
            match members::get(ctx.conn, ctx.project.id, username)? {
                None => errors.push(format!(
                    "username \"{}\" can not be added {in_dag_note}",
                    escape(username)
                )),
                Some((_, rights)) if rights.group.as_deref() != Some(group) => {
                    errors.push(format!(
                        "data_access_group \"{}\" can not be updated {in_dag_note}",
                        escape(group)
                    ));
                }
                Some(_) => {}
            }
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
                "data_access_group \"{}\" is not a valid unique Data Access Group name for this project.",
                escape(group)
            ));
        }
        for field in validated() {
            let Some(value) = row.get(*field) else {
                continue;
            };
            if php_empty(value) {
                continue;
            }
            let allowed: &[u8] = if matches!(*field, "lock_records" | "user_rights") {
                &[0, 1, 2]
            } else {
                &[0, 1]
            };
            if !is_one_of(value, allowed) {
                errors.push(format!(
                    "The field named \"{field}\" for user \"{}\"  with value \"{}\" is not a valid rights value. It must be 0 or 1.",
                    escape(username),
                    escape(value)
                ));
            }
        }
        let whose = format!("user \"{}\"", escape(username));
        let forms = row.get("forms").filter(|t| !t.trim().is_empty()).map(|t| {
            parse_forms(
                ctx,
                t,
                &whose,
                &mut errors,
                |v| entry_code(v).is_some(),
                escape,
            )
        });
        let forms_export = row
            .get("forms_export")
            .filter(|t| !t.trim().is_empty())
            .map(|t| {
                parse_forms(
                    ctx,
                    t,
                    &whose,
                    &mut errors,
                    |v| export_code(v).is_some(),
                    escape,
                )
            });
        uploads.push(Upload {
            username: username.to_owned(),
            row,
            group: (!group.is_empty()).then(|| group.to_owned()),
            forms,
            forms_export,
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    let random = randomization_enabled(ctx);
    let mut count = 0;
    for upload in uploads {
        match members::get(ctx.conn, ctx.project.id, &upload.username)? {
            None => {
                let mut rights = UserRights::nothing();
                let zero: IndexMap<String, String> = ctx
                    .project
                    .schema
                    .forms
                    .iter()
                    .map(|f| (f.name.clone(), "0".to_owned()))
                    .collect();
                set_forms(
                    &mut rights,
                    Some(upload.forms.as_ref().unwrap_or(&zero)),
                    Some(upload.forms_export.as_ref().unwrap_or(&zero)),
                );
                apply(&mut rights, &upload, random);
                members::insert(ctx.conn, ctx.project.id, &upload.username, &rights)?;
                log::user_added(ctx, &upload.username)?;
                if let Some(group) = &upload.group {
                    log::user_rights_group(ctx, &upload.username, group, true)?;
                }
            }
            Some((stored, mut rights)) => {
                if rights.role.is_some() {
                    errors.push(format!(
                        "The user \"{}\" cannot have their user privileges modified because the user belongs to a user role. Users in roles cannot have their privileges modified via the 'Import User' API method.",
                        upload.username
                    ));
                    continue;
                }
                set_forms(
                    &mut rights,
                    upload.forms.as_ref(),
                    upload.forms_export.as_ref(),
                );
                let previous = rights.group.clone();
                apply(&mut rights, &upload, random);
                members::save(ctx.conn, ctx.project.id, &stored, &rights)?;
                log::user_edited(ctx, &upload.username)?;
                // `updatePrivileges` logs a group change after the edit.
                match (&previous, &upload.group) {
                    (_, Some(group)) if previous.as_ref() != Some(group) => {
                        log::user_rights_group(ctx, &upload.username, group, true)?;
                    }
                    (Some(old), None) => {
                        log::user_rights_group(ctx, &upload.username, old, false)?;
                    }
                    _ => {}
                }
            }
        }
        count += 1;
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(errors.join("\n")));
    }
    Ok(Reply::count(ctx.format, count))
}

/// Applies the rights and expiration given in a row; the group is always
/// set (REDCap writes `group_id` whether or not the row has it).
fn apply(rights: &mut UserRights, upload: &Upload<'_>, random: bool) {
    for (key, value) in upload.row {
        if RANDOM_RIGHT_KEYS.contains(&key.as_str()) && !random {
            continue;
        }
        if let Some(max) = UserRights::right_max(key) {
            rights.set_right(key, stored_level(value, max));
        }
    }
    if let Some(expiration) = upload.row.get("expiration") {
        rights.expiration = (!expiration.trim().is_empty()).then(|| expiration_date(expiration));
    }
    rights.group = upload.group.clone();
}

/// `content=user&action=delete`: every named user must be in the project;
/// a name given twice is missing the second time.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_user_rights_full(ctx, USERS_IMPORT)?;
    let names = ctx.params.list("users");
    if !ctx.params.is_array("users") || names.is_empty() {
        return Err(ApiError::bad(
            "The 'users' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.",
        ));
    }
    let mut count = 0;
    let mut missing = Vec::new();
    for name in &names {
        let name = strip_tags(name).trim().to_owned();
        match members::get(ctx.conn, ctx.project.id, &name)? {
            Some((stored, _)) if !name.is_empty() => {
                members::delete(ctx.conn, ctx.project.id, &stored)?;
                log::user_deleted(ctx, &name)?;
                count += 1;
            }
            _ => missing.push(name),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the users provided are not valid usernames that do not exist in this project. Note: No users were deleted. Users that do not exist: {}",
            missing.join(", ")
        )));
    }
    Ok(Reply::count(ctx.format, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_like_values() {
        assert_eq!(stored_level("abc", 1), 0);
        assert_eq!(stored_level("2", 1), 1);
        assert_eq!(stored_level("2", 2), 2);
        assert!(is_one_of("1.0", &[0, 1]));
        assert!(!is_one_of("2", &[0, 1]));
        assert_eq!(entry_code("146"), Some(146));
        assert_eq!(entry_code("4"), None);
        assert_eq!(export_code("3"), Some(3));
        assert_eq!(export_code("4"), None);
        assert_eq!(expiration_date("12/31/2099"), "2099-12-31");
        assert_eq!(expiration_date("31/12/2099"), "1970-01-01");
        assert!(valid_username("o'neil.x-y@z w"));
        assert!(!valid_username("a<b"));
    }
}
