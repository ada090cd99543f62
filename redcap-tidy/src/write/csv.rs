//! CSV files: one header row, then each batch's rows, every value written as text a
//! spreadsheet or `read_csv` reads back to the same value.
//!
//! A checkbox field's list column, which CSV cannot hold as a list, is written as its
//! codes joined by [`LIST_SEPARATOR`] (`1|3`). An empty list and a null list are both a
//! blank cell there; the field's boolean columns, beside it, tell which.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, DecimalType, Int32Type, Int64Type, Time64MicrosecondType,
    TimestampMicrosecondType,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};

use crate::error::Error;

/// Between the codes of a checkbox field's list column in a CSV cell: `1|3`.
pub const LIST_SEPARATOR: char = '|';

/// One CSV file being written.
pub(super) struct CsvFile {
    writer: csv::Writer<BufWriter<File>>,
}

fn io_error(path: &Path, error: csv::Error) -> Error {
    Error::File {
        path: path.to_owned(),
        source: error.into(),
    }
}

impl CsvFile {
    pub(super) fn new(
        file: BufWriter<File>,
        schema: &SchemaRef,
        path: &Path,
    ) -> Result<CsvFile, Error> {
        let mut writer = csv::Writer::from_writer(file);
        writer
            .write_record(schema.fields().iter().map(|f| f.name().as_str()))
            .map_err(|e| io_error(path, e))?;
        Ok(CsvFile { writer })
    }

    pub(super) fn write(&mut self, batch: &RecordBatch, path: &Path) -> Result<(), Error> {
        let mut record: Vec<String> = vec![String::new(); batch.num_columns()];
        for row in 0..batch.num_rows() {
            for (cell, column) in record.iter_mut().zip(batch.columns()) {
                cell.clear();
                format_cell(column.as_ref(), row, cell)
                    .map_err(|message| Error::Layout(format!("{}: {message}", path.display())))?;
            }
            self.writer
                .write_record(&record)
                .map_err(|e| io_error(path, e))?;
        }
        Ok(())
    }

    pub(super) fn close(self, path: &Path) -> Result<BufWriter<File>, Error> {
        self.writer
            .into_inner()
            .map_err(|e| io_error(path, csv::Error::from(e.into_error())))
    }
}

/// Writes the value at `row` of a column built by this crate into `out` (blank for null).
fn format_cell(column: &dyn Array, row: usize, out: &mut String) -> Result<(), String> {
    use std::fmt::Write;
    if column.is_null(row) {
        return Ok(());
    }
    match column.data_type() {
        DataType::Utf8 => out.push_str(column.as_string::<i32>().value(row)),
        DataType::Int64 => {
            let _ = write!(out, "{}", column.as_primitive::<Int64Type>().value(row));
        }
        DataType::Int32 => {
            let _ = write!(out, "{}", column.as_primitive::<Int32Type>().value(row));
        }
        DataType::Boolean => out.push_str(if column.as_boolean().value(row) {
            "true"
        } else {
            "false"
        }),
        DataType::Decimal128(precision, scale) => {
            let value = column.as_primitive::<Decimal128Type>().value(row);
            out.push_str(&trim_decimal(Decimal128Type::format_decimal(
                value, *precision, *scale,
            )));
        }
        DataType::Date32 => {
            let days = column.as_primitive::<Date32Type>().value(row);
            if let Some(date) = chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0) {
                let _ = write!(out, "{}", date.format("%Y-%m-%d"));
            }
        }
        DataType::Timestamp(..) => {
            let micros = column.as_primitive::<TimestampMicrosecondType>().value(row);
            if let Some(time) = chrono::DateTime::from_timestamp_micros(micros) {
                let _ = write!(out, "{}", time.format("%Y-%m-%d %H:%M:%S"));
            }
        }
        DataType::Time64(_) => {
            let seconds = column.as_primitive::<Time64MicrosecondType>().value(row) / 1_000_000;
            let _ = write!(
                out,
                "{:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            );
        }
        DataType::Dictionary(..) => {
            let dictionary = column.as_dictionary::<Int32Type>();
            let key = dictionary.keys().value(row);
            out.push_str(dictionary.values().as_string::<i32>().value(key as usize));
        }
        DataType::List(_) => {
            // A checkbox field's ticked codes. No code contains `|`, REDCap's own
            // separator between choices, so the joined codes split back unambiguously.
            let codes = column.as_list::<i32>().value(row);
            for (i, code) in codes.as_string::<i32>().iter().enumerate() {
                if i > 0 {
                    out.push(LIST_SEPARATOR);
                }
                out.push_str(code.unwrap_or_default());
            }
        }
        other => return Err(format!("no CSV form for a column of type {other}")),
    }
    Ok(())
}

/// `20.400000000000000` → `20.4`, `3.000` → `3`: the same number, as people write it.
fn trim_decimal(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::builder::{ListBuilder, StringBuilder};

    use super::{format_cell, trim_decimal};

    #[test]
    fn a_checkbox_list_joins_its_codes() {
        let mut builder = ListBuilder::new(StringBuilder::new());
        builder.values().append_value("1");
        builder.values().append_value("3");
        builder.append(true);
        builder.append(true);
        builder.append(false);
        let column = Arc::new(builder.finish());
        let cell = |row| {
            let mut out = String::new();
            format_cell(column.as_ref(), row, &mut out).unwrap();
            out
        };
        assert_eq!(cell(0), "1|3");
        assert_eq!(cell(1), "");
        assert_eq!(cell(2), "");
    }

    #[test]
    fn decimals_lose_only_trailing_zeros() {
        assert_eq!(trim_decimal("20.400".into()), "20.4");
        assert_eq!(trim_decimal("3.000".into()), "3");
        assert_eq!(trim_decimal("100".into()), "100");
        assert_eq!(trim_decimal("-0.50".into()), "-0.5");
    }
}
