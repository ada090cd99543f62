//! The API's metadata export as JSON (`content=metadata&format=json`): an
//! array of objects keyed by the dictionary's API column names.

use serde_json::Value;

use crate::dictionary::{Column, DictionaryRow};
use crate::error::Error;
use crate::read::json_util::{array_items, scalar_text, shape_error};

/// Whether an object looks like a metadata row (it has `field_name` and
/// `field_type`).
pub(crate) fn is_metadata_item(value: &Value) -> bool {
    value.get("field_name").is_some() && value.get("field_type").is_some()
}

/// Reads metadata JSON. Keys are matched by name, so their order does not
/// matter; an unknown key or a non-scalar value is an error naming the item.
pub fn read_metadata_json(text: &str, source_name: &str) -> Result<Vec<DictionaryRow>, Error> {
    let items = array_items(text, source_name)?;
    let mut rows = Vec::with_capacity(items.len());
    for (index, (line, item)) in items.into_iter().enumerate() {
        let Value::Object(object) = item else {
            return Err(shape_error(
                source_name,
                line,
                format!("item {} is not an object", index + 1),
            ));
        };
        let mut row = DictionaryRow {
            row: index + 2,
            line: Some(line),
            ..DictionaryRow::default()
        };
        for (key, value) in &object {
            let Some(column) = Column::ALL.iter().find(|c| c.api_name() == key) else {
                return Err(shape_error(
                    source_name,
                    line,
                    format!("item {}: unknown key {key:?}", index + 1),
                ));
            };
            let Some(text) = scalar_text(value) else {
                return Err(shape_error(
                    source_name,
                    line,
                    format!("item {}: {key:?} is not a string", index + 1),
                ));
            };
            row.set(*column, text);
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_by_key_and_locates_bad_items() {
        let text = "[{\"field_name\":\"record_id\",\"form_name\":\"f\",\"field_type\":\"text\",\"field_label\":\"ID\"},\n{\"form_name\":\"f\",\"field_name\":\"x\",\"field_type\":\"yesno\"}]";
        let rows = read_metadata_json(text, "m.json").unwrap();
        assert_eq!(rows[1].field_name(), "x");
        assert_eq!(rows[1].get(Column::FieldType), "yesno");
        assert_eq!((rows[1].row, rows[1].line), (3, Some(2)));
        let err =
            read_metadata_json("[{\"field_name\":\"a\"},\n{\"nope\":1}]", "m.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "m.json: line 2, column 1: item 2: unknown key \"nope\""
        );
        let err = read_metadata_json("[{\"field_name\":\"a\"", "m.json").unwrap_err();
        assert!(
            err.to_string().starts_with("m.json: line 1, column"),
            "{err}"
        );
    }
}
