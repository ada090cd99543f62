//! The row keys of an export body, read without decoding the rest of each row, and the
//! check that a batch holds every record asked for, each row once.

use std::collections::{HashMap, HashSet};
use std::fmt;

use std::ops::Range;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::csv_stream::{CsvRow, CsvStream};
use super::sink::Wire;
use crate::error::{Error, Incompleteness, snippet};

/// Where a row belongs: record, event, repeat instrument, repeat instance (blank when
/// absent).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) record: String,
    pub(crate) event: String,
    pub(crate) instrument: String,
    pub(crate) instance: String,
}

impl Key {
    pub(crate) fn duplicate(self) -> Incompleteness {
        let some = |text: String| (!text.is_empty()).then_some(text);
        Incompleteness::DuplicateRow {
            record: self.record,
            event: some(self.event),
            repeat_instrument: some(self.instrument),
            repeat_instance: some(self.instance),
        }
    }
}

/// The columns that make up a key, besides the record-ID field.
const EVENT: &str = "redcap_event_name";
const INSTRUMENT: &str = "redcap_repeat_instrument";
const INSTANCE: &str = "redcap_repeat_instance";

pub(crate) fn decode_error(body: &[u8], message: impl Into<String>) -> Error {
    Error::Decode {
        method: "export_records",
        message: message.into(),
        snippet: snippet(body),
    }
}

/// A body's rows: the key and byte span of each, in order, and the CSV header's span.
pub(crate) struct Scanned {
    pub(crate) keys: Vec<Key>,
    pub(crate) spans: Vec<Range<usize>>,
    pub(crate) header: Range<usize>,
}

/// The keys of every row of a body, in order.
pub(crate) fn scan(wire: Wire, body: &[u8], record_field: &str) -> Result<Scanned, Error> {
    match wire {
        Wire::Csv => scan_csv(body, record_field),
        Wire::Json => scan_json(body, record_field),
    }
}

fn scan_csv(body: &[u8], record_field: &str) -> Result<Scanned, Error> {
    let mut scanned = Scanned {
        keys: Vec::new(),
        spans: Vec::new(),
        header: 0..0,
    };
    let mut stream = CsvStream::default();
    let mut keys = CsvKeys::default();
    let mut on_row = |row: CsvRow<'_>| {
        match keys.row(&row, record_field)? {
            Some(key) => {
                scanned.keys.push(key);
                scanned.spans.push(row.span);
            }
            None => scanned.header = 0..row.span.end,
        }
        Ok(())
    };
    let malformed = |message| decode_error(body, message);
    stream.feed(body, &mut on_row, malformed)?;
    stream.finish(&mut on_row, malformed)?;
    Ok(scanned)
}

/// The keys of a CSV body's rows, read one row at a time, the header first.
#[derive(Default)]
pub(crate) struct CsvKeys {
    /// Where the key columns are, once the header was read (`None` inside for a blank
    /// header: a body without rows).
    columns: Option<Option<KeyColumns>>,
}

impl CsvKeys {
    /// The key of a data row; `None` for the header.
    pub(crate) fn row(
        &mut self,
        row: &CsvRow<'_>,
        record_field: &str,
    ) -> Result<Option<Key>, Error> {
        match &self.columns {
            None => {
                self.columns = Some(KeyColumns::find(row, record_field)?);
                Ok(None)
            }
            Some(Some(columns)) => Ok(Some(columns.key(row))),
            Some(None) => Err(decode_error(
                &row.iter().collect::<Vec<_>>().join(&b","[..]),
                format!("the export has no `{record_field}` column, which every batch needs"),
            )),
        }
    }
}

/// Where the key columns are in a CSV header.
struct KeyColumns {
    record: usize,
    event: Option<usize>,
    instrument: Option<usize>,
    instance: Option<usize>,
}

