//! Serde for typed rows and records in REDCap's wire form (feature `serde-wire`): a row is
//! an object of export column → text, exactly the object REDCap's flat JSON export and
//! import use, read and written through [`FlatRow`]'s column machinery. Nothing derives
//! serde on the wide generated structs, so their compile time does not grow with it.
//!
//! ```
//! # #[cfg(feature = "serde-wire")] {
//! use redcap_client::records::{RecordId, Wire};
//! #[derive(redcap_client::Record, Default)]
//! struct Visit {
//!     record_id: Option<RecordId>,
//!     age: Option<i64>,
//! }
//! let row: Wire<Visit> = serde_json::from_str(r#"{"record_id": "7", "age": "42"}"#).unwrap();
//! assert_eq!(row.0.age, Some(42));
//! assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"record_id":"7","age":"42"}"#);
//! # }
//! ```

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::machinery::{Grouped, ProjectRow};
use super::{DecodeMode, FlatRow};

/// Pseudo-columns a `Row` may carry past its own columns, written only when not blank.
const PSEUDO_COLUMNS: [&str; 2] = ["redcap_data_access_group", "redcap_survey_identifier"];

/// A typed row that serialises as REDCap's wire object: every column of the type, in
/// order, with its exact text (blank as `""`), then the data access group and survey
/// identifier when set. Deserialising sets each column through the type's own decoding
/// (strict: a value that does not fit its field is an error naming the column and value;
/// for a complete `Row`, so is an unknown column). Numbers are accepted where REDCap's
/// JSON writes them (`redcap_repeat_instance`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wire<T>(pub T);

impl<T: FlatRow> Serialize for Wire<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_row(&self.0, serializer)
    }
}

/// A borrowed row, serialised as [`Wire`] serialises it, so rows need not be moved or
/// cloned to be written.
#[derive(Debug, Clone, Copy)]
pub struct WireRef<'a, T>(pub &'a T);

impl<T: FlatRow> Serialize for WireRef<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_row(self.0, serializer)
    }
}

fn serialize_row<T: FlatRow, S: Serializer>(row: &T, serializer: S) -> Result<S::Ok, S::Error> {
    let pseudo: Vec<(&str, String)> = PSEUDO_COLUMNS
        .iter()
        .filter_map(|column| {
            let index = T::column_index(column).filter(|i| *i >= T::COLUMNS.len())?;
            let text = row.column_text(index);
            (!text.is_empty()).then(|| (*column, text.into_owned()))
        })
        .collect();
    let mut map = serializer.serialize_map(Some(T::COLUMNS.len() + pseudo.len()))?;
    for (index, column) in T::COLUMNS.iter().enumerate() {
        map.serialize_entry(column, &row.column_text(index))?;
    }
    for (column, text) in &pseudo {
        map.serialize_entry(column, text)?;
    }
    map.end()
}

impl<'de, T: FlatRow> Deserialize<'de> for Wire<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RowVisitor(PhantomData))
    }
}

struct RowVisitor<T>(PhantomData<T>);

impl<'de, T: FlatRow> Visitor<'de> for RowVisitor<T> {
    type Value = Wire<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a REDCap record row: an object of export column to value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Wire<T>, A::Error> {
        let mut row = T::default();
        while let Some(column) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let text = map.next_value::<WireText>()?.0;
            match T::column_index(&column) {
                Some(index) => row
                    .set_column(index, &text, DecodeMode::Strict)
                    .map_err(|e| {
                        de::Error::custom(format_args!(
                            "column `{column}`: `{text}` is not {}",
                            e.expected
                        ))
                    })?,
                None if T::COMPLETE => {
                    return Err(de::Error::custom(format_args!(
                        "column `{column}` is not a column of this project"
                    )));
                }
                None => {}
            }
        }
        Ok(Wire(row))
    }
}

/// A cell's text: a string, or a number or boolean written as REDCap's JSON writes it.
struct WireText(String);

impl<'de> Deserialize<'de> for WireText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = WireText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireText, E> {
                Ok(WireText(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<WireText, E> {
                Ok(WireText(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireText, E> {
                Ok(WireText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireText, E> {
                Ok(WireText(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<WireText, E> {
                Ok(WireText(String::new()))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A project's generated records (`G`, with its `Row` `R`) that serialise as the flat rows
/// REDCap exports for them — a JSON array of wire objects, in export order — and
/// deserialise from such rows, grouped back into records (rows of one record together,
/// as REDCap exports them; a row that does not fit its record is an error).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireRecords<G, R> {
    /// The records.
    pub records: Vec<G>,
    row: PhantomData<R>,
}

impl<G, R> WireRecords<G, R> {
    /// Records to serialise.
    pub fn new(records: Vec<G>) -> Self {
        Self {
            records,
            row: PhantomData,
        }
    }
}

impl<G: Grouped<R>, R: ProjectRow> Serialize for WireRecords<G, R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        for record in &self.records {
            for row in super::machinery::to_rows::<G, R>(record) {
                seq.serialize_element(&WireRef(&row))?;
            }
        }
        seq.end()
    }
}

impl<'de, G: Grouped<R>, R: ProjectRow> Deserialize<'de> for WireRecords<G, R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowsVisitor<R>(PhantomData<R>);
        impl<'de, R: FlatRow> Visitor<'de> for RowsVisitor<R> {
            type Value = Vec<R>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of REDCap record rows")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<R>, A::Error> {
                let mut rows = Vec::new();
                while let Some(Wire(row)) = seq.next_element_seed(RowSeed(PhantomData))? {
                    rows.push(row);
                }
                Ok(rows)
            }
        }
        let rows = deserializer.deserialize_seq(RowsVisitor::<R>(PhantomData))?;
        let records = super::machinery::from_rows::<G, R>(rows).map_err(de::Error::custom)?;
        Ok(WireRecords::new(records))
    }
}

/// Deserialises one row: the seed form of [`Wire`]'s impl, for sequences.
struct RowSeed<R>(PhantomData<R>);

impl<'de, R: FlatRow> DeserializeSeed<'de> for RowSeed<R> {
    type Value = Wire<R>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Wire<R>, D::Error> {
        Wire::<R>::deserialize(deserializer)
    }
}
