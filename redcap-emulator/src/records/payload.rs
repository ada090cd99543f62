//! Import payloads (`data`) in json, csv or xml, read into rows of
//! name → text, as REDCap's importers do before any checking.

use std::sync::Arc;

use indexmap::IndexMap;
use quick_xml::events::Event;
use rustc_hash::FxHashMap;

use crate::format::Format;
use crate::reply::ApiError;

/// One imported row: column name → value text.
pub(crate) type Item = IndexMap<String, String>;

/// Reads a payload in the request's format.
pub(crate) fn read(data: &str, format: Format, delimiter: char) -> Result<Vec<Item>, ApiError> {
    match format {
        Format::Json => read_json(data),
        Format::Csv => read_csv(data, delimiter),
        Format::Xml => read_record_xml(data),
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

/// A JSON array of objects with scalar values (or one object).
pub(crate) fn read_json(data: &str) -> Result<Vec<Item>, ApiError> {
    Ok(read_json_rows(data)?.iter().map(Row::to_item).collect())
}

/// A reader of CSV import data as REDCap reads it: BOM removed, text
/// trimmed, rows of any length, the header read as an ordinary row.
fn csv_reader(data: &str, delimiter: char) -> csv::Reader<&[u8]> {
    let text = data.trim_start_matches('\u{feff}').trim();
    csv::ReaderBuilder::new()
        .delimiter(u8::try_from(delimiter).unwrap_or(b','))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
}

/// CSV with a header line: BOM removed, text trimmed, blank header
/// columns dropped, short rows padded, long rows cut, blank rows skipped;
/// a column named twice keeps its first place and its last value.
pub(crate) fn read_csv(data: &str, delimiter: char) -> Result<Vec<Item>, ApiError> {
    Ok(read_csv_rows(data, delimiter)?
        .iter()
        .map(Row::to_item)
        .collect())
}

/// An XML payload as REDCap's `Records::xmlDecode` sees it, down to the
/// fields of each item: the root element's name and its children, in order.
struct XmlDoc {
    root: String,
    children: Vec<XmlChild>,
}

/// A child of the root: its text, or its own children (`fields`) when it
/// has any.
struct XmlChild {
    name: String,
    text: String,
    fields: Option<Item>,
}

/// The message of `data_import_tool_200`, which REDCap answers for XML
/// its decoder cannot read or that lacks the element a handler expects.
fn not_in_format() -> ApiError {
    ApiError::bad(crate::access::NOT_IN_FORMAT)
}

/// Parses an XML payload as REDCap's importers do: `html_entity_decode`
/// over the whole text first (every `API/*/import.php` and
/// `Records::saveData` decode before `Records::xmlDecode`), then the XML,
/// CDATA read as text (`LIBXML_NOCDATA`).
fn parse_xml(data: &str) -> Result<XmlDoc, String> {
    let decoded = super::entities::html_entity_decode(data);
    let mut reader = quick_xml::Reader::from_str(decoded.trim_start_matches('\u{feff}').trim());
    let mut depth = 0usize;
    let mut root = None;
    let mut children: Vec<XmlChild> = Vec::new();
    let mut key: Option<String> = None;
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                depth += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match depth {
                    1 => root = Some(name),
                    2 => {
                        children.push(XmlChild {
                            name,
                            text: String::new(),
                            fields: None,
                        });
                        text.clear();
                    }
                    3 => {
                        key = Some(name);
                        text.clear();
                    }
                    _ => {}
                }
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match depth {
                    0 => root = Some(name),
                    1 => children.push(XmlChild {
                        name,
                        text: String::new(),
                        fields: None,
                    }),
                    2 => {
                        if let Some(child) = children.last_mut() {
                            child
                                .fields
                                .get_or_insert_with(Item::new)
                                .insert(name, String::new());
                        }
                    }
                    _ => {}
                }
            }
            Event::End(_) => {
                if depth == 3 {
                    if let (Some(k), Some(child)) = (key.take(), children.last_mut()) {
                        child
                            .fields
                            .get_or_insert_with(Item::new)
                            .insert(k, std::mem::take(&mut text));
                    }
                } else if depth == 2
                    && let Some(child) = children.last_mut()
                    && child.fields.is_none()
                {
                    child.text = std::mem::take(&mut text);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) if depth == 2 || depth == 3 => {
                let unescaped = t.unescape().map_err(|e| e.to_string())?;
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
        return Err("unexpected end of document".into());
    }
    let root = root.ok_or_else(|| "no root element".to_owned())?;
    Ok(XmlDoc { root, children })
}

/// `<records><item><name>value</name>…</item>…</records>` (any root and
/// item element names), or a single item as the root,
/// `<item><name>value</name>…</item>`, as project settings are sent.
pub(crate) fn read_xml(data: &str) -> Result<Vec<Item>, ApiError> {
    let doc = parse_xml(data).map_err(|e| {
        ApiError::bad(format!(
            "The data being imported is not formatted correctly. Error: {e}"
        ))
    })?;
    let mut items = Vec::new();
    // Elements right under the root holding text only: the fields of a
    // root that is itself the item.
    let mut root_fields = Item::new();
    for child in doc.children {
        match child.fields {
            Some(fields) => items.push(fields),
            None if child.name == "item" => items.push(Item::new()),
            None => {
                root_fields.insert(child.name, child.text);
            }
        }
    }
    if !root_fields.is_empty() && items.iter().all(Item::is_empty) {
        // The root is the item: its text-only children are its fields.
        return Ok(vec![root_fields]);
    }
    Ok(items)
}

/// The `<item>` children of the root, each as its fields (an empty item as
/// no fields); other children are not rows.
pub(crate) fn read_xml_items(data: &str) -> Result<Vec<Item>, ApiError> {
    let doc = parse_xml(data).map_err(|e| {
        ApiError::bad(format!(
            "The data being imported is not formatted correctly. Error: {e}"
        ))
    })?;
    Ok(doc
        .children
        .into_iter()
        .filter(|c| c.name == "item")
        .map(|c| c.fields.unwrap_or_default())
        .collect())
}

/// PHP's `trim`: spaces, tabs, line breaks, NUL and vertical tab.
fn php_trim(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B'])
}

/// Record import XML as `Records::saveData` reads it: the root must be
/// `<records>` holding `<item>` elements (one or several; other elements
/// are ignored), and `Records::xmlDecode` in its strict mode trims every
/// value. Anything else, and XML the decoder cannot read, is answered 400
/// `data_import_tool_200`.
pub(crate) fn read_record_xml(data: &str) -> Result<Vec<Item>, ApiError> {
    let doc = parse_xml(data).map_err(|_| not_in_format())?;
    if doc.root != "records" {
        return Err(not_in_format());
    }
    let items: Vec<Item> = doc
        .children
        .into_iter()
        .filter(|c| c.name == "item")
        .map(|c| {
            c.fields
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, php_trim(&v).to_owned()))
                .collect::<Item>()
        })
        .collect();
    // One empty `<item/>` is PHP's null: `isset` fails as for none.
    if items.is_empty() || (items.len() == 1 && items[0].is_empty()) {
        return Err(not_in_format());
    }
    Ok(items)
}

