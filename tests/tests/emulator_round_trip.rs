//! Dictionary → generated types → emulator → typed client, and back: the whole flow over
//! real HTTP, plus `cargo redcap pull` against the emulator.

use std::path::PathBuf;

use clap::Parser;
use redcap_client::Client;
use redcap_client::records::{DecodeMode, FlatRow};
use redcap_tests::longitudinal;

fn project_xml() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml",
    )
}

/// Runs the emulator on its own runtime thread, so blocking callers (the CLI) can use it.
fn emulator() -> (redcap_emulator::Emulator, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = redcap_emulator::Config::default().project("longitudinal", project_xml());
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(config))
        .unwrap();
    (emulator, runtime)
}

#[test]
fn typed_export_and_import_through_the_emulator() {
    let (emulator, runtime) = emulator();
    let client = Client::new(emulator.url(), emulator.token("longitudinal").unwrap()).unwrap();
    runtime.block_on(async {
        let rows: Vec<longitudinal::Row> = client.export_typed().await.unwrap();
        assert!(!rows.is_empty());
        let records = longitudinal::Record::from_rows(rows.clone()).unwrap();
        assert_eq!(records.len(), 3);
        let again: Vec<longitudinal::Row> = records
            .iter()
            .flat_map(longitudinal::Record::to_rows)
            .collect();
        assert_eq!(again.len(), rows.len());

        let outcome = client.import_typed(&rows).await.unwrap();
        assert_eq!(outcome, redcap_client::ImportOutcome::Count(3));
        let after: Vec<longitudinal::Row> =
            client.export_typed_with(DecodeMode::Strict).await.unwrap();
        assert!(
            after == rows,
            "re-importing the exported rows changed nothing"
        );
        assert_eq!(longitudinal::Row::COLUMNS[0], "study_id");
    });
}

