//! Record rows: an ordered column → value map, exactly as REDCap sent it.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};

/// One row of a record export (flat or EAV) or a report: export column names mapped to
/// the values REDCap sent, in REDCap's column order.
///
/// Values are the exact strings REDCap sent. JSON numbers (REDCap sends
/// `redcap_repeat_instance` as one) keep their literal digits. `Debug` shows the column
/// names only, because values are often patient data.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Row {
    cells: IndexMap<String, String>,
}

impl Row {
    /// An empty row.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of `column`, if the row has that column.
    pub fn get(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str)
    }

    /// Sets `column` to `value`, keeping the column's position if it exists.
    pub fn insert(&mut self, column: impl Into<String>, value: impl Into<String>) {
        self.cells.insert(column.into(), value.into());
    }

    /// Columns and values in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.cells.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Column names in order.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.cells.keys().map(String::as_str)
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Row {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            cells: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

impl fmt::Debug for Row {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row")
            .field("columns", &self.cells.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl serde::Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.cells.len()))?;
        for (column, value) in &self.cells {
            map.serialize_entry(column, value)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of column names to values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Row, A::Error> {
        let mut cells = IndexMap::with_capacity(access.size_hint().unwrap_or(16));
        while let Some(column) = access.next_key::<String>()? {
            let value: Cell = access.next_value()?;
            if cells.insert(column.clone(), value.0).is_some() {
                return Err(de::Error::custom(format!(
                    "column `{column}` appears twice"
                )));
            }
        }
        Ok(Row { cells })
    }
}

/// A cell value: a string, or an integer kept as its digits. Anything else is refused
/// rather than guessed at (a float's text cannot be recovered exactly).
struct Cell(String);

impl<'de> serde::Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl Visitor<'_> for CellVisitor {
    type Value = Cell;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Cell, E> {
        Ok(Cell(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Cell, E> {
        Ok(Cell(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Cell, E> {
        Ok(Cell(value.to_string()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Cell, E> {
        Ok(Cell(value.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Cell, E> {
        Ok(Cell(String::new()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Cell, E> {
        Err(E::custom(format!(
            "a non-integer JSON number ({value}) whose exact text cannot be kept"
        )))
    }
}

/// A CSV body that is not a well-formed table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CSV line {line}: {message}")]
pub struct CsvError {
    /// 1-based line where the bad record starts.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Decodes CSV text with a header row into rows (e.g. a `send_raw` export in CSV).
///
/// Cells are kept exactly: no trimming, quoted line breaks preserved, a leading BOM
/// dropped. Every record must have as many cells as the header.
pub fn rows_from_csv(text: &str) -> Result<Vec<Row>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let located = |error: csv::Error| CsvError {
        line: error.position().map_or(1, csv::Position::line),
        message: error.to_string(),
    };
    let header: Vec<String> = reader
        .headers()
        .map_err(located)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(located)?;
        rows.push(
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect(),
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_keep_order_and_exact_text() {
        let body =
            r#"[{"record_id":"007","redcap_repeat_instance":2,"weight":"70.50","note":"a\nb"}]"#;
        let rows: Vec<Row> = serde_json::from_str(body).unwrap();
        let row = &rows[0];
        assert_eq!(
            row.columns().collect::<Vec<_>>(),
            ["record_id", "redcap_repeat_instance", "weight", "note"]
        );
        assert_eq!(row.get("record_id"), Some("007"));
        assert_eq!(row.get("redcap_repeat_instance"), Some("2"));
        assert_eq!(row.get("weight"), Some("70.50"));
        assert_eq!(
            serde_json::to_string(&rows).unwrap(),
            body.replace(":2,", ":\"2\",")
        );
    }

    #[test]
    fn floats_and_duplicate_columns_are_refused() {
        assert!(serde_json::from_str::<Vec<Row>>(r#"[{"a":1.5}]"#).is_err());
        assert!(serde_json::from_str::<Vec<Row>>(r#"[{"a":"1","a":"2"}]"#).is_err());
    }

    #[test]
    fn csv_rows_handle_quotes_and_line_breaks() {
        let text = "\u{feff}record_id,note\r\n007,\"a, \"\"b\"\"\nc\"\r\n2,\n";
        let rows = rows_from_csv(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("record_id"), Some("007"));
        assert_eq!(rows[0].get("note"), Some("a, \"b\"\nc"));
        assert_eq!(rows[1].get("note"), Some(""));
        let error = rows_from_csv("a,b\n1\n").unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn debug_hides_values() {
        let row: Row = [("name", "Jane Doe")].into_iter().collect();
        assert!(!format!("{row:?}").contains("Jane"));
    }
}
