//! Export bodies straight into typed rows, and typed rows back into import rows.
//!
//! Every decoder reads the whole export, leaving a cell that does not fit its field unset
//! and listing it ([`InvalidCells`]). The plain functions then refuse the export with that
//! list; the `_with_report` ones hand back the rows with the list beside them.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::invalid::{Collector, InvalidCells, RowOutcome};
use super::{DecodeMode, FlatRow, flat_json};
use crate::Row;

/// Typed rows, and the cells that did not fit their fields.
///
/// Each invalid cell is left unset (`None`, blank) in its row and listed in `invalid`, so
/// nothing is lost without a word; a row whose key (event, repeat instrument or instance)
/// does not fit is left out whole and its cells listed with `row_withheld`.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded<T> {
    /// The rows, in export order.
    pub rows: Vec<T>,
    /// Every cell that does not fit its field, in export order.
    pub invalid: InvalidCells,
}

impl<T> Decoded<T> {
    /// How many rows the export had: those kept and those left out whole.
    pub(crate) fn rows_read(&self) -> usize {
        self.rows.len() + self.invalid.withheld_rows()
    }

    /// The rows when every cell fit; otherwise the list of cells that did not.
    pub fn strict(self) -> Result<Vec<T>, DecodeError> {
        if self.invalid.is_empty() {
            Ok(self.rows)
        } else {
            Err(DecodeError::Value(self.invalid))
        }
    }
}

/// Fills `row` from one column, given its id when the type has it, or says what the
/// column would need to hold.
pub(super) fn set<T: FlatRow>(
    row: &mut T,
    index: Option<usize>,
    raw: &str,
    mode: DecodeMode,
) -> Result<(), String> {
    match index {
        Some(index) => row
            .set_column(index, raw, mode)
            .map_err(|error| error.expected.into_owned()),
        // A complete `Row` knows every column of its schema, pseudo-columns included:
        // anything else (`redcap_event_name` on a classic schema, repeat columns before
        // repeating was set up) means the schema is out of date, and skipping it would
        // give rows the wrong keys.
        None if !T::COMPLETE || mode == DecodeMode::Lenient => Ok(()),
        None => Err(
            "a column of this type (the schema may be out of date: run `cargo redcap pull`)"
                .to_string(),
        ),
    }
}

/// Sets one cell, noting it for the context of the row's invalid cells.
pub(super) fn cell<T: FlatRow>(
    row: &mut T,
    collector: &mut Collector,
    column: &str,
    index: Option<usize>,
    raw: &str,
    mode: DecodeMode,
) {
    collector.note(column, raw);
    fill(row, collector, column, index, raw, mode);
}

/// Sets one cell, or lists it with the row's invalid cells when it does not fit.
fn fill<T: FlatRow>(
    row: &mut T,
    collector: &mut Collector,
    column: &str,
    index: Option<usize>,
    raw: &str,
    mode: DecodeMode,
) {
    if let Err(expected) = set(row, index, raw, mode) {
        collector.fail(column, raw, expected);
    }
}

/// Takes a finished row into `rows` unless its key did not fit.
pub(super) fn keep<T>(rows: &mut Vec<T>, row: T, outcome: RowOutcome) {
    if outcome != RowOutcome::Withheld {
        rows.push(row);
    }
}

/// Decodes a flat JSON export (`format=json`, `type=flat`) into typed rows.
///
/// Every row is read; when any cell does not fit its field the error lists them all
/// ([`DecodeError::Value`]). [`decode_json_with_report`] keeps the valid data instead.
pub fn decode_json<T: FlatRow>(body: &[u8], mode: DecodeMode) -> Result<Vec<T>, DecodeError> {
    decode_json_with_report(body, mode)?.strict()
}

/// Decodes a flat JSON export into typed rows, with the cells that do not fit their
/// fields listed beside them instead of failing the export. Only a malformed body is an
/// error.
pub fn decode_json_with_report<T: FlatRow>(
    body: &[u8],
    mode: DecodeMode,
) -> Result<Decoded<T>, DecodeError> {
    // One UTF-8 check of the whole body is cheaper than serde_json's check of every string.
    let text = std::str::from_utf8(body).map_err(|error| DecodeError::Syntax(error.to_string()))?;
    let capacity = row_bound::<T>(body.len());
    match flat_json::decode(text, mode, capacity) {
        Some(decoded) => Ok(decoded),
        // Outside the export shape: serde_json decides, and words any syntax error.
        None => decode_json_with_serde(text, mode, capacity),
    }
}

