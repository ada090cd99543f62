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

use super::decode::{Decoded, cell, keep};
use super::invalid::Collector;
use super::{DecodeMode, FlatRow};

/// The body is outside the shape this reader handles.
#[derive(Debug)]
pub(super) struct Unhandled;

/// Decodes a flat export into rows, reserving `capacity` rows up front; `None` when the
/// body is outside the shape.
pub(super) fn decode<T: FlatRow>(
    text: &str,
    mode: DecodeMode,
    capacity: usize,
) -> Option<Decoded<T>> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        scratch: String::new(),
    };
    let mut rows = Vec::with_capacity(capacity);
    let mut collector = Collector::default();
    reader.rows(mode, &mut rows, &mut collector).ok()?;
    Some(Decoded {
        rows,
        invalid: collector.finish(),
    })
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
    fn next_byte(&mut self) -> Result<u8, Unhandled> {
        self.skip_whitespace();
        let byte = *self.bytes.get(self.at).ok_or(Unhandled)?;
        self.at += 1;
        Ok(byte)
    }

    fn expect(&mut self, wanted: u8) -> Result<(), Unhandled> {
        if self.next_byte()? == wanted {
            Ok(())
        } else {
            Err(Unhandled)
        }
    }

    /// Consumes `wanted` if it is the next byte that is not whitespace.
    fn eat(&mut self, wanted: u8) -> Result<bool, Unhandled> {
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&wanted) {
            self.at += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// The whole body: an array of rows, then nothing but whitespace.
    fn rows<T: FlatRow>(
        &mut self,
        mode: DecodeMode,
        rows: &mut Vec<T>,
        collector: &mut Collector,
    ) -> Result<(), Unhandled> {
        self.expect(b'[')?;
        if !self.eat(b']')? {
            let mut number = 0;
            loop {
                number += 1;
                let row = self.row::<T>(mode, collector)?;
                keep(rows, row, collector.end_row(number));
                match self.next_byte()? {
                    b',' => continue,
                    b']' => break,
                    _ => return Err(Unhandled),
                }
            }
        }
        self.skip_whitespace();
        if self.at == self.bytes.len() {
            Ok(())
        } else {
            Err(Unhandled)
        }
    }

    /// One export row: `{"column":value,...}`.
    fn row<T: FlatRow>(
        &mut self,
        mode: DecodeMode,
        collector: &mut Collector,
    ) -> Result<T, Unhandled> {
        let mut row = T::default();
        self.expect(b'{')?;
        if self.eat(b'}')? {
            return Ok(row);
        }
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
            if let Some(index) = index {
                next = index + 1;
            }
            cell(&mut row, collector, column, index, &raw, mode);
            match self.next_byte()? {
                b',' => continue,
                b'}' => return Ok(row),
                _ => return Err(Unhandled),
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
    fn plain_key(&mut self) -> Result<&'t str, Unhandled> {
        let start = self.at;
        let end = start + special_offset(&self.bytes[start..]).ok_or(Unhandled)?;
        if self.bytes[end] != b'"' {
            return Err(Unhandled);
        }
        self.at = end + 1;
        Ok(&self.text[start..end])
    }

    /// A cell's text: a string, an integer kept as its digits, or `null` as blank.
    fn value(&mut self) -> Result<Cow<'_, str>, Unhandled> {
        match self.next_byte()? {
            b'"' => self.string(),
            b'n' if self.bytes[self.at..].starts_with(b"ull") => {
                self.at += 3;
                Ok(Cow::Borrowed(""))
            }
            b'0'..=b'9' | b'-' => self.integer(),
            _ => Err(Unhandled),
        }
    }

    /// An integer in the form `serde_json` would print it back: no `-0`, no leading zero,
    /// no fraction or exponent, and small enough for an `i64`/`u64`.
    fn integer(&mut self) -> Result<Cow<'_, str>, Unhandled> {
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
            Err(Unhandled)
        }
    }

    /// A string after its opening quote, unescaped.
    fn string(&mut self) -> Result<Cow<'_, str>, Unhandled> {
        let start = self.at;
        let end = start + special_offset(&self.bytes[start..]).ok_or(Unhandled)?;
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
            _ => Err(Unhandled),
        }
    }

    /// The rest of a string from its first backslash, appended to `scratch`.
    fn escaped_rest(&mut self) -> Result<(), Unhandled> {
        loop {
            let start = self.at;
            let end = start + special_offset(&self.bytes[start..]).ok_or(Unhandled)?;
            self.scratch.push_str(&self.text[start..end]);
            match self.bytes[end] {
                b'"' => {
                    self.at = end + 1;
                    return Ok(());
                }
                b'\\' => {
                    let escape = *self.bytes.get(end + 1).ok_or(Unhandled)?;
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
                        _ => return Err(Unhandled),
                    };
                    self.scratch.push(unescaped);
                }
                _ => return Err(Unhandled),
            }
        }
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two), after the `u`.
    fn unicode_escape(&mut self) -> Result<char, Unhandled> {
        let high = self.hex4()?;
        if !(0xD800..0xE000).contains(&high) {
            return char::from_u32(high).ok_or(Unhandled);
        }
        // A lone or reversed surrogate is left to serde_json to refuse.
        if high >= 0xDC00 || !self.bytes[self.at..].starts_with(b"\\u") {
            return Err(Unhandled);
        }
        self.at += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(Unhandled);
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or(Unhandled)
    }

    fn hex4(&mut self) -> Result<u32, Unhandled> {
        let digits = self.text.get(self.at..self.at + 4).ok_or(Unhandled)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Unhandled);
        }
        self.at += 4;
        u32::from_str_radix(digits, 16).map_err(|_| Unhandled)
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
