//! The tables of a project: which export columns go to which instrument's table, as which
//! typed columns, with which metadata. Decided once from the schema and the export's
//! header, before the first row.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema};
use redcap_schema::{FieldType, Form, ProjectSchema, Validation};

use crate::checkbox::{CheckboxList, list_type};
use crate::column::{Codes, OPEN_DECIMAL_SCALE, Slot, ValueKind, dictionary_type};
use crate::error::Error;
use crate::parse::TimeForm;

/// Key column: the unique event name.
pub const EVENT_COLUMN: &str = "redcap_event_name";
/// Key column: the arm number of the event.
pub const ARM_COLUMN: &str = "redcap_arm";
/// Key column: the repeat instance (null on rows that do not repeat).
pub const INSTANCE_COLUMN: &str = "redcap_repeat_instance";
/// Key column: the record's data access group.
pub const DAG_COLUMN: &str = "redcap_data_access_group";
/// The export's survey identifier column, kept beside the keys.
pub const SURVEY_COLUMN: &str = "redcap_survey_identifier";
/// The export column naming the repeating instrument of a row.
pub const REPEAT_INSTRUMENT_COLUMN: &str = "redcap_repeat_instrument";

/// Where the key columns are in the export.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyColumns {
    pub(crate) record: usize,
    pub(crate) event: Option<usize>,
    pub(crate) repeat_instrument: Option<usize>,
    pub(crate) repeat_instance: Option<usize>,
    pub(crate) dag: Option<usize>,
    pub(crate) survey: Option<usize>,
}

/// One instrument's table before any row: its Arrow schema and its slots.
pub(crate) struct TableLayout {
    pub(crate) form: String,
    pub(crate) schema: Arc<Schema>,
    pub(crate) repeats: bool,
    pub(crate) slots: Vec<Slot>,
    /// Each checkbox field's list column, with the index of the slot its column comes
    /// before.
    pub(crate) lists: Vec<(usize, CheckboxList)>,
}

/// Everything decided before the first row.
pub(crate) struct Layout {
    pub(crate) keys: KeyColumns,
    pub(crate) tables: Vec<TableLayout>,
    pub(crate) columns: usize,
    /// Unique event name → (key in the event dictionary, arm number).
    pub(crate) events: HashMap<String, (i32, i32)>,
    pub(crate) event_codes: Arc<Codes>,
    /// Form name → table index.
    pub(crate) form_index: HashMap<String, usize>,
    pub(crate) longitudinal: bool,
}

/// Metadata keys on columns and tables.
pub mod meta {
    /// What the column is: `key`, `value`, `label` (a choice's label), `missing` (a
    /// missing-data code in place of the value), `checkbox` (one choice of a checkbox
    /// field), `checkbox_missing` (a missing-data code of a checkbox field),
    /// `checkbox_list` (the ticked choices of a checkbox field, as a list of codes),
    /// `status`, `status_label` (`<form>_complete`), `timestamp` (a survey's completion
    /// time).
    pub const ROLE: &str = "redcap.role";
    /// The REDCap field the column comes from.
    pub const FIELD: &str = "redcap.field";
    /// The field's type, by its data-dictionary name.
    pub const FIELD_TYPE: &str = "redcap.field_type";
    /// The field label.
    pub const LABEL: &str = "redcap.label";
    /// The field note (where REDCap projects usually write units).
    pub const NOTE: &str = "redcap.note";
    /// The validation type.
    pub const VALIDATION: &str = "redcap.validation";
    /// The validation minimum, as written.
    pub const MIN: &str = "redcap.min";
    /// The validation maximum, as written.
    pub const MAX: &str = "redcap.max";
    /// The choices, `code, label | code, label`.
    pub const CHOICES: &str = "redcap.choices";
    /// The choice code of a checkbox column.
    pub const CHOICE_CODE: &str = "redcap.choice_code";
    /// The choice label of a checkbox column.
    pub const CHOICE_LABEL: &str = "redcap.choice_label";
    /// The field annotation (action tags).
    pub const ANNOTATION: &str = "redcap.annotation";
    /// The project's missing-data codes, on `missing` columns.
    pub const MISSING_CODES: &str = "redcap.missing_codes";
    /// On a table: the instrument's name.
    pub const FORM: &str = "redcap.form";
    /// On a table: the instrument's label.
    pub const FORM_LABEL: &str = "redcap.form_label";
    /// On a table: the project's title.
    pub const PROJECT: &str = "redcap.project";
    /// On a table: the record-ID field.
    pub const RECORD_ID_FIELD: &str = "redcap.record_id_field";
}

