//! Writing the project log the way REDCap's `Logging::logEvent` does: one
//! row per change with its event type (`INSERT`, `UPDATE`, `DELETE`,
//! `MANAGE`, `DATA_EXPORT`, `OTHER`), object type, key, event and the
//! `field = 'value'` details REDCap stores in `data_values`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use redcap_schema::FieldType;
use rusqlite::params;

use crate::activity::username;
use crate::context::Ctx;
use crate::layout::Layout;
use crate::records::data::GROUP_FIELD;
use crate::reply::ApiError;
use crate::store;

/// One row to log.
pub(crate) struct Entry<'a> {
    /// REDCap's `event` column.
    pub(crate) event: &'a str,
    /// REDCap's `object_type` (the table touched).
    pub(crate) object_type: &'a str,
    /// The record name for record events, else the project id.
    pub(crate) pk: &'a str,
    /// The unique event name of a record change ("" when none).
    pub(crate) event_name: &'a str,
    /// The details (`data_values`).
    pub(crate) data_values: String,
    /// The description (`description`).
    pub(crate) description: &'a str,
}

/// The current server time as stored (`YYYY-MM-DD HH:MM:SS`).
fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Writes one row as the caller.
pub(crate) fn write(ctx: &Ctx<'_>, entry: &Entry<'_>) -> Result<(), ApiError> {
    let user = username(ctx)?;
    // Cached: an import writes a row per record and event.
    ctx.conn.prepare_cached(
        "INSERT INTO log_event (project_id, ts, user, event, object_type, pk, event_name, data_values, description)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?.execute(
        params![
            ctx.project.id,
            now(),
            user,
            entry.event,
            entry.object_type,
            entry.pk,
            entry.event_name,
            entry.data_values,
            entry.description
        ],
    )?;
    Ok(())
}

/// A data export (`DATA_EXPORT`): REDCap stores its settings as JSON.
pub(crate) fn data_export(ctx: &Ctx<'_>, settings: &[(&str, String)]) -> Result<(), ApiError> {
    let mut map = serde_json::Map::new();
    for (key, value) in settings {
        map.insert((*key).to_owned(), serde_json::Value::String(value.clone()));
    }
    write(
        ctx,
        &Entry {
            event: "DATA_EXPORT",
            object_type: "redcap_data",
            pk: "",
            event_name: "",
            data_values: serde_json::Value::Object(map).to_string(),
            description: "Export data (API)",
        },
    )
}

/// A record's values per (event, instance), then per field.
type RecordCells = BTreeMap<(String, i64), HashMap<String, Vec<String>>>;

/// The stored values of some records, grouped per record, event and
/// instance: what a change is compared against.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    cells: HashMap<String, RecordCells>,
}

impl Snapshot {
    /// The values of one record given in stored order, as (event, field,
    /// instance, value): what a new record holds after an import wrote
    /// them, without reading them back.
    pub(crate) fn of_record(
        record: &str,
        values: impl IntoIterator<Item = (String, String, i64, String)>,
    ) -> Snapshot {
        let mut cells = RecordCells::new();
        for (event, field, instance, value) in values {
            cells
                .entry((event, instance))
                .or_default()
                .entry(field)
                .or_default()
                .push(value);
        }
        let mut snapshot = Snapshot::default();
        if !cells.is_empty() {
            snapshot.cells.insert(record.to_owned(), cells);
        }
        snapshot
    }

    /// The current values of these records.
    pub(crate) fn take(ctx: &Ctx<'_>, records: &[String]) -> Result<Snapshot, ApiError> {
        let mut snapshot = Snapshot::default();
        if records.is_empty() {
            return Ok(snapshot);
        }
        // Values group by field, so the index's order (by field) serves.
        for v in store::values_by_field(ctx.conn, ctx.project.id, records)? {
            snapshot
                .cells
                .entry(v.record)
                .or_default()
                .entry((v.event, v.instance))
                .or_default()
                .entry(v.field)
                .or_default()
                .push(v.value);
        }
        Ok(snapshot)
    }
}

/// The fields in data-dictionary order (each form's status field after
/// its fields), with whether each is a checkbox.
fn field_order<'a>(layout: &Layout<'a>) -> Vec<(&'a str, bool)> {
    let mut out = Vec::new();
    for form in &layout.schema.forms {
        for field in &form.fields {
            if field.field_type != FieldType::Descriptive {
                out.push((field.name.as_str(), field.field_type == FieldType::Checkbox));
            }
        }
        out.push((form.complete_field.as_str(), false));
    }
    out
}

