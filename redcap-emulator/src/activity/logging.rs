//! `content=log`: the project log as REDCap's `API/log/export.php` renders
//! it (`Logging::renderLogRow` without HTML), with the filters of
//! `Logging/filters.php`, newest first.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::Value;

use crate::context::Ctx;
use crate::format::{Format, Table, csv_line, table_json};
use crate::layout::Layout;
use crate::reply::{ApiError, Reply};
use crate::rights::{NO_ACCESS_EXPORT, UserRights};

/// REDCap's message for a user without the Logging right.
pub(crate) const NO_LOGGING: &str = "The API request cannot complete because currently you do not have \"Logging\" privileges, which are required for this operation.";

const COLUMNS: [&str; 5] = ["timestamp", "username", "action", "details", "record"];

/// One stored log row.
struct Row {
    ts: String,
    user: String,
    event: String,
    object_type: String,
    pk: String,
    event_name: String,
    data_values: String,
    description: String,
}

impl Row {
    /// REDCap's "data event" set (`$filer_data_events_sql`): the events a
    /// record or DAG filter looks at.
    fn is_data_event(&self) -> bool {
        matches!(
            self.event.as_str(),
            "MANAGE"
                | "ESIGNATURE"
                | "LOCK_RECORD"
                | "UPDATE"
                | "INSERT"
                | "DELETE"
                | "DOC_UPLOAD"
                | "DOC_DELETE"
                | "OTHER"
        ) && self.object_type != "redcap_user_rights"
    }

    /// `Logging::setEventFilterSql`.
    fn has_logtype(&self, logtype: &str) -> bool {
        let data = self.object_type == "redcap_data";
        match logtype {
            "page_view" => false,
            "lock_record" => matches!(self.event.as_str(), "LOCK_RECORD" | "ESIGNATURE"),
            "manage" => {
                self.event == "MANAGE"
                    && !self.description.starts_with("Download exported")
                    && !self.description.contains("PDF (with data)")
            }
            "export" => {
                self.event == "DATA_EXPORT"
                    || (self.event == "MANAGE"
                        && (self.description.starts_with("Download exported")
                            || self.description.contains("PDF (with data)")))
            }
            "record" => data && self.event != "DATA_EXPORT",
            "record_add" => data && self.event == "INSERT",
            "record_edit" => {
                data && matches!(self.event.as_str(), "UPDATE" | "DOC_DELETE" | "DOC_UPLOAD")
            }
            "record_delete" => data && self.event == "DELETE",
            "user" => self.object_type == "redcap_user_rights",
            _ => true,
        }
    }
}

