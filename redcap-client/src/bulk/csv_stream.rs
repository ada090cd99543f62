//! A CSV parser fed with a body's bytes as they arrive: each complete row (the header
//! first) is handed on with its cells and its byte span in the body, so that a batch is
//! checked and decoded while the rest of it is still on the wire.
//!
//! It reads CSV as the `csv` crate's reader does (both are `csv_core` with its defaults),
//! and like it with `flexible(false)`: every row has the header's number of cells.

use std::ops::Range;

use csv_core::ReadRecordResult;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One row: its cells, unescaped, and where its bytes are in the body.
pub(crate) struct CsvRow<'a> {
    cells: &'a [u8],
    ends: &'a [usize],
    /// The row's bytes in the body, its line ending included.
    pub(crate) span: Range<usize>,
    /// 0 for the header, then 1, 2, … for the data rows.
    pub(crate) number: usize,
}

impl<'a> CsvRow<'a> {
    /// Cell `index`, as bytes.
    pub(crate) fn get(&self, index: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.cells[start..end])
    }

    /// The cells as bytes.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.ends.len()).filter_map(|index| self.get(index))
    }

    /// The cells as text, or which cell is not UTF-8.
    pub(crate) fn texts(&self) -> Result<Vec<&'a str>, String> {
        let used = &self.cells[..self.ends.last().copied().unwrap_or(0)];
        // The row's cells lie end to end: one check of them all is much cheaper than one
        // per cell. A cell is then valid on its own when both its ends are character
        // boundaries (two halves of one character in two cells would pass the joint check).
        let joined = std::str::from_utf8(used).ok();
        let mut texts = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for (index, &end) in self.ends.iter().enumerate() {
            let text = match joined {
                Some(joined) => joined.get(start..end),
                None => std::str::from_utf8(&self.cells[start..end]).ok(),
            };
            match text {
                Some(text) => texts.push(text),
                None => return Err(format!("cell {} is not valid UTF-8", index + 1)),
            }
            start = end;
        }
        Ok(texts)
    }
}

/// The parser's state between chunks.
pub(crate) struct CsvStream {
    reader: csv_core::Reader,
    cells: Vec<u8>,
    ends: Vec<usize>,
    /// Bytes of `cells` and entries of `ends` filled by the current row so far.
    filled: (usize, usize),
    /// Body bytes consumed so far.
    offset: usize,
    /// Where the current row started.
    row_start: usize,
    /// The body's first bytes, held until it is clear whether they are a byte-order mark.
    head: Vec<u8>,
    started: bool,
    /// Rows completed, the header included.
    rows: usize,
    /// The header's number of cells.
    columns: Option<usize>,
    /// A row that ended with `\r` at the end of a chunk (its cells and ends filled),
    /// handed on once the next byte shows whether a `\n` belongs to it.
    held: Option<(usize, usize)>,
    ended: bool,
}

impl Default for CsvStream {
    fn default() -> Self {
        Self {
            reader: csv_core::Reader::new(),
            cells: vec![0; 4096],
            ends: vec![0; 256],
            filled: (0, 0),
            offset: 0,
            row_start: 0,
            head: Vec::new(),
            started: false,
            rows: 0,
            columns: None,
            held: None,
            ended: false,
        }
    }
}

