//! The emulator over real HTTP, with `redcap-client` as the client: every
//! emulated method's happy path and REDCap's quirks, and the round trip of
//! the corpus projects.

mod support;

use redcap_client::{Client, Error, ImportOutcome, Payload, params};
use redcap_emulator::{Config, Emulator, UserRights};
use support::*;

#[tokio::test]
async fn bad_token_is_403_in_every_return_format() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let (status, ct, body) = post(
        emu.url(),
        &[
            ("token", "0123456789ABCDEF0123456789ABCDEF"),
            ("content", "record"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(ct.starts_with("application/json"));
    assert_eq!(
        body,
        r#"{"error":"You do not have permissions to use the API"}"#
    );
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", "nope!"),
            ("content", "record"),
            ("returnFormat", "csv"),
        ],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (403, "ERROR: You do not have permissions to use the API")
    );
    let (status, _, body) = post(emu.url(), &[("content", "record")]).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><hash><error>You do not have permissions to use the API</error></hash>"
    );
    // A valid token with an unknown content is 400; an invalid one stays 403.
    let token = emu.token("simple").unwrap();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", token),
            ("content", "nonsense"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"error":"The value of the parameter \"content\" is not valid"}"#
        )
    );
    // Tokens compare case-insensitively, as REDCap's column collation does.
    let (status, _, _) = post(
        emu.url(),
        &[("token", &token.to_lowercase()), ("content", "version")],
    )
    .await;
    assert_eq!(status, 200);
    // The typed client maps the 403.
    let c = Client::new(emu.url(), "0123456789ABCDEF0123456789ABCDEF").unwrap();
    let error = c.export_records().send().await.unwrap_err();
    assert_eq!(error.status(), Some(403));
}

#[tokio::test]
async fn non_post_is_501() {
    let emu = start(&[]).await;
    let response = reqwest::get(format!("{}?returnFormat=json", emu.url()))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 501);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"error":"The requested method is not implemented."}"#
    );
}

#[tokio::test]
async fn version_with_project_and_super_token() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    assert_eq!(c.export_version().send().await.unwrap(), "15.7.6");
    let (status, ct, body) = post(
        emu.url(),
        &[("token", emu.super_token()), ("content", "version")],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "15.7.6"));
    assert!(ct.starts_with("text/csv"));
    let wrong = "A".repeat(64);
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", &wrong),
            ("content", "version"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("64-character Super API Token"));
}

#[tokio::test]
async fn corpus_projects_round_trip_through_export() {
    let projects = [
        ("simple", SIMPLE),
        ("repeating", REPEATING),
        ("longitudinal", LONGITUDINAL),
        ("pycap_long", PYCAP_LONG),
        ("pycap_simple", "PyCap/tests/data/test_simple_project.xml"),
        ("doctest", "PyCap/tests/data/doctest_project.xml"),
        (
            "arms",
            "REDCapR/inst/test-data/projects/arm-multiple-delete/project.xml",
        ),
        (
            "multilevel",
            "REDCapR/inst/test-data/projects/multilevel-model-1/project.xml",
        ),
        ("etl", "redcap-etl/tests/projects/RepeatingForms.REDCap.xml"),
        (
            "demography",
            "phpcap/tests/projects/PHPCapBasicDemography.REDCap.xml",
        ),
    ];
    let emu = start(&projects).await;
    for (name, path) in projects {
        let text = std::fs::read_to_string(fixture(path)).unwrap();
        let source = redcap_schema::read_project_xml(&text, path).unwrap();
        let schema = source.schema(path).unwrap();
        let rows = client(&emu, name).export_records().send().await.unwrap();
        let key = |record: &str, event: Option<&str>, form: Option<&str>, inst: Option<&str>| {
            format!(
                "{record}|{}|{}|{}",
                event.unwrap_or(""),
                form.unwrap_or(""),
                inst.unwrap_or("")
            )
        };
        let exported: std::collections::HashMap<String, &redcap_client::Row> = rows
            .iter()
            .map(|r| {
                let event = r.get("redcap_event_name").filter(|e| !e.is_empty());
                let form = r.get("redcap_repeat_instrument").filter(|e| !e.is_empty());
                let inst = r.get("redcap_repeat_instance").filter(|e| !e.is_empty());
                (
                    key(r.get(&schema.record_id_field).unwrap(), event, form, inst),
                    r,
                )
            })
            .collect();
        assert_eq!(rows.len(), exported.len(), "{name}: duplicate rows");
        let mut matched = 0;
        for record in &source.records {
            let k = key(
                &record.record,
                record
                    .event
                    .as_deref()
                    .filter(|_| schema.project.longitudinal),
                record.repeat_instrument.as_deref(),
                record.repeat_instance.as_deref(),
            );
            let Some(row) = exported.get(&k) else {
                // A source row with no value among the exported fields
                // (only a DAG, say) is not a row in REDCap's export either.
                assert!(
                    record.values.iter().all(|(c, v)| v.is_empty()
                        || c == &schema.record_id_field
                        || c.starts_with("redcap_")
                        || c.ends_with("_complete")),
                    "{name}: row {k} missing"
                );
                continue;
            };
            matched += 1;
            for (column, value) in &record.values {
                if column.starts_with("redcap_")
                    || schema
                        .field(column)
                        .is_some_and(|f| f.field_type == redcap_schema::FieldType::File)
                {
                    continue;
                }
                // REDCap stores a project XML's date-time `T` as a space.
                let datetime = schema
                    .field(column)
                    .and_then(|f| f.validation)
                    .is_some_and(|v| v.as_str().starts_with("datetime"));
                let stored = if datetime {
                    value.replace('T', " ")
                } else {
                    value.clone()
                };
                assert_eq!(
                    row.get(column),
                    Some(stored.as_str()),
                    "{name}: {k} column {column}"
                );
            }
        }
        assert_eq!(
            matched,
            rows.len(),
            "{name}: exported rows that are not in the source"
        );
    }
}

