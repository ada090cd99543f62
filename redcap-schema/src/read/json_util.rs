//! Shared helpers for JSON inputs: parse errors with lines, items with their
//! lines, and string values.

use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, LineCounter};

/// Parses JSON, naming the line and column of a syntax error.
pub(crate) fn parse<'a, T: serde::Deserialize<'a>>(
    text: &'a str,
    source_name: &str,
) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| Error::Json {
        source_name: source_name.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// The items of a top-level array, each with the line it starts on.
pub(crate) fn array_items(text: &str, source_name: &str) -> Result<Vec<(usize, Value)>, Error> {
    let raw: Vec<&RawValue> = parse(text, source_name)?;
    let mut lines = LineCounter::new(text);
    raw.into_iter()
        .map(|item| {
            let offset = item.get().as_ptr() as usize - text.as_ptr() as usize;
            let line = lines.line_at(offset);
            let value = parse(item.get(), source_name)?;
            Ok((line, value))
        })
        .collect()
}

/// A shape error at an item's line.
pub(crate) fn shape_error(source_name: &str, line: usize, message: String) -> Error {
    Error::Json {
        source_name: source_name.to_owned(),
        line,
        column: 1,
        message,
    }
}

/// The text of a scalar as REDCap means it: strings as they are, numbers and
/// booleans by their JSON text (the API sends some ids and flags as numbers),
/// null as empty.
pub(crate) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}
