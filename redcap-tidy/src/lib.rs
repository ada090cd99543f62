//! Tidy, typed tables from REDCap exports.
//!
//! REDCap's flat export has one wide row per record, event and repeat instance, blank
//! cells for instruments that do not apply, checkboxes as `field___code` columns and
//! codes instead of labels. This crate turns it, from a project's
//! [`ProjectSchema`](redcap_schema::ProjectSchema) at run time, into one Arrow table per
//! instrument:
//!
//! - **Rows**: a row of the export enters an instrument's table when one of that
//!   instrument's cells in it is not blank, so nothing is invented for instruments that
//!   do not apply. Each table is keyed by the record ID, and where the project has them
//!   `redcap_event_name` (with `redcap_arm`), `redcap_repeat_instance` (on instruments
//!   that repeat, as instruments or within repeating events) and
//!   `redcap_data_access_group`.
//! - **Types from the dictionary**: dates (`Date32`), date-times (`Timestamp`, µs, no
//!   zone), times (`Time64`), integers (`Int64`), exact decimals (`Decimal128`, scale from
//!   `number_Ndp`, else 15), booleans for yes/no, true/false and each checkbox choice,
//!   choice fields as dictionary-encoded codes with a `<field>_label` column beside,
//!   `<form>_complete` likewise, text otherwise.
//! - **Checkboxes** have both forms: one boolean column per choice (`<field>___<code>`,
//!   as REDCap exports them) and, before them, a list column named after the field
//!   (`List<Utf8>`) holding the ticked codes in the dictionary's order.
//! - **Missing-data codes** go to a `<field>_missing` column and leave the value null, so
//!   `UNK` never reads as a blank or a zero; a checkbox's missing-data codes are its own
//!   boolean columns, never entries of its list, which is null when a code is ticked
//!   and no choice is.
//! - **Metadata**: every column carries its field's label, note, type, validation,
//!   range, choices and annotation (keys in [`meta`]); the [`dictionary_batch`] table
//!   lists every field.
//! - **Never a lost value**: a cell that fits neither its column nor the missing-data
//!   codes stops the conversion with [`Error::Value`], naming the row, record, event,
//!   instance, field and value.
//!
//! ```
//! let schema = redcap_schema::read(
//!     b"Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number\n\
//!       record_id,visit,,text,Record ID,,,\n\
//!       seen,visit,,text,Seen on,,,date_ymd\n\
//!       smoker,visit,,yesno,Smoker?,,,\n",
//!     "dictionary.csv",
//! )?;
//! let export = "record_id,seen,smoker,visit_complete\n1,2026-01-05,1,2\n2,,0,0\n";
//! let tables = redcap_tidy::tables_from_csv(&schema, export.as_bytes())?;
//! let visit = &tables.instruments[0];
//! assert_eq!(visit.name, "visit");
//! assert_eq!(visit.batch.num_rows(), 2);
//! assert_eq!(
//!     visit.batch.schema().field_with_name("seen")?.data_type(),
//!     &arrow_schema::DataType::Date32
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checkbox;
mod column;
mod convert;
mod dictionary;
mod error;
mod json;
mod layout;
mod parse;
pub mod write;

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use redcap_schema::ProjectSchema;

pub use convert::{Cells, Converter, DEFAULT_BATCH_ROWS, Summary, TableSink};
pub use dictionary::{dictionary_batch, dictionary_schema};
pub use error::{Error, Place};
pub use layout::{
    ARM_COLUMN, DAG_COLUMN, EVENT_COLUMN, INSTANCE_COLUMN, REPEAT_INSTRUMENT_COLUMN, SURVEY_COLUMN,
    meta,
};
pub use write::{DirWriter, Format};

/// The name of the dictionary table (and of its file).
pub const DICTIONARY_TABLE: &str = "dictionary";

/// One instrument's whole table.
#[derive(Debug, Clone)]
pub struct Table {
    /// The instrument's name.
    pub name: String,
    /// Its rows, as one batch.
    pub batch: RecordBatch,
}

/// Every instrument's table and the dictionary.
#[derive(Debug, Clone)]
pub struct Tables {
    /// One table per instrument, in the project's order.
    pub instruments: Vec<Table>,
    /// The dictionary table.
    pub dictionary: RecordBatch,
}

/// The format of a flat record export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV with one header row, as REDCap writes `format=csv`.
    Csv,
    /// A JSON array of objects, one per row, as REDCap writes `format=json`: every
    /// object has the same keys in the same order, and every value is text.
    Json,
}

