//! `content=record` import: flat and eav payloads, REDCap's whole-payload
//! checks, per-value validation (all errors at once, nothing written),
//! `overwriteBehavior`, `forceAutoNumber`, `returnContent`.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use redcap_schema::FieldType;
use redcap_schema::export_names::checkbox_column;
use redcap_schema::import_rules::{self, RepeatColumn, RepeatProblem, RowPlace};
use serde_json::Value;

use crate::activity::journal;
use crate::context::Ctx;
use crate::format::{Format, php_json};
use crate::layout::{Column, Layout, Slot};
use crate::records::data::GROUP_FIELD;
use crate::records::export::delimiter;
use crate::records::payload::{self, Item, Row};
use crate::records::survey_status::{self, SurveyStatus};
use crate::reply::{ApiError, Reply, import_count};
use crate::store;

const PSEUDO: &[&str] = &[
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
];

/// One row to write, after the whole-payload checks.
struct Planned {
    record: String,
    original: String,
    event: usize,
    instrument: Option<String>,
    instance: Option<String>,
    item: Row,
}

/// One error line: record, field, value, message.
type ErrorLine = (String, String, String, String);

fn error_lines(errors: &[ErrorLine]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\"").replace(['\r', '\n'], " "));
    errors
        .iter()
        .map(|(r, f, v, m)| format!("{},{},{},{}", quote(r), quote(f), quote(v), quote(m)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Turns eav rows into flat items, one per record × event × instance.
fn eav_to_flat(layout: &Layout<'_>, items: Vec<Item>) -> Result<Vec<Item>, ApiError> {
    let mut grouped: IndexMap<(String, String, String, String), Item> = IndexMap::new();
    for item in items {
        let record = item
            .get("record")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        if record.is_empty() {
            return Err(ApiError::bad("The record name cannot be empty."));
        }
        let get = |k: &str| item.get(k).cloned().unwrap_or_default();
        if get("redcap_repeat_instance") == "new" {
            return Err(ApiError::bad(format!(
                "The record ({record}) has a value of 'new' for 'redcap_repeat_instance', which is not allowed for 'eav' type data. The value 'new' can only be used for 'flat' type data."
            )));
        }
        let key = (
            record.clone(),
            get("redcap_event_name"),
            get("redcap_repeat_instrument"),
            get("redcap_repeat_instance"),
        );
        let row = grouped.entry(key).or_insert_with(|| {
            let mut row = Item::new();
            row.insert(layout.id_field().to_owned(), record.clone());
            for k in [
                "redcap_event_name",
                "redcap_repeat_instrument",
                "redcap_repeat_instance",
            ] {
                if let Some(v) = item.get(k) {
                    row.insert(k.to_owned(), v.clone());
                }
            }
            row
        });
        let field = get("field_name");
        let value = get("value");
        if layout
            .field(&field)
            .is_some_and(|f| f.field_type == FieldType::Checkbox)
        {
            row.insert(checkbox_column(&field, &value), "1".into());
        } else if field != layout.id_field() {
            row.insert(field, value);
        }
    }
    Ok(grouped.into_values().collect())
}

/// Rows given as maps, held compactly.
fn compact(items: Vec<Item>) -> Vec<Row> {
    let mut shared = None;
    items
        .iter()
        .map(|item| Row::from_item(item, &mut shared))
        .collect()
}

fn bad_record_name(record: &str) -> Option<String> {
    if record.chars().count() > 100 {
        return Some(format!(
            "Record names must be 100 characters or less in length. The following record name is too long and thus cannot be imported: {record}"
        ));
    }
    if record.contains(['+', '&', '#', '\'']) {
        return Some(format!(
            "The record name ({record}) cannot contain a plus sign (+), ampersand (&), pound sign (#), or apostrophe."
        ));
    }
    if record.contains(['\n', '\r']) || record.to_ascii_lowercase().contains("<br") {
        return Some("Record names cannot contain BR tags, line breaks, or carriage return characters. Please remove them and try again.".into());
    }
    None
}

/// The next auto-number: max all-digit record + 1.
pub(crate) fn next_number(existing: impl IntoIterator<Item = String>) -> u64 {
    existing
        .into_iter()
        .filter(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|r| r.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1
}

/// Imports records.
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    import_with(ctx, false)
}

/// Imports a project's own records when it is loaded: computed and file
/// values are stored as the source has them, since the emulator neither
/// calculates nor holds the files.
pub(crate) fn import_seed(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    import_with(ctx, true)
}

fn import_with(ctx: &Ctx<'_>, seeding: bool) -> Result<Reply, ApiError> {
    let layout = Layout::new(&ctx.project.schema);
    let p = ctx.params;
    let eav = p.choice("type", &["flat", "eav"], "flat") == "eav";
    let overwrite =
        p.choice("overwriteBehavior", &["normal", "overwrite"], "normal") == "overwrite";
    let date_format = p.choice("dateFormat", &["MDY", "DMY"], "YMD");
    let autonumber = p.flag("forceAutoNumber")
        && ctx
            .project
            .schema
            .project
            .record_autonumbering
            .unwrap_or(false);
    let mut return_content = p.choice(
        "returnContent",
        &["ids", "auto_ids", "nothing", "count"],
        "count",
    );
    if return_content == "auto_ids" && !autonumber {
        return_content = "count";
    }
    let data = p.get("data").unwrap_or_default();
    if data.trim().is_empty() {
        return Err(ApiError::bad("No data was provided."));
    }
    let delimiter = delimiter(p.get("csvDelimiter"));
    let items: Vec<Row> = match ctx.format {
        Format::Odm => {
            let items = crate::records::odm::import_items(&layout, data)?;
            compact(if eav {
                eav_to_flat(&layout, items)?
            } else {
                items
            })
        }
        _ if eav => compact(eav_to_flat(
            &layout,
            payload::read(data, ctx.format, delimiter)?,
        )?),
        _ => payload::read_rows(data, ctx.format, delimiter)?,
    };
    if items.is_empty() {
        return Err(ApiError::bad("No data was provided."));
    }
    let id = layout.id_field().to_owned();
    let schema = layout.schema;

    // Whole-payload checks.
    if !schema.has_repeating()
        && items[0]
            .keys()
            .any(|k| k == "redcap_repeat_instrument" || k == "redcap_repeat_instance")
    {
        return Err(ApiError::bad(import_rules::NOT_REPEATING));
    }
    let mut unknown: Vec<String> = Vec::new();
    let mut checked: Option<&Row> = None;
    for item in &items {
        // Rows sharing their columns (every row of a CSV) are checked once.
        if checked.is_some_and(|c| c.same_columns(item)) {
            continue;
        }
        checked = Some(item);
        for key in item.keys() {
            let known = key == id
                || PSEUDO.contains(&key)
                || layout.column(key).is_some()
                || schema
                    .forms
                    .iter()
                    .any(|f| key == format!("{}_timestamp", f.name));
            if !known {
                let shown = if key.is_empty() {
                    "[variable name was left blank]".to_owned()
                } else {
                    key.to_owned()
                };
                if !unknown.contains(&shown) {
                    unknown.push(shown);
                }
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::bad(format!(
            "The following fields were not found in the project as real data fields: {}",
            unknown.join(", ")
        )));
    }
    if items.iter().any(|i| !i.contains_key(&id)) {
        return Err(ApiError::bad(format!(
            "The record id field ({id}) is missing."
        )));
    }
    let existing = store::record_names(ctx.conn, ctx.project.id)?;
    let existing_lower: HashMap<String, String> = existing
        .iter()
        .map(|r| (r.to_lowercase(), r.clone()))
        .collect();
    let user_group = ctx.user.rights.group.clone();
    if user_group.is_some()
        && items
            .iter()
            .any(|i| i.contains_key("redcap_data_access_group"))
    {
        return Err(ApiError::bad(
            "ERROR: Illegal use of 'redcap_data_access_group' field! You are currently in a Data Access Group, which means that you cannot import data into the 'redcap_data_access_group' field. Please remove that field from your data file and try again.",
        ));
    }
    let mut auto_map: IndexMap<String, String> = IndexMap::new();
    let mut next = next_number(existing.iter().cloned());
    let mut planned = Vec::new();
    let mut bad_events: Vec<String> = Vec::new();
    let mut bad_groups: Vec<String> = Vec::new();
    let mut other_group: Vec<String> = Vec::new();
    for item in items {
        let original = item
            .get(&id)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        if original.is_empty() {
            return Err(ApiError::bad(format!(
                "The record id field ({id}) is missing."
            )));
        }
        if let Some(message) = bad_record_name(&original) {
            return Err(ApiError::bad(message));
        }
        let record = if autonumber {
            auto_map
                .entry(original.clone())
                .or_insert_with(|| {
                    let n = next;
                    next += 1;
                    match &user_group {
                        Some(g) => format!("{g}-{n}"),
                        None => n.to_string(),
                    }
                })
                .clone()
        } else {
            existing_lower
                .get(&original.to_lowercase())
                .cloned()
                .unwrap_or_else(|| original.clone())
        };
        if let Some(g) = &user_group
            && existing_lower.contains_key(&record.to_lowercase())
            && !other_group.contains(&record)
            && store::field_values(ctx.conn, ctx.project.id, &record, GROUP_FIELD)?.last()
                != Some(g)
        {
            other_group.push(record.clone());
        }
        let event = if layout.longitudinal() {
            match item.get("redcap_event_name") {
                None => 0,
                Some(e) if e.trim().is_empty() => {
                    return Err(ApiError::bad("The record event name is missing."));
                }
                Some(e) => match layout.events.iter().position(|x| x.unique_name == e.trim()) {
                    Some(i) => i,
                    None => {
                        if !bad_events.iter().any(|b| b == e) {
                            bad_events.push(e.to_owned());
                        }
                        0
                    }
                },
            }
        } else {
            0
        };
        if let Some(g) = item
            .get("redcap_data_access_group")
            .filter(|g| !g.is_empty())
            && !schema.dags.iter().any(|d| d.unique_name == g)
            && !bad_groups.iter().any(|b| b == g)
        {
            bad_groups.push(g.to_owned());
        }
        planned.push(Planned {
            record,
            original,
            event,
            instrument: item
                .get("redcap_repeat_instrument")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            instance: item
                .get("redcap_repeat_instance")
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            item,
        });
    }
    if !other_group.is_empty() {
        return Err(ApiError::bad(format!(
            "The following records cannot be modified because they do not belong to your Data Access Group: {}",
            other_group.join(", ")
        )));
    }
    if !bad_events.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values of redcap_event_name are invalid: {}",
            bad_events.join(", ")
        )));
    }
    if !bad_groups.is_empty() {
        return Err(ApiError::bad(format!(
            "The following Data Access Group are invalid for the redcap_data_access_group field: {}",
            bad_groups.join(", ")
        )));
    }
    if !schema.has_repeating() {
        let mut seen = HashSet::new();
        let mut dups = Vec::new();
        for row in &planned {
            let key = (row.record.clone(), row.event);
            if !seen.insert(key) {
                let shown = if layout.longitudinal() {
                    format!("{} ({})", row.record, layout.events[row.event].unique_name)
                } else {
                    row.record.clone()
                };
                dups.push(shown);
            }
        }
        if !dups.is_empty() {
            return Err(ApiError::bad(format!(
                "The records listed below occur more than once. Please remove any duplicates and try again: {}",
                dups.join(", ")
            )));
        }
    }

    // Per-value checks, all collected.
    let missing: Vec<&str> = schema
        .project
        .missing_data_codes
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    let mut errors: Vec<ErrorLine> = Vec::new();
    // REDCap does not run the survey-status check for auto-numbered records.
    let survey_status = if autonumber {
        SurveyStatus::default()
    } else {
        SurveyStatus::load(ctx.conn, ctx.project.id, &layout)?
    };
    // REDCap stops at a row whose repeat columns cannot be read at all, and lists
    // the other repeat problems with the cells' errors.
    let mut repeat_errors: Vec<Vec<RepeatProblem>> = Vec::with_capacity(planned.len());
    for row in &planned {
        let found = import_rules::repeat_problems(schema, &place_of(&layout, row), overwrite);
        if let Some(fatal) = found.iter().find(|p| p.fatal) {
            return Err(ApiError::bad(fatal.message.clone()));
        }
        repeat_errors.push(found);
    }
    for (row, repeat_errors) in planned.iter_mut().zip(repeat_errors) {
        let event = &layout.events[row.event];
        for found in repeat_errors {
            let value = match found.column {
                RepeatColumn::Instrument => row.instrument.clone(),
                RepeatColumn::Instance => row.instance.clone(),
            };
            errors.push((
                row.record.clone(),
                found.column.name().into(),
                value.unwrap_or_default(),
                found.message,
            ));
        }
        // Normalised values, written back once the row has been read.
        let mut updates: Vec<(usize, String)> = Vec::new();
        for (index, (key, value)) in row.item.iter().enumerate() {
            if key == id || PSEUDO.contains(&key) {
                continue;
            }
            // A survey response's form status; an invalid category is
            // reported instead (REDCap's later message for the cell wins).
            if let Some(form) = layout.schema.forms.iter().find(|f| f.complete_field == key)
                && (value.is_empty() || ["0", "1", "2"].contains(&value))
                && survey_status.refuses(
                    &row.record,
                    &event.unique_name,
                    &form.name,
                    key,
                    row.instance.as_deref(),
                    value,
                    overwrite,
                )
            {
                errors.push((
                    row.record.clone(),
                    key.to_owned(),
                    value.to_owned(),
                    survey_status::MESSAGE.into(),
                ));
                continue;
            }
            if value.is_empty() {
                continue;
            }
            let Some(column) = layout.column(key) else {
                continue;
            };
            let field_name = match column {
                Column::Field(f) | Column::Checkbox(f, _) => f.as_str(),
            };
            let form = layout.form_of(field_name).unwrap_or_default();
            if layout.longitudinal() && !event.forms.iter().any(|f| f == form) {
                errors.push((row.record.clone(), key.to_owned(), value.to_owned(), format!("This field ('{field_name}') exists on an instrument that is not designated for the event named '{}'. You are not allowed to import data for this field into this event.", layout.event_label(event))));
                continue;
            }
            if field_name != id
                && let Some(message) = import_rules::repeat_field_problem(
                    schema,
                    &place_of(&layout, row),
                    field_name,
                    form,
                )
            {
                errors.push((
                    row.record.clone(),
                    key.to_owned(),
                    value.to_owned(),
                    message,
                ));
                continue;
            }
            match column {
                Column::Checkbox(_, _) => {
                    if value != "0" && value != "1" {
                        errors.push((row.record.clone(), key.to_owned(), value.to_owned(), format!("{key} is a checkbox field and thus can only have a value of '1' (checked) or '0' (unchecked).")));
                    }
                }
                Column::Field(f) => {
                    if missing.contains(&value) {
                        continue;
                    }
                    if layout.is_status(f) {
                        if !["0", "1", "2"].contains(&value) {
                            errors.push((
                                row.record.clone(),
                                key.to_owned(),
                                value.to_owned(),
                                format!("The value is not a valid category for {f}"),
                            ));
                        }
                        continue;
                    }
                    let Some(field) = layout.field(f) else {
                        continue;
                    };
                    if field.is_computed() || field.field_type == FieldType::File {
                        continue;
                    }
                    // A project's own records skip validation, but REDCap still
                    // stores their values as an import would: a project XML's
                    // `2015-12-22T00:00` is saved as `2015-12-22 00:00`.
                    if seeding {
                        if let Ok(normalised) =
                            redcap_schema::values::check(field, value, date_format)
                            && normalised != value
                        {
                            updates.push((index, normalised));
                        }
                        continue;
                    }
                    match redcap_schema::values::check(field, value, date_format) {
                        Ok(normalised) => {
                            if normalised != value {
                                updates.push((index, normalised));
                            }
                        }
                        Err(message) => errors.push((
                            row.record.clone(),
                            key.to_owned(),
                            value.to_owned(),
                            message,
                        )),
                    }
                }
            }
        }
        row.item.replace(&updates);
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(error_lines(&errors)));
    }

    // Write, a record at a time: its rows in payload order, then its log
    // entries, so that what is held besides the payload is one record's
    // values.
    let existing_set: HashSet<&String> = existing.iter().collect();
    let mut by_record: IndexMap<&str, Vec<&Planned>> = IndexMap::new();
    for row in &planned {
        by_record.entry(row.record.as_str()).or_default().push(row);
    }
    let mut created: HashSet<String> = HashSet::new();
    let mut ids: Vec<(String, String)> = Vec::with_capacity(by_record.len());
    let mut writer = store::Writer::new(ctx.conn, ctx.project.id)?;
    for (record, rows) in &by_record {
        let record = (*record).to_owned();
        ids.push((record.clone(), rows[0].original.clone()));
        let exists = existing_set.contains(&record);
        let one = std::slice::from_ref(&record);
        let before = if exists {
            journal::Snapshot::take(ctx, one)?
        } else {
            journal::Snapshot::default()
        };
        let mut max_instance: HashMap<(String, usize, String), i64> = HashMap::new();
        if exists && schema.has_repeating() {
            for v in store::values_by_field(ctx.conn, ctx.project.id, one)? {
                if let Some(event_idx) = layout.events.iter().position(|e| e.unique_name == v.event)
                    && let Slot::Repeat(form, n) =
                        layout.slot(&layout.events[event_idx], &v.field, v.instance)
                {
                    let entry = max_instance.entry((v.record, event_idx, form)).or_insert(0);
                    *entry = (*entry).max(n);
                }
            }
        }
        let fresh = !exists && rows.len() == 1;
        if !exists {
            // A new record's rows are what is written now: kept as they
            // are written, they need not be read back for its log entry.
            writer.capture();
        }
        for row in rows {
            write_row(
                &mut writer,
                &layout,
                row,
                fresh,
                overwrite,
                seeding,
                &mut max_instance,
                &missing,
            )?;
        }
        if !exists {
            created.insert(record.clone());
            if let Some(g) = &user_group {
                writer.set(store::Cell {
                    event: &layout.events[0].unique_name,
                    record: &record,
                    field: GROUP_FIELD,
                    instance: 1,
                    value: g,
                })?;
            }
        }
        if exists {
            journal::record_changes(ctx, &layout, &before, one, &created)?;
        } else {
            let after = journal::Snapshot::of_record(&record, writer.captured());
            journal::record_changes_to(ctx, &layout, &before, &after, one, &created)?;
        }
    }

    // REDCap answers an import in `returnFormat` (which falls back to `format`).
    Ok(match return_content {
        "nothing" => Reply::new(ctx.return_format, String::new()),
        "ids" => ids_reply(
            ctx.return_format,
            ids.iter().map(|(r, _)| r.clone()).collect(),
            None,
        ),
        "auto_ids" => ids_reply(
            ctx.return_format,
            ids.iter().map(|(r, o)| format!("{r},{o}")).collect(),
            Some(ids.as_slice()),
        ),
        _ => import_count(ctx.return_format, ids.len()),
    })
}