/// [`decode_json_with_report`] through `serde_json`: any JSON, at a general parser's speed.
fn decode_json_with_serde<T: FlatRow>(
    text: &str,
    mode: DecodeMode,
    capacity: usize,
) -> Result<Decoded<T>, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut rows = Vec::with_capacity(capacity);
    let mut collector = Collector::default();
    RowsSeed::<T> {
        mode,
        collector: &mut collector,
        sink: &mut |row, outcome| keep(&mut rows, row, outcome),
    }
    .deserialize(&mut deserializer)
    .and_then(|_| deserializer.end())
    .map_err(|error| DecodeError::Syntax(error.to_string()))?;
    Ok(Decoded {
        rows,
        invalid: collector.finish(),
    })
}

/// Decodes a flat JSON export from a reader, handing each row to `sink` as soon as it is
/// complete, so memory stays flat however large the export is.
///
/// Only rows whose every cell fits are handed on; when any cell does not fit, the stream
/// is still read to the end and the error lists every such cell.
pub fn decode_json_stream<T: FlatRow, R: std::io::Read>(
    reader: R,
    mode: DecodeMode,
    sink: &mut dyn FnMut(T),
) -> Result<usize, DecodeError> {
    let mut count = 0;
    let invalid = stream(reader, mode, &mut |row, outcome| {
        if outcome == RowOutcome::Clean {
            count += 1;
            sink(row);
        }
    })?;
    if invalid.is_empty() {
        Ok(count)
    } else {
        Err(DecodeError::Value(invalid))
    }
}

/// As [`decode_json_stream`], handing on every row whose key fits, with its invalid cells
/// unset, and returning the count of rows handed on and the cells that did not fit.
pub fn decode_json_stream_with_report<T: FlatRow, R: std::io::Read>(
    reader: R,
    mode: DecodeMode,
    sink: &mut dyn FnMut(T),
) -> Result<(usize, InvalidCells), DecodeError> {
    let mut count = 0;
    let invalid = stream(reader, mode, &mut |row, outcome| {
        if outcome != RowOutcome::Withheld {
            count += 1;
            sink(row);
        }
    })?;
    Ok((count, invalid))
}

fn stream<T: FlatRow, R: std::io::Read>(
    reader: R,
    mode: DecodeMode,
    sink: &mut dyn FnMut(T, RowOutcome),
) -> Result<InvalidCells, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut collector = Collector::default();
    RowsSeed::<T> {
        mode,
        collector: &mut collector,
        sink,
    }
    .deserialize(&mut deserializer)
    .and_then(|_| deserializer.end())
    .map_err(|error| DecodeError::Syntax(error.to_string()))?;
    Ok(collector.finish())
}

/// Why an export body could not become typed rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not a JSON array of objects (or not CSV).
    #[error("the export is malformed: {0}")]
    Syntax(String),
    /// Values do not fit their fields: every such cell of the export.
    #[error(transparent)]
    Value(InvalidCells),
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

/// The array of rows, each handed to `sink` with what became of it.
struct RowsSeed<'a, T> {
    mode: DecodeMode,
    collector: &'a mut Collector,
    sink: &'a mut dyn FnMut(T, RowOutcome),
}

impl<'de, T: FlatRow> DeserializeSeed<'de> for RowsSeed<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: FlatRow> Visitor<'de> for RowsSeed<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of export rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut number = 0;
        loop {
            number += 1;
            let seed = RowSeed::<T> {
                mode: self.mode,
                collector: &mut *self.collector,
                marker: std::marker::PhantomData,
            };
            match seq.next_element_seed(seed)? {
                None => return Ok(()),
                Some(row) => {
                    let outcome = self.collector.end_row(number);
                    (self.sink)(row, outcome);
                }
            }
        }
    }
}

