//! What becomes of a checked batch: typed rows, or bytes joined into one CSV, JSON or
//! NDJSON document.

use std::io::Write;
use std::marker::PhantomData;

use bytes::Bytes;

use crate::error::{Error, Incompleteness, snippet};
use crate::records::{DecodeError, DecodeMode, Decoded, FlatRow, decode_csv_with_report};

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

/// Turns the bodies of one checked batch into what the sink takes. Runs on the batch's
/// own task, so decoding overlaps the transfer of other batches.
pub(crate) trait BatchKind: Send + Sync + 'static {
    /// What one batch becomes.
    type Output: Send + 'static;
    /// The format to ask REDCap for.
    fn wire(&self) -> Wire;
    /// The batch's rows from its bodies (a second body holds records asked for again).
    fn decode(&self, bodies: Vec<Bytes>) -> Result<Self::Output, Error>;
}

/// Bytes for [`RawWriter`].
pub(crate) struct RawBatches(pub(crate) RawFormat);

impl BatchKind for RawBatches {
    type Output = Vec<Bytes>;

    fn wire(&self) -> Wire {
        match self.0 {
            RawFormat::Csv => Wire::Csv,
            RawFormat::Json | RawFormat::Ndjson => Wire::Json,
        }
    }

    fn decode(&self, bodies: Vec<Bytes>) -> Result<Vec<Bytes>, Error> {
        if self.0 != RawFormat::Ndjson {
            return Ok(bodies);
        }
        bodies
            .into_iter()
            .map(|body| {
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
                Ok(Bytes::from(lines))
            })
            .collect()
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

    fn wire(&self) -> Wire {
        // REDCap writes and the client reads CSV faster than JSON.
        Wire::Csv
    }

    fn decode(&self, bodies: Vec<Bytes>) -> Result<Decoded<T>, Error> {
        let mut batch = Decoded {
            rows: Vec::new(),
            invalid: Default::default(),
        };
        for body in bodies {
            if body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let decoded =
                decode_csv_with_report::<T>(&body, self.mode).map_err(|error| match error {
                    DecodeError::Value(cells) => Error::Record {
                        method: "export_records",
                        source: Box::new(cells),
                    },
                    DecodeError::Syntax(message) => Error::Decode {
                        method: "export_records",
                        message,
                        snippet: snippet(&body),
                    },
                })?;
            let before = batch.rows_read();
            batch.invalid.append(decoded.invalid, before);
            if batch.rows.is_empty() {
                batch.rows = decoded.rows;
            } else {
                batch.rows.extend(decoded.rows);
            }
        }
        Ok(batch)
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

    pub(crate) fn write_batch(&mut self, bodies: Vec<Bytes>) -> Result<(), Error> {
        for body in bodies {
            match self.format {
                RawFormat::Csv => self.write_csv(&body)?,
                RawFormat::Json => self.write_json(&body)?,
                RawFormat::Ndjson => self.out.write_all(&body).map_err(sink_error)?,
            }
        }
        Ok(())
    }

    fn write_csv(&mut self, body: &[u8]) -> Result<(), Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let header_end = body
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |at| at + 1);
        let (header, rows) = body.split_at(header_end);
        let header_text = header.trim_ascii_end();
        match &self.header {
            None => {
                self.header = Some(header_text.to_vec());
                self.out.write_all(header).map_err(sink_error)?;
                if !header.ends_with(b"\n") {
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
        self.out.write_all(rows).map_err(sink_error)?;
        if !rows.is_empty() && !rows.ends_with(b"\n") {
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
    use super::*;

    fn join(format: RawFormat, bodies: &[&str]) -> Result<String, Error> {
        let mut out = Vec::new();
        let mut writer = RawWriter::new(format, &mut out);
        for body in bodies {
            writer.write_batch(vec![Bytes::from(body.to_string())])?;
        }
        writer.finish()?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn csv_batches_share_one_header() {
        let joined = join(RawFormat::Csv, &["id,a\n1,x\n", "", "id,a\n2,\"y\nz\"\n"]).unwrap();
        assert_eq!(joined, "id,a\n1,x\n2,\"y\nz\"\n");
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
        let lines = RawBatches(RawFormat::Ndjson)
            .decode(vec![Bytes::from_static(
                b"[{\"id\":\"1\",\"n\":2},{\"id\":\"2\"}]",
            )])
            .unwrap();
        assert_eq!(
            &lines[0][..],
            b"{\"id\":\"1\",\"n\":\"2\"}\n{\"id\":\"2\"}\n"
        );
    }
}
