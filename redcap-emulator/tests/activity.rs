//! Logging, reports, surveys and randomisation over HTTP with
//! `redcap-client`: what REDCap 15.7.6 logs and answers, filters and rights
//! included.

mod support;

use redcap_client::{Payload, params};
use redcap_emulator::UserRights;
use support::*;

/// `export_logging` as raw text with extra parameters.
async fn log(c: &redcap_client::Client, extra: &[(&str, &str)]) -> String {
    let mut p = vec![("format", "json")];
    p.extend_from_slice(extra);
    raw(c, "export_logging", &p).await.expect("log export")
}

/// The log rows as JSON values (timestamps dropped: they vary).
fn rows(body: &str) -> Vec<serde_json::Value> {
    let mut v: Vec<serde_json::Value> = serde_json::from_str(body).expect("json");
    for row in &mut v {
        let ts = row["timestamp"].as_str().unwrap_or_default().to_owned();
        assert_eq!(ts.len(), 16, "timestamp is Y-m-d H:i: {ts}");
        row.as_object_mut().unwrap().remove("timestamp");
    }
    v
}

fn row(username: &str, action: &str, details: &str, record: &str) -> serde_json::Value {
    serde_json::json!({"username": username, "action": action, "details": details, "record": record})
}

async fn import(c: &redcap_client::Client, json: &str) {
    c.import_records()
        .data(Payload::json_text(json))
        .send()
        .await
        .expect("import");
}

#[tokio::test]
async fn logging_records_creates_updates_deletes_and_renames() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    import(
        &c,
        r#"[{"record_id":"10","name_first":"A","race___2":"1"}]"#,
    )
    .await;
    import(
        &c,
        r#"[{"record_id":"10","name_first":"B","race___2":"0","race___3":"1"}]"#,
    )
    .await;
    // An import that changes nothing is not logged.
    import(&c, r#"[{"record_id":"10","name_first":"B"}]"#).await;
    let got = rows(&log(&c, &[("record", "10")]).await);
    assert_eq!(
        got,
        vec![
            row(
                "site_admin",
                "Update record (API) 10",
                "name_first = 'B', race(3) = checked, race(2) = unchecked",
                "10"
            ),
            row(
                "site_admin",
                "Create record (API) 10",
                "record_id = '10', name_first = 'A', demographics_complete = '0', race(2) = checked, race_and_ethnicity_complete = '0'",
                "10"
            ),
        ]
    );
    // Rename moves the record's history to the new name.
    assert_eq!(
        raw(
            &c,
            "rename_record",
            &[("record", "10"), ("new_record_name", "11")]
        )
        .await
        .unwrap(),
        "1"
    );
    assert_eq!(log(&c, &[("record", "10")]).await, "[]");
    let got = rows(&log(&c, &[("record", "11")]).await);
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0],
        row(
            "site_admin",
            "Update record (API) 11",
            "record_id = '11'",
            "11"
        )
    );
    c.delete_records().records(["11"]).send().await.unwrap();
    let got = rows(&log(&c, &[("logtype", "record_delete")]).await);
    assert_eq!(
        got,
        vec![row(
            "site_admin",
            "Delete record (API) 11",
            "record_id = '11'",
            "11"
        )]
    );
    // record_add / record_edit split the rest; the seeded records were
    // created when the project was loaded.
    let added = rows(&log(&c, &[("logtype", "record_add")]).await);
    assert_eq!(added.len(), 6, "{added:?}");
    assert_eq!(added[0]["action"], "Create record (API) 11");
    assert_eq!(added[5]["action"], "Create record (API) 1");
    let edited = rows(&log(&c, &[("logtype", "record_edit"), ("record", "11")]).await);
    assert_eq!(edited.len(), 2);
    // The DAG assignments of the seeded records are record edits.
    let got = rows(&log(&c, &[("logtype", "record_edit"), ("record", "5")]).await);
    assert_eq!(
        got,
        vec![row(
            "site_admin",
            "Update record (API) 5",
            "Assign record to Data Access Group (redcap_data_access_group = 'dag_2')",
            "5"
        )]
    );
}

