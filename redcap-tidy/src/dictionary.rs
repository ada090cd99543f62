//! The `dictionary` table: one row per field, beside the data, so that a reader without
//! Arrow metadata (a CSV user, SQL) still has labels, choices and validation.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use redcap_schema::ProjectSchema;

use crate::error::Error;

/// The text columns of the dictionary table, in order.
const TEXT_COLUMNS: [&str; 13] = [
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "choices",
    "field_note",
    "validation",
    "validation_min",
    "validation_max",
    "branching_logic",
    "field_annotation",
    "export_columns",
];

/// The boolean columns, after the text ones.
const FLAG_COLUMNS: [&str; 2] = ["identifier", "required"];

/// The Arrow schema of the dictionary table.
pub fn dictionary_schema() -> SchemaRef {
    let mut fields: Vec<Field> = TEXT_COLUMNS
        .iter()
        .map(|name| {
            Field::new(
                *name,
                DataType::Utf8,
                !matches!(
                    *name,
                    "field_name" | "form_name" | "field_type" | "field_label"
                ),
            )
        })
        .collect();
    fields.extend(
        FLAG_COLUMNS
            .iter()
            .map(|name| Field::new(*name, DataType::Boolean, false)),
    );
    Arc::new(Schema::new(fields))
}

/// The dictionary table of a project: every field in dictionary order, then each
/// instrument's `<form>_complete`.
pub fn dictionary_batch(schema: &ProjectSchema) -> Result<RecordBatch, Error> {
    let mut text: Vec<StringBuilder> = TEXT_COLUMNS.iter().map(|_| StringBuilder::new()).collect();
    let mut flags: Vec<BooleanBuilder> =
        FLAG_COLUMNS.iter().map(|_| BooleanBuilder::new()).collect();
    for (form, field) in schema.fields() {
        let choices = if field.choices.is_empty() {
            None
        } else {
            Some(redcap_schema::choices::format_choices(&field.choices))
        };
        let choices = choices.or_else(|| field.calculation.clone()).or_else(|| {
            (!field.slider_labels.is_empty())
                .then(|| redcap_schema::choices::format_slider_labels(&field.slider_labels))
        });
        let row: [Option<String>; 13] = [
            Some(field.name.clone()),
            Some(form.name.clone()),
            field.section_header.clone(),
            Some(field.field_type.as_str().to_owned()),
            Some(field.label.clone()),
            choices,
            field.note.clone(),
            field.validation.map(|v| v.as_str().to_owned()),
            field.min.clone(),
            field.max.clone(),
            field.branching_logic.clone(),
            field.annotation.clone(),
            Some(field.export_names.join(",")),
        ];
        for (builder, value) in text.iter_mut().zip(row) {
            builder.append_option(value);
        }
        flags[0].append_value(field.identifier);
        flags[1].append_value(field.required);
    }
    for form in &schema.forms {
        let row: [Option<&str>; 13] = [
            Some(&form.complete_field),
            Some(&form.name),
            Some("Form Status"),
            Some("dropdown"),
            Some("Complete?"),
            Some("0, Incomplete | 1, Unverified | 2, Complete"),
            None,
            None,
            None,
            None,
            None,
            None,
            Some(&form.complete_field),
        ];
        for (builder, value) in text.iter_mut().zip(row) {
            builder.append_option(value);
        }
        flags[0].append_value(false);
        flags[1].append_value(false);
    }
    let mut columns: Vec<ArrayRef> = text
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    columns.extend(flags.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
    Ok(RecordBatch::try_new(dictionary_schema(), columns)?)
}
