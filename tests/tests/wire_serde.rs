//! Serde of generated rows and records in REDCap's wire form (`records::Wire`,
//! `records::WireRecords`): the corpus exports serialise to exactly the export's rows and
//! deserialise back to the same typed rows and records.

use redcap_client::records::{
    DecodeMode, FlatRow, Wire, WireRecords, WireRef, decode_csv, encode_rows,
};
use redcap_client::rows_from_csv;
use redcap_tests::{longitudinal, missing, repeating};

fn read(path: &str) -> String {
    let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

const REDCAPR: &str = "redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects";

/// CSV → typed rows → JSON through `Wire`: the JSON objects are the export's rows, column
/// for column; and the JSON reads back into rows that encode to the same cells.
fn rows_round_trip<R: FlatRow>(path: &str) -> Vec<R> {
    let text = read(path);
    let rows: Vec<R> = decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap();
    let wire: Vec<WireRef<R>> = rows.iter().map(WireRef).collect();
    let json = serde_json::to_string(&wire).unwrap();
    let objects: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&json).unwrap();
    let source = rows_from_csv(&text).unwrap();
    assert_eq!(objects.len(), source.len(), "{path}");
    for (object, expected) in objects.iter().zip(&source) {
        let object: Vec<(&str, &str)> = object
            .iter()
            .map(|(column, value)| (column.as_str(), value.as_str().unwrap()))
            .collect();
        let expected: Vec<(&str, &str)> = expected.iter().collect();
        assert_eq!(object, expected, "{path}");
    }
    let back: Vec<Wire<R>> = serde_json::from_str(&json).unwrap();
    let back: Vec<R> = back.into_iter().map(|w| w.0).collect();
    assert_eq!(encode_rows(&back), encode_rows(&rows), "{path}");
    back
}

#[test]
fn generated_rows_serialise_as_the_export_rows() {
    rows_round_trip::<longitudinal::Row>(&format!("{REDCAPR}/longitudinal/data.csv"));
    rows_round_trip::<repeating::Row>(&format!("{REDCAPR}/vignette-repeating/data.csv"));
    rows_round_trip::<missing::Row>("tests/fixtures/missing-codes/data.csv");
}

#[test]
fn records_serialise_as_their_rows_and_group_back() {
    let rows = rows_round_trip::<repeating::Row>(&format!("{REDCAPR}/vignette-repeating/data.csv"));
    let records = repeating::Record::from_rows(rows.clone()).unwrap();
    let json = serde_json::to_string(&WireRecords::<repeating::Record, repeating::Row>::new(
        records.clone(),
    ))
    .unwrap();
    let wire_rows: Vec<WireRef<repeating::Row>> = rows.iter().map(WireRef).collect();
    assert_eq!(json, serde_json::to_string(&wire_rows).unwrap());
    let back: WireRecords<repeating::Record, repeating::Row> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.records, records);
}

#[test]
fn a_value_that_does_not_fit_is_an_error_naming_it() {
    let error = serde_json::from_str::<Wire<missing::Row>>(r#"{"record_id": "1", "age": "old"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("column `age`") && error.contains("`old`"),
        "{error}"
    );
    let error = serde_json::from_str::<Wire<missing::Row>>(r#"{"record_id": "1", "shoe": "42"}"#)
        .unwrap_err()
        .to_string();
    assert!(error.contains("`shoe`"), "{error}");
    // REDCap's JSON writes the repeat instance as a number.
    let row: Wire<repeating::Row> = serde_json::from_str(
        r#"{"record_id": "1", "redcap_repeat_instrument": "blood_pressure", "redcap_repeat_instance": 2}"#,
    )
    .unwrap();
    assert_eq!(row.0.key.repeat_instance, Some(2));
}
