//! The export shape shared by users, roles, DAGs and their mappings: JSON
//! objects, a CSV table, or `<root><item>` XML, where a cell may be a
//! per-form map (`forms`, `forms_export`).

use crate::format::{Format, csv_line, php_json};
use crate::reply::Reply;

/// One exported value.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    /// Text (a JSON string).
    Text(String),
    /// A number (a JSON number).
    Number(u64),
    /// Form → right: a JSON object, `form:right,…` in CSV, nested elements
    /// in XML.
    Forms(Vec<(String, u64)>),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Forms(pairs) => pairs
                .iter()
                .map(|(f, r)| format!("{f}:{r}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::String(s.clone()),
            Cell::Number(n) => serde_json::Value::from(*n),
            Cell::Forms(pairs) => serde_json::Value::Object(
                pairs
                    .iter()
                    .map(|(f, r)| (f.clone(), serde_json::Value::from(*r)))
                    .collect(),
            ),
        }
    }
}

/// One exported row: column → value, in column order.
pub(crate) type Row = Vec<(&'static str, Cell)>;

/// A text cell.
pub(crate) fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// How an export writes XML values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Xml {
    /// Escaped text (`htmlspecialchars`), as the user and role exports.
    Escaped,
    /// Non-empty values in CDATA, as the DAG and mapping exports.
    Cdata,
}

/// The rows in the request's format. `header` is the CSV of an empty
/// export; `root` the XML root element.
pub(crate) fn reply(format: Format, rows: &[Row], header: &[&str], root: &str, xml: Xml) -> Reply {
    let body = match format {
        Format::Json => php_json(&serde_json::Value::Array(
            rows.iter()
                .map(|row| {
                    serde_json::Value::Object(
                        row.iter()
                            .map(|(k, v)| ((*k).to_owned(), v.json()))
                            .collect(),
                    )
                })
                .collect(),
        )),
        Format::Csv => {
            let mut out = String::new();
            match rows.first() {
                None => {
                    // REDCap writes the bare header without a line break.
                    out.push_str(&header.join(","));
                }
                Some(first) => {
                    csv_line(first.iter().map(|(k, _)| *k), ',', &mut out);
                    for row in rows {
                        let cells: Vec<String> = row.iter().map(|(_, v)| v.text()).collect();
                        csv_line(cells.iter().map(String::as_str), ',', &mut out);
                    }
                }
            }
            out
        }
        Format::Xml | Format::Odm => {
            let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<{root}>\n");
            for row in rows {
                out.push_str("<item>");
                for (key, value) in row {
                    out.push_str(&xml_cell(key, value, xml));
                }
                out.push_str("</item>\n");
            }
            out.push_str(&format!("</{root}>\n"));
            out
        }
    };
    Reply::new(format, body)
}

fn xml_cell(key: &str, value: &Cell, style: Xml) -> String {
    match (value, style) {
        (Cell::Forms(pairs), _) => {
            let inner: String = pairs
                .iter()
                .map(|(f, r)| format!("<{f}>{r}</{f}>"))
                .collect();
            format!("<{key}>{inner}</{key}>")
        }
        (other, Xml::Escaped) => format!("<{key}>{}</{key}>", escape(&other.text())),
        (other, Xml::Cdata) => {
            let text = other.text();
            if text.is_empty() {
                format!("<{key}></{key}>")
            } else {
                format!("<{key}><![CDATA[{text}]]></{key}>")
            }
        }
    }
}

/// PHP's `htmlspecialchars($v, ENT_XML1)`: `&`, `<`, `>` (quotes stay).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Row {
        vec![
            ("username", text("ann")),
            ("design", Cell::Number(1)),
            (
                "forms",
                Cell::Forms(vec![("a".into(), 130), ("b".into(), 128)]),
            ),
        ]
    }

    #[test]
    fn three_formats() {
        let rows = vec![row()];
        assert_eq!(
            reply(Format::Json, &rows, &[], "users", Xml::Escaped).body,
            r#"[{"username":"ann","design":1,"forms":{"a":130,"b":128}}]"#
        );
        assert_eq!(
            reply(Format::Csv, &rows, &[], "users", Xml::Escaped).body,
            "username,design,forms\nann,1,\"a:130,b:128\"\n"
        );
        assert_eq!(
            reply(Format::Xml, &rows, &[], "users", Xml::Escaped).body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<users>\n<item><username>ann</username><design>1</design><forms><a>130</a><b>128</b></forms></item>\n</users>\n"
        );
        let dag = vec![vec![("name", text("a&b")), ("id", text(""))]];
        assert_eq!(
            reply(Format::Xml, &dag, &[], "dags", Xml::Cdata).body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<dags>\n<item><name><![CDATA[a&b]]></name><id></id></item>\n</dags>\n"
        );
        assert_eq!(
            reply(Format::Csv, &[], &["a", "b"], "x", Xml::Cdata).body,
            "a,b"
        );
    }
}
