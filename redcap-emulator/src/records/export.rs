//! `content=record` export: flat and eav, REDCap's field/form/event/record
//! selection, labels, filterLogic, date range and serialisation quirks.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use redcap_schema::{FieldType, validation::DataType};
use serde_json::Value;

use crate::context::Ctx;
use crate::format::{Cell, Format, Table, TableWriter, cell_text, csv_line, table_json, table_xml};
use crate::layout::{Column, Layout, Slot, natural_cmp};
use crate::logic::{self, Env};
use crate::records::data::{Names, RecordData, Row};
use crate::records::survey_fields::{self, SurveyFields};
use crate::reply::{ApiError, Reply};

/// The export options REDCap reads, normalised as REDCap does.
struct Options {
    eav: bool,
    labels: bool,
    label_headers: bool,
    checkbox_label: bool,
    export_groups: bool,
    survey_fields: bool,
    blank_gray_status: bool,
    combine_checkboxes: bool,
    delimiter: char,
    decimal: Option<char>,
}

impl Options {
    fn read(ctx: &Ctx<'_>) -> Options {
        let p = ctx.params;
        Options {
            eav: p.choice("type", &["flat", "eav"], "flat") == "eav",
            labels: p.choice("rawOrLabel", &["raw", "label"], "raw") == "label",
            label_headers: p.choice("rawOrLabelHeaders", &["raw", "label"], "raw") == "label",
            checkbox_label: p.flag("exportCheckboxLabel"),
            export_groups: p.flag("exportDataAccessGroups"),
            survey_fields: p.flag("exportSurveyFields"),
            blank_gray_status: p.flag("exportBlankForGrayFormStatus"),
            combine_checkboxes: p.flag("combineCheckboxOptions"),
            delimiter: delimiter(p.get("csvDelimiter")),
            decimal: match p.get("decimalCharacter") {
                Some(",") => Some(','),
                Some(".") => Some('.'),
                _ => None,
            },
        }
    }
}

/// `csvDelimiter`: `,` `tab` `;` `|` `^`, anything else a comma.
pub(crate) fn delimiter(value: Option<&str>) -> char {
    match value {
        Some("tab") | Some("\t") => '\t',
        Some(";") => ';',
        Some("|") => '|',
        Some("^") => '^',
        _ => ',',
    }
}

/// The fields to export, in dictionary order (status fields after their
/// form's fields), from `fields` ∪ `forms`.
pub(crate) fn select_fields(
    layout: &Layout<'_>,
    fields: &[String],
    forms: &[String],
) -> Result<Vec<String>, ApiError> {
    let schema = layout.schema;
    let bad_fields: Vec<String> = fields
        .iter()
        .filter(|f| layout.form_of(f).is_none())
        .map(|f| format!("'{f}'"))
        .collect();
    if !bad_fields.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"fields\" are not valid: {}",
            bad_fields.join(", ")
        )));
    }
    let bad_forms: Vec<String> = forms
        .iter()
        .filter(|f| schema.form(f).is_none())
        .map(|f| format!("'{f}'"))
        .collect();
    if !bad_forms.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"forms\" are not valid: {}",
            bad_forms.join(", ")
        )));
    }
    let all = fields.is_empty() && forms.is_empty();
    let mut out = Vec::new();
    for form in &schema.forms {
        let whole = all || forms.contains(&form.name);
        for field in &form.fields {
            if field.field_type == FieldType::Descriptive {
                continue;
            }
            if whole || fields.contains(&field.name) {
                out.push(field.name.clone());
            }
        }
        if whole || fields.contains(&form.complete_field) {
            out.push(form.complete_field.clone());
        }
    }
    if out.is_empty() {
        return Err(ApiError::bad(
            "The variables provided in the parameter \"fields\" are not valid fields that contain data. This might happen if you only provided variables for Descriptive fields.",
        ));
    }
    Ok(out)
}

/// Drops fields the user's per-form export rights remove (REDCap's
/// `deidFieldsToRemove`); the record-ID field always stays.
fn apply_export_rights(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    fields: Vec<String>,
    asked: bool,
) -> Result<Vec<String>, ApiError> {
    let rights = &ctx.user.rights;
    let before = fields.len();
    let kept: Vec<String> = fields
        .into_iter()
        .filter(|name| {
            if name == layout.id_field() {
                return true;
            }
            let form = layout.form_of(name).unwrap_or_default();
            let field = layout.field(name);
            match rights.form_export(form) {
                0 => false,
                2 => field.is_none_or(|f| {
                    let date = f.validation.is_some_and(|v| {
                        matches!(
                            v.data_type(),
                            DataType::Date | DataType::Datetime | DataType::DatetimeSeconds
                        )
                    });
                    !(f.identifier
                        || f.field_type == FieldType::Notes
                        || (f.field_type == FieldType::Text && (f.validation.is_none() || date)))
                }),
                3 => field.is_none_or(|f| !f.identifier),
                _ => true,
            }
        })
        .collect();
    let only_id = kept.iter().all(|f| f == layout.id_field());
    if asked && before > 0 && (kept.is_empty() || (only_id && before > kept.len())) {
        return Err(ApiError::bad(
            "The API request cannot complete because all the fields you have specified in your request are fields that will be removed due to your limited Data Export privileges, so there is nothing to return. Higher level data export rights are required to retrieve data for the fields specified.",
        ));
    }
    Ok(kept)
}

