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

/// Encoded bytes the row groups of all the files being written may hold in memory
/// together: each file's open row group gets an equal share and is closed early when it
/// reaches it, so a project with many instruments holds no more than one with few.
const ROW_GROUP_BUDGET: usize = 64 << 20;

/// The least share of [`ROW_GROUP_BUDGET`] a file gets, so that row groups stay large
/// enough for readers to scan efficiently however many instruments there are.
const MIN_ROW_GROUP_BYTES: usize = 4 << 20;

/// The bytes one file's open row group may reach while `files` files are written.
pub(super) fn row_group_bytes(files: usize) -> usize {
    (ROW_GROUP_BUDGET / files.max(1)).max(MIN_ROW_GROUP_BYTES)
}

/// One Parquet file being written.
pub(super) struct ParquetFile {
    writer: ArrowWriter<BufWriter<File>>,
}

impl ParquetFile {
    /// A file whose row groups close at [`ROW_GROUP_ROWS`] rows or `row_group_bytes`.
    pub(super) fn new(
        file: BufWriter<File>,
        schema: &SchemaRef,
        row_group_bytes: usize,
    ) -> Result<ParquetFile, Error> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_max_row_group_bytes(Some(row_group_bytes))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_share_the_row_group_budget() {
        assert_eq!(row_group_bytes(1), ROW_GROUP_BUDGET);
        assert_eq!(row_group_bytes(4), ROW_GROUP_BUDGET / 4);
        assert_eq!(row_group_bytes(1000), MIN_ROW_GROUP_BYTES);
    }
}
