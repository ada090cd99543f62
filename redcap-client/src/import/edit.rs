//! Typed imports that say, field by field, what to keep, set and clear.
//!
//! A typed row cannot tell "no value" from "erase the value": both are a blank
//! cell. So a typed import never sends a blank cell for a value: a blank field
//! is left out of the request and REDCap keeps what it stores. Erasing is a
//! separate, named act ([`Edit::clear`]), and only the fields named are erased.
//!
//! This rests on how REDCap reads a flat JSON import: each object is read on its
//! own, and a field an object leaves out is kept for that record even under
//! `overwriteBehavior=overwrite` (only a present, blank value erases). Imports go
//! out as JSON for that reason; a CSV payload shares one header between rows.

use redcap_schema::{FieldType, ProjectSchema};

use super::ROW_KEY_COLUMNS;
use crate::records::FlatRow;
use crate::{Error, Row};

/// The Data Access Group column: blank keeps the record's group, clearing it
/// takes the record out of its group.
const DAG_COLUMN: &str = "redcap_data_access_group";

/// What a typed import does with one field of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldWrite {
    /// The row's field is blank: the stored value stays.
    Keep,
    /// The row holds a value: it replaces the stored one.
    Set,
    /// The field is named in [`Edit::clear`]: the stored value is erased.
    Clear,
}

/// One typed row to import and the fields it erases.
///
/// ```
/// # use redcap_client::import::Edit;
/// # #[derive(Default)] struct Demographics;
/// // Sets the row's non-blank fields, keeps its blank ones, and erases `weight`.
/// let edit = Edit::new(Demographics::default()).clear("weight");
/// # let _ = edit;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Edit<T> {
    row: T,
    clear: Vec<String>,
}

impl<T> Edit<T> {
    /// Sets the row's non-blank fields and keeps its blank ones.
    pub fn new(row: T) -> Self {
        Self {
            row,
            clear: Vec::new(),
        }
    }

    /// Erases `field` (a generated `Field`, or a variable name): its stored value,
    /// or every box of a checkbox field. The row's own value for it is not sent.
    pub fn clear(mut self, field: impl Into<String>) -> Self {
        self.clear.push(field.into());
        self
    }

    /// The row.
    pub fn row(&self) -> &T {
        &self.row
    }

    /// The fields this edit erases, as given.
    pub fn cleared(&self) -> &[String] {
        &self.clear
    }
}

/// The pairs [`edit_rows`] takes.
pub(crate) fn pairs<T>(edits: &[Edit<T>]) -> impl Iterator<Item = (&T, &[String])> {
    edits.iter().map(|edit| (&edit.row, edit.clear.as_slice()))
}

impl<T> From<T> for Edit<T> {
    fn from(row: T) -> Self {
        Self::new(row)
    }
}

impl<T: FlatRow> Edit<T> {
    /// What the import does with `field` (a variable name) in this row.
    pub fn write_of(&self, field: &str) -> FieldWrite {
        if self.clear.iter().any(|c| c == field) {
            return FieldWrite::Clear;
        }
        let blank = T::COLUMNS.iter().enumerate().all(|(index, column)| {
            !column_of_field(column, field) || self.row.column_text(index).is_empty()
        });
        if blank {
            FieldWrite::Keep
        } else {
            FieldWrite::Set
        }
    }
}

/// Whether export column `column` belongs to `field`: the field's own column or
/// one of its checkbox columns (`field___code`).
fn column_of_field(column: &str, field: &str) -> bool {
    column == field
        || column
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with("___"))
}

