//! `exportSurveyFields`: the survey identifier and timestamp columns of
//! record and report exports, filled from survey responses recorded with
//! `Emulator::record_survey_response`, on PyCap's doctest project (one
//! survey-enabled instrument, `form_1`, in the repeating event
//! `event_1_arm_1`; records 1, 2 and 3 at instance 1).

mod support;

use redcap_emulator::{Config, Emulator, ReportDefinition};
use serde_json::{Value, json};
use support::{fixture, post, start};

const DOCTEST: &str = "PyCap/tests/data/doctest_project.xml";
const EVENT: &str = "event_1_arm_1";

/// The doctest project with record 1's response completed (identifier
/// `alice`), record 2's partial and none for record 3.
async fn answered(config: Config) -> Emulator {
    let emu = Emulator::start(config.project("doctest", fixture(DOCTEST)))
        .await
        .expect("emulator starts");
    let pid = emu.projects()[0].project_id;
    emu.record_survey_response(pid, "1", EVENT, "form_1", 1, Some("2024-01-02 03:04:05"))
        .unwrap();
    emu.set_participant_identifier(pid, "1", EVENT, "form_1", 1, "alice")
        .unwrap();
    emu.record_survey_response(pid, "2", EVENT, "form_1", 1, None)
        .unwrap();
    emu
}

/// A call with the project's token; status and body.
async fn call(emu: &Emulator, content: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let token = emu.token("doctest").unwrap().to_owned();
    let mut form = vec![("token", token.as_str()), ("content", content)];
    form.extend_from_slice(extra);
    let (status, _, body) = post(emu.url(), &form).await;
    (status, body)
}

async fn export(emu: &Emulator, extra: &[(&str, &str)]) -> String {
    let (status, body) = call(emu, "record", extra).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn flat_csv_has_identifier_and_timestamp_columns() {
    let emu = answered(Config::default()).await;
    let csv = export(&emu, &[("format", "csv"), ("exportSurveyFields", "true")]).await;
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1,checkbox_field___1,checkbox_field___2,upload_field,form_1_complete\n\
1,event_1_arm_1,,1,alice,\"2024-01-02 03:04:05\",1,0,1,[document],2\n\
2,event_1_arm_1,,1,,\"[not completed]\",0,0,0,,0\n\
3,event_1_arm_1,,1,,,1,0,0,,0\n"
    );
    // `1` is a flag as well as `true`; anything else is false.
    let same = export(&emu, &[("format", "csv"), ("exportSurveyFields", "1")]).await;
    assert_eq!(same, csv);
    let without = export(&emu, &[("format", "csv"), ("exportSurveyFields", "yes")]).await;
    assert!(
        without.starts_with(
            "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,field_1,"
        ),
        "{without}"
    );
}

#[tokio::test]
async fn flat_json_and_xml_values() {
    let emu = answered(Config::default()).await;
    let body = export(&emu, &[("format", "json"), ("exportSurveyFields", "true")]).await;
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "record_id",
            "redcap_event_name",
            "redcap_repeat_instrument",
            "redcap_repeat_instance",
            "redcap_survey_identifier",
            "form_1_timestamp",
            "field_1",
            "checkbox_field___1",
            "checkbox_field___2",
            "upload_field",
            "form_1_complete"
        ]
    );
    let cells: Vec<(&Value, &Value)> = rows
        .iter()
        .map(|r| (&r["redcap_survey_identifier"], &r["form_1_timestamp"]))
        .collect();
    assert_eq!(
        cells,
        [
            (&json!("alice"), &json!("2024-01-02 03:04:05")),
            (&json!(""), &json!("[not completed]")),
            (&json!(""), &json!("")),
        ]
    );
    let xml = export(
        &emu,
        &[
            ("format", "xml"),
            ("exportSurveyFields", "true"),
            ("records", "2"),
        ],
    )
    .await;
    assert!(
        xml.contains(
            "<redcap_repeat_instance><![CDATA[1]]></redcap_repeat_instance>\
<redcap_survey_identifier></redcap_survey_identifier>\
<form_1_timestamp><![CDATA[[not completed]]]></form_1_timestamp><field_1>"
        ),
        "{xml}"
    );
}

