//! REDCap's data-dictionary checks (`MetaData::error_checking`), run over
//! all rows at once so that every problem is reported together.
//!
//! Where REDCap would silently repair a cell (lower-casing a name, blanking
//! an invalid `y` flag) the problem is a warning and the cell is kept as it
//! is: this crate reports, it does not rewrite.

use std::collections::{HashMap, HashSet};

use crate::choices::{self, is_integer, is_php_numeric, is_valid_code, parse_choices};
use crate::dictionary::{Column, DictionaryRow};
use crate::export_names::checkbox_code_suffix;
use crate::field_type::FieldType;
use crate::logic;
use crate::problem::{Location, Problem, Problems, Severity};
use crate::validation::{DataType, Validation};

/// Names REDCap reserves (`Project::$reserved_field_names`); `{form}_timestamp`
/// and `{form}_return_code` are reserved as well.
pub const RESERVED_FIELD_NAMES: &[&str] = &[
    "redcap_event_name",
    "redcap_csrf_token",
    "redcap_survey_timestamp",
    "redcap_survey_identifier",
    "redcap_survey_return_code",
    "redcap_data_access_group",
    "hidden_edit_flag",
    "instance",
    "redcap_repeat_instance",
    "redcap_repeat_instrument",
    "submit",
    "new",
    "return",
    "continue",
    "case",
    "switch",
    "class",
    "enum",
    "catch",
    "throw",
    "document",
    "super",
    "focus",
    "elements",
    "action",
    "event_id",
    "target",
    "field_label",
];

/// Reserved names that are also columns REDCap adds to a record export
/// (`{form}_timestamp` as well): a field of that name would make the column
/// ambiguous.
pub const EXPORT_COLUMN_NAMES: &[&str] = &[
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
    "redcap_data_access_group",
    "redcap_survey_identifier",
];

struct Checker<'a> {
    rows: &'a [DictionaryRow],
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        row: &DictionaryRow,
        column: Column,
        message: String,
    ) {
        let field = row.field_name();
        self.problems.push(Problem {
            severity,
            code,
            location: Location {
                row: Some(row.row),
                line: row.line.filter(|l| *l != row.row),
                field: (!field.is_empty()).then(|| field.to_owned()),
                column: Some(column),
            },
            message,
        });
    }

    fn error(&mut self, code: &'static str, row: &DictionaryRow, column: Column, message: String) {
        self.push(Severity::Error, code, row, column, message);
    }

    fn warn(&mut self, code: &'static str, row: &DictionaryRow, column: Column, message: String) {
        self.push(Severity::Warning, code, row, column, message);
    }
}

/// Runs every check over the rows and returns all problems, in row order
/// within each kind of check (REDCap's order).
pub fn check_rows(rows: &[DictionaryRow]) -> Problems {
    let mut c = Checker {
        rows,
        problems: Vec::new(),
    };
    let forms: Vec<&str> = rows.iter().map(|r| r.get(Column::FormName)).collect();
    let form_set: HashSet<&str> = forms.iter().copied().filter(|f| !f.is_empty()).collect();
    check_field_names(&mut c, &form_set);
    check_form_names(&mut c);
    check_types_and_choices(&mut c);
    check_validation(&mut c);
    check_flags(&mut c);
    check_logic(&mut c, &form_set);
    check_matrix_groups(&mut c);
    check_export_columns(&mut c);
    if c.rows.is_empty() {
        c.problems.push(Problem {
            severity: Severity::Error,
            code: "empty-dictionary",
            location: Location::default(),
            message: "The data dictionary has no fields.".to_owned(),
        });
    }
    Problems(c.problems)
}