#[tokio::test]
async fn logging_formats_times_users_and_design() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    import(&c, r#"[{"record_id":"10","age":"40"}]"#).await;
    // csv: header and one line per row; xml: <logs><log>.
    let csv = log(&c, &[("format", "csv"), ("record", "10")]).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "timestamp,username,action,details,record");
    assert!(
        lines[1].ends_with(
            ",site_admin,\"Create record (API) 10\",\"record_id = '10', age = '40', demographics_complete = '0'\",10"
        ),
        "{csv}"
    );
    assert_eq!(lines.len(), 2);
    let xml = log(&c, &[("format", "xml"), ("record", "10")]).await;
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<logs>\n<log><timestamp><![CDATA["
    ));
    assert!(xml.ends_with("<action><![CDATA[Create record (API) 10]]></action><details><![CDATA[record_id = '10', age = '40', demographics_complete = '0']]></details><record><![CDATA[10]]></record></log>\n</logs>\n"), "{xml}");
    // Time window: "Y-m-d H:i"; nothing after the future, nothing before the past.
    assert_eq!(log(&c, &[("beginTime", "2999-01-01 00:00")]).await, "[]");
    assert_eq!(log(&c, &[("endTime", "2000-01-01 00:00")]).await, "[]");
    assert_eq!(
        log(&c, &[("format", "csv"), ("endTime", "2000-01-01 00:00")]).await,
        "timestamp,username,action,details,record"
    );
    let now = rows(&log(&c, &[("beginTime", "2000-01-01 00:00"), ("record", "10")]).await);
    assert_eq!(now.len(), 1);
    // The user filter.
    assert_eq!(log(&c, &[("user", "someone_else")]).await, "[]");
    let pid = emu.projects()[0].project_id;
    let token = emu.add_user(pid, "editor", UserRights::full()).unwrap();
    let e = redcap_client::Client::new(emu.url(), &token).unwrap();
    import(&e, r#"[{"record_id":"10","age":"41"}]"#).await;
    let got = rows(&log(&c, &[("user", "editor")]).await);
    assert_eq!(
        got,
        vec![row("editor", "Update record (API) 10", "age = '41'", "10")]
    );
    // Design changes and exports.
    raw(
        &c,
        "import_project_info",
        &[("format", "json"), ("data", r#"{"project_title":"T"}"#)],
    )
    .await
    .unwrap();
    c.export_records().send().await.unwrap();
    // Each log export is logged too (after it answers).
    let got = rows(&log(&c, &[("logtype", "manage")]).await);
    let design: Vec<&serde_json::Value> = got
        .iter()
        .filter(|r| r["details"] != "Export Logging (API)")
        .collect();
    assert_eq!(
        design,
        vec![&row(
            "site_admin",
            "Manage/Design ",
            "Import project information (API)",
            ""
        )]
    );
    let got = rows(&log(&c, &[("logtype", "export")]).await);
    assert_eq!(
        got,
        vec![row(
            "site_admin",
            "Data export (API) ",
            "export_format: JSON, rawOrLabel: raw",
            ""
        )]
    );
    // A non-record logtype ignores `record`.
    let before = rows(&log(&c, &[("logtype", "manage")]).await).len();
    assert_eq!(
        rows(&log(&c, &[("logtype", "manage"), ("record", "10")]).await).len(),
        before + 1
    );
    // Page views and user changes are not logged by the emulator.
    assert_eq!(log(&c, &[("logtype", "page_view")]).await, "[]");
    // The typed client reads it.
    let typed = c
        .export_logging()
        .logtype(params::LogType::RecordAdd)
        .send()
        .await
        .unwrap();
    assert_eq!(typed[0].action, "Create record (API) 10");
    assert_eq!(typed[0].record, "10");
}

#[tokio::test]
async fn logging_in_a_dag_and_the_dag_filter() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    rights.group = Some("dag_1".into());
    let token = emu.add_user(pid, "dag1_user", rights).unwrap();
    let d = redcap_client::Client::new(emu.url(), &token).unwrap();
    import(&d, r#"[{"record_id":"1","age":"12"}]"#).await;
    import(&c, r#"[{"record_id":"5","age":"60"}]"#).await;
    // A DAG user sees only their DAG's records (1, 2, 3) and the
    // non-record activity of their DAG's users.
    let got = rows(&log(&d, &[]).await);
    let records: Vec<&str> = got.iter().map(|r| r["record"].as_str().unwrap()).collect();
    assert_eq!(records, ["1", "3", "3", "2", "2", "1", "1"], "{got:?}");
    assert_eq!(
        got[0],
        row("dag1_user", "Update record (API) 1", "age = '12'", "1")
    );
    // Another DAG's record is not theirs to filter on: the filter is dropped.
    // (It now also shows their first log export: non-record activity of
    // a user of their DAG.)
    let got = rows(&log(&d, &[("record", "5")]).await);
    assert_eq!(got.len(), 8);
    assert_eq!(
        got[0],
        row("dag1_user", "Manage/Design ", "Export Logging (API)", "")
    );
    // The admin's own log exports are not shown to them.
    let got = rows(&log(&d, &[("logtype", "manage")]).await);
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|r| r["username"] == "dag1_user"));
    // A user in no DAG filters by group id: dag_2 (id 2) has record 5.
    let got = rows(&log(&c, &[("dag", "2"), ("logtype", "record")]).await);
    let records: Vec<&str> = got.iter().map(|r| r["record"].as_str().unwrap()).collect();
    assert_eq!(records, ["5", "5", "5"]);
}

#[tokio::test]
async fn logging_rights() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    rights.logging = false;
    let token = emu.add_user(pid, "nolog", rights).unwrap();
    let c = redcap_client::Client::new(emu.url(), &token).unwrap();
    let error = c.export_logging().send().await.unwrap_err();
    assert_eq!(
        (error.status(), error.api_message()),
        (
            Some(403),
            Some(
                "The API request cannot complete because currently you do not have \"Logging\" privileges, which are required for this operation."
            )
        )
    );
    let mut rights = UserRights::full();
    for form in ["demographics", "health", "race_and_ethnicity"] {
        rights.forms_export.insert(form.into(), 0);
    }
    let token = emu.add_user(pid, "noexport", rights).unwrap();
    let c = redcap_client::Client::new(emu.url(), &token).unwrap();
    let error = c.export_logging().send().await.unwrap_err();
    assert_eq!(
        (error.status(), error.api_message()),
        (
            Some(403),
            Some(
                "The API request cannot complete because currently you have \"No Access\" data export rights. Higher level data export rights are required for this operation."
            )
        )
    );
    let mut rights = UserRights::full();
    rights.api_export = false;
    let token = emu.add_user(pid, "noapi", rights).unwrap();
    let c = redcap_client::Client::new(emu.url(), &token).unwrap();
    let error = c.export_logging().send().await.unwrap_err();
    assert_eq!(
        error.api_message(),
        Some("You do not have API Export privileges")
    );
}