impl KeyColumns {
    /// The key columns of this header; `None` for a blank header (a body without rows).
    fn find(header: &CsvRow<'_>, record_field: &str) -> Result<Option<Self>, Error> {
        if header.iter().all(|cell| cell.trim_ascii().is_empty()) {
            return Ok(None);
        }
        let position = |name: &str| header.iter().position(|cell| cell == name.as_bytes());
        let record = position(record_field).ok_or_else(|| {
            decode_error(
                &header.iter().collect::<Vec<_>>().join(&b","[..]),
                format!("the export has no `{record_field}` column, which every batch needs"),
            )
        })?;
        Ok(Some(Self {
            record,
            event: position(EVENT),
            instrument: position(INSTRUMENT),
            instance: position(INSTANCE),
        }))
    }

    /// The key of a row under this header.
    fn key(&self, row: &CsvRow<'_>) -> Key {
        let text = |column: Option<usize>| {
            column
                .and_then(|column| row.get(column))
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default()
        };
        Key {
            record: text(Some(self.record)),
            event: text(self.event),
            instrument: text(self.instrument),
            instance: text(self.instance),
        }
    }
}

fn scan_json(body: &[u8], record_field: &str) -> Result<Scanned, Error> {
    let spans = object_spans(body).map_err(|message| decode_error(body, message))?;
    let keys = spans
        .iter()
        .map(|span| {
            let mut deserializer = serde_json::Deserializer::from_slice(&body[span.clone()]);
            RowKeySeed { record_field }
                .deserialize(&mut deserializer)
                .and_then(|key| deserializer.end().map(|()| key))
                .map_err(|error| decode_error(&body[span.clone()], error.to_string()))
        })
        .collect::<Result<_, _>>()?;
    Ok(Scanned {
        keys,
        spans,
        header: 0..0,
    })
}

/// The byte spans of the objects of a top-level JSON array.
fn object_spans(body: &[u8]) -> Result<Vec<Range<usize>>, String> {
    let skip = |mut at: usize| {
        while body.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        at
    };
    let mut at = skip(0);
    if body.get(at) != Some(&b'[') {
        return Err("expected a JSON array of rows".into());
    }
    at += 1;
    let mut spans = Vec::new();
    let mut expect_row = true;
    loop {
        at = skip(at);
        match body.get(at) {
            None => return Err("the JSON array of rows is not closed".into()),
            Some(b']') if !expect_row || spans.is_empty() => {
                at += 1;
                break;
            }
            Some(b',') if !expect_row => {
                expect_row = true;
                at += 1;
            }
            Some(b'{') if expect_row => {
                let end = object_end(body, at)?;
                spans.push(at..end);
                at = end;
                expect_row = false;
            }
            Some(&other) => {
                return Err(format!(
                    "unexpected `{}` at byte {at} of the array of rows",
                    other as char
                ));
            }
        }
    }
    if skip(at) != body.len() {
        return Err(format!("text after the array of rows, at byte {at}"));
    }
    Ok(spans)
}

/// Where the JSON object starting at `start` ends (one past its `}`).
fn object_end(body: &[u8], start: usize) -> Result<usize, String> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (at, &byte) in body.iter().enumerate().skip(start) {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(at + 1);
                }
            }
            _ => {}
        }
    }
    Err(format!("the row starting at byte {start} is not closed"))
}

