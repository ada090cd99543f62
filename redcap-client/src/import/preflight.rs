//! Every row of an import checked against the project's schema before the
//! first request: REDCap stops at the first failing batch, so a late error
//! would leave an import half done.

use std::collections::{HashMap, HashSet};
use std::fmt;

use redcap_schema::{Field, FieldType, ProjectSchema};

use crate::Row;
use crate::params::DateFormat;

/// Columns that are not fields but are read by REDCap's import.
const PSEUDO: &[&str] = &[
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
];

/// Whether a problem stops the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// REDCap would refuse the import.
    Error,
    /// REDCap would import the value and report it.
    Warning,
}

/// One cell (or row) that REDCap would refuse or warn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The data row, counted from 1 (a CSV file's line is one more, for its header).
    pub row: usize,
    /// The record name in that row (empty when the row has none).
    pub record: String,
    /// The column.
    pub field: String,
    /// The value as given.
    pub value: String,
    /// What REDCap would say.
    pub message: String,
    /// Error or warning.
    pub severity: Severity,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{kind}: row {}, record {:?}, field {:?}, value {:?}: {}",
            self.row, self.record, self.field, self.value, self.message
        )
    }
}

/// Every problem of an import, errors and warnings apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preflight {
    /// Problems REDCap would refuse the import for.
    pub errors: Vec<Problem>,
    /// Values REDCap would import and report.
    pub warnings: Vec<Problem>,
}

impl Preflight {
    /// Whether the import may be sent: no errors, and no warnings when `strict`.
    pub fn passes(&self, strict: bool) -> bool {
        self.errors.is_empty() && (!strict || self.warnings.is_empty())
    }

    fn push(&mut self, problem: Problem) {
        match problem.severity {
            Severity::Error => self.errors.push(problem),
            Severity::Warning => self.warnings.push(problem),
        }
    }
}

impl fmt::Display for Preflight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in self.errors.iter().chain(&self.warnings) {
            writeln!(f, "{problem}")?;
        }
        write!(
            f,
            "{} error(s), {} warning(s)",
            self.errors.len(),
            self.warnings.len()
        )
    }
}

/// What a column of the import is.
#[derive(Clone, Copy)]
enum Column<'a> {
    /// A one-column field.
    Field(&'a Field, &'a str),
    /// One checkbox choice of a field.
    Checkbox(&'a Field),
    /// A form's `<form>_complete`.
    Complete,
    /// A column REDCap reads besides fields (or the record id).
    Pseudo,
}