/// Values of the row being tested by filterLogic.
struct RowEnv<'a, 'b> {
    layout: &'a Layout<'b>,
    data: &'a RecordData,
    row: &'a Row,
}

impl Env for RowEnv<'_, '_> {
    fn value(&self, event: Option<&str>, field: &str, code: Option<&str>) -> Option<String> {
        let layout = self.layout;
        let form = layout.form_of(field)?;
        let (event_idx, row): (usize, Option<&Row>) = match event {
            Some(name) if layout.longitudinal() => {
                let idx = layout.events.iter().position(|e| e.unique_name == name)?;
                (idx, self.data.base_row(&self.row.record, idx))
            }
            _ => (self.row.event, Some(self.row)),
        };
        let info = &layout.events[event_idx];
        // A non-repeating field read from an instance row comes from the
        // record's base row of the same event; a repeating field read from
        // a base row is blank.
        let slot_of_field = layout.slot(info, field, self.row.instance().unwrap_or(1));
        let row = match (row, &slot_of_field) {
            (Some(r), Slot::Base) if r.slot != Slot::Base => {
                self.data.base_row(&r.record, event_idx)
            }
            (Some(r), Slot::Repeat(..)) if r.slot == Slot::Base => None,
            (r, _) => r,
        };
        let applies = info.forms.iter().any(|f| f == form);
        if field == layout.id_field() {
            return Some(self.row.record.clone());
        }
        match code {
            Some(code) => {
                if !applies {
                    return Some(String::new());
                }
                let checked = row.is_some_and(|r| r.codes(field).any(|c| c == code));
                Some(if checked { "1" } else { "0" }.to_owned())
            }
            None => Some(row.and_then(|r| r.get(field)).unwrap_or("").to_owned()),
        }
    }
}

/// A label as REDCap prints it in an export: `"` becomes `'`, line breaks
/// two spaces.
fn clean_label(label: &str) -> String {
    label
        .replace('"', "'")
        .replace("\r\n", "  ")
        .replace(['\n', '\r'], " ")
}

fn choice_label(layout: &Layout<'_>, field: &str, code: &str) -> String {
    layout
        .choices(field)
        .iter()
        .find(|c| c.code == code)
        .map(|c| clean_label(&c.label))
        .unwrap_or_else(|| code.to_owned())
}

/// Converts the decimal mark of number fields per `decimalCharacter`.
fn convert_decimal(
    layout: &Layout<'_>,
    field: &str,
    value: String,
    decimal: Option<char>,
) -> String {
    let Some(mark) = decimal else { return value };
    let Some(f) = layout.field(field) else {
        return value;
    };
    let kind = f.validation.map(|v| v.data_type());
    let dotted = f.field_type == FieldType::Calc
        || kind == Some(DataType::Number)
        || kind == Some(DataType::Integer);
    match mark {
        ',' if dotted => value.replace('.', ","),
        '.' if kind == Some(DataType::NumberCommaDecimal) => value.replace(',', "."),
        _ => value,
    }
}

/// What [`field_value`] needs to know of a column, decided once per
/// export (and per row for `applies`).
#[derive(Debug, Clone, Copy)]
struct FieldKind {
    /// The field's form applies to the row.
    applies: bool,
    /// A `{form}_complete` status field.
    status: bool,
    /// Shown by its choice label (`rawOrLabel=label` on a field with
    /// choices).
    labelled: bool,
    /// A File Upload field.
    file: bool,
}

/// The value of a plain (non-checkbox) field column in a row.
fn field_value<'r>(
    layout: &Layout<'_>,
    row: &'r Row,
    stored: &'r str,
    field: &str,
    kind: FieldKind,
    opts: &Options,
) -> Cow<'r, str> {
    if kind.status {
        if !kind.applies {
            return Cow::Borrowed("");
        }
        let status = if stored.is_empty() {
            if opts.blank_gray_status {
                let form = layout.form_of(field).unwrap_or_default();
                let form_has_data = row
                    .fields()
                    .any(|k| k != layout.id_field() && layout.form_of(k) == Some(form));
                if !form_has_data {
                    return Cow::Borrowed("");
                }
            }
            "0"
        } else {
            stored
        };
        return if opts.labels {
            Cow::Owned(choice_label(layout, field, status))
        } else {
            Cow::Borrowed(status)
        };
    }
    if stored.is_empty() {
        return Cow::Borrowed(stored);
    }
    if kind.labelled {
        return Cow::Owned(choice_label(layout, field, stored));
    }
    if kind.file {
        return Cow::Borrowed("[document]");
    }
    if opts.decimal.is_none() {
        return Cow::Borrowed(stored);
    }
    Cow::Owned(convert_decimal(
        layout,
        field,
        stored.to_owned(),
        opts.decimal,
    ))
}

/// What an export column holds, decided once per export.
#[derive(Debug)]
enum Plan {
    EventName,
    RepeatInstrument,
    RepeatInstance,
    Group,
    /// A survey column (`redcap_survey_identifier`, `{form}_timestamp`).
    Survey(String),
    Id,
    /// A checkbox under `combineCheckboxOptions`.
    Combined {
        field: String,
    },
    /// A plain field or form status; `form` is its form's position.
    Value {
        /// The field's number in [`Names::of`].
        id: Option<u32>,
        field: String,
        form: usize,
        status: bool,
        labelled: bool,
        file: bool,
    },
    /// One checkbox choice.
    Checkbox {
        /// The field's number in [`Names::of`].
        id: Option<u32>,
        field: String,
        code: String,
        form: usize,
    },
}