fn check_field_names(c: &mut Checker<'_>, forms: &HashSet<&str>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for row in c.rows {
        let name = row.field_name();
        if name.is_empty() {
            c.error(
                "missing-field-name",
                row,
                Column::FieldName,
                "Each row MUST have a variable/field name, but this cell is empty.".into(),
            );
            continue;
        }
        let cleaned: String = name
            .to_ascii_lowercase()
            .replace([' '], "_")
            .chars()
            .filter(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || *ch == '_')
            .collect();
        if (cleaned != name || name.contains("__")) && !name.contains("___") {
            c.warn(
                "field-name-characters",
                row,
                Column::FieldName,
                format!(
                    "Variable/field names may only contain lower-case letters, numbers and single underscores; REDCap would rename `{name}`."
                ),
            );
        }
        if name.starts_with(|ch: char| ch.is_ascii_digit()) {
            c.error(
                "field-name-starts-with-number",
                row,
                Column::FieldName,
                "Variables/field names cannot begin with a number.".into(),
            );
        }
        if name.starts_with('_') {
            c.error(
                "field-name-starts-with-underscore",
                row,
                Column::FieldName,
                "Variables/field names cannot begin with an underscore character.".into(),
            );
        }
        if name.contains("___") {
            c.error(
                "field-name-triple-underscore",
                row,
                Column::FieldName,
                "Variables/field names cannot have a triple underscore (___), which REDCap reserves for checkbox export columns.".into(),
            );
        }
        if name.ends_with('_') {
            c.error(
                "field-name-ends-with-underscore",
                row,
                Column::FieldName,
                "Variables/field names cannot end with an underscore character.".into(),
            );
        }
        if name.len() > 100 {
            c.error(
                "field-name-too-long",
                row,
                Column::FieldName,
                "Variables/field names cannot be more than 100 characters in length.".into(),
            );
        } else if name.len() > 26 {
            c.warn(
                "field-name-long",
                row,
                Column::FieldName,
                "Variable/field names longer than 26 characters are discouraged (statistics packages truncate them).".into(),
            );
        }
        // By suffix: a look-up per field, not a scan of every form.
        let of_form = |suffix: &str| {
            name.strip_suffix(suffix)
                .is_some_and(|form| forms.contains(form))
        };
        let timestamp_of_form = of_form("_timestamp");
        let return_code_of_form = of_form("_return_code");
        if EXPORT_COLUMN_NAMES.contains(&name) || timestamp_of_form {
            c.error(
                "export-column-name",
                row,
                Column::FieldName,
                format!("This is an illegal variable name and cannot be used: `{name}` is a column REDCap adds to record exports."),
            );
        } else if RESERVED_FIELD_NAMES.contains(&name) || return_code_of_form {
            c.error(
                "reserved-field-name",
                row,
                Column::FieldName,
                format!("This is an illegal variable name and cannot be used: `{name}` is reserved by REDCap."),
            );
        }
        if let Some(form) = name.strip_suffix("_complete")
            && forms.contains(form)
        {
            c.error(
                "form-status-field-name",
                row,
                Column::FieldName,
                format!("Variables/field names cannot be named [form_name]+'_complete': `{name}` is the status field of form `{form}`."),
            );
        }
        if let Some(first) = seen.get(name) {
            c.error(
                "duplicate-field-name",
                row,
                Column::FieldName,
                format!("The following variable/field names were duplicated: `{name}` is already defined in row {first}."),
            );
        } else {
            seen.insert(name, row.row);
        }
    }
}

/// Two fields whose export columns coincide (a field named `pick___1` beside the
/// checkbox `pick` with code `1`): the column would belong to both.
fn check_export_columns(c: &mut Checker<'_>) {
    let mut owners: HashMap<String, &str> = HashMap::new();
    for row in c.rows {
        let name = row.field_name();
        if name.is_empty() {
            continue;
        }
        let columns: Vec<String> = match FieldType::from_name(row.get(Column::FieldType)) {
            Some(FieldType::Checkbox) => {
                let suffixes: HashSet<String> = parse_choices(row.get(Column::Choices))
                    .iter()
                    .map(|choice| checkbox_code_suffix(&choice.code))
                    .collect();
                suffixes
                    .into_iter()
                    .map(|suffix| format!("{name}___{suffix}"))
                    .collect()
            }
            Some(FieldType::Descriptive) => Vec::new(),
            _ => vec![name.to_owned()],
        };
        let mut columns = columns;
        columns.sort();
        for column in columns {
            match owners.get(column.as_str()) {
                Some(other) if *other != name => c.error(
                    "duplicate-export-column",
                    row,
                    Column::FieldName,
                    format!(
                        "The export column `{column}` of `{name}` is also a column of `{other}`."
                    ),
                ),
                _ => {
                    owners.insert(column, name);
                }
            }
        }
    }
}