/// What the value of a field is, from its type and validation.
fn value_kind(field: &redcap_schema::Field) -> ValueKind {
    let open = |mark| ValueKind::Decimal {
        scale: OPEN_DECIMAL_SCALE,
        mark,
    };
    let fixed = |scale, mark| ValueKind::Decimal { scale, mark };
    match field.field_type {
        FieldType::Yesno | FieldType::Truefalse | FieldType::Advcheckbox => ValueKind::Boolean,
        FieldType::Dropdown | FieldType::Radio => ValueKind::Choice(Codes::new(
            field
                .choices
                .iter()
                .map(|c| (c.code.as_str(), c.label.as_str())),
        )),
        FieldType::Slider => ValueKind::Integer,
        FieldType::Calc => open(b'.'),
        FieldType::Text if field.has_action_tag("@CALCTEXT") => ValueKind::Text,
        FieldType::Text => match field.validation {
            Some(Validation::DateYmd | Validation::DateMdy | Validation::DateDmy) => {
                ValueKind::Date
            }
            Some(Validation::DatetimeYmd | Validation::DatetimeMdy | Validation::DatetimeDmy) => {
                ValueKind::DateTime { seconds: false }
            }
            Some(
                Validation::DatetimeSecondsYmd
                | Validation::DatetimeSecondsMdy
                | Validation::DatetimeSecondsDmy,
            ) => ValueKind::DateTime { seconds: true },
            Some(Validation::Time) => ValueKind::Time(TimeForm::HoursMinutes),
            Some(Validation::TimeHhMmSs) => ValueKind::Time(TimeForm::HoursMinutesSeconds),
            Some(Validation::TimeMmSs) => ValueKind::Time(TimeForm::MinutesSeconds),
            Some(Validation::Integer) => ValueKind::Integer,
            Some(Validation::Number) => open(b'.'),
            Some(Validation::Number1dp) => fixed(1, b'.'),
            Some(Validation::Number2dp) => fixed(2, b'.'),
            Some(Validation::Number3dp) => fixed(3, b'.'),
            Some(Validation::Number4dp) => fixed(4, b'.'),
            Some(Validation::NumberCommaDecimal) => open(b','),
            Some(Validation::Number1dpCommaDecimal) => fixed(1, b','),
            Some(Validation::Number2dpCommaDecimal) => fixed(2, b','),
            Some(Validation::Number3dpCommaDecimal) => fixed(3, b','),
            Some(Validation::Number4dpCommaDecimal) => fixed(4, b','),
            _ => ValueKind::Text,
        },
        FieldType::Notes
        | FieldType::File
        | FieldType::Sql
        | FieldType::Descriptive
        | FieldType::Checkbox => ValueKind::Text,
    }
}

/// The metadata every column of a field carries.
fn field_metadata(field: &redcap_schema::Field, role: &str) -> HashMap<String, String> {
    let mut meta = HashMap::new();
    meta.insert(meta::ROLE.into(), role.into());
    meta.insert(meta::FIELD.into(), field.name.clone());
    meta.insert(meta::FIELD_TYPE.into(), field.field_type.as_str().into());
    meta.insert(meta::LABEL.into(), field.label.clone());
    let optional = [
        (meta::NOTE, field.note.clone()),
        (
            meta::VALIDATION,
            field.validation.map(|v| v.as_str().to_owned()),
        ),
        (meta::MIN, field.min.clone()),
        (meta::MAX, field.max.clone()),
        (meta::ANNOTATION, field.annotation.clone()),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            meta.insert(key.into(), value);
        }
    }
    if !field.choices.is_empty() {
        meta.insert(
            meta::CHOICES.into(),
            redcap_schema::choices::format_choices(&field.choices),
        );
    }
    meta
}

/// Where an export column goes.
enum Target<'a> {
    Value(&'a redcap_schema::Field),
    /// A checkbox column: the field, the choice, and the choice's place among the
    /// field's choices then the missing-data codes.
    Checkbox(&'a redcap_schema::Field, &'a redcap_schema::Choice, usize),
    Complete,
    Timestamp,
}

