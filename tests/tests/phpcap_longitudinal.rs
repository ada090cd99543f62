//! A real longitudinal project through the emulator: PHPCap's test project (REDCap
//! 11.1.7's project XML: two arms, fourteen events, 100 records, checkboxes, a slider,
//! a matrix, a file field, Data Access Groups) is loaded, and the record export gives
//! back every value the XML holds, in the row of its record and event, and nothing
//! else.

use std::collections::HashMap;

use redcap_client::Row;

const XML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../redcap-schema/tests/fixtures/phpcap/tests/projects/PHPCapLongitudinalData.REDCap.xml"
);

#[test]
fn every_value_of_the_project_xml_comes_back_in_its_row() {
    let bytes = std::fs::read(XML).unwrap();
    let text = redcap_schema::read::decode(&bytes, XML).unwrap();
    let project = redcap_schema::read_project_xml(text, XML).unwrap();
    let schema = project.schema(XML).unwrap();
    let records: std::collections::HashSet<&str> =
        project.records.iter().map(|r| r.record.as_str()).collect();
    assert_eq!(records.len(), 100, "the XML's records");
    assert_eq!(schema.events.len(), 14, "the XML's events");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let rows: Vec<Row> = runtime.block_on(async {
        let emulator = redcap_emulator::Emulator::start(
            redcap_emulator::Config::default().project("phpcap", XML),
        )
        .await
        .unwrap();
        let client = redcap_tests::quick_client(emulator.url(), emulator.token("phpcap").unwrap());
        client
            .export_records()
            .export_data_access_groups(true)
            .send()
            .await
            .unwrap()
    });

    let id = schema.record_id_field.as_str();
    let key = |record: &str, event: &str| (record.to_owned(), event.to_owned());
    let exported: HashMap<(String, String), &Row> = rows
        .iter()
        .map(|row| {
            let event = row.get("redcap_event_name").unwrap_or("");
            (key(row.get(id).unwrap(), event), row)
        })
        .collect();
    assert_eq!(exported.len(), rows.len(), "one row per record and event");
    assert_eq!(
        rows.len(),
        project.records.len(),
        "as many rows as the XML has record-event slots with data"
    );

    let mut wrong = Vec::new();
    let mut compared = 0;
    for source in &project.records {
        let event = source.event.as_deref().unwrap_or("");
        let Some(row) = exported.get(&key(&source.record, event)) else {
            wrong.push(format!("record {} event {event}: no row", source.record));
            continue;
        };
        for (column, value) in &source.values {
            compared += 1;
            let got = row.get(column).unwrap_or("<no column>");
            if got != value {
                wrong.push(format!(
                    "record {} event {event} {column}: XML {value:?}, export {got:?}",
                    source.record
                ));
            }
        }
        // Nothing the XML does not hold: blank, or an unchecked box / form status 0.
        for (column, got) in row.iter() {
            let pseudo = column == id || column.starts_with("redcap_");
            if pseudo || got.is_empty() || source.values.contains_key(column) {
                continue;
            }
            if got == "0" && (column.contains("___") || column.ends_with("_complete")) {
                continue;
            }
            wrong.push(format!(
                "record {} event {event} {column}: export {got:?}, not in the XML",
                source.record
            ));
        }
    }
    // The XML's ItemData, less the record id repeated in each event's row.
    assert!(compared > 9_000, "{compared} values compared");
    assert!(
        wrong.is_empty(),
        "{} differences, first: {:#?}",
        wrong.len(),
        &wrong[..wrong.len().min(20)]
    );
}