/// Checks every row of a flat import against `schema`, as REDCap 15.7.6's
/// `Records::saveData` would, with `date_format` as the import's `dateFormat`.
///
/// Only the schema is consulted: rights, Data Access Group membership and
/// survey responses are REDCap's to check when the import arrives.
pub fn preflight(schema: &ProjectSchema, rows: &[Row], date_format: DateFormat) -> Preflight {
    let mut out = Preflight::default();
    let columns = column_map(schema);
    let id = schema.record_id_field.as_str();
    let date_format = date_format.as_wire();
    let mut reported_unknown = HashSet::new();
    let mut seen_keys = HashMap::new();
    for (index, row) in rows.iter().enumerate() {
        let number = index + 1;
        let record = row.get(id).unwrap_or("").trim().to_owned();
        let problem = |field: &str, value: &str, message: String, severity| Problem {
            row: number,
            record: record.clone(),
            field: field.to_owned(),
            value: value.to_owned(),
            message,
            severity,
        };
        if record.is_empty() {
            out.push(problem(
                id,
                "",
                format!("The record id field ({id}) is missing."),
                Severity::Error,
            ));
        }
        let event = match event_of(schema, row) {
            Ok(event) => event,
            Err(message) => {
                let value = row.get("redcap_event_name").unwrap_or("");
                out.push(problem(
                    "redcap_event_name",
                    value,
                    message,
                    Severity::Error,
                ));
                None
            }
        };
        let instrument = row
            .get("redcap_repeat_instrument")
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let instance = row
            .get("redcap_repeat_instance")
            .map(str::trim)
            .filter(|s| !s.is_empty());
        for message in repeat_problems(schema, &record, event, instrument, instance) {
            let (field, value) = match message.0 {
                RepeatColumn::Instrument => ("redcap_repeat_instrument", instrument),
                RepeatColumn::Instance => ("redcap_repeat_instance", instance),
            };
            out.push(problem(
                field,
                value.unwrap_or(""),
                message.1,
                Severity::Error,
            ));
        }
        let key = (
            record.to_lowercase(),
            event.map(|e| e.unique_name.clone()),
            instrument.map(str::to_owned),
            instance.map(str::to_owned),
        );
        if !record.is_empty()
            && instance != Some("new")
            && let Some(first) = seen_keys.insert(key, number)
        {
            out.push(problem(
                id,
                &record,
                format!(
                    "The records listed below occur more than once. Please remove any duplicates and try again: {record} (also in row {first})"
                ),
                Severity::Error,
            ));
        }
        if let Some(group) = row
            .get("redcap_data_access_group")
            .filter(|g| !g.is_empty())
            && !schema.dags.iter().any(|d| d.unique_name == group)
        {
            out.push(problem(
                "redcap_data_access_group",
                group,
                format!(
                    "The following Data Access Group are invalid for the redcap_data_access_group field: {group}"
                ),
                Severity::Error,
            ));
        }
        for (name, value) in row.iter() {
            if name == id || PSEUDO.contains(&name) {
                continue;
            }
            let Some(column) = columns.get(name).copied() else {
                if reported_unknown.insert(name.to_owned()) {
                    out.push(problem(
                        name,
                        value,
                        format!(
                            "The following fields were not found in the project as real data fields: {name}"
                        ),
                        Severity::Error,
                    ));
                }
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let form = form_of(schema, name, column);
            if let (Some(event), Some(form)) = (event, form)
                && schema.project.longitudinal
                && !event.forms.iter().any(|f| f == form)
            {
                out.push(problem(name, value, format!("This field ('{name}') exists on an instrument that is not designated for the event named '{}'. You are not allowed to import data for this field into this event.", schema.event_label(event)), Severity::Error));
                continue;
            }
            if let Some(form) = form
                && let Some(message) =
                    repeat_form_problem(schema, event, name, form, instrument, instance)
            {
                out.push(problem(name, value, message, Severity::Error));
                continue;
            }
            for (message, severity) in value_problems(schema, name, column, value, date_format) {
                out.push(problem(name, value, message, severity));
            }
        }
    }
    out
}

/// Every importable column name of the schema, and the survey timestamps an
/// export with survey fields carries (REDCap ignores them on import).
fn column_map(schema: &ProjectSchema) -> HashMap<String, Column<'_>> {
    let mut map = HashMap::new();
    for form in &schema.forms {
        for field in &form.fields {
            if field.field_type == FieldType::Checkbox {
                for name in &field.export_names {
                    map.insert(name.clone(), Column::Checkbox(field));
                }
            } else if field.name == schema.record_id_field {
                map.insert(field.name.clone(), Column::Pseudo);
            } else {
                map.insert(field.name.clone(), Column::Field(field, form.name.as_str()));
            }
        }
        map.insert(form.complete_field.clone(), Column::Complete);
        map.entry(format!("{}_timestamp", form.name))
            .or_insert(Column::Pseudo);
    }
    map
}

/// The form a column belongs to.
fn form_of<'a>(schema: &'a ProjectSchema, name: &str, column: Column<'a>) -> Option<&'a str> {
    match column {
        Column::Field(_, form) => Some(form),
        Column::Checkbox(field) => schema
            .fields()
            .find(|(_, f)| f.name == field.name)
            .map(|(form, _)| form.name.as_str()),
        Column::Complete => schema
            .forms
            .iter()
            .find(|f| f.complete_field == name)
            .map(|f| f.name.as_str()),
        Column::Pseudo => None,
    }
}

/// The row's event (`None` for a classic project), or REDCap's message.
fn event_of<'a>(
    schema: &'a ProjectSchema,
    row: &Row,
) -> Result<Option<&'a redcap_schema::Event>, String> {
    if !schema.project.longitudinal {
        return Ok(None);
    }
    match row.get("redcap_event_name").map(str::trim) {
        // Without the column REDCap writes to the first event.
        None => Ok(schema.events.first()),
        Some("") => Err("The record event name is missing.".into()),
        Some(name) => schema
            .events
            .iter()
            .find(|e| e.unique_name == name)
            .map(Some)
            .ok_or_else(|| {
                format!("The following values of redcap_event_name are invalid: {name}")
            }),
    }
}

enum RepeatColumn {
    Instrument,
    Instance,
}

/// The event's unique name as the repeating setup names it (`None` in a
/// classic project).
fn event_name(event: Option<&redcap_schema::Event>) -> Option<&str> {
    event.map(|e| e.unique_name.as_str())
}

fn event_repeats(schema: &ProjectSchema, event: Option<&redcap_schema::Event>) -> bool {
    event_name(event).is_some_and(|name| schema.repeating.events.iter().any(|r| r.event == name))
}