/// A cell of a flat export row.
#[derive(Debug)]
enum Out<'r> {
    Text(Cow<'r, str>),
    Int(i64),
}

impl Out<'_> {
    fn cell(&self) -> Cell<'_> {
        match self {
            Out::Text(text) => Cell::Text(text),
            Out::Int(n) => Cell::Int(*n),
        }
    }

    fn text(&self) -> Cow<'_, str> {
        match self {
            Out::Text(text) => Cow::Borrowed(text),
            Out::Int(n) => Cow::Owned(n.to_string()),
        }
    }

    fn value(&self) -> Value {
        match self {
            Out::Text(text) => Value::String(text.clone().into_owned()),
            Out::Int(n) => Value::from(*n),
        }
    }
}

/// What a report changes in a record export (`content=report`): its
/// column order, its sort, its record-level filter and the records it is
/// limited to.
#[derive(Debug, Default)]
pub(crate) struct View {
    /// The report's fields in report order.
    pub(crate) order: Vec<String>,
    /// Sort fields, `true` for descending.
    pub(crate) sort: Vec<(String, bool)>,
    /// Only these records (a report's DAG filter).
    pub(crate) records: Option<HashSet<String>>,
    /// filterLogic true in any row selects every row of the record.
    pub(crate) record_level: bool,
}

/// Exports records.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    export_view(ctx, None)
}

/// Exports records, shaped by a report when one is given.
pub(crate) fn export_view(ctx: &Ctx<'_>, view: Option<&View>) -> Result<Reply, ApiError> {
    let layout = Layout::new(&ctx.project.schema);
    let opts = Options::read(ctx);
    let p = ctx.params;
    if ctx.user.rights.no_export_access() {
        return Err(ApiError::forbidden(crate::rights::NO_ACCESS_EXPORT));
    }
    let fields_asked = p.list("fields");
    let forms_asked = p.list("forms");
    let asked = !fields_asked.is_empty() || !forms_asked.is_empty();
    let fields = select_fields(&layout, &fields_asked, &forms_asked)?;
    let mut fields = apply_export_rights(ctx, &layout, fields, asked)?;
    if let Some(view) = view {
        // Report order, the record-ID field first.
        let id = layout.id_field();
        let pos = |f: &String| {
            if f == id {
                0
            } else {
                view.order
                    .iter()
                    .position(|o| o == f)
                    .map_or(usize::MAX, |i| i + 1)
            }
        };
        fields.sort_by_key(pos);
    }
    let record_level = view.is_some_and(|v| v.record_level) && !opts.eav;
    let events: Vec<String> = p.list("events");
    if layout.longitudinal() {
        let bad: Vec<String> = events
            .iter()
            .filter(|e| layout.event(e).is_none())
            .map(|e| format!("'{e}'"))
            .collect();
        if !bad.is_empty() {
            return Err(ApiError::bad(format!(
                "The following values in the parameter \"events\" are not valid: {}",
                bad.join(", ")
            )));
        }
    }
    let logic = match p.non_empty("filterLogic") {
        Some(text) => match logic::parse(text) {
            Ok(l) => l,
            Err(_) => {
                return Err(ApiError::bad(
                    "An unknown error occurred. Please check your API parameters.",
                ));
            }
        },
        None => None,
    };
    let field_set: HashSet<&str> = fields.iter().map(String::as_str).collect();
    let id_exported = field_set.contains(layout.id_field());
    // With only event-prefixed references, REDCap evaluates (and returns)
    // only the referenced events.
    let logic_events: Option<HashSet<String>> = logic.as_ref().and_then(|l| {
        if layout.longitudinal() && l.refs().iter().all(|r| r.event.is_some()) {
            Some(l.refs().iter().filter_map(|r| r.event.clone()).collect())
        } else {
            None
        }
    });
    let selection = Selection {
        ctx,
        layout: &layout,
        eav: opts.eav,
        events: &events,
        field_set: &field_set,
        id_exported,
        logic: logic.as_ref(),
        logic_events: logic_events.as_ref(),
        record_level,
        view,
        changed: changed_records(ctx)?,
    };
    let asked_records = p.list("records");
    let groups_column =
        opts.export_groups && !layout.schema.dags.is_empty() && ctx.user.rights.group.is_none();
    let load_surveys = |rows: &[&Row]| {
        SurveyFields::load(
            ctx.conn,
            ctx.project.id,
            &layout,
            opts.survey_fields,
            opts.eav,
            rows,
        )
    };
    if opts.eav || view.is_some() || ctx.format == Format::Odm {
        // EAV's columns, a report's sort and an ODM document depend on
        // every exported row, so these take the records all at once.
        let names = record_list(ctx, asked_records)?;
        let data = RecordData::load(ctx.conn, ctx.project.id, &layout, Some(&names))?;
        let selected = selection.rows(&data)?;
        let surveys = load_surveys(&selected)?;
        if opts.eav {
            return Ok(eav(
                ctx,
                &layout,
                &selected,
                &field_set,
                surveys.as_ref(),
                &opts,
            ));
        }
        let mut out = FlatWriter::new(
            ctx.format,
            &layout,
            &fields,
            id_exported,
            groups_column,
            surveys.as_ref(),
            &opts,
        );
        out.rows(&data, &selected, surveys.as_ref());
        return Ok(out.finish(&selected));
    }
    // A flat export goes a slice of records at a time (each record whole,
    // since filterLogic reads across a record's rows), so memory follows
    // the slice and the body, not the project. When fields or forms are
    // asked for, only their values are read, unless filterLogic or a gray
    // form status needs the others.
    let only_exported = asked && logic.is_none() && !opts.blank_gray_status;
    let header_surveys = load_surveys(&[])?;
    let mut out = FlatWriter::new(
        ctx.format,
        &layout,
        &fields,
        id_exported,
        groups_column,
        header_surveys.as_ref(),
        &opts,
    );
    let mut write = |data: &RecordData| -> Result<(), ApiError> {
        let selected = selection.rows(data)?;
        let surveys = match header_surveys {
            Some(_) => load_surveys(&selected)?,
            None => None,
        };
        out.rows(data, &selected, surveys.as_ref());
        Ok(())
    };
    if asked_records.is_empty()
        && only_exported
        && RecordData::reads_all_at_once(&layout, &field_set)
    {
        // A few fields of every record (the record-ID export a bulk export
        // starts with): one pass that finds the record names as it reads,
        // holding only those few values.
        let data =
            RecordData::load_fields(ctx.conn, ctx.project.id, &layout, None, Some(&field_set))?;
        write(&data)?;
    } else {
        for chunk in record_list(ctx, asked_records)?.chunks(RECORDS_PER_SLICE) {
            let data = RecordData::load_fields(
                ctx.conn,
                ctx.project.id,
                &layout,
                Some(chunk),
                only_exported.then_some(&field_set),
            )?;
            write(&data)?;
        }
    }
    Ok(out.finish(&[]))
}

