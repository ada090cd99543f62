//! The data dictionary's 18 columns and its rows as plain text, the common
//! form every reader produces before checks and building.

use std::fmt;

/// A data-dictionary column, A to R, in REDCap's fixed order. REDCap maps
/// columns by position, never by header name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Column {
    FieldName,
    FormName,
    SectionHeader,
    FieldType,
    FieldLabel,
    Choices,
    FieldNote,
    Validation,
    ValidationMin,
    ValidationMax,
    Identifier,
    BranchingLogic,
    RequiredField,
    CustomAlignment,
    QuestionNumber,
    MatrixGroupName,
    MatrixRanking,
    FieldAnnotation,
}

impl Column {
    /// All columns in order.
    pub const ALL: [Column; 18] = [
        Column::FieldName,
        Column::FormName,
        Column::SectionHeader,
        Column::FieldType,
        Column::FieldLabel,
        Column::Choices,
        Column::FieldNote,
        Column::Validation,
        Column::ValidationMin,
        Column::ValidationMax,
        Column::Identifier,
        Column::BranchingLogic,
        Column::RequiredField,
        Column::CustomAlignment,
        Column::QuestionNumber,
        Column::MatrixGroupName,
        Column::MatrixRanking,
        Column::FieldAnnotation,
    ];

    /// Zero-based position.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The spreadsheet letter REDCap uses in its messages (`A`…`R`).
    pub fn letter(self) -> char {
        (b'A' + self as u8) as char
    }

    /// The header the API uses (`field_name`, …).
    pub fn api_name(self) -> &'static str {
        API_NAMES[self.index()]
    }

    /// The header of the web UI's download (`Variable / Field Name`, …).
    pub fn ui_label(self) -> &'static str {
        UI_LABELS[self.index()]
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.letter(), self.api_name())
    }
}

const API_NAMES: [&str; 18] = [
    "field_name",
    "form_name",
    "section_header",
    "field_type",
    "field_label",
    "select_choices_or_calculations",
    "field_note",
    "text_validation_type_or_show_slider_number",
    "text_validation_min",
    "text_validation_max",
    "identifier",
    "branching_logic",
    "required_field",
    "custom_alignment",
    "question_number",
    "matrix_group_name",
    "matrix_ranking",
    "field_annotation",
];

const UI_LABELS: [&str; 18] = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
];

/// One dictionary row as text, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DictionaryRow {
    /// The row number REDCap uses in its messages: the header is row 1, the
    /// first field row 2.
    pub row: usize,
    /// The line of the source where the row starts, when the source has
    /// lines that differ from rows (CSV with multi-line cells, JSON, XML).
    pub line: Option<usize>,
    /// The 18 cells, in column order; missing cells are empty.
    pub cells: [String; 18],
}

impl DictionaryRow {
    /// The text of one cell.
    pub fn get(&self, column: Column) -> &str {
        &self.cells[column.index()]
    }

    /// Sets one cell.
    pub fn set(&mut self, column: Column, value: impl Into<String>) {
        self.cells[column.index()] = value.into();
    }

    /// The field name cell.
    pub fn field_name(&self) -> &str {
        self.get(Column::FieldName)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_names_line_up() {
        assert_eq!(Column::FieldName.letter(), 'A');
        assert_eq!(Column::Choices.letter(), 'F');
        assert_eq!(Column::FieldAnnotation.letter(), 'R');
        assert_eq!(Column::ALL.len(), API_NAMES.len());
        assert_eq!(
            Column::Validation.api_name(),
            "text_validation_type_or_show_slider_number"
        );
    }
}