#[tokio::test]
async fn csv_export_matches_redcaps_own_files() {
    let emu = start(&[("repeating", REPEATING), ("longitudinal", LONGITUDINAL)]).await;
    for (name, path) in [
        (
            "repeating",
            "REDCapR/inst/test-data/projects/vignette-repeating/data.csv",
        ),
        (
            "longitudinal",
            "REDCapR/inst/test-data/projects/longitudinal/data.csv",
        ),
    ] {
        let body = raw(&client(&emu, name), "export_records", &[("format", "csv")])
            .await
            .unwrap();
        let expected = std::fs::read_to_string(fixture(path)).unwrap();
        assert_eq!(
            body.lines().next(),
            expected.lines().next(),
            "{name}: header"
        );
        // The project XML carries no uploaded files, so file columns are
        // blank here where REDCap's own export names the file. The XML also
        // holds line breaks inside attribute values where REDCap's CSV of
        // the same data has spaces, so whitespace runs compare as one.
        let files = ["image_profile", "patient_document"];
        let squeeze = |v: &str| v.split_whitespace().collect::<Vec<_>>().join(" ");
        let mask = |text: &str| -> Vec<Vec<(String, String)>> {
            redcap_client::rows_from_csv(text)
                .unwrap()
                .iter()
                .map(|row| {
                    row.iter()
                        .filter(|(c, _)| !files.contains(c))
                        .map(|(c, v)| (c.to_owned(), squeeze(v)))
                        .collect()
                })
                .collect()
        };
        assert_eq!(mask(&body), mask(&expected), "{name}");
        assert!(body.ends_with('\n') && expected.ends_with('\n'));
    }
}

#[tokio::test]
async fn repeat_columns_numbers_and_blanks() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let body = raw(
        &client(&emu, "repeating"),
        "export_records",
        &[("format", "json"), ("records[0]", "1")],
    )
    .await
    .unwrap();
    assert!(
        body.starts_with(
            r#"[{"record_id":"1","redcap_repeat_instrument":"","redcap_repeat_instance":"","#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#""redcap_repeat_instrument":"blood_pressure","redcap_repeat_instance":1,"#),
        "{body}"
    );
}

