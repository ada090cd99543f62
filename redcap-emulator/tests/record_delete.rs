//! `delete_records` with `arm`, `event`, `instrument` and
//! `repeat_instance`, pinned from REDCap 15.7.6: `API/record/delete.php`
//! checks every record exists, calls `REDCap::deleteRecord` for each
//! (`Classes/REDCap.php`), collects `record: reason` for those that fail and
//! then answers 400 with `api_176` and nothing deleted. `deleteRecord`
//! reads `repeat_instance` as 1 when blank (`api_182` when not numeric),
//! refuses an unknown event (`api_179`), an unknown instrument with an
//! event (`api_180`) and an instrument without its event in a longitudinal
//! project (`api_181`); `Records::deleteForm` removes one instrument's
//! fields (never the record ID) in one event and instance and counts only
//! when it removed something; `Records::deleteEventInstanceByProject`
//! removes an event (or one instance of a repeating event) and keeps the
//! record ID when the record has nothing elsewhere.

mod support;

use redcap_emulator::Emulator;
use serde_json::Value;
use support::{PYCAP_LONG, post, start};

/// PyCap's doctest project: one form in a repeating event.
const DOCTEST: &str = "PyCap/tests/data/doctest_project.xml";

/// `api_176`, the start of every per-record failure.
const NOT_DELETED: &str = "One or more of the records provided are either do not exist in this project or not valid with selected params. Note: No records were deleted. Records that do not exist:";

async fn call(emu: &Emulator, project: &str, form: &[(&str, &str)]) -> (u16, String) {
    let token = emu.token(project).unwrap();
    let mut all = vec![("token", token)];
    all.extend_from_slice(form);
    let (status, _, body) = post(emu.url(), &all).await;
    (status, body)
}

async fn import(emu: &Emulator, project: &str, json: &str) {
    let (status, body) = call(
        emu,
        project,
        &[("content", "record"), ("format", "json"), ("data", json)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn delete(emu: &Emulator, project: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let mut form = vec![
        ("content", "record"),
        ("action", "delete"),
        ("format", "json"),
    ];
    form.extend_from_slice(extra);
    call(emu, project, &form).await
}

/// The record's export rows, each as `event/instrument/instance` → row;
/// the status of a form without data is blank, so a deleted one shows.
async fn rows(emu: &Emulator, project: &str, record: &str) -> Vec<(String, Value)> {
    let (status, body) = call(
        emu,
        project,
        &[
            ("content", "record"),
            ("format", "json"),
            ("records[0]", record),
            ("exportBlankForGrayFormStatus", "true"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    rows.into_iter()
        .map(|r| {
            let text = |k: &str| {
                r.get(k)
                    .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
            };
            let key = format!(
                "{}/{}/{}",
                text("redcap_event_name").unwrap_or_default(),
                text("redcap_repeat_instrument").unwrap_or_default(),
                text("redcap_repeat_instance").unwrap_or_default()
            );
            (key, r)
        })
        .collect()
}

fn row<'r>(rows: &'r [(String, Value)], key: &str) -> Option<&'r Value> {
    rows.iter().find(|(k, _)| k == key).map(|(_, r)| r)
}

/// A record of PyCap's longitudinal project in arm 1: enrollment with
/// demographics, contact info and three instances of the repeating
/// baseline form, and two forms in visit 1.
const LONG_RECORD: &str = r#"[
 {"study_id":"r1","redcap_event_name":"enrollment_arm_1","first_name":"Ann","demographics_complete":"2","dialysis_schedule_days":"Mon","contact_info_complete":"1"},
 {"study_id":"r1","redcap_event_name":"enrollment_arm_1","redcap_repeat_instrument":"baseline_data","redcap_repeat_instance":"1","height2":"150"},
 {"study_id":"r1","redcap_event_name":"enrollment_arm_1","redcap_repeat_instrument":"baseline_data","redcap_repeat_instance":"2","height2":"151"},
 {"study_id":"r1","redcap_event_name":"enrollment_arm_1","redcap_repeat_instrument":"baseline_data","redcap_repeat_instance":"3","height2":"152"},
 {"study_id":"r1","redcap_event_name":"visit_1_arm_1","vld1":"7","pmq1":"1"}
]"#;

#[tokio::test]
async fn an_instrument_of_a_longitudinal_project_needs_its_event() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    import(&emu, "long", LONG_RECORD).await;
    import(
        &emu,
        "long",
        r#"[{"study_id":"r2","redcap_event_name":"visit_1_arm_1","vld1":"8"}]"#,
    )
    .await;
    let before = rows(&emu, "long", "r1").await;
    assert_eq!(
        delete(
            &emu,
            "long",
            &[
                ("records[0]", "r1"),
                ("records[1]", "r2"),
                ("instrument", "visit_lab_data")
            ]
        )
        .await,
        (
            400,
            format!(
                r#"{{"error":"{NOT_DELETED} r1: Event is mandatory for longitudinal project., r2: Event is mandatory for longitudinal project."}}"#
            )
        )
    );
    assert_eq!(rows(&emu, "long", "r1").await, before);
    assert_eq!(rows(&emu, "long", "r2").await.len(), 1);
}

#[tokio::test]
async fn bad_events_instruments_and_instances_fail_per_record() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    import(&emu, "long", LONG_RECORD).await;
    let before = rows(&emu, "long", "r1").await;
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("event", "nope_arm_1")], "Invalid Unique Event Name."),
        (
            &[("event", "nope_arm_1"), ("instrument", "visit_lab_data")],
            "Invalid Unique Event Name.",
        ),
        (
            &[("event", "visit_1_arm_1"), ("instrument", "nope")],
            "Invalid instrument.",
        ),
        (
            &[("event", "visit_1_arm_1"), ("repeat_instance", "two")],
            "Repeating instance should be numeric.",
        ),
    ];
    for (params, reason) in cases {
        let mut form = vec![("records[0]", "r1")];
        form.extend_from_slice(params);
        let (status, body) = delete(&emu, "long", &form).await;
        assert_eq!(status, 400, "{params:?}");
        assert_eq!(
            body,
            format!(r#"{{"error":"{NOT_DELETED} r1: {reason}"}}"#),
            "{params:?}"
        );
    }
    assert_eq!(rows(&emu, "long", "r1").await, before);
}