/// Import rows for typed rows and the fields each erases, and whether they need `overwriteBehavior=overwrite`
/// (some edit erases a value that only a blank in overwrite mode erases).
///
/// Every cleared name is checked first: it must be a field of the row type (or
/// its Data Access Group column) and of the project, and not the record id.
pub(crate) fn edit_rows<'a, T: FlatRow + 'a>(
    schema: &ProjectSchema,
    edits: impl IntoIterator<Item = (&'a T, &'a [String])>,
) -> Result<(Vec<Row>, bool), Error> {
    let id = schema.record_id_field.as_str();
    let mut needs_overwrite = false;
    let mut rows = Vec::new();
    for (index, (typed, clear)) in edits.into_iter().enumerate() {
        let mut cleared: Vec<(&str, &'static str)> = Vec::new();
        for name in clear {
            let value = clear_value(schema, T::COLUMNS, id, name).map_err(|why| Error::Config {
                message: format!("row {}: cannot clear {name:?}: {why}", index + 1),
            })?;
            needs_overwrite |= value.is_empty();
            cleared.push((name.as_str(), value));
        }
        let mut row = Row::new();
        for (column_index, column) in T::COLUMNS.iter().enumerate() {
            if let Some((_, value)) = cleared
                .iter()
                .find(|(field, _)| column_of_field(column, field))
            {
                row.insert(*column, *value);
                continue;
            }
            let text = typed.column_text(column_index);
            if !text.is_empty() || *column == id || ROW_KEY_COLUMNS.contains(column) {
                row.insert(*column, text.into_owned());
            }
        }
        rows.push(row);
    }
    Ok((rows, needs_overwrite))
}

/// The text that erases `name` in an import: `0` for each box of a checkbox field
/// (an unchecked box is `0`, in any overwrite mode), blank for anything else
/// (which erases only with `overwriteBehavior=overwrite`).
fn clear_value(
    schema: &ProjectSchema,
    columns: &[&str],
    id: &str,
    name: &str,
) -> Result<&'static str, String> {
    if name == id {
        return Err("the record id names the record and cannot be erased".into());
    }
    if name == DAG_COLUMN {
        return if columns.contains(&DAG_COLUMN) {
            Ok("")
        } else {
            Err("the row type has no Data Access Group column".into())
        };
    }
    if ROW_KEY_COLUMNS.contains(&name) {
        return Err("it places the row and holds no value".into());
    }
    if !columns.iter().any(|c| column_of_field(c, name)) {
        return Err("the row type has no such field".into());
    }
    match schema.field(name).map(|f| f.field_type) {
        Some(FieldType::Checkbox) => Ok("0"),
        Some(_) => Ok(""),
        // `<form>_complete` is a column of the project, not a dictionary field.
        None if schema.forms.iter().any(|f| f.complete_field == name) => Ok(""),
        None => Err("the project has no such field".into()),
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::records::{DecodeMode, ValueError};

    /// A row type with a record id, a text field, a checkbox with two boxes, a
    /// form status and a Data Access Group column.
    #[derive(Default, Debug, Clone, PartialEq)]
    struct Visit([String; 6]);

    impl FlatRow for Visit {
        const FIELDS: &'static [&'static str] =
            &["record_id", "weight", "symptoms", "visit_complete"];
        const COLUMNS: &'static [&'static str] = &[
            "record_id",
            "weight",
            "symptoms___1",
            "symptoms___2",
            "visit_complete",
            "redcap_data_access_group",
        ];
        fn column_index(column: &str) -> Option<usize> {
            Self::COLUMNS.iter().position(|c| *c == column)
        }
        fn set_column(&mut self, index: usize, raw: &str, _: DecodeMode) -> Result<(), ValueError> {
            self.0[index] = raw.to_owned();
            Ok(())
        }
        fn column_text(&self, index: usize) -> Cow<'_, str> {
            Cow::Borrowed(&self.0[index])
        }
    }

    fn schema() -> ProjectSchema {
        let dictionary = "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,field_note,text_validation_type_or_show_slider_number,text_validation_min,text_validation_max,identifier,branching_logic,required_field,custom_alignment,question_number,matrix_group_name,matrix_ranking,field_annotation\n\
record_id,visit,,text,Record ID,,,,,,,,,,,,,\n\
weight,visit,,text,Weight,,,number,,,,,,,,,,\n\
symptoms,visit,,checkbox,Symptoms,\"1, Cough | 2, Fever\",,,,,,,,,,,,\n";
        redcap_schema::read(dictionary.as_bytes(), "dictionary.csv").expect("dictionary reads")
    }

    fn visit(cells: [&str; 6]) -> Visit {
        Visit(cells.map(str::to_owned))
    }

    #[test]
    fn blank_fields_are_left_out_and_set_fields_sent() {
        let edits = [Edit::new(visit(["1", "70", "1", "", "", ""]))];
        let (rows, overwrite) = edit_rows(&schema(), pairs(&edits)).unwrap();
        let cells: Vec<(&str, &str)> = rows[0].iter().collect();
        assert_eq!(
            cells,
            [("record_id", "1"), ("weight", "70"), ("symptoms___1", "1")]
        );
        assert!(!overwrite, "nothing is erased, so overwrite is not needed");
        assert_eq!(edits[0].write_of("weight"), FieldWrite::Set);
        assert_eq!(edits[0].write_of("symptoms"), FieldWrite::Set);
        assert_eq!(edits[0].write_of("visit_complete"), FieldWrite::Keep);
    }

    #[test]
    fn clearing_sends_blank_for_values_and_zero_for_boxes() {
        let edits = [Edit::new(visit(["1", "70", "1", "", "2", "site_a"]))
            .clear("weight")
            .clear("symptoms")];
        let (rows, overwrite) = edit_rows(&schema(), pairs(&edits)).unwrap();
        let cells: Vec<(&str, &str)> = rows[0].iter().collect();
        assert_eq!(
            cells,
            [
                ("record_id", "1"),
                ("weight", ""),
                ("symptoms___1", "0"),
                ("symptoms___2", "0"),
                ("visit_complete", "2"),
                ("redcap_data_access_group", "site_a"),
            ]
        );
        assert!(overwrite, "a blank erases only in overwrite mode");
        assert_eq!(edits[0].write_of("weight"), FieldWrite::Clear);
    }

    #[test]
    fn clearing_only_boxes_needs_no_overwrite() {
        let edits = [Edit::new(visit(["1", "", "", "", "", ""])).clear("symptoms")];
        let (_, overwrite) = edit_rows(&schema(), pairs(&edits)).unwrap();
        assert!(!overwrite);
    }

    #[test]
    fn form_status_and_group_can_be_cleared() {
        let edits = [Edit::new(visit(["1", "", "", "", "2", "site_a"]))
            .clear("visit_complete")
            .clear("redcap_data_access_group")];
        let (rows, overwrite) = edit_rows(&schema(), pairs(&edits)).unwrap();
        assert_eq!(rows[0].get("visit_complete"), Some(""));
        assert_eq!(rows[0].get("redcap_data_access_group"), Some(""));
        assert!(overwrite);
    }

    #[test]
    fn clearing_what_cannot_be_cleared_names_the_edit_and_field() {
        for (name, why) in [
            ("record_id", "record id"),
            ("height", "no such field"),
            ("redcap_event_name", "places the row"),
        ] {
            let edits = [
                Edit::new(visit(["1", "", "", "", "", ""])),
                Edit::new(visit(["2", "", "", "", "", ""])).clear(name),
            ];
            let error = edit_rows(&schema(), pairs(&edits)).unwrap_err().to_string();
            assert!(error.contains("row 2"), "{error}");
            assert!(error.contains(name), "{error}");
            assert!(error.contains(why), "{error}");
        }
    }
}