#[tokio::test]
async fn date_range_export_reads_the_log() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let count = |body: String| {
        serde_json::from_str::<Vec<serde_json::Value>>(&body)
            .unwrap()
            .len()
    };
    let export = |begin: &'static str, end: &'static str| {
        let c = c.clone();
        async move {
            raw(
                &c,
                "export_records",
                &[
                    ("format", "json"),
                    ("fields", "record_id"),
                    ("dateRangeBegin", begin),
                    ("dateRangeEnd", end),
                ],
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(
        count(export("2000-01-01 00:00:00", "2999-01-01 00:00:00").await),
        5
    );
    assert_eq!(count(export("2999-01-01 00:00:00", "").await), 0);
    assert_eq!(
        count(export("2000-01-01 00:00:00", "2000-01-02 00:00:00").await),
        0
    );
}

#[tokio::test]
async fn report_export_takes_its_fields_order_and_options_from_the_project_xml() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    // Report 1 of the project XML: record_id,height,health_complete,address,ethnicity.
    let body = raw(
        &c,
        "export_report",
        &[("report_id", "1"), ("format", "json")],
    )
    .await
    .unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(rows.len(), 5);
    let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "record_id",
            "height",
            "health_complete",
            "address",
            "ethnicity"
        ]
    );
    assert_eq!(
        rows[2],
        serde_json::json!({"record_id": "3", "height": "180", "health_complete": "2",
            "address": "243 Hill St.\nGuthrie OK 73402", "ethnicity": "0"})
    );
    // Labels, label headers, another delimiter.
    let csv = raw(
        &c,
        "export_report",
        &[
            ("report_id", "1"),
            ("format", "csv"),
            ("rawOrLabel", "label"),
            ("rawOrLabelHeaders", "label"),
            ("csvDelimiter", ";"),
        ],
    )
    .await
    .unwrap();
    assert!(
        csv.starts_with("\"Study ID\";\"Height (cm)\";Complete?;\"Street, City, State, ZIP\";Ethnicity\n1;7;Unverified;\"14 Rose Cottage St.\nKenning UK, 323232\";\"NOT Hispanic or Latino\"\n"),
        "{csv}"
    );
    // Report 2 combines the checkbox values.
    let csv = raw(
        &c,
        "export_report",
        &[("report_id", "2"), ("format", "csv")],
    )
    .await
    .unwrap();
    assert_eq!(
        csv,
        "record_id,race\n1,5\n2,\"3,5\"\n3,\"4,5\"\n4,\"2,5\"\n5,\"1,6\"\n"
    );
    let csv = raw(
        &c,
        "export_report",
        &[
            ("report_id", "2"),
            ("format", "csv"),
            ("rawOrLabel", "label"),
        ],
    )
    .await
    .unwrap();
    assert!(
        csv.contains("\n2,\"Native Hawaiian or Other Pacific Islander,White\"\n"),
        "{csv}"
    );
    // The export is logged as a data export.
    let got = rows_of(&log(&c, &[("logtype", "export")]).await);
    assert_eq!(
        got[0]["details"],
        "report_id: 2, export_format: CSV, rawOrLabel: label"
    );
}

fn rows_of(body: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(body).expect("json")
}

#[tokio::test]
async fn report_filters_logic_events_and_dags_in_a_longitudinal_project() {
    let emu = start(&[("doctest", "PyCap/tests/data/doctest_project.xml")]).await;
    let c = client(&emu, "doctest");
    // Its report: record_id and checkbox_field where field_1 = 1.
    let body = raw(
        &c,
        "export_report",
        &[("report_id", "1"), ("format", "json")],
    )
    .await
    .unwrap();
    assert_eq!(
        body,
        r#"[{"record_id":"1","redcap_event_name":"event_1_arm_1","redcap_repeat_instrument":"","redcap_repeat_instance":1,"checkbox_field___1":"0","checkbox_field___2":"1"},{"record_id":"3","redcap_event_name":"event_1_arm_1","redcap_repeat_instrument":"","redcap_repeat_instance":1,"checkbox_field___1":"0","checkbox_field___2":"0"}]"#
    );
    let xml = raw(
        &c,
        "export_report",
        &[("report_id", "1"), ("format", "xml")],
    )
    .await
    .unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<records>\n<item><record_id><![CDATA[1]]></record_id>"), "{xml}");
}

