//! Repeat columns on import, as REDCap 15.7.6's `Records::saveData` treats them: a row
//! whose instance cannot be read stops the import with that one message; the other
//! problems come back with the cells' errors, one `"record","field","value","message"`
//! line each (quotes inside doubled); nothing is written when any is found.

mod support;

use redcap_client::Payload;
use support::{REPEATING, client, start};

async fn import_error(c: &redcap_client::Client, json: &str) -> String {
    c.import_records()
        .data(Payload::json_text(json))
        .send()
        .await
        .unwrap_err()
        .api_message()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_unreadable_instance_stops_the_import_with_one_message() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let c = client(&emu, "repeating");
    let before = c.export_records().send().await.unwrap();
    let message = import_error(
        &c,
        r#"[{"record_id":"1","redcap_repeat_instrument":"blood_pressure","redcap_repeat_instance":"40000","sbp":"1"},
            {"record_id":"2","redcap_repeat_instrument":"blood_pressure","redcap_repeat_instance":"x","sbp":"1"}]"#,
    )
    .await;
    assert_eq!(
        message,
        "The record name (2) has an invalid value for 'redcap_repeat_instance'. The value must either be a positive integer or the value 'new'. Value provided: x"
    );
    assert_eq!(c.export_records().send().await.unwrap(), before);
}

#[tokio::test]
async fn other_repeat_problems_are_listed_with_the_cells() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let c = client(&emu, "repeating");
    let before = c.export_records().send().await.unwrap();
    let message = import_error(
        &c,
        r#"[{"record_id":"1","redcap_repeat_instrument":"blood_pressure","redcap_repeat_instance":"40000","sbp":"1"},
            {"record_id":"2","redcap_repeat_instrument":"intake","redcap_repeat_instance":"1"}]"#,
    )
    .await;
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines,
        [
            "\"1\",\"redcap_repeat_instance\",\"40000\",\"(redcap_repeat_instrument=\"\"blood_pressure\"\") redcap_repeat_instance must have a numeric value between '1' and '32767' for any Repeating Event or Repeating Instrument.  Please add a valid numeric value to redcap_repeat_instance in the data import file and try again.\"",
            "\"2\",\"redcap_repeat_instrument\",\"intake\",\"redcap_repeat_instrument must be the unique form name of a Repeating Instrument. It currently does not match the unique form name of any Repeating Instruments.  Please fix this in the data import file and try again.\"",
        ],
        "{message}"
    );
    assert_eq!(c.export_records().send().await.unwrap(), before);
}