impl ExportFormat {
    /// Tells an export's format from its first bytes: JSON starts with `[` or `{` (after
    /// any white space or byte-order mark), which no CSV export's header does, since a
    /// field name starts with a letter.
    pub fn sniff(start: &[u8]) -> ExportFormat {
        let start = start.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(start);
        match start.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[' | b'{') => ExportFormat::Json,
            _ => ExportFormat::Csv,
        }
    }
}

/// Collects batches in memory.
struct Collect {
    tables: Vec<(String, SchemaRef)>,
    batches: Vec<Vec<RecordBatch>>,
}

impl TableSink for Collect {
    fn write_batch(&mut self, table: usize, batch: RecordBatch) -> Result<(), Error> {
        self.batches[table].push(batch);
        Ok(())
    }
}

/// Reads a flat CSV export (as REDCap writes it: raw codes, one header row) and returns
/// one [`RecordBatch`] per instrument, in memory. For large exports, stream with
/// [`write_tables`] or a [`Converter`] and a [`TableSink`] of your own.
pub fn tables_from_csv<R: Read>(schema: &ProjectSchema, export: R) -> Result<Tables, Error> {
    tables_from(schema, export, ExportFormat::Csv)
}

/// Reads a flat export in either format (raw codes) and returns one [`RecordBatch`] per
/// instrument, in memory.
pub fn tables_from<R: Read>(
    schema: &ProjectSchema,
    export: R,
    format: ExportFormat,
) -> Result<Tables, Error> {
    let (_, sink) = convert(schema, export, format, |converter| {
        let tables: Vec<_> = converter
            .tables()
            .into_iter()
            .map(|(name, schema)| (name.to_owned(), schema))
            .collect();
        Ok(Collect {
            batches: vec![Vec::new(); tables.len()],
            tables,
        })
    })?;
    let instruments = sink
        .tables
        .into_iter()
        .zip(sink.batches)
        .map(|((name, schema), batches)| {
            Ok(Table {
                name,
                batch: arrow_select::concat::concat_batches(&schema, &batches)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Tables {
        instruments,
        dictionary: dictionary_batch(schema)?,
    })
}

/// Reads a flat CSV export and writes every instrument's table and the dictionary into
/// `dir`, batch by batch: memory stays bounded by a batch per table, whatever the
/// export's size. Returns what was converted and the files written.
pub fn write_tables<R: Read>(
    schema: &ProjectSchema,
    export: R,
    dir: &Path,
    format: Format,
) -> Result<(Summary, Vec<PathBuf>), Error> {
    write_tables_from(schema, export, ExportFormat::Csv, dir, format)
}

/// [`write_tables`] for a flat export in either format. A JSON export is read object by
/// object, never whole; an empty one (`[]`) gives empty tables of every column the
/// project exports.
pub fn write_tables_from<R: Read>(
    schema: &ProjectSchema,
    export: R,
    export_format: ExportFormat,
    dir: &Path,
    format: Format,
) -> Result<(Summary, Vec<PathBuf>), Error> {
    let (summary, writer) = convert(schema, export, export_format, |converter| {
        DirWriter::create(dir, format, &converter.tables())
    })?;
    let files = writer.finish(&dictionary_batch(schema)?)?;
    Ok((summary, files))
}

/// Converts every row of an export into the sink `open` makes for the converter (once
/// the export's header is known).
fn convert<R: Read, S: TableSink>(
    schema: &ProjectSchema,
    export: R,
    format: ExportFormat,
    mut open: impl FnMut(&Converter) -> Result<S, Error>,
) -> Result<(Summary, S), Error> {
    let (converter, mut sink) = match format {
        ExportFormat::Csv => {
            let mut reader = csv_reader(export);
            let header = reader.headers()?.clone();
            let mut converter = Converter::new(schema, &header_cells(&header))?;
            let mut sink = open(&converter)?;
            let mut record = csv::StringRecord::new();
            while reader.read_record(&mut record)? {
                converter.push_row(&record, &mut sink)?;
            }
            (converter, sink)
        }
        ExportFormat::Json => {
            let mut export = std::io::BufReader::with_capacity(1 << 16, export);
            if export
                .fill_buf()
                .map_err(serde_json::Error::io)?
                .starts_with(b"\xEF\xBB\xBF")
            {
                export.consume(3);
            }
            let mut started: Option<(Converter, S)> = None;
            json::for_each_row(export, &mut |header, cells| {
                let (converter, sink) = match &mut started {
                    Some(started) => started,
                    None => {
                        let converter = Converter::new(schema, header)?;
                        let sink = open(&converter)?;
                        started.insert((converter, sink))
                    }
                };
                converter.push_row(cells, sink)
            })?;
            match started {
                Some(started) => started,
                None => {
                    let converter = Converter::new(schema, &full_header(schema))?;
                    let sink = open(&converter)?;
                    (converter, sink)
                }
            }
        }
    };
    let summary = converter.finish(&mut sink)?;
    Ok((summary, sink))
}

/// The columns of a full flat export of the project: what an export without rows, which
/// in JSON names none, stands for.
fn full_header(schema: &ProjectSchema) -> Vec<&str> {
    let mut header = vec![schema.record_id_field.as_str()];
    if schema.project.longitudinal {
        header.push(EVENT_COLUMN);
    }
    if schema.has_repeating() {
        header.extend([REPEAT_INSTRUMENT_COLUMN, INSTANCE_COLUMN]);
    }
    header.extend(
        schema
            .export_columns()
            .into_iter()
            .filter(|c| *c != schema.record_id_field),
    );
    header
}

/// A CSV reader for REDCap's exports: a header row, rows of equal length checked by the
/// converter, a UTF-8 byte-order mark ignored.
fn csv_reader<R: Read>(export: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().flexible(true).from_reader(export)
}

/// The header's names, a leading byte-order mark removed.
fn header_cells(header: &csv::StringRecord) -> Vec<&str> {
    header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            }
        })
        .collect()
}
