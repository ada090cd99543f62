//! What an import would change, read from the project and written nowhere.

use std::collections::{HashMap, HashSet};
use std::fmt;

use redcap_schema::ProjectSchema;

use super::preflight::{Preflight, ignored_by_redcap, preflight, stored_value};
use super::{ImportOptions, ROW_KEY_COLUMNS, plan};
use crate::bulk::{ExportOptions, RawFormat};
use crate::{Client, Error, Row};

/// One value an import would change or erase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The record.
    pub record: String,
    /// Event, repeat instrument and instance, as far as the row names them
    /// (empty when it does not).
    pub event: String,
    /// The repeat instrument (empty for non-repeating rows).
    pub instrument: String,
    /// The repeat instance (empty for non-repeating rows).
    pub instance: String,
    /// The column.
    pub field: String,
    /// The stored value (empty when there is none).
    pub old: String,
    /// The value after the import (empty for an erasure).
    pub new: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {:?}", self.record)?;
        for (label, part) in [
            ("event", &self.event),
            ("instrument", &self.instrument),
            ("instance", &self.instance),
        ] {
            if !part.is_empty() {
                write!(f, " {label} {part:?}")?;
            }
        }
        write!(f, " {}: {:?} -> {:?}", self.field, self.old, self.new)
    }
}

/// What an import would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DryRun {
    /// The preflight's findings; nothing else is computed when it has errors.
    pub preflight: Preflight,
    /// Records that do not exist yet (all of them, with `forceAutoNumber`).
    pub created: Vec<String>,
    /// Values set or replaced: old differs from new, new is not blank.
    pub changes: Vec<Change>,
    /// With overwrite: stored values a blank cell would erase.
    pub erasures: Vec<Change>,
}

type Key = (String, String, String, String);

fn key_of(row: &Row, id: &str) -> Key {
    let get = |c: &str| row.get(c).unwrap_or("").trim().to_owned();
    (
        get(id).to_lowercase(),
        get("redcap_event_name"),
        get("redcap_repeat_instrument"),
        get("redcap_repeat_instance"),
    )
}

impl Client {
    /// Reports what [`Client::import_all`] with these options would change, without
    /// writing anything: the records it touches are exported (in checked batches)
    /// and compared, value by value, with the rows.
    pub async fn import_dry_run(
        &self,
        schema: &ProjectSchema,
        rows: &[Row],
        options: &ImportOptions,
    ) -> Result<DryRun, Error> {
        let mut out = DryRun {
            preflight: preflight(schema, rows, options.date_format),
            ..DryRun::default()
        };
        if !out.preflight.errors.is_empty() {
            return Ok(out);
        }
        let id = schema.record_id_field.as_str();
        let records: Vec<String> = plan(schema, rows, None)
            .iter()
            .flat_map(|b| b.records.iter().map(|r| (*r).to_owned()))
            .collect();
        if options.force_auto_number {
            out.created = records;
            return Ok(out);
        }
        let stored = self.current_rows(rows, &records).await?;
        let existing: HashSet<String> = stored
            .iter()
            .map(|r| r.get(id).unwrap_or("").to_lowercase())
            .collect();
        let by_key: HashMap<Key, &Row> = stored.iter().map(|r| (key_of(r, id), r)).collect();
        out.created = records
            .into_iter()
            .filter(|r| !existing.contains(&r.to_lowercase()))
            .collect();
        for row in rows {
            let key = key_of(row, id);
            let old_row = by_key.get(&key);
            for (column, value) in row.iter() {
                if column == id
                    || ROW_KEY_COLUMNS.contains(&column)
                    || ignored_by_redcap(schema, column, value)
                {
                    continue;
                }
                let old = old_row.and_then(|r| r.get(column)).unwrap_or("").to_owned();
                let new = stored_value(schema, column, value, options.date_format);
                let change = || Change {
                    record: row.get(id).unwrap_or("").trim().to_owned(),
                    event: key.1.clone(),
                    instrument: key.2.clone(),
                    instance: key.3.clone(),
                    field: column.to_owned(),
                    old: old.clone(),
                    new: new.clone(),
                };
                // A checkbox choice or a form status reads `0` when nothing is stored.
                let unset = old.is_empty() || (old == "0" && schema.field(column).is_none());
                if new.is_empty() {
                    if options.overwrite && !unset {
                        out.erasures.push(change());
                    }
                } else if new != old {
                    out.changes.push(change());
                }
            }
        }
        Ok(out)
    }

    /// The stored rows of `records`, with the Data Access Group column when the
    /// import sets it.
    async fn current_rows(&self, rows: &[Row], records: &[String]) -> Result<Vec<Row>, Error> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let groups = rows
            .iter()
            .any(|r| r.get("redcap_data_access_group").is_some());
        let options = ExportOptions::new()
            .records(records.iter().cloned())
            .data_access_groups(groups);
        let mut body = Vec::new();
        self.export_all(&options, RawFormat::Json, &mut body)
            .await?;
        serde_json::from_slice(&body).map_err(|error| Error::Decode {
            method: "export_records",
            message: error.to_string(),
            snippet: crate::error::snippet(&body),
        })
    }
}