#[tokio::test]
async fn report_definitions_from_the_config_sort_and_filter() {
    let mut by_age = redcap_emulator::ReportDefinition::default();
    by_age.title = "By age".into();
    by_age.fields = vec!["age".into(), "record_id".into(), "sex".into()];
    by_age.filter_logic = "[age] > 15".into();
    by_age.order_by = vec![("age".into(), "DESC".into())];
    let mut dag_2 = redcap_emulator::ReportDefinition::default();
    dag_2.fields = vec!["record_id".into(), "name_first".into()];
    dag_2.filter_dags = vec!["dag_2".into()];
    dag_2.output_dags = true;
    let config = redcap_emulator::Config::default()
        .project("simple", fixture(SIMPLE))
        .report("simple", by_age)
        .report("simple", dag_2);
    let emu = redcap_emulator::Emulator::start(config).await.unwrap();
    let c = client(&emu, "simple");
    // Reports 1 and 2 come from the project XML; the config adds 3 and 4.
    let csv = raw(
        &c,
        "export_report",
        &[("report_id", "3"), ("format", "csv")],
    )
    .await
    .unwrap();
    assert_eq!(csv, "record_id,age,sex\n3,80,1\n4,61,0\n5,59,1\n");
    let csv = raw(
        &c,
        "export_report",
        &[("report_id", "4"), ("format", "csv")],
    )
    .await
    .unwrap();
    assert_eq!(
        csv,
        "record_id,redcap_data_access_group,name_first\n5,dag_2,\"John Lee\"\n"
    );
    // A DAG user sees only their DAG's records (none of dag_2 here), and
    // per-form export rights remove fields.
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    rights.group = Some("dag_1".into());
    rights.forms_export.insert("demographics".into(), 0);
    rights.forms_export.insert("health".into(), 1);
    let token = emu.add_user(pid, "dag1", rights).unwrap();
    let d = redcap_client::Client::new(emu.url(), &token).unwrap();
    let csv = raw(
        &d,
        "export_report",
        &[("report_id", "1"), ("format", "csv")],
    )
    .await
    .unwrap();
    assert_eq!(
        csv,
        "record_id,height,health_complete,ethnicity\n1,7,1,1\n2,6,0,1\n3,180,2,0\n"
    );
}

#[tokio::test]
async fn report_errors_and_rights() {
    let emu = start(&[
        ("simple", SIMPLE),
        ("doctest", "PyCap/tests/data/doctest_project.xml"),
    ])
    .await;
    let c = client(&emu, "simple");
    for (id, shown) in [("3", "3"), ("99", "99"), ("abc", "abc"), ("", "")] {
        let error = raw(
            &c,
            "export_report",
            &[("report_id", id), ("format", "json")],
        )
        .await
        .unwrap_err();
        assert_eq!(
            (error.status(), error.api_message().map(str::to_owned)),
            (
                Some(403),
                Some(format!(
                    "The API request cannot complete because report_id={shown} does not belong to this project."
                ))
            )
        );
    }
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    for form in ["demographics", "health", "race_and_ethnicity"] {
        rights.forms_export.insert(form.into(), 0);
    }
    let token = emu.add_user(pid, "noexport", rights).unwrap();
    let n = redcap_client::Client::new(emu.url(), &token).unwrap();
    let error = n.export_report().report_id(1).send().await.unwrap_err();
    assert_eq!(
        (error.status(), error.api_message()),
        (
            Some(403),
            Some(
                "The API request cannot complete because currently you have \"No Access\" data export rights. Higher level data export rights are required for this operation."
            )
        )
    );
    // The typed client reads the rows.
    let rows = c.export_report().report_id(2).send().await.unwrap();
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1].get("race"), Some("3,5"));
}

const DOCTEST: &str = "PyCap/tests/data/doctest_project.xml";

/// The `content` of a method this file calls without the typed client.
fn content_of(method: &str) -> &'static str {
    match method {
        "export_survey_link" => "surveyLink",
        "export_survey_access_code" => "surveyAccessCode",
        "export_survey_return_code" => "surveyReturnCode",
        "export_survey_queue_link" => "surveyQueueLink",
        "export_survey_participant_list" => "participantList",
        "randomize_record" => "record",
        other => panic!("no content for {other}"),
    }
}

/// A POST to `at` = (url, token) (missing parameters included, which
/// the typed client refuses to send): (status, body), the message alone
/// for a JSON error.
async fn call(at: &(String, String), method: &str, params: &[(&str, &str)]) -> (u16, String) {
    let mut form = vec![
        ("token", at.1.as_str()),
        ("content", content_of(method)),
        ("returnFormat", "json"),
    ];
    if method == "randomize_record" {
        form.push(("action", "randomize"));
    }
    form.extend_from_slice(params);
    let (status, _, body) = post(&at.0, &form).await;
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned));
    (status, message.unwrap_or(body))
}

