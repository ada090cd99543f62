//! What a project brings besides its schema and records: report
//! definitions, survey settings and randomisation, kept per project. They
//! come from the project XML's table-dump blocks, or from an emulator
//! configuration file (`--reports`, `--randomization`) for projects loaded
//! from a dictionary.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::activity::blocks;

/// The tables.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reports (
    report_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    definition_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS project_blocks (
    project_id INTEGER NOT NULL,
    block TEXT NOT NULL,
    rows_json TEXT NOT NULL,
    PRIMARY KEY (project_id, block)
);
";

/// A report: the fields of `redcap_reports` the API export uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ReportDefinition {
    /// Its title.
    pub title: String,
    /// Its fields, in report order (the record-ID field first).
    pub fields: Vec<String>,
    /// Filter logic (`advanced_logic`), empty for none.
    pub filter_logic: String,
    /// `RECORD` (logic true anywhere selects all the record's rows) or
    /// `EVENT` (row by row, the default).
    pub filter_type: String,
    /// Only these unique event names (empty: all).
    pub filter_events: Vec<String>,
    /// Only records in these DAGs, by unique name (empty: all).
    pub filter_dags: Vec<String>,
    /// Up to three sort fields with `ASC` or `DESC`.
    pub order_by: Vec<(String, String)>,
    /// Checkbox values combined in one column.
    pub combine_checkbox_values: bool,
    /// The `redcap_data_access_group` column.
    pub output_dags: bool,
    /// The survey identifier and timestamp columns.
    pub output_survey_fields: bool,
}

fn list(value: Option<&String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl ReportDefinition {
    /// A `<redcap:Reports>` row.
    fn from_block(row: &blocks::BlockRow) -> ReportDefinition {
        let flag = |k: &str| row.get(k).is_some_and(|v| v == "1");
        let mut order_by = Vec::new();
        for n in 1..=3 {
            if let Some(field) = row
                .get(&format!("orderby_field{n}"))
                .filter(|f| !f.is_empty())
            {
                let sort = row
                    .get(&format!("orderby_sort{n}"))
                    .cloned()
                    .unwrap_or_else(|| "ASC".to_owned());
                order_by.push((field.clone(), sort));
            }
        }
        ReportDefinition {
            title: row.get("title").cloned().unwrap_or_default(),
            fields: list(row.get("redcap_reports_fields")),
            filter_logic: row
                .get("advanced_logic")
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
            filter_type: row
                .get("filter_type")
                .cloned()
                .unwrap_or_else(|| "EVENT".to_owned()),
            filter_events: list(row.get("redcap_reports_filter_events")),
            filter_dags: list(row.get("redcap_reports_filter_dags")),
            order_by,
            combine_checkbox_values: flag("combine_checkbox_values"),
            output_dags: flag("output_dags"),
            output_survey_fields: flag("output_survey_fields"),
        }
    }
}

/// Stores a report of a project and returns its new id (ids are global
/// and increasing, as REDCap's `report_id`).
pub(crate) fn add_report(
    conn: &Connection,
    project_id: i64,
    report: &ReportDefinition,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO reports (project_id, definition_json) VALUES (?1, ?2)",
        params![
            project_id,
            serde_json::to_string(report).unwrap_or_else(|_| "{}".into())
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Adds a report unless the project already has one just like it (a
/// persistent data directory keeps the reports of earlier starts).
pub(crate) fn ensure_report(
    conn: &Connection,
    project_id: i64,
    report: &ReportDefinition,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(report).unwrap_or_else(|_| "{}".into());
    let exists: Option<i64> = conn
        .query_row(
            "SELECT report_id FROM reports WHERE project_id = ?1 AND definition_json = ?2",
            params![project_id, json],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        add_report(conn, project_id, report)?;
    }
    Ok(())
}

/// A report by id with the project it belongs to.
pub(crate) fn report(
    conn: &Connection,
    report_id: i64,
) -> rusqlite::Result<Option<(i64, ReportDefinition)>> {
    conn.query_row(
        "SELECT project_id, definition_json FROM reports WHERE report_id = ?1",
        [report_id],
        |r| {
            let json: String = r.get(1)?;
            Ok((r.get(0)?, serde_json::from_str(&json).unwrap_or_default()))
        },
    )
    .optional()
}

/// The stored rows of one block of a project.
pub(crate) fn block(
    conn: &Connection,
    project_id: i64,
    name: &str,
) -> rusqlite::Result<Vec<blocks::BlockRow>> {
    let json: Option<String> = conn
        .query_row(
            "SELECT rows_json FROM project_blocks WHERE project_id = ?1 AND block = ?2",
            params![project_id, name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

/// Replaces one block of a project.
pub(crate) fn set_block(
    conn: &Connection,
    project_id: i64,
    name: &str,
    rows: &[blocks::BlockRow],
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO project_blocks (project_id, block, rows_json) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id, block) DO UPDATE SET rows_json = excluded.rows_json",
        params![
            project_id,
            name,
            serde_json::to_string(rows).unwrap_or_else(|_| "[]".into())
        ],
    )?;
    Ok(())
}

/// The blocks kept from a project XML.
const KEPT_BLOCKS: &[&str] = &["Surveys", "SurveysQueue"];

/// Keeps what a new project's XML carries: its reports (in
/// `report_order`), survey settings and user roles. Anything but project XML is
/// ignored.
pub(crate) fn load_xml(conn: &Connection, project_id: i64, text: &str) -> rusqlite::Result<()> {
    if !text.contains("redcap:") {
        return Ok(());
    }
    let mut reports = blocks::rows(text, "Reports");
    reports.sort_by_key(|r| {
        r.get("report_order")
            .and_then(|o| o.parse::<i64>().ok())
            .unwrap_or(i64::MAX)
    });
    for row in &reports {
        add_report(conn, project_id, &ReportDefinition::from_block(row))?;
    }
    for name in KEPT_BLOCKS {
        let rows = blocks::rows(text, name);
        if !rows.is_empty() {
            set_block(conn, project_id, name, &rows)?;
        }
    }
    crate::access::xml_roles::load(conn, project_id, text)
}
