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
                "simple_admin",
                "Update record (API) 10",
                "name_first = 'B', race(3) = checked, race(2) = unchecked",
                "10"
            ),
            row(
                "simple_admin",
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
            "simple_admin",
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
            "simple_admin",
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
            "simple_admin",
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
            ",simple_admin,\"Create record (API) 10\",\"record_id = '10', age = '40', demographics_complete = '0'\",10"
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
            "simple_admin",
            "Manage/Design ",
            "Import project information (API)",
            ""
        )]
    );
    let got = rows(&log(&c, &[("logtype", "export")]).await);
    assert_eq!(
        got,
        vec![row(
            "simple_admin",
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