#[tokio::test]
async fn an_instrument_in_an_event_removes_exactly_its_fields() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    import(&emu, "long", LONG_RECORD).await;
    let delete_form = |event: &'static str, form: &'static str, instance: Option<&'static str>| {
        let emu = &emu;
        async move {
            let mut params = vec![("records[0]", "r1"), ("event", event), ("instrument", form)];
            if let Some(i) = instance {
                params.push(("repeat_instance", i));
            }
            delete(emu, "long", &params).await
        }
    };
    // One form of visit 1: the other form of the event stays.
    assert_eq!(
        delete_form("visit_1_arm_1", "visit_lab_data", None).await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    let visit = row(&now, "visit_1_arm_1//").unwrap();
    assert_eq!(visit["vld1"], "");
    assert_eq!(visit["visit_lab_data_complete"], "");
    assert_eq!(visit["pmq1"], "1");
    // Nothing left of that form: not counted.
    assert_eq!(
        delete_form("visit_1_arm_1", "visit_lab_data", None).await,
        (200, "0".to_owned())
    );
    // The first form holds the record ID, which is never deleted with it.
    assert_eq!(
        delete_form("enrollment_arm_1", "demographics", None).await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    let enrollment = row(&now, "enrollment_arm_1//").unwrap();
    assert_eq!(enrollment["study_id"], "r1");
    assert_eq!(enrollment["first_name"], "");
    assert_eq!(enrollment["demographics_complete"], "");
    assert_eq!(enrollment["dialysis_schedule_days"], "Mon");
    // A repeating instrument: instance 1 when none is given, then the one
    // asked for; the others stay.
    assert_eq!(
        delete_form("enrollment_arm_1", "baseline_data", None).await,
        (200, "1".to_owned())
    );
    assert_eq!(
        delete_form("enrollment_arm_1", "baseline_data", Some("3")).await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    assert!(
        row(&now, "enrollment_arm_1/baseline_data/1").is_none(),
        "{now:?}"
    );
    assert!(
        row(&now, "enrollment_arm_1/baseline_data/3").is_none(),
        "{now:?}"
    );
    assert_eq!(
        row(&now, "enrollment_arm_1/baseline_data/2").unwrap()["height2"],
        "151"
    );
    // The last form with data in visit 1 goes: the record has data
    // elsewhere, so the event's record ID goes with it and the row is gone.
    assert_eq!(
        delete_form("visit_1_arm_1", "patient_morale_questionnaire", None).await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    assert!(row(&now, "visit_1_arm_1//").is_none(), "{now:?}");
    assert!(row(&now, "enrollment_arm_1//").is_some(), "{now:?}");
}

#[tokio::test]
async fn an_event_goes_whole_but_the_record_stays() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    import(&emu, "long", LONG_RECORD).await;
    let delete_event = |record: &'static str, event: &'static str| {
        let emu = &emu;
        async move { delete(emu, "long", &[("records[0]", record), ("event", event)]).await }
    };
    // Every instance of the repeating instrument in the event goes too.
    assert_eq!(
        delete_event("r1", "enrollment_arm_1").await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    let keys: Vec<&str> = now.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["visit_1_arm_1//"]);
    // An event with nothing in it still counts: REDCap logs the deletion.
    assert_eq!(
        delete_event("r1", "visit_2_arm_1").await,
        (200, "1".to_owned())
    );
    // The record's only event: its ID stays, so the record still exists.
    assert_eq!(
        delete_event("r1", "visit_1_arm_1").await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert_eq!(now[0].1["study_id"], "r1");
    assert_eq!(now[0].1["vld1"], "");
    assert_eq!(
        delete(&emu, "long", &[("records[0]", "r1")]).await,
        (200, "1".to_owned())
    );
    assert!(rows(&emu, "long", "r1").await.is_empty());
}

#[tokio::test]
async fn arms_of_a_multi_arm_project() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    import(&emu, "long", LONG_RECORD).await;
    import(
        &emu,
        "long",
        r#"[{"study_id":"r1","redcap_event_name":"enrollment_arm_2","first_name":"Ann"}]"#,
    )
    .await;
    import(
        &emu,
        "long",
        r#"[{"study_id":"r3","redcap_event_name":"enrollment_arm_1","first_name":"Cy"}]"#,
    )
    .await;
    assert_eq!(
        delete(&emu, "long", &[("records[0]", "r1"), ("arm", "3")]).await,
        (
            400,
            r#"{"error":"The arm provided is not correct for the project."}"#.to_owned()
        )
    );
    // A record not in the arm fails, even for an event slice.
    assert_eq!(
        delete(
            &emu,
            "long",
            &[
                ("records[0]", "r3"),
                ("arm", "2"),
                ("event", "enrollment_arm_1")
            ]
        )
        .await,
        (
            400,
            format!(r#"{{"error":"{NOT_DELETED} r3: Record does not exists."}}"#)
        )
    );
    // The record in one arm only: the other arm keeps it.
    assert_eq!(
        delete(&emu, "long", &[("records[0]", "r1"), ("arm", "1")]).await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "long", "r1").await;
    let keys: Vec<&str> = now.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["enrollment_arm_2//"]);
}

#[tokio::test]
async fn one_instance_of_a_repeating_event() {
    let emu = start(&[("doctest", DOCTEST)]).await;
    import(
        &emu,
        "doctest",
        r#"[
 {"record_id":"9","redcap_event_name":"event_1_arm_1","redcap_repeat_instance":"1","field_1":"1"},
 {"record_id":"9","redcap_event_name":"event_1_arm_1","redcap_repeat_instance":"2","field_1":"0"},
 {"record_id":"9","redcap_event_name":"event_1_arm_1","redcap_repeat_instance":"3","field_1":"1"},
 {"record_id":"9","redcap_event_name":"event_1_arm_1","redcap_repeat_instance":"4","field_1":"0"}
]"#,
    )
    .await;
    let delete_event = |instance: Option<&'static str>| {
        let emu = &emu;
        async move {
            let mut params = vec![("records[0]", "9"), ("event", "event_1_arm_1")];
            if let Some(i) = instance {
                params.push(("repeat_instance", i));
            }
            delete(emu, "doctest", &params).await
        }
    };
    assert_eq!(delete_event(Some("2")).await, (200, "1".to_owned()));
    assert_eq!(delete_event(None).await, (200, "1".to_owned()));
    let now = rows(&emu, "doctest", "9").await;
    let keys: Vec<&str> = now.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["event_1_arm_1//3", "event_1_arm_1//4"], "{now:?}");
    // The form in one instance of the repeating event: another instance
    // has data, so the instance's record ID goes too.
    assert_eq!(
        delete(
            &emu,
            "doctest",
            &[
                ("records[0]", "9"),
                ("event", "event_1_arm_1"),
                ("instrument", "form_1"),
                ("repeat_instance", "3")
            ]
        )
        .await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "doctest", "9").await;
    let keys: Vec<&str> = now.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["event_1_arm_1//4"], "{now:?}");
}