#[tokio::test]
async fn survey_links_and_codes() {
    let emu = start(&[("doctest", DOCTEST)]).await;
    let c = client(&emu, "doctest");
    let tc = (
        emu.url().to_owned(),
        emu.token("doctest").unwrap().to_owned(),
    );
    let base = emu.url().trim_end_matches("api/").to_owned();
    let args = [
        ("record", "1"),
        ("instrument", "form_1"),
        ("event", "event_1_arm_1"),
    ];
    let (status, link) = call(&tc, "export_survey_link", &args).await;
    assert_eq!(status, 200);
    let hash = link
        .strip_prefix(&format!("{base}surveys/?s="))
        .unwrap_or_else(|| panic!("{link}"));
    assert_eq!(hash.len(), 10);
    assert!(
        hash.chars()
            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
    );
    // Stable, and distinct per record and per instance of the repeating event.
    assert_eq!(call(&tc, "export_survey_link", &args).await.1, link);
    let other = call(
        &tc,
        "export_survey_link",
        &[
            ("record", "2"),
            ("instrument", "form_1"),
            ("event", "event_1_arm_1"),
        ],
    )
    .await
    .1;
    assert_ne!(other, link);
    let second = call(
        &tc,
        "export_survey_link",
        &[
            ("record", "1"),
            ("instrument", "form_1"),
            ("event", "event_1_arm_1"),
            ("repeat_instance", "2"),
        ],
    )
    .await
    .1;
    assert_ne!(second, link);
    // Access code (9 characters) and return code (8; Save & Return is on).
    let (status, access) = call(&tc, "export_survey_access_code", &args).await;
    assert_eq!((status, access.len()), (200, 9));
    let (status, ret) = call(&tc, "export_survey_return_code", &args).await;
    assert_eq!((status, ret.len()), (200, 8));
    // The queue is active in the project XML.
    let (status, queue) = call(&tc, "export_survey_queue_link", &[("record", "1")]).await;
    assert_eq!(status, 200);
    assert!(queue.starts_with(&format!("{base}surveys/?sq=")), "{queue}");
    // The typed client reads the bare text.
    let typed = c
        .export_survey_link()
        .record("1")
        .instrument("form_1")
        .event("event_1_arm_1")
        .send()
        .await
        .unwrap();
    assert_eq!(typed.as_str(), link);
    // Each download is logged as Manage/Design.
    let got = rows(&log(&c, &[("logtype", "manage")]).await);
    let details: Vec<&str> = got.iter().map(|r| r["details"].as_str().unwrap()).collect();
    assert_eq!(
        &details[..5],
        [
            "Download survey link (API)",
            "Download survey queue link (API)",
            "Download survey return code (API)",
            "Download survey access code (API)",
            "Download survey link (API)",
        ]
    );
}

#[tokio::test]
async fn survey_errors_in_redcap_order() {
    let emu = start(&[("doctest", DOCTEST), ("simple", SIMPLE)]).await;
    let tc = (
        emu.url().to_owned(),
        emu.token("doctest").unwrap().to_owned(),
    );
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("instrument", "form_1")],
            "The parameter 'record' is missing",
        ),
        (
            &[("record", "99"), ("instrument", "form_1")],
            "The record \"99\" does not exist",
        ),
        (&[("record", "1")], "The parameter 'instrument' is missing"),
        (
            &[("record", "1"), ("instrument", "nope")],
            "Invalid instrument",
        ),
        (
            &[("record", "1"), ("instrument", "form_1")],
            "The parameter 'event' is missing",
        ),
        (
            &[("record", "1"), ("instrument", "form_1"), ("event", "nope")],
            "Invalid event",
        ),
        (
            &[
                ("record", "1"),
                ("instrument", "form_1"),
                ("event", "event_2_arm_1"),
            ],
            "The instrument \"form_1\" has not been designated for the event \"event_2_arm_1\"",
        ),
    ];
    for method in [
        "export_survey_link",
        "export_survey_access_code",
        "export_survey_return_code",
    ] {
        for (args, message) in cases {
            assert_eq!(
                call(&tc, method, args).await,
                (400, (*message).to_owned()),
                "{method} {args:?}"
            );
        }
    }
    assert_eq!(
        call(&tc, "export_survey_queue_link", &[]).await,
        (400, "The parameter 'record' is missing".to_owned())
    );
    assert_eq!(
        call(&tc, "export_survey_queue_link", &[("record", "x")]).await,
        (400, "The record \"x\" does not exist".to_owned())
    );
    // A project without surveys.
    let ts = (
        emu.url().to_owned(),
        emu.token("simple").unwrap().to_owned(),
    );
    let args = [("record", "1"), ("instrument", "demographics")];
    assert_eq!(
        call(&ts, "export_survey_link", &args).await,
        (
            400,
            "The instrument 'demographics' has not been enabled as a survey".to_owned()
        )
    );
    assert_eq!(
        call(&ts, "export_survey_return_code", &args).await,
        (
            400,
            "The instrument \"demographics\" has not been enabled as a survey".to_owned()
        )
    );
    assert_eq!(
        call(
            &ts,
            "export_survey_participant_list",
            &[("instrument", "demographics")]
        )
        .await,
        (
            400,
            "The instrument 'demographics' has not been enabled as a survey".to_owned()
        )
    );
    assert_eq!(
        call(&ts, "export_survey_queue_link", &[("record", "1")]).await,
        (400, "The Survey Queue has not been enabled in this project. You will need to enable the Survey Queue before using this method.".to_owned())
    );
    // The participant list: instrument, then event (no designation check).
    assert_eq!(
        call(&tc, "export_survey_participant_list", &[]).await,
        (400, "The parameter 'instrument' is missing".to_owned())
    );
    assert_eq!(
        call(
            &tc,
            "export_survey_participant_list",
            &[("instrument", "form_1")]
        )
        .await,
        (400, "The parameter 'event' is missing".to_owned())
    );
    assert_eq!(
        call(
            &tc,
            "export_survey_participant_list",
            &[("instrument", "form_1"), ("event", "x")]
        )
        .await,
        (400, "Invalid event".to_owned())
    );
    // Without the Survey Distribution Tools right: 403 before anything else.
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    rights.manage_survey_participants = false;
    let token = emu.add_user(pid, "noparts", rights).unwrap();
    let tn = (emu.url().to_owned(), token);
    let forbidden = "The API request cannot complete because currently you do not have \"Manage Survey Participants\" privileges, which are required for this operation.".to_owned();
    for method in [
        "export_survey_link",
        "export_survey_access_code",
        "export_survey_return_code",
        "export_survey_queue_link",
        "export_survey_participant_list",
    ] {
        assert_eq!(
            call(&tn, method, &[]).await,
            (403, forbidden.clone()),
            "{method}"
        );
    }
}