/// Builds one table's columns as the header's columns arrive.
struct TableDraft<'a> {
    form: &'a Form,
    fields: Vec<Field>,
    slots: Vec<Slot>,
    lists: Vec<(usize, CheckboxList)>,
    /// Checkbox field name → its entry in `lists`.
    list_of: HashMap<String, usize>,
    names: HashSet<String>,
}

impl TableDraft<'_> {
    /// Adds a checkbox field's list column, before its boolean columns, and returns its
    /// index in `lists`. Every choice's column must be in the export, or the list would
    /// leave out boxes it cannot see.
    fn list_column(
        &mut self,
        field: &redcap_schema::Field,
        header: &[&str],
    ) -> Result<usize, Error> {
        let own = &field.export_names[..field.choices.len().min(field.export_names.len())];
        if let Some(absent) = own.iter().find(|name| !header.contains(&name.as_str())) {
            return Err(Error::Header(format!(
                "no column `{absent}`: REDCap exports every choice of the checkbox field `{}`, and its other choices are here",
                field.name
            )));
        }
        self.column(
            Field::new(field.name.clone(), list_type(), true)
                .with_metadata(field_metadata(field, "checkbox_list")),
        )?;
        self.lists.push((self.slots.len(), CheckboxList::new()));
        self.list_of
            .insert(field.name.clone(), self.lists.len() - 1);
        Ok(self.lists.len() - 1)
    }

    fn column(&mut self, field: Field) -> Result<(), Error> {
        if !self.names.insert(field.name().clone()) {
            return Err(Error::Layout(format!(
                "instrument `{}` would have two columns named `{}`",
                self.form.name,
                field.name()
            )));
        }
        self.fields.push(field);
        Ok(())
    }
}