fn form_repeats(schema: &ProjectSchema, event: Option<&redcap_schema::Event>, form: &str) -> bool {
    schema
        .repeating
        .instruments
        .iter()
        .any(|r| r.form == form && r.event.as_deref() == event_name(event))
}

/// The problems of a row's repeat columns, in REDCap's words
/// (`data_import_tool_252`–`286`, `406`).
fn repeat_problems(
    schema: &ProjectSchema,
    record: &str,
    event: Option<&redcap_schema::Event>,
    instrument: Option<&str>,
    instance: Option<&str>,
) -> Vec<(RepeatColumn, String)> {
    let mut out = Vec::new();
    if !schema.has_repeating() && (instrument.is_some() || instance.is_some()) {
        out.push((RepeatColumn::Instrument, "ERROR: Trying to import repeat instance/instrument fields! The fields 'redcap_repeat_instrument' and 'redcap_repeat_instance' are reserved for when 'Repeating Instruments and Events' have been  enabled in a project. Since this project does not have that feature enabled, you must remove those two fields from your data file in order to import your data.".into()));
        return out;
    }
    let event_label = event_name(event).unwrap_or("");
    let repeating_event = event_repeats(schema, event);
    if let Some(instrument) = instrument {
        if repeating_event {
            out.push((RepeatColumn::Instrument, format!("(redcap_event_name=\"{event_label}\") redcap_repeat_instrument should not have a value. This is a Repeating Event, which must always have a blank value for the redcap_repeat_instrument field.  Please remove this value from the data import file and try again.")));
        } else if !form_repeats(schema, event, instrument) {
            out.push((RepeatColumn::Instrument, "redcap_repeat_instrument must be the unique form name of a Repeating Instrument. It currently does not match the unique form name of any Repeating Instruments.  Please fix this in the data import file and try again.".into()));
        }
    }
    match instance {
        Some(instance) => {
            let number = instance.parse::<u64>().ok().filter(|n| *n >= 1);
            if instance != "new" && number.is_none() {
                out.push((RepeatColumn::Instance, format!("The record name ({record}) has an invalid value for 'redcap_repeat_instance'. The value must either be a positive integer or the value 'new'. Value provided: {instance}")));
            } else if number.is_some_and(|n| n > 32767) {
                let place = if schema.project.longitudinal {
                    format!("(redcap_event_name=\"{event_label}\")")
                } else {
                    format!(
                        "(redcap_repeat_instrument=\"{}\")",
                        instrument.unwrap_or("")
                    )
                };
                out.push((RepeatColumn::Instance, format!("{place} redcap_repeat_instance must have a numeric value between '1' and '32767' for any Repeating Event or Repeating Instrument.  Please add a valid numeric value to redcap_repeat_instance in the data import file and try again.")));
            } else if instrument.is_none() && !repeating_event {
                if schema.project.longitudinal {
                    out.push((RepeatColumn::Instance, "redcap_repeat_instance cannot have a value since this instrument or event is not a repeating instrument or repeating event, respectively.  The redcap_repeat_instance field must be left blank for this row of data.".into()));
                } else {
                    out.push((RepeatColumn::Instance, format!("The record name ({record}) with redcap_repeat_instance \"{instance}\" cannot be imported. This is because the field 'redcap_repeat_instrument' could not be found in the data import fields or because it has a blank value.  In order to import data for a repeating instrument, the field 'redcap_repeat_instrument' is required in the imported data set.")));
                }
            }
        }
        None if repeating_event => {
            out.push((RepeatColumn::Instance, format!("The record name ({record}) with event \"{event_label}\" cannot be imported. This is because this event is a repeating event, but the field 'redcap_repeat_instance' could not be found in the data import fields.  In order to import data for a repeating event, the field 'redcap_repeat_instance' is required in the imported data set.")));
        }
        None => {}
    }
    out
}

/// A value on a form that repeats in this event on a row that is not one of
/// its instances, or a value on another form than the row's repeating
/// instrument, in REDCap's words (`data_import_tool_260`–`263`).
fn repeat_form_problem(
    schema: &ProjectSchema,
    event: Option<&redcap_schema::Event>,
    field: &str,
    form: &str,
    instrument: Option<&str>,
    instance: Option<&str>,
) -> Option<String> {
    match instrument {
        Some(instrument) if instrument != form => Some(format!(
            "This field ('{field}') does not exist on the Repeating Instrument named '{instrument}'. You are not allowed to import data for this field into this Repeating Instrument."
        )),
        _ if form_repeats(schema, event, form)
            && !event_repeats(schema, event)
            && (instrument.is_none() || instance.is_none()) =>
        {
            Some(format!(
                "This field ('{field}') exists on a Repeating Instrument named '{form}'. However, the fields 'redcap_repeat_instance' and/or 'redcap_repeat_instrument' for this row of data have no value, which are both required for importing data into a Repeating Instrument.  You are not allowed to import data for this field into a non-repeating instrument."
            ))
        }
        _ => None,
    }
}

