//! The conversion: flat export rows in, typed batches per instrument out.

use std::sync::Arc;

use arrow_array::builder::{Int32Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::SchemaRef;
use redcap_schema::ProjectSchema;

use crate::error::{Error, Place};
use crate::layout::{Layout, TableLayout};

/// Rows a table collects before it is handed on as a batch, unless chosen otherwise:
/// large enough for efficient columnar files, small enough that 200 columns of it stay
/// within a few tens of megabytes.
pub const DEFAULT_BATCH_ROWS: usize = 8192;

/// Receives each instrument's batches as they fill.
pub trait TableSink {
    /// A batch of the table at `table` (an index into [`Converter::tables`]).
    fn write_batch(&mut self, table: usize, batch: RecordBatch) -> Result<(), Error>;
}

/// One row of a flat export: its cells by column index.
pub trait Cells {
    /// The number of cells.
    fn len(&self) -> usize;
    /// Whether the row has no cells.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The cell at `index` (blank when past the end).
    fn cell(&self, index: usize) -> &str;
}

impl Cells for csv::StringRecord {
    fn len(&self) -> usize {
        csv::StringRecord::len(self)
    }
    fn cell(&self, index: usize) -> &str {
        self.get(index).unwrap_or("")
    }
}

impl<S: AsRef<str>> Cells for [S] {
    fn len(&self) -> usize {
        <[S]>::len(self)
    }
    fn cell(&self, index: usize) -> &str {
        self.get(index).map(AsRef::as_ref).unwrap_or("")
    }
}

/// What a conversion did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Rows of the flat export read.
    pub export_rows: u64,
    /// Rows written per table, in table order.
    pub table_rows: Vec<(String, u64)>,
}

/// One instrument's table being filled.
struct Table {
    layout: TableLayout,
    record: StringBuilder,
    event: Int32Builder,
    arm: Int32Builder,
    instance: Int32Builder,
    dag: StringBuilder,
    survey: StringBuilder,
    rows: usize,
    total: u64,
}

/// Turns a flat export, row by row, into one typed table per instrument.
///
/// Every non-blank cell lands in exactly one table (the instrument its field belongs to),
/// typed from the data dictionary; a row enters an instrument's table only when one of
/// that instrument's cells in it is not blank. A cell that fits neither its type nor the
/// project's missing-data codes stops the conversion with an [`Error::Value`] naming it.
pub struct Converter {
    layout_keys: crate::layout::KeyColumns,
    columns: usize,
    events: std::collections::HashMap<String, (i32, i32)>,
    event_codes: Arc<crate::column::Codes>,
    form_index: std::collections::HashMap<String, usize>,
    longitudinal: bool,
    tables: Vec<Table>,
    batch_rows: usize,
    row: u64,
}

impl Converter {
    /// A converter for an export of `schema`'s project whose header is `header`.
    ///
    /// Fails when a column is not the project's, when the record-ID column (or, where
    /// the project needs them, the event and repeat columns) is missing, or when two
    /// columns of one table would share a name.
    pub fn new<S: AsRef<str>>(schema: &ProjectSchema, header: &[S]) -> Result<Converter, Error> {
        let header: Vec<&str> = header.iter().map(AsRef::as_ref).collect();
        let layout = Layout::new(schema, &header)?;
        let Layout {
            keys,
            tables,
            columns,
            events,
            event_codes,
            form_index,
            longitudinal,
        } = layout;
        Ok(Converter {
            layout_keys: keys,
            columns,
            events,
            event_codes,
            form_index,
            longitudinal,
            tables: tables
                .into_iter()
                .map(|layout| Table {
                    layout,
                    record: StringBuilder::new(),
                    event: Int32Builder::new(),
                    arm: Int32Builder::new(),
                    instance: Int32Builder::new(),
                    dag: StringBuilder::new(),
                    survey: StringBuilder::new(),
                    rows: 0,
                    total: 0,
                })
                .collect(),
            batch_rows: DEFAULT_BATCH_ROWS,
            row: 0,
        })
    }

    /// Hands a table on as a batch every `rows` rows (at least 1).
    pub fn batch_rows(mut self, rows: usize) -> Converter {
        self.batch_rows = rows.max(1);
        self
    }

    /// The tables, in the project's instrument order: each instrument's name and the
    /// Arrow schema of its batches (column metadata included).
    pub fn tables(&self) -> Vec<(&str, SchemaRef)> {
        self.tables
            .iter()
            .map(|t| (t.layout.form.as_str(), t.layout.schema.clone()))
            .collect()
    }

