//! `drop_records`: an export body without some of its records. Every row
//! of a dropped record goes; the bytes of the other rows stay as they were
//! written (CSV and XML are cut by byte spans, JSON is written again the
//! way the export writes it).

use indexmap::IndexSet;
use quick_xml::events::Event;
use serde_json::Value;

use crate::format::{Format, cell_text, php_json};

/// Where the record name is: the first column of a flat export, `record`
/// in an eav one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    First,
    Record,
}

/// `body` without the rows of its first `count` records.
pub(crate) fn drop_records(
    body: &str,
    format: Format,
    delimiter: char,
    key: Key,
    count: usize,
) -> Result<String, String> {
    match format {
        Format::Json => json(body, key, count),
        Format::Csv => csv(body, delimiter, key, count),
        Format::Xml => xml(body, key, count),
        // The emulator writes no ODM record export.
        Format::Odm => Ok(body.to_owned()),
    }
}

/// The first `count` distinct names, in order of appearance.
fn victims<'a>(names: impl Iterator<Item = &'a str>, count: usize) -> IndexSet<&'a str> {
    let mut seen = IndexSet::new();
    for name in names {
        if seen.len() == count && !seen.contains(name) {
            break;
        }
        seen.insert(name);
    }
    seen
}

fn json(body: &str, key: Key, count: usize) -> Result<String, String> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| format!("export is not JSON: {e}"))?;
    let Value::Array(rows) = value else {
        return Err("JSON export is not an array".into());
    };
    let name = |row: &Value| -> Option<String> {
        let map = row.as_object()?;
        let cell = match key {
            Key::First => map.values().next()?,
            Key::Record => map.get("record")?,
        };
        Some(cell_text(cell))
    };
    let names: Vec<Option<String>> = rows.iter().map(name).collect();
    let dropped: IndexSet<String> = victims(names.iter().flatten().map(String::as_str), count)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let kept = rows
        .into_iter()
        .zip(&names)
        .filter(|(_, n)| !n.as_ref().is_some_and(|n| dropped.contains(n)))
        .map(|(row, _)| row)
        .collect();
    Ok(php_json(&Value::Array(kept)))
}

fn csv(body: &str, delimiter: char, key: Key, count: usize) -> Result<String, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(u8::try_from(delimiter).map_err(|_| "delimiter is not ASCII".to_owned())?)
        .from_reader(body.as_bytes());
    let headers = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    let column = match key {
        Key::First => 0,
        Key::Record => headers
            .iter()
            .position(|h| h == b"record")
            .ok_or("CSV export has no `record` column")?,
    };
    let header_end = usize::try_from(reader.position().byte()).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let start = reader.position().byte();
        if !reader
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            break;
        }
        let end = reader.position().byte();
        let name = String::from_utf8_lossy(record.get(column).unwrap_or_default()).into_owned();
        rows.push((start, end, name));
    }
    let dropped = victims(rows.iter().map(|(_, _, n)| n.as_str()), count);
    let mut out = body[..header_end].to_owned();
    for (start, end, name) in &rows {
        if !dropped.contains(name.as_str()) {
            out.push_str(span(body, *start, *end)?);
        }
    }
    Ok(out)
}

fn span(body: &str, start: u64, end: u64) -> Result<&str, String> {
    let start = usize::try_from(start).map_err(|e| e.to_string())?;
    let end = usize::try_from(end).map_err(|e| e.to_string())?;
    body.get(start..end)
        .ok_or_else(|| format!("row bytes {start}..{end} are not within the export"))
}

fn xml(body: &str, key: Key, count: usize) -> Result<String, String> {
    let mut reader = quick_xml::Reader::from_str(body);
    let mut depth = 0usize;
    // (start, end, record name) of each `<item>` under the root.
    let mut items: Vec<(u64, u64, String)> = Vec::new();
    let mut item_start = 0u64;
    let mut name: Option<String> = None;
    let mut capturing = false;
    let mut text = String::new();
    let bad = |e: quick_xml::Error| format!("export is not XML: {e}");
    loop {
        let before = reader.buffer_position();
        match reader.read_event().map_err(bad)? {
            Event::Start(element) => {
                depth += 1;
                if depth == 2 {
                    item_start = before;
                    name = None;
                } else if depth == 3 && name.is_none() {
                    capturing = match key {
                        Key::First => true,
                        Key::Record => element.name().as_ref() == b"record",
                    };
                    text.clear();
                }
            }
            Event::Empty(element) if depth == 2 && name.is_none() => {
                let wanted = match key {
                    Key::First => true,
                    Key::Record => element.name().as_ref() == b"record",
                };
                if wanted {
                    name = Some(String::new());
                }
            }
            Event::Text(t) if capturing => {
                text.push_str(&t.unescape().map_err(bad)?);
            }
            Event::CData(c) if capturing => {
                text.push_str(&String::from_utf8_lossy(&c));
            }
            Event::End(_) => {
                if depth == 3 && capturing {
                    capturing = false;
                    name = Some(std::mem::take(&mut text));
                } else if depth == 2 {
                    let mut end = reader.buffer_position();
                    if body.as_bytes().get(end as usize) == Some(&b'\n') {
                        end += 1;
                    }
                    items.push((item_start, end, name.take().unwrap_or_default()));
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let dropped = victims(items.iter().map(|(_, _, n)| n.as_str()), count);
    let mut out = String::new();
    let mut at = 0u64;
    for (start, end, name) in &items {
        if dropped.contains(name.as_str()) {
            out.push_str(span(body, at, *start)?);
            at = *end;
        }
    }
    out.push_str(span(body, at, body.len() as u64)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_drops_all_rows_of_the_first_records() {
        let body =
            r#"[{"id":"1","e":"a"},{"id":"1","e":"b"},{"id":"2","e":"a"},{"id":"3","e":"a"}]"#;
        assert_eq!(
            drop_records(body, Format::Json, ',', Key::First, 1).expect("drops"),
            r#"[{"id":"2","e":"a"},{"id":"3","e":"a"}]"#
        );
        assert_eq!(
            drop_records(body, Format::Json, ',', Key::First, 9).expect("drops"),
            "[]"
        );
    }

    #[test]
    fn csv_keeps_the_other_rows_byte_for_byte() {
        let body = "record,field_name,value\n1,a,\"x y\"\n2,a,\"multi\nline\"\n2,b,z\n3,a,w\n";
        assert_eq!(
            drop_records(body, Format::Csv, ',', Key::Record, 1).expect("drops"),
            "record,field_name,value\n2,a,\"multi\nline\"\n2,b,z\n3,a,w\n"
        );
        assert_eq!(
            drop_records(body, Format::Csv, ',', Key::Record, 2).expect("drops"),
            "record,field_name,value\n3,a,w\n"
        );
        let semi = "id;v\n1;a\n2;b\n";
        assert_eq!(
            drop_records(semi, Format::Csv, ';', Key::First, 1).expect("drops"),
            "id;v\n2;b\n"
        );
    }

    #[test]
    fn xml_cuts_whole_items() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<records>\n<item><id><![CDATA[1]]></id><v><![CDATA[</item>]]></v></item>\n<item><id><![CDATA[2]]></id><v></v></item>\n</records>";
        assert_eq!(
            drop_records(body, Format::Xml, ',', Key::First, 1).expect("drops"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<records>\n<item><id><![CDATA[2]]></id><v></v></item>\n</records>"
        );
    }
}