#[tokio::test]
async fn instruments_of_classic_projects() {
    let emu = start(&[
        ("repeating", support::REPEATING),
        ("simple", support::SIMPLE),
    ])
    .await;
    // A classic project needs no event; a repeating instrument loses
    // instance 1 unless another is named.
    let before = rows(&emu, "repeating", "1").await;
    assert!(row(&before, "/blood_pressure/1").is_some(), "{before:?}");
    assert!(row(&before, "/blood_pressure/2").is_some(), "{before:?}");
    assert_eq!(
        delete(
            &emu,
            "repeating",
            &[("records[0]", "1"), ("instrument", "blood_pressure")]
        )
        .await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "repeating", "1").await;
    assert!(row(&now, "/blood_pressure/1").is_none(), "{now:?}");
    assert_eq!(
        row(&now, "/blood_pressure/2"),
        row(&before, "/blood_pressure/2")
    );
    // An instrument the project does not have deletes nothing and is no
    // error without an event.
    assert_eq!(
        delete(
            &emu,
            "repeating",
            &[("records[0]", "1"), ("instrument", "nope")]
        )
        .await,
        (200, "0".to_owned())
    );
    // Nothing repeats in the simple project: the instance is not looked at.
    assert_eq!(
        delete(
            &emu,
            "simple",
            &[
                ("records[0]", "1"),
                ("instrument", "health"),
                ("repeat_instance", "2")
            ]
        )
        .await,
        (200, "1".to_owned())
    );
    let now = rows(&emu, "simple", "1").await;
    assert_eq!(now[0].1["height"], "");
    assert_ne!(now[0].1["name_first"], "");
}