    /// Converts one row of the export.
    pub fn push_row<C: Cells + ?Sized>(
        &mut self,
        cells: &C,
        sink: &mut dyn TableSink,
    ) -> Result<(), Error> {
        self.row += 1;
        let keys = &self.layout_keys;
        let text = |column: Option<usize>| column.map(|c| cells.cell(c)).unwrap_or("");
        let place = || {
            let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            Box::new(Place {
                row: self.row,
                record: cells.cell(keys.record).to_owned(),
                event: non_empty(text(keys.event)),
                instrument: non_empty(text(keys.repeat_instrument)),
                instance: non_empty(text(keys.repeat_instance)),
            })
        };
        let row_error = |message: String| Error::Row {
            place: place(),
            message,
        };
        if cells.len() != self.columns {
            return Err(row_error(format!(
                "{} cells where the header has {}",
                cells.len(),
                self.columns
            )));
        }
        let record = cells.cell(keys.record);
        if record.is_empty() {
            return Err(row_error("the record ID is blank".into()));
        }
        let event = if self.longitudinal {
            let name = text(keys.event);
            let Some(&(key, arm)) = self.events.get(name) else {
                return Err(row_error(format!(
                    "`{name}` is not an event of this project"
                )));
            };
            Some((key, arm))
        } else {
            None
        };
        let instance = match text(keys.repeat_instance) {
            "" => None,
            number => match number.parse::<i32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    return Err(row_error(format!(
                        "repeat instance `{number}` is not a whole number from 1"
                    )));
                }
            },
        };
        let only = match text(keys.repeat_instrument) {
            "" => None,
            form => match self.form_index.get(form) {
                Some(&index) => Some(index),
                None => {
                    return Err(row_error(format!(
                        "`{form}` is not an instrument of this project"
                    )));
                }
            },
        };
        if only.is_some() && instance.is_none() {
            return Err(row_error(
                "a repeating instrument's row without a repeat instance".into(),
            ));
        }
        for (index, table) in self.tables.iter_mut().enumerate() {
            let filled = table
                .layout
                .slots
                .iter()
                .any(|slot| !cells.cell(slot.source).is_empty());
            if !filled {
                continue;
            }
            if only.is_some_and(|only| only != index) {
                let slot = table
                    .layout
                    .slots
                    .iter()
                    .find(|slot| !cells.cell(slot.source).is_empty())
                    .map(|slot| slot.name.clone())
                    .unwrap_or_default();
                return Err(row_error(format!(
                    "field `{slot}` of instrument `{}` has a value on a row of another repeating instrument",
                    table.layout.form
                )));
            }
            if instance.is_some() && !table.layout.repeats {
                return Err(row_error(format!(
                    "instrument `{}` has values on a repeat row, but it does not repeat",
                    table.layout.form
                )));
            }
            for slot in &mut table.layout.slots {
                let value = cells.cell(slot.source);
                if let Err(expected) = slot.push(value) {
                    return Err(Error::Value {
                        place: place(),
                        field: slot.name.clone(),
                        value: value.to_owned(),
                        expected,
                    });
                }
            }
            // After the boolean columns, which have checked every checkbox cell.
            for (_, list) in &mut table.layout.lists {
                list.push(cells);
            }
            table.record.append_value(record);
            if let Some((key, arm)) = event {
                table.event.append_value(key);
                table.arm.append_value(arm);
            }
            if table.layout.repeats {
                table.instance.append_option(instance);
            }
            if keys.dag.is_some() {
                append_text(&mut table.dag, text(keys.dag));
            }
            if keys.survey.is_some() {
                append_text(&mut table.survey, text(keys.survey));
            }
            table.rows += 1;
            if table.rows >= self.batch_rows {
                let batch = table.finish_batch(&self.event_codes, self.longitudinal)?;
                sink.write_batch(index, batch)?;
            }
        }
        Ok(())
    }

    /// Hands on the rows still collected and reports what was converted.
    pub fn finish(mut self, sink: &mut dyn TableSink) -> Result<Summary, Error> {
        for (index, table) in self.tables.iter_mut().enumerate() {
            if table.rows > 0 {
                let batch = table.finish_batch(&self.event_codes, self.longitudinal)?;
                sink.write_batch(index, batch)?;
            }
        }
        Ok(Summary {
            export_rows: self.row,
            table_rows: self
                .tables
                .iter()
                .map(|t| (t.layout.form.clone(), t.total))
                .collect(),
        })
    }
}

/// A blank cell is null, anything else its text.
fn append_text(builder: &mut StringBuilder, text: &str) {
    if text.is_empty() {
        builder.append_null();
    } else {
        builder.append_value(text);
    }
}

impl Table {
    /// The rows collected so far as one batch; the builders start again empty.
    fn finish_batch(
        &mut self,
        event_codes: &crate::column::Codes,
        longitudinal: bool,
    ) -> Result<RecordBatch, Error> {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.record.finish())];
        if longitudinal {
            columns.push(event_codes.code_array(self.event.finish())?);
            columns.push(Arc::new(self.arm.finish()));
        }
        if self.layout.repeats {
            columns.push(Arc::new(self.instance.finish()));
        }
        let schema = &self.layout.schema;
        if schema.column_with_name(crate::layout::DAG_COLUMN).is_some() {
            columns.push(Arc::new(self.dag.finish()));
        }
        if schema
            .column_with_name(crate::layout::SURVEY_COLUMN)
            .is_some()
        {
            columns.push(Arc::new(self.survey.finish()));
        }
        let mut lists = self.layout.lists.iter_mut().peekable();
        for (index, slot) in self.layout.slots.iter_mut().enumerate() {
            // A checkbox field's list column comes before its first boolean column.
            while let Some((_, list)) = lists.next_if(|(before, _)| *before == index) {
                columns.push(list.finish());
            }
            slot.finish(&mut columns)?;
        }
        self.total += self.rows as u64;
        self.rows = 0;
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    }
}