struct RowSeed<'a, T> {
    mode: DecodeMode,
    collector: &'a mut Collector,
    marker: std::marker::PhantomData<T>,
}

impl<'de, T: FlatRow> DeserializeSeed<'de> for RowSeed<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, T: FlatRow> Visitor<'de> for RowSeed<'_, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an export row (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut row = T::default();
        // REDCap writes columns in the type's order, so the next column is almost always
        // the one after the last: check that before the full lookup.
        let mut next = 0;
        while let Some(Cell(column)) = map.next_key::<Cell<'de>>()? {
            let Cell(raw) = map.next_value::<Cell<'de>>()?;
            let index = match T::COLUMNS.get(next) {
                Some(expected) if *expected == column => Some(next),
                _ => T::column_index(&column),
            };
            if let Some(index) = index {
                next = index + 1;
            }
            cell(&mut row, self.collector, &column, index, &raw, self.mode);
        }
        Ok(row)
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
///
/// Every row is read; when any cell does not fit its field the error lists them all. A
/// header that names a column twice is refused: one of the two values would be lost.
pub fn decode_csv<T: FlatRow>(body: &[u8], mode: DecodeMode) -> Result<Vec<T>, DecodeError> {
    decode_csv_with_report(body, mode)?.strict()
}

/// Decodes a flat CSV export into typed rows, with the cells that do not fit their fields
/// listed beside them instead of failing the export.
pub fn decode_csv_with_report<T: FlatRow>(
    body: &[u8],
    mode: DecodeMode,
) -> Result<Decoded<T>, DecodeError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let syntax = |error: csv::Error| DecodeError::Syntax(error.to_string());
    let mut decoder = CsvDecoder::new(reader.headers().map_err(syntax)?.iter(), mode)?;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(syntax)? {
        decoder.row(record.iter());
    }
    Ok(decoder.finish())
}

/// Typed rows from CSV rows one at a time, for readers that parse the CSV themselves
/// (a bulk export decodes each row as its bytes arrive).
pub(crate) struct CsvDecoder<T> {
    header: Vec<String>,
    /// The type's column id of each header column.
    indexes: Vec<Option<usize>>,
    /// Whether a header column is one the collector notes for the context of invalid
    /// cells (the first, and the key columns): the others skip it.
    noted: Vec<bool>,
    mode: DecodeMode,
    rows: Vec<T>,
    collector: Collector,
    number: usize,
}

