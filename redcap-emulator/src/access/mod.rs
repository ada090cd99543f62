//! Users, user roles and data access groups: REDCap's `user`, `userRole`,
//! `userRoleMapping`, `dag` and `userDagMapping` methods.
//!
//! Users live in the `users` table (rights as JSON); roles and stable DAG
//! ids in tables of this module; the DAGs themselves stay in the project
//! schema, where project XML export and record import read them.

pub(crate) mod dags;
pub(crate) mod members;
pub(crate) mod roles;
pub(crate) mod table;
pub(crate) mod users;

use rusqlite::Connection;

use crate::context::Ctx;
use crate::format::Format;
use crate::records::payload::{self, Item};
use crate::reply::ApiError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS user_roles (
    role_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    unique_role_name TEXT NOT NULL,
    role_label TEXT NOT NULL,
    rights_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dag_ids (
    project_id INTEGER NOT NULL,
    unique_name TEXT NOT NULL,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (project_id, unique_name)
);
CREATE TABLE IF NOT EXISTS dag_switcher (
    project_id INTEGER NOT NULL,
    username TEXT NOT NULL,
    unique_name TEXT NOT NULL,
    PRIMARY KEY (project_id, username, unique_name)
);
";

/// Creates this module's tables when they do not exist yet.
pub(crate) fn init(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)
}

/// REDCap's messages for the user-rights and DAG privileges (`api_229`,
/// `api_103`, `api_171`, `api_221`, `api_222`) and the DAG-member refusal.
pub(crate) const USERS_EXPORT: &str = "Insufficient user privileges: You must have 'API Export' privileges and 'User Rights' privileges (Full Access or Read Only) in the project.";
pub(crate) const USERS_IMPORT: &str = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'User Rights' privileges in the project in order to import/update users via the API Import Users method.";
pub(crate) const ROLES_IMPORT: &str = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'User Rights' privileges in the project in order to import/update user roles via the API Import User Roles method.";
pub(crate) const DAGS_EXPORT: &str = "Insufficient user privileges: You must have 'API Export' privileges and 'Data Access Groups' privileges in the project.";
pub(crate) const DAGS_IMPORT: &str = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'Data Access Groups' privileges in the project.";
/// The refusal of `content=dag` (but switch) to a user in a DAG (403).
pub(crate) const IN_DAG: &str = "You do not have permission to export/import/delete Data Access Groups because you have been assigned to a Data Access Group.";

/// User Rights "Full Access or Read Only", needed to export users and roles.
fn require_user_rights_read(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.user.rights.user_rights == 0 {
        return Err(ApiError::bad(USERS_EXPORT));
    }
    Ok(())
}

/// User Rights "Full Access", needed to change users or roles.
fn require_user_rights_full(ctx: &Ctx<'_>, message: &str) -> Result<(), ApiError> {
    if ctx.user.rights.user_rights != 1 {
        return Err(ApiError::bad(message));
    }
    Ok(())
}

/// The "Data Access Groups" right.
fn require_dag_right(ctx: &Ctx<'_>, message: &str) -> Result<(), ApiError> {
    if !ctx.user.rights.data_access_groups {
        return Err(ApiError::bad(message));
    }
    Ok(())
}

/// The rows of an import's `data`. JSON objects given for `forms` and
/// `forms_export` (the shape the export writes) become REDCap's CSV text
/// `form:right,form:right`, so every format is read the same way.
fn read_rows(ctx: &Ctx<'_>) -> Result<Vec<Item>, ApiError> {
    let data = ctx.params.get("data").unwrap_or_default();
    if ctx.format != Format::Json {
        return payload::read(data, ctx.format, ',');
    }
    let mut value: serde_json::Value =
        serde_json::from_str(data.trim_start_matches('\u{feff}')).map_err(|_| {
            ApiError::bad(
                "The data being imported is not formatted correctly. PHP error from JSON decoder: Syntax error. The JSON must be in an array, as in [{ ... }].",
            )
        })?;
    let items = match &mut value {
        serde_json::Value::Array(items) => items.iter_mut().collect(),
        serde_json::Value::Object(_) => vec![&mut value],
        _ => Vec::new(),
    };
    for item in items {
        if let serde_json::Value::Object(map) = item {
            for key in ["forms", "forms_export"] {
                if let Some(serde_json::Value::Object(forms)) = map.get(key) {
                    let text = forms
                        .iter()
                        .map(|(form, right)| format!("{form}:{}", payload::json_text(right)))
                        .collect::<Vec<_>>()
                        .join(",");
                    map.insert(key.to_owned(), serde_json::Value::String(text));
                }
            }
        }
    }
    payload::read_json(&value.to_string())
}

/// `form:right,form:right` as pairs; a pair without `:` has an empty right.
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once(':') {
            Some((form, right)) => (form.trim().to_owned(), right.trim().to_owned()),
            None => (pair.trim().to_owned(), String::new()),
        })
        .collect()
}

/// Whether randomization is enabled (its rights are exported only then).
fn randomization_enabled(ctx: &Ctx<'_>) -> bool {
    ctx.project
        .info
        .get("randomization_enabled")
        .is_some_and(|v| v == "1")
}
