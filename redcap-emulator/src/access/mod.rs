//! Users, user roles and data access groups: REDCap's `user`, `userRole`,
//! `userRoleMapping`, `dag` and `userDagMapping` methods.
//!
//! Users live in the `users` table (rights as JSON); roles and stable DAG
//! ids in tables of this module; the DAGs themselves stay in the project
//! schema, where project XML export and record import read them.

pub(crate) mod dags;
pub(crate) mod log;
mod md5;
pub(crate) mod members;
pub(crate) mod roles;
pub(crate) mod table;
pub(crate) mod users;
pub(crate) mod xml_roles;

use redcap_schema::html::{escape, strip_tags};
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

/// What REDCap's user, role and DAG importers answer (200) when the data
/// does not decode (`data_import_tool_200`).
pub(crate) const NOT_IN_FORMAT: &str = "The data is not in the specified format.";

/// `design_641`, followed by the attributes the first row must carry.
pub(crate) fn missing_components(attributes: &str) -> ApiError {
    ApiError::bad(format!(
        "One or more components are missing in your input data. The following attributes are required: {attributes}"
    ))
}

/// The rows of an import's `data`, or `None` when REDCap's decoder would
/// not read it (answered with [`NOT_IN_FORMAT`]). JSON objects and nested
/// XML elements given for `forms` and `forms_export` become the CSV text
/// `form:right,form:right`, so every format is read the same way. XML must
/// have REDCap's root element for the method (`root`). This is the decoding
/// step REDCap's importers of users, roles, groups, events, mappings, the
/// dictionary, arms, repeating setup and project settings share
/// (`API/user/import.php`, `API/event/import.php`,
/// `API/formEventMapping/import.php`, `API/metadata/import.php`, …).
pub(crate) fn read_rows(ctx: &Ctx<'_>, root: &str) -> Result<Option<Vec<Item>>, ApiError> {
    read_rows_as(ctx, root, false)
}

/// [`read_rows`] for the importers that take their rows from
/// `$data[root]['item']` (users, roles, groups, the dictionary, repeating
/// setup, user–role, user–DAG and instrument–event mappings): in XML only
/// the root's `<item>` elements are rows, and a root without any is not
/// read. The arm and event importers (`fixXML`) and project settings (the
/// root's own children) use [`read_rows`].
pub(crate) fn read_item_rows(ctx: &Ctx<'_>, root: &str) -> Result<Option<Vec<Item>>, ApiError> {
    read_rows_as(ctx, root, true)
}

fn read_rows_as(
    ctx: &Ctx<'_>,
    root: &str,
    items_only: bool,
) -> Result<Option<Vec<Item>>, ApiError> {
    let data = ctx.params.get("data").unwrap_or_default();
    let data = data.trim_start_matches('\u{feff}');
    match ctx.format {
        Format::Json => {
            let Ok(mut value) = serde_json::from_str::<serde_json::Value>(data) else {
                return Ok(None);
            };
            let items: Vec<&mut serde_json::Value> = match &mut value {
                serde_json::Value::Array(items) => items.iter_mut().collect(),
                serde_json::Value::Object(_) => vec![&mut value],
                _ => return Ok(None),
            };
            for item in items {
                if let serde_json::Value::Object(map) = item {
                    for key in ["forms", "forms_export"] {
                        if let Some(serde_json::Value::Object(forms)) = map.get(key) {
                            let text = forms
                                .iter()
                                .map(|(form, right)| {
                                    format!("{form}:{}", payload::json_text(right))
                                })
                                .collect::<Vec<_>>()
                                .join(",");
                            map.insert(key.to_owned(), serde_json::Value::String(text));
                        }
                    }
                }
            }
            payload::read_json(&value.to_string()).map(Some)
        }
        Format::Xml | Format::Odm => {
            if xml_root(data).as_deref() != Some(root) {
                return Ok(None);
            }
            let flattened = flatten_xml_forms(data);
            let rows = if items_only {
                payload::read_xml_items(&flattened)
            } else {
                payload::read_xml(&flattened)
            };
            match rows {
                Ok(rows) if !rows.is_empty() => Ok(Some(rows)),
                _ => Ok(None),
            }
        }
        // Line breaks may come as the entities REDCap's exports of other
        // tools write; the importers turn them back before parsing.
        Format::Csv => {
            let data = data.replace("&#10;", "\n").replace("&#13;", "\r");
            payload::read_csv(&data, ',').map(Some)
        }
    }
}

/// The name of an XML document's root element.
pub(crate) fn xml_root(data: &str) -> Option<String> {
    let mut rest = data.trim_start();
    while let Some(after) = rest.strip_prefix("<?") {
        rest = after.split_once("?>")?.1.trim_start();
    }
    let name: String = rest
        .strip_prefix('<')?
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// `<forms><a>1</a><b>2</b></forms>` (the user export's XML shape) as
/// `<forms>a:1,b:2</forms>`, for the row reader that takes flat items.
fn flatten_xml_forms(data: &str) -> String {
    let element =
        regex::Regex::new(r"<([A-Za-z0-9_]+)>(?:<!\[CDATA\[)?([^<\]]*)(?:\]\]>)?</[A-Za-z0-9_]+>")
            .expect("valid pattern");
    let mut out = data.to_owned();
    for key in ["forms_export", "forms"] {
        let (open, close) = (format!("<{key}>"), format!("</{key}>"));
        let mut from = 0;
        while let Some(start) = out[from..].find(&open).map(|i| i + from) {
            let inner_start = start + open.len();
            let Some(end) = out[inner_start..].find(&close).map(|i| i + inner_start) else {
                break;
            };
            let inner = &out[inner_start..end];
            if !inner.contains('<') {
                from = end;
                continue;
            }
            let pairs: Vec<String> = element
                .captures_iter(inner)
                .map(|c| format!("{}:{}", &c[1], &c[2]))
                .collect();
            let replacement = format!("{open}{}{close}", pairs.join(","));
            out.replace_range(start..end + close.len(), &replacement);
            from = start + replacement.len();
        }
    }
    out
}

/// Whether the first row has every one of these columns (REDCap checks
/// only the first row).
fn first_row_has(rows: &[Item], columns: &[&str]) -> bool {
    rows.first()
        .is_some_and(|row| columns.iter().all(|c| row.contains_key(*c)))
}

/// `form:right,form:right` as form → right; a pair without `:` has an
/// empty right. A form named twice keeps its place and takes the later
/// right, as the importers' PHP arrays do: that is how REDCap reads back
/// its own CSV role export, whose `forms_export` repeats the `forms` pairs
/// before the export rights.
fn form_pairs(text: &str) -> indexmap::IndexMap<String, String> {
    text.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once(':') {
            Some((form, right)) => (form.trim().to_owned(), right.trim().to_owned()),
            None => (pair.trim().to_owned(), String::new()),
        })
        .collect()
}

/// PHP's `empty()` on an imported text value.
fn php_empty(value: &str) -> bool {
    value.is_empty() || value == "0"
}

/// Whether randomization is enabled (its rights are exported only then).
fn randomization_enabled(ctx: &Ctx<'_>) -> bool {
    ctx.project
        .info
        .get("randomization_enabled")
        .is_some_and(|v| v == "1")
}