fn load(ctx: &Ctx<'_>) -> Result<Vec<Row>, ApiError> {
    let mut stmt = ctx.conn.prepare(
        "SELECT ts, user, event, object_type, pk, event_name, data_values, description
         FROM log_event WHERE project_id = ?1 ORDER BY log_event_id DESC",
    )?;
    let rows = stmt.query_map([ctx.project.id], |r| {
        Ok(Row {
            ts: r.get(0)?,
            user: r.get(1)?,
            event: r.get(2)?,
            object_type: r.get(3)?,
            pk: r.get(4)?,
            event_name: r.get(5)?,
            data_values: r.get(6)?,
            description: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<Row>>>()?)
}

/// The digits of a `beginTime`/`endTime` as REDCap compares them: the first
/// 16 characters, `:00` appended, non-digits dropped.
fn time_bound(text: &str) -> Option<u64> {
    let cut: String = text.chars().take(16).collect();
    if cut.is_empty() {
        return None;
    }
    let digits: String = format!("{cut}:00")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn ts_number(ts: &str) -> u64 {
    ts.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

/// Users of the project who are in a DAG (by unique name).
fn dag_users(ctx: &Ctx<'_>, group: &str) -> Result<HashSet<String>, ApiError> {
    let mut stmt = ctx
        .conn
        .prepare("SELECT username, rights_json FROM users WHERE project_id = ?1")?;
    let rows = stmt.query_map([ctx.project.id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = HashSet::new();
    for row in rows {
        let (name, json) = row?;
        let rights: Option<UserRights> = serde_json::from_str(&json).ok();
        if rights.and_then(|r| r.group).as_deref() == Some(group) {
            out.insert(name.to_lowercase());
        }
    }
    Ok(out)
}

/// `Logging::renderLogRow` for non-HTML output: action, details, record.
fn render(layout: &Layout<'_>, row: &Row) -> (String, String, String) {
    let api = if row.description.contains("(API)") {
        " (API)"
    } else {
        ""
    };
    let data = row.object_type == "redcap_data";
    let (mut details, mut id) = (row.data_values.clone(), row.pk.clone());
    let dag_change = row
        .description
        .contains("Assign record to Data Access Group")
        || row
            .description
            .contains("Remove record from Data Access Group");
    let users = row.object_type == "redcap_user_rights";
    let roles = row.object_type == "redcap_user_roles";
    let event = match row.event.as_str() {
        // User and role rows: `Logging::renderLogRow`'s own labels; role
        // rows name no user.
        "INSERT" if users => match row.description.as_str() {
            "Add role" | "Copy role" => {
                id = String::new();
                "Create user role".to_owned()
            }
            "Assign user to role" => "User assigned to role".to_owned(),
            _ => "Add user".to_owned(),
        },
        "UPDATE" if users || roles => match row.description.as_str() {
            "Edit user expiration" => "Updated User Expiration".to_owned(),
            "Rename role" | "Edit role" => {
                id = String::new();
                if row.description == "Edit role" {
                    "Edit user role".to_owned()
                } else {
                    "Rename user role".to_owned()
                }
            }
            "Remove user from role" => "User removed from user role".to_owned(),
            d if d.starts_with("Add ") => {
                id = String::new();
                d.to_owned()
            }
            _ => "Update user".to_owned(),
        },
        "DELETE" if users => {
            if row.description == "Delete role" {
                id = String::new();
                "Delete user role".to_owned()
            } else {
                "Delete user".to_owned()
            }
        }
        "MANAGE"
            if matches!(
                row.description.as_str(),
                "Assign user to data access group" | "Remove user from data access group"
            ) =>
        {
            details = format!("{}\n{}", row.description, row.data_values);
            id = String::new();
            "Manage/Design".to_owned()
        }
        "INSERT" if data => format!("Create record{api}"),
        "UPDATE" if data => {
            if dag_change {
                details = format!(
                    "{}\n({})",
                    row.description.replace(" (API)", ""),
                    row.data_values
                );
            }
            format!("Update record{api}")
        }
        "DELETE" if data => format!("Delete record{api}"),
        "DATA_EXPORT" => {
            id = String::new();
            if let Ok(serde_json::Value::Object(map)) =
                serde_json::from_str::<serde_json::Value>(&row.data_values)
            {
                details = map
                    .iter()
                    .map(|(k, v)| match v {
                        Value::Array(items) => format!(
                            "{k}: \"{}\"",
                            items
                                .iter()
                                .map(crate::format::cell_text)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        other => format!("{k}: {}", crate::format::cell_text(other)),
                    })
                    .collect::<Vec<_>>()
                    .join(",\n");
            }
            format!("Data export{api}")
        }
        "OTHER" => {
            id = if row.pk.is_empty() {
                String::new()
            } else {
                format!("Record {}", row.pk)
            };
            row.description.clone()
        }
        "MANAGE" if row.description.starts_with("Randomize record") => {
            details = row.description.clone();
            "Randomization".to_owned()
        }
        _ => {
            // MANAGE and anything else: the description is the detail.
            details = row.description.clone();
            id = String::new();
            "Manage/Design".to_owned()
        }
    };
    let record = id.clone();
    // Longitudinal projects name the event after the record (the first
    // event when the row has none); not for DAG (re)assignments.
    let record_event = matches!(
        row.event.as_str(),
        "OTHER"
            | "UPDATE"
            | "INSERT"
            | "DELETE"
            | "DOC_UPLOAD"
            | "DOC_DELETE"
            | "LOCK_RECORD"
            | "ESIGNATURE"
    );
    if layout.longitudinal() && data && !dag_change && record_event {
        let info = if row.event_name.is_empty() {
            layout.events.first()
        } else {
            layout.event(&row.event_name)
        };
        if let Some(info) = info {
            id = format!("{id} ({})", layout.event_label(info));
        }
    }
    let action = format!("{event} {id}");
    let details = details.replace("<br>", " ").replace('\n', " ");
    (action, details, record)
}

/// Exports the log.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let rights = &ctx.user.rights;
    if rights.no_export_access() {
        return Err(ApiError::forbidden(NO_ACCESS_EXPORT));
    }
    if !rights.logging {
        return Err(ApiError::forbidden(NO_LOGGING));
    }
    let p = ctx.params;
    let layout = Layout::new(&ctx.project.schema);
    let logtype = p.get("logtype").unwrap_or_default();
    let record_kind = logtype.contains("record");
    let (mut record, mut dag) = (
        p.get("record").unwrap_or_default().to_owned(),
        p.get("dag").unwrap_or_default().to_owned(),
    );
    if !logtype.is_empty() && !record_kind {
        record.clear();
        dag.clear();
    }
    let user_filter = p.get("user").unwrap_or_default();
    // The DAG to restrict to: the caller's own, else the `dag` filter (a
    // group id) of a user in no DAG.
    let dags = crate::access::dags::with_ids(ctx.conn, &ctx.project)?;
    let dag_unique: Option<String> = match &rights.group {
        Some(g) => Some(g.clone()),
        None => dag
            .parse::<u64>()
            .ok()
            .and_then(|id| dags.iter().find(|(i, _)| *i == id))
            .map(|(_, d)| d.unique_name.clone()),
    };
    let groups = crate::activity::record_groups(ctx.conn, ctx.project.id)?;
    if let Some(g) = &dag_unique
        && !record.is_empty()
        && groups.get(&record) != Some(g)
    {
        record.clear();
    }
    let dag_records: Option<HashSet<&String>> = dag_unique.as_ref().map(|g| {
        groups
            .iter()
            .filter(|(_, group)| *group == g)
            .map(|(r, _)| r)
            .collect()
    });
    let members = match &dag_unique {
        Some(g) => dag_users(ctx, g)?,
        None => HashSet::new(),
    };
    let begin = time_bound(p.get("beginTime").unwrap_or_default())
        .unwrap_or_else(|| ts_number(&ctx.project.creation_time));
    let end = time_bound(p.get("endTime").unwrap_or_default());
    let mut table: Table = Vec::new();
    for row in load(ctx)? {
        if !row.has_logtype(logtype) {
            continue;
        }
        if !user_filter.is_empty() && !row.user.eq_ignore_ascii_case(user_filter) {
            continue;
        }
        if !record.is_empty() {
            if !(row.is_data_event() && row.pk == record) {
                continue;
            }
        } else if let Some(in_dag) = &dag_records {
            if in_dag.is_empty() && rights.group.is_none() {
                continue;
            }
            let on_dag_record = row.is_data_event() && in_dag.contains(&row.pk);
            let on_other_record = row.is_data_event() && !in_dag.contains(&row.pk);
            let visible = if record_kind {
                on_dag_record
            } else {
                on_dag_record || (members.contains(&row.user.to_lowercase()) && !on_other_record)
            };
            if !visible {
                continue;
            }
        }
        let ts = ts_number(&row.ts);
        if ts < begin || end.is_some_and(|e| ts > e) {
            continue;
        }
        let (action, details, record) = render(&layout, &row);
        let timestamp: String = row.ts.chars().take(16).collect();
        table.push(IndexMap::from([
            ("timestamp".to_owned(), Value::String(timestamp)),
            ("username".to_owned(), Value::String(row.user.clone())),
            ("action".to_owned(), Value::String(action)),
            ("details".to_owned(), Value::String(details)),
            ("record".to_owned(), Value::String(record)),
        ]));
    }
    Ok(Reply::new(ctx.format, serialise(ctx.format, &table)))
}

/// json, csv (`arrayToCsv`; only the header line when empty) or the
/// `<logs><log>` XML of `API/log/export.php`.
fn serialise(format: Format, table: &Table) -> String {
    match format {
        Format::Json => table_json(table),
        Format::Csv => {
            if table.is_empty() {
                return COLUMNS.join(",");
            }
            let mut out = String::new();
            csv_line(COLUMNS, ',', &mut out);
            for row in table {
                let cells: Vec<String> = row.values().map(crate::format::cell_text).collect();
                csv_line(cells.iter().map(String::as_str), ',', &mut out);
            }
            out
        }
        Format::Xml | Format::Odm => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<logs>\n");
            for row in table {
                out.push_str("<log>");
                for (key, value) in row {
                    let text = crate::format::cell_text(value);
                    if text.is_empty() {
                        out.push_str(&format!("<{key}></{key}>"));
                    } else {
                        out.push_str(&format!("<{key}><![CDATA[{text}]]></{key}>"));
                    }
                }
                out.push_str("</log>\n");
            }
            out.push_str("</logs>\n");
            out
        }
    }
}