#[tokio::test]
async fn survey_participant_list_columns() {
    let emu = start(&[("doctest", DOCTEST)]).await;
    let tc = (
        emu.url().to_owned(),
        emu.token("doctest").unwrap().to_owned(),
    );
    let args = [
        ("instrument", "form_1"),
        ("event", "event_1_arm_1"),
        ("format", "json"),
    ];
    let (status, body) = call(&tc, "export_survey_participant_list", &args).await;
    assert_eq!(status, 200);
    let list = rows_of(&body);
    assert_eq!(list.len(), 3);
    let keys: Vec<&String> = list[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "email",
            "email_occurrence",
            "identifier",
            "record",
            "repeat_instance",
            "invitation_sent_status",
            "invitation_send_time",
            "response_status",
            "survey_access_code",
            "survey_link",
            "survey_queue_link"
        ]
    );
    assert_eq!(list[1]["record"], "2");
    assert_eq!(list[1]["email_occurrence"], 2);
    assert_eq!(list[1]["response_status"], 0);
    // The same link and code as the per-record methods.
    let link = call(
        &tc,
        "export_survey_link",
        &[
            ("record", "2"),
            ("instrument", "form_1"),
            ("event", "event_1_arm_1"),
        ],
    )
    .await
    .1;
    assert_eq!(list[1]["survey_link"], link.as_str());
    let code = call(
        &tc,
        "export_survey_access_code",
        &[
            ("record", "2"),
            ("instrument", "form_1"),
            ("event", "event_1_arm_1"),
        ],
    )
    .await
    .1;
    assert_eq!(list[1]["survey_access_code"], code.as_str());
    let csv = call(
        &tc,
        "export_survey_participant_list",
        &[
            ("instrument", "form_1"),
            ("event", "event_1_arm_1"),
            ("format", "csv"),
        ],
    )
    .await
    .1;
    assert!(csv.starts_with("email,email_occurrence,identifier,record,repeat_instance,invitation_sent_status,invitation_send_time,response_status,survey_access_code,survey_link,survey_queue_link\n,1,,1,1,0,,0,"), "{csv}");
    // A DAG user sees only their DAG's records (record 1 is in test_dag).
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    rights.group = Some("test_dag".into());
    let token = emu.add_user(pid, "dag", rights).unwrap();
    let td = (emu.url().to_owned(), token);
    let list = rows_of(&call(&td, "export_survey_participant_list", &args).await.1);
    let records: Vec<&str> = list.iter().map(|r| r["record"].as_str().unwrap()).collect();
    assert_eq!(records, ["1"]);
}

fn allocation(target: &str, alt: &str, strata: &[(&str, &str)]) -> redcap_emulator::Allocation {
    let mut a = redcap_emulator::Allocation::default();
    a.target = target.into();
    a.alt = alt.into();
    a.strata = strata
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    a
}

fn stratum(field: &str) -> redcap_emulator::Stratum {
    let mut s = redcap_emulator::Stratum::default();
    s.field = field.into();
    s
}

async fn randomizing_emulator() -> redcap_emulator::Emulator {
    let mut by_sex = redcap_emulator::Randomization::default();
    by_sex.randomization_id = 7;
    by_sex.target_field = "interpreter_needed".into();
    by_sex.strata = vec![stratum("sex")];
    by_sex.allocations = vec![
        allocation("1", "R-001", &[("sex", "0")]),
        allocation("0", "R-002", &[("sex", "1")]),
        allocation("0", "R-003", &[("sex", "0")]),
    ];
    let mut by_dag = redcap_emulator::Randomization::default();
    by_dag.randomization_id = 8;
    by_dag.target_field = "comments".into();
    by_dag.strata = vec![stratum("redcap_data_access_group")];
    by_dag.blinded = true;
    by_dag.allocations = vec![allocation(
        "A",
        "X-1",
        &[("redcap_data_access_group", "dag_1")],
    )];
    let config = redcap_emulator::Config::default()
        .project("simple", fixture(SIMPLE))
        .randomization("simple", by_sex)
        .randomization("simple", by_dag);
    redcap_emulator::Emulator::start(config).await.unwrap()
}

