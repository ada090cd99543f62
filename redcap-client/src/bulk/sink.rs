//! What becomes of a checked batch: typed rows, or bytes joined into one CSV, JSON or
//! NDJSON document.

use std::io::Write;
use std::marker::PhantomData;
use std::ops::Range;

use bytes::Bytes;

use super::csv_stream::CsvRow;
use crate::error::{Error, Incompleteness, snippet};
use crate::records::{CsvDecoder, DecodeError, DecodeMode, Decoded, FlatRow};

/// The format REDCap is asked to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Csv,
    Json,
}

impl Wire {
    pub(crate) fn as_param(self) -> &'static str {
        match self {
            Wire::Csv => "csv",
            Wire::Json => "json",
        }
    }
}

/// The document [`Client::export_all`](crate::Client::export_all) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RawFormat {
    /// REDCap's CSV, one header row.
    Csv,
    /// One JSON array of row objects, as REDCap writes it.
    Json,
    /// One JSON row object a line.
    Ndjson,
}

/// What a batch becomes, read from its body. Runs on the batch's own task, as the body
/// arrives, so decoding overlaps the transfer of this batch and of the others.
pub(crate) trait BatchKind: Send + Sync + 'static {
    /// What one batch becomes.
    type Output: Send + 'static;
    /// Reads one body.
    type Rows: RowReader<Output = Self::Output>;
    /// The format to ask REDCap for.
    fn wire(&self) -> Wire;
    /// A reader for a new body.
    fn rows(&self) -> Self::Rows;
}

/// Reads the rows of one body.
pub(crate) trait RowReader: Send + 'static {
    /// What the body becomes.
    type Output: Send + 'static;
    /// The next CSV row, the header first (CSV bodies only), as it arrives.
    fn csv_row(&mut self, row: &CsvRow<'_>) -> Result<(), Error>;
    /// The output, once the body is complete and its batch checked.
    fn finish(self, body: Received) -> Result<Self::Output, Error>;
}

/// A complete body, in the chunks it arrived in.
pub(crate) struct Received {
    pub(crate) chunks: Vec<Bytes>,
    /// The CSV header row's bytes (after a byte-order mark; empty for JSON).
    pub(crate) header: Range<usize>,
}

impl Received {
    /// Its length in bytes.
    pub(crate) fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    /// The bytes of `range`.
    fn slice(&self, range: Range<usize>) -> Vec<u8> {
        let mut out = Vec::with_capacity(range.len());
        let mut at = 0;
        for chunk in &self.chunks {
            let (start, end) = (at, at + chunk.len());
            at = end;
            let (from, to) = (range.start.max(start), range.end.min(end));
            if from < to {
                out.extend_from_slice(&chunk[from - start..to - start]);
            }
        }
        out
    }

    /// The bytes from `from` on, chunk by chunk.
    fn from(&self, from: usize) -> impl Iterator<Item = &[u8]> {
        let mut at = 0;
        self.chunks.iter().filter_map(move |chunk| {
            let start = at;
            at += chunk.len();
            (at > from).then(|| &chunk[from.saturating_sub(start)..])
        })
    }

    fn is_blank(&self) -> bool {
        self.chunks
            .iter()
            .all(|chunk| chunk.iter().all(u8::is_ascii_whitespace))
    }
}

/// Bytes for [`RawWriter`].
pub(crate) struct RawBatches(pub(crate) RawFormat);

impl BatchKind for RawBatches {
    type Output = Received;
    type Rows = RawRows;

    fn wire(&self) -> Wire {
        match self.0 {
            RawFormat::Csv => Wire::Csv,
            RawFormat::Json | RawFormat::Ndjson => Wire::Json,
        }
    }

    fn rows(&self) -> RawRows {
        RawRows(self.0)
    }
}

/// A raw body: passed on as it came (NDJSON: re-written a row a line).
pub(crate) struct RawRows(RawFormat);

impl RowReader for RawRows {
    type Output = Received;

    fn csv_row(&mut self, _: &CsvRow<'_>) -> Result<(), Error> {
        Ok(())
    }

    fn finish(self, body: Received) -> Result<Received, Error> {
        if self.0 != RawFormat::Ndjson {
            return Ok(body);
        }
        let body = super::body::contiguous(&body.chunks);
        let rows: Vec<crate::Row> =
            serde_json::from_slice(&body).map_err(|error| Error::Decode {
                method: "export_records",
                message: error.to_string(),
                snippet: snippet(&body),
            })?;
        let mut lines = Vec::with_capacity(body.len());
        for row in &rows {
            serde_json::to_writer(&mut lines, row).map_err(|error| Error::Decode {
                method: "export_records",
                message: error.to_string(),
                snippet: String::new(),
            })?;
            lines.push(b'\n');
        }
        Ok(Received {
            chunks: vec![Bytes::from(lines)],
            header: 0..0,
        })
    }
}