/// Whether `value` is one of the project's missing-data codes that `field` takes.
fn is_missing_code(schema: &ProjectSchema, field: &Field, value: &str) -> bool {
    schema.takes_missing_codes(field)
        && schema
            .project
            .missing_data_codes
            .iter()
            .any(|c| c.code == value)
}

/// Whether REDCap's import skips the value of this column: a computed field's
/// (REDCap recalculates it) or a File Upload field's other than a missing-data
/// code (files are uploaded on their own).
pub(crate) fn ignored_by_redcap(schema: &ProjectSchema, column: &str, value: &str) -> bool {
    schema.field(column).is_some_and(|field| {
        field.is_computed()
            || (field.field_type == FieldType::File && !is_missing_code(schema, field, value))
    })
}

/// REDCap's warning for a value sent for a `calc` field (`data_import_tool_197`).
const CALC_IGNORED: &str = "(calc) Calculated fields cannot be imported because they will be calculated automatically during the import process.  All calculated fields will simply be ignored during the import.";

/// REDCap's warning for a value sent for a `@CALCTEXT`/`@CALCDATE` field
/// (`data_import_tool_297`).
const PSEUDO_CALC_IGNORED: &str = "(calc) Pseudo-calc fields (i.e., fields with the @CALCDATE or @CALCTEXT action tag) cannot be imported because they will be calculated automatically during the import process.  All calculated fields and pseudo-calc fields will simply be ignored during the import.";

/// The problems of one non-blank value.
fn value_problems(
    schema: &ProjectSchema,
    name: &str,
    column: Column<'_>,
    value: &str,
    date_format: &str,
) -> Vec<(String, Severity)> {
    let error = |message: String| vec![(message, Severity::Error)];
    match column {
        Column::Pseudo => Vec::new(),
        Column::Complete => {
            if ["0", "1", "2"].contains(&value) {
                Vec::new()
            } else {
                error(format!("The value is not a valid category for {name}"))
            }
        }
        Column::Checkbox(_) => {
            if value == "0" || value == "1" {
                Vec::new()
            } else {
                error(format!(
                    "{name} is a checkbox field and thus can only have a value of '1' (checked) or '0' (unchecked)."
                ))
            }
        }
        Column::Field(field, _) => {
            let missing_code = is_missing_code(schema, field, value);
            if field.is_computed() {
                // REDCap skips the value and recalculates the field after the import.
                let message = if field.field_type == FieldType::Calc {
                    CALC_IGNORED
                } else {
                    PSEUDO_CALC_IGNORED
                };
                return vec![(message.into(), Severity::Warning)];
            }
            match field.field_type {
                // REDCap drops such a value without a word (a missing-data code
                // excepted); the preflight says so, since the value would be lost.
                FieldType::File if !missing_code => {
                    return vec![(
                        format!(
                            "{} is a File Upload field: REDCap ignores its value in a record import (files are uploaded with importFile).",
                            field.name
                        ),
                        Severity::Warning,
                    )];
                }
                FieldType::Descriptive => {
                    return error(format!(
                        "The following fields were not found in the project as real data fields: {}",
                        field.name
                    ));
                }
                _ => {}
            }
            if missing_code {
                return Vec::new();
            }
            match redcap_schema::values::check(field, value, date_format) {
                Err(message) => error(message),
                Ok(normalised) => redcap_schema::values::soft_range(field, &normalised)
                    .map(|message| vec![(message, Severity::Warning)])
                    .unwrap_or_default(),
            }
        }
    }
}

/// A value as REDCap would store it (dates reordered and padded, phone numbers
/// formatted), or as given when it is not a checked text value.
pub(crate) fn stored_value(
    schema: &ProjectSchema,
    column: &str,
    value: &str,
    date_format: DateFormat,
) -> String {
    match schema.field(column) {
        Some(field) if field.field_type == FieldType::Text && !value.is_empty() => {
            redcap_schema::values::check(field, value, date_format.as_wire())
                .unwrap_or_else(|_| value.to_owned())
        }
        _ => value.to_owned(),
    }
}