#[tokio::test]
async fn randomize_allocates_in_order_within_strata() {
    let emu = randomizing_emulator().await;
    let c = client(&emu, "simple");
    let t = (
        emu.url().to_owned(),
        emu.token("simple").unwrap().to_owned(),
    );
    import(
        &c,
        r#"[{"record_id":"10","sex":"0"},{"record_id":"11","name_first":"N"},{"record_id":"12","sex":"1"},{"record_id":"13","sex":"1"}]"#,
    )
    .await;
    let args = |record: &'static str, format: &'static str| {
        vec![
            ("record", record),
            ("randomization_id", "7"),
            ("format", format),
        ]
    };
    let mut a = args("10", "json");
    a.push(("returnAlt", "true"));
    assert_eq!(
        call(&t, "randomize_record", &a).await,
        (
            200,
            r#"{"randomization_id":7,"record":"10","target_field":"1","target_field_name":"interpreter_needed","target_field_alt":"R-001"}"#.to_owned()
        )
    );
    let rows = c.export_records().records(["10"]).send().await.unwrap();
    assert_eq!(rows[0].get("interpreter_needed"), Some("1"));
    assert_eq!(
        call(&t, "randomize_record", &args("10", "json")).await,
        (
            200,
            "Cannot randomize. Randomization already completed for record.".to_owned()
        )
    );
    assert_eq!(
        call(&t, "randomize_record", &args("11", "json")).await,
        (
            200,
            "Cannot randomize. Missing stratification data for fields: sex".to_owned()
        )
    );
    assert_eq!(
        call(&t, "randomize_record", &args("12", "csv")).await,
        (
            200,
            "randomization_id,record,target_field,target_field_name\n7,12,0,interpreter_needed\n"
                .to_owned()
        )
    );
    assert_eq!(
        call(&t, "randomize_record", &args("13", "xml")).await,
        (
            200,
            "Cannot randomize. No allocations available.".to_owned()
        )
    );
    assert_eq!(
        call(&t, "randomize_record", &args("99", "json")).await,
        (200, "Cannot randomize. Record does not exist.".to_owned())
    );
    for rid in ["1", "x", ""] {
        assert_eq!(
            call(
                &t,
                "randomize_record",
                &[("record", "13"), ("randomization_id", rid)]
            )
            .await,
            (200, "Invalid data supplied".to_owned())
        );
    }
    // The log names the record.
    let got = rows_of(&log(&c, &[("record", "12")]).await);
    assert_eq!(got[0]["action"], "Randomization 12");
    assert_eq!(got[0]["details"], "Randomize record (API)");
    // The typed client reads the answer.
    import(&c, r#"[{"record_id":"14","sex":"0"}]"#).await;
    let typed = c
        .randomize_record()
        .record("14")
        .randomization_id(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            typed.record.as_str(),
            typed.randomization_id.as_str(),
            typed.target_field.as_str()
        ),
        ("14", "7", "0")
    );
}

#[tokio::test]
async fn randomize_by_dag_blinded_and_its_rights() {
    let emu = randomizing_emulator().await;
    let t = (
        emu.url().to_owned(),
        emu.token("simple").unwrap().to_owned(),
    );
    let args = |record: &'static str| {
        vec![
            ("record", record),
            ("randomization_id", "8"),
            ("format", "xml"),
            ("returnAlt", "1"),
        ]
    };
    assert_eq!(
        call(&t, "randomize_record", &args("4")).await,
        (
            200,
            "Cannot randomize. Record not assigned to a DAG".to_owned()
        )
    );
    assert_eq!(
        call(&t, "randomize_record", &args("1")).await,
        (
            200,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n<randomization_id><![CDATA[8]]></randomization_id><record><![CDATA[1]]></record><target_field><![CDATA[A]]></target_field><target_field_name><![CDATA[comments]]></target_field_name><target_field_alt><![CDATA[*]]></target_field_alt>\n</items>\n".to_owned()
        )
    );
    // Without the Randomize right: the gate's 403. API import/export are
    // not needed.
    let pid = emu.projects()[0].project_id;
    let mut rights = UserRights::full();
    rights.random_perform = false;
    let token = emu.add_user(pid, "norand", rights).unwrap();
    assert_eq!(
        call(
            &(emu.url().to_owned(), token),
            "randomize_record",
            &args("2")
        )
        .await,
        (403, "You do not have Randomize privileges".to_owned())
    );
    let mut rights = UserRights::full();
    rights.api_export = false;
    rights.api_import = false;
    let token = emu.add_user(pid, "randonly", rights).unwrap();
    assert_eq!(
        call(
            &(emu.url().to_owned(), token),
            "randomize_record",
            &args("2")
        )
        .await,
        (
            200,
            "Cannot randomize. No allocations available.".to_owned()
        )
    );
}