/// Typed rows of `T`, decoded from CSV.
pub(crate) struct TypedBatches<T> {
    mode: DecodeMode,
    marker: PhantomData<fn() -> T>,
}

impl<T> TypedBatches<T> {
    pub(crate) fn new(mode: DecodeMode) -> Self {
        Self {
            mode,
            marker: PhantomData,
        }
    }
}

impl<T: FlatRow + Send + 'static> BatchKind for TypedBatches<T> {
    /// The rows, and the cells that did not fit (left unset in their rows), numbered
    /// within the batch.
    type Output = Decoded<T>;
    type Rows = TypedRows<T>;

    fn wire(&self) -> Wire {
        // REDCap writes and the client reads CSV faster than JSON.
        Wire::Csv
    }

    fn rows(&self) -> TypedRows<T> {
        TypedRows {
            mode: self.mode,
            decoder: None,
        }
    }
}

/// Typed rows decoded one CSV row at a time.
pub(crate) struct TypedRows<T> {
    mode: DecodeMode,
    /// Made from the header.
    decoder: Option<CsvDecoder<T>>,
}

impl<T: FlatRow + Send + 'static> RowReader for TypedRows<T> {
    type Output = Decoded<T>;

    fn csv_row(&mut self, row: &CsvRow<'_>) -> Result<(), Error> {
        let syntax = |message: String| Error::Decode {
            method: "export_records",
            message: if row.number == 0 {
                format!("the header: {message}")
            } else {
                format!("row {}: {message}", row.number)
            },
            snippet: snippet(&row.iter().collect::<Vec<_>>().join(&b","[..])),
        };
        let cells = row.texts().map_err(syntax)?;
        match &mut self.decoder {
            Some(decoder) => decoder.row(cells),
            None => {
                self.decoder = Some(CsvDecoder::new(cells, self.mode).map_err(
                    |error| match error {
                        DecodeError::Syntax(message) => syntax(message),
                        DecodeError::Value(cells) => Error::Record {
                            method: "export_records",
                            source: Box::new(cells),
                        },
                    },
                )?);
            }
        }
        Ok(())
    }

    fn finish(self, _: Received) -> Result<Decoded<T>, Error> {
        Ok(self.decoder.map_or_else(
            || Decoded {
                rows: Vec::new(),
                invalid: Default::default(),
            },
            CsvDecoder::finish,
        ))
    }
}

/// Joins batch bodies into one document.
pub(crate) struct RawWriter<'w, W: Write + ?Sized> {
    format: RawFormat,
    out: &'w mut W,
    /// The CSV header of the first batch, which every later batch must repeat.
    header: Option<Vec<u8>>,
    /// Whether a JSON row has been written (a comma goes before the next).
    wrote_row: bool,
    started: bool,
}

fn sink_error(source: std::io::Error) -> Error {
    Error::Sink { source }
}

impl<'w, W: Write + ?Sized> RawWriter<'w, W> {
    pub(crate) fn new(format: RawFormat, out: &'w mut W) -> Self {
        Self {
            format,
            out,
            header: None,
            wrote_row: false,
            started: false,
        }
    }

    pub(crate) fn write_batch(&mut self, body: Received) -> Result<(), Error> {
        match self.format {
            RawFormat::Csv => self.write_csv(&body),
            RawFormat::Json => self.write_json(&super::body::contiguous(&body.chunks)),
            RawFormat::Ndjson => body
                .chunks
                .iter()
                .try_for_each(|chunk| self.out.write_all(chunk))
                .map_err(sink_error),
        }
    }