/// Project creation XML as `API/project/import.php` reads it: the root is
/// the one item, `<item><project_title>…</project_title>…</item>`
/// (`isset($data['item'])`); any other root, `<records>` included, and XML
/// the decoder cannot read, is answered 400 `data_import_tool_200`.
pub(crate) fn read_item_xml(data: &str) -> Result<Item, ApiError> {
    let doc = parse_xml(data).map_err(|_| not_in_format())?;
    if doc.root != "item" || doc.children.is_empty() {
        return Err(not_in_format());
    }
    Ok(doc.children.into_iter().map(|c| (c.name, c.text)).collect())
}

/// How many `<item>` elements the root of an XML payload holds, or `None`
/// when it does not parse. REDCap's XML-to-array conversion gives one item
/// a different shape than several (a map of fields, not a list of maps),
/// which the arm, event and mapping importers then fail to read.
pub(crate) fn xml_item_count(data: &str) -> Option<usize> {
    let doc = parse_xml(data).ok()?;
    Some(doc.children.iter().filter(|c| c.name == "item").count())
}

/// The column names of a payload's rows, shared by every row that has
/// the same names in the same order (all rows of a CSV payload).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Columns {
    names: Vec<String>,
    /// Position of each name; hashed fast, the names are the payload's
    /// column names, looked up a few times per row.
    index: FxHashMap<String, usize>,
}

impl Columns {
    fn new(names: Vec<String>) -> Columns {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        Columns { names, index }
    }
}

/// One imported row held compactly: its columns are shared with the rows
/// around it and its values sit in one buffer, so a payload of many rows
/// costs about its own size, not a map per row. Column names are unique;
/// a name given twice keeps its first place and its last value, as a map
/// filled in order does.
#[derive(Debug)]
pub(crate) struct Row {
    columns: Arc<Columns>,
    text: String,
    /// Where each value ends in `text`.
    ends: Vec<u32>,
}