#[tokio::test]
async fn field_form_event_and_record_selection() {
    let emu = start(&[("simple", SIMPLE), ("longitudinal", LONGITUDINAL)]).await;
    let c = client(&emu, "simple");
    let rows = c
        .export_records()
        .fields(["name_first"])
        .send()
        .await
        .unwrap();
    assert_eq!(rows[0].columns().collect::<Vec<_>>(), ["name_first"]);
    let rows = c
        .export_records()
        .fields(["record_id"])
        .forms(["race_and_ethnicity"])
        .records(["2", "nope", "1"])
        .send()
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].get("record_id"), Some("1"));
    let columns: Vec<&str> = rows[0].columns().collect();
    assert_eq!(columns[..3], ["record_id", "race___1", "race___2"]);
    assert_eq!(columns.last(), Some(&"race_and_ethnicity_complete"));
    let error = c
        .export_records()
        .fields(["nope", "bad"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.api_message(),
        Some("The following values in the parameter \"fields\" are not valid: 'nope', 'bad'")
    );
    let error = c.export_records().forms(["x"]).send().await.unwrap_err();
    assert_eq!(
        error.api_message(),
        Some("The following values in the parameter \"forms\" are not valid: 'x'")
    );
    let l = client(&emu, "longitudinal");
    let rows = l
        .export_records()
        .events(["dose_1_arm_1"])
        .fields(["study_id"])
        .send()
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.get("redcap_event_name") == Some("dose_1_arm_1"))
    );
    let error = l
        .export_records()
        .events(["nope_arm_1"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn labels_and_checkbox_labels() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let rows = c
        .export_records()
        .records(["1"])
        .raw_or_label(params::RawOrLabel::Label)
        .send()
        .await
        .unwrap();
    assert_eq!(rows[0].get("demographics_complete"), Some("Complete"));
    assert_eq!(rows[0].get("race___5"), Some("Checked"));
    assert_eq!(rows[0].get("race___1"), Some("Unchecked"));
    let rows = c
        .export_records()
        .records(["1"])
        .raw_or_label(params::RawOrLabel::Label)
        .export_checkbox_label(true)
        .send()
        .await
        .unwrap();
    assert_eq!(rows[0].get("race___1"), Some(""));
    assert_ne!(rows[0].get("race___5"), Some("Checked"));
    let csv = raw(
        &c,
        "export_records",
        &[
            ("format", "csv"),
            ("rawOrLabelHeaders", "label"),
            ("fields[0]", "record_id"),
        ],
    )
    .await
    .unwrap();
    assert!(
        csv.starts_with("\"Study ID\"\n")
            || csv.lines().next().is_some_and(|h| !h.contains("record_id")),
        "{csv}"
    );
}

#[tokio::test]
async fn filter_logic() {
    let emu = start(&[
        ("simple", SIMPLE),
        ("longitudinal", LONGITUDINAL),
        ("repeating", REPEATING),
    ])
    .await;
    let c = client(&emu, "simple");
    let rows = c
        .export_records()
        .filter_logic("[sex] = '1' and [age] >= 10")
        .fields(["record_id", "sex"])
        .send()
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.get("sex") == Some("1")));
    let all = c.export_records().send().await.unwrap().len();
    // Logic without a field is not applied; a parse error is a 400.
    assert_eq!(
        c.export_records()
            .filter_logic("1 = 1")
            .send()
            .await
            .unwrap()
            .len(),
        all
    );
    let error = c
        .export_records()
        .filter_logic("[age] == 5")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.api_message(),
        Some("An unknown error occurred. Please check your API parameters.")
    );
    // An unknown field matches nothing.
    assert!(
        c.export_records()
            .filter_logic("[nope] = 1")
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    // Checkbox choices, parentheses, or.
    let rows = c
        .export_records()
        .filter_logic("([race(5)] = '1' or [race(1)] = 1) and [record_id] <> ''")
        .send()
        .await
        .unwrap();
    assert!(
        rows.iter()
            .all(|r| r.get("race___5") == Some("1") || r.get("race___1") == Some("1"))
    );
    assert!(!rows.is_empty());
    // Longitudinal: an event-prefixed reference returns only that event.
    let l = client(&emu, "longitudinal");
    let rows = l
        .export_records()
        .filter_logic("[enrollment_arm_1][sex] = '0'")
        .send()
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(
        |r| r.get("redcap_event_name") == Some("enrollment_arm_1") && r.get("sex") == Some("0")
    ));
    // A repeating field's filter keeps only matching instance rows.
    let r = client(&emu, "repeating");
    let rows = r
        .export_records()
        .filter_logic("[sbp] > 1.5")
        .send()
        .await
        .unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.get("redcap_repeat_instrument") == Some("blood_pressure"))
    );
}

