//! Typed records: the runtime behind the types `cargo redcap gen` and `project!` generate.
//!
//! A type that maps export columns to typed fields implements [`FlatRow`]: the instrument
//! structs `#[derive(Record)]` writes, hand-written partial structs, and a project's
//! generated `Row` (record key plus every instrument). [`decode_json`] and [`decode_csv`]
//! fill them straight from an export body, one `match` per column name; [`encode_rows`]
//! writes them back as import rows with the exact text they came from.

#[cfg(feature = "rust_decimal")]
mod decimal_conversions;
mod decode;
mod exact;
mod flat_json;
mod invalid;
pub(crate) mod machinery;
pub(crate) mod pseudo;
pub(crate) mod values;
#[cfg(feature = "serde-wire")]
mod wire_serde;

use std::borrow::Cow;

pub(crate) use decode::CsvDecoder;
pub use decode::{
    DecodeError, Decoded, decode_csv, decode_csv_with_report, decode_json, decode_json_stream,
    decode_json_stream_with_report, decode_json_with_report, encode_rows, encode_rows_as,
};
pub use exact::{Date, DateTime, DateTimeSeconds, Integer, MinutesSeconds, Time, TimeSeconds};
pub use invalid::{InvalidCell, InvalidCells};
pub use pseudo::SurveyColumns;
pub use values::{
    Checkboxes, Choice, Decimal, FormStatus, MaybeMissing, RecordId, ValueError, WireValue,
};
#[cfg(feature = "serde-wire")]
pub use wire_serde::{Wire, WireRecords, WireRef};

/// Rows that cannot be grouped into the project's records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, record `{record}`: {message}")]
pub struct GroupError {
    /// 1-based row.
    pub row: usize,
    /// The record of the row.
    pub record: RecordId,
    /// What does not fit.
    pub message: String,
}

/// How strictly column text is read.
///
/// Whatever the mode, a cell that does not fit is never changed: it is listed (see
/// [`InvalidCells`]), and the `_with_report` decoders keep the rest of the export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DecodeMode {
    /// Every value must fit its field; a choice code the dictionary does not list, or a
    /// column a complete `Row` does not know, is an invalid cell.
    #[default]
    Strict,
    /// Choice codes the dictionary does not list are kept (as the enum's `Unknown`), and
    /// unknown columns are skipped.
    Lenient,
}

/// A type whose values live in the columns of a flat export row.
///
/// Implemented by `#[derive(Record)]` for instrument structs, and by the generated `Row`
/// of a project. Column ids are indexes into [`FlatRow::COLUMNS`].
pub trait FlatRow: Default {
    /// The field names to ask REDCap for (its `fields` parameter).
    const FIELDS: &'static [&'static str];
    /// The export columns, in REDCap's order.
    const COLUMNS: &'static [&'static str];
    /// Whether the type holds every column of the project (a generated `Row`). Decoding
    /// into such a type refuses columns it does not know (strict mode); a partial type
    /// (an instrument struct, a hand-written struct) skips them.
    const COMPLETE: bool = false;
    /// The id of an export column, if the type has it.
    fn column_index(column: &str) -> Option<usize>;
    /// Sets one column from its text.
    fn set_column(&mut self, index: usize, raw: &str, mode: DecodeMode) -> Result<(), ValueError>;
    /// The text of one column.
    fn column_text(&self, index: usize) -> Cow<'_, str>;
}

/// Where a flat row belongs: its record, event and repeat instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    /// The record.
    pub record: RecordId,
    /// Unique event name (longitudinal projects).
    pub event: Option<String>,
    /// The repeating instrument, or `None` on rows of non-repeating data and of
    /// repeating events.
    pub repeat_instrument: Option<String>,
    /// The repeat instance, or `None` on non-repeating rows.
    pub repeat_instance: Option<u32>,
    /// Unique DAG name, when the export has `redcap_data_access_group`.
    pub dag: Option<String>,
}

/// One repeat instance of an instrument or event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Instance<T> {
    /// The instance number (1, 2, …).
    pub instance: u32,
    /// Its data.
    pub data: T,
}
