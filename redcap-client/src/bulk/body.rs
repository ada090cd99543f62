//! One export body read as it arrives: refused when it is one of REDCap's failure
//! answers, its row keys taken for the checks and its rows decoded in the same pass over
//! the CSV, while the rest of the body is still on the wire.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::csv_stream::{CsvRow, CsvStream};
use super::keys::{CsvKeys, Scanned, decode_error, scan};
use super::sink::{BatchKind, Received, RowReader, Wire};
use crate::client::BodySink;
use crate::error::Error;

/// Bytes of a body (after leading white space) that show whether it is a failure answer;
/// nothing is parsed before they have come.
const HEAD: usize = 512;

/// A [`BodySink`] for one export request of a batch.
pub(crate) struct BodyReader<K: BatchKind> {
    kind: Arc<K>,
    record_field: Arc<str>,
    state: State<K::Rows>,
}

/// What an attempt's body has given so far.
struct State<R> {
    chunks: Vec<Bytes>,
    /// Chunks already parsed.
    parsed: usize,
    /// The head was looked at: `Some(true)` when it is a failure answer, which is then
    /// kept whole for its message.
    failure: Option<bool>,
    csv: CsvStream,
    keys: CsvKeys,
    scanned: Scanned,
    rows: R,
}

impl<R> State<R> {
    fn new(rows: R) -> Self {
        Self {
            chunks: Vec::new(),
            parsed: 0,
            failure: None,
            csv: CsvStream::default(),
            keys: CsvKeys::default(),
            scanned: Scanned {
                keys: Vec::new(),
                spans: Vec::new(),
                header: 0..0,
            },
            rows,
        }
    }
}

/// A body read to its end: its keys, its bytes, and the rows read from it.
pub(crate) struct ReadBody<R> {
    pub(crate) scanned: Scanned,
    pub(crate) body: Received,
    rows: R,
}

impl<R: RowReader> ReadBody<R> {
    /// What the batch becomes.
    pub(crate) fn output(self) -> Result<R::Output, Error> {
        self.rows.finish(self.body)
    }
}

impl<K: BatchKind> BodyReader<K> {
    pub(crate) fn new(kind: Arc<K>, record_field: Arc<str>) -> Self {
        let rows = kind.rows();
        Self {
            kind,
            record_field,
            state: State::new(rows),
        }
    }

    /// Reads a body that is already whole (records asked for again, merged).
    pub(crate) fn read_whole(
        kind: Arc<K>,
        record_field: Arc<str>,
        body: Bytes,
    ) -> Result<ReadBody<K::Rows>, Error> {
        let mut reader = Self::new(kind, record_field);
        reader.feed(body)?;
        reader.finish()
    }

    /// The body has ended: the last row, and the checks that need the whole body.
    pub(crate) fn finish(self) -> Result<ReadBody<K::Rows>, Error> {
        let Self {
            kind,
            record_field,
            state,
        } = self;
        let State {
            chunks,
            parsed,
            failure,
            mut csv,
            mut keys,
            mut scanned,
            mut rows,
        } = state;
        if failure != Some(false) {
            reject_failure(&contiguous(&chunks))?;
        }
        match kind.wire() {
            Wire::Json => {
                let whole = contiguous(&chunks);
                scanned = scan(Wire::Json, &whole, &record_field)?;
                let body = Received {
                    chunks: vec![whole],
                    header: 0..0,
                };
                Ok(ReadBody {
                    scanned,
                    body,
                    rows,
                })
            }
            Wire::Csv => {
                let mut on_row = |row: CsvRow<'_>| {
                    on_csv_row(&row, &record_field, &mut keys, &mut scanned, &mut rows)
                };
                for chunk in &chunks[parsed..] {
                    csv.feed(chunk, &mut on_row, |message| decode_error(chunk, message))?;
                }
                csv.finish(&mut on_row, |message| decode_error(&[], message))?;
                let header = scanned.header.clone();
                Ok(ReadBody {
                    scanned,
                    body: Received { chunks, header },
                    rows,
                })
            }
        }
    }

    /// Parses the chunks not parsed yet, once the head showed the body is data.
    fn parse(&mut self) -> Result<(), Error> {
        let state = &mut self.state;
        if state.failure.is_none() {
            let head = contiguous(&state.chunks);
            if head.trim_ascii_start().len() < HEAD {
                return Ok(());
            }
            state.failure = Some(reject_failure(&head).is_err());
        }
        if state.failure == Some(true) {
            return Ok(());
        }
        let (keys, scanned, rows) = (&mut state.keys, &mut state.scanned, &mut state.rows);
        let record_field = &self.record_field;
        let mut on_row = |row: CsvRow<'_>| on_csv_row(&row, record_field, keys, scanned, rows);
        for chunk in &state.chunks[state.parsed..] {
            state
                .csv
                .feed(chunk, &mut on_row, |message| decode_error(chunk, message))?;
        }
        state.parsed = state.chunks.len();
        Ok(())
    }
}

/// One CSV row: its key for the checks, then the batch kind's reading of it.
fn on_csv_row<R: RowReader>(
    row: &CsvRow<'_>,
    record_field: &str,
    keys: &mut CsvKeys,
    scanned: &mut Scanned,
    rows: &mut R,
) -> Result<(), Error> {
    match keys.row(row, record_field)? {
        Some(key) => {
            scanned.keys.push(key);
            scanned.spans.push(row.span.clone());
        }
        None => scanned.header = row.span.clone(),
    }
    rows.csv_row(row)
}

impl<K: BatchKind> BodySink for BodyReader<K> {
    fn restart(&mut self) {
        self.state = State::new(self.kind.rows());
    }

    fn feed(&mut self, chunk: Bytes) -> Result<(), Error> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.state.chunks.push(chunk);
        match self.kind.wire() {
            // JSON bodies are read whole at the end (only raw JSON exports ask for them).
            Wire::Json => Ok(()),
            Wire::Csv => self.parse(),
        }
    }
}

/// The chunks as one buffer (a copy only when there are several).
pub(crate) fn contiguous(chunks: &[Bytes]) -> Bytes {
    match chunks {
        [] => Bytes::new(),
        [one] => one.clone(),
        many => {
            let mut whole = BytesMut::with_capacity(many.iter().map(Bytes::len).sum());
            for chunk in many {
                whole.extend_from_slice(chunk);
            }
            whole.freeze()
        }
    }
}

/// A 200 that is REDCap's failure (an `ERROR:` line, an HTML page, a JSON error object),
/// not data.
pub(crate) fn reject_failure(body: &[u8]) -> Result<(), Error> {
    let start = body.trim_ascii_start();
    let head = String::from_utf8_lossy(&start[..start.len().min(HEAD)]).to_ascii_lowercase();
    if head.starts_with("error:")
        || head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || head.starts_with("{\"error\"")
        // PHP's fatal error, printed with status 200 where `display_errors` is on.
        || (head.contains("fatal error") && crate::response::is_out_of_memory(&head))
    {
        let message = crate::response::error_message(body);
        return Err(Error::Failure {
            method: "export_records",
            message,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_sent_as_data_are_refused() {
        assert!(reject_failure(b"ERROR: You do not have permissions").is_err());
        assert!(reject_failure(b"  <!DOCTYPE html><html>login</html>").is_err());
        assert!(reject_failure(b"{\"error\":\"x\"}").is_err());
        assert!(reject_failure(b"record_id\n1\n").is_ok());
        assert!(reject_failure(b"[{\"record_id\":\"1\"}]").is_ok());
        let fatal = b"\nFatal error: Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)";
        assert!(reject_failure(fatal).unwrap_err().is_overload());
    }
}