/// One body of the rows of two (a batch and the records asked for again), rows ordered
/// by their record's place in `order` as REDCap orders them, so that the result is the
/// body one complete answer would have been.
pub(crate) fn merge(
    wire: Wire,
    parts: [(&[u8], &Scanned); 2],
    order: &[String],
) -> Result<Vec<u8>, Error> {
    let place: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(index, record)| (record.as_str(), index))
        .collect();
    let mut rows: Vec<(usize, &[u8])> = Vec::new();
    for (body, scanned) in parts {
        for (key, span) in scanned.keys.iter().zip(&scanned.spans) {
            let at = place
                .get(key.record.as_str())
                .copied()
                .unwrap_or(usize::MAX);
            rows.push((at, &body[span.clone()]));
        }
    }
    // Stable: a record's rows keep REDCap's order.
    rows.sort_by_key(|(at, _)| *at);
    let mut merged = Vec::with_capacity(parts.iter().map(|(body, _)| body.len()).sum());
    match wire {
        Wire::Csv => {
            let headers: Vec<&[u8]> = parts
                .iter()
                .map(|(body, scanned)| body[scanned.header.clone()].trim_ascii_end())
                .filter(|header| !header.is_empty())
                .collect();
            if let [first, second] = headers[..]
                && first != second
            {
                return Err(Error::Incomplete {
                    problem: Incompleteness::ColumnsDiffer(format!(
                        "`{}` then `{}`",
                        String::from_utf8_lossy(first),
                        String::from_utf8_lossy(second)
                    )),
                });
            }
            if let Some(header) = headers.first() {
                merged.extend_from_slice(header);
                merged.push(b'\n');
            }
            for (_, row) in rows {
                merged.extend_from_slice(row);
                if !row.ends_with(b"\n") {
                    merged.push(b'\n');
                }
            }
        }
        Wire::Json => {
            merged.push(b'[');
            for (index, (_, row)) in rows.into_iter().enumerate() {
                if index > 0 {
                    merged.push(b',');
                }
                merged.extend_from_slice(row);
            }
            merged.push(b']');
        }
    }
    Ok(merged)
}

struct RowKeySeed<'a> {
    record_field: &'a str,
}

impl<'de> DeserializeSeed<'de> for RowKeySeed<'_> {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowKeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an export row (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
        let mut record = None;
        let (mut event, mut instrument, mut instance) =
            (String::new(), String::new(), String::new());
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = if name == self.record_field {
                record.insert(String::new())
            } else if name == EVENT {
                &mut event
            } else if name == INSTRUMENT {
                &mut instrument
            } else if name == INSTANCE {
                &mut instance
            } else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            *slot = map.next_value::<Scalar>()?.0;
        }
        let record = record.ok_or_else(|| {
            de::Error::custom(format!(
                "a row has no `{}` column, which every batch needs",
                self.record_field
            ))
        })?;
        Ok(Key {
            record,
            event,
            instrument,
            instance,
        })
    }
}

/// A key value: REDCap sends strings, and `redcap_repeat_instance` sometimes as a number.
struct Scalar(String);

