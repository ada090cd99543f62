//! Flat JSON record exports, read as a stream: an array of objects, one per export row,
//! each with the same keys in the same order (the export's columns) and text values.
//!
//! The array is never held whole: each object is read into one reused row of cells and
//! handed on before the next is read, so memory stays at one row whatever the export's
//! size.

use std::fmt;
use std::io::Read;

use serde::Deserializer as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::error::Error;

/// What is called with the header (the first object's keys) and each row's cells.
pub(crate) type EachRow<'f> = dyn FnMut(&[String], &[String]) -> Result<(), Error> + 'f;

/// Reads a flat JSON export, calling `each` with the header and the cells of each row in
/// turn. The first object's keys are the header; every later object must have the same
/// keys in the same order, as REDCap writes them.
pub(crate) fn for_each_row<R: Read>(export: R, each: &mut EachRow<'_>) -> Result<(), Error> {
    let mut state = State {
        header: Vec::new(),
        cells: Vec::new(),
        row: 0,
        each,
        stopped: None,
    };
    let mut deserializer = serde_json::Deserializer::from_reader(export);
    let result = (&mut deserializer)
        .deserialize_seq(Rows(&mut state))
        .and_then(|()| deserializer.end());
    match result {
        Ok(()) => Ok(()),
        // The conversion's own error, not serde's word that reading stopped.
        Err(error) => Err(state.stopped.take().unwrap_or(Error::Json(error))),
    }
}

struct State<'f> {
    header: Vec<String>,
    cells: Vec<String>,
    /// The current row, from 1.
    row: u64,
    each: &'f mut EachRow<'f>,
    /// An error of `each`, which stopped the reading.
    stopped: Option<Error>,
}

/// The array of rows.
struct Rows<'s, 'f>(&'s mut State<'f>);

impl<'de> Visitor<'de> for Rows<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a flat JSON record export (an array of objects)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut rows: A) -> Result<(), A::Error> {
        while rows.next_element_seed(RowSeed(self.0))?.is_some() {}
        Ok(())
    }
}

/// One row: an object of the export's columns.
struct RowSeed<'s, 'f>(&'s mut State<'f>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} as an object of columns", self.0.row + 1)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        state.row += 1;
        let mut column = 0;
        while map
            .next_key_seed(KeySeed {
                state: &mut *state,
                column,
            })?
            .is_some()
        {
            map.next_value_seed(ValueSeed {
                state: &mut *state,
                column,
            })?;
            column += 1;
        }
        if column != state.header.len() {
            return Err(de::Error::custom(format!(
                "row {} has {column} columns, the first row {}",
                state.row,
                state.header.len()
            )));
        }
        if let Err(error) = (state.each)(&state.header, &state.cells) {
            state.stopped = Some(error);
            return Err(de::Error::custom("the conversion stopped"));
        }
        Ok(())
    }
}

/// A column's name: on the first row, a column of the header; later, the header's
/// column at the same place.
struct KeySeed<'s, 'f> {
    state: &'s mut State<'f>,
    column: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        let state = self.state;
        if state.row == 1 {
            state.header.push(key.to_owned());
            state.cells.push(String::new());
            return Ok(());
        }
        match state.header.get(self.column) {
            Some(expected) if expected == key => Ok(()),
            Some(expected) => Err(E::custom(format!(
                "row {}: column `{key}` where the first row has `{expected}` (every row of a flat export has the same columns in the same order)",
                state.row
            ))),
            None => Err(E::custom(format!(
                "row {}: column `{key}` beyond the first row's {} columns",
                state.row,
                state.header.len()
            ))),
        }
    }
}

/// A cell: REDCap writes every value as text; a whole number is taken at its digits.
struct ValueSeed<'s, 'f> {
    state: &'s mut State<'f>,
    column: usize,
}

impl ValueSeed<'_, '_> {
    fn set(self, text: &str) {
        let cell = &mut self.state.cells[self.column];
        cell.clear();
        cell.push_str(text);
    }

    fn refuse<E: de::Error>(self, what: &str) -> E {
        E::custom(format!(
            "row {}, column `{}`: {what} where REDCap writes text",
            self.state.row, self.state.header[self.column]
        ))
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("text")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        self.set(text);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<(), E> {
        self.set(&number.to_string());
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<(), E> {
        self.set(&number.to_string());
        Ok(())
    }

    // A fraction's digits are not kept as written (`1.50` reads as 1.5), so it is refused
    // rather than changed.
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Err(self.refuse("a fractional number"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Err(self.refuse("a boolean"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Err(self.refuse("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.refuse("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.refuse("an object"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(json: &str) -> Result<(Vec<String>, Vec<Vec<String>>), Error> {
        let mut header = Vec::new();
        let mut rows = Vec::new();
        for_each_row(json.as_bytes(), &mut |h, cells| {
            header = h.to_vec();
            rows.push(cells.to_vec());
            Ok(())
        })?;
        Ok((header, rows))
    }

    #[test]
    fn objects_become_rows_under_the_first_objects_keys() {
        let (header, rows) = rows(
            r#"[{"record_id":"1","age":"42","note":"a \"quoted\" \u00e9"},
                {"record_id":"2","age":7,"note":""}]"#,
        )
        .unwrap();
        assert_eq!(header, ["record_id", "age", "note"]);
        assert_eq!(rows[0], ["1", "42", "a \"quoted\" é"]);
        assert_eq!(rows[1], ["2", "7", ""]);
    }

    #[test]
    fn an_empty_export_has_no_rows() {
        let (header, rows) = rows(" [ ] ").unwrap();
        assert!(header.is_empty() && rows.is_empty());
    }

    #[test]
    fn rows_must_share_the_first_rows_columns() {
        let error = rows(r#"[{"a":"1","b":"2"},{"a":"1","c":"2"}]"#).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("row 2") && message.contains("`c`") && message.contains("`b`"),
            "{message}"
        );
        let error = rows(r#"[{"a":"1","b":"2"},{"a":"1"}]"#).unwrap_err();
        assert!(error.to_string().contains("row 2 has 1 columns"), "{error}");
    }

    #[test]
    fn values_other_than_text_and_whole_numbers_are_refused() {
        for (json, what) in [
            (r#"[{"a":"1","b":1.50}]"#, "a fractional number"),
            (r#"[{"a":"1","b":null}]"#, "null"),
            (r#"[{"a":"1","b":true}]"#, "a boolean"),
            (r#"[{"a":"1","b":["x"]}]"#, "an array"),
        ] {
            let message = rows(json).unwrap_err().to_string();
            assert!(
                message.contains("row 1, column `b`") && message.contains(what),
                "{message}"
            );
        }
    }

    #[test]
    fn not_an_array_of_objects_is_refused() {
        let message = rows(r#"{"error":"You do not have permissions"}"#)
            .unwrap_err()
            .to_string();
        assert!(message.contains("array of objects"), "{message}");
        assert!(rows("[1]").unwrap_err().to_string().contains("row 1"));
        assert!(rows(r#"[{"a":"1"}] x"#).is_err());
    }

    #[test]
    fn the_callers_error_comes_back_as_it_was() {
        let error = for_each_row(r#"[{"a":"1"},{"a":"2"}]"#.as_bytes(), &mut |_, cells| {
            if cells[0] == "2" {
                Err(Error::Header("stop here".into()))
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        assert!(
            matches!(error, Error::Header(ref m) if m == "stop here"),
            "{error}"
        );
    }
}