#[test]
fn pull_writes_the_live_schema() {
    let (emulator, _runtime) = emulator();
    let dir = std::env::temp_dir().join(format!("redcap-pull-{}", std::process::id()));
    let out = dir.join("redcap/schema.json");
    let args = [
        "cargo",
        "redcap",
        "pull",
        "--url",
        emulator.url(),
        "--token",
        emulator.token("longitudinal").unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(args);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = cargo_redcap::run(parsed, &mut stdout, &mut stderr);
    assert_eq!(
        code,
        std::process::ExitCode::SUCCESS,
        "{}",
        String::from_utf8_lossy(&stderr)
    );
    let pulled = redcap_schema::read_path(&out).unwrap();
    let source = redcap_schema::read_path(&project_xml()).unwrap();
    assert_eq!(pulled.export_columns(), source.export_columns());
    // Day offsets travel only when the Scheduling module is on, so compare the structure.
    let structure = |schema: &redcap_schema::ProjectSchema| -> Vec<(String, u32, Vec<String>)> {
        schema
            .events
            .iter()
            .map(|e| (e.unique_name.clone(), e.arm, e.forms.clone()))
            .collect()
    };
    assert_eq!(structure(&pulled), structure(&source));
    assert_eq!(pulled.record_id_field, source.record_id_field);

    let check = args.iter().copied().chain(["--check"]);
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(check);
    let code = cargo_redcap::run(parsed, &mut Vec::new(), &mut Vec::new());
    assert_eq!(
        code,
        std::process::ExitCode::SUCCESS,
        "a fresh pull is current"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_csv_import_answers_in_the_return_format_the_client_asks_for() {
    let (emulator, runtime) = emulator();
    let client = Client::new(emulator.url(), emulator.token("longitudinal").unwrap()).unwrap();
    runtime.block_on(async {
        let csv = "study_id,redcap_event_name,first_name\n900,enrollment_arm_1,Ada\n";
        let outcome = client
            .import_records()
            .data(redcap_client::Payload::csv(csv))
            .send()
            .await
            .unwrap();
        assert_eq!(outcome, redcap_client::ImportOutcome::Count(1));
    });
}

#[test]
fn diff_compares_a_file_with_the_live_project() {
    let (emulator, _runtime) = emulator();
    let xml = project_xml();
    let args = [
        "cargo",
        "redcap",
        "diff",
        xml.to_str().unwrap(),
        "--live",
        "--url",
        emulator.url(),
        "--token",
        emulator.token("longitudinal").unwrap(),
        "--format",
        "json",
    ];
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(args);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = cargo_redcap::run(parsed, &mut stdout, &mut stderr);
    let report = String::from_utf8_lossy(&stdout);
    assert!(stderr.is_empty(), "{}", String::from_utf8_lossy(&stderr));
    // The emulator serves the same design: no field, form or event changes, so no breaking one.
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{report}");
    assert!(report.contains("redcap-schema-diff/1"), "{report}");
}

/// An export with the DAG and survey columns decodes into the generated `Row` (DAG on the
/// key, identifier and timestamps in `survey`) and encodes back to the same rows.
#[test]
fn dag_and_survey_columns_come_through_typed_rows() {
    use redcap_client::Row;
    use redcap_client::records::{decode_json, encode_rows_as};
    use redcap_tests::corpus::pycap_doctest;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let xml = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../redcap-schema/tests/fixtures/PyCap/tests/data/doctest_project.xml");
    let config = redcap_emulator::Config::default().project("doctest", xml);
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(config))
        .unwrap();
    let pid = emulator.projects()[0].project_id;
    emulator
        .record_survey_response(
            pid,
            "1",
            "event_1_arm_1",
            "form_1",
            1,
            Some("2026-03-01 10:04:55"),
        )
        .unwrap();
    emulator
        .set_participant_identifier(pid, "1", "event_1_arm_1", "form_1", 1, "alice")
        .unwrap();
    emulator
        .record_survey_response(pid, "2", "event_1_arm_1", "form_1", 1, None)
        .unwrap();
    let client = Client::new(emulator.url(), emulator.token("doctest").unwrap()).unwrap();
    runtime.block_on(async {
        let import = r#"[{"record_id":"1","redcap_event_name":"event_1_arm_1","redcap_repeat_instance":"1","redcap_data_access_group":"test_dag"}]"#;
        client
            .import_records()
            .data(redcap_client::Payload::json_text(import))
            .send()
            .await
            .unwrap();
        let body = client
            .export_records()
            .export_survey_fields(true)
            .export_data_access_groups(true)
            .send_raw(redcap_client::params::DataFormat::Json)
            .await
            .unwrap();
        let exported: Vec<Row> = serde_json::from_slice(body.body()).unwrap();
        let columns: Vec<&str> = exported[0].columns().collect();
        assert!(
            columns.contains(&"redcap_survey_identifier")
                && columns.contains(&"form_1_timestamp")
                && columns.contains(&"redcap_data_access_group"),
            "{columns:?}"
        );
        let rows: Vec<pycap_doctest::Row> =
            decode_json(body.body(), DecodeMode::Strict).unwrap();
        let first = rows.iter().find(|r| r.key.record.as_str() == "1").unwrap();
        assert_eq!(first.key.dag.as_deref(), Some("test_dag"));
        assert_eq!(first.survey.identifier.as_deref(), Some("alice"));
        assert_eq!(first.survey.timestamp("form_1"), Some("2026-03-01 10:04:55"));
        let second = rows.iter().find(|r| r.key.record.as_str() == "2").unwrap();
        assert_eq!(second.survey.timestamp("form_1"), Some("[not completed]"));
        let encoded = encode_rows_as(&rows, &columns);
        let exported: Vec<Vec<(&str, &str)>> = exported.iter().map(|r| r.iter().collect()).collect();
        let encoded: Vec<Vec<(&str, &str)>> = encoded.iter().map(|r| r.iter().collect()).collect();
        assert_eq!(encoded, exported);
    });
}