fn check_form_names(c: &mut Checker<'_>) {
    let mut done: HashSet<&str> = HashSet::new();
    let mut previous = "";
    for row in c.rows {
        let form = row.get(Column::FormName);
        if form.is_empty() {
            c.error(
                "missing-form-name",
                row,
                Column::FormName,
                "Each row MUST have a form name, but this cell is empty.".into(),
            );
            continue;
        }
        if form.len() > 64 {
            c.error(
                "form-name-too-long",
                row,
                Column::FormName,
                "Form names cannot be more than 64 characters in length.".into(),
            );
        } else if form.len() > 50 {
            c.warn(
                "form-name-long",
                row,
                Column::FormName,
                "Form names longer than 50 characters are discouraged.".into(),
            );
        }
        let legal = form
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !legal || form.starts_with(|ch: char| ch.is_ascii_digit()) {
            c.warn(
                "form-name-characters",
                row,
                Column::FormName,
                format!("Form names may only contain lower-case letters, numbers and underscores and cannot begin with a number; REDCap would rename `{form}`."),
            );
        }
        if form != previous && done.contains(form) {
            c.error(
                "form-not-sequential",
                row,
                Column::FormName,
                format!("Form names must be sequential and cannot repeat again after being used for another form: `{form}` appeared before."),
            );
        }
        if form != previous && !previous.is_empty() {
            done.insert(previous);
        }
        previous = form;
    }
}

fn check_types_and_choices(c: &mut Checker<'_>) {
    let names: HashSet<&str> = c.rows.iter().map(DictionaryRow::field_name).collect();
    // Built once: a calculation may name any form's status field.
    let status_fields: HashSet<String> = c
        .rows
        .iter()
        .map(|r| format!("{}_complete", r.get(Column::FormName)))
        .collect();
    if let Some(first) = c.rows.first()
        && first.get(Column::FieldType) != "text"
    {
        c.warn(
            "record-id-not-text",
            first,
            Column::FieldType,
            "The first field (the record ID) must be a text field; REDCap would change its type to text.".into(),
        );
    }
    for row in c.rows {
        let raw_type = row.get(Column::FieldType);
        let choices_cell = row.get(Column::Choices);
        if raw_type.is_empty() {
            c.error(
                "missing-field-type",
                row,
                Column::FieldType,
                "Each row MUST have a field type, but this cell is empty.".into(),
            );
            continue;
        }
        let Some(field_type) = FieldType::from_name(raw_type) else {
            c.error(
                "unknown-field-type",
                row,
                Column::FieldType,
                format!("The only valid field types are text, notes, radio, dropdown, calc, file, checkbox, yesno, truefalse, descriptive, slider and must all be lower-case: `{raw_type}` is not one."),
            );
            continue;
        };
        match field_type {
            FieldType::Calc => check_calc(c, row, &names, &status_fields),
            FieldType::Sql => c.warn(
                "sql-field",
                row,
                Column::FieldType,
                "For security purposes, 'sql' field types can ONLY be added or modified by REDCap administrators.".into(),
            ),
            FieldType::Slider => {
                for column in [Column::ValidationMin, Column::ValidationMax] {
                    let bound = row.get(column);
                    if !bound.is_empty() && !is_integer(bound) {
                        c.error(
                            "slider-bound-not-integer",
                            row,
                            column,
                            format!("The custom min/max value of a slider must be an integer (positive or negative) or a blank value, not `{bound}`."),
                        );
                    }
                }
            }
            _ => {}
        }
        if field_type == FieldType::Sql && choices_cell.is_empty() {
            // Project XML withholds the query (it may reveal data), so a
            // missing query is only worth a notice.
            c.warn(
                "missing-sql",
                row,
                Column::Choices,
                "This 'sql' field has no query in column F.".into(),
            );
        }
        if field_type.has_choices() {
            if choices_cell.is_empty() && field_type != FieldType::Advcheckbox {
                c.error(
                    "missing-choices",
                    row,
                    Column::Choices,
                    "Each multiple choice field (radio, drop-down, checkbox, etc.) must have choices listed in column F.".into(),
                );
            } else if field_type != FieldType::Advcheckbox {
                check_choice_codes(c, row, field_type, choices_cell);
            }
        }
        if !choices_cell.is_empty()
            && matches!(field_type, FieldType::Dropdown | FieldType::Radio)
            && !choices_cell.contains('|')
            && !choices_cell.contains("\\n")
        {
            c.warn(
                "single-choice",
                row,
                Column::Choices,
                "This multiple choice field has only one choice.".into(),
            );
        }
        let trimmed = choices_cell.trim();
        if field_type.has_choices() && (trimmed.starts_with('|') || trimmed.ends_with('|')) {
            c.warn(
                "stray-choice-separator",
                row,
                Column::Choices,
                "Choices should not begin or end with a '|' symbol.".into(),
            );
        }
        if row.get(Column::FieldLabel).is_empty() {
            c.warn(
                "missing-field-label",
                row,
                Column::FieldLabel,
                "This field has no label.".into(),
            );
        }
    }
}