/// How many records a flat export reads from storage at once.
const RECORDS_PER_SLICE: usize = 500;

/// The records an export reads, in REDCap's (natural) order: those asked
/// for in `records`, or all.
fn record_list(ctx: &Ctx<'_>, asked: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut names = if asked.is_empty() {
        crate::store::record_names(ctx.conn, ctx.project.id)?
    } else {
        asked
    };
    names.sort_by(|a, b| natural_cmp(a, b));
    names.dedup();
    Ok(names)
}

/// Which rows of loaded records an export returns: the user's DAG, the
/// `events`, rows with exported data, filterLogic, a report's records
/// and sort, and the date range.
struct Selection<'a, 'b> {
    ctx: &'a Ctx<'b>,
    layout: &'a Layout<'b>,
    eav: bool,
    events: &'a [String],
    field_set: &'a HashSet<&'a str>,
    id_exported: bool,
    logic: Option<&'a logic::Logic>,
    logic_events: Option<&'a HashSet<String>>,
    record_level: bool,
    view: Option<&'a View>,
    changed: Option<HashSet<String>>,
}

impl Selection<'_, '_> {
    /// The selected rows of `data`, in export order.
    fn rows<'d>(&self, data: &'d RecordData) -> Result<Vec<&'d Row>, ApiError> {
        let layout = self.layout;
        let allowed_records = allowed_records(self.ctx, data)?;
        let (logic, record_level, id_exported) = (self.logic, self.record_level, self.id_exported);
        let mut selected: Vec<&Row> = Vec::new();
        let mut matching_records: HashSet<&str> = HashSet::new();
        for row in &data.rows {
            if !allowed_records
                .as_ref()
                .is_none_or(|a| a.contains(&row.record))
            {
                continue;
            }
            let event = &layout.events[row.event];
            if layout.longitudinal()
                && !self.events.is_empty()
                && !self.events.contains(&event.unique_name)
            {
                continue;
            }
            let has_value = row.cells().any(|(k, v)| {
                self.field_set.contains(k)
                    && (k != layout.id_field() || id_exported)
                    && !v.is_empty()
                // A row exists only where something is stored, whether or not
                // its values were loaded.
            }) || id_exported;
            if !has_value && !self.eav {
                continue;
            }
            if let Some(logic) = logic {
                let in_scope = self
                    .logic_events
                    .is_none_or(|only| only.contains(&event.unique_name));
                let env = RowEnv { layout, data, row };
                let matches = in_scope && logic.matches(layout, &env);
                if matches {
                    matching_records.insert(row.record.as_str());
                } else if !record_level {
                    continue;
                }
            }
            selected.push(row);
        }
        if record_level && logic.is_some() {
            selected.retain(|r| matching_records.contains(r.record.as_str()));
        }
        if let Some(view) = self.view {
            if let Some(only) = &view.records {
                selected.retain(|r| only.contains(&r.record));
            }
            sort_rows(layout, &mut selected, &view.sort);
        }
        if self.eav && logic.is_some() {
            // eav: the filter selects records, then all their data is returned.
            selected = data
                .rows
                .iter()
                .filter(|r| matching_records.contains(r.record.as_str()))
                .filter(|r| {
                    allowed_records
                        .as_ref()
                        .is_none_or(|a| a.contains(&r.record))
                })
                .collect();
        }
        if let Some(changed) = &self.changed {
            selected.retain(|r| changed.contains(&r.record));
        }
        Ok(selected)
    }
}