#[tokio::test]
async fn eav_export_and_csv_options() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let body = raw(
        &c,
        "export_records",
        &[
            ("format", "json"),
            ("type", "eav"),
            ("records[0]", "1"),
            ("fields[0]", "race"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(body, r#"[{"record":"1","field_name":"race","value":"5"}]"#);
    let body = raw(
        &c,
        "export_records",
        &[
            ("format", "csv"),
            ("fields[0]", "record_id"),
            ("fields[1]", "bmi"),
            ("records[0]", "1"),
            ("csvDelimiter", ";"),
            ("decimalCharacter", ","),
        ],
    )
    .await
    .unwrap();
    assert_eq!(body, "record_id;bmi\n1;204,1\n");
    let body = raw(
        &c,
        "export_records",
        &[
            ("format", "xml"),
            ("fields[0]", "record_id"),
            ("records[0]", "2"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        body,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<records>\n<item><record_id><![CDATA[2]]></record_id></item>\n</records>"
    );
    let body = raw(
        &c,
        "export_records",
        &[
            ("format", "json"),
            ("fields[0]", "record_id"),
            ("fields[1]", "health_complete"),
            ("records[0]", "99"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(body, "[]");
}

#[tokio::test]
async fn import_counts_validates_and_is_all_or_nothing() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let outcome = c
        .import_records()
        .data(Payload::json_text(r#"[{"record_id":"10","name_first":"A","race___2":"1","age":"40"},{"record_id":"11","name_last":"B"}]"#))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome, ImportOutcome::Count(2));
    let rows = c.export_records().records(["10"]).send().await.unwrap();
    assert_eq!(rows[0].get("name_first"), Some("A"));
    assert_eq!(rows[0].get("race___2"), Some("1"));
    assert_eq!(rows[0].get("demographics_complete"), Some("0"));
    // Errors come back together as CSV lines; nothing is written.
    let error = c
        .import_records()
        .data(Payload::json_text(r#"[{"record_id":"12","weight":"heavy"},{"record_id":"10","sex":"7","race___1":"2","dob":"2020-02-30"}]"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    let message = error.api_message().unwrap();
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 4, "{message}");
    assert_eq!(
        lines[0],
        r#""12","weight","heavy","The value you provided could not be validated because it does not follow the expected format. Please try again.""#
    );
    assert!(message.contains(r#""10","sex","7","The value is not a valid category for sex""#));
    assert!(message.contains("race___1 is a checkbox field and thus can only have a value of '1' (checked) or '0' (unchecked)."));
    assert!(
        message.contains(
            "Invalid date format. (NOTE: Dates must be imported here only in Y-M-D format"
        )
    );
    assert!(
        c.export_records()
            .records(["12"])
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        c.export_records().records(["10"]).send().await.unwrap()[0].get("sex"),
        Some("")
    );
    // Whole-payload errors.
    let error = c
        .import_records()
        .data(Payload::json_text(r#"[{"record_id":"1","nope":"x"}]"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.api_message(),
        Some("The following fields were not found in the project as real data fields: nope")
    );
    let error = c
        .import_records()
        .data(Payload::json_text("[{"))
        .send()
        .await
        .unwrap_err();
    assert!(error.api_message().unwrap().starts_with(
        "The data being imported is not formatted correctly. PHP error from JSON decoder"
    ));
    let error = c
        .import_records()
        .data(Payload::json_text(
            r#"[{"record_id":"1","redcap_repeat_instance":"1"}]"#,
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        error
            .api_message()
            .unwrap()
            .starts_with("ERROR: Trying to import repeat instance/instrument fields!")
    );
    // Re-import of unchanged records still counts them; one record in two rows counts once.
    let body = raw(
        &c,
        "import_records",
        &[
            ("format", "csv"),
            ("data", "record_id,name_first\n10,A\n11,\n"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(body, "2");
}

#[tokio::test]
async fn overwrite_behavior_and_return_content() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    c.import_records()
        .data(Payload::json_text(r#"[{"record_id":"1","name_first":""}]"#))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.export_records().records(["1"]).send().await.unwrap()[0].get("name_first"),
        Some("Nutmeg")
    );
    let outcome = c
        .import_records()
        .overwrite_behavior(params::OverwriteBehavior::Overwrite)
        .return_content(params::ReturnContent::Ids)
        .data(Payload::json_text(
            r#"[{"record_id":"1","name_first":"","race___5":""}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome, ImportOutcome::Ids(vec!["1".into()]));
    let row = &c.export_records().records(["1"]).send().await.unwrap()[0];
    assert_eq!(row.get("name_first"), Some(""));
    assert_eq!(row.get("race___5"), Some("0"));
    let body = raw(
        &c,
        "import_records",
        &[
            ("format", "json"),
            ("returnContent", "nothing"),
            ("data", r#"[{"record_id":"1"}]"#),
        ],
    )
    .await
    .unwrap();
    assert_eq!(body, "");
    let body = raw(
        &c,
        "import_records",
        &[
            ("format", "json"),
            ("returnFormat", "json"),
            ("data", r#"[{"record_id":"1"}]"#),
        ],
    )
    .await
    .unwrap();
    assert_eq!(body, r#"{"count": 1}"#);
}

#[tokio::test]
async fn auto_numbering_and_next_record_name() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    assert_eq!(c.generate_next_record_name().send().await.unwrap(), "6");
    c.import_project_info()
        .data(Payload::json_text(
            r#"{"record_autonumbering_enabled":"1"}"#,
        ))
        .send()
        .await
        .unwrap();
    let outcome = c
        .import_records()
        .force_auto_number(true)
        .return_content(params::ReturnContent::AutoIds)
        .data(Payload::json_text(
            r#"[{"record_id":"x","name_first":"P"},{"record_id":"y","name_first":"Q"}]"#,
        ))
        .send()
        .await
        .unwrap();
    let ImportOutcome::AutoIds(ids) = outcome else {
        panic!("auto ids expected, got {outcome:?}")
    };
    let pairs: Vec<(String, String)> = ids
        .iter()
        .map(|a| (a.new.clone(), a.original.clone()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("6".to_owned(), "x".to_owned()),
            ("7".to_owned(), "y".to_owned())
        ]
    );
    assert_eq!(c.generate_next_record_name().send().await.unwrap(), "8");
}

#[tokio::test]
async fn repeating_import_with_new_instances() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let c = client(&emu, "repeating");
    c.import_records()
        .data(Payload::json_text(r#"[{"record_id":"1","redcap_repeat_instrument":"blood_pressure","redcap_repeat_instance":"new","sbp":"9.9"},{"record_id":"1","redcap_repeat_instrument":"blood_pressure","redcap_repeat_instance":"new","sbp":"8.8"}]"#))
        .send()
        .await
        .unwrap();
    let rows = c
        .export_records()
        .records(["1"])
        .forms(["blood_pressure"])
        .fields(["record_id"])
        .send()
        .await
        .unwrap();
    let instances: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.get("redcap_repeat_instrument") == Some("blood_pressure"))
        .map(|r| {
            (
                r.get("redcap_repeat_instance").unwrap(),
                r.get("sbp").unwrap(),
            )
        })
        .collect();
    let n = instances.len();
    assert_eq!(
        instances[n - 2..],
        [(&*(n - 1).to_string(), "9.9"), (&*n.to_string(), "8.8")]
    );
    let error = c
        .import_records()
        .data(Payload::json_text(r#"[{"record_id":"1","sbp":"1"}]"#))
        .send()
        .await
        .unwrap_err();
    assert!(
        error.api_message().unwrap().contains(
            "This field ('sbp') exists on a Repeating Instrument named 'blood_pressure'."
        )
    );
}

#[tokio::test]
async fn delete_and_rename() {
    let emu = start(&[("simple", SIMPLE), ("longitudinal", LONGITUDINAL)]).await;
    let c = client(&emu, "simple");
    let error = c
        .delete_records()
        .records(["1", "nope"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.api_message(),
        Some(
            "One or more of the records provided cannot be deleted because they do not exist in the project. The following records do not exist: nope"
        )
    );
    assert_eq!(
        c.export_records()
            .records(["1"])
            .send()
            .await
            .unwrap()
            .len(),
        1
    );
    let body = raw(&c, "delete_records", &[("records", "1")])
        .await
        .unwrap_err();
    assert!(
        body.api_message()
            .unwrap()
            .starts_with("Incorrect format for 'records' parameter.")
    );
    assert_eq!(
        c.delete_records().records(["1", "2"]).send().await.unwrap(),
        2
    );
    assert!(
        c.export_records()
            .records(["1", "2"])
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    c.rename_record()
        .record("3")
        .new_record_name("three")
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.export_records().records(["three"]).send().await.unwrap()[0].get("record_id"),
        Some("three")
    );
    let failure = c
        .rename_record()
        .record("nope")
        .new_record_name("x")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(failure, Error::Failure { .. }), "{failure:?}");
    // REDCap answers rename failures with status 200 and a plain sentence.
    let body = raw(
        &c,
        "rename_record",
        &[("record", "4"), ("new_record_name", "5")],
    )
    .await
    .unwrap();
    assert_eq!(
        body,
        "Study ID \"4\" could not be changed to \"5\" because that record already exists! Please try again."
    );
    // Deleting one event of a longitudinal record keeps the rest.
    let l = client(&emu, "longitudinal");
    let before = l
        .export_records()
        .records(["100"])
        .send()
        .await
        .unwrap()
        .len();
    assert_eq!(
        l.delete_records()
            .records(["100"])
            .event("dose_1_arm_1")
            .send()
            .await
            .unwrap(),
        1
    );
    let after = l.export_records().records(["100"]).send().await.unwrap();
    assert_eq!(after.len(), before - 1);
    assert!(
        after
            .iter()
            .all(|r| r.get("redcap_event_name") != Some("dose_1_arm_1"))
    );
}

#[tokio::test]
async fn metadata_field_names_and_instruments() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let metadata = c.export_metadata().send().await.unwrap();
    assert_eq!(metadata[0].field_name, "record_id");
    assert!(
        metadata
            .iter()
            .all(|m| !m.field_name.ends_with("_complete"))
    );
    let only = c.export_metadata().forms(["health"]).send().await.unwrap();
    assert!(only.iter().all(|m| m.form_name == "health"));
    let names = c.export_field_names().send().await.unwrap();
    assert!(
        names
            .iter()
            .any(|n| n.export_field_name == "race___1" && n.choice_value == "1")
    );
    assert!(
        names
            .iter()
            .any(|n| n.export_field_name == "health_complete")
    );
    assert!(!names.iter().any(|n| n.original_field_name == "mugshot"));
    let error = c
        .export_field_names()
        .field("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.api_message(), Some("Invalid field"));
    let instruments = c.export_instruments().send().await.unwrap();
    assert_eq!(
        instruments
            .iter()
            .map(|i| i.instrument_name.as_str())
            .collect::<Vec<_>>(),
        ["demographics", "health", "race_and_ethnicity"]
    );
    // Import: a new field on a new form, then REDCap's checks reject a bad dictionary.
    let body = raw(&c, "export_metadata", &[("format", "json")])
        .await
        .unwrap();
    let mut items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let mut extra = items[1].clone();
    extra["field_name"] = "extra_note".into();
    extra["form_name"] = "extra".into();
    extra["field_type"] = "text".into();
    extra["select_choices_or_calculations"] = "".into();
    extra["text_validation_type_or_show_slider_number"] = "".into();
    items.push(extra);
    let n = items.len();
    let count = c
        .import_metadata()
        .data(Payload::json(&items).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(count as usize, n);
    assert!(
        c.export_instruments()
            .send()
            .await
            .unwrap()
            .iter()
            .any(|i| i.instrument_name == "extra")
    );
    let mut broken = items.clone();
    broken[2]["field_name"] = "2bad".into();
    let error = c
        .import_metadata()
        .data(Payload::json(&broken).unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(
        error.api_message().unwrap().contains("2bad"),
        "{:?}",
        error.api_message()
    );
}

#[tokio::test]
async fn project_info_export_and_import() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let info = c.export_project_info().send().await.unwrap();
    assert_eq!(info.project_title, "REDCapR: simple");
    assert!(!info.is_longitudinal);
    let body = raw(&c, "export_project_info", &[("format", "json")])
        .await
        .unwrap();
    assert!(body.contains(r#""is_longitudinal":0"#), "{body}");
    let n = c
        .import_project_info()
        .data(Payload::json_text(
            r#"{"project_title":"Renamed","project_notes":"n"}"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(
        c.export_project_info().send().await.unwrap().project_title,
        "Renamed"
    );
}

#[tokio::test]
async fn arms_events_mappings_and_repeating() {
    let emu = start(&[
        ("long", PYCAP_LONG),
        ("simple", SIMPLE),
        ("repeating", REPEATING),
    ])
    .await;
    let c = client(&emu, "long");
    let arms = c.export_arms().send().await.unwrap();
    assert_eq!(arms.len(), 2);
    assert_eq!(arms[0].arm_num, 1);
    let events = c.export_events().arms([2]).send().await.unwrap();
    assert!(!events.is_empty() && events.iter().all(|e| e.arm_num == 2));
    let mappings = c.export_instrument_event_mappings().send().await.unwrap();
    assert!(
        mappings
            .iter()
            .any(|m| m.unique_event_name == "enrollment_arm_1")
    );
    let repeating = c
        .export_repeating_instruments_events()
        .send()
        .await
        .unwrap();
    assert_eq!(repeating[0].event_name.as_deref(), Some("enrollment_arm_1"));
    assert_eq!(repeating[0].form_name, "baseline_data");
    // Classic projects refuse arms, events and mappings.
    let s = client(&emu, "simple");
    assert_eq!(
        s.export_arms().send().await.unwrap_err().api_message(),
        Some("You cannot export arms for classic projects")
    );
    assert_eq!(
        s.export_events().send().await.unwrap_err().api_message(),
        Some("You cannot export events for classic projects")
    );
    assert_eq!(
        s.export_instrument_event_mappings()
            .send()
            .await
            .unwrap_err()
            .api_message(),
        Some("You cannot export form/event mappings for classic projects")
    );
    assert_eq!(
        s.export_repeating_instruments_events()
            .send()
            .await
            .unwrap_err()
            .api_message(),
        Some(
            "You cannot export repeating instruments and events because the project does not contain any repeating instruments and events"
        )
    );
    // Imports and deletes.
    assert_eq!(
        c.import_arms()
            .data(Payload::json_text(r#"[{"arm_num":3,"name":"Third"}]"#))
            .send()
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        c.import_events()
            .data(Payload::json_text(
                r#"[{"event_name":"Week 1","arm_num":3}]"#
            ))
            .send()
            .await
            .unwrap(),
        1
    );
    let events = c.export_events().arms([3]).send().await.unwrap();
    assert_eq!(events[0].unique_event_name, "week_1_arm_3");
    c.import_instrument_event_mappings()
        .data(Payload::json_text(
            r#"[{"arm_num":3,"unique_event_name":"week_1_arm_3","form":"demographics"}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert!(
        c.export_instrument_event_mappings()
            .arms([3])
            .send()
            .await
            .unwrap()
            .iter()
            .any(|m| m.form == "demographics")
    );
    assert_eq!(
        c.delete_events()
            .events(["week_1_arm_3"])
            .send()
            .await
            .unwrap(),
        1
    );
    assert_eq!(c.delete_arms().arms([3]).send().await.unwrap(), 1);
    assert_eq!(c.export_arms().send().await.unwrap().len(), 2);
    let r = client(&emu, "repeating");
    assert_eq!(
        r.import_repeating_instruments_events()
            .data(Payload::json_text(
                r#"[{"form_name":"laboratory","custom_form_label":"[lab]"}]"#
            ))
            .send()
            .await
            .unwrap(),
        1
    );
    let setup = r
        .export_repeating_instruments_events()
        .send()
        .await
        .unwrap();
    assert_eq!(setup.len(), 1);
    assert_eq!(setup[0].custom_form_label, "[lab]");
}

#[tokio::test]
async fn rights_are_enforced() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let pid = emu.projects()[0].project_id;
    let reader = emu
        .add_user(pid, "reader", UserRights::export_only())
        .unwrap();
    let c = Client::new(emu.url(), &reader).unwrap();
    assert!(!c.export_records().send().await.unwrap().is_empty());
    let error = c
        .import_records()
        .data(Payload::json_text(r#"[{"record_id":"1"}]"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.api_message()),
        (
            Some(403),
            Some("You do not have API Import/Update privileges")
        )
    );
    let error = c.delete_records().records(["1"]).send().await.unwrap_err();
    assert_eq!(
        (error.status(), error.api_message()),
        (Some(403), Some("You do not have Delete Record privileges"))
    );
    let error = c
        .rename_record()
        .record("1")
        .new_record_name("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.api_message(),
        Some("You do not have Rename Record privileges")
    );
    let mut rights = UserRights::full();
    rights.api_export = false;
    rights.forms_export.insert("demographics".into(), 0);
    let writer = emu.add_user(pid, "writer", rights).unwrap();
    let w = Client::new(emu.url(), &writer).unwrap();
    assert_eq!(
        w.export_records().send().await.unwrap_err().api_message(),
        Some("You do not have API Export privileges")
    );
    let mut rights = UserRights::export_only();
    rights.forms_export.insert("demographics".into(), 0);
    rights.forms_export.insert("health".into(), 3);
    let limited = emu.add_user(pid, "limited", rights).unwrap();
    let l = Client::new(emu.url(), &limited).unwrap();
    let rows = l.export_records().send().await.unwrap();
    assert!(rows[0].get("name_first").is_none());
    assert!(rows[0].get("record_id").is_some());
    assert!(rows[0].get("height").is_some());
    let mut expired = UserRights::full();
    expired.expiration = Some("2000-01-01".into());
    let old = emu.add_user(pid, "old", expired).unwrap();
    let error = Client::new(emu.url(), &old)
        .unwrap()
        .export_records()
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.api_message(),
        Some(
            "You do not have API rights because your privileges have expired for this project as of 2000-01-01."
        )
    );
}

#[tokio::test]
async fn create_project_with_super_token_and_project_xml() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let xml = raw(&client(&emu, "simple"), "export_project_xml", &[])
        .await
        .unwrap();
    assert!(xml.contains("<ClinicalData"), "records expected");
    let meta = raw(
        &client(&emu, "simple"),
        "export_project_xml",
        &[("returnMetadataOnly", "true")],
    )
    .await
    .unwrap();
    assert!(!meta.contains("<ClinicalData"));
    let admin = Client::new(emu.url(), emu.super_token()).unwrap();
    let token = admin
        .create_project()
        .data(Payload::json_text(
            r#"[{"project_title":"Copy","purpose":"0"}]"#,
        ))
        .odm(xml.as_str())
        .send()
        .await
        .unwrap();
    let copy = Client::builder()
        .url(emu.url())
        .api_token(token)
        .build()
        .unwrap();
    // REDCap saves the copy's records skipping calculated fields (`bmi`),
    // and project XML without `exportFiles` leaves the File Upload field
    // (`mugshot`) out; everything else is copied.
    let rows = |body: String| -> Vec<serde_json::Map<String, serde_json::Value>> {
        serde_json::from_str(&body).unwrap()
    };
    let original = rows(
        raw(
            &client(&emu, "simple"),
            "export_records",
            &[("format", "json")],
        )
        .await
        .unwrap(),
    );
    let copied = rows(
        raw(&copy, "export_records", &[("format", "json")])
            .await
            .unwrap(),
    );
    assert_eq!(copied.len(), original.len());
    for (mut a, mut b) in original.into_iter().zip(copied) {
        for dropped in ["bmi", "mugshot"] {
            assert_eq!(b.remove(dropped), Some(serde_json::json!("")));
            a.remove(dropped);
        }
        assert_eq!(a, b);
    }
    assert_eq!(
        copy.export_project_info()
            .send()
            .await
            .unwrap()
            .project_title,
        "Copy"
    );
    let token = admin
        .create_project()
        .data(Payload::json_text(
            r#"[{"project_title":"Empty","purpose":"1"}]"#,
        ))
        .send()
        .await
        .unwrap();
    let empty = Client::builder()
        .url(emu.url())
        .api_token(token)
        .build()
        .unwrap();
    assert_eq!(
        empty.export_metadata().send().await.unwrap()[0].field_name,
        "record_id"
    );
    // A project token cannot create projects.
    let error = client(&emu, "simple")
        .create_project()
        .data(Payload::json_text(
            r#"[{"project_title":"x","purpose":"0"}]"#,
        ))
        .send()
        .await;
    assert!(error.is_err());
}

#[tokio::test]
async fn unknown_methods_say_so() {
    let emu = start(&[("simple", SIMPLE)]).await;
    // Every spec method is emulated; contents REDCap keeps for its own
    // components are not, and say so.
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", emu.token("simple").unwrap()),
            ("content", "tableau"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 501);
    assert_eq!(
        body,
        r#"{"error":"The REDCap emulator does not emulate content=tableau, which REDCap serves to its own components."}"#
    );
}

#[tokio::test]
async fn data_dir_persists_across_restarts() {
    let dir = std::env::temp_dir().join(format!("redcap-emulator-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config::default()
        .project("simple", fixture(SIMPLE))
        .data_dir(&dir);
    let token = {
        let emu = Emulator::start(config.clone()).await.unwrap();
        client(&emu, "simple")
            .import_records()
            .data(Payload::json_text(
                r#"[{"record_id":"77","name_first":"Kept"}]"#,
            ))
            .send()
            .await
            .unwrap();
        emu.token("simple").unwrap().to_owned()
    };
    let emu = Emulator::start(config).await.unwrap();
    assert_eq!(emu.token("simple"), Some(token.as_str()));
    let rows = client(&emu, "simple")
        .export_records()
        .records(["77"])
        .send()
        .await
        .unwrap();
    assert_eq!(rows[0].get("name_first"), Some("Kept"));
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}
