//! `import_all` through the emulator's faults: 5,000 records in batches arrive exactly
//! once through retried failures, an import stopped midway resumes from its journal, and
//! a `forceAutoNumber` batch that hangs ends in `OutcomeUnknown` without a second send.

use std::path::PathBuf;

use redcap_client::import::ImportOptions;
use redcap_client::{Client, Error, Row};
use redcap_emulator::{Config, Emulator, Faults};
use redcap_schema::ProjectSchema;

const DICTIONARY: &str = "\
Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation
record_id,intake,,text,Record ID,,,,,,,,,,,,,
name,intake,,text,Name,,,,,,,,,,,,,
weight,intake,,text,Weight,,,integer,,,,,,,,,,
";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("redcap-bulk-import-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The project's schema, with record auto-numbering as asked, written where the
/// emulator reads it.
fn project(dir: &std::path::Path, autonumbering: bool) -> (ProjectSchema, PathBuf) {
    let mut schema = redcap_schema::read(DICTIONARY.as_bytes(), "dictionary.csv").unwrap();
    schema.project.record_autonumbering = Some(autonumbering);
    let path = dir.join("schema.json");
    std::fs::write(&path, redcap_schema::to_snapshot(&schema)).unwrap();
    (schema, path)
}

async fn emulator(schema: &std::path::Path, faults: &str) -> Emulator {
    Emulator::start(
        Config::default()
            .project("p", schema)
            .faults(Faults::from_json(faults).unwrap()),
    )
    .await
    .unwrap()
}

/// The shared quick test client, for this file's project.
fn client(emulator: &Emulator) -> Client {
    redcap_tests::quick_client(emulator.url(), emulator.token("p").unwrap())
}

fn rows(records: usize) -> Vec<Row> {
    (1..=records)
        .map(|n| {
            [
                ("record_id", n.to_string()),
                ("name", format!("name {n}")),
                ("weight", (n % 150).to_string()),
            ]
            .into_iter()
            .collect()
        })
        .collect()
}

/// Every stored row, sorted by record.
async fn stored(client: &Client) -> Vec<Row> {
    let mut rows = client.export_records().send().await.unwrap();
    rows.sort_by_key(|r| r.get("record_id").unwrap().parse::<u64>().unwrap());
    rows
}

fn assert_exactly(stored: &[Row], expected: &[Row]) {
    assert_eq!(stored.len(), expected.len());
    for (got, want) in stored.iter().zip(expected) {
        for column in ["record_id", "name", "weight"] {
            assert_eq!(got.get(column), want.get(column), "{column}");
        }
    }
}

/// How many times the log shows each record created.
async fn creations(client: &Client) -> std::collections::HashMap<String, usize> {
    let log = client.export_logging().send().await.unwrap();
    let mut counts = std::collections::HashMap::new();
    for entry in log {
        if entry.action.starts_with("Create record") {
            *counts.entry(entry.record).or_default() += 1;
        }
    }
    counts
}

#[test]
fn five_thousand_records_through_faults_arrive_exactly_once() {
    let dir = scratch("faults");
    let (schema, path) = project(&dir, false);
    runtime().block_on(async {
        // A busy server (503 with Retry-After) every fourth import, and one answer cut
        // short after REDCap committed the batch: both retried, neither doubles data.
        let emulator = emulator(
            &path,
            r#"{"faults": [
                {"kind": "retry_after", "status": 503, "seconds": 0, "method": "import_records", "every": 4},
                {"kind": "truncate", "method": "import_records", "times": 1, "after": 5}
            ]}"#,
        )
        .await;
        let client = client(&emulator);
        let rows = rows(5_000);
        let report = client
            .import_all(&schema, &rows, &ImportOptions::new().batch_size(250))
            .await
            .unwrap();
        assert_eq!(report.batches, 20);
        assert_eq!(report.records, 5_000);
        assert!(client.retries() >= 5, "{} retries", client.retries());
        assert_exactly(&stored(&client).await, &rows);
        let created = creations(&client).await;
        assert_eq!(created.len(), 5_000);
        assert!(created.values().all(|&n| n == 1));
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_import_stopped_midway_resumes_from_its_journal() {
    let dir = scratch("resume");
    let (schema, path) = project(&dir, false);
    let journal = dir.join("import.journal");
    runtime().block_on(async {
        // The sixth batch is refused once (not retried: a 400 is final).
        let emulator = emulator(
            &path,
            r#"{"faults": [{"kind": "status", "status": 400, "method": "import_records", "times": 1, "after": 5}]}"#,
        )
        .await;
        let client = client(&emulator);
        let rows = rows(1_000);
        let options = ImportOptions::new().batch_size(100).journal(&journal);
        let error = client.import_all(&schema, &rows, &options).await.unwrap_err();
        assert!(matches!(error, Error::Api { status: 400, .. }), "{error}");
        assert_eq!(stored(&client).await.len(), 500);
        let error = client.import_all(&schema, &rows, &options).await.unwrap_err();
        assert!(matches!(error, Error::Journal { .. }), "{error}");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        let resumed = options
            .clone()
            .resume(true)
            .on_progress(move |p| log.lock().unwrap().push((p.batches_done, p.records_done)));
        let report = client.import_all(&schema, &rows, &resumed).await.unwrap();
        assert_eq!((report.batches, report.resumed_batches), (10, 5));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 10);
        assert_eq!(seen.last(), Some(&(10, 1_000)));
        assert_eq!(report.count, 1_000);
        assert_exactly(&stored(&client).await, &rows);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_hanging_auto_numbered_batch_is_outcome_unknown_and_never_sent_twice() {
    let dir = scratch("auto");
    let (schema, path) = project(&dir, true);
    let journal = dir.join("auto.journal");
    runtime().block_on(async {
        // The first import request hangs; any second one would succeed.
        let emulator = emulator(
            &path,
            r#"{"faults": [{"kind": "hang", "seconds": 4, "method": "import_records", "times": 1}]}"#,
        )
        .await;
        let client = client(&emulator);
        let rows = rows(20);
        let options = ImportOptions::new()
            .force_auto_number(true)
            .batch_size(10)
            .journal(&journal);
        let error = client.import_all(&schema, &rows, &options).await.unwrap_err();
        let Error::OutcomeUnknown { batch, first, last, records, .. } = &error else {
            panic!("{error}");
        };
        assert_eq!((*batch, first.as_str(), last.as_str(), *records), (1, "1", "10", 10));
        assert!(error.to_string().contains("Logging"), "{error}");
        assert_eq!(client.retries(), 0);
        assert!(stored(&client).await.is_empty(), "the batch was sent again");
        // Resuming does not send the batch whose outcome is unknown either.
        let error = client
            .import_all(&schema, &rows, &options.clone().resume(true))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::OutcomeUnknown { batch: 1, .. }), "{error}");
        assert!(stored(&client).await.is_empty());
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