/// A report's sort: by up to three fields, numbers as numbers, stable.
fn sort_rows(layout: &Layout<'_>, rows: &mut [&Row], sort: &[(String, bool)]) {
    if sort.is_empty() {
        return;
    }
    let key = |row: &Row, field: &str| -> String {
        if field == layout.id_field() {
            row.record.clone()
        } else {
            row.get(field).unwrap_or_default().to_owned()
        }
    };
    rows.sort_by(|a, b| {
        for (field, descending) in sort {
            let (x, y) = (key(a, field), key(b, field));
            let order = match (x.parse::<f64>(), y.parse::<f64>()) {
                (Ok(m), Ok(n)) => m.partial_cmp(&n).unwrap_or(std::cmp::Ordering::Equal),
                _ => x.to_lowercase().cmp(&y.to_lowercase()),
            };
            let order = if *descending { order.reverse() } else { order };
            if order != std::cmp::Ordering::Equal {
                return order;
            }
        }
        std::cmp::Ordering::Equal
    });
}

/// The records a DAG-restricted user may see (`None`: all).
fn allowed_records(ctx: &Ctx<'_>, data: &RecordData) -> Result<Option<HashSet<String>>, ApiError> {
    Ok(ctx.user.rights.group.as_ref().map(|group| {
        data.records
            .iter()
            .filter(|r| data.groups.get(*r) == Some(group))
            .cloned()
            .collect()
    }))
}

/// Records with a logged change inside `dateRangeBegin`..`dateRangeEnd`.
fn changed_records(ctx: &Ctx<'_>) -> Result<Option<HashSet<String>>, ApiError> {
    let norm = |v: Option<&str>| {
        v.map(|s| s.trim().replace(['T', '/'], " ").replacen(' ', "T", 0))
            .and_then(|s| parse_timestamp(&s))
    };
    let begin = norm(ctx.params.non_empty("dateRangeBegin"));
    let end = norm(ctx.params.non_empty("dateRangeEnd"));
    if begin.is_none() && end.is_none() {
        return Ok(None);
    }
    let begin = begin.unwrap_or_else(|| "2004-08-01 00:00:00".to_owned());
    let end = end.unwrap_or_else(|| chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string());
    let changed = crate::store::records_changed_between(ctx.conn, ctx.project.id, &begin, &end)?;
    Ok(Some(changed.into_iter().collect()))
}

