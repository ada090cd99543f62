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