#[tokio::test]
async fn a_response_shows_on_its_own_instance_only() {
    let emu = answered(Config::default()).await;
    let pid = emu.projects()[0].project_id;
    let data = r#"[{"record_id":"1","redcap_event_name":"event_1_arm_1","redcap_repeat_instrument":"","redcap_repeat_instance":"2","field_1":"0"}]"#;
    let (status, body) = call(&emu, "record", &[("format", "json"), ("data", data)]).await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    emu.record_survey_response(pid, "1", EVENT, "form_1", 2, Some("2024-02-03 04:05:06"))
        .unwrap();
    // Record 3 has no data at instance 5: its response adds no row.
    emu.record_survey_response(pid, "3", EVENT, "form_1", 5, Some("2024-02-03 04:05:06"))
        .unwrap();
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("fields", "record_id,field_1"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1\n\
1,event_1_arm_1,,1,alice,\"2024-01-02 03:04:05\",1\n\
1,event_1_arm_1,,2,,\"2024-02-03 04:05:06\",0\n\
2,event_1_arm_1,,1,,\"[not completed]\",0\n\
3,event_1_arm_1,,1,,,1\n"
    );
}

#[tokio::test]
async fn field_and_form_selection() {
    let emu = answered(Config::default()).await;
    let csv = |fields: &'static str| {
        let emu = &emu;
        async move {
            export(
                emu,
                &[
                    ("format", "csv"),
                    ("exportSurveyFields", "true"),
                    ("fields", fields),
                    ("records", "1"),
                ],
            )
            .await
        }
    };
    // Only the record-ID field of the survey: no timestamp.
    assert_eq!(
        csv("record_id").await,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,redcap_survey_identifier\n\
1,event_1_arm_1,,1,alice\n"
    );
    // The form status alone brings the form's timestamp.
    assert_eq!(
        csv("record_id,form_1_complete").await,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,redcap_survey_identifier,\
form_1_timestamp,form_1_complete\n1,event_1_arm_1,,1,alice,\"2024-01-02 03:04:05\",2\n"
    );
    // Without the record-ID field the event and repeat columns are left
    // out; the identifier stays where the ID would be (a longitudinal
    // project adds the ID internally and drops it at the end).
    assert_eq!(
        csv("field_1").await,
        "redcap_survey_identifier,form_1_timestamp,field_1\nalice,\"2024-01-02 03:04:05\",1\n"
    );
    let forms = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("forms", "form_1"),
            ("records", "3"),
        ],
    )
    .await;
    assert_eq!(
        forms,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1,checkbox_field___1,checkbox_field___2,upload_field,form_1_complete\n\
3,event_1_arm_1,,1,,,1,0,0,,0\n"
    );
}

#[tokio::test]
async fn label_headers_and_label_values() {
    let emu = answered(Config::default()).await;
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("rawOrLabelHeaders", "label"),
            ("rawOrLabel", "label"),
            ("fields", "record_id,field_1"),
            ("records", "1,2"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "\"Record ID\",\"Event Name\",\"Repeat Instrument\",\"Repeat Instance\",\"Survey Identifier\",\
\"Survey Timestamp\",\"Field 1\"\n\
1,\"Event 1\",,1,alice,\"2024-01-02 03:04:05\",Yes\n\
2,\"Event 1\",,1,,\"[not completed]\",No\n"
    );
    // Label headers change CSV only: JSON keys stay the names.
    let body = export(
        &emu,
        &[
            ("format", "json"),
            ("exportSurveyFields", "true"),
            ("rawOrLabelHeaders", "label"),
            ("fields", "record_id,field_1"),
            ("records", "1"),
        ],
    )
    .await;
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(rows[0]["form_1_timestamp"], "2024-01-02 03:04:05");
}

#[tokio::test]
async fn eav_rows_follow_the_first_data_point() {
    let emu = answered(Config::default()).await;
    let body = export(
        &emu,
        &[
            ("format", "json"),
            ("type", "eav"),
            ("exportSurveyFields", "true"),
            ("fields", "record_id,field_1"),
        ],
    )
    .await;
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    let shown: Vec<(&str, &str, &str, &Value)> = rows
        .iter()
        .map(|r| {
            (
                r["record"].as_str().unwrap(),
                r["field_name"].as_str().unwrap(),
                r["value"].as_str().unwrap(),
                &r["redcap_repeat_instance"],
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("1", "record_id", "1", &json!(1)),
            ("1", "redcap_survey_identifier", "alice", &Value::Null),
            ("1", "form_1_timestamp", "2024-01-02 03:04:05", &Value::Null),
            ("1", "field_1", "1", &json!(1)),
            ("2", "record_id", "2", &json!(1)),
            ("2", "redcap_survey_identifier", "", &Value::Null),
            ("2", "form_1_timestamp", "[not completed]", &Value::Null),
            ("2", "field_1", "0", &json!(1)),
            ("3", "record_id", "3", &json!(1)),
            ("3", "field_1", "1", &json!(1)),
        ]
    );
    assert_eq!(rows[1]["redcap_event_name"], EVENT);
    assert_eq!(rows[1]["redcap_repeat_instrument"], "");
}

#[tokio::test]
async fn projects_without_surveys_ignore_the_flag() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let token = emu.token("simple").unwrap().to_owned();
    let form = |survey: &'static str| {
        vec![
            ("token", token.clone()),
            ("content", "record".to_owned()),
            ("format", "csv".to_owned()),
            ("exportSurveyFields", survey.to_owned()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let url = emu.url().to_owned();
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(&url, &pairs).await
        }
    };
    let with = send(form("true")).await;
    let without = send(form("false")).await;
    assert_eq!(with.0, 200);
    assert_eq!(with.2, without.2);
    assert!(!with.2.contains("redcap_survey_identifier"), "{}", with.2);
}