/// `YYYY-MM-DD HH:MM:SS` (date-only and minute precision accepted), with
/// `/` separators in the date tolerated; `None` when unparseable (REDCap
/// then ignores the bound).
fn parse_timestamp(text: &str) -> Option<String> {
    let text = text.trim();
    let (date, time) = match text.split_once(' ') {
        Some((d, t)) => (d.replace('/', "-"), t.to_owned()),
        None => (text.replace('/', "-"), "00:00:00".to_owned()),
    };
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()?;
    let time = chrono::NaiveTime::parse_from_str(&time, "%H:%M:%S")
        .or_else(|_| chrono::NaiveTime::parse_from_str(&time, "%H:%M"))
        .ok()?;
    Some(date.and_time(time).format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A flat export's columns, and its body written a row at a time.
struct FlatWriter<'a, 'b> {
    layout: &'a Layout<'b>,
    opts: &'a Options,
    format: Format,
    header: Vec<(String, String)>,
    columns: Vec<Option<Column>>,
    /// What each column holds, made at the first rows.
    plans: Option<Vec<Plan>>,
    body: FlatBody,
}

/// The body under way: CSV lines, a JSON or XML table, or the rows an
/// ODM document is made of.
enum FlatBody {
    Csv(String),
    Table(TableWriter),
    Odm(Table),
}

impl<'a, 'b> FlatWriter<'a, 'b> {
    /// The columns of a flat export of `fields`, and the start of its body.
    fn new(
        format: Format,
        layout: &'a Layout<'b>,
        fields: &[String],
        id_exported: bool,
        groups_column: bool,
        surveys: Option<&SurveyFields>,
        opts: &'a Options,
    ) -> FlatWriter<'a, 'b> {
        let id = layout.id_field();
        let mut header: Vec<(String, String)> = Vec::new();
        let mut columns: Vec<Option<Column>> = Vec::new();
        let pseudo = |name: &str,
                      label: &str,
                      header: &mut Vec<(String, String)>,
                      columns: &mut Vec<Option<Column>>| {
            header.push((name.to_owned(), label.to_owned()));
            columns.push(None);
        };
        let mut timestamped: HashSet<&str> = HashSet::new();
        // Without the record-ID field, `Records::getData` still writes the
        // group column and the identifier (in that order, by one rule): where
        // the ID would be in a longitudinal project (which adds the ID
        // internally and drops it at the end), after the first plain field
        // (neither checkbox nor form status) in a classic one.
        let id_pseudo = |header: &mut Vec<(String, String)>, columns: &mut Vec<Option<Column>>| {
            if groups_column {
                pseudo(
                    "redcap_data_access_group",
                    "Data Access Group",
                    header,
                    columns,
                );
            }
            if surveys.is_some() {
                pseudo(
                    survey_fields::IDENTIFIER,
                    survey_fields::IDENTIFIER_LABEL,
                    header,
                    columns,
                );
            }
        };
        let mut identifier_placed = id_exported || (surveys.is_none() && !groups_column);
        if !identifier_placed && layout.longitudinal() {
            id_pseudo(&mut header, &mut columns);
            identifier_placed = true;
        }
        for field in fields {
            if field == id {
                let label = layout
                    .field(id)
                    .map(|f| redcap_schema::html::strip_tags(&f.label))
                    .unwrap_or_default();
                header.push((id.to_owned(), label));
                columns.push(Some(Column::Field(id.to_owned())));
                if layout.longitudinal() {
                    pseudo("redcap_event_name", "Event Name", &mut header, &mut columns);
                }
                if layout.schema.has_repeating() {
                    pseudo(
                        "redcap_repeat_instrument",
                        "Repeat Instrument",
                        &mut header,
                        &mut columns,
                    );
                    pseudo(
                        "redcap_repeat_instance",
                        "Repeat Instance",
                        &mut header,
                        &mut columns,
                    );
                }
                id_pseudo(&mut header, &mut columns);
                continue;
            }
            // A survey's timestamp goes before the first of its fields that is
            // exported (the record-ID field does not count).
            if let Some(surveys) = surveys
                && let Some(form) = layout.form_of(field)
                && surveys.is_survey(form)
                && timestamped.insert(form)
            {
                pseudo(
                    &format!("{form}_timestamp"),
                    survey_fields::TIMESTAMP_LABEL,
                    &mut header,
                    &mut columns,
                );
            }
            if let Some(f) = layout.field(field) {
                if f.field_type == FieldType::Checkbox && !opts.combine_checkboxes {
                    let codes = f
                        .choices
                        .iter()
                        .chain(layout.schema.project.missing_data_codes.iter());
                    for (name, choice) in f.export_names.iter().zip(codes) {
                        header.push((
                            name.clone(),
                            format!(
                                "{} (choice={})",
                                redcap_schema::html::strip_tags(&f.label),
                                redcap_schema::html::strip_tags(&choice.label)
                            ),
                        ));
                        columns.push(Some(Column::Checkbox(field.clone(), choice.code.clone())));
                    }
                    continue;
                }
                header.push((field.clone(), redcap_schema::html::strip_tags(&f.label)));
                columns.push(Some(Column::Field(field.clone())));
                if !identifier_placed && f.field_type != FieldType::Checkbox {
                    id_pseudo(&mut header, &mut columns);
                    identifier_placed = true;
                }
                continue;
            }
            header.push((field.clone(), "Complete?".to_owned()));
            columns.push(Some(Column::Field(field.clone())));
        }
        let body = match format {
            Format::Json => FlatBody::Table(TableWriter::json()),
            Format::Xml => FlatBody::Table(TableWriter::xml("records")),
            Format::Odm => FlatBody::Odm(Table::new()),
            Format::Csv => {
                let mut out = String::new();
                if header.is_empty() {
                    out.push('\n');
                } else {
                    let names = header.iter().map(|(n, l)| {
                        if opts.label_headers {
                            l.as_str()
                        } else {
                            n.as_str()
                        }
                    });
                    csv_line(names, opts.delimiter, &mut out);
                }
                FlatBody::Csv(out)
            }
        };
        FlatWriter {
            layout,
            opts,
            format,
            header,
            columns,
            plans: None,
            body,
        }
    }

    /// What each column holds, decided once for the whole export.
    fn plans(&self) -> Vec<Plan> {
        let layout = self.layout;
        let id = layout.id_field();
        let names = Names::of(layout);
        self.header
            .iter()
            .zip(&self.columns)
            .map(|((name, _), column)| match column {
                None => match name.as_str() {
                    "redcap_event_name" => Plan::EventName,
                    "redcap_repeat_instrument" => Plan::RepeatInstrument,
                    "redcap_repeat_instance" => Plan::RepeatInstance,
                    "redcap_data_access_group" => Plan::Group,
                    other => Plan::Survey(other.to_owned()),
                },
                Some(Column::Field(f)) if f == id => Plan::Id,
                Some(Column::Field(f)) => {
                    let field = layout.field(f);
                    if field.is_some_and(|x| x.field_type == FieldType::Checkbox) {
                        Plan::Combined { field: f.clone() }
                    } else {
                        Plan::Value {
                            id: names.id(f),
                            field: f.clone(),
                            form: layout.form_pos(layout.form_of(f).unwrap_or_default()),
                            status: layout.is_status(f),
                            labelled: self.opts.labels
                                && field.is_some_and(|f| {
                                    matches!(
                                        f.field_type,
                                        FieldType::Radio
                                            | FieldType::Dropdown
                                            | FieldType::Yesno
                                            | FieldType::Truefalse
                                            | FieldType::Sql
                                    )
                                }),
                            file: field.is_some_and(|f| f.field_type == FieldType::File),
                        }
                    }
                }
                Some(Column::Checkbox(f, code)) => Plan::Checkbox {
                    id: names.id(f),
                    field: f.clone(),
                    code: code.clone(),
                    form: layout.form_pos(layout.form_of(f).unwrap_or_default()),
                },
            })
            .collect()
    }

    /// Appends the rows of loaded records.
    fn rows(&mut self, data: &RecordData, rows: &[&Row], surveys: Option<&SurveyFields>) {
        let (layout, opts) = (self.layout, self.opts);
        if self.plans.is_none() {
            self.plans = Some(self.plans());
        }
        let plans = self.plans.as_deref().unwrap_or_default();
        let forms = &layout.schema.forms;
        let mut applies: Vec<bool> = Vec::with_capacity(forms.len());
        let mut cells: Vec<Out<'_>> = Vec::with_capacity(plans.len());
        for row in rows {
            let event = &layout.events[row.event];
            // Whether each form applies to this row, asked once per row.
            applies.clear();
            applies.extend(
                forms
                    .iter()
                    .map(|f| layout.form_applies(event, &row.slot, &f.name)),
            );
            let applies_to = |form: usize| applies.get(form).copied().unwrap_or(false);
            // Where the previous column's values were found in the row.
            let mut at = 0;
            cells.clear();
            for plan in plans {
                let value = match plan {
                    Plan::EventName => Out::Text(if opts.labels {
                        Cow::Owned(layout.event_label(event))
                    } else {
                        Cow::Borrowed(event.unique_name.as_str())
                    }),
                    Plan::RepeatInstrument => Out::Text(match &row.slot {
                        Slot::Repeat(form, _) if opts.labels && !form.is_empty() => {
                            Cow::Borrowed(layout.form_label(form))
                        }
                        Slot::Repeat(form, _) => Cow::Borrowed(form.as_str()),
                        Slot::Base => Cow::Borrowed(""),
                    }),
                    Plan::RepeatInstance => match row.instance() {
                        Some(n) => Out::Int(n),
                        None => Out::Text(Cow::Borrowed("")),
                    },
                    Plan::Group => {
                        // A record of a deleted group shows no group.
                        let dag = data
                            .groups
                            .get(&row.record)
                            .and_then(|g| layout.schema.dags.iter().find(|d| d.unique_name == *g));
                        Out::Text(match dag {
                            Some(d) if opts.labels => Cow::Borrowed(d.name.as_str()),
                            Some(d) => Cow::Borrowed(d.unique_name.as_str()),
                            None => Cow::Borrowed(""),
                        })
                    }
                    Plan::Survey(name) => Out::Text(Cow::Owned(
                        surveys
                            .and_then(|s| s.flat_value(name, &row.record, row.event, &row.slot))
                            .unwrap_or_default(),
                    )),
                    Plan::Id => Out::Text(Cow::Borrowed(row.record.as_str())),
                    Plan::Combined { field, .. } => {
                        // combineCheckboxOptions: the checked codes (or labels).
                        let parts: Vec<String> = row
                            .codes(field)
                            .map(|c| {
                                if opts.labels {
                                    choice_label(layout, field, c)
                                } else {
                                    c.to_owned()
                                }
                            })
                            .collect();
                        Out::Text(Cow::Owned(parts.join(",")))
                    }
                    Plan::Value {
                        id,
                        field,
                        form,
                        status,
                        labelled,
                        file,
                    } => Out::Text(field_value(
                        layout,
                        row,
                        id.and_then(|id| row.get_from(id, &mut at)).unwrap_or(""),
                        field,
                        FieldKind {
                            applies: applies_to(*form),
                            status: *status,
                            labelled: *labelled,
                            file: *file,
                        },
                        opts,
                    )),
                    Plan::Checkbox {
                        id,
                        field,
                        code,
                        form,
                    } => Out::Text(if !applies_to(*form) {
                        Cow::Borrowed("")
                    } else {
                        let checked =
                            id.is_some_and(|id| row.codes_from(id, &mut at).any(|c| c == code));
                        match (opts.labels, opts.checkbox_label, checked) {
                            (false, _, true) => Cow::Borrowed("1"),
                            (false, _, false) => Cow::Borrowed("0"),
                            (true, true, true) => Cow::Owned(choice_label(layout, field, code)),
                            (true, true, false) => Cow::Borrowed(""),
                            (true, false, true) => Cow::Borrowed("Checked"),
                            (true, false, false) => Cow::Borrowed("Unchecked"),
                        }
                    }),
                };
                cells.push(value);
            }
            match &mut self.body {
                FlatBody::Table(table) => table.row_cells(
                    self.header
                        .iter()
                        .map(|(name, _)| name.as_str())
                        .zip(cells.iter().map(Out::cell)),
                ),
                FlatBody::Odm(table) => table.push(
                    self.header
                        .iter()
                        .map(|(name, _)| name.clone())
                        .zip(cells.iter().map(Out::value))
                        .collect(),
                ),
                FlatBody::Csv(out) => {
                    if !self.header.is_empty() {
                        let texts: Vec<Cow<'_, str>> = cells.iter().map(Out::text).collect();
                        csv_line(texts.iter().map(|t| t.as_ref()), opts.delimiter, out);
                    }
                }
            }
        }
    }

    /// The answer. ODM is written from the whole export at once, so it
    /// needs every row given to [`FlatWriter::rows`], in order.
    fn finish(self, all_rows: &[&Row]) -> Reply {
        let body = match self.body {
            FlatBody::Csv(out) => out,
            FlatBody::Table(table) => table.finish(),
            FlatBody::Odm(table) => crate::records::odm::body(self.layout, all_rows, &table),
        };
        Reply::new(self.format, body)
    }
}

fn eav(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    rows: &[&Row],
    fields: &HashSet<&str>,
    surveys: Option<&SurveyFields>,
    opts: &Options,
) -> Reply {
    let has_instances = rows.iter().any(|r| r.slot != Slot::Base);
    let mut table: Vec<IndexMap<String, Value>> = Vec::new();
    let exported_forms: HashSet<&str> = fields.iter().filter_map(|f| layout.form_of(f)).collect();
    let order = eav_order(layout);
    // Record-events whose survey rows were written.
    let mut surveyed: HashSet<(&str, usize)> = HashSet::new();
    for row in rows {
        let event = &layout.events[row.event];
        let mut names: Vec<&str> = row.fields().filter(|k| fields.contains(k)).collect();
        let key = |n: &str| order.get(n).copied().unwrap_or((usize::MAX, 0, 0));
        names.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.cmp(b)));
        for name in names {
            for value in row.codes(name) {
                if value.is_empty() {
                    continue;
                }
                let mut item = IndexMap::new();
                item.insert("record".to_owned(), Value::String(row.record.clone()));
                if layout.longitudinal() {
                    item.insert(
                        "redcap_event_name".to_owned(),
                        Value::String(event.unique_name.clone()),
                    );
                }
                if has_instances {
                    let (instrument, instance) = match &row.slot {
                        Slot::Repeat(form, n) => (form.clone(), Value::from(*n)),
                        Slot::Base => (String::new(), Value::String(String::new())),
                    };
                    item.insert(
                        "redcap_repeat_instrument".to_owned(),
                        Value::String(instrument),
                    );
                    item.insert("redcap_repeat_instance".to_owned(), instance);
                }
                item.insert("field_name".to_owned(), Value::String(name.to_owned()));
                let shown = if opts.labels
                    && (layout.field(name).is_some_and(|f| {
                        f.field_type.has_choices()
                            || matches!(f.field_type, FieldType::Yesno | FieldType::Truefalse)
                    }) || layout.is_status(name))
                {
                    choice_label(layout, name, value)
                } else {
                    convert_decimal(layout, name, value.to_owned(), opts.decimal)
                };
                item.insert("value".to_owned(), Value::String(shown));
                table.push(item);
                if let Some(surveys) = surveys
                    && surveyed.insert((row.record.as_str(), row.event))
                {
                    for (name, value) in
                        surveys.eav_rows(layout, &row.record, row.event, &exported_forms)
                    {
                        table.push(survey_item(layout, row, has_instances, name, value));
                    }
                }
            }
        }
    }
    let body = match ctx.format {
        Format::Json => table_json(&table),
        Format::Csv => {
            // REDCap's eav CSV column order differs from JSON's, and
            // `arrayToCsv` guards formula-like values with a TAB.
            let mut header = vec!["record", "field_name", "value"];
            if has_instances {
                header.extend(["redcap_repeat_instrument", "redcap_repeat_instance"]);
            }
            if layout.longitudinal() {
                header.push("redcap_event_name");
            }
            let mut out = String::new();
            csv_line(header.iter().copied(), opts.delimiter, &mut out);
            for item in &table {
                let cells: Vec<String> = header
                    .iter()
                    .map(|h| {
                        let v = item.get(*h).map(cell_text).unwrap_or_default();
                        if v.starts_with(['=', '-', '+', '@']) {
                            format!("\t{v}")
                        } else {
                            v
                        }
                    })
                    .collect();
                csv_line(cells.iter().map(String::as_str), opts.delimiter, &mut out);
            }
            if out.ends_with('\n') {
                out.pop();
            }
            out
        }
        Format::Xml | Format::Odm => table_xml(&table, "records"),
    };
    Reply::new(ctx.format, body)
}

