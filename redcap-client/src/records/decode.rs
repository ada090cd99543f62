//! Export bodies straight into typed rows, and typed rows back into import rows.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{DecodeMode, FlatRow, flat_json};
use crate::Row;

/// A value that does not fit its field, with where it is: row, record, column, text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}{}: column `{column}`: {}", record_part(.record), detail(.value, .expected))]
pub struct RecordError {
    /// 1-based row of the export (CSV: data row, not counting the header).
    pub row: usize,
    /// The record, when the row has one.
    pub record: Option<String>,
    /// The export column.
    pub column: String,
    /// The text found.
    pub value: String,
    /// What was expected.
    pub expected: String,
}

fn record_part(record: &Option<String>) -> String {
    match record {
        Some(record) => format!(", record `{record}`"),
        None => String::new(),
    }
}

fn detail(value: &str, expected: &str) -> String {
    format!("`{value}` is not {expected}")
}

/// Fills `row` from one column, given its id when the type has it, or says why not.
pub(super) fn set<T: FlatRow>(
    row: &mut T,
    index: Option<usize>,
    raw: &str,
    mode: DecodeMode,
) -> Result<(), (String, String)> {
    match index {
        Some(index) => row
            .set_column(index, raw, mode)
            .map_err(|error| (raw.to_string(), error.expected.into_owned())),
        // A complete `Row` knows every column of its schema, pseudo-columns included:
        // anything else (`redcap_event_name` on a classic schema, repeat columns before
        // repeating was set up) means the schema is out of date, and skipping it would
        // give rows the wrong keys.
        None if !T::COMPLETE || mode == DecodeMode::Lenient => Ok(()),
        None => Err((
            raw.to_string(),
            "a column of this type (the schema may be out of date: run `cargo redcap pull`)"
                .to_string(),
        )),
    }
}

/// Decodes a flat JSON export (`format=json`, `type=flat`) into typed rows.
pub fn decode_json<T: FlatRow>(body: &[u8], mode: DecodeMode) -> Result<Vec<T>, DecodeError> {
    // One UTF-8 check of the whole body is cheaper than serde_json's check of every string.
    let text = std::str::from_utf8(body).map_err(|error| DecodeError::Syntax(error.to_string()))?;
    let capacity = row_bound::<T>(body.len());
    match flat_json::decode(text, mode, capacity) {
        Ok(rows) => Ok(rows),
        Err(flat_json::Stop::Value(error)) => Err(DecodeError::Value(error)),
        // Outside the export shape: serde_json decides, and words any syntax error.
        Err(flat_json::Stop::Unhandled) => decode_json_with_serde(text, mode, capacity),
    }
}

/// [`decode_json`] through `serde_json`: any JSON, at a general parser's speed.
fn decode_json_with_serde<T: FlatRow>(
    text: &str,
    mode: DecodeMode,
    capacity: usize,
) -> Result<Vec<T>, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut failure = None;
    let rows = RowsSeed::<T> {
        mode,
        failure: &mut failure,
        capacity,
        marker: std::marker::PhantomData,
    }
    .deserialize(&mut deserializer);
    match (rows, failure) {
        (_, Some(error)) => Err(DecodeError::Value(error)),
        (Ok(rows), None) => {
            deserializer
                .end()
                .map_err(|error| DecodeError::Syntax(error.to_string()))?;
            Ok(rows)
        }
        (Err(error), None) => Err(DecodeError::Syntax(error.to_string())),
    }
}

/// Decodes a flat JSON export from a reader, handing each row to `sink` as soon as it is
/// complete, so memory stays flat however large the export is.
pub fn decode_json_stream<T: FlatRow, R: std::io::Read>(
    reader: R,
    mode: DecodeMode,
    sink: &mut dyn FnMut(T),
) -> Result<usize, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut failure = None;
    let count = StreamSeed::<T> {
        mode,
        failure: &mut failure,
        sink,
    }
    .deserialize(&mut deserializer);
    match (count, failure) {
        (_, Some(error)) => Err(DecodeError::Value(error)),
        (Ok(count), None) => {
            deserializer
                .end()
                .map_err(|error| DecodeError::Syntax(error.to_string()))?;
            Ok(count)
        }
        (Err(error), None) => Err(DecodeError::Syntax(error.to_string())),
    }
}