impl Layout {
    /// Lays out the tables for an export with this header.
    pub(crate) fn new(schema: &ProjectSchema, header: &[&str]) -> Result<Layout, Error> {
        for form in &schema.forms {
            if form.name == crate::DICTIONARY_TABLE {
                return Err(Error::Layout(format!(
                    "an instrument is named `{}`, the name of the dictionary table",
                    crate::DICTIONARY_TABLE
                )));
            }
        }
        let keys = key_columns(schema, header)?;
        let longitudinal = schema.project.longitudinal;
        let missing_codes = (!schema.project.missing_data_codes.is_empty()).then(|| {
            Codes::new(
                schema
                    .project
                    .missing_data_codes
                    .iter()
                    .map(|c| (c.code.as_str(), c.label.as_str())),
            )
        });
        let missing_listed =
            redcap_schema::choices::format_choices(&schema.project.missing_data_codes);

        let mut targets: HashMap<&str, (usize, Target)> = HashMap::new();
        for (form_index, form) in schema.forms.iter().enumerate() {
            for field in &form.fields {
                if field.field_type == FieldType::Checkbox {
                    let choices = schema.checkbox_choices(field);
                    for (i, (name, choice)) in field.export_names.iter().zip(choices).enumerate() {
                        targets.insert(name, (form_index, Target::Checkbox(field, choice, i)));
                    }
                } else {
                    for name in &field.export_names {
                        targets.insert(name, (form_index, Target::Value(field)));
                    }
                }
            }
            targets.insert(&form.complete_field, (form_index, Target::Complete));
        }
        let timestamps: Vec<String> = schema
            .forms
            .iter()
            .map(|f| format!("{}_timestamp", f.name))
            .collect();
        for (form_index, name) in timestamps.iter().enumerate() {
            targets
                .entry(name)
                .or_insert((form_index, Target::Timestamp));
        }

        let mut drafts: Vec<TableDraft> = schema
            .forms
            .iter()
            .map(|form| TableDraft {
                form,
                fields: Vec::new(),
                slots: Vec::new(),
                lists: Vec::new(),
                list_of: HashMap::new(),
                names: HashSet::new(),
            })
            .collect();
        let status_codes =
            Codes::new([("0", "Incomplete"), ("1", "Unverified"), ("2", "Complete")]);
        let is_key = |i: usize| {
            i == keys.record
                || [
                    keys.event,
                    keys.repeat_instrument,
                    keys.repeat_instance,
                    keys.dag,
                    keys.survey,
                ]
                .contains(&Some(i))
        };
        for (index, name) in header.iter().enumerate() {
            if is_key(index) {
                continue;
            }
            let Some((form_index, target)) = targets.get(name) else {
                return Err(Error::Header(format!(
                    "column {} `{name}` is not a field of this project (is the schema the export's project's?)",
                    index + 1
                )));
            };
            let draft = &mut drafts[*form_index];
            match target {
                Target::Value(field) => {
                    let kind = value_kind(field);
                    let missing = missing_codes
                        .clone()
                        .filter(|_| schema.takes_missing_codes(field));
                    let data_type = kind.data_type();
                    draft.column(
                        Field::new(field.name.clone(), data_type, true)
                            .with_metadata(field_metadata(field, "value")),
                    )?;
                    if matches!(kind, ValueKind::Choice(_)) {
                        draft.column(
                            Field::new(format!("{}_label", field.name), dictionary_type(), true)
                                .with_metadata(field_metadata(field, "label")),
                        )?;
                    }
                    if missing.is_some() {
                        let mut meta = field_metadata(field, "missing");
                        meta.insert(meta::MISSING_CODES.into(), missing_listed.clone());
                        draft.column(
                            Field::new(format!("{}_missing", field.name), dictionary_type(), true)
                                .with_metadata(meta),
                        )?;
                    }
                    draft
                        .slots
                        .push(Slot::new(index, (*name).to_owned(), kind, missing));
                }
                Target::Checkbox(field, choice, order) => {
                    let is_missing = *order >= field.choices.len();
                    let list = match draft.list_of.get(&field.name) {
                        Some(&list) => list,
                        None => draft.list_column(field, header)?,
                    };
                    let list = &mut draft.lists[list].1;
                    if is_missing {
                        list.missing_code(index);
                    } else {
                        list.choice(*order, index, &choice.code);
                    }
                    let role = if is_missing {
                        "checkbox_missing"
                    } else {
                        "checkbox"
                    };
                    let mut meta = field_metadata(field, role);
                    meta.insert(meta::CHOICE_CODE.into(), choice.code.clone());
                    meta.insert(meta::CHOICE_LABEL.into(), choice.label.clone());
                    draft.column(Field::new(*name, DataType::Boolean, true).with_metadata(meta))?;
                    draft.slots.push(Slot::new(
                        index,
                        (*name).to_owned(),
                        ValueKind::Boolean,
                        None,
                    ));
                }
                Target::Complete => {
                    let form = draft.form;
                    let meta = |role: &str| {
                        HashMap::from([
                            (meta::ROLE.to_owned(), role.to_owned()),
                            (meta::FIELD.to_owned(), form.complete_field.clone()),
                            (meta::LABEL.to_owned(), "Complete?".to_owned()),
                            (
                                meta::CHOICES.to_owned(),
                                "0, Incomplete | 1, Unverified | 2, Complete".to_owned(),
                            ),
                        ])
                    };
                    draft.column(
                        Field::new(*name, dictionary_type(), true).with_metadata(meta("status")),
                    )?;
                    draft.column(
                        Field::new(format!("{name}_label"), dictionary_type(), true)
                            .with_metadata(meta("status_label")),
                    )?;
                    draft.slots.push(Slot::new(
                        index,
                        (*name).to_owned(),
                        ValueKind::Choice(status_codes.clone()),
                        None,
                    ));
                }
                Target::Timestamp => {
                    let meta = HashMap::from([
                        (meta::ROLE.to_owned(), "timestamp".to_owned()),
                        (meta::FIELD.to_owned(), (*name).to_owned()),
                    ]);
                    draft.column(Field::new(*name, DataType::Utf8, true).with_metadata(meta))?;
                    draft
                        .slots
                        .push(Slot::new(index, (*name).to_owned(), ValueKind::Text, None));
                }
            }
        }

        let event_codes = Codes::new(
            schema
                .events
                .iter()
                .map(|e| (e.unique_name.as_str(), e.name.as_str())),
        );
        let events = schema
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (e.unique_name.clone(), (i as i32, e.arm as i32)))
            .collect();
        let form_index = schema
            .forms
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        let mut tables = Vec::new();
        for draft in drafts {
            let repeats = form_repeats(schema, draft.form);
            let mut fields = key_fields(schema, &keys, repeats);
            let key_names: HashSet<String> = fields.iter().map(|f| f.name().clone()).collect();
            if let Some(clash) = draft.fields.iter().find(|f| key_names.contains(f.name())) {
                return Err(Error::Layout(format!(
                    "instrument `{}` has a column `{}`, the name of a key column",
                    draft.form.name,
                    clash.name()
                )));
            }
            fields.extend(draft.fields);
            let mut metadata = HashMap::from([
                (meta::FORM.to_owned(), draft.form.name.clone()),
                (meta::FORM_LABEL.to_owned(), draft.form.label.clone()),
                (
                    meta::RECORD_ID_FIELD.to_owned(),
                    schema.record_id_field.clone(),
                ),
            ]);
            if let Some(title) = &schema.project.title {
                metadata.insert(meta::PROJECT.to_owned(), title.clone());
            }
            tables.push(TableLayout {
                form: draft.form.name.clone(),
                schema: Arc::new(Schema::new_with_metadata(fields, metadata)),
                repeats,
                slots: draft.slots,
                lists: draft.lists,
            });
        }
        Ok(Layout {
            keys,
            tables,
            columns: header.len(),
            events,
            event_codes,
            form_index,
            longitudinal,
        })
    }
}