impl<T: FlatRow> CsvDecoder<T> {
    /// A decoder for rows under this header; a header that names a column twice is
    /// refused, since one of the two values would be lost.
    pub(crate) fn new<'a>(
        header: impl IntoIterator<Item = &'a str>,
        mode: DecodeMode,
    ) -> Result<Self, DecodeError> {
        let header: Vec<String> = header.into_iter().map(str::to_string).collect();
        let mut seen = std::collections::HashSet::with_capacity(header.len());
        if let Some(twice) = header.iter().find(|column| !seen.insert(column.as_str())) {
            return Err(DecodeError::Syntax(format!(
                "the header names column `{twice}` twice"
            )));
        }
        // The header names every row's columns: look each up once.
        let indexes = header.iter().map(|c| T::column_index(c)).collect();
        let noted = (0..header.len())
            .map(|at| at == 0 || Collector::notes(&header[at]))
            .collect();
        Ok(Self {
            header,
            indexes,
            noted,
            mode,
            rows: Vec::new(),
            collector: Collector::default(),
            number: 0,
        })
    }

    /// Decodes the next row, its cells in header order.
    pub(crate) fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) {
        self.number += 1;
        let mut row = T::default();
        let columns = self.header.iter().zip(&self.indexes).zip(&self.noted);
        for (((column, index), noted), raw) in columns.zip(cells) {
            if *noted {
                self.collector.note(column, raw);
            }
            fill(
                &mut row,
                &mut self.collector,
                column,
                *index,
                raw,
                self.mode,
            );
        }
        let outcome = self.collector.end_row(self.number);
        keep(&mut self.rows, row, outcome);
    }

    /// The rows decoded, and the cells that did not fit.
    pub(crate) fn finish(self) -> Decoded<T> {
        Decoded {
            rows: self.rows,
            invalid: self.collector.finish(),
        }
    }
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

    use super::{
        DecodeError, Decoded, decode_csv, decode_csv_with_report, decode_json, decode_json_stream,
        decode_json_stream_with_report, decode_json_with_report, decode_json_with_serde, flat_json,
    };
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

    type Outcome = Result<Decoded<Cells>, DecodeError>;

    fn both(body: &str) -> (Outcome, Outcome) {
        (
            decode_json_with_report::<Cells>(body.as_bytes(), DecodeMode::Strict),
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
            assert!(fast.is_some(), "left to serde_json: {body}");
        }
        for body in OUT_OF_SHAPE {
            let fast = flat_json::decode::<Cells>(body, DecodeMode::Strict, 0);
            assert!(fast.is_none(), "handled: {body}");
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

    /// Three bad cells over two rows, a key column among them, between good rows.
    const MIXED: &str = r#"[{"record_id":"1","age":"bad","note":"kept"},{"record_id":"2","age":"7"},{"record_id":"3","age":"bad","note":"bad"}]"#;

    #[test]
    fn every_invalid_cell_is_listed_at_once() {
        let Err(DecodeError::Value(cells)) =
            decode_json::<Cells>(MIXED.as_bytes(), DecodeMode::Strict)
        else {
            panic!("three cells do not fit");
        };
        let found: Vec<(usize, Option<&str>, &str)> = cells
            .iter()
            .map(|c| (c.row, c.record.as_deref(), c.column.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (1, Some("1"), "age"),
                (3, Some("3"), "age"),
                (3, Some("3"), "note")
            ]
        );
        assert!(cells.iter().all(|c| c.value == "bad" && !c.row_withheld));
    }

    #[test]
    fn the_report_keeps_valid_data_and_leaves_invalid_cells_unset() {
        let decoded =
            decode_json_with_report::<Cells>(MIXED.as_bytes(), DecodeMode::Strict).unwrap();
        assert_eq!(decoded.rows.len(), 3);
        assert_eq!(
            decoded.rows[0].0,
            ["1".to_string(), String::new(), "kept".into()]
        );
        assert_eq!(
            decoded.rows[1].0,
            ["2".to_string(), "7".into(), String::new()]
        );
        assert_eq!(decoded.invalid.len(), 3);

        // The same through CSV and the stream.
        let csv = "record_id,age,note\n1,bad,kept\n2,7,\n3,bad,bad\n";
        let from_csv = decode_csv_with_report::<Cells>(csv.as_bytes(), DecodeMode::Strict).unwrap();
        assert_eq!(from_csv, decoded);
        let Err(DecodeError::Value(cells)) =
            decode_csv::<Cells>(csv.as_bytes(), DecodeMode::Strict)
        else {
            panic!("three cells do not fit");
        };
        assert_eq!(cells, decoded.invalid);

        let mut streamed = Vec::new();
        let (count, cells) = decode_json_stream_with_report::<Cells, _>(
            MIXED.as_bytes(),
            DecodeMode::Strict,
            &mut |row| streamed.push(row),
        )
        .unwrap();
        assert_eq!(
            (count, &streamed, &cells),
            (3, &decoded.rows, &decoded.invalid)
        );

        // A strict stream hands on the valid rows only, then lists every invalid cell.
        let mut clean = Vec::new();
        let outcome =
            decode_json_stream::<Cells, _>(MIXED.as_bytes(), DecodeMode::Strict, &mut |row| {
                clean.push(row)
            });
        assert_eq!(outcome, Err(DecodeError::Value(decoded.invalid.clone())));
        assert_eq!(clean, [Cells(["2".into(), "7".into(), String::new()])]);
    }

    #[test]
    fn a_csv_header_naming_a_column_twice_is_refused() {
        let csv = "record_id,age,age\n1,2,3\n";
        let error = decode_csv::<Cells>(csv.as_bytes(), DecodeMode::Strict).unwrap_err();
        assert_eq!(
            error,
            DecodeError::Syntax("the header names column `age` twice".into())
        );
    }
}