    fn write_csv(&mut self, body: &Received) -> Result<(), Error> {
        if body.is_blank() {
            return Ok(());
        }
        let header = body.slice(body.header.clone());
        let header_text = header.trim_ascii_end();
        match &self.header {
            None => {
                self.header = Some(header_text.to_vec());
                // From the body's first byte: a byte-order mark stays in front.
                let first = body.slice(0..body.header.end);
                self.out.write_all(&first).map_err(sink_error)?;
                if !first.ends_with(b"\n") {
                    self.out.write_all(b"\n").map_err(sink_error)?;
                }
            }
            Some(first) if first.as_slice() == header_text => {}
            Some(first) => {
                return Err(Error::Incomplete {
                    problem: Incompleteness::ColumnsDiffer(format!(
                        "`{}` then `{}`",
                        String::from_utf8_lossy(first),
                        String::from_utf8_lossy(header_text)
                    )),
                });
            }
        }
        let mut last = b'\n';
        for part in body.from(body.header.end) {
            self.out.write_all(part).map_err(sink_error)?;
            last = part.last().copied().unwrap_or(last);
        }
        if last != b'\n' {
            self.out.write_all(b"\n").map_err(sink_error)?;
        }
        Ok(())
    }

    fn write_json(&mut self, body: &[u8]) -> Result<(), Error> {
        if !self.started {
            self.out.write_all(b"[").map_err(sink_error)?;
            self.started = true;
        }
        let text = body.trim_ascii();
        let inner = text
            .strip_prefix(b"[")
            .and_then(|rest| rest.strip_suffix(b"]"))
            .ok_or_else(|| Error::Decode {
                method: "export_records",
                message: "expected a JSON array of rows".into(),
                snippet: snippet(body),
            })?
            .trim_ascii();
        if inner.is_empty() {
            return Ok(());
        }
        if self.wrote_row {
            self.out.write_all(b",").map_err(sink_error)?;
        }
        self.out.write_all(inner).map_err(sink_error)?;
        self.wrote_row = true;
        Ok(())
    }

    /// Closes the document and flushes.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.format == RawFormat::Json {
            if !self.started {
                self.out.write_all(b"[").map_err(sink_error)?;
            }
            self.out.write_all(b"]\n").map_err(sink_error)?;
        }
        self.out.flush().map_err(sink_error)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::bulk::body::BodyReader;
    use crate::client::BodySink;

    /// Bodies joined by the writer, each read in chunks of `size` bytes.
    fn join_in(format: RawFormat, bodies: &[&str], size: usize) -> Result<String, Error> {
        let mut out = Vec::new();
        let mut writer = RawWriter::new(format, &mut out);
        for body in bodies {
            let mut reader = BodyReader::new(Arc::new(RawBatches(format)), "id".into());
            for chunk in body.as_bytes().chunks(size) {
                reader.feed(Bytes::copy_from_slice(chunk))?;
            }
            writer.write_batch(reader.finish()?.output()?)?;
        }
        writer.finish()?;
        Ok(String::from_utf8(out).unwrap())
    }

    fn join(format: RawFormat, bodies: &[&str]) -> Result<String, Error> {
        let whole = join_in(format, bodies, usize::MAX);
        for size in 1..8 {
            assert_eq!(
                join_in(format, bodies, size).map_err(|e| e.to_string()),
                whole.as_ref().map(Clone::clone).map_err(|e| e.to_string()),
                "in chunks of {size}"
            );
        }
        whole
    }

    #[test]
    fn csv_batches_share_one_header() {
        let joined = join(RawFormat::Csv, &["id,a\n1,x\n", "", "id,a\n2,\"y\nz\""]).unwrap();
        assert_eq!(joined, "id,a\n1,x\n2,\"y\nz\"\n");
        let joined = join(RawFormat::Csv, &["\u{feff}id,a\r\n1,x\r\n", "id,a\n"]).unwrap();
        assert_eq!(joined, "\u{feff}id,a\r\n1,x\r\n");
        let error = join(RawFormat::Csv, &["id,a\n1,x\n", "id,b\n2,y\n"]).unwrap_err();
        assert!(error.to_string().contains("different columns"), "{error}");
    }

    #[test]
    fn json_batches_become_one_array() {
        let joined = join(
            RawFormat::Json,
            &["[{\"id\":\"1\"}]", "[]", " [{\"id\":\"2\"}]\n"],
        )
        .unwrap();
        assert_eq!(joined, "[{\"id\":\"1\"},{\"id\":\"2\"}]\n");
        assert_eq!(join(RawFormat::Json, &[]).unwrap(), "[]\n");
    }

    #[test]
    fn ndjson_is_one_object_a_line() {
        let lines = join(
            RawFormat::Ndjson,
            &["[{\"id\":\"1\",\"n\":2},{\"id\":\"2\"}]", "[]"],
        )
        .unwrap();
        assert_eq!(lines, "{\"id\":\"1\",\"n\":\"2\"}\n{\"id\":\"2\"}\n");
    }
}