#[tokio::test]
async fn logging_names_the_event_in_longitudinal_projects() {
    let emu = start(&[("long", PYCAP_LONG), ("doctest", DOCTEST)]).await;
    let c = client(&emu, "long");
    import(
        &c,
        r#"[{"study_id":"99","redcap_event_name":"enrollment_arm_1","address":"Here"}]"#,
    )
    .await;
    let got = rows(&log(&c, &[("record", "99")]).await);
    assert_eq!(
        got,
        vec![row(
            "site_admin",
            "Create record (API) 99 (Enrollment (Arm 1: Drug A))",
            "study_id = '99', address = 'Here', demographics_complete = '0'",
            "99"
        )]
    );
    // One arm: the event name alone; an instance of a repeating event is
    // named in the details.
    let d = client(&emu, "doctest");
    import(
        &d,
        r#"[{"record_id":"1","redcap_event_name":"event_1_arm_1","redcap_repeat_instrument":"","redcap_repeat_instance":"2","field_1":"0"}]"#,
    )
    .await;
    let got = rows(&log(&d, &[("record", "1")]).await);
    assert_eq!(got[0]["action"], "Update record (API) 1 (Event 1)");
    assert!(
        got[0]["details"]
            .as_str()
            .unwrap()
            .starts_with("[instance = 2], record_id = '1', field_1 = '0'"),
        "{got:?}"
    );
}

#[tokio::test]
async fn deleting_a_record_keeps_its_log_whatever_delete_logging_says() {
    // REDCap deletes a record's log only when an administrator allowed it
    // for the project ("Delete a record's logging activity when deleting
    // the record?"), which the emulator does not model: the log stays.
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    raw(
        &c,
        "delete_records",
        &[("records[0]", "3"), ("delete_logging", "1")],
    )
    .await
    .unwrap();
    let got = rows(&log(&c, &[("record", "3")]).await);
    let actions: Vec<&str> = got.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "Delete record (API) 3",
            "Update record (API) 3",
            "Create record (API) 3"
        ]
    );
}

#[tokio::test]
async fn logging_design_changes() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let dictionary = raw(&c, "export_metadata", &[("format", "csv")])
        .await
        .unwrap();
    raw(
        &c,
        "import_metadata",
        &[("format", "csv"), ("data", &dictionary)],
    )
    .await
    .unwrap();
    raw(&c, "export_field_names", &[("format", "json")])
        .await
        .unwrap();
    let got = rows(&log(&c, &[("logtype", "manage")]).await);
    let details: Vec<&str> = got.iter().map(|r| r["details"].as_str().unwrap()).collect();
    assert_eq!(
        details,
        [
            "Download export field names (API)",
            "Upload data dictionary (API)"
        ]
    );
    assert!(
        got.iter()
            .all(|r| r["action"] == "Manage/Design " && r["record"] == "")
    );
}

#[tokio::test]
async fn reports_and_randomization_files_on_the_command_line() {
    let dir = std::env::temp_dir().join(format!("redcap-emulator-activity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reports = dir.join("reports.json");
    std::fs::write(
        &reports,
        r#"{"simple": [{"title": "Names", "fields": ["record_id", "name_last"], "order_by": [["name_last", "ASC"]]}]}"#,
    )
    .unwrap();
    let randomization = dir.join("randomization.json");
    std::fs::write(
        &randomization,
        r#"{"simple": [{"randomization_id": 5, "target_field": "interpreter_needed",
            "allocations": [{"target": "1", "alt": "A-1"}]}]}"#,
    )
    .unwrap();
    let args = redcap_emulator::cli::ServeArgs {
        port: 0,
        projects: vec![format!("simple={}", fixture(SIMPLE).display())],
        data_dir: None,
        super_token: None,
        super_user: None,
        reports: Some(reports.clone()),
        randomization: Some(randomization),
        faults: None,
        idle_timeout: None,
        header_timeout: None,
        tls: false,
        tls_cert: None,
    };
    let emu = redcap_emulator::Emulator::start(args.config().unwrap())
        .await
        .unwrap();
    let c = client(&emu, "simple");
    let csv = raw(
        &c,
        "export_report",
        &[("report_id", "3"), ("format", "csv")],
    )
    .await
    .unwrap();
    assert_eq!(
        csv,
        "record_id,name_last\n4,DAG\n1,Nutmouse\n2,Nutmouse\n5,Walker\n3,Wood\n"
    );
    let t = (
        emu.url().to_owned(),
        emu.token("simple").unwrap().to_owned(),
    );
    assert_eq!(
        call(&t, "randomize_record", &[("record", "4"), ("randomization_id", "5"), ("format", "json")]).await,
        (
            200,
            r#"{"randomization_id":5,"record":"4","target_field":"1","target_field_name":"interpreter_needed"}"#.to_owned()
        )
    );
    // A file that is not the expected JSON is refused at start.
    std::fs::write(&reports, "[1, 2]").unwrap();
    let args = redcap_emulator::cli::ServeArgs {
        randomization: None,
        ..args
    };
    let error = args.config().unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: ", reports.display())),
        "{error}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