fn check_calc(
    c: &mut Checker<'_>,
    row: &DictionaryRow,
    names: &HashSet<&str>,
    status_fields: &HashSet<String>,
) {
    let equation = logic::strip_comments(row.get(Column::Choices));
    if equation.trim().is_empty() {
        c.error(
            "missing-calculation",
            row,
            Column::Choices,
            "Each 'calc' field must have an equation in column F.".into(),
        );
        return;
    }
    if !logic::brackets_balanced(&equation) {
        c.error(
            "calculation-syntax",
            row,
            Column::Choices,
            "There is a syntactical error in the 'calc' field equation: parentheses or square brackets are not balanced.".into(),
        );
    }
    for name in logic::referenced_fields(&equation) {
        if !names.contains(name.as_str()) && !status_fields.contains(&name) {
            c.error(
                "calculation-unknown-field",
                row,
                Column::Choices,
                format!("There are variables used in calculated field equation(s) that are not listed as real variables in column A: `{name}`."),
            );
        }
    }
}

fn check_choice_codes(c: &mut Checker<'_>, row: &DictionaryRow, field_type: FieldType, cell: &str) {
    let parsed = parse_choices(cell);
    let mut codes: HashSet<&str> = HashSet::new();
    let mut suffixes: HashMap<String, &str> = HashMap::new();
    for choice in &parsed {
        if !is_valid_code(&choice.code) {
            c.error(
                "invalid-choice-code",
                row,
                Column::Choices,
                format!(
                    "Multiple choice fields can only have coded values that are numbers or letters, numbers, '.', '_' and '-': \"{}\" - Suggestion: replace with \"{}\"",
                    choice.code,
                    choices::suggest_code(&choice.code)
                ),
            );
        }
        if !codes.insert(choice.code.as_str()) {
            c.error(
                "duplicate-choice-code",
                row,
                Column::Choices,
                format!(
                    "Multiple choice fields have been found where a coded value is duplicated: \"{}\".",
                    choice.code
                ),
            );
        }
        if field_type == FieldType::Checkbox {
            let suffix = checkbox_code_suffix(&choice.code);
            if let Some(other) = suffixes.get(&suffix)
                && *other != choice.code
            {
                c.warn(
                    "checkbox-export-name-collision",
                    row,
                    Column::Choices,
                    format!(
                        "Checkbox codes \"{other}\" and \"{}\" give the same export column `{}___{suffix}`.",
                        choice.code,
                        row.field_name()
                    ),
                );
            }
            suffixes.insert(suffix, choice.code.as_str());
        }
    }
}