#[tokio::test]
async fn reports_with_output_survey_fields() {
    let mut report = ReportDefinition::default();
    report.title = "Surveys".into();
    report.fields = vec!["record_id".into(), "field_1".into()];
    report.output_survey_fields = true;
    let emu = answered(Config::default().report("doctest", report)).await;
    // Report 1 comes from the project XML (output_survey_fields="0").
    let (status, csv) = call(
        &emu,
        "report",
        &[
            ("report_id", "1"),
            ("format", "csv"),
            ("exportSurveyFields", "true"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(!csv.contains("form_1_timestamp"), "{csv}");
    let (status, csv) = call(&emu, "report", &[("report_id", "2"), ("format", "csv")]).await;
    assert_eq!(status, 200);
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1\n\
1,event_1_arm_1,,1,alice,\"2024-01-02 03:04:05\",1\n\
2,event_1_arm_1,,1,,\"[not completed]\",0\n\
3,event_1_arm_1,,1,,,1\n"
    );
}

#[tokio::test]
async fn import_ignores_the_survey_columns() {
    let emu = answered(Config::default()).await;
    // Exported rows go back in as they are: the survey columns are
    // ignored (REDCap drops them as pseudo-fields), the data saved.
    let data = "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1\n\
2,event_1_arm_1,,1,bob,\"2030-01-01 00:00:00\",1\n\
3,event_1_arm_1,,1,carol,\"2030-01-01 00:00:00\",0\n";
    let (status, body) = call(&emu, "record", &[("format", "csv"), ("data", data)]).await;
    assert_eq!((status, body.as_str()), (200, "2"));
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("fields", "record_id,field_1"),
            ("records", "2,3"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1\n\
2,event_1_arm_1,,1,,\"[not completed]\",1\n\
3,event_1_arm_1,,1,,,0\n"
    );
}

#[tokio::test]
async fn participant_list_reads_the_responses() {
    let emu = answered(Config::default()).await;
    let (status, body) = call(
        &emu,
        "participantList",
        &[
            ("instrument", "form_1"),
            ("event", EVENT),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    let shown: Vec<(&Value, &Value, &Value)> = rows
        .iter()
        .map(|r| (&r["record"], &r["identifier"], &r["response_status"]))
        .collect();
    assert_eq!(
        shown,
        [
            (&json!("1"), &json!("alice"), &json!(2)),
            (&json!("2"), &json!(""), &json!(1)),
            (&json!("3"), &json!(""), &json!(0)),
        ]
    );
}

#[tokio::test]
async fn the_hook_checks_its_target() {
    let emu = start(&[("doctest", DOCTEST)]).await;
    let pid = emu.projects()[0].project_id;
    let message = |r: Result<(), redcap_emulator::StartError>| r.unwrap_err().to_string();
    let name = pid.to_string();
    assert_eq!(
        message(emu.record_survey_response(pid, "1", "event_9_arm_1", "form_1", 1, None)),
        format!("project `{name}`: no event `event_9_arm_1` in the project")
    );
    assert_eq!(
        message(emu.record_survey_response(pid, "1", "event_2_arm_1", "form_1", 1, None)),
        format!(
            "project `{name}`: the instrument `form_1` is not designated for the event `event_2_arm_1`"
        )
    );
    assert_eq!(
        message(emu.record_survey_response(pid, "1", EVENT, "form_9", 1, None)),
        format!("project `{name}`: no instrument `form_9` in the project")
    );
    assert_eq!(
        message(emu.record_survey_response(pid, "1", EVENT, "form_1", 0, None)),
        format!(
            "project `{name}`: instance 0 is not valid here (1 where the instrument does not repeat)"
        )
    );
    assert_eq!(
        message(emu.record_survey_response(
            pid,
            "1",
            EVENT,
            "form_1",
            1,
            Some("2024-01-02T03:04:05")
        )),
        format!(
            "project `{name}`: completion time `2024-01-02T03:04:05` is not YYYY-MM-DD HH:MM:SS"
        )
    );
    assert_eq!(
        message(emu.set_participant_identifier(pid, "1", EVENT, "form_1", 1, "x")),
        format!("project `{name}`: record `1` has no response to `form_1` there")
    );
}

#[tokio::test]
async fn the_hook_wants_an_event_name_and_a_survey() {
    let emu = start(&[("long", support::PYCAP_LONG)]).await;
    let pid = emu.projects()[0].project_id;
    let message = |r: Result<(), redcap_emulator::StartError>| r.unwrap_err().to_string();
    // A longitudinal project needs the unique event name (`""` is only for
    // a classic project's single event).
    assert_eq!(
        message(emu.record_survey_response(pid, "1", "", "contact_info", 1, None)),
        format!("project `{pid}`: no event `` in the project")
    );
    // In test_long_project only contact_info is a survey.
    assert_eq!(
        message(emu.record_survey_response(pid, "1", "enrollment_arm_1", "demographics", 1, None)),
        format!("project `{pid}`: the instrument `demographics` is not enabled as a survey")
    );
    emu.record_survey_response(pid, "1", "enrollment_arm_1", "contact_info", 1, None)
        .unwrap();
}

#[tokio::test]
async fn responses_follow_renames_and_deletes() {
    let emu = answered(Config::default()).await;
    let (status, body) = call(
        &emu,
        "record",
        &[
            ("action", "rename"),
            ("record", "1"),
            ("new_record_name", "10"),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "1"));
    // Record 2 is deleted and made again: its old response is gone.
    let (status, body) = call(
        &emu,
        "record",
        &[
            ("action", "delete"),
            ("records[0]", "2"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "1"));
    let data = r#"[{"record_id":"2","redcap_event_name":"event_1_arm_1","redcap_repeat_instrument":"","redcap_repeat_instance":"1","field_1":"1"}]"#;
    let (status, _) = call(&emu, "record", &[("format", "json"), ("data", data)]).await;
    assert_eq!(status, 200);
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("fields", "record_id,field_1"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,\
redcap_survey_identifier,form_1_timestamp,field_1\n\
2,event_1_arm_1,,1,,,1\n\
3,event_1_arm_1,,1,,,1\n\
10,event_1_arm_1,,1,alice,\"2024-01-02 03:04:05\",1\n"
    );
    // Deleting the instrument's data deletes its response too.
    let (status, _) = call(
        &emu,
        "record",
        &[
            ("action", "delete"),
            ("records[0]", "10"),
            ("instrument", "form_1"),
            ("event", EVENT),
            ("repeat_instance", "1"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &emu,
        "participantList",
        &[
            ("instrument", "form_1"),
            ("event", EVENT),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(!body.contains("alice"), "{body}");
}

#[tokio::test]
async fn surveys_disabled_in_the_project() {
    let emu = answered(Config::default()).await;
    let (status, body) = call(
        &emu,
        "project_settings",
        &[("format", "json"), ("data", r#"{"surveys_enabled":"0"}"#)],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "1"));
    // Records::getData drops the survey columns of a flat export...
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("fields", "record_id,field_1"),
            ("records", "1"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,field_1\n\
1,event_1_arm_1,,1,1\n"
    );
    // ...while the API's EAV writer only asks whether surveys exist.
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("type", "eav"),
            ("exportSurveyFields", "true"),
            ("fields", "record_id,field_1"),
            ("records", "1"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "record,field_name,value,redcap_repeat_instrument,redcap_repeat_instance,redcap_event_name\n\
1,record_id,1,,1,event_1_arm_1\n\
1,redcap_survey_identifier,alice,,,event_1_arm_1\n\
1,form_1_timestamp,\"2024-01-02 03:04:05\",,,event_1_arm_1\n\
1,field_1,1,,1,event_1_arm_1"
    );
}

/// The doctest project made classic: its events, event repetition and
/// `StudyEventData` wrappers removed (classic project XML has none).
fn classic_doctest() -> std::path::PathBuf {
    let xml = std::fs::read_to_string(fixture(DOCTEST)).unwrap();
    let cut = |text: &str, from: &str, to: &str| -> String {
        let start = text.find(from).expect("start");
        let end = text[start..].find(to).expect("end") + start + to.len();
        format!("{}{}", &text[..start], &text[end..])
    };
    let xml = cut(&xml, "\t<Protocol>", "</StudyEventDef>\n\t<StudyEventDef");
    let xml = cut(&xml, "OID=\"Event.event_2_arm_1\"", "</StudyEventDef>\n");
    let xml = cut(
        &xml,
        "<redcap:RepeatingInstrumentsAndEvents>",
        "</redcap:RepeatingInstrumentsAndEvents>",
    );
    let xml = xml
        .lines()
        .filter(|l| !l.contains("StudyEventData"))
        .collect::<Vec<_>>()
        .join("\n");
    let path = std::env::temp_dir().join(format!(
        "redcap-emulator-survey-classic-{}.xml",
        std::process::id()
    ));
    std::fs::write(&path, xml).unwrap();
    path
}

#[tokio::test]
async fn a_classic_project_puts_the_identifier_after_the_first_plain_field() {
    let path = classic_doctest();
    let emu = Emulator::start(Config::default().project("doctest", &path))
        .await
        .expect("emulator starts");
    let _ = std::fs::remove_file(&path);
    let pid = emu.projects()[0].project_id;
    // A classic project's single event may be given as "".
    emu.record_survey_response(pid, "1", "", "form_1", 1, Some("2024-01-02 03:04:05"))
        .unwrap();
    emu.set_participant_identifier(pid, "1", "", "form_1", 1, "alice")
        .unwrap();
    let all = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("records", "1"),
        ],
    )
    .await;
    assert_eq!(
        all,
        "record_id,redcap_survey_identifier,form_1_timestamp,field_1,checkbox_field___1,checkbox_field___2,\
upload_field,form_1_complete\n1,alice,\"2024-01-02 03:04:05\",1,0,1,[document],2\n"
    );
    // Without the record-ID field, `Records::getData` writes the identifier
    // after the first field that is neither a checkbox nor a form status.
    let csv = export(
        &emu,
        &[
            ("format", "csv"),
            ("exportSurveyFields", "true"),
            ("fields", "checkbox_field,upload_field,form_1_complete"),
            ("records", "1"),
        ],
    )
    .await;
    assert_eq!(
        csv,
        "form_1_timestamp,checkbox_field___1,checkbox_field___2,upload_field,redcap_survey_identifier,\
form_1_complete\n\"2024-01-02 03:04:05\",0,1,[document],alice,2\n"
    );
}

#[tokio::test]
async fn an_identifier_shows_on_every_non_repeating_row_of_its_record() {
    let emu = start(&[("long", support::PYCAP_LONG)]).await;
    let pid = emu.projects()[0].project_id;
    // test_long_project: contact_info (the only survey) in enrollment_arm_1.
    emu.record_survey_response(
        pid,
        "1",
        "enrollment_arm_1",
        "contact_info",
        1,
        Some("2024-05-06 07:08:09"),
    )
    .unwrap();
    emu.set_participant_identifier(pid, "1", "enrollment_arm_1", "contact_info", 1, "p-1")
        .unwrap();
    let token = emu.token("long").unwrap().to_owned();
    let form = [
        ("token", token.as_str()),
        ("content", "record"),
        ("format", "json"),
        ("exportSurveyFields", "true"),
        ("records", "1"),
        (
            "forms",
            "demographics,contact_info,patient_morale_questionnaire",
        ),
    ];
    let (status, _, body) = post(emu.url(), &form).await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    let shown: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["redcap_event_name"].as_str().unwrap(),
                r["redcap_repeat_instrument"].as_str().unwrap(),
                r["redcap_survey_identifier"].as_str().unwrap(),
                r["contact_info_timestamp"].as_str().unwrap(),
            )
        })
        .collect();
    // Every non-repeating row of the record carries the identifier; a
    // repeating instance of another instrument does not; the timestamp is
    // on the response's own row only.
    let stamp = "2024-05-06 07:08:09";
    assert_eq!(
        shown,
        [
            ("enrollment_arm_1", "", "p-1", stamp),
            ("dose_1_arm_1", "", "p-1", ""),
            ("visit_1_arm_1", "", "p-1", ""),
            ("dose_2_arm_1", "", "p-1", ""),
            ("visit_2_arm_1", "", "p-1", ""),
            ("dose_3_arm_1", "", "p-1", ""),
            ("visit_3_arm_1", "", "p-1", ""),
            ("final_visit_arm_1", "", "p-1", ""),
            ("enrollment_arm_1", "baseline_data", "", ""),
        ]
    );
}
