//! A reader for the one JSON shape a flat record export has: an array of objects whose
//! values are strings (now and then an integer or `null`).
//!
//! General JSON parsers scan every key byte by byte. Here the next key is almost always
//! the column after the last one, so the reader compares the body against that name and
//! skips the scan; values are scanned eight bytes at a time. Anything outside the shape —
//! a syntax error, `true`, a float, a nested value, a key with an escape — is not handled
//! here: the caller decodes the body again with `serde_json`, which gives the same rows
//! for every body this reader accepts and a precise message for every body it refuses.

use std::borrow::Cow;

use super::decode::{RecordError, set};
use super::{DecodeMode, FlatRow};

/// Why the reader stopped.
pub(super) enum Stop {
    /// The body is outside the shape this reader handles.
    Unhandled,
    /// A value does not fit its field.
    Value(RecordError),
}

/// Decodes a flat export into rows, reserving `capacity` rows up front.
pub(super) fn decode<T: FlatRow>(
    text: &str,
    mode: DecodeMode,
    capacity: usize,
) -> Result<Vec<T>, Stop> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        scratch: String::new(),
    };
    let mut rows = Vec::with_capacity(capacity);
    reader.expect(b'[')?;
    if !reader.eat(b']')? {
        loop {
            let row = reader.row::<T>(mode, rows.len() + 1)?;
            rows.push(row);
            match reader.next_byte()? {
                b',' => continue,
                b']' => break,
                _ => return Err(Stop::Unhandled),
            }
        }
    }
    reader.skip_whitespace();
    if reader.at == reader.bytes.len() {
        Ok(rows)
    } else {
        Err(Stop::Unhandled)
    }
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    /// Unescaped text of the current value, when it had escapes.
    scratch: String,
}