struct StreamSeed<'a, T> {
    mode: DecodeMode,
    failure: &'a mut Option<RecordError>,
    sink: &'a mut dyn FnMut(T),
}

impl<'de, T: FlatRow> DeserializeSeed<'de> for StreamSeed<'_, T> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: FlatRow> Visitor<'de> for StreamSeed<'_, T> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of export rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut number = 0;
        loop {
            number += 1;
            let seed = RowSeed::<T> {
                mode: self.mode,
                number,
                marker: std::marker::PhantomData,
            };
            match seq.next_element_seed(seed)? {
                None => return Ok(number - 1),
                Some(Ok(row)) => (self.sink)(row),
                Some(Err(error)) => {
                    *self.failure = Some(error);
                    return Err(de::Error::custom("a value does not fit its field"));
                }
            }
        }
    }
}

/// Why an export body could not become typed rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not a JSON array of objects (or not CSV).
    #[error("the export is malformed: {0}")]
    Syntax(String),
    /// A value does not fit its field.
    #[error(transparent)]
    Value(RecordError),
}

/// At most how many rows of `T` a JSON body of `len` bytes holds: every row spells out each
/// of its columns as `"name":""` at least. Reserving that up front spares the copies of
/// growing a vector of wide rows; pages never written cost no memory.
fn row_bound<T: FlatRow>(len: usize) -> usize {
    let least_per_row: usize = T::COLUMNS.iter().map(|column| column.len() + 5).sum();
    // A partial type may meet exports without its columns: never trust the bound beyond
    // one row per 64 bytes.
    len / least_per_row.max(64)
}

struct RowsSeed<'f, T> {
    mode: DecodeMode,
    failure: &'f mut Option<RecordError>,
    /// Rows to reserve room for.
    capacity: usize,
    marker: std::marker::PhantomData<T>,
}

impl<'de, T: FlatRow> DeserializeSeed<'de> for RowsSeed<'_, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<T>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: FlatRow> Visitor<'de> for RowsSeed<'_, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of export rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut rows = Vec::with_capacity(self.capacity);
        let row_seed = RowSeed::<T> {
            mode: self.mode,
            number: 0,
            marker: std::marker::PhantomData,
        };
        let mut number = 0;
        loop {
            number += 1;
            let seed = RowSeed { number, ..row_seed };
            match seq.next_element_seed(seed)? {
                None => return Ok(rows),
                Some(Ok(row)) => rows.push(row),
                Some(Err(error)) => {
                    *self.failure = Some(error);
                    return Err(de::Error::custom("a value does not fit its field"));
                }
            }
        }
    }
}

struct RowSeed<T> {
    mode: DecodeMode,
    number: usize,
    marker: std::marker::PhantomData<T>,
}

impl<T> Clone for RowSeed<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for RowSeed<T> {}

impl<'de, T: FlatRow> DeserializeSeed<'de> for RowSeed<T> {
    type Value = Result<T, RecordError>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: FlatRow> Visitor<'de> for RowSeed<T> {
    type Value = Result<T, RecordError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an export row (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut row = T::default();
        // REDCap puts the record id first: remember it to name the record in errors.
        let mut record: Option<String> = None;
        // REDCap writes columns in the type's order, so the next column is almost always
        // the one after the last: check that before the full lookup.
        let mut next = 0;
        while let Some(Cell(column)) = map.next_key::<Cell<'de>>()? {
            let Cell(raw) = map.next_value::<Cell<'de>>()?;
            if record.is_none() {
                record = Some(raw.to_string());
            }
            let index = match T::COLUMNS.get(next) {
                Some(expected) if *expected == column => Some(next),
                _ => T::column_index(&column),
            };
            if let Some(index) = index {
                next = index + 1;
            }
            let outcome = set(&mut row, index, &raw, self.mode);
            if let Err((value, expected)) = outcome {
                // Drain the rest of the object so the error is about values, not syntax.
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                return Ok(Err(RecordError {
                    row: self.number,
                    record,
                    column: column.into_owned(),
                    value,
                    expected,
                }));
            }
        }
        Ok(Ok(row))
    }
}

