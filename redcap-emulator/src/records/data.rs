//! Stored values grouped into the rows of a flat export: one per record ×
//! event × (repeating instrument, instance), in REDCap's order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use rusqlite::Connection;

use crate::layout::{Layout, Slot, natural_cmp};
use crate::store;

/// The pseudo-field under which a record's data access group is stored,
/// as in REDCap's `redcap_data`.
pub(crate) const GROUP_FIELD: &str = "__GROUPID__";

/// The field names of one load of record data, numbered, shared by its
/// rows: a row keeps numbers, not a copy of each name.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Hashed fast: looked up for every stored value and exported cell
    /// (the names are the project's own).
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    /// Every field of the project (status fields included), so that any
    /// stored value that is exported has a number. The numbers depend on
    /// the layout alone: every load of one export numbers alike.
    pub(crate) fn of(layout: &Layout<'_>) -> Names {
        let mut names = Names::default();
        for form in &layout.schema.forms {
            for field in &form.fields {
                names.add(&field.name);
            }
            names.add(&form.complete_field);
        }
        names
    }

    fn add(&mut self, name: &str) {
        if !self.ids.contains_key(name) {
            let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
            self.ids.insert(name.to_owned(), id);
            self.names.push(name.to_owned());
        }
    }

    /// The number of a field.
    pub(crate) fn id(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }
}

/// One stored value of a row: its field's number and where its text is.
#[derive(Debug, Clone, Copy)]
struct Entry {
    name: u32,
    start: u32,
    end: u32,
}

/// One row of a record.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) record: String,
    /// Index into [`Layout::events`].
    pub(crate) event: usize,
    pub(crate) slot: Slot,
    names: Arc<Names>,
    /// The row's stored values, one after the other.
    text: String,
    /// By field number, then in stored order (a checkbox has one entry
    /// per checked code), once the row is complete.
    entries: Vec<Entry>,
}

impl Row {
    fn new(record: String, event: usize, slot: Slot, names: &Arc<Names>) -> Row {
        Row {
            record,
            event,
            slot,
            names: Arc::clone(names),
            text: String::new(),
            entries: Vec::new(),
        }
    }

    fn push(&mut self, name: u32, value: &str) {
        let start = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.text.push_str(value);
        let end = u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        self.entries.push(Entry { name, start, end });
    }

    /// Orders the entries by field number, keeping the stored order of a
    /// field's values.
    fn complete(&mut self) {
        self.entries.sort_by_key(|e| e.name);
    }

    fn text_of(&self, e: &Entry) -> &str {
        &self.text[e.start as usize..e.end as usize]
    }

    /// The entries of one field.
    fn entries_of(&self, field: &str) -> &[Entry] {
        match self.names.id(field) {
            Some(id) => self.entries_by(id),
            None => &[],
        }
    }

    /// The entries of a field by its number in [`Names::of`].
    fn entries_by(&self, id: u32) -> &[Entry] {
        let from = self.entries.partition_point(|e| e.name < id);
        let to = from + self.entries[from..].partition_point(|e| e.name == id);
        &self.entries[from..to]
    }

    /// The stored value of a field, if any.
    pub(crate) fn get(&self, field: &str) -> Option<&str> {
        self.entries_of(field).first().map(|e| self.text_of(e))
    }

    /// The entries of a field by its number, looked for from `at` on:
    /// columns mostly come in field-number order, so the search walks on
    /// from the previous column's place (and starts over when a column
    /// goes back). `at` is left at the start of the field's entries.
    fn entries_from(&self, id: u32, at: &mut usize) -> &[Entry] {
        let entries = &self.entries;
        let mut from = (*at).min(entries.len());
        if from > 0 && entries[from - 1].name >= id {
            from = entries.partition_point(|e| e.name < id);
        } else {
            while from < entries.len() && entries[from].name < id {
                from += 1;
            }
        }
        let mut to = from;
        while to < entries.len() && entries[to].name == id {
            to += 1;
        }
        *at = from;
        &entries[from..to]
    }

    /// The stored value of a field given by its number in [`Names::of`],
    /// looked for from `at` on (see [`Row::entries_from`]).
    pub(crate) fn get_from(&self, id: u32, at: &mut usize) -> Option<&str> {
        self.entries_from(id, at).first().map(|e| self.text_of(e))
    }

