//! Every method of the API spec, called at least once through the generated client
//! against one emulator serving PyCap's doctest project (longitudinal, a repeating event,
//! a survey, a file field, a DAG and reports). The calls are checked against the spec, so
//! a method added to the spec without a call here fails the test.

mod support;

use std::collections::BTreeSet;

use redcap_client::{Client, Error, FileUpload, Payload};
use redcap_emulator::{Allocation, Config, Emulator, Randomization, UserRights};
use support::{fixture, raw};

const DOCTEST: &str = "PyCap/tests/data/doctest_project.xml";

/// What each call gave: the method, and `Ok` or the error.
#[derive(Default)]
struct Outcomes(Vec<(&'static str, Result<(), Error>)>);

impl Outcomes {
    fn record<T>(&mut self, method: &'static str, outcome: Result<T, Error>) -> Option<T> {
        match outcome {
            Ok(value) => {
                self.0.push((method, Ok(())));
                Some(value)
            }
            Err(error) => {
                self.0.push((method, Err(error)));
                None
            }
        }
    }
}

async fn emulator() -> Emulator {
    let mut randomization = Randomization::default();
    randomization.randomization_id = 1;
    randomization.target_field = "field_1".into();
    randomization.target_event = Some("event_1_arm_1".into());
    let mut allocation = Allocation::default();
    allocation.target = "1".into();
    randomization.allocations = vec![allocation];
    let config = Config::default()
        .project("doctest", fixture(DOCTEST))
        .randomization("doctest", randomization);
    Emulator::start(config).await.expect("emulator starts")
}

#[tokio::test]
async fn every_spec_method_is_answered() {
    let emu = emulator().await;
    let c = Client::new(emu.url(), emu.token("doctest").unwrap()).unwrap();
    let mut done = Outcomes::default();

    // Version, project and design: exports, and imports of what was exported.
    done.record("export_version", c.export_version().send().await);
    done.record("export_project_info", c.export_project_info().send().await);
    done.record(
        "import_project_info",
        c.import_project_info()
            .data(Payload::json_text(r#"{"project_notes":"every method"}"#))
            .send()
            .await,
    );
    done.record("export_metadata", c.export_metadata().send().await);
    let metadata = raw(&c, "export_metadata", &[("format", "json")])
        .await
        .unwrap();
    done.record(
        "import_metadata",
        c.import_metadata()
            .data(Payload::json_text(metadata))
            .send()
            .await,
    );
    done.record("export_field_names", c.export_field_names().send().await);
    done.record("export_instruments", c.export_instruments().send().await);
    done.record(
        "export_field_validation_types",
        c.export_field_validation_types().send().await,
    );
    done.record(
        "export_field_attachment",
        c.export_field_attachment().field("field_1").send().await,
    );
    done.record("export_arms", c.export_arms().send().await);
    done.record(
        "import_arms",
        c.import_arms()
            .data(Payload::json_text(
                r#"[{"arm_num":"2","name":"Second arm"}]"#,
            ))
            .send()
            .await,
    );
    done.record("export_events", c.export_events().send().await);
    done.record(
        "import_events",
        c.import_events()
            .data(Payload::json_text(
                r#"[{"event_name":"Extra","arm_num":"2","unique_event_name":"extra_arm_2"}]"#,
            ))
            .send()
            .await,
    );
    done.record(
        "export_instrument_event_mappings",
        c.export_instrument_event_mappings().send().await,
    );
    // An import replaces every arm's mappings: the exported ones go back
    // with the new event's.
    let mut mappings: Vec<serde_json::Value> = serde_json::from_str(
        &raw(
            &c,
            "export_instrument_event_mappings",
            &[("format", "json")],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    mappings
        .push(serde_json::json!({"arm_num":"2","unique_event_name":"extra_arm_2","form":"form_1"}));
    done.record(
        "import_instrument_event_mappings",
        c.import_instrument_event_mappings()
            .data(Payload::json_text(
                serde_json::Value::from(mappings).to_string(),
            ))
            .send()
            .await,
    );
    done.record(
        "delete_events",
        c.delete_events().events(["extra_arm_2"]).send().await,
    );
    done.record("delete_arms", c.delete_arms().arms([2]).send().await);
    done.record(
        "export_repeating_instruments_events",
        c.export_repeating_instruments_events().send().await,
    );
    let repeating = raw(
        &c,
        "export_repeating_instruments_events",
        &[("format", "json")],
    )
    .await
    .unwrap();
    done.record(
        "import_repeating_instruments_events",
        c.import_repeating_instruments_events()
            .data(Payload::json_text(repeating))
            .send()
            .await,
    );

    // Records.
    done.record("export_records", c.export_records().send().await);
    done.record(
        "import_records",
        c.import_records()
            .data(Payload::json_text(
                r#"[{"record_id":"100","redcap_event_name":"event_1_arm_1","redcap_repeat_instance":"1","field_1":"0"}]"#,
            ))
            .send()
            .await,
    );
    done.record(
        "generate_next_record_name",
        c.generate_next_record_name().send().await,
    );
    done.record(
        "rename_record",
        c.rename_record()
            .record("100")
            .new_record_name("101")
            .send()
            .await,
    );
    done.record(
        "randomize_record",
        c.randomize_record()
            .record("101")
            .randomization_id(1)
            .send()
            .await,
    );

    // Files of a file field, and the File Repository.
    done.record(
        "import_file",
        c.import_file()
            .record("101")
            .field("upload_field")
            .event("event_1_arm_1")
            .file(FileUpload::new("notes.txt", b"every method".to_vec()))
            .send()
            .await,
    );
    done.record(
        "export_file",
        c.export_file()
            .record("101")
            .field("upload_field")
            .event("event_1_arm_1")
            .send()
            .await,
    );
    done.record(
        "export_file_info",
        c.export_file_info()
            .record("101")
            .field("upload_field")
            .event("event_1_arm_1")
            .send()
            .await,
    );
    done.record(
        "delete_file",
        c.delete_file()
            .record("101")
            .field("upload_field")
            .event("event_1_arm_1")
            .send()
            .await,
    );
    done.record(
        "create_file_repository_folder",
        c.create_file_repository_folder()
            .name("Protocols")
            .send()
            .await,
    );
    done.record(
        "import_file_repository_file",
        c.import_file_repository_file()
            .file(FileUpload::new("protocol.txt", b"version 1".to_vec()))
            .send()
            .await,
    );
    let listing = done.record(
        "list_file_repository",
        c.list_file_repository().send().await,
    );
    let doc_id = listing
        .unwrap_or_default()
        .iter()
        .find(|entry| entry.name == "protocol.txt")
        .and_then(|entry| entry.doc_id)
        // Without a listing the next calls fail, and the failure list says why.
        .unwrap_or_default();
    done.record(
        "export_file_repository_file",
        c.export_file_repository_file().doc_id(doc_id).send().await,
    );
    done.record(
        "delete_file_repository_file",
        c.delete_file_repository_file().doc_id(doc_id).send().await,
    );

    // PDFs, reports, logging.
    done.record(
        "export_pdf",
        c.export_pdf()
            .record("101")
            .event("event_1_arm_1")
            .instrument("form_1")
            .send()
            .await,
    );
    done.record("export_report", c.export_report().report_id(1).send().await);
    done.record("export_logging", c.export_logging().send().await);

    // Surveys.
    let survey = ("1", "form_1", "event_1_arm_1");
    done.record(
        "export_survey_link",
        c.export_survey_link()
            .record(survey.0)
            .instrument(survey.1)
            .event(survey.2)
            .send()
            .await,
    );
    done.record(
        "export_survey_access_code",
        c.export_survey_access_code()
            .record(survey.0)
            .instrument(survey.1)
            .event(survey.2)
            .send()
            .await,
    );
    done.record(
        "export_survey_return_code",
        c.export_survey_return_code()
            .record(survey.0)
            .instrument(survey.1)
            .event(survey.2)
            .send()
            .await,
    );
    done.record(
        "export_survey_queue_link",
        c.export_survey_queue_link().record(survey.0).send().await,
    );
    done.record(
        "export_survey_participant_list",
        c.export_survey_participant_list()
            .instrument(survey.1)
            .event(survey.2)
            .send()
            .await,
    );

    // Users, roles and data access groups.
    done.record("export_users", c.export_users().send().await);
    done.record(
        "import_users",
        c.import_users()
            .data(Payload::json_text(
                r#"[{"username":"alice","api_export":"1","data_access_group":""}]"#,
            ))
            .send()
            .await,
    );
    done.record(
        "import_user_roles",
        c.import_user_roles()
            .data(Payload::json_text(
                r#"[{"unique_role_name":"","role_label":"Readers"}]"#,
            ))
            .send()
            .await,
    );
    let roles = done.record("export_user_roles", c.export_user_roles().send().await);
    let role = roles
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.role_label == "Readers")
        .map(|r| r.unique_role_name)
        .unwrap_or_default();
    done.record(
        "import_user_role_assignments",
        c.import_user_role_assignments()
            .data(Payload::json_text(format!(
                r#"[{{"username":"alice","unique_role_name":"{role}"}}]"#
            )))
            .send()
            .await,
    );
    done.record(
        "export_user_role_assignments",
        c.export_user_role_assignments().send().await,
    );
    done.record("export_dags", c.export_dags().send().await);
    done.record(
        "import_dags",
        c.import_dags()
            .data(Payload::json_text(
                r#"[{"data_access_group_name":"Site B","unique_group_name":""}]"#,
            ))
            .send()
            .await,
    );
    done.record(
        "import_user_dag_assignments",
        c.import_user_dag_assignments()
            .data(Payload::json_text(
                r#"[{"username":"alice","redcap_data_access_group":"site_b"}]"#,
            ))
            .send()
            .await,
    );
    done.record(
        "export_user_dag_assignments",
        c.export_user_dag_assignments().send().await,
    );
    // Who may switch is set on REDCap's DAG Switcher page, which has no API method.
    let pid = emu.projects()[0].project_id;
    let switcher = emu.add_user(pid, "switcher", UserRights::full()).unwrap();
    emu.allow_dag_switch(pid, "switcher", &["", "test_dag"])
        .unwrap();
    let s = Client::new(emu.url(), &switcher).unwrap();
    done.record("switch_dag", s.switch_dag().dag("test_dag").send().await);
    done.record("delete_dags", c.delete_dags().dags(["site_b"]).send().await);
    done.record(
        "delete_user_roles",
        c.delete_user_roles().roles([role]).send().await,
    );
    done.record(
        "delete_users",
        c.delete_users().users(["alice"]).send().await,
    );

    // The project as XML, a new project from it, and the last record deleted.
    let xml = done.record("export_project_xml", c.export_project_xml().send().await);
    let super_client = Client::new(emu.url(), emu.super_token()).unwrap();
    done.record(
        "create_project",
        super_client
            .create_project()
            .data(Payload::json_text(
                r#"[{"project_title":"Copy","purpose":"0"}]"#,
            ))
            .odm(xml.unwrap_or_default())
            .send()
            .await,
    );
    done.record(
        "delete_records",
        c.delete_records().records(["101"]).send().await,
    );

    // Every spec method was called, and each was answered as REDCap answers it.
    let spec = redcap_api_spec::load().expect("the spec loads");
    let in_spec: BTreeSet<&str> = spec.methods().map(|m| m.name.as_str()).collect();
    let called: BTreeSet<&str> = done.0.iter().map(|(name, _)| *name).collect();
    assert_eq!(called, in_spec, "calls here and methods of the spec");
    let failures: Vec<String> = done
        .0
        .iter()
        .filter_map(|(name, outcome)| match outcome {
            Ok(()) => None,
            // REDCap's own answer: the doctest project has no descriptive field,
            // the only kind that carries an attachment.
            Err(error)
                if *name == "export_field_attachment"
                    && error.status() == Some(400)
                    && error.api_message()
                        == Some("The field 'field_1' is not a 'descriptive' field") =>
            {
                None
            }
            Err(error) => Some(format!("{name}: {error}")),
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