/// A cell's text: a string, or an integer kept as its digits (REDCap sends
/// `redcap_repeat_instance` as a number). Anything else is refused.
struct Cell<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Cell<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CellVisitor)
    }
}

struct CellVisitor;

impl<'de> Visitor<'de> for CellVisitor {
    type Value = Cell<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Cell<'de>, E> {
        Ok(Cell(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Cell<'de>, E> {
        Ok(Cell(Cow::Owned(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Cell<'de>, E> {
        Ok(Cell(Cow::Owned(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Cell<'de>, E> {
        Ok(Cell(Cow::Owned(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Cell<'de>, E> {
        Ok(Cell(Cow::Owned(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Cell<'de>, E> {
        Ok(Cell(Cow::Borrowed("")))
    }
}

/// Decodes a flat CSV export (header row first) into typed rows.
pub fn decode_csv<T: FlatRow>(body: &[u8], mode: DecodeMode) -> Result<Vec<T>, DecodeError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let syntax = |error: csv::Error| DecodeError::Syntax(error.to_string());
    let header: Vec<String> = reader
        .headers()
        .map_err(syntax)?
        .iter()
        .map(str::to_string)
        .collect();
    // The header names every row's columns: look each up once.
    let indexes: Vec<Option<usize>> = header.iter().map(|c| T::column_index(c)).collect();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut number = 0;
    while reader.read_record(&mut record).map_err(syntax)? {
        number += 1;
        let mut row = T::default();
        for ((column, index), raw) in header.iter().zip(&indexes).zip(record.iter()) {
            if let Err((value, expected)) = set(&mut row, *index, raw, mode) {
                return Err(DecodeError::Value(RecordError {
                    row: number,
                    record: record.get(0).map(str::to_string),
                    column: column.clone(),
                    value,
                    expected,
                }));
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Typed rows as import rows with only `columns`, in that order (e.g. the columns an
/// export had). Columns the type does not know are left out.
pub fn encode_rows_as<T: FlatRow>(rows: &[T], columns: &[&str]) -> Vec<Row> {
    let indexes: Vec<(&str, usize)> = columns
        .iter()
        .filter_map(|column| T::column_index(column).map(|index| (*column, index)))
        .collect();
    rows.iter()
        .map(|row| {
            indexes
                .iter()
                .map(|(column, index)| (*column, row.column_text(*index).into_owned()))
                .collect()
        })
        .collect()
}

/// Typed rows as import rows: every column of the type, in order, with its exact text.
pub fn encode_rows<T: FlatRow>(rows: &[T]) -> Vec<Row> {
    rows.iter()
        .map(|row| {
            T::COLUMNS
                .iter()
                .enumerate()
                .map(|(index, column)| (*column, row.column_text(index).into_owned()))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::{DecodeError, decode_json, decode_json_with_serde, flat_json};
    use crate::records::{DecodeMode, FlatRow, ValueError};

    /// A complete row type that keeps each cell's text and refuses the value `bad`.
    #[derive(Default, Debug, PartialEq)]
    struct Cells([String; 3]);

    impl FlatRow for Cells {
        const FIELDS: &'static [&'static str] = &["record_id", "age", "note"];
        const COLUMNS: &'static [&'static str] = &["record_id", "age", "note"];
        const COMPLETE: bool = true;
        fn column_index(column: &str) -> Option<usize> {
            Self::COLUMNS.iter().position(|c| *c == column)
        }
        fn set_column(&mut self, index: usize, raw: &str, _: DecodeMode) -> Result<(), ValueError> {
            if raw == "bad" {
                return Err(ValueError::expected("anything but `bad`"));
            }
            self.0[index] = raw.to_string();
            Ok(())
        }
        fn column_text(&self, index: usize) -> Cow<'_, str> {
            Cow::Borrowed(&self.0[index])
        }
    }

    fn both(
        body: &str,
    ) -> (
        Result<Vec<Cells>, DecodeError>,
        Result<Vec<Cells>, DecodeError>,
    ) {
        (
            decode_json::<Cells>(body.as_bytes(), DecodeMode::Strict),
            decode_json_with_serde::<Cells>(body, DecodeMode::Strict, 0),
        )
    }

    /// Bodies in the export shape, which the fast reader must handle itself.
    const IN_SHAPE: &[&str] = &[
        "[]",
        " [ ] ",
        "[{}]",
        r#"[{"record_id":"1","age":"42","note":"plain"}]"#,
        "[\n {\"record_id\" : \"1\" ,\r\n\t\"age\":\"\"}\n,{\"note\":\"x\",\"record_id\":\"2\"} ]\n",
        r#"[{"record_id":"1","note":"a \"quoted\" word, a back\\slash, a \/ slash\n\r\t\b\f"}]"#,
        r#"[{"record_id":"1","note":"\u00e9t\u00c9 \ud83d\ude00 \u0000 done"}]"#,
        r#"[{"record_id":"S\u00f8ren","note":"Søren Müller, ünïcode raw"}]"#,
        r#"[{"record_id":"1","age":12,"note":null},{"record_id":"2","age":-7,"note":0}]"#,
        r#"[{"record_id":"1","age":"42","note":"x","age":"43"}]"#,
        r#"[{"record_id":"1","age":"bad"}]"#,
        r#"[{"record_id":"1","weight":"70"}]"#,
        r#"[{"record_id":"1"},{"record_id":"2","note":"bad"}]"#,
    ];

    /// Bodies outside the shape (or not JSON), which go to serde_json.
    const OUT_OF_SHAPE: &[&str] = &[
        "",
        "{}",
        "[{\"record_id\":\"1\"}] x",
        r#"[{"record_id":true}]"#,
        r#"[{"record_id":1.5}]"#,
        r#"[{"record_id":1e3}]"#,
        r#"[{"record_id":-0}]"#,
        r#"[{"record_id":007}]"#,
        r#"[{"record_id":123456789012345678901234}]"#,
        r#"[{"record_id":["1"]}]"#,
        r#"[{"record_\u0069d":"1"}]"#,
        r#"[{"record_id":"\ud83d"}]"#,
        r#"[{"record_id":"\ude00\ud83d"}]"#,
        r#"[{"record_id":"\x"}]"#,
        "[{\"record_id\":\"a\u{1}b\"}]",
        r#"[{"record_id":"1",}]"#,
        r#"[{"record_id":"1"},]"#,
        r#"[{"record_id" "1"}]"#,
        r#"[{"record_id":nul}]"#,
    ];

    #[test]
    fn the_fast_reader_handles_the_export_shape() {
        for body in IN_SHAPE {
            let fast = flat_json::decode::<Cells>(body, DecodeMode::Strict, 0);
            assert!(
                !matches!(fast, Err(flat_json::Stop::Unhandled)),
                "left to serde_json: {body}"
            );
        }
        for body in OUT_OF_SHAPE {
            let fast = flat_json::decode::<Cells>(body, DecodeMode::Strict, 0);
            assert!(
                matches!(fast, Err(flat_json::Stop::Unhandled)),
                "handled: {body}"
            );
        }
    }

    #[test]
    fn every_body_and_every_prefix_decodes_as_serde_json_decodes_it() {
        for body in IN_SHAPE.iter().chain(OUT_OF_SHAPE) {
            for end in (0..=body.len()).filter(|end| body.is_char_boundary(*end)) {
                let prefix = &body[..end];
                let (fast, serde) = both(prefix);
                assert_eq!(fast, serde, "body {prefix:?}");
            }
        }
    }

    #[test]
    fn values_come_out_unescaped() {
        let rows = decode_json::<Cells>(IN_SHAPE[6].as_bytes(), DecodeMode::Strict).unwrap();
        assert_eq!(rows[0].0[2], "étÉ 😀 \u{0} done");
        let rows = decode_json::<Cells>(IN_SHAPE[8].as_bytes(), DecodeMode::Strict).unwrap();
        assert_eq!(rows[1].0, ["2".to_string(), "-7".into(), "0".into()]);
        assert_eq!(rows[0].0[2], "");
    }
}