    /// The stored values of a field given by its number in [`Names::of`],
    /// looked for from `at` on (see [`Row::entries_from`]).
    pub(crate) fn codes_from(&self, id: u32, at: &mut usize) -> impl Iterator<Item = &str> + '_ {
        self.entries_from(id, at).iter().map(|e| self.text_of(e))
    }

    /// The stored values of a field (a checkbox's checked codes), in
    /// stored order.
    pub(crate) fn codes(&self, field: &str) -> impl Iterator<Item = &str> + '_ {
        self.entries_of(field).iter().map(|e| self.text_of(e))
    }

    /// Whether a field has a stored value in this row.
    pub(crate) fn has(&self, field: &str) -> bool {
        !self.entries_of(field).is_empty()
    }

    /// Every loaded (field, value), a field's values together.
    pub(crate) fn cells(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries
            .iter()
            .map(|e| (self.names.names[e.name as usize].as_str(), self.text_of(e)))
    }

    /// The fields with a loaded value, each once.
    pub(crate) fn fields(&self) -> impl Iterator<Item = &str> + '_ {
        let mut last = None;
        self.entries.iter().filter_map(move |e| {
            if last == Some(e.name) {
                return None;
            }
            last = Some(e.name);
            Some(self.names.names[e.name as usize].as_str())
        })
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
    /// own through the table's key, so what is held is the records asked
    /// for, never the whole project.
    pub(crate) fn load(
        conn: &Connection,
        project_id: i64,
        layout: &Layout<'_>,
        records: Option<&[String]>,
    ) -> rusqlite::Result<RecordData> {
        RecordData::load_fields(conn, project_id, layout, records, None)
    }

    /// Whether [`RecordData::load_fields`] reads every record in one pass
    /// when it is given no record list and these `only` fields.
    pub(crate) fn reads_all_at_once(layout: &Layout<'_>, only: &HashSet<&str>) -> bool {
        FieldReader::new(layout, Some(only)).is_some()
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
        let names_table = Arc::new(Names::of(layout));
        let mut data = RecordData::default();
        let by_field = FieldReader::new(layout, only);
        // The rows of every record read at once, when a few fields of all
        // records are asked for.
        let mut read_at_once = FxHashMap::default();
        let mut names = match (records, &by_field) {
            (Some(records), _) => records.to_vec(),
            (None, Some(reader)) => {
                let (names, rows) = reader.read_all(conn, project_id, &names_table, &mut data)?;
                read_at_once = rows;
                names
            }
            (None, None) => store::record_names(conn, project_id)?,
        };
        names.sort_by(|a, b| natural_cmp(a, b));
        names.dedup();
        // Field by field, each field's values in stored order: the order of
        // the table's key, so no sort is needed. (Rows are put in order
        // below, and a row keeps its values by field.)
        //
        // In a project of one event where nothing repeats, every exported
        // value is in that event and its instance is never read: SQLite then
        // filters on the event instead of handing over both columns for
        // every value (the group is kept whatever its event, as below).
        let single = layout.flat_event().map(|event| event.unique_name.as_str());
        let mut stmt = conn.prepare_cached(if single.is_some() {
            "SELECT NULL, field, NULL, value FROM data
             WHERE project_id = ?1 AND record = ?2 AND (event = ?3 OR field = ?4)
             ORDER BY field, seq"
        } else {
            "SELECT event, field, instance, value FROM data
             WHERE project_id = ?1 AND record = ?2 ORDER BY field, seq"
        })?;
        let mut rows: Vec<Row> = Vec::new();
        // The size of the last record's first row.
        let mut room = (0, 0);
        for name in names {
            if let Some(row) = read_at_once.remove(&name) {
                data.rows.push(row);
                data.records.push(name);
                continue;
            }
            if records.is_some()
                && let Some(reader) = &by_field
                && let Some(row) = reader.read(conn, project_id, &name, &names_table, &mut data)?
            {
                data.rows.push(row);
                data.records.push(name);
                continue;
            }
            let mut query = match single {
                Some(event) => stmt.query(rusqlite::params![project_id, name, event, GROUP_FIELD]),
                None => stmt.query(rusqlite::params![project_id, name]),
            }?;
            while let Some(stored) = query.next()? {
                let field = stored.get_ref(1)?.as_str()?;
                if field == GROUP_FIELD {
                    data.groups.insert(name.clone(), stored.get(3)?);
                    continue;
                }
                let event_idx = match single {
                    Some(_) => 0,
                    None => {
                        // Compared, never kept: its bytes serve.
                        let event = stored.get_ref(0)?.as_bytes()?;
                        let Some(at) = layout
                            .events
                            .iter()
                            .position(|e| e.unique_name.as_bytes() == event)
                        else {
                            continue;
                        };
                        at
                    }
                };
                // A field deleted from the dictionary keeps its data in
                // REDCap too, but is never exported.
                let Some(id) = names_table.id(field) else {
                    continue;
                };
                let info = &layout.events[event_idx];
                let slot = if (field == layout.id_field() && !info.repeats_whole)
                    || !layout.repeats_in(info, field)
                {
                    Slot::Base
                } else {
                    // Read only here: most values do not repeat.
                    layout.slot(info, field, stored.get(2)?)
                };
                // A record has few rows: a scan beats hashing its name.
                let at = match rows
                    .iter()
                    .position(|r| r.event == event_idx && r.slot == slot)
                {
                    Some(at) => at,
                    None => {
                        let mut row = Row::new(name.clone(), event_idx, slot, &names_table);
                        // Records are mostly alike: room for what the last one held.
                        row.text.reserve(room.0);
                        row.entries.reserve(room.1);
                        rows.push(row);
                        rows.len() - 1
                    }
                };
                if only.is_some_and(|only| !only.contains(field)) {
                    continue;
                }
                rows[at].push(id, stored.get_ref(3)?.as_str()?);
            }
            if rows.is_empty() {
                continue;
            }
            rows.sort_by_key(|row| match &row.slot {
                Slot::Base => (false, row.event, 0, 0),
                Slot::Repeat(form, n) => (true, row.event, layout.form_pos(form), *n),
            });
            for row in &mut rows {
                row.complete();
            }
            room = (rows[0].text.len(), rows[0].entries.len());
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

/// A few fields of a classic record without repeating instruments, read
/// field by field through the table's key instead of reading every stored
/// value of the record (an export of the record-ID field alone is how a
/// bulk export starts).
struct FieldReader<'l> {
    event: &'l str,
    id_field: &'l str,
    /// The loaded fields, in a fixed order.
    fields: Vec<&'l str>,
    /// Whether records' groups are read: only a project with groups has
    /// any that an export uses.
    groups: bool,
}

/// At most this many fields are read one by one; more cost more than one
/// pass over the record.
const FIELDS_READ_ONE_BY_ONE: usize = 8;

impl<'l> FieldReader<'l> {
    /// A reader when it applies: only some fields are loaded, and the
    /// project has one event, in which nothing repeats (so a record has
    /// at most one row).
    fn new(layout: &'l Layout<'_>, only: Option<&HashSet<&'l str>>) -> Option<FieldReader<'l>> {
        let only = only?;
        let event = layout.flat_event()?;
        if only.len() > FIELDS_READ_ONE_BY_ONE {
            return None;
        }
        let mut fields: Vec<&str> = only.iter().copied().collect();
        fields.sort_unstable();
        Some(FieldReader {
            event: &event.unique_name,
            id_field: layout.id_field(),
            fields,
            groups: !layout.schema.dags.is_empty(),
        })
    }

    /// Every record's row in one statement, which walks the record names
    /// from one to the next in the table's key and seeks each record's few
    /// fields (one pass inside SQLite instead of three statements a
    /// record). Returns every record name, and the rows of the records
    /// whose record-ID value is stored in the event; the others are read
    /// the long way. Groups are noted in `data` as [`FieldReader::read`]
    /// notes them.
    fn read_all(
        &self,
        conn: &Connection,
        project_id: i64,
        names: &Arc<Names>,
        data: &mut RecordData,
    ) -> rusqlite::Result<(Vec<String>, FxHashMap<String, Row>)> {
        let mut wanted = self.fields.clone();
        wanted.push(self.id_field);
        if self.groups {
            wanted.push(GROUP_FIELD);
        }
        wanted.sort_unstable();
        wanted.dedup();
        let slots: Vec<String> = (2..wanted.len() + 2).map(|n| format!("?{n}")).collect();
        // The left join keeps a record none of whose wanted fields is
        // stored; the order groups each record's values, a field's in
        // stored order.
        let mut stmt = conn.prepare_cached(&format!(
            "{}
             SELECT names.name, d.field, d.event, d.value
             FROM names LEFT JOIN data AS d
                 ON d.project_id = ?1 AND d.record = names.name AND d.field IN ({})
             WHERE names.name IS NOT NULL
             ORDER BY names.name, d.field, d.seq",
            store::RECORD_NAMES,
            slots.join(", ")
        ))?;
        let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&project_id];
        bound.extend(wanted.iter().map(|w| w as &dyn rusqlite::ToSql));
        let mut query = stmt.query(bound.as_slice())?;
        let mut all = Vec::new();
        let mut rows = FxHashMap::default();
        let mut current: Option<Reading> = None;
        while let Some(stored) = query.next()? {
            let name = stored.get_ref(0)?.as_str()?;
            if current.as_ref().is_none_or(|c| c.row.record != name) {
                if let Some(done) = current.take() {
                    done.finish(&mut rows, data);
                }
                all.push(name.to_owned());
                current = Some(Reading {
                    row: Row::new(name.to_owned(), 0, Slot::Base, names),
                    found: false,
                    group: None,
                });
            }
            let Some(reading) = current.as_mut() else {
                continue;
            };
            let field = match stored.get_ref(1)? {
                rusqlite::types::ValueRef::Null => continue,
                field => field.as_str()?,
            };
            if field == GROUP_FIELD {
                reading.group = Some(stored.get(3)?);
                continue;
            }
            if stored.get_ref(2)?.as_str()? != self.event {
                continue;
            }
            reading.found |= field == self.id_field;
            if self.fields.contains(&field)
                && let Some(id) = names.id(field)
            {
                reading.row.push(id, stored.get_ref(3)?.as_str()?);
            }
        }
        if let Some(done) = current.take() {
            done.finish(&mut rows, data);
        }
        Ok((all, rows))
    }

    /// The record's row, or `None` when its record-ID value is not stored
    /// in the event (its rows are then found the long way, by reading every
    /// value). A record's group is noted in `data` as the full read does.
    fn read(
        &self,
        conn: &Connection,
        project_id: i64,
        record: &str,
        names: &Arc<Names>,
        data: &mut RecordData,
    ) -> rusqlite::Result<Option<Row>> {
        let mut stmt = conn.prepare_cached(
            "SELECT event, value FROM data
             WHERE project_id = ?1 AND record = ?2 AND field = ?3 ORDER BY seq",
        )?;
        // Any stored value of a dictionary field in the event makes the row;
        // the record-ID value, which every save writes, is looked for first.
        let mut id_rows = stmt.query(rusqlite::params![project_id, record, self.id_field])?;
        let mut found = false;
        while let Some(stored) = id_rows.next()? {
            if stored.get_ref(0)?.as_str()? == self.event {
                found = true;
                break;
            }
        }
        drop(id_rows);
        if !found {
            return Ok(None);
        }
        let mut group: Option<String> = None;
        if self.groups {
            let mut groups = stmt.query(rusqlite::params![project_id, record, GROUP_FIELD])?;
            while let Some(stored) = groups.next()? {
                group = Some(stored.get(1)?);
            }
        }
        let mut row = Row::new(record.to_owned(), 0, Slot::Base, names);
        for field in &self.fields {
            let Some(id) = names.id(field) else {
                continue;
            };
            let mut values = stmt.query(rusqlite::params![project_id, record, field])?;
            while let Some(stored) = values.next()? {
                if stored.get_ref(0)?.as_str()? == self.event {
                    row.push(id, stored.get_ref(1)?.as_str()?);
                }
            }
        }
        row.complete();
        if let Some(group) = group {
            data.groups.insert(record.to_owned(), group);
        }
        Ok(Some(row))
    }
}

/// One record being read by [`FieldReader::read_all`].
struct Reading {
    row: Row,
    /// Whether its record-ID value is stored in the event.
    found: bool,
    group: Option<String>,
}

impl Reading {
    /// Keeps the row of a record found, with its group.
    fn finish(mut self, rows: &mut FxHashMap<String, Row>, data: &mut RecordData) {
        if !self.found {
            return;
        }
        self.row.complete();
        if let Some(group) = self.group {
            data.groups.insert(self.row.record.clone(), group);
        }
        rows.insert(self.row.record.clone(), self.row);
    }
}
