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
mod layout;
mod parse;
pub mod write;

use std::io::Read;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
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

/// Collects batches in memory.
struct Collect(Vec<Vec<RecordBatch>>);

impl TableSink for Collect {
    fn write_batch(&mut self, table: usize, batch: RecordBatch) -> Result<(), Error> {
        self.0[table].push(batch);
        Ok(())
    }
}

/// Reads a flat CSV export (as REDCap writes it: raw codes, one header row) and returns
/// one [`RecordBatch`] per instrument, in memory. For large exports, stream with
/// [`write_tables`] or a [`Converter`] and a [`TableSink`] of your own.
pub fn tables_from_csv<R: Read>(schema: &ProjectSchema, export: R) -> Result<Tables, Error> {
    let mut reader = csv_reader(export);
    let header = reader.headers()?.clone();
    let mut converter = Converter::new(schema, &header_cells(&header))?;
    let tables: Vec<_> = converter
        .tables()
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect();
    let mut sink = Collect(vec![Vec::new(); tables.len()]);
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        converter.push_row(&record, &mut sink)?;
    }
    converter.finish(&mut sink)?;
    let instruments = tables
        .into_iter()
        .zip(sink.0)
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
    let mut reader = csv_reader(export);
    let header = reader.headers()?.clone();
    let mut converter = Converter::new(schema, &header_cells(&header))?;
    let mut writer = DirWriter::create(dir, format, &converter.tables())?;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        converter.push_row(&record, &mut writer)?;
    }
    let summary = converter.finish(&mut writer)?;
    let files = writer.finish(&dictionary_batch(schema)?)?;
    Ok((summary, files))
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
