//! Serialisation the way REDCap 15.7.6 writes it: PHP `json_encode`
//! escaping, `fputcsv` quoting, and the `<records><item>` XML shape.

use indexmap::IndexMap;
use serde_json::Value;

/// The response formats REDCap distinguishes (`format`, `returnFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv,
    Xml,
    Odm,
}

impl Format {
    /// REDCap reads `format` as json, csv or odm; anything else (missing
    /// included) is xml.
    pub(crate) fn parse(value: Option<&str>) -> Format {
        match value {
            Some("json") => Format::Json,
            Some("csv") => Format::Csv,
            Some("odm") => Format::Odm,
            _ => Format::Xml,
        }
    }

    /// The Content-Type REDCap sends for this format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xml | Format::Odm => "text/xml; charset=utf-8",
        }
    }
}

/// A table of string-or-number cells: what most exports produce before
/// they are serialised in the requested format.
pub(crate) type Table = Vec<IndexMap<String, Value>>;

/// JSON as PHP's `json_encode` writes it: no whitespace, `/` escaped as
/// `\/`, every non-ASCII character as `\uXXXX`.
pub(crate) fn php_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_json_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    // Most names and values need no escape: copied whole.
    if s.bytes()
        .all(|b| (0x20..=0x7e).contains(&b) && !matches!(b, b'"' | b'\\' | b'/'))
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A table as a JSON array of objects.
pub(crate) fn table_json(table: &Table) -> String {
    let mut out = TableWriter::json();
    for row in table {
        out.row(row.iter().map(|(k, v)| (k.as_str(), v)));
    }
    out.finish()
}

/// A table written row by row as JSON (an array of objects) or XML (a
/// `<root><item>` list), so that a large export never holds its rows as
/// maps: each row goes straight into the body.
#[derive(Debug)]
pub(crate) struct TableWriter {
    out: String,
    xml_root: Option<String>,
    rows: usize,
}

impl TableWriter {
    /// A JSON array.
    pub(crate) fn json() -> TableWriter {
        TableWriter {
            out: String::from("["),
            xml_root: None,
            rows: 0,
        }
    }

    /// REDCap's export XML under `root`.
    pub(crate) fn xml(root: &str) -> TableWriter {
        TableWriter {
            out: format!("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<{root}>\n"),
            xml_root: Some(root.to_owned()),
            rows: 0,
        }
    }

    /// Appends one row of (column, value) cells.
    pub(crate) fn row<'a>(&mut self, cells: impl IntoIterator<Item = (&'a str, &'a Value)>) {
        self.row_cells(cells.into_iter().map(|(k, v)| (k, Cell::Value(v))));
    }

    /// Appends one row of (column, cell) cells.
    pub(crate) fn row_cells<'a>(&mut self, cells: impl IntoIterator<Item = (&'a str, Cell<'a>)>) {
        let out = &mut self.out;
        if self.xml_root.is_some() {
            out.push_str("<item>");
            for (key, value) in cells {
                let text = value.text();
                out.push('<');
                out.push_str(key);
                out.push('>');
                if !text.is_empty() {
                    push_cdata(&text, out);
                }
                out.push_str("</");
                out.push_str(key);
                out.push('>');
            }
            out.push_str("</item>\n");
        } else {
            if self.rows > 0 {
                out.push(',');
            }
            out.push('{');
            for (i, (key, value)) in cells.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                match value {
                    Cell::Text(text) => write_json_string(text, out),
                    Cell::Int(n) => {
                        use std::fmt::Write as _;
                        let _ = write!(out, "{n}");
                    }
                    Cell::Value(value) => write_json(value, out),
                }
            }
            out.push('}');
        }
        self.rows += 1;
    }

    /// The whole body.
    pub(crate) fn finish(mut self) -> String {
        match &self.xml_root {
            Some(root) => {
                self.out.push_str("</");
                self.out.push_str(root);
                self.out.push('>');
            }
            None => self.out.push(']'),
        }
        self.out
    }
}

