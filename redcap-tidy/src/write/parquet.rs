//! Parquet files through `parquet`'s Arrow writer.

use std::fs::File;
use std::io::BufWriter;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::Error;

/// Rows in a row group: readers skip and parallelise by row group, and the writer holds
/// one in memory.
const ROW_GROUP_ROWS: usize = 65_536;

/// Encoded bytes a row group may reach in memory before it is closed early (wide tables
/// reach it before [`ROW_GROUP_ROWS`]).
const ROW_GROUP_BYTES: usize = 64 << 20;

/// One Parquet file being written.
pub(super) struct ParquetFile {
    writer: ArrowWriter<BufWriter<File>>,
}

impl ParquetFile {
    pub(super) fn new(file: BufWriter<File>, schema: &SchemaRef) -> Result<ParquetFile, Error> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
            .build();
        Ok(ParquetFile {
            writer: ArrowWriter::try_new(file, schema.clone(), Some(properties))?,
        })
    }

    pub(super) fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        Ok(self.writer.write(batch)?)
    }

    pub(super) fn close(self) -> Result<BufWriter<File>, Error> {
        Ok(self.writer.into_inner()?)
    }
}