/// The project log rows of a record, newest first, as `action` and
/// `details`.
async fn log_rows(emu: &Emulator, project: &str, record: &str) -> Vec<(String, String)> {
    let (status, body) = call(
        emu,
        project,
        &[("content", "log"), ("format", "json"), ("record", record)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Vec<Value>>(&body)
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["details"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `Records::deleteForm` and `deleteEventInstanceByProject` each log one
/// update of their event and instance listing the erased fields (a
/// checkbox as every choice unchecked, never the record ID); an event is
/// logged even when it held nothing.
#[tokio::test]
async fn slices_are_logged_as_redcap_logs_them() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    import(
        &emu,
        "long",
        r#"[{"study_id":"r1","redcap_event_name":"enrollment_arm_1","first_name":"Ann","gym___1":"1","demographics_complete":"2"},
 {"study_id":"r1","redcap_event_name":"enrollment_arm_1","redcap_repeat_instrument":"baseline_data","redcap_repeat_instance":"2","height2":"151"},
 {"study_id":"r1","redcap_event_name":"visit_1_arm_1","vld1":"7"}]"#,
    )
    .await;
    let delete_with = |params: &'static [(&'static str, &'static str)]| {
        let emu = &emu;
        async move {
            let mut form = vec![("records[0]", "r1")];
            form.extend_from_slice(params);
            assert_eq!(delete(emu, "long", &form).await, (200, "1".to_owned()));
        }
    };
    delete_with(&[
        ("event", "enrollment_arm_1"),
        ("instrument", "demographics"),
    ])
    .await;
    delete_with(&[
        ("event", "enrollment_arm_1"),
        ("instrument", "baseline_data"),
        ("repeat_instance", "2"),
    ])
    .await;
    delete_with(&[("event", "visit_2_arm_1")]).await;
    let got = log_rows(&emu, "long", "r1").await;
    let gym = (0..5)
        .map(|c| format!("gym({c}) = unchecked"))
        .collect::<Vec<_>>()
        .join(", ");
    assert_eq!(
        got[..3],
        [
            (
                "Update record r1 (Visit 2 (Arm 1: Drug A))".to_owned(),
                String::new()
            ),
            (
                "Update record r1 (Enrollment (Arm 1: Drug A))".to_owned(),
                "[instance = 2], height2 = '', baseline_data_complete = ''".to_owned()
            ),
            (
                "Update record r1 (Enrollment (Arm 1: Drug A))".to_owned(),
                format!("first_name = '', {gym}, demographics_complete = ''")
            ),
        ],
        "{got:#?}"
    );
}

/// The `Delete record` rows of the project log, as `export_logging`
/// shows them (newest first).
async fn delete_rows(emu: &Emulator, project: &str) -> Vec<String> {
    let (status, body) = call(emu, project, &[("content", "log"), ("format", "json")]).await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    rows.iter()
        .filter_map(|r| r["action"].as_str())
        .filter(|a| a.starts_with("Delete record"))
        .map(str::to_owned)
        .collect()
}

/// A whole record in a project with several arms: `REDCap::deleteRecord`
/// (`Classes/REDCap.php`) calls `Records::deleteRecordByProject` once for
/// each arm the record exists in when `arm` is absent (only for the arm
/// given otherwise), and each call logs one `Delete record (API)` row under
/// the first event of its arm (`Classes/Records.php`), which `export_logging`
/// names after the record.
#[tokio::test]
async fn a_record_deleted_from_every_arm_is_logged_once_per_arm() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    let both_arms = |id: &str| {
        format!(
            r#"[{{"study_id":"{id}","redcap_event_name":"enrollment_arm_1","first_name":"A"}},
                {{"study_id":"{id}","redcap_event_name":"enrollment_arm_2","first_name":"B"}}]"#
        )
    };
    import(&emu, "long", &both_arms("d1")).await;
    import(&emu, "long", &both_arms("d2")).await;
    import(
        &emu,
        "long",
        r#"[{"study_id":"d3","redcap_event_name":"enrollment_arm_2","first_name":"C"}]"#,
    )
    .await;

    assert_eq!(
        delete(&emu, "long", &[("records[0]", "d1")]).await,
        (200, "1".to_owned())
    );
    let rows = delete_rows(&emu, "long").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let mut arms: Vec<bool> = ["(Arm 1:", "(Arm 2:"]
        .iter()
        .map(|arm| rows.iter().any(|r| r.contains("d1") && r.contains(arm)))
        .collect();
    assert_eq!(arms, [true, true], "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.starts_with("Delete record (API) d1 (Enrollment")),
        "{rows:?}"
    );

    // With `arm`, one row, under that arm's first event.
    assert_eq!(
        delete(&emu, "long", &[("records[0]", "d2"), ("arm", "2")]).await,
        (200, "1".to_owned())
    );
    let rows = delete_rows(&emu, "long").await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[0].contains("d2") && rows[0].contains("(Arm 2:"),
        "{rows:?}"
    );

    // A record in one arm only: one row, under its own arm.
    assert_eq!(
        delete(&emu, "long", &[("records[0]", "d3")]).await,
        (200, "1".to_owned())
    );
    let rows = delete_rows(&emu, "long").await;
    assert_eq!(rows.len(), 4, "{rows:?}");
    arms = vec![rows[0].contains("(Arm 2:"), rows[0].contains("(Arm 1:")];
    assert_eq!(arms, [true, false], "{rows:?}");
}