impl Row {
    /// The value of a column.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.columns.index.get(name).map(|&i| self.value(i))
    }

    /// Whether the row has a column.
    pub(crate) fn contains_key(&self, name: &str) -> bool {
        self.columns.index.contains_key(name)
    }

    /// The column names in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.columns.names.iter().map(String::as_str)
    }

    /// Column names with their values, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.keys().enumerate().map(|(i, k)| (k, self.value(i)))
    }

    /// Whether two rows share one set of columns (same names, same order).
    pub(crate) fn same_columns(&self, other: &Row) -> bool {
        Arc::ptr_eq(&self.columns, &other.columns)
    }

    fn value(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Replaces the values at some positions (normalised values).
    pub(crate) fn replace(&mut self, updates: &[(usize, String)]) {
        if updates.is_empty() {
            return;
        }
        // The last update of a place wins.
        let mut new: Vec<Option<&str>> = vec![None; self.ends.len()];
        for (at, value) in updates {
            if let Some(slot) = new.get_mut(*at) {
                *slot = Some(value);
            }
        }
        let mut builder = RowBuilder::with_capacity(self.text.len());
        for (i, update) in new.iter().enumerate() {
            builder.push(update.unwrap_or_else(|| self.value(i)));
        }
        let Row { text, ends, .. } = builder.finish(Arc::clone(&self.columns));
        self.text = text;
        self.ends = ends;
    }

    /// The row as a map of names to values.
    pub(crate) fn to_item(&self) -> Item {
        self.iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    /// A row from a map of names to values.
    pub(crate) fn from_item(item: &Item, shared: &mut Option<Arc<Columns>>) -> Row {
        let columns = columns_for(item.keys().map(String::as_str), shared);
        let mut builder = RowBuilder::with_capacity(item.values().map(String::len).sum());
        for value in item.values() {
            builder.push(value);
        }
        builder.finish(columns)
    }
}

/// The shared columns for these names: the previous row's when the names
/// are the same.
fn columns_for<'a>(
    names: impl Iterator<Item = &'a str> + Clone,
    shared: &mut Option<Arc<Columns>>,
) -> Arc<Columns> {
    if let Some(columns) = shared
        && columns.names.iter().map(String::as_str).eq(names.clone())
    {
        return Arc::clone(columns);
    }
    let columns = Arc::new(Columns::new(names.map(str::to_owned).collect()));
    *shared = Some(Arc::clone(&columns));
    columns
}

/// A row's values pushed in column order.
struct RowBuilder {
    text: String,
    ends: Vec<u32>,
}

impl RowBuilder {
    fn with_capacity(bytes: usize) -> RowBuilder {
        RowBuilder {
            text: String::with_capacity(bytes),
            ends: Vec::new(),
        }
    }

    fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    fn finish(mut self, columns: Arc<Columns>) -> Row {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        Row {
            columns,
            text: self.text,
            ends: self.ends,
        }
    }
}

/// The largest row text a compact row holds (offsets are 32-bit).
const MAX_ROW_BYTES: usize = u32::MAX as usize;

/// Reads a record import payload in json, csv or xml into compact rows
/// (the rows [`read`] gives as maps).
pub(crate) fn read_rows(data: &str, format: Format, delimiter: char) -> Result<Vec<Row>, ApiError> {
    if data.len() >= MAX_ROW_BYTES {
        return Err(ApiError::bad(
            "The data being imported is not formatted correctly. Error: the payload is larger than 4 GiB.",
        ));
    }
    match format {
        Format::Csv => read_csv_rows(data, delimiter),
        Format::Json => read_json_rows(data),
        _ => {
            let mut shared = None;
            Ok(read(data, format, delimiter)?
                .iter()
                .map(|item| Row::from_item(item, &mut shared))
                .collect())
        }
    }
}

