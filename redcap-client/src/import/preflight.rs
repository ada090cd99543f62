//! Every row of an import checked against the project's schema before the
//! first request: REDCap stops at the first failing batch, so a late error
//! would leave an import half done.

use std::collections::{HashMap, HashSet};
use std::fmt;

use redcap_schema::import_rules::{self, RepeatColumn, RowPlace};
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
        let place = RowPlace {
            record: &record,
            event,
            instrument,
            instance,
        };
        for found in import_rules::repeat_problems(schema, &place, false) {
            let value = match found.column {
                RepeatColumn::Instrument => instrument,
                RepeatColumn::Instance => instance,
            };
            out.push(problem(
                found.column.name(),
                value.unwrap_or(""),
                found.message,
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
                    import_rules::repeat_field_problem(schema, &place, name, form)
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
                    import_rules::CALC_IGNORED
                } else {
                    import_rules::PSEUDO_CALC_IGNORED
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
