//! Stored values grouped into the rows of a flat export: one per record ×
//! event × (repeating instrument, instance), in REDCap's order.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashMap;

use rusqlite::Connection;

use crate::layout::{Layout, Slot, natural_cmp};
use crate::store;

/// The pseudo-field under which a record's data access group is stored,
/// as in REDCap's `redcap_data`.
pub(crate) const GROUP_FIELD: &str = "__GROUPID__";

/// One row of a record.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) record: String,
    /// Index into [`Layout::events`].
    pub(crate) event: usize,
    pub(crate) slot: Slot,
    /// Stored values by field name; a checkbox has one entry per checked
    /// code. Hashed fast: it is filled and read once per value.
    pub(crate) values: FxHashMap<String, Vec<String>>,
}

impl Row {
    /// The stored value of a field, if any.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.values
            .get(field)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// The stored codes of a checkbox.
    pub(crate) fn codes(&self, field: &str) -> &[String] {
        self.values.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The instance number of a repeating row.
    pub(crate) fn instance(&self) -> Option<i64> {
        match &self.slot {
            Slot::Base => None,
            Slot::Repeat(_, n) => Some(*n),
        }
    }
}

/// A project's record data, rows in export order.
#[derive(Debug, Default)]
pub(crate) struct RecordData {
    pub(crate) rows: Vec<Row>,
    /// Each record's data access group (unique name).
    pub(crate) groups: HashMap<String, String>,
    /// Record names in natural order.
    pub(crate) records: Vec<String>,
}

impl RecordData {
    /// Loads the data of some (or all) records. Each record is read on its
    /// own through the record index, so what is held is the records asked
    /// for, never the whole project.
    pub(crate) fn load(
        conn: &Connection,
        project_id: i64,
        layout: &Layout<'_>,
        records: Option<&[String]>,
    ) -> rusqlite::Result<RecordData> {
        RecordData::load_fields(conn, project_id, layout, records, None)
    }

    /// Loads the data of some (or all) records, holding the values of the
    /// `only` fields (all when `None`): the rows are the same, but a value
    /// nobody reads is never copied out of storage.
    pub(crate) fn load_fields(
        conn: &Connection,
        project_id: i64,
        layout: &Layout<'_>,
        records: Option<&[String]>,
        only: Option<&HashSet<&str>>,
    ) -> rusqlite::Result<RecordData> {
        let mut names = match records {
            Some(records) => records.to_vec(),
            None => store::record_names_sorted(conn, project_id)?,
        };
        names.sort_by(|a, b| natural_cmp(a, b));
        names.dedup();
        let mut stmt = conn.prepare_cached(
            "SELECT event, field, instance, value FROM data
             WHERE project_id = ?1 AND record = ?2 ORDER BY rowid",
        )?;
        let mut data = RecordData::default();
        let mut rows: Vec<Row> = Vec::new();
        for name in names {
            let mut query = stmt.query(rusqlite::params![project_id, name])?;
            while let Some(stored) = query.next()? {
                let event = stored.get_ref(0)?.as_str()?;
                let field = stored.get_ref(1)?.as_str()?;
                let instance: i64 = stored.get(2)?;
                if field == GROUP_FIELD {
                    data.groups.insert(name.clone(), stored.get(3)?);
                    continue;
                }
                let Some(event_idx) = layout.events.iter().position(|e| e.unique_name == event)
                else {
                    continue;
                };
                if layout.form_of(field).is_none() {
                    // A field deleted from the dictionary keeps its data in
                    // REDCap too, but is never exported.
                    continue;
                }
                let info = &layout.events[event_idx];
                let slot = if field == layout.id_field() && !info.repeats_whole {
                    Slot::Base
                } else {
                    layout.slot(info, field, instance)
                };
                // A record has few rows: a scan beats hashing its name.
                let at = match rows
                    .iter()
                    .position(|r| r.event == event_idx && r.slot == slot)
                {
                    Some(at) => at,
                    None => {
                        rows.push(Row {
                            record: name.clone(),
                            event: event_idx,
                            slot,
                            values: FxHashMap::default(),
                        });
                        rows.len() - 1
                    }
                };
                if only.is_some_and(|only| !only.contains(field)) {
                    continue;
                }
                let value: String = stored.get(3)?;
                match rows[at].values.get_mut(field) {
                    Some(values) => values.push(value),
                    None => {
                        rows[at].values.insert(field.to_owned(), vec![value]);
                    }
                }
            }
            if rows.is_empty() {
                continue;
            }
            rows.sort_by_key(|row| match &row.slot {
                Slot::Base => (false, row.event, 0, 0),
                Slot::Repeat(form, n) => (true, row.event, layout.form_pos(form), *n),
            });
            data.rows.append(&mut rows);
            data.records.push(name);
        }
        Ok(data)
    }

    /// The base row of a record in an event.
    pub(crate) fn base_row(&self, record: &str, event: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.record == record && r.event == event && r.slot == Slot::Base)
    }
}