/// CSV import data (see [`read_csv`]) as compact rows: one set of columns
/// for every row.
fn read_csv_rows(data: &str, delimiter: char) -> Result<Vec<Row>, ApiError> {
    let mut reader = csv_reader(data, delimiter);
    let mut record = csv::StringRecord::new();
    let header: Vec<String> = match reader.read_record(&mut record) {
        Ok(true) => record.iter().map(|s| s.trim().to_owned()).collect(),
        Ok(false) => return Ok(Vec::new()),
        Err(e) => {
            return Err(ApiError::bad(format!(
                "The data being imported is not formatted correctly. Error: {e}"
            )));
        }
    };
    // Each unique non-blank name, at its first place; `sources[i]` lists
    // the CSV columns of name `i` (the last one given wins).
    let mut names: Vec<String> = Vec::new();
    let mut sources: Vec<Vec<usize>> = Vec::new();
    let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, name) in header.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        match seen.get(name.as_str()) {
            Some(&at) => sources[at].push(i),
            None => {
                seen.insert(name, names.len());
                names.push(name.clone());
                sources.push(vec![i]);
            }
        }
    }
    let columns = Arc::new(Columns::new(names));
    let mut out = Vec::new();
    let mut line = 1usize;
    loop {
        line += 1;
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(ApiError::bad(format!(
                    "The data being imported is not formatted correctly. Error on line {line}: {e}"
                )));
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut builder = RowBuilder::with_capacity(record.as_slice().len());
        for from in &sources {
            let last = from.iter().rev().find_map(|&i| record.get(i));
            builder.push(last.unwrap_or(""));
        }
        out.push(builder.finish(Arc::clone(&columns)));
    }
    Ok(out)
}