fn check_validation(c: &mut Checker<'_>) {
    for row in c.rows {
        let raw = row.get(Column::Validation);
        let field_type = FieldType::from_name(row.get(Column::FieldType));
        let min = row.get(Column::ValidationMin);
        let max = row.get(Column::ValidationMax);
        if raw.is_empty() {
            if field_type == Some(FieldType::Text) && (!min.is_empty() || !max.is_empty()) {
                c.error(
                    "bounds-without-validation",
                    row,
                    Column::ValidationMin,
                    "A field validation type is required in order to have a minimum or maximum validation value.".into(),
                );
            }
            continue;
        }
        let allowed_elsewhere = matches!(
            (field_type, raw),
            (Some(FieldType::Dropdown | FieldType::Sql), "autocomplete")
                | (Some(FieldType::File), "signature")
        );
        if !matches!(field_type, Some(FieldType::Text | FieldType::Slider)) && !allowed_elsewhere {
            c.error(
                "validation-on-non-text",
                row,
                Column::Validation,
                format!(
                    "Only 'text' field types may have validation: `{raw}` is set on a {} field.",
                    row.get(Column::FieldType)
                ),
            );
            continue;
        }
        if field_type != Some(FieldType::Text) {
            continue;
        }
        let lower = raw.to_ascii_lowercase();
        if lower != raw {
            c.warn(
                "validation-case",
                row,
                Column::Validation,
                format!(
                    "Validation types must be lower-case; REDCap would change `{raw}` to `{lower}`."
                ),
            );
        }
        let Some(validation) = Validation::from_name(&lower) else {
            c.error(
                "unknown-validation",
                row,
                Column::Validation,
                format!("The only valid validation types are those of REDCap 15.7.6 (date_ymd, integer, number, email, …) and must all be lower-case: `{raw}` is not one."),
            );
            continue;
        };
        for (column, bound) in [(Column::ValidationMin, min), (Column::ValidationMax, max)] {
            if !bound_is_valid(validation, bound) {
                c.error(
                    "invalid-bound",
                    row,
                    column,
                    format!("Format for the minimum/maximum validation value is incorrect: `{bound}` is not a valid {validation} value."),
                );
            }
        }
    }
}

