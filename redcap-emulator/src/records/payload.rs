//! Import payloads (`data`) in json, csv or xml, read into rows of
//! name → text, as REDCap's importers do before any checking.

use indexmap::IndexMap;
use quick_xml::events::Event;

use crate::format::Format;
use crate::reply::ApiError;

/// One imported row: column name → value text.
pub(crate) type Item = IndexMap<String, String>;

/// Reads a payload in the request's format.
pub(crate) fn read(data: &str, format: Format, delimiter: char) -> Result<Vec<Item>, ApiError> {
    match format {
        Format::Json => read_json(data),
        Format::Csv => read_csv(data, delimiter),
        Format::Xml => read_xml(data),
        Format::Odm => Err(ApiError::bad(
            "The REDCap emulator does not read ODM import payloads yet; send json, csv or xml.",
        )),
    }
}

fn json_error(detail: &str) -> ApiError {
    ApiError::bad(format!(
        "The data being imported is not formatted correctly. PHP error from JSON decoder: {detail}. The JSON must be in an array, as in [{{ ... }}]."
    ))
}

/// A JSON scalar as the text PHP would see.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Bool(true) => "1".into(),
        serde_json::Value::Bool(false) => String::new(),
        other => other.to_string(),
    }
}

/// A JSON array of objects with scalar values.
pub(crate) fn read_json(data: &str) -> Result<Vec<Item>, ApiError> {
    let value: serde_json::Value = serde_json::from_str(data.trim_start_matches('\u{feff}'))
        .map_err(|_| json_error("Syntax error"))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(_) => vec![value],
        _ => return Err(json_error("Syntax error")),
    };
    items
        .into_iter()
        .map(|item| match item {
            serde_json::Value::Object(map) => {
                Ok(map.iter().map(|(k, v)| (k.clone(), json_text(v))).collect())
            }
            _ => Err(json_error("Syntax error")),
        })
        .collect()
}

/// CSV with a header line: BOM removed, text trimmed, blank header
/// columns dropped, short rows padded, long rows cut, blank rows skipped.
pub(crate) fn read_csv(data: &str, delimiter: char) -> Result<Vec<Item>, ApiError> {
    let text = data.trim_start_matches('\u{feff}').trim();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(u8::try_from(delimiter).unwrap_or(b','))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header: Vec<String> = match records.next() {
        Some(Ok(h)) => h.iter().map(|s| s.trim().to_owned()).collect(),
        Some(Err(e)) => {
            return Err(ApiError::bad(format!(
                "The data being imported is not formatted correctly. Error: {e}"
            )));
        }
        None => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    for (n, record) in records.enumerate() {
        let record = record.map_err(|e| {
            ApiError::bad(format!(
                "The data being imported is not formatted correctly. Error on line {}: {e}",
                n + 2
            ))
        })?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut item = Item::new();
        for (i, name) in header.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            item.insert(name.clone(), record.get(i).unwrap_or("").to_owned());
        }
        out.push(item);
    }
    Ok(out)
}

/// `<records><item><name>value</name>…</item>…</records>` (any root and
/// item element names), or a single item as the root,
/// `<item><name>value</name>…</item>`, as project creation and project
/// settings are sent.
pub(crate) fn read_xml(data: &str) -> Result<Vec<Item>, ApiError> {
    let bad = |e: String| {
        ApiError::bad(format!(
            "The data being imported is not formatted correctly. Error: {e}"
        ))
    };
    let mut reader = quick_xml::Reader::from_str(data.trim_start_matches('\u{feff}').trim());
    let mut depth = 0usize;
    let mut items = Vec::new();
    let mut item = Item::new();
    // Elements right under the root holding text only: the fields of a
    // root that is itself the item.
    let mut root_fields = Item::new();
    let mut has_children = false;
    let mut name = String::new();
    let mut key: Option<String> = None;
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| bad(e.to_string()))? {
            Event::Start(e) => {
                depth += 1;
                if depth == 2 {
                    name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    has_children = false;
                    text.clear();
                }
                if depth == 3 {
                    has_children = true;
                    key = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                    text.clear();
                }
            }
            Event::Empty(e) => {
                let element = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if depth == 2 {
                    has_children = true;
                    item.insert(element, String::new());
                } else if depth == 1 {
                    if element != "item" {
                        root_fields.insert(element, String::new());
                    }
                    items.push(Item::new());
                }
            }
            Event::End(_) => {
                if depth == 3 {
                    if let Some(k) = key.take() {
                        item.insert(k, std::mem::take(&mut text));
                    }
                } else if depth == 2 {
                    if has_children || name == "item" {
                        items.push(std::mem::take(&mut item));
                    } else {
                        root_fields.insert(std::mem::take(&mut name), std::mem::take(&mut text));
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 2 || depth == 3 => {
                let unescaped = t.unescape().map_err(|e| bad(e.to_string()))?;
                text.push_str(&unescaped);
            }
            Event::CData(c) if depth == 2 || depth == 3 => {
                text.push_str(&String::from_utf8_lossy(&c.into_inner()));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return Err(bad("unexpected end of document".into()));
    }
    let all_fields = items.iter().all(Item::is_empty);
    if !root_fields.is_empty() && all_fields {
        // The root is the item: its text-only children are its fields.
        return Ok(vec![root_fields]);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quirks() {
        let rows = read_csv("\u{feff}id,,b\n1,x\n,,\n2,y,z,w\n", ',').unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["b"], "");
        assert!(!rows[0].contains_key(""));
        assert_eq!(rows[1]["b"], "z");
    }

    #[test]
    fn xml_items() {
        let rows = read_xml("<?xml version=\"1.0\"?><records><item><a><![CDATA[x&y]]></a><b>1 &amp; 2</b><c/></item></records>").unwrap();
        assert_eq!(rows[0]["a"], "x&y");
        assert_eq!(rows[0]["b"], "1 & 2");
        assert_eq!(rows[0]["c"], "");
    }

    #[test]
    fn xml_root_as_the_item() {
        let rows = read_xml("<?xml version=\"1.0\" encoding=\"UTF-8\" ?><item><project_title>A &amp; B: 12-01</project_title><purpose>0</purpose><purpose_other/></item>").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["project_title"], "A & B: 12-01");
        assert_eq!(rows[0]["purpose"], "0");
        assert_eq!(rows[0]["purpose_other"], "");
        // Items under a root stay items, an empty one included.
        let rows = read_xml("<records><item><a>1</a></item><item></item></records>").unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows[1].is_empty());
    }

    #[test]
    fn json_numbers_become_text() {
        let rows = read_json(r#"[{"a": 1, "b": "1.50", "c": null}]"#).unwrap();
        assert_eq!(rows[0]["a"], "1");
        assert_eq!(rows[0]["b"], "1.50");
        assert!(read_json("[{").is_err());
    }
}
