//! The row keys of an export body, read without decoding the rest of each row, and the
//! check that a batch holds every record asked for, each row once.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

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

fn decode_error(body: &[u8], message: impl Into<String>) -> Error {
    Error::Decode {
        method: "export_records",
        message: message.into(),
        snippet: snippet(body),
    }
}

/// The keys of every row of a body, in order.
pub(crate) fn scan(wire: Wire, body: &[u8], record_field: &str) -> Result<Vec<Key>, Error> {
    match wire {
        Wire::Csv => scan_csv(body, record_field),
        Wire::Json => scan_json(body, record_field),
    }
}

fn scan_csv(body: &[u8], record_field: &str) -> Result<Vec<Key>, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(body);
    let headers = reader
        .byte_headers()
        .map_err(|error| decode_error(body, error.to_string()))?
        .clone();
    let position = |name: &str| headers.iter().position(|header| header == name.as_bytes());
    let record = position(record_field).ok_or_else(|| {
        decode_error(
            body,
            format!("the export has no `{record_field}` column, which every batch needs"),
        )
    })?;
    let (event, instrument, instance) = (position(EVENT), position(INSTRUMENT), position(INSTANCE));
    let mut keys = Vec::new();
    let mut row = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(decode_error(body, error.to_string())),
        }
        let text = |column: Option<usize>| {
            column
                .and_then(|column| row.get(column))
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default()
        };
        keys.push(Key {
            record: text(Some(record)),
            event: text(event),
            instrument: text(instrument),
            instance: text(instance),
        });
    }
    Ok(keys)
}

fn scan_json(body: &[u8], record_field: &str) -> Result<Vec<Key>, Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let keys = Rows { record_field }
        .deserialize(&mut deserializer)
        .and_then(|keys| deserializer.end().map(|()| keys))
        .map_err(|error| decode_error(body, error.to_string()))?;
    Ok(keys)
}

struct Rows<'a> {
    record_field: &'a str,
}

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = Vec<Key>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Key>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = Vec<Key>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of export rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Key>, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = seq.next_element_seed(RowKeySeed {
            record_field: self.record_field,
        })? {
            keys.push(key);
        }
        Ok(keys)
    }
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
    pub(crate) fn add(&mut self, keys: Vec<Key>) -> Result<(), Error> {
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
            if let Some(key) = self.seen.replace(key) {
                return Err(Error::Incomplete {
                    problem: key.duplicate(),
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
            scan(Wire::Csv, csv, "id").unwrap(),
            scan(Wire::Json, json, "id").unwrap(),
        ] {
            assert_eq!(keys.len(), 2);
            assert_eq!(keys[1].instance, "2");
            assert_eq!(keys[1].instrument, "visit");
            assert_eq!(keys[0].event, "base");
        }
        assert!(scan(Wire::Csv, b"", "id").unwrap().is_empty());
        assert!(scan(Wire::Json, b"[]", "id").unwrap().is_empty());
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
            .add(vec![key("1", ""), key("1", "1"), key("3", "")])
            .unwrap();
        assert_eq!(tally.missing(&asked), ["2"]);
        let error = tally.add(vec![key("3", "")]).unwrap_err();
        assert!(error.to_string().contains("record `3` twice"), "{error}");
        let error = Tally::new(&asked).add(vec![key("9", "")]).unwrap_err();
        assert!(error.to_string().contains("`9`"), "{error}");
    }
}