fn ids_reply(format: Format, ids: Vec<String>, pairs: Option<&[(String, String)]>) -> Reply {
    match format {
        Format::Json => Reply::new(
            format,
            php_json(&Value::Array(ids.into_iter().map(Value::String).collect())),
        ),
        Format::Csv => {
            let body = match pairs {
                Some(pairs) => std::iter::once("id,original_id".to_owned())
                    .chain(pairs.iter().map(|(r, o)| format!("{r},{o}")))
                    .collect::<Vec<_>>()
                    .join("\n"),
                None => std::iter::once("id".to_owned())
                    .chain(ids)
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            Reply::new(format, body)
        }
        Format::Xml | Format::Odm => {
            let inner: String = ids.iter().map(|i| format!("<id>{i}</id>")).collect();
            Reply::new(
                format,
                format!("<?xml version=\"1.0\" encoding=\"UTF-8\" ?><ids>{inner}</ids>"),
            )
        }
    }
}

/// Writes one planned row. `fresh`: the record had no stored values and
/// this is its only row, so nothing needs replacing.
#[allow(clippy::too_many_arguments)]
fn write_row<'a>(
    writer: &mut store::Writer<'_>,
    layout: &'a Layout<'_>,
    row: &'a Planned,
    fresh: bool,
    overwrite: bool,
    seeding: bool,
    max_instance: &mut HashMap<(String, usize, String), i64>,
    missing: &[&str],
) -> Result<(), ApiError> {
    let event = &layout.events[row.event];
    let repeat_key = if event.repeats_whole {
        Some(String::new())
    } else {
        row.instrument.clone()
    };
    let instance: i64 = match &repeat_key {
        None => 1,
        Some(form) => {
            let entry = max_instance
                .entry((row.record.clone(), row.event, form.clone()))
                .or_insert(0);
            match row.instance.as_deref() {
                Some("new") => {
                    *entry += 1;
                    *entry
                }
                Some(n) => {
                    let n: i64 = n.parse().unwrap_or(1);
                    *entry = (*entry).max(n);
                    n
                }
                None => 1,
            }
        }
    };
    let cell = |field: &'a str, value: &'a str| {
        let on_instance = repeat_key.is_some() && layout.repeats_in(event, field);
        store::Cell {
            event: &event.unique_name,
            record: &row.record,
            field,
            instance: if on_instance { instance } else { 1 },
            value,
        }
    };
    let mut touched_forms: Vec<&str> = Vec::new();
    for (key, value) in row.item.iter() {
        if PSEUDO.contains(&key) || key == layout.id_field() {
            if key == "redcap_data_access_group" {
                if value.is_empty() {
                    if overwrite {
                        writer.delete_field(&row.record, GROUP_FIELD)?;
                    }
                } else {
                    writer.delete_field(&row.record, GROUP_FIELD)?;
                    writer.insert(store::Cell {
                        event: &layout.events[0].unique_name,
                        record: &row.record,
                        field: GROUP_FIELD,
                        instance: 1,
                        value,
                    })?;
                }
            }
            continue;
        }
        let Some(column) = layout.column(key) else {
            continue;
        };
        match column {
            Column::Checkbox(field, code) => {
                let v = cell(field.as_str(), code.as_str());
                match value {
                    "1" => {
                        if !fresh {
                            writer.delete_code(v)?;
                        }
                        writer.insert(v)?;
                    }
                    "0" => {
                        if !fresh {
                            writer.delete_code(v)?;
                        }
                    }
                    _ if overwrite => {
                        if !fresh {
                            writer.delete_code(v)?;
                        }
                    }
                    _ => continue,
                }
                if let Some(form) = layout.form_of(field)
                    && !touched_forms.contains(&form)
                {
                    touched_forms.push(form);
                }
            }
            Column::Field(field) => {
                let f = layout.field(field);
                if f.is_some_and(|f| f.is_computed()) && !seeding {
                    continue;
                }
                if f.is_some_and(|f| f.field_type == FieldType::File)
                    && !missing.contains(&value)
                    && !seeding
                {
                    continue;
                }
                let v = cell(field.as_str(), value);
                if value.is_empty() {
                    if overwrite && !fresh {
                        writer.delete(v)?;
                    }
                    continue;
                }
                if fresh {
                    writer.insert(v)?;
                } else {
                    writer.set(v)?;
                }
                if !layout.is_status(field)
                    && let Some(form) = layout.form_of(field)
                    && !touched_forms.contains(&form)
                {
                    touched_forms.push(form);
                }
            }
        }
    }
    // The record-ID value and a default form status, as REDCap's save
    // adds them.
    let id_value = store::Cell {
        event: &event.unique_name,
        record: &row.record,
        field: layout.id_field(),
        instance: if event.repeats_whole { instance } else { 1 },
        value: &row.record,
    };
    if !writer.has(id_value)? {
        writer.insert(id_value)?;
        if touched_forms.is_empty()
            && let Some(first) = event.forms.first()
        {
            touched_forms.push(first);
        }
    }
    for form in touched_forms {
        let Some(f) = layout.schema.form(form) else {
            continue;
        };
        if !event.forms.iter().any(|f| f == form)
            || row
                .item
                .get(&f.complete_field)
                .is_some_and(|v| !v.is_empty())
        {
            continue;
        }
        let status = cell(f.complete_field.as_str(), "0");
        if !writer.has(status)? {
            writer.insert(status)?;
        }
    }
    Ok(())
}

/// Where a planned row belongs, for REDCap's repeat rules.
fn place_of<'a>(layout: &'a Layout<'_>, row: &'a Planned) -> RowPlace<'a> {
    let unique_name = &layout.events[row.event].unique_name;
    RowPlace {
        record: &row.original,
        event: layout
            .schema
            .events
            .iter()
            .find(|e| layout.longitudinal() && e.unique_name == *unique_name),
        instrument: row.instrument.as_deref(),
        instance: row.instance.as_deref(),
    }
}