/// The `data_values` lines of one event/instance: new values as
/// `field = 'value'`, checkbox codes as `field(code) = checked|unchecked`.
fn detail_lines(
    order: &[(&str, bool)],
    before: Option<&HashMap<String, Vec<String>>>,
    after: Option<&HashMap<String, Vec<String>>>,
) -> Vec<String> {
    // Sorted, so that checkbox codes compare as sets; copied only then.
    fn get<'m>(side: Option<&'m HashMap<String, Vec<String>>>, f: &str) -> Cow<'m, [String]> {
        let v = side.and_then(|m| m.get(f)).map_or(&[][..], Vec::as_slice);
        if v.len() > 1 {
            let mut v = v.to_vec();
            v.sort();
            Cow::Owned(v)
        } else {
            Cow::Borrowed(v)
        }
    }
    let mut lines = Vec::new();
    for (field, checkbox) in order {
        let old = get(before, field);
        let new = get(after, field);
        if old == new {
            continue;
        }
        if *checkbox {
            for code in new.iter().filter(|c| !old.contains(c)) {
                lines.push(format!("{field}({code}) = checked"));
            }
            for code in old.iter().filter(|c| !new.contains(c)) {
                lines.push(format!("{field}({code}) = unchecked"));
            }
        } else {
            let value = new.first().cloned().unwrap_or_default();
            lines.push(format!("{field} = '{value}'"));
        }
    }
    lines
}

/// Logs what an import changed: per record (in payload order), one row per
/// event and instance that changed, `Create record (API)` for records that
/// did not exist before, `Update record (API)` otherwise; DAG assignments
/// as their own rows. Nothing is logged where nothing changed, as in REDCap.
pub(crate) fn record_changes(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    before: &Snapshot,
    records: &[String],
    created: &HashSet<String>,
) -> Result<(), ApiError> {
    let after = Snapshot::take(ctx, records)?;
    record_changes_to(ctx, layout, before, &after, records, created)
}

/// [`record_changes`] with the records' values after the import given.
pub(crate) fn record_changes_to(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    before: &Snapshot,
    after: &Snapshot,
    records: &[String],
    created: &HashSet<String>,
) -> Result<(), ApiError> {
    let order = field_order(layout);
    let event_pos = |name: &str| {
        layout
            .events
            .iter()
            .position(|e| e.unique_name == name)
            .unwrap_or(usize::MAX)
    };
    for record in records {
        let old = before.cells.get(record);
        let new = after.cells.get(record);
        let mut keys: Vec<(String, i64)> = old
            .into_iter()
            .chain(new)
            .flat_map(|m| m.keys().cloned())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        keys.sort_by_key(|(e, i)| (event_pos(e), *i));
        let description = if created.contains(record) {
            "Create record (API)"
        } else {
            "Update record (API)"
        };
        let kind = if created.contains(record) {
            "INSERT"
        } else {
            "UPDATE"
        };
        for key in &keys {
            let b = old.and_then(|m| m.get(key));
            let a = new.and_then(|m| m.get(key));
            let mut lines = detail_lines(&order, b, a);
            if lines.is_empty() {
                continue;
            }
            if key.1 > 1 {
                lines.insert(0, format!("[instance = {}]", key.1));
            }
            write(
                ctx,
                &Entry {
                    event: kind,
                    object_type: "redcap_data",
                    pk: record,
                    event_name: &key.0,
                    data_values: lines.join(",\n"),
                    description,
                },
            )?;
        }
        let group = |side: Option<&RecordCells>| {
            side.into_iter()
                .flat_map(|m| m.values())
                .find_map(|cells| cells.get(GROUP_FIELD).and_then(|v| v.first().cloned()))
        };
        let (old_group, new_group) = (group(old), group(new));
        if old_group != new_group {
            let (description, unique) = match (&new_group, &old_group) {
                (Some(g), _) => ("Assign record to Data Access Group (API)", g.clone()),
                (None, Some(g)) => ("Remove record from Data Access Group (API)", g.clone()),
                (None, None) => continue,
            };
            write(
                ctx,
                &Entry {
                    event: "UPDATE",
                    object_type: "redcap_data",
                    pk: record,
                    event_name: "",
                    data_values: format!("redcap_data_access_group = '{unique}'"),
                    description,
                },
            )?;
        }
    }
    Ok(())
}

/// What a `delete_records` call removed from one record.
pub(crate) enum Deletion<'a> {
    /// The whole record, or its data in one arm: one row per arm, under
    /// the arm's first event (the unique event name; empty in a classic
    /// project).
    Record {
        /// First event of the arm the row is logged under.
        event: &'a str,
    },
    /// One instrument (`Records::deleteForm`) or one event
    /// (`Records::deleteEventInstanceByProject`) in one instance.
    Slice {
        /// Unique event name.
        event: &'a str,
        instance: i64,
        /// The instrument deleted; `None` for an event.
        instrument: Option<&'a str>,
        /// The values removed.
        removed: &'a [store::Value],
    },
}

