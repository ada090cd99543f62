//! `content=record&format=odm`: the rows of a flat export as CDISC ODM
//! ClinicalData, as REDCap's `Records::getData` writes them (no Study,
//! blank values written, survey timestamps as items of their forms when
//! asked for, datetime values with ODM's `T`), and ODM import payloads read
//! back into flat rows.

use indexmap::IndexMap;
use redcap_schema::FlatRecord;
use serde_json::Value;

use crate::format::cell_text;
use crate::layout::{Column, Layout, Slot};
use crate::records::data::Row;
use crate::records::payload::Item;
use crate::reply::ApiError;

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
            // Files travel only in project XML (`exportFiles`).
            Some(Column::Field(f)) if is_file(layout, f) => continue,
            Some(Column::Field(f)) | Some(Column::Checkbox(f, _)) => layout.form_of(f),
            None if RECORD_ITEMS.contains(&name.as_str()) && row.slot == Slot::Base => {
                values.insert(name.clone(), cell_text(value));
                continue;
            }
            // A survey's timestamp (`exportSurveyFields`) is an item of
            // its form, as `ODM::getOdmClinicalData` writes it.
            None => match name
                .strip_suffix("_timestamp")
                .filter(|form| layout.schema.form(form).is_some())
            {
                Some(form) => Some(form),
                // The event and repeat columns are the element structure.
                None => continue,
            },
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

/// An ODM import payload (ClinicalData, with or without Study) as the flat
/// rows `ODM::parseOdm` hands to `Records::saveData`: the record-ID field
/// filled from `SubjectKey`, the event from `StudyEventData`, the repeat
/// columns from the repeat keys (read with the project's repeating setup).
/// File Upload fields are left out, as `saveData` skips them on a record
/// import.
pub(crate) fn import_items(layout: &Layout<'_>, data: &str) -> Result<Vec<Item>, ApiError> {
    let text = data.trim_start_matches('\u{feff}').trim();
    let records = redcap_schema::read_clinical_data(text, "data", &layout.schema.repeating)
        .map_err(|e| {
            ApiError::bad(format!(
                "The data being imported is not formatted correctly. Error: {e}"
            ))
        })?;
    let id_field = layout.id_field();
    Ok(records
        .into_iter()
        .map(|record| {
            let mut item = Item::new();
            item.insert(id_field.to_owned(), record.record.clone());
            if let Some(event) = record.event {
                item.insert("redcap_event_name".to_owned(), event);
            }
            if let Some(instance) = record.repeat_instance {
                item.insert(
                    "redcap_repeat_instrument".to_owned(),
                    record.repeat_instrument.unwrap_or_default(),
                );
                item.insert("redcap_repeat_instance".to_owned(), instance);
            }
            for (column, value) in record.values {
                if !is_file(layout, &column) {
                    item.entry(column).or_insert(value);
                }
            }
            item
        })
        .collect())
}

/// Whether a column is a File Upload field's.
fn is_file(layout: &Layout<'_>, column: &str) -> bool {
    layout
        .field(column)
        .is_some_and(|f| f.field_type == redcap_schema::FieldType::File)
}
