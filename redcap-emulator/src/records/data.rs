//! Stored values grouped into the rows of a flat export: one per record ×
//! event × (repeating instrument, instance), in REDCap's order.

use std::collections::HashMap;

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
    /// code.
    pub(crate) values: HashMap<String, Vec<String>>,
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
    /// Loads the data of some (or all) records.
    pub(crate) fn load(
        conn: &Connection,
        project_id: i64,
        layout: &Layout<'_>,
        records: Option<&[String]>,
    ) -> rusqlite::Result<RecordData> {
        let values = store::values(conn, project_id, records)?;
        Ok(RecordData::from_values(layout, values))
    }

    /// Groups stored values into rows.
    pub(crate) fn from_values(layout: &Layout<'_>, values: Vec<store::Value>) -> RecordData {
        let mut index: HashMap<(String, usize, Slot), usize> = HashMap::new();
        let mut data = RecordData::default();
        for v in values {
            if v.field == GROUP_FIELD {
                data.groups.insert(v.record.clone(), v.value);
                continue;
            }
            let Some(event_idx) = layout.events.iter().position(|e| e.unique_name == v.event)
            else {
                continue;
            };
            if layout.form_of(&v.field).is_none() {
                // A field deleted from the dictionary keeps its data in
                // REDCap too, but is never exported.
                continue;
            }
            let slot = if v.field == layout.id_field() && !layout.events[event_idx].repeats_whole {
                Slot::Base
            } else {
                layout.slot(&layout.events[event_idx], &v.field, v.instance)
            };
            let key = (v.record.clone(), event_idx, slot.clone());
            let row_idx = *index.entry(key).or_insert_with(|| {
                data.rows.push(Row {
                    record: v.record.clone(),
                    event: event_idx,
                    slot,
                    values: HashMap::new(),
                });
                data.rows.len() - 1
            });
            data.rows[row_idx]
                .values
                .entry(v.field)
                .or_default()
                .push(v.value);
        }
        let mut names: Vec<String> = data.rows.iter().map(|r| r.record.clone()).collect();
        names.sort_by(|a, b| natural_cmp(a, b));
        names.dedup();
        let position: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        data.rows.sort_by_cached_key(|row| {
            let (repeat, form, instance) = match &row.slot {
                Slot::Base => (false, 0, 0),
                Slot::Repeat(form, n) => (true, layout.form_pos(form), *n),
            };
            (
                position
                    .get(row.record.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                repeat,
                row.event,
                form,
                instance,
            )
        });
        data.records = names;
        data
    }

    /// The base row of a record in an event.
    pub(crate) fn base_row(&self, record: &str, event: usize) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.record == record && r.event == event && r.slot == Slot::Base)
    }
}