/// Whether a min/max cell fits the validation type. Blank, `today`, `now` and
/// piped `[field]` bounds are always allowed; date bounds may be written
/// M/D/Y, which REDCap converts.
fn bound_is_valid(validation: Validation, bound: &str) -> bool {
    if bound.is_empty()
        || bound == "today"
        || bound == "now"
        || (bound.starts_with('[') && bound.ends_with(']'))
    {
        return true;
    }
    match validation.data_type() {
        DataType::Date => is_date(bound),
        DataType::Datetime => bound
            .split_once(' ')
            .is_some_and(|(d, t)| is_date(d) && is_clock(t, false)),
        DataType::DatetimeSeconds => bound
            .split_once(' ')
            .is_some_and(|(d, t)| is_date(d) && (is_clock(t, true) || is_clock(t, false))),
        DataType::Integer => {
            let digits = bound.strip_prefix(['-', '+']).unwrap_or(bound);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        DataType::Number => is_php_numeric(bound),
        DataType::NumberCommaDecimal => is_php_numeric(&bound.replacen(',', ".", 1)),
        DataType::Time => match validation {
            Validation::Time => is_clock(bound, false),
            Validation::TimeHhMmSs => is_clock(bound, true),
            _ => bound
                .split_once(':')
                .is_some_and(|(m, s)| two_digits(m, 59) && two_digits(s, 59)),
        },
        _ => true,
    }
}

fn two_digits(s: &str, max: u32) -> bool {
    s.len() == 2 && s.parse::<u32>().is_ok_and(|n| n <= max)
}

fn is_clock(t: &str, seconds: bool) -> bool {
    let parts: Vec<&str> = t.split(':').collect();
    let hour_ok = |h: &str| (1..=2).contains(&h.len()) && h.parse::<u32>().is_ok_and(|n| n <= 23);
    match (seconds, parts.as_slice()) {
        (false, [h, m]) => hour_ok(h) && two_digits(m, 59),
        (true, [h, m, s]) => hour_ok(h) && two_digits(m, 59) && two_digits(s, 59),
        _ => false,
    }
}

fn is_date(d: &str) -> bool {
    let (y, m, day) = if d.contains('/') {
        let p: Vec<&str> = d.split('/').collect();
        match p.as_slice() {
            [m, day, y] => (*y, *m, *day),
            _ => return false,
        }
    } else {
        let p: Vec<&str> = d.split('-').collect();
        match p.as_slice() {
            [y, m, day] if y.len() == 4 && m.len() == 2 && day.len() == 2 => (*y, *m, *day),
            _ => return false,
        }
    };
    let (Ok(y), Ok(m), Ok(day)) = (y.parse::<u32>(), m.parse::<u32>(), day.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

fn check_flags(c: &mut Checker<'_>) {
    for row in c.rows {
        for (column, what) in [
            (Column::Identifier, "identifier"),
            (Column::RequiredField, "required field"),
            (Column::MatrixRanking, "matrix ranking"),
        ] {
            let value = row.get(column);
            if !value.is_empty() && !value.trim().eq_ignore_ascii_case("y") {
                c.warn(
                    "invalid-flag",
                    row,
                    column,
                    format!(
                        "The {what} column may only be 'y' or blank; REDCap would blank `{value}`."
                    ),
                );
            }
        }
        let field_type = row.get(Column::FieldType);
        if !row.get(Column::RequiredField).is_empty()
            && (field_type == "descriptive" || field_type == "advcheckbox")
        {
            c.warn(
                "required-not-applicable",
                row,
                Column::RequiredField,
                format!("A {field_type} field cannot be required; REDCap would remove the flag."),
            );
        }
        let align = row.get(Column::CustomAlignment);
        if !align.is_empty() && !["LV", "LH", "RV", "RH"].contains(&align) {
            c.warn(
                "invalid-alignment",
                row,
                Column::CustomAlignment,
                format!("Custom alignment may only be 'LV', 'LH', 'RV' or 'RH'; REDCap would blank `{align}`."),
            );
        }
    }
}

fn check_logic(c: &mut Checker<'_>, forms: &HashSet<&str>) {
    let names: HashSet<&str> = c.rows.iter().map(DictionaryRow::field_name).collect();
    for row in c.rows {
        let branching = row.get(Column::BranchingLogic);
        if branching.trim().is_empty() {
            continue;
        }
        let logic = logic::strip_comments(branching);
        if !logic::branching_balanced(&logic) {
            c.error(
                "branching-syntax",
                row,
                Column::BranchingLogic,
                "There is a syntactical error in the branching logic: parentheses, square brackets or quotes are not balanced.".into(),
            );
        }
        for name in logic::referenced_fields(&logic) {
            let is_status = name
                .strip_suffix("_complete")
                .is_some_and(|form| forms.contains(form));
            if !names.contains(name.as_str()) && !is_status {
                c.error(
                    "branching-unknown-field",
                    row,
                    Column::BranchingLogic,
                    format!("Branching logic refers to variables that are not listed as real variables in column A: `{name}`."),
                );
            }
        }
    }
}

fn check_matrix_groups(c: &mut Checker<'_>) {
    let mut seen: HashMap<&str, (&DictionaryRow, Vec<crate::choices::Choice>)> = HashMap::new();
    let mut previous = "";
    for row in c.rows {
        let group = row.get(Column::MatrixGroupName).trim();
        if group.len() > 60 {
            c.error(
                "matrix-group-too-long",
                row,
                Column::MatrixGroupName,
                "Matrix group names cannot be more than 60 characters in length.".into(),
            );
        }
        if !group
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            c.warn(
                "matrix-group-characters",
                row,
                Column::MatrixGroupName,
                format!("Matrix group names must consist of ONLY lower-case letters, numbers, and underscores; REDCap would rename `{group}`."),
            );
        }
        if !group.is_empty() && group != previous && seen.contains_key(group) {
            c.error(
                "matrix-group-not-sequential",
                row,
                Column::MatrixGroupName,
                format!("Matrix group names must be sequential: `{group}` appeared before."),
            );
        }
        previous = group;
        if group.is_empty() {
            continue;
        }
        let field_type = row.get(Column::FieldType);
        if field_type != "radio" && field_type != "checkbox" {
            c.error(
                "matrix-field-type",
                row,
                Column::FieldType,
                format!(
                    "Only radio and checkbox fields can be in a matrix group, not {field_type}."
                ),
            );
            continue;
        }
        let choices = parse_choices(row.get(Column::Choices));
        match seen.get(group) {
            Some((first, first_choices)) => {
                if first.get(Column::FieldType) != field_type {
                    c.warn(
                        "matrix-mixed-types",
                        row,
                        Column::FieldType,
                        format!("All fields of a matrix group must be all radios or all checkboxes; REDCap would make this field a {}.", first.get(Column::FieldType)),
                    );
                }
                if *first_choices != choices {
                    c.error(
                        "matrix-choices-differ",
                        row,
                        Column::Choices,
                        format!(
                            "All fields in a matrix group must have the same choices as `{}`.",
                            first.field_name()
                        ),
                    );
                }
                let rank = |r: &DictionaryRow| {
                    r.get(Column::MatrixRanking)
                        .trim()
                        .eq_ignore_ascii_case("y")
                };
                if rank(first) != rank(row) {
                    c.error(
                        "matrix-ranking-differs",
                        row,
                        Column::MatrixRanking,
                        format!("All fields in matrix group `{group}` must have the same matrix ranking value (y or blank)."),
                    );
                }
            }
            None => {
                seen.insert(group, (row, choices));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize, cells: &[&str]) -> DictionaryRow {
        let mut r = DictionaryRow {
            row: n,
            ..Default::default()
        };
        for (i, c) in cells.iter().enumerate() {
            r.cells[i] = (*c).to_owned();
        }
        r
    }

    fn codes(rows: &[DictionaryRow]) -> Vec<&'static str> {
        check_rows(rows).0.iter().map(|p| p.code).collect()
    }

    #[test]
    fn clean_dictionary_has_no_problems() {
        let rows = [
            row(2, &["record_id", "f", "", "text", "ID"]),
            row(3, &["sex", "f", "", "radio", "Sex", "0, F | 1, M"]),
            row(
                4,
                &["bmi", "f", "", "calc", "BMI", "[sex] * 2 + [f_complete]"],
            ),
        ];
        assert!(check_rows(&rows).0.is_empty(), "{}", check_rows(&rows));
    }

    #[test]
    fn collects_every_problem_with_its_place() {
        let rows = [
            row(2, &["record_id", "f", "", "text", "ID"]),
            row(3, &["record_id", "f", "", "text", "Again"]),
            row(4, &["x", "f", "", "radio", "X", "a b, A | 1, B | 1, C"]),
            row(5, &["y", "f", "", "texte", "Y"]),
            row(6, &["z", "f", "", "text", "Z", "", "", "integer", "abc"]),
            row(
                7,
                &[
                    "w",
                    "f",
                    "",
                    "text",
                    "W",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "[nope] = 1",
                ],
            ),
        ];
        let problems = check_rows(&rows);
        let got: Vec<&str> = problems.0.iter().map(|p| p.code).collect();
        assert_eq!(
            got,
            [
                "duplicate-field-name",
                "invalid-choice-code",
                "duplicate-choice-code",
                "unknown-field-type",
                "invalid-bound",
                "branching-unknown-field"
            ]
        );
        let dup = &problems.0[0];
        assert_eq!(dup.location.row, Some(3));
        assert_eq!(dup.location.field.as_deref(), Some("record_id"));
        assert_eq!(dup.to_string().lines().count(), 1);
        assert!(
            dup.to_string()
                .contains("row 3, field `record_id`, cell A3")
        );
    }

    #[test]
    fn names_and_forms() {
        let rows = [
            row(2, &["record_id", "a", "", "text", "ID"]),
            row(3, &["_x", "b", "", "text", "X"]),
            row(4, &["a_complete", "a", "", "text", "X"]),
            row(5, &["b___1", "a", "", "text", "X"]),
        ];
        assert_eq!(
            codes(&rows),
            [
                "field-name-starts-with-underscore",
                "form-status-field-name",
                "field-name-triple-underscore",
                "form-not-sequential",
            ]
        );
    }

    #[test]
    fn bounds_follow_the_type() {
        assert!(bound_is_valid(Validation::DateYmd, "2024-02-29"));
        assert!(!bound_is_valid(Validation::DateYmd, "2023-02-29"));
        assert!(bound_is_valid(Validation::DateMdy, "12/31/2020"));
        assert!(bound_is_valid(Validation::DatetimeYmd, "2020-01-01 9:30"));
        assert!(bound_is_valid(Validation::Number2dp, "3"));
        assert!(bound_is_valid(Validation::NumberCommaDecimal, "3,5"));
        assert!(bound_is_valid(Validation::Integer, "today"));
        assert!(!bound_is_valid(Validation::Time, "25:00"));
        assert!(bound_is_valid(Validation::Email, "anything"));
    }
}