impl<'t> Reader<'t> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte that is not whitespace, consumed.
    fn next_byte(&mut self) -> Result<u8, Stop> {
        self.skip_whitespace();
        let byte = *self.bytes.get(self.at).ok_or(Stop::Unhandled)?;
        self.at += 1;
        Ok(byte)
    }

    fn expect(&mut self, wanted: u8) -> Result<(), Stop> {
        if self.next_byte()? == wanted {
            Ok(())
        } else {
            Err(Stop::Unhandled)
        }
    }

    /// Consumes `wanted` if it is the next byte that is not whitespace.
    fn eat(&mut self, wanted: u8) -> Result<bool, Stop> {
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&wanted) {
            self.at += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// One export row: `{"column":value,...}`.
    fn row<T: FlatRow>(&mut self, mode: DecodeMode, number: usize) -> Result<T, Stop> {
        let mut row = T::default();
        self.expect(b'{')?;
        if self.eat(b'}')? {
            return Ok(row);
        }
        // REDCap puts the record id first: remember it to name the record in errors.
        let mut record: Option<String> = None;
        let mut next = 0;
        loop {
            self.expect(b'"')?;
            let (column, index) = match T::COLUMNS.get(next) {
                Some(expected) if self.at_key(expected) => {
                    self.at += expected.len() + 1;
                    (*expected, Some(next))
                }
                _ => {
                    let column = self.plain_key()?;
                    (column, T::column_index(column))
                }
            };
            self.expect(b':')?;
            let raw = self.value()?;
            if record.is_none() {
                record = Some(raw.to_string());
            }
            if let Some(index) = index {
                next = index + 1;
            }
            let outcome = set(&mut row, index, &raw, mode);
            if let Err((value, expected)) = outcome {
                // The rest of the object must be well formed for the error to be about
                // values, not syntax.
                self.skip_rest_of_object()?;
                return Err(Stop::Value(RecordError {
                    row: number,
                    record,
                    column: column.to_string(),
                    value,
                    expected,
                }));
            }
            match self.next_byte()? {
                b',' => continue,
                b'}' => return Ok(row),
                _ => return Err(Stop::Unhandled),
            }
        }
    }

    /// Reads past the entries left in an object, up to its closing brace.
    fn skip_rest_of_object(&mut self) -> Result<(), Stop> {
        loop {
            match self.next_byte()? {
                b'}' => return Ok(()),
                b',' => {
                    self.expect(b'"')?;
                    self.plain_key()?;
                    self.expect(b':')?;
                    self.value()?;
                }
                _ => return Err(Stop::Unhandled),
            }
        }
    }

    /// Whether the body continues with `name` and the closing quote.
    fn at_key(&self, name: &str) -> bool {
        let rest = &self.bytes[self.at..];
        rest.len() > name.len()
            && rest[name.len()] == b'"'
            && &rest[..name.len()] == name.as_bytes()
    }

    /// A key without escapes, after its opening quote (REDCap's column names never have
    /// any).
    fn plain_key(&mut self) -> Result<&'t str, Stop> {
        let start = self.at;
        let end = start + special_offset(&self.bytes[start..]).ok_or(Stop::Unhandled)?;
        if self.bytes[end] != b'"' {
            return Err(Stop::Unhandled);
        }
        self.at = end + 1;
        Ok(&self.text[start..end])
    }

    /// A cell's text: a string, an integer kept as its digits, or `null` as blank.
    fn value(&mut self) -> Result<Cow<'_, str>, Stop> {
        match self.next_byte()? {
            b'"' => self.string(),
            b'n' if self.bytes[self.at..].starts_with(b"ull") => {
                self.at += 3;
                Ok(Cow::Borrowed(""))
            }
            b'0'..=b'9' | b'-' => self.integer(),
            _ => Err(Stop::Unhandled),
        }
    }

    /// An integer in the form `serde_json` would print it back: no `-0`, no leading zero,
    /// no fraction or exponent, and small enough for an `i64`/`u64`.
    fn integer(&mut self) -> Result<Cow<'_, str>, Stop> {
        let start = self.at - 1;
        let digits = self.bytes[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        self.at += digits;
        let text = &self.text[start..self.at];
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let canonical = !unsigned.is_empty()
            && unsigned.len() <= 18
            && (unsigned == "0" || !unsigned.starts_with('0'))
            && text != "-0";
        let ends_plainly = !matches!(self.bytes.get(self.at), Some(b'.' | b'e' | b'E'));
        if canonical && ends_plainly {
            Ok(Cow::Borrowed(text))
        } else {
            Err(Stop::Unhandled)
        }
    }

    /// A string after its opening quote, unescaped.
    fn string(&mut self) -> Result<Cow<'_, str>, Stop> {
        let start = self.at;
        let end = start + special_offset(&self.bytes[start..]).ok_or(Stop::Unhandled)?;
        match self.bytes[end] {
            b'"' => {
                self.at = end + 1;
                Ok(Cow::Borrowed(&self.text[start..end]))
            }
            b'\\' => {
                self.scratch.clear();
                self.scratch.push_str(&self.text[start..end]);
                self.at = end;
                self.escaped_rest()?;
                Ok(Cow::Borrowed(self.scratch.as_str()))
            }
            // A raw control character: not JSON.
            _ => Err(Stop::Unhandled),
        }
    }

    /// The rest of a string from its first backslash, appended to `scratch`.
    fn escaped_rest(&mut self) -> Result<(), Stop> {
        loop {
            let start = self.at;
            let end = start + special_offset(&self.bytes[start..]).ok_or(Stop::Unhandled)?;
            self.scratch.push_str(&self.text[start..end]);
            match self.bytes[end] {
                b'"' => {
                    self.at = end + 1;
                    return Ok(());
                }
                b'\\' => {
                    let escape = *self.bytes.get(end + 1).ok_or(Stop::Unhandled)?;
                    self.at = end + 2;
                    let unescaped = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(Stop::Unhandled),
                    };
                    self.scratch.push(unescaped);
                }
                _ => return Err(Stop::Unhandled),
            }
        }
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two), after the `u`.
    fn unicode_escape(&mut self) -> Result<char, Stop> {
        let high = self.hex4()?;
        if !(0xD800..0xE000).contains(&high) {
            return char::from_u32(high).ok_or(Stop::Unhandled);
        }
        // A lone or reversed surrogate is left to serde_json to refuse.
        if high >= 0xDC00 || !self.bytes[self.at..].starts_with(b"\\u") {
            return Err(Stop::Unhandled);
        }
        self.at += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(Stop::Unhandled);
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or(Stop::Unhandled)
    }

    fn hex4(&mut self) -> Result<u32, Stop> {
        let digits = self.text.get(self.at..self.at + 4).ok_or(Stop::Unhandled)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Stop::Unhandled);
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| Stop::Unhandled)
    }
}

/// The offset of the first `"`, `\` or control character, eight bytes at a time.
fn special_offset(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut offset = 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        // A byte is flagged when it is below 0x20, or equal to `"` or `\` (its xor is zero).
        let control = word.wrapping_sub(ONES * 0x20);
        let quote = (word ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
        let backslash = (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
        let flagged = (control | quote | backslash) & !word & HIGHS;
        if flagged != 0 {
            // Borrows can flag bytes after the first real one, never before it.
            return Some(offset + (flagged.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|b| matches!(b, b'"' | b'\\' | 0..=0x1f))
        .map(|position| offset + position)
}

#[cfg(test)]
mod tests {
    use super::special_offset;

    #[test]
    fn special_offset_finds_the_first_special_byte() {
        let mut text = vec![b'a'; 40];
        assert_eq!(special_offset(&text), None);
        for (at, special) in [(0, b'"'), (7, b'\\'), (8, 0x1f), (13, b'\n'), (39, b'"')] {
            let mut bytes = text.clone();
            bytes[at] = special;
            assert_eq!(special_offset(&bytes), Some(at), "byte {special} at {at}");
        }
        // Bytes with the high bit set (UTF-8) and just above the limits are not special.
        text[3] = 0xc3;
        text[4] = 0x20;
        text[5] = b'#';
        text[6] = b']';
        assert_eq!(special_offset(&text), None);
    }
}
