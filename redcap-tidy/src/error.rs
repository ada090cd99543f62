//! What can go wrong turning an export into tables.

use std::path::PathBuf;

/// Where a value sits in the flat export: enough to find the cell in REDCap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The data row of the export, from 1 (the header is row 0).
    pub row: u64,
    /// The record ID.
    pub record: String,
    /// The unique event name, in longitudinal projects.
    pub event: Option<String>,
    /// The repeating instrument, on rows of one.
    pub instrument: Option<String>,
    /// The repeat instance, on repeat rows.
    pub instance: Option<String>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}, record `{}`", self.row, self.record)?;
        if let Some(event) = &self.event {
            write!(f, ", event `{event}`")?;
        }
        if let Some(instrument) = &self.instrument {
            write!(f, ", instrument `{instrument}`")?;
        }
        if let Some(instance) = &self.instance {
            write!(f, ", instance {instance}")?;
        }
        Ok(())
    }
}

/// An error of the conversion or of a writer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The export's header does not fit the project's schema.
    #[error("the export's header: {0}")]
    Header(String),
    /// The schema cannot be laid out as tables (two columns of one name).
    #[error("the project's tables: {0}")]
    Layout(String),
    /// A cell holds a value its column cannot hold: nothing is dropped or changed, so the
    /// conversion stops here.
    #[error("{place}, field `{field}`: `{value}` is not {expected}")]
    Value {
        /// Where the cell is.
        place: Box<Place>,
        /// The export column.
        field: String,
        /// The cell's text.
        value: String,
        /// What the column holds.
        expected: String,
    },
    /// A row's keys are wrong (an unknown event, a bad instance, a value outside the
    /// instrument of a repeat row).
    #[error("{place}: {message}")]
    Row {
        /// Where the row is.
        place: Box<Place>,
        /// What is wrong.
        message: String,
    },
    /// The export is not readable CSV.
    #[error("reading the export: {0}")]
    Csv(#[from] csv::Error),
    /// The export is not a flat JSON export: not JSON, not an array of objects, rows
    /// whose columns differ, or a value that is not text.
    #[error("reading the JSON export: {0}")]
    Json(#[from] serde_json::Error),
    /// Arrow refused a batch (a bug if it happens: the columns are built to fit).
    #[error("building a table: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// The Parquet writer failed.
    #[cfg(feature = "parquet")]
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}
