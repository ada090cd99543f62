//! `content=record&format=odm` as REDCap 15.7.6's
//! `ODM::getOdmClinicalData` writes it: a datetime field's value with
//! ODM's `T` (`str_replace(" ", "T", …)` for text fields whose validation
//! starts with `datetime`), and, with `exportSurveyFields`, each survey's
//! `{form}_timestamp` as an item of its form, its value as stored (not a
//! field, so no `T`).

mod support;

use redcap_emulator::{Config, Emulator};
use support::{SIMPLE, fixture, import_records, post};

/// redcap-etl's repeating-forms project: `weight_time` is `datetime_mdy`.
const REPEATING_FORMS: &str = "redcap-etl/tests/projects/RepeatingForms.REDCap.xml";
/// PyCap's longitudinal project: `contact_info` is a survey in
/// `enrollment_arm_1`.
const LONG: &str = "PyCap/tests/data/test_long_project.xml";

async fn export(emu: &Emulator, project: &str, extra: &[(&str, &str)]) -> String {
    let token = emu.token(project).unwrap();
    let mut form = vec![("token", token), ("content", "record")];
    form.extend_from_slice(extra);
    let (status, _, body) = post(emu.url(), &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The `Value`s of one item in ODM text, in order.
fn values<'t>(odm: &'t str, item: &str) -> Vec<&'t str> {
    let start = format!("<ItemData ItemOID=\"{item}\" Value=\"");
    odm.match_indices(&start)
        .map(|(i, _)| {
            let rest = &odm[i + start.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[tokio::test]
async fn datetime_values_take_odm_t() {
    let emu = Emulator::start(Config::default().project("forms", fixture(REPEATING_FORMS)))
        .await
        .unwrap();
    let source = std::fs::read_to_string(fixture(REPEATING_FORMS)).unwrap();
    let subject = &source[source.find("<SubjectData SubjectKey=\"1001\"").unwrap()..];
    let subject = &subject[..subject.find("</SubjectData>").unwrap()];
    let written = values(subject, "weight_time");
    assert!(!written.is_empty() && written.iter().all(|v| v.contains('T')));
    // Stored with a space, as REDCap stores them: the flat export shows it.
    let json = export(&emu, "forms", &[("format", "json"), ("records[0]", "1001")]).await;
    assert!(
        json.contains(&format!("\"{}\"", written[0].replace('T', " "))),
        "{json}"
    );
    let odm = export(&emu, "forms", &[("format", "odm"), ("records[0]", "1001")]).await;
    assert_eq!(values(&odm, "weight_time"), written);
    // The ODM export imports back to the same values.
    let (status, body) = import_records(&emu, "forms", "odm", &odm).await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    let again = export(&emu, "forms", &[("format", "json"), ("records[0]", "1001")]).await;
    assert_eq!(again, json);
}

#[tokio::test]
async fn survey_timestamps_are_items_of_their_form() {
    let emu = Emulator::start(Config::default().project("long", fixture(LONG)))
        .await
        .unwrap();
    let pid = emu.projects()[0].project_id;
    emu.record_survey_response(
        pid,
        "1",
        "enrollment_arm_1",
        "contact_info",
        1,
        Some("2024-05-06 07:08:09"),
    )
    .unwrap();
    let plain = export(&emu, "long", &[("format", "odm"), ("records[0]", "1")]).await;
    assert!(!plain.contains("contact_info_timestamp"), "{plain}");
    let odm = export(
        &emu,
        "long",
        &[
            ("format", "odm"),
            ("records[0]", "1"),
            ("exportSurveyFields", "true"),
        ],
    )
    .await;
    assert_eq!(
        values(&odm, "contact_info_timestamp"),
        ["2024-05-06 07:08:09"]
    );
    // In the contact_info form of the enrollment event, before its fields.
    let event = &odm[odm
        .find("<StudyEventData StudyEventOID=\"Event.enrollment_arm_1\"")
        .unwrap()..];
    let event = &event[..event.find("</StudyEventData>").unwrap()];
    let form = &event[event
        .find("<FormData FormOID=\"Form.contact_info\"")
        .unwrap()..];
    let form = &form[..form.find("</FormData>").unwrap()];
    let first_item = form.find("<ItemData ").unwrap();
    assert!(
        form[first_item..].starts_with("<ItemData ItemOID=\"contact_info_timestamp\""),
        "{form}"
    );
    // An import skips the timestamp, as `Records::saveData` ignores every
    // `{form}_timestamp` pseudo-field.
    let (status, body) = import_records(&emu, "long", "odm", &odm).await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
}

/// `ODM::getOdmClinicalData` (`Classes/ODM.php`) strips the ASCII control
/// characters XML cannot carry from each value before escaping it
/// (`[\x00-\x09\x0B\x0C\x0E-\x1F\x7F]`: tabs too, line breaks kept); the
/// flat export keeps the value as stored.
#[tokio::test]
async fn control_characters_are_stripped_from_odm_values() {
    let emu = Emulator::start(Config::default().project("simple", fixture(SIMPLE)))
        .await
        .unwrap();
    let stored = "a\tb\u{1}c\u{7f}d\ne\r\u{b}f\u{c}g \"<&>'";
    let data = serde_json::json!([{ "record_id": "90", "name_first": stored }]).to_string();
    let (status, body) = import_records(&emu, "simple", "json", &data).await;
    assert_eq!(status, 200, "{body}");
    let json = export(&emu, "simple", &[("format", "json"), ("records[0]", "90")]).await;
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["name_first"], stored);
    let odm = export(&emu, "simple", &[("format", "odm"), ("records[0]", "90")]).await;
    assert_eq!(
        values(&odm, "name_first"),
        ["abcd\ne\rfg &quot;&lt;&amp;&gt;&#039;"]
    );
}