/// Where the record ID and the pseudo-columns are.
fn key_columns(schema: &ProjectSchema, header: &[&str]) -> Result<KeyColumns, Error> {
    let find = |name: &str| header.iter().position(|h| *h == name);
    let record = find(&schema.record_id_field).ok_or_else(|| {
        Error::Header(format!(
            "no column `{}`, the project's record-ID field",
            schema.record_id_field
        ))
    })?;
    let keys = KeyColumns {
        record,
        event: find(EVENT_COLUMN),
        repeat_instrument: find(REPEAT_INSTRUMENT_COLUMN),
        repeat_instance: find(INSTANCE_COLUMN),
        dag: find(DAG_COLUMN),
        survey: find(SURVEY_COLUMN),
    };
    if schema.project.longitudinal && keys.event.is_none() {
        return Err(Error::Header(format!(
            "no column `{EVENT_COLUMN}`, which every export of a longitudinal project has"
        )));
    }
    if schema.has_repeating() && keys.repeat_instance.is_none() {
        return Err(Error::Header(format!(
            "no column `{INSTANCE_COLUMN}`, which every export of a project with repeating instruments or events has"
        )));
    }
    let mut seen = HashSet::new();
    if let Some(twice) = header.iter().find(|h| !seen.insert(**h)) {
        return Err(Error::Header(format!("column `{twice}` appears twice")));
    }
    Ok(keys)
}

/// Whether a form has repeat instances anywhere: as a repeating instrument, or in a
/// repeating event it is designated to.
fn form_repeats(schema: &ProjectSchema, form: &Form) -> bool {
    schema
        .repeating
        .instruments
        .iter()
        .any(|r| r.form == form.name)
        || schema.repeating.events.iter().any(|r| {
            !schema.project.longitudinal
                || schema
                    .events
                    .iter()
                    .any(|e| e.unique_name == r.event && e.forms.contains(&form.name))
        })
}

/// The key columns of a table.
fn key_fields(schema: &ProjectSchema, keys: &KeyColumns, repeats: bool) -> Vec<Field> {
    let key = |name: &str, data_type: DataType, nullable: bool| {
        Field::new(name, data_type, nullable)
            .with_metadata(HashMap::from([(meta::ROLE.to_owned(), "key".to_owned())]))
    };
    let mut fields = vec![key(&schema.record_id_field, DataType::Utf8, false)];
    if schema.project.longitudinal {
        fields.push(key(EVENT_COLUMN, dictionary_type(), false));
        fields.push(key(ARM_COLUMN, DataType::Int32, false));
    }
    if repeats {
        fields.push(key(INSTANCE_COLUMN, DataType::Int32, true));
    }
    if keys.dag.is_some() {
        fields.push(key(DAG_COLUMN, DataType::Utf8, true));
    }
    if keys.survey.is_some() {
        fields.push(key(SURVEY_COLUMN, DataType::Utf8, true));
    }
    fields
}
