//! Values REDCap holds, through the emulator and the typed client: every form a field's
//! validation accepts comes back unchanged, and values outside the validation (entered
//! before it changed) are listed all at once, or set aside while the rest is kept.

use std::path::{Path, PathBuf};

use redcap_client::bulk::ExportOptions;
use redcap_client::records::{DecodeMode, InvalidCell};
use redcap_client::{Client, Error, Payload};
use redcap_tests::longitudinal::Row;

fn project_xml() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml",
    )
}

/// The emulator serving `xml` as project `longitudinal`, on its own runtime.
fn emulator(xml: &Path) -> (redcap_emulator::Emulator, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = redcap_emulator::Config::default().project("longitudinal", xml);
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(config))
        .unwrap();
    (emulator, runtime)
}

/// The stored text of `field` on the row of `record` in `event`, as a raw export has it.
async fn stored(client: &Client, record: &str, event: &str, field: &str) -> String {
    let rows = client
        .export_records()
        .records([record])
        .events([event])
        .fields(["study_id", field])
        .send()
        .await
        .unwrap();
    let row = rows
        .iter()
        .find(|row| row.get("redcap_event_name") == Some(event))
        .unwrap();
    row.get(field).unwrap().to_string()
}

fn find<'r>(rows: &'r [Row], record: &str, event: &str) -> &'r Row {
    rows.iter()
        .find(|r| r.key.record.as_str() == record && r.key.event.as_deref() == Some(event))
        .unwrap_or_else(|| panic!("no row for record {record} in {event}"))
}

#[test]
fn integers_with_leading_zeros_or_a_sign_survive_a_typed_round_trip() {
    let (emulator, runtime) = emulator(&project_xml());
    let client = Client::new(emulator.url(), emulator.token("longitudinal").unwrap()).unwrap();
    runtime.block_on(async {
        // REDCap's integer validation (`/^[-+]?\b\d+\b$/`) accepts both on import.
        let import = r#"[{"study_id":"100","redcap_event_name":"enrollment_arm_1","weight2":"070"},
                         {"study_id":"220","redcap_event_name":"enrollment_arm_1","weight2":"+70"}]"#;
        client
            .import_records()
            .data(Payload::json_text(import))
            .send()
            .await
            .unwrap();

        let rows: Vec<Row> = client.export_typed().await.unwrap();
        let zero = find(&rows, "100", "enrollment_arm_1").baseline_data.weight2.as_ref().unwrap();
        assert_eq!((zero.text().as_ref(), zero.value()), ("070", Some(70)));
        let plus = find(&rows, "220", "enrollment_arm_1").baseline_data.weight2.as_ref().unwrap();
        assert_eq!((plus.text().as_ref(), plus.value()), ("+70", Some(70)));

        client.import_typed(&rows).await.unwrap();
        assert_eq!(stored(&client, "100", "enrollment_arm_1", "weight2").await, "070");
        assert_eq!(stored(&client, "220", "enrollment_arm_1", "weight2").await, "+70");
        let again: Vec<Row> = client.export_typed().await.unwrap();
        assert!(again == rows, "the import changed no value");
    });
}

/// Replaces the stored value of the first `field` in the project XML that holds `old`.
fn replace_value(xml: &str, field: &str, old: &str, new: &str) -> String {
    let item = format!(r#"<ItemData ItemOID="{field}" Value="{old}"/>"#);
    assert!(xml.contains(&item), "{item} is in the project");
    xml.replacen(
        &item,
        &format!(r#"<ItemData ItemOID="{field}" Value="{new}"/>"#),
        1,
    )
}

#[test]
fn values_outside_their_validation_are_all_listed_and_the_rest_is_kept() {
    // Seeding stores a project's records without validation, as REDCap holds values
    // entered before a field's validation changed.
    let xml = std::fs::read_to_string(project_xml()).unwrap();
    let xml = replace_value(&xml, "dob", "1983-09-23", "09/23/1983");
    let xml = replace_value(&xml, "height", "160", "1.60 m");
    let xml = replace_value(&xml, "weight2", "223", "223 kg");
    let path = std::env::temp_dir().join(format!("redcap-invalid-{}.xml", std::process::id()));
    std::fs::write(&path, xml).unwrap();
    let (emulator, runtime) = emulator(&path);
    std::fs::remove_file(&path).unwrap();
    let client = Client::new(emulator.url(), emulator.token("longitudinal").unwrap()).unwrap();
    runtime.block_on(async {
        let expected = [
            ("100", "dob", "09/23/1983"),
            ("100", "height", "1.60 m"),
            ("220", "weight2", "223 kg"),
        ];
        let listed = |cells: &[InvalidCell]| -> Vec<(String, String, String)> {
            cells
                .iter()
                .map(|c| (c.record.clone().unwrap(), c.column.clone(), c.value.clone()))
                .collect()
        };
        let expected: Vec<(String, String, String)> = expected
            .iter()
            .map(|(r, c, v)| (r.to_string(), c.to_string(), v.to_string()))
            .collect();

        // Strict: one error, listing all three.
        let error = client.export_typed::<Row>().await.unwrap_err();
        let Error::Record { source, .. } = &error else {
            panic!("not a record error: {error}");
        };
        assert_eq!(listed(source.as_slice()), expected);
        assert!(
            source
                .iter()
                .all(|c| c.event.as_deref() == Some("enrollment_arm_1") && !c.row_withheld),
            "{source}"
        );
        let message = source.to_string();
        assert!(message.starts_with("3 values do not fit their fields:"), "{message}");
        assert!(
            message.contains("record `220`, event `enrollment_arm_1`: column `weight2`: `223 kg` is not an integer"),
            "{message}"
        );

        // Keeping the valid data: every row, the three cells unset and listed.
        let decoded = client
            .export_typed_with_report::<Row>(DecodeMode::Strict)
            .await
            .unwrap();
        assert_eq!(listed(decoded.invalid.as_slice()), expected);
        let raw = client.export_records().send().await.unwrap();
        assert_eq!(decoded.rows.len(), raw.len(), "no row is dropped");
        let first = find(&decoded.rows, "100", "enrollment_arm_1");
        assert_eq!((&first.demographics.dob, &first.demographics.height), (&None, &None));
        assert_eq!(first.demographics.email.as_deref(), Some("zlehnox@gmail.com"));
        assert_eq!(first.baseline_data.weight2.as_ref().map(|w| w.to_string()).as_deref(), Some("234"));
        let second = find(&decoded.rows, "220", "enrollment_arm_1");
        assert_eq!(second.baseline_data.weight2, None);
        assert!(second.demographics.dob.is_some());

        // One record a batch: the same cells, rows numbered across the whole export.
        let options = ExportOptions::new().batch_size(1);
        let mut rows: Vec<Row> = Vec::new();
        let (_, batched) = client
            .export_all_typed_with_report(&options, DecodeMode::Strict, |row| rows.push(row))
            .await
            .unwrap();
        assert_eq!(batched, decoded.invalid);
        assert!(rows == decoded.rows);
        let mut clean: Vec<Row> = Vec::new();
        let error = client
            .export_all_typed_with(&options, DecodeMode::Strict, |row| clean.push(row))
            .await
            .unwrap_err();
        assert!(matches!(&error, Error::Record { source, .. } if **source == decoded.invalid));
        assert!(clean.is_empty(), "the first record's batch holds invalid cells");
    });
}
