//! `content=record&format=odm`: the rows of a flat export as CDISC ODM
//! ClinicalData, as REDCap's `Records::getData` writes them (no Study,
//! blank values written).

use indexmap::IndexMap;
use redcap_schema::FlatRecord;
use serde_json::Value;

use crate::format::cell_text;
use crate::layout::{Column, Layout, Slot};
use crate::records::data::Row;

/// Columns of a flat export row that ClinicalData keeps as items although
/// they belong to no form.
const RECORD_ITEMS: [&str; 2] = ["redcap_data_access_group", "redcap_survey_identifier"];

/// The body: flat rows (`table`, one per stored row in `rows`) turned into
/// ODM, each row's items limited to the forms it holds.
pub(crate) fn body(
    layout: &Layout<'_>,
    rows: &[&Row],
    table: &[IndexMap<String, Value>],
) -> String {
    let records: Vec<FlatRecord> = rows
        .iter()
        .zip(table)
        .map(|(row, cells)| flat_record(layout, row, cells))
        .collect();
    let timestamp = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    redcap_schema::to_records_odm(layout.schema, &records, &timestamp)
}

fn flat_record(layout: &Layout<'_>, row: &Row, cells: &IndexMap<String, Value>) -> FlatRecord {
    let event = &layout.events[row.event];
    let mut values = IndexMap::new();
    for (name, value) in cells {
        let form = match layout.column(name) {
            Some(Column::Field(f)) | Some(Column::Checkbox(f, _)) => layout.form_of(f),
            None if RECORD_ITEMS.contains(&name.as_str()) && row.slot == Slot::Base => {
                values.insert(name.clone(), cell_text(value));
                continue;
            }
            // The event and repeat columns are the element structure, and
            // a survey timestamp has no stored form item.
            None => continue,
        };
        if form.is_some_and(|f| layout.form_applies(event, &row.slot, f)) {
            values.insert(name.clone(), cell_text(value));
        }
    }
    FlatRecord {
        record: row.record.clone(),
        event: layout.longitudinal().then(|| event.unique_name.clone()),
        repeat_instrument: match &row.slot {
            Slot::Repeat(f, _) if !f.is_empty() => Some(f.clone()),
            _ => None,
        },
        repeat_instance: row.instance().map(|n| n.to_string()),
        values,
        files: IndexMap::new(),
    }
}