impl CsvStream {
    /// Parses the next bytes of the body, handing each row it completes to `on_row`.
    pub(crate) fn feed<E>(
        &mut self,
        chunk: &[u8],
        on_row: &mut impl FnMut(CsvRow<'_>) -> Result<(), E>,
        malformed: impl Fn(String) -> E,
    ) -> Result<(), E> {
        if self.started {
            return self.parse(chunk, false, on_row, &malformed);
        }
        // A byte-order mark before the header is not part of its first name.
        self.head.extend_from_slice(chunk);
        if self.head.len() < BOM.len() && BOM.starts_with(&self.head) {
            return Ok(());
        }
        self.started = true;
        let head = std::mem::take(&mut self.head);
        let rest = match head.strip_prefix(BOM) {
            Some(rest) => {
                self.offset = BOM.len();
                self.row_start = BOM.len();
                rest
            }
            None => &head[..],
        };
        self.parse(rest, false, on_row, &malformed)
    }

    /// The body has ended: the last row need not end with a line break.
    pub(crate) fn finish<E>(
        &mut self,
        on_row: &mut impl FnMut(CsvRow<'_>) -> Result<(), E>,
        malformed: impl Fn(String) -> E,
    ) -> Result<(), E> {
        if !self.started {
            self.started = true;
            let head = std::mem::take(&mut self.head);
            self.parse(&head, false, on_row, &malformed)?;
        }
        self.parse(&[], true, on_row, &malformed)
    }

    /// Parses `input`; `last` when the body is over (`csv_core` takes an empty input for
    /// that, so an empty input that is not the end is skipped).
    fn parse<E>(
        &mut self,
        mut input: &[u8],
        last: bool,
        on_row: &mut impl FnMut(CsvRow<'_>) -> Result<(), E>,
        malformed: &impl Fn(String) -> E,
    ) -> Result<(), E> {
        loop {
            if let Some(row) = self.held {
                // The row ended with `\r`: a `\n` after it belongs to it too.
                match input.first() {
                    None if !last => return Ok(()),
                    Some(b'\n') => {
                        input = &input[1..];
                        self.offset += 1;
                    }
                    _ => {}
                }
                self.held = None;
                self.emit(row, on_row, malformed)?;
                continue;
            }
            if self.ended || (input.is_empty() && !last) {
                return Ok(());
            }
            let (cells, ends) = self.filled;
            let (result, read, wrote, ended) =
                self.reader
                    .read_record(input, &mut self.cells[cells..], &mut self.ends[ends..]);
            let carriage_return = read > 0 && input[read - 1] == b'\r';
            input = &input[read..];
            self.offset += read;
            self.filled = (cells + wrote, ends + ended);
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.cells.len() * 2;
                    self.cells.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => {
                    let row = std::mem::take(&mut self.filled);
                    if carriage_return {
                        self.held = Some(row);
                    } else {
                        self.emit(row, on_row, malformed)?;
                    }
                }
                ReadRecordResult::End => self.ended = true,
            }
        }
    }

    /// Hands on the row held in `cells` and `ends`, which ends where the input is now.
    fn emit<E>(
        &mut self,
        (cells, ends): (usize, usize),
        on_row: &mut impl FnMut(CsvRow<'_>) -> Result<(), E>,
        malformed: &impl Fn(String) -> E,
    ) -> Result<(), E> {
        let span = self.row_start..self.offset;
        self.row_start = self.offset;
        let columns = *self.columns.get_or_insert(ends);
        if ends != columns {
            return Err(malformed(format!(
                "row {} (at byte {}) has {ends} cells, the header {columns}",
                self.rows, span.start
            )));
        }
        let row = CsvRow {
            cells: &self.cells[..cells],
            ends: &self.ends[..ends],
            span,
            number: self.rows,
        };
        self.rows += 1;
        on_row(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as the tests see it: number, cells, span.
    type Seen = (usize, Vec<String>, Range<usize>);

    /// Rows of `body` fed in chunks of `size` bytes.
    fn rows(body: &[u8], size: usize) -> Result<Vec<Seen>, String> {
        let mut stream = CsvStream::default();
        let mut rows = Vec::new();
        let mut on_row = |row: CsvRow<'_>| {
            let cells = row.texts()?.into_iter().map(String::from).collect();
            rows.push((row.number, cells, row.span));
            Ok::<_, String>(())
        };
        for chunk in body.chunks(size.max(1)) {
            stream.feed(chunk, &mut on_row, |message| message)?;
        }
        stream.finish(&mut on_row, |message| message)?;
        Ok(rows)
    }

    #[test]
    fn rows_come_whole_whatever_the_chunks() {
        let body = b"\xEF\xBB\xBFid,note\r\n1,\"a,\"\"b\"\"\nc\"\n\n2,\xC3\xA9\n3,";
        let whole = rows(body, body.len()).unwrap();
        for size in 1..body.len() {
            assert_eq!(rows(body, size).unwrap(), whole, "chunks of {size}");
        }
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[0].1, ["id", "note"]);
        assert_eq!(whole[0].2, 3..12);
        assert_eq!(whole[1].2, 12..26);
        assert_eq!(whole[1].1, ["1", "a,\"b\"\nc"]);
        assert_eq!(whole[2].1, ["2", "é"]);
        assert_eq!(whole[3].1, ["3", ""]);
        assert_eq!(whole[3].2.end, body.len());
        // The csv crate reads the same rows.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&body[3..]);
        let theirs: Vec<Vec<String>> = reader
            .records()
            .map(|row| row.unwrap().iter().map(String::from).collect())
            .collect();
        let ours: Vec<Vec<String>> = whole.into_iter().map(|(_, cells, _)| cells).collect();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_row_of_the_wrong_width_and_bad_utf8_are_refused() {
        let error = rows(b"id,a\n1,x\n2\n", 3).unwrap_err();
        assert!(
            error.contains("row 2 (at byte 9) has 1 cells, the header 2"),
            "{error}"
        );
        let error = rows(b"id\n\xFF\n", 2).unwrap_err();
        assert!(error.contains("cell 1 is not valid UTF-8"), "{error}");
        assert!(rows(b"", 1).unwrap().is_empty());
        // Two bytes of a byte-order mark alone are data, and not UTF-8.
        assert!(rows(b"\xEF\xBB", 1).is_err());
        // The two halves of `é` in two cells: valid once joined, but not either cell.
        let error = rows(b"a,b,c\nx,\xC3,\xA9\n", 4).unwrap_err();
        assert!(error.contains("cell 2 is not valid UTF-8"), "{error}");
        // A bad cell after good ones is named.
        let error = rows(b"a,b,c\n\xC3\xA9,ok,\xFF\n", 4).unwrap_err();
        assert!(error.contains("cell 3 is not valid UTF-8"), "{error}");
    }
}