impl<'de> serde::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl Visitor<'_> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Scalar, E> {
                Ok(Scalar(text.to_string()))
            }
            fn visit_u64<E: de::Error>(self, number: u64) -> Result<Scalar, E> {
                Ok(Scalar(number.to_string()))
            }
            fn visit_i64<E: de::Error>(self, number: i64) -> Result<Scalar, E> {
                Ok(Scalar(number.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// What a batch's rows say about the records asked for.
pub(crate) struct Tally {
    /// Records asked for, and whether a row of each has come back.
    asked: HashMap<String, bool>,
    seen: HashSet<Key>,
    pub(crate) rows: usize,
}

impl Tally {
    pub(crate) fn new(records: &[String]) -> Self {
        Self {
            asked: records
                .iter()
                .map(|record| (record.clone(), false))
                .collect(),
            seen: HashSet::new(),
            rows: 0,
        }
    }

    /// Adds one body's keys: a duplicate row or a record not asked for is an error.
    pub(crate) fn add(&mut self, keys: &[Key]) -> Result<(), Error> {
        let mut unexpected = Vec::new();
        for key in keys {
            match self.asked.get_mut(&key.record) {
                Some(found) => *found = true,
                None => {
                    if !unexpected.contains(&key.record) {
                        unexpected.push(key.record.clone());
                    }
                    continue;
                }
            }
            self.rows += 1;
            if !self.seen.insert(key.clone()) {
                return Err(Error::Incomplete {
                    problem: key.clone().duplicate(),
                });
            }
        }
        if unexpected.is_empty() {
            Ok(())
        } else {
            Err(Error::Incomplete {
                problem: Incompleteness::UnexpectedRecords(unexpected),
            })
        }
    }

    /// Records asked for without a row, in the order given.
    pub(crate) fn missing(&self, order: &[String]) -> Vec<String> {
        order
            .iter()
            .filter(|record| self.asked.get(*record) == Some(&false))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_out_of_csv_and_json() {
        let csv = b"id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,age\n1,base,,,30\n1,base,visit,2,\"a,b\"\n";
        let json = br#"[{"id":"1","redcap_event_name":"base","redcap_repeat_instrument":"","redcap_repeat_instance":"","age":"30"},
            {"id":"1","redcap_event_name":"base","redcap_repeat_instrument":"visit","redcap_repeat_instance":2,"age":"a,b"}]"#;
        for keys in [
            scan(Wire::Csv, csv, "id").unwrap().keys,
            scan(Wire::Json, json, "id").unwrap().keys,
        ] {
            assert_eq!(keys.len(), 2);
            assert_eq!(keys[1].instance, "2");
            assert_eq!(keys[1].instrument, "visit");
            assert_eq!(keys[0].event, "base");
        }
        assert!(scan(Wire::Csv, b"", "id").unwrap().keys.is_empty());
        assert!(scan(Wire::Json, b"[]", "id").unwrap().keys.is_empty());
        assert!(scan(Wire::Json, b"[{\"id\":\"1\"},]", "id").is_err());
        assert!(scan(Wire::Json, b"[{\"id\":\"1\"}] x", "id").is_err());
        assert!(scan(Wire::Json, b"[{\"x\":\"1\"}]", "id").is_err());
        assert!(scan(Wire::Json, b"[{\"id\":\"1\"}", "id").is_err());
    }

    #[test]
    fn the_tally_finds_missing_repeated_and_unasked_records() {
        let asked: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
        let key = |record: &str, instance: &str| Key {
            record: record.into(),
            event: String::new(),
            instrument: String::new(),
            instance: instance.into(),
        };
        let mut tally = Tally::new(&asked);
        tally
            .add(&[key("1", ""), key("1", "1"), key("3", "")])
            .unwrap();
        assert_eq!(tally.missing(&asked), ["2"]);
        let error = tally.add(&[key("3", "")]).unwrap_err();
        assert!(error.to_string().contains("record `3` twice"), "{error}");
        let error = Tally::new(&asked).add(&[key("9", "")]).unwrap_err();
        assert!(error.to_string().contains("`9`"), "{error}");
    }

    #[test]
    fn records_asked_again_take_their_place() {
        let order: Vec<String> = ["1", "2", "3"].map(String::from).to_vec();
        let csv_first: &[u8] = b"id,note\n1,a\n3,\"c\nc\"";
        let csv_again: &[u8] = b"id,note\n2,b\n2,bb\n";
        let (first, again) = (
            scan(Wire::Csv, csv_first, "id").unwrap(),
            scan(Wire::Csv, csv_again, "id").unwrap(),
        );
        let merged = merge(
            Wire::Csv,
            [(csv_first, &first), (csv_again, &again)],
            &order,
        )
        .unwrap();
        assert_eq!(merged, b"id,note\n1,a\n2,b\n2,bb\n3,\"c\nc\"\n");
        let json_first: &[u8] = br#"[{"id":"3","x":"}"},{"id":"1"}]"#;
        let json_again: &[u8] = br#" [ {"id":"2","y":{"z":"\"]"}} ] "#;
        let (first, again) = (
            scan(Wire::Json, json_first, "id").unwrap(),
            scan(Wire::Json, json_again, "id").unwrap(),
        );
        let merged = merge(
            Wire::Json,
            [(json_first, &first), (json_again, &again)],
            &order,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(merged).unwrap(),
            r#"[{"id":"1"},{"id":"2","y":{"z":"\"]"}},{"id":"3","x":"}"}]"#
        );
    }
}
