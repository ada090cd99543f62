//! The table-dump blocks of a project XML (`<redcap:{Name}Group>` with one
//! self-closed `<redcap:{Name} column="value" …/>` per database row), read
//! as attribute maps: where reports, survey settings and randomisation
//! come from.

use indexmap::IndexMap;
use quick_xml::events::Event;

/// One row of a block: its attributes in document order.
pub(crate) type BlockRow = IndexMap<String, String>;

/// The rows of every `<redcap:{name}>` element of the document, in order.
/// A document that does not parse has no rows (the schema reader reports
/// its errors).
pub(crate) fn rows(xml: &str, name: &str) -> Vec<BlockRow> {
    let wanted = format!("redcap:{name}");
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Empty(e)) | Ok(Event::Start(e)) if e.name().as_ref() == wanted.as_bytes() => {
                let mut row = BlockRow::new();
                for attr in e.attributes().flatten() {
                    let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                    let value = attr
                        .unescape_value()
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    row.insert(key, value);
                }
                out.push(row);
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_self_closed_rows() {
        let xml = r#"<ODM><GlobalVariables><redcap:ReportsGroup>
            <redcap:Reports title="A &amp; B" redcap_reports_fields="record_id,x"/>
            <redcap:Reports title="C"/>
        </redcap:ReportsGroup></GlobalVariables></ODM>"#;
        let got = rows(xml, "Reports");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0]["title"], "A & B");
        assert_eq!(got[0]["redcap_reports_fields"], "record_id,x");
        assert!(rows(xml, "Surveys").is_empty());
    }
}