/// Logs a deletion as REDCap's `REDCap::deleteRecord` does: a whole record
/// as `Delete record (API)` under the first event of the arm deleted from
/// (`Records::deleteRecordByProject`, called once per arm); an instrument or an event as one update row of
/// its event and instance (`Delete all record data for single form` /
/// `… single event` / `… single event instance`) that lists the fields it
/// erased in that instance as `field = ''`, a checkbox as every choice
/// `unchecked`, never the record ID. An event is logged even when it held
/// nothing, as REDCap logs it.
pub(crate) fn record_deleted(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    record: &str,
    deletion: Deletion<'_>,
) -> Result<(), ApiError> {
    let (event, instance, instrument, removed) = match deletion {
        Deletion::Slice {
            event,
            instance,
            instrument,
            removed,
        } => (event, instance, instrument, removed),
        Deletion::Record { event } => {
            let id = layout.id_field();
            return write(
                ctx,
                &Entry {
                    event: "DELETE",
                    object_type: "redcap_data",
                    pk: record,
                    event_name: event,
                    data_values: format!("{id} = '{record}'"),
                    description: "Delete record (API)",
                },
            );
        }
    };
    // REDCap lists the fields it finds in the instance asked for (every
    // instance when nothing in the project repeats).
    let by_instance = layout.schema.has_repeating();
    let erased: HashSet<&str> = removed
        .iter()
        .filter(|v| !by_instance || v.instance == instance)
        .map(|v| v.field.as_str())
        .collect();
    let mut lines = Vec::new();
    for (field, checkbox) in field_order(layout) {
        if field == layout.id_field() || !erased.contains(field) {
            continue;
        }
        if checkbox {
            for choice in layout.choices(field) {
                lines.push(format!("{field}({}) = unchecked", choice.code));
            }
        } else {
            lines.push(format!("{field} = ''"));
        }
    }
    let repeating_event = layout
        .event(event)
        .is_some_and(|e| e.repeats_whole && layout.longitudinal());
    let description = match instrument {
        Some(_) => "Delete all record data for single form",
        None if repeating_event => "Delete all record data for single event instance",
        None => "Delete all record data for single event",
    };
    if instance > 1 {
        lines.insert(0, format!("[instance = {instance}]"));
    }
    write(
        ctx,
        &Entry {
            event: "UPDATE",
            object_type: "redcap_data",
            pk: record,
            event_name: event,
            data_values: lines.join(",\n"),
            description,
        },
    )
}

/// Logs a rename; REDCap also moves the record's earlier log rows to the
/// new name.
pub(crate) fn record_renamed(ctx: &Ctx<'_>, old: &str, new: &str) -> Result<(), ApiError> {
    ctx.conn.execute(
        "UPDATE log_event SET pk = ?3 WHERE project_id = ?1 AND pk = ?2 AND object_type = 'redcap_data'",
        params![ctx.project.id, old, new],
    )?;
    let id = ctx.project.schema.record_id_field.clone();
    write(
        ctx,
        &Entry {
            event: "UPDATE",
            object_type: "redcap_data",
            pk: new,
            event_name: "",
            data_values: format!("{id} = '{new}'"),
            description: "Update record (API)",
        },
    )
}

/// Records with a logged data change between two `YYYY-MM-DD HH:MM:SS`
/// timestamps (inclusive): what `dateRangeBegin`/`dateRangeEnd` select.
pub(crate) fn records_changed_between(
    conn: &rusqlite::Connection,
    project_id: i64,
    begin: &str,
    end: &str,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT DISTINCT pk FROM log_event WHERE project_id = ?1 AND ts >= ?2 AND ts <= ?3
         AND object_type = 'redcap_data' AND event IN ('INSERT', 'UPDATE', 'DELETE')",
    )?;
    let rows = stmt.query_map(params![project_id, begin, end], |r| r.get(0))?;
    rows.collect()
}

/// The data export row of a record export (`export_records`).
pub(crate) fn records_exported(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let p = ctx.params;
    let format = p.non_empty("format").unwrap_or("xml").to_uppercase();
    let mut settings = vec![
        ("export_format", format),
        (
            "rawOrLabel",
            p.choice("rawOrLabel", &["raw", "label"], "raw").to_owned(),
        ),
    ];
    if p.flag("exportDataAccessGroups") {
        settings.push(("export_data_access_group", "Yes".to_owned()));
    }
    if p.flag("exportSurveyFields") {
        settings.push(("export_survey_fields", "Yes".to_owned()));
    }
    data_export(ctx, &settings)
}

/// The data export row of a report export (`export_report`).
pub(crate) fn report_exported(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let p = ctx.params;
    data_export(
        ctx,
        &[
            (
                "report_id",
                p.get("report_id").unwrap_or_default().to_owned(),
            ),
            (
                "export_format",
                p.non_empty("format").unwrap_or("xml").to_uppercase(),
            ),
            (
                "rawOrLabel",
                p.choice("rawOrLabel", &["raw", "label"], "raw").to_owned(),
            ),
        ],
    )
}
