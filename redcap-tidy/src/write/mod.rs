//! Writers: a folder of files, one per instrument plus the dictionary, in Parquet, Arrow
//! IPC or CSV, written batch by batch as the conversion hands them on.
//!
//! Files are written under temporary names and renamed only when every table is
//! complete, so a failed conversion leaves no table that looks whole.

mod csv;
#[cfg(feature = "parquet")]
mod parquet;

pub use csv::LIST_SEPARATOR;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::convert::TableSink;
use crate::error::Error;

/// The file format of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Apache Parquet, Snappy-compressed, with the Arrow schema (and so the column
    /// metadata) embedded.
    #[cfg(feature = "parquet")]
    Parquet,
    /// Arrow IPC file format (Feather v2).
    Arrow,
    /// CSV with a header row; choices as their codes and labels in two columns, a
    /// checkbox field's list of ticked codes joined by [`LIST_SEPARATOR`] (`1|3`; blank
    /// both when none is ticked and when the list is null — the field's boolean columns
    /// tell which).
    Csv,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            #[cfg(feature = "parquet")]
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
            Format::Csv => "csv",
        }
    }
}

/// One open table file.
enum TableFile {
    #[cfg(feature = "parquet")]
    Parquet(parquet::ParquetFile),
    Arrow(arrow_ipc::writer::FileWriter<BufWriter<File>>),
    Csv(csv::CsvFile),
}

impl TableFile {
    /// Opens a table's file; `files` are written at the same time.
    fn create(
        path: &Path,
        format: Format,
        schema: &SchemaRef,
        // Only Parquet files share a memory budget.
        #[cfg_attr(not(feature = "parquet"), allow(unused_variables))] files: usize,
    ) -> Result<TableFile, Error> {
        let file = File::create(path).map_err(|source| Error::File {
            path: path.to_owned(),
            source,
        })?;
        let file = BufWriter::with_capacity(1 << 20, file);
        Ok(match format {
            #[cfg(feature = "parquet")]
            Format::Parquet => TableFile::Parquet(parquet::ParquetFile::new(
                file,
                schema,
                parquet::row_group_bytes(files),
            )?),
            Format::Arrow => {
                TableFile::Arrow(arrow_ipc::writer::FileWriter::try_new(file, schema)?)
            }
            Format::Csv => TableFile::Csv(csv::CsvFile::new(file, schema, path)?),
        })
    }

    fn write(&mut self, batch: &RecordBatch, path: &Path) -> Result<(), Error> {
        match self {
            #[cfg(feature = "parquet")]
            TableFile::Parquet(file) => file.write(batch),
            TableFile::Arrow(file) => Ok(file.write(batch)?),
            TableFile::Csv(file) => file.write(batch, path),
        }
    }

    fn close(self, path: &Path) -> Result<(), Error> {
        let file = match self {
            #[cfg(feature = "parquet")]
            TableFile::Parquet(file) => file.close()?,
            TableFile::Arrow(mut file) => {
                file.finish()?;
                file.into_inner()?
            }
            TableFile::Csv(file) => file.close(path)?,
        };
        let io = |source| Error::File {
            path: path.to_owned(),
            source,
        };
        let file = file.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)
    }
}

/// Writes each table to `<dir>/<instrument>.<ext>` and the dictionary to
/// `<dir>/dictionary.<ext>`.
pub struct DirWriter {
    format: Format,
    files: Vec<Option<TableFile>>,
    /// (temporary path, final path) of each table, dictionary last.
    paths: Vec<(PathBuf, PathBuf)>,
    finished: bool,
}

impl DirWriter {
    /// Creates `dir` if needed and opens one file per table (`tables` as
    /// [`crate::Converter::tables`] gives them), plus the dictionary's.
    pub fn create(
        dir: &Path,
        format: Format,
        tables: &[(&str, SchemaRef)],
    ) -> Result<DirWriter, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::File {
            path: dir.to_owned(),
            source,
        })?;
        let mut writer = DirWriter {
            format,
            files: Vec::new(),
            paths: Vec::new(),
            finished: false,
        };
        let dictionary = crate::dictionary::dictionary_schema();
        let all = tables
            .iter()
            .map(|(name, schema)| (*name, schema))
            .chain(std::iter::once((crate::DICTIONARY_TABLE, &dictionary)));
        for (name, schema) in all {
            let file_name = format!("{name}.{}", format.extension());
            let temporary = dir.join(format!(".{file_name}.{}.partial", std::process::id()));
            let file = TableFile::create(&temporary, format, schema, tables.len() + 1)?;
            writer.files.push(Some(file));
            writer.paths.push((temporary, dir.join(file_name)));
        }
        Ok(writer)
    }

    /// The format written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes the dictionary, closes every file and gives them their names; the paths
    /// written, tables first.
    pub fn finish(mut self, dictionary: &RecordBatch) -> Result<Vec<PathBuf>, Error> {
        let last = self.files.len() - 1;
        self.write_batch(last, dictionary.clone())?;
        for (file, (temporary, _)) in self.files.iter_mut().zip(&self.paths) {
            if let Some(file) = file.take() {
                file.close(temporary)?;
            }
        }
        for (temporary, path) in &self.paths {
            std::fs::rename(temporary, path).map_err(|source| Error::File {
                path: path.clone(),
                source,
            })?;
        }
        self.finished = true;
        Ok(self.paths.iter().map(|(_, path)| path.clone()).collect())
    }
}

impl TableSink for DirWriter {
    fn write_batch(&mut self, table: usize, batch: RecordBatch) -> Result<(), Error> {
        let path = &self.paths[table].0;
        match &mut self.files[table] {
            Some(file) => file.write(&batch, path),
            None => Ok(()),
        }
    }
}

impl Drop for DirWriter {
    fn drop(&mut self) {
        if !self.finished {
            // A conversion that failed leaves nothing behind that could pass for a table.
            self.files.clear();
            for (temporary, _) in &self.paths {
                let _ = std::fs::remove_file(temporary);
            }
        }
    }
}
