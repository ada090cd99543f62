//! Writes a schema back as a data dictionary: the rows REDCap's API exports
//! (`content=metadata`), as CSV with the API's headers.

use crate::choices::{format_choices, format_slider_labels};
use crate::dictionary::{Column, DictionaryRow};
use crate::field_type::FieldType;
use crate::model::{Field, ProjectSchema};

/// The schema's fields as dictionary rows, numbered as REDCap numbers them.
pub fn dictionary_rows(schema: &ProjectSchema) -> Vec<DictionaryRow> {
    schema
        .fields()
        .enumerate()
        .map(|(i, (form, field))| {
            let mut row = DictionaryRow {
                row: i + 2,
                ..DictionaryRow::default()
            };
            row.set(Column::FieldName, &field.name);
            row.set(Column::FormName, &form.name);
            fill(&mut row, field);
            row
        })
        .collect()
}

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

fn yes(flag: bool) -> &'static str {
    if flag { "y" } else { "" }
}

fn fill(row: &mut DictionaryRow, field: &Field) {
    let choices = match field.field_type {
        FieldType::Dropdown | FieldType::Radio | FieldType::Checkbox => {
            format_choices(&field.choices)
        }
        FieldType::Calc => text(&field.calculation).to_owned(),
        FieldType::Slider => format_slider_labels(&field.slider_labels),
        FieldType::Sql => text(&field.sql).to_owned(),
        FieldType::Text => text(&field.ontology).to_owned(),
        // REDCap supplies these choices itself and blanks the column.
        FieldType::Yesno
        | FieldType::Truefalse
        | FieldType::Advcheckbox
        | FieldType::Notes
        | FieldType::File
        | FieldType::Descriptive => String::new(),
    };
    row.set(Column::SectionHeader, text(&field.section_header));
    row.set(Column::FieldType, field.field_type.as_str());
    row.set(Column::FieldLabel, &field.label);
    row.set(Column::Choices, choices);
    row.set(Column::FieldNote, text(&field.note));
    row.set(
        Column::Validation,
        field.validation.map(|v| v.as_str()).unwrap_or_default(),
    );
    row.set(Column::ValidationMin, text(&field.min));
    row.set(Column::ValidationMax, text(&field.max));
    row.set(Column::Identifier, yes(field.identifier));
    row.set(Column::BranchingLogic, text(&field.branching_logic));
    row.set(Column::RequiredField, yes(field.required));
    row.set(Column::CustomAlignment, text(&field.custom_alignment));
    row.set(Column::QuestionNumber, text(&field.question_number));
    row.set(Column::MatrixGroupName, text(&field.matrix_group));
    row.set(Column::MatrixRanking, yes(field.matrix_ranking));
    row.set(Column::FieldAnnotation, text(&field.annotation));
}

/// Writes the dictionary CSV: API headers, one row per field, `\n` line ends
/// and a trailing newline, cells quoted only where needed.
pub fn to_dictionary_csv(schema: &ProjectSchema) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(Column::ALL.iter().map(|c| c.api_name()));
    for row in dictionary_rows(schema) {
        let _ = writer.write_record(&row.cells);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
