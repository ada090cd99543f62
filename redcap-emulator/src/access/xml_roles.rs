//! User roles a project XML brings (`<redcap:UserRoles …/>`), kept as
//! REDCap keeps them when it creates a project from the XML: each role
//! with its label, unique name and rights. The XML names rights by their
//! database columns; the API exports them under other names.

use indexmap::IndexMap;
use rusqlite::Connection;

use super::roles::{Role, list, save};
use super::users::set_forms;
use crate::activity::blocks::{self, BlockRow};
use crate::rights::UserRights;

/// A right's attribute in project XML and its export key.
const RIGHTS: &[(&str, &str)] = &[
    ("design", "design"),
    ("alerts", "alerts"),
    ("user_rights", "user_rights"),
    ("data_access_groups", "data_access_groups"),
    ("reports", "reports"),
    ("graphical", "stats_and_charts"),
    ("participants", "manage_survey_participants"),
    ("calendar", "calendar"),
    ("data_import_tool", "data_import_tool"),
    ("data_comparison_tool", "data_comparison_tool"),
    ("data_logging", "logging"),
    ("email_logging", "email_logging"),
    ("file_repository", "file_repository"),
    ("data_quality_design", "data_quality_create"),
    ("data_quality_execute", "data_quality_execute"),
    ("api_export", "api_export"),
    ("api_import", "api_import"),
    ("api_modules", "api_modules"),
    ("mobile_app", "mobile_app"),
    ("mobile_app_download_data", "mobile_app_download_data"),
    ("record_create", "record_create"),
    ("record_rename", "record_rename"),
    ("record_delete", "record_delete"),
    ("lock_record_multiform", "lock_records_all_forms"),
    ("lock_record", "lock_records"),
    ("lock_record_customize", "lock_records_customization"),
    ("random_setup", "random_setup"),
    ("random_dashboard", "random_dashboard"),
    ("random_perform", "random_perform"),
];

/// `[form,code][form,code]` as form → code.
fn bracketed(text: &str) -> IndexMap<String, String> {
    text.split('[')
        .filter_map(|part| {
            let inner = part.trim().strip_suffix(']')?;
            let (form, code) = inner.split_once(',')?;
            Some((form.trim().to_owned(), code.trim().to_owned()))
        })
        .collect()
}

/// One role's rights from its XML attributes.
fn rights(row: &BlockRow) -> UserRights {
    let mut rights = UserRights::nothing();
    for (attribute, key) in RIGHTS {
        let value = row
            .get(*attribute)
            .and_then(|v| v.trim().parse::<u8>().ok())
            .unwrap_or(0);
        let max = UserRights::right_max(key).unwrap_or(1);
        rights.set_right(key, value.min(max));
    }
    let entry = row.get("data_entry").map(|t| bracketed(t));
    let export = row.get("data_export_instruments").map(|t| bracketed(t));
    set_forms(&mut rights, entry.as_ref(), export.as_ref());
    rights
}

/// Adds the roles of a project XML that the project does not have yet
/// (by unique name), in document order.
pub(crate) fn load(conn: &Connection, project_id: i64, xml: &str) -> rusqlite::Result<()> {
    let existing = list(conn, project_id)?;
    for row in blocks::rows(xml, "UserRoles") {
        let unique_name = row.get("unique_role_name").cloned().unwrap_or_default();
        if unique_name.is_empty() || existing.iter().any(|r| r.unique_name == unique_name) {
            continue;
        }
        let role = Role {
            id: 0,
            unique_name,
            label: row.get("role_name").cloned().unwrap_or_default(),
            rights: rights(&row),
        };
        save(conn, project_id, &role)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_columns_become_export_rights() {
        let row: BlockRow = [
            ("role_name", "api"),
            ("unique_role_name", "U-639NX7EKW8"),
            ("data_logging", "1"),
            ("graphical", "1"),
            ("user_rights", "2"),
            ("lock_record", "2"),
            ("api_export", "1"),
            ("data_entry", "[demographics,1][health,2]"),
            ("data_export_instruments", "[demographics,1][health,0]"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let r = rights(&row);
        assert!(r.logging && r.stats_and_charts && r.api_export && !r.api_import);
        assert_eq!((r.user_rights, r.lock_records), (2, 2));
        assert_eq!(r.forms_export.get("demographics"), Some(&1));
        assert_eq!(r.forms_export.get("health"), Some(&0));
        assert_eq!(r.forms.len(), 2);
    }
}