/// JSON import data (see [`read_json`]) as compact rows, read as it is
/// parsed: no tree of the whole payload is built.
fn read_json_rows(data: &str) -> Result<Vec<Row>, ApiError> {
    use serde::de::{DeserializeSeed, Deserializer as _, MapAccess, SeqAccess, Visitor};

    /// The rows so far, with the columns of the last one.
    #[derive(Default)]
    struct Sink {
        rows: Vec<Row>,
        shared: Option<Arc<Columns>>,
        /// The object being read (a key given twice keeps its first place
        /// and its last value), kept between objects for its room.
        pairs: IndexMap<String, String, rustc_hash::FxBuildHasher>,
    }

    impl Sink {
        fn object<'de, A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
            self.pairs.clear();
            while let Some(key) = map.next_key::<String>()? {
                let value: serde_json::Value = map.next_value()?;
                self.pairs.insert(key, json_text(&value));
            }
            let columns = columns_for(self.pairs.iter().map(|(k, _)| k.as_str()), &mut self.shared);
            let mut builder =
                RowBuilder::with_capacity(self.pairs.iter().map(|(_, v)| v.len()).sum());
            for (_, value) in &self.pairs {
                builder.push(value);
            }
            self.rows.push(builder.finish(columns));
            Ok(())
        }
    }

    /// The top level: an array of objects, or one object.
    struct Top<'s>(&'s mut Sink);

    impl<'de> Visitor<'de> for Top<'_> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of objects")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Element(&mut *self.0))?.is_some() {}
            Ok(())
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            self.0.object(map)
        }
    }

    /// One element of the array: an object.
    struct Element<'s>(&'s mut Sink);

    impl<'de> DeserializeSeed<'de> for Element<'_> {
        type Value = ();

        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Element<'_> {
        type Value = ();

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
            self.0.object(map)
        }
    }

    let text = data.trim_start_matches('\u{feff}');
    let mut sink = Sink::default();
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_any(Top(&mut sink))
        .and_then(|()| de.end())
        .map_err(|_: serde_json::Error| json_error("Syntax error"))?;
    Ok(sink.rows)
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
        // Entities are decoded once before the XML is parsed, as REDCap's
        // `html_entity_decode` does: `&amp;amp;` is an escaped `&`,
        // `&eacute;` a letter, and CDATA keeps what it holds.
        let rows = read_xml("<?xml version=\"1.0\"?><records><item><a><![CDATA[x&y]]></a><b>1 &amp;amp; 2 caf&eacute;</b><c/></item></records>").unwrap();
        assert_eq!(rows[0]["a"], "x&y");
        assert_eq!(rows[0]["b"], "1 & 2 café");
        assert_eq!(rows[0]["c"], "");
        // A lone `&amp;` becomes a bare `&`, which XML refuses.
        assert!(read_xml("<records><item><b>1 &amp; 2</b></item></records>").is_err());
    }

    #[test]
    fn xml_root_as_the_item() {
        let rows = read_xml("<?xml version=\"1.0\" encoding=\"UTF-8\" ?><item><project_title>A &amp;amp; B: 12-01</project_title><purpose>0</purpose><purpose_other/></item>").unwrap();
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
    fn record_xml_needs_records_and_items() {
        let rows = read_record_xml(
            "<records><item><id> 1 </id><a>x\n</a></item><other><id>9</id></other></records>",
        )
        .unwrap();
        // Strict decoding trims values; elements other than `item` are
        // not rows.
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["id"], "1");
        assert_eq!(rows[0]["a"], "x");
        for bad in [
            "<item><id>1</id></item>",
            "<data><item><id>1</id></item></data>",
            "<records></records>",
            "<records><item/></records>",
            "<records><row><id>1</id></row></records>",
            "<records><item><id>1</id></item>",
            "not xml",
        ] {
            let error = read_record_xml(bad).unwrap_err();
            assert_eq!(error.message, crate::access::NOT_IN_FORMAT, "{bad}");
        }
    }

    #[test]
    fn project_item_xml_is_its_root() {
        let item =
            read_item_xml("<item><project_title>T</project_title><purpose>0</purpose></item>")
                .unwrap();
        assert_eq!(item["project_title"], "T");
        for bad in [
            "<records><item><project_title>T</project_title></item></records>",
            "<item/>",
            "x",
        ] {
            assert_eq!(
                read_item_xml(bad).unwrap_err().message,
                crate::access::NOT_IN_FORMAT,
                "{bad}"
            );
        }
    }

    #[test]
    fn json_numbers_become_text() {
        let rows = read_json(r#"[{"a": 1, "b": "1.50", "c": null}]"#).unwrap();
        assert_eq!(rows[0]["a"], "1");
        assert_eq!(rows[0]["b"], "1.50");
        assert!(read_json("[{").is_err());
    }

    /// The compact rows of a payload as name–value pairs, row by row.
    fn rows(data: &str, format: Format) -> Vec<Vec<(String, String)>> {
        read_rows(data, format, ',')
            .unwrap_or_else(|e| panic!("{data}: {}", e.message))
            .iter()
            .map(|row| {
                row.iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            })
            .collect()
    }

    fn pairs(row: &[(&str, &str)]) -> Vec<(String, String)> {
        row.iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn compact_rows_follow_the_import_rules() {
        // BOM, blank header cells, a name given twice (first place, last
        // value), short and long rows, a blank row.
        assert_eq!(
            rows(
                "\u{feff}id,,b, b ,a\n1,x,y,z,w\n,,,,\n2\n3,q,r,s,t,u\n",
                Format::Csv
            ),
            vec![
                pairs(&[("id", "1"), ("b", "z"), ("a", "w")]),
                pairs(&[("id", "2"), ("b", ""), ("a", "")]),
                pairs(&[("id", "3"), ("b", "s"), ("a", "t")]),
            ]
        );
        assert_eq!(
            rows("id,a\n1,\"x\ny\"\n", Format::Csv),
            vec![pairs(&[("id", "1"), ("a", "x\ny")])]
        );
        assert!(rows("", Format::Csv).is_empty());
        assert!(rows("id\n", Format::Csv).is_empty());
        // JSON values as PHP sees them; a key given twice keeps its last value.
        assert_eq!(
            rows(
                r#"[{"id": 1, "a": "x", "a": "y", "b": null, "c": true, "d": false, "e": 1.50, "f": [1, {"g": 2}]}, {"id": "2"}]"#,
                Format::Json
            ),
            vec![
                pairs(&[
                    ("id", "1"),
                    ("a", "y"),
                    ("b", ""),
                    ("c", "1"),
                    ("d", ""),
                    ("e", "1.5"),
                    ("f", r#"[1,{"g":2}]"#),
                ]),
                pairs(&[("id", "2")]),
            ]
        );
        assert_eq!(
            rows(r#"{"id": "1", "x": "é/\u00e9"}"#, Format::Json),
            vec![pairs(&[("id", "1"), ("x", "é/é")])]
        );
        assert!(rows("[]", Format::Json).is_empty());
        assert_eq!(
            rows("\u{feff}[{\"id\": \"1\"}]  ", Format::Json),
            vec![pairs(&[("id", "1")])]
        );
        for bad in ["[{", "[1]", "\"x\"", "[{\"a\": 1}] x", "[[]]", "{}{}"] {
            let error = read_rows(bad, Format::Json, ',').map(|_| ()).unwrap_err();
            assert!(
                error.message.contains("Syntax error"),
                "{bad}: {}",
                error.message
            );
        }
        assert_eq!(
            rows(
                "<records><item><id>1</id><a><![CDATA[x]]></a></item><item><id>2</id></item></records>",
                Format::Xml
            ),
            vec![pairs(&[("id", "1"), ("a", "x")]), pairs(&[("id", "2")])]
        );
        let mut row = read_rows("id,a,b\n1,x,y\n", Format::Csv, ',')
            .unwrap()
            .remove(0);
        row.replace(&[(2, "z".to_owned())]);
        assert_eq!(row.get("b"), Some("z"));
        assert_eq!(row.get("a"), Some("x"));
        assert!(row.contains_key("id") && !row.contains_key("c"));
    }
}