/// One cell of a row given to [`TableWriter::row_cells`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    /// Text (a JSON string).
    Text(&'a str),
    /// A whole number (bare in JSON).
    Int(i64),
    /// Any JSON value.
    Value(&'a Value),
}

impl Cell<'_> {
    /// The cell as text, as [`cell_text`] gives it.
    pub(crate) fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(text) => std::borrow::Cow::Borrowed(text),
            Cell::Int(n) => std::borrow::Cow::Owned(n.to_string()),
            Cell::Value(value) => cell_str(value),
        }
    }
}

/// A cell as text, borrowed where it is a string.
pub(crate) fn cell_str(value: &Value) -> std::borrow::Cow<'_, str> {
    match value {
        Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(cell_text(other)),
    }
}

/// A cell as text: strings as they are, numbers as written.
pub(crate) fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One CSV cell as PHP's `fputcsv` writes it: quoted only when it holds the
/// delimiter, a quote, CR, LF, TAB or a space.
fn csv_cell(value: &str, delimiter: char, out: &mut String) {
    let needs_quotes = value
        .chars()
        .any(|c| c == delimiter || matches!(c, '"' | '\r' | '\n' | '\t' | ' '));
    if needs_quotes {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// One CSV line with a trailing `\n`.
pub(crate) fn csv_line<'a>(
    cells: impl IntoIterator<Item = &'a str>,
    delimiter: char,
    out: &mut String,
) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        csv_cell(cell, delimiter, out);
    }
    out.push('\n');
}

/// Text inside CDATA, with `]]>` split as REDCap does.
fn push_cdata(value: &str, out: &mut String) {
    out.push_str("<![CDATA[");
    out.push_str(&value.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

/// A table as REDCap's export XML: `<records><item>…</item></records>`
/// (or another root/item name), empty values as empty elements.
pub(crate) fn table_xml(table: &Table, root: &str) -> String {
    let mut out = TableWriter::xml(root);
    for row in table {
        out.row(row.iter().map(|(k, v)| (k.as_str(), v)));
    }
    out.finish()
}

/// The wrapped body of an error per `returnFormat` (REDCap's
/// `RestUtility::sendResponse`): the XML message is not escaped, as in
/// REDCap.
pub(crate) fn error_body(format: Format, message: &str) -> String {
    match format {
        Format::Json => {
            if message.starts_with("{\"error\"") {
                message.to_owned()
            } else {
                let mut map = serde_json::Map::new();
                map.insert("error".into(), Value::String(message.to_owned()));
                php_json(&Value::Object(map))
            }
        }
        Format::Csv => format!("ERROR: {message}"),
        Format::Xml | Format::Odm => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><hash><error>{message}</error></hash>"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_like_php() {
        let v = serde_json::json!({"a/b": "é \"x\"\n", "n": 1});
        assert_eq!(php_json(&v), r#"{"a\/b":"\u00e9 \"x\"\n","n":1}"#);
        let emoji = Value::String("😀".into());
        assert_eq!(php_json(&emoji), r#""\ud83d\ude00""#);
    }

    #[test]
    fn csv_quotes_like_fputcsv() {
        let mut out = String::new();
        csv_line(["a", "b c", "d,e", "f\"g", ""], ',', &mut out);
        assert_eq!(out, "a,\"b c\",\"d,e\",\"f\"\"g\",\n");
    }

    #[test]
    fn error_envelopes() {
        assert_eq!(error_body(Format::Json, "a/b"), r#"{"error":"a\/b"}"#);
        assert_eq!(error_body(Format::Csv, "x"), "ERROR: x");
        assert!(error_body(Format::Xml, "x").ends_with("<hash><error>x</error></hash>"));
    }

    #[test]
    fn xml_cdata_split() {
        let mut row = IndexMap::new();
        row.insert("f".to_owned(), Value::String("a]]>b".into()));
        row.insert("g".to_owned(), Value::String(String::new()));
        assert_eq!(
            table_xml(&vec![row], "records"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<records>\n<item><f><![CDATA[a]]]]><![CDATA[>b]]></f><g></g></item>\n</records>"
        );
    }
}