/// Where a field's rows go within a record's EAV rows: its form, then its
/// place in the form, the form's status last. Fields sort by this key
/// alone, so the order never depends on how stored values are held.
fn eav_order<'a>(layout: &'a Layout<'_>) -> HashMap<&'a str, (usize, usize, usize)> {
    let mut order = HashMap::new();
    for (i, form) in layout.schema.forms.iter().enumerate() {
        for (j, field) in form.fields.iter().enumerate() {
            order.insert(field.name.as_str(), (i, 0, j));
        }
        order.insert(form.complete_field.as_str(), (i, 1, 0));
    }
    order
}

/// An EAV row REDCap adds for survey fields: it carries no repeat
/// instrument or instance of its own (REDCap leaves them unset, so JSON
/// shows `""` and `null` when the export has repeating columns).
fn survey_item(
    layout: &Layout<'_>,
    row: &Row,
    has_instances: bool,
    name: String,
    value: String,
) -> IndexMap<String, Value> {
    let mut item = IndexMap::new();
    item.insert("record".to_owned(), Value::String(row.record.clone()));
    if layout.longitudinal() {
        item.insert(
            "redcap_event_name".to_owned(),
            Value::String(layout.events[row.event].unique_name.clone()),
        );
    }
    if has_instances {
        item.insert(
            "redcap_repeat_instrument".to_owned(),
            Value::String(String::new()),
        );
        item.insert("redcap_repeat_instance".to_owned(), Value::Null);
    }
    item.insert("field_name".to_owned(), Value::String(name));
    item.insert("value".to_owned(), Value::String(value));
    item
}
