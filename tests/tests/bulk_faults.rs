//! Every fault the emulator can inject, against `export_all` (raw CSV) and
//! `export_all_typed`: each export ends with exactly the rows of a fault-free export, or
//! with a typed error naming what happened. Never a partial result reported as success.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use redcap_client::bulk::{ExportOptions, RawFormat};
use redcap_client::{Client, Error, Incompleteness, Payload, TimeoutKind};
use redcap_emulator::{Config, Emulator, Faults};
use redcap_tests::wide;

const RECORDS: usize = 30;

/// The data every emulator here serves, written once.
fn dictionary() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("redcap-bulk-faults-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wide.csv");
        std::fs::write(&path, wide::DICTIONARY).unwrap();
        path
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The shared quick test client, for this file's project.
fn client(emulator: &Emulator) -> Client {
    redcap_tests::quick_client(emulator.url(), emulator.token("wide").unwrap())
}

/// A client with the default limits, to load data however busy the machine is.
fn loader(emulator: &Emulator) -> Client {
    Client::builder()
        .url(emulator.url())
        .token(emulator.token("wide").unwrap())
        .requests_per_minute(100_000)
        .build()
        .unwrap()
}

/// An emulator with `faults` (which only count `export_records`), loaded with the data.
async fn emulator(faults: &str) -> Emulator {
    let faults = Faults::from_json(faults).unwrap();
    let emulator = Emulator::start(
        Config::default()
            .project("wide", dictionary())
            .faults(faults),
    )
    .await
    .unwrap();
    loader(&emulator)
        .import_records()
        .data(Payload::csv(wide::import_csv(1, RECORDS)))
        .send()
        .await
        .unwrap();
    emulator
}

/// Small batches, so that faults land on batches as well as on the record list.
fn options() -> ExportOptions {
    ExportOptions::new().batch_size(4).concurrency(2)
}

/// The fault-free exports, raw and typed.
fn reference() -> &'static (String, Vec<wide::Row>) {
    static REFERENCE: OnceLock<(String, Vec<wide::Row>)> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        runtime().block_on(async {
            let emulator = emulator(r#"{"faults": []}"#).await;
            let client = client(&emulator);
            let mut csv = Vec::new();
            client
                .export_all(&options(), RawFormat::Csv, &mut csv)
                .await
                .unwrap();
            let mut rows = Vec::new();
            client
                .export_all_typed::<wide::Row>(&options(), |row| rows.push(row))
                .await
                .unwrap();
            assert_eq!(rows.len(), RECORDS);
            (String::from_utf8(csv).unwrap(), rows)
        })
    })
}

/// What one export came to.
struct Outcome {
    raw: Result<(String, u64), Error>,
    typed: Result<(Vec<wide::Row>, u64), Error>,
}

/// Runs the raw and the typed export, each against its own emulator with `faults`.
fn export_with(faults: &str) -> Outcome {
    let runtime = runtime();
    let raw = runtime.block_on(async {
        let emulator = emulator(faults).await;
        let mut csv = Vec::new();
        let progress = client(&emulator)
            .export_all(&options(), RawFormat::Csv, &mut csv)
            .await?;
        Ok((String::from_utf8(csv).unwrap(), progress.retries))
    });
    let typed = runtime.block_on(async {
        let emulator = emulator(faults).await;
        let mut rows = Vec::new();
        let progress = client(&emulator)
            .export_all_typed::<wide::Row>(&options(), |row| rows.push(row))
            .await?;
        Ok((rows, progress.retries))
    });
    Outcome { raw, typed }
}

/// Both exports complete and equal to the fault-free ones, after at least one retry.
fn assert_complete(faults: &str) {
    let (csv, rows) = reference();
    let outcome = export_with(faults);
    let (raw, raw_retries) = outcome.raw.unwrap_or_else(|e| panic!("{faults}: raw: {e}"));
    assert!(
        raw == *csv,
        "{faults}: the raw export differs from a fault-free one"
    );
    assert!(raw_retries > 0, "{faults}: the raw export saw no fault");
    let (typed, typed_retries) = outcome
        .typed
        .unwrap_or_else(|e| panic!("{faults}: typed: {e}"));
    assert!(
        typed == *rows,
        "{faults}: the typed export differs from a fault-free one"
    );
    assert!(typed_retries > 0, "{faults}: the typed export saw no fault");
}

/// Both exports fail, and `check` accepts the error.
fn assert_fails(faults: &str, check: impl Fn(&Error) -> bool) {
    let outcome = export_with(faults);
    match outcome.raw {
        Ok(_) => panic!("{faults}: the raw export reported success"),
        Err(error) => assert!(check(&error), "{faults}: raw: {error:?}"),
    }
    match outcome.typed {
        Ok(_) => panic!("{faults}: the typed export reported success"),
        Err(error) => assert!(check(&error), "{faults}: typed: {error:?}"),
    }
}

#[test]
fn status_503_every_third_request() {
    assert_complete(
        r#"{"faults": [{"kind": "status", "status": 503, "method": "export_records", "every": 3}]}"#,
    );
}

#[test]
fn status_500_from_php() {
    assert_complete(
        r#"{"faults": [{"kind": "status", "status": 500, "method": "export_records", "times": 2}]}"#,
    );
}

#[test]
fn status_400_is_not_retried() {
    assert_fails(
        r#"{"faults": [{"kind": "status", "status": 400, "message": "bad", "method": "export_records", "times": 1}]}"#,
        |error| matches!(error, Error::Api { status: 400, .. }),
    );
}

#[test]
fn retry_after() {
    let started = Instant::now();
    assert_complete(
        r#"{"faults": [{"kind": "retry_after", "status": 429, "seconds": 1, "method": "export_records", "times": 2}]}"#,
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After was honoured"
    );
}

#[test]
fn a_hang_is_timed_out_and_retried() {
    assert_complete(
        r#"{"faults": [{"kind": "hang", "seconds": 5, "method": "export_records", "times": 1}]}"#,
    );
}

#[test]
fn a_server_that_keeps_hanging_fails_naming_the_timeout() {
    assert_fails(
        r#"{"faults": [{"kind": "hang", "seconds": 8, "method": "export_records", "every": 1}]}"#,
        |error| {
            matches!(
                error,
                Error::Timeout {
                    kind: TimeoutKind::FirstByte(_),
                    ..
                }
            )
        },
    );
}

/// A server that answers the record lists and then stops answering: the export gives up
/// after a few halvings instead of halving a batch of 16 down to one record and sending
/// that alone again (15 requests or more; giving up takes 10 here). A second rule answers
/// 400 to any batch request past 12, so asking for more shows as the wrong error.
#[test]
fn a_server_that_stops_answering_mid_export_is_given_up_on() {
    let faults = r#"{"faults": [
        {"kind": "hang", "seconds": 2, "method": "export_records", "after": 2, "times": 12},
        {"kind": "status", "status": 400, "message": "one request too many", "method": "export_records", "every": 1, "after": 2}
    ]}"#;
    let runtime = runtime();
    let error = runtime.block_on(async {
        let emulator = emulator(faults).await;
        let client = Client::builder()
            .url(emulator.url())
            .token(emulator.token("wide").unwrap())
            .requests_per_minute(100_000)
            .first_byte_timeout(Duration::from_millis(300))
            .retry_policy(
                redcap_client::RetryPolicy::default()
                    .delays(Duration::from_millis(5), Duration::from_millis(40)),
            )
            .build()
            .unwrap();
        let options = ExportOptions::new().batch_size(16).concurrency(1);
        let mut csv = Vec::new();
        client
            .export_all(&options, RawFormat::Csv, &mut csv)
            .await
            .expect_err("nothing but the record lists was answered")
    });
    assert!(
        matches!(
            error,
            Error::Timeout {
                kind: TimeoutKind::FirstByte(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_stall_is_timed_out_and_retried() {
    assert_complete(
        r#"{"faults": [{"kind": "stall", "after_bytes": 200, "seconds": 5, "method": "export_records", "every": 4}]}"#,
    );
}

#[test]
fn truncated_bodies_are_fetched_again() {
    assert_complete(
        r#"{"faults": [{"kind": "truncate", "method": "export_records", "every": 3}]}"#,
    );
    assert_complete(
        r#"{"faults": [{"kind": "truncate", "chunked": true, "method": "export_records", "times": 2}]}"#,
    );
}

#[test]
fn an_html_login_page_is_a_failure_not_data() {
    assert_fails(
        r#"{"faults": [{"kind": "html", "method": "export_records", "times": 1}]}"#,
        |error| matches!(error, Error::Failure { .. }),
    );
}

#[test]
fn dropped_records_are_asked_for_again() {
    assert_complete(r#"{"faults": [{"kind": "drop_records", "count": 2, "every": 5}]}"#);
    assert_complete(r#"{"faults": [{"kind": "drop_records", "count": 3, "times": 1}]}"#);
}

#[test]
fn records_that_never_come_back_are_named() {
    assert_fails(
        r#"{"faults": [{"kind": "drop_records", "count": 1, "every": 1}]}"#,
        |error| {
            matches!(
                error,
                Error::Incomplete {
                    problem: Incompleteness::MissingRecords(records),
                } if !records.is_empty()
            ) && error.to_string().contains("did not come back")
        },
    );
}

#[test]
fn out_of_memory_splits_batches() {
    assert_complete(
        r#"{"faults": [{"kind": "server_memory", "method": "export_records", "every": 3}]}"#,
    );
    assert_complete(
        r#"{"faults": [{"kind": "server_memory", "display_errors": true, "method": "export_records", "every": 4}]}"#,
    );
}

#[test]
fn a_ban_stops_the_export_with_its_own_error() {
    assert_fails(
        r#"{"faults": [{"kind": "ban", "per_minute": 6}]}"#,
        |error| {
            matches!(error, Error::Banned { .. }) && error.to_string().contains("administrator")
        },
    );
}

/// A narrow project of 2,000 records for the command line.
const NARROW: &str = "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation
record_id,main,,text,ID,,,,,,,,,,,,,
age,main,,text,Age,,,integer,,,,,,,,,,
note,main,,notes,Note,,,,,,,,,,,,,
";

async fn narrow_emulator(faults: &str) -> Emulator {
    let path = dictionary().with_file_name("narrow.csv");
    std::fs::write(&path, NARROW).unwrap();
    let emulator = Emulator::start(
        Config::default()
            .project("wide", &path)
            .faults(Faults::from_json(faults).unwrap()),
    )
    .await
    .unwrap();
    let mut csv = String::from("record_id,age,note\n");
    for record in 1..=2_000 {
        csv.push_str(&format!(
            "{record},{},\"line one, {record}\nline two\"\n",
            record % 90
        ));
    }
    loader(&emulator)
        .import_records()
        .data(Payload::csv(csv))
        .send()
        .await
        .unwrap();
    emulator
}

/// Runs `cargo redcap export` against a fresh narrow emulator with `faults`.
fn cli_export(faults: &str, out: &std::path::Path, extra: &[&str]) -> (bool, String, Duration) {
    use clap::Parser;
    let runtime = runtime();
    let emulator = runtime.block_on(narrow_emulator(faults));
    let mut argv = vec![
        "cargo",
        "redcap",
        "export",
        "--url",
        emulator.url(),
        "--token",
        emulator.token("wide").unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-size",
        "100",
        "--rate",
        "100000",
    ];
    argv.extend_from_slice(extra);
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(argv);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let started = Instant::now();
    let code = cargo_redcap::run(parsed, &mut stdout, &mut stderr);
    let elapsed = started.elapsed();
    assert!(stdout.is_empty());
    (
        code == std::process::ExitCode::SUCCESS,
        String::from_utf8(stderr).unwrap(),
        elapsed,
    )
}

#[test]
fn the_cli_export_survives_faults_and_counts_its_retries() {
    let dir = dictionary().with_file_name("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let clean = dir.join("clean.csv");
    let (ok, summary, _) = cli_export(r#"{"faults": []}"#, &clean, &[]);
    assert!(ok, "{summary}");
    assert!(summary.contains(" 0 retries"), "{summary}");

    let faulty = dir.join("faulty.csv");
    let faults = r#"{"faults": [
        {"kind": "status", "status": 503, "method": "export_records", "every": 5},
        {"kind": "drop_records", "count": 3, "times": 1},
        {"kind": "truncate", "method": "export_records", "times": 1},
        {"kind": "retry_after", "status": 503, "seconds": 1, "method": "export_records", "times": 1}
    ]}"#;
    let (ok, summary, _) = cli_export(faults, &faulty, &[]);
    assert!(ok, "{summary}");
    assert!(
        summary.starts_with("exported 2000 rows of 2000 records in 20 batches"),
        "{summary}"
    );
    let retries: u64 = summary
        .split(", ")
        .find_map(|part| part.strip_suffix(" retries")?.parse().ok())
        .unwrap_or_else(|| panic!("no retry count in {summary}"));
    assert!(retries >= 4, "{summary}");
    assert!(
        std::fs::read(&clean).unwrap() == std::fs::read(&faulty).unwrap(),
        "the export through faults equals the fault-free one"
    );
}

#[test]
fn the_cli_export_of_a_hanging_server_fails_fast_and_leaves_no_file() {
    let dir = dictionary().with_file_name("hang");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("never.csv");
    let (ok, stderr, elapsed) = cli_export(
        r#"{"faults": [{"kind": "hang", "seconds": 60, "method": "export_records", "every": 1}]}"#,
        &out,
        &["--timeout", "5"],
    );
    assert!(!ok);
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
    assert!(stderr.contains("first-byte timeout"), "{stderr}");
    assert!(stderr.contains("5 s"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no temporary file"
    );
}

#[test]
fn call_fails_on_a_login_page_sent_with_200() {
    use clap::Parser;
    let runtime = runtime();
    let emulator = runtime.block_on(async {
        Emulator::start(
            Config::default().project("wide", dictionary()).faults(
                Faults::from_json(
                    r#"{"faults": [{"kind": "html", "method": "export_version", "times": 1}]}"#,
                )
                .unwrap(),
            ),
        )
        .await
        .unwrap()
    });
    let argv = [
        "cargo",
        "redcap",
        "call",
        "export_version",
        "--url",
        emulator.url(),
        "--token",
        emulator.token("wide").unwrap(),
    ];
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(argv);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = cargo_redcap::run(parsed, &mut stdout, &mut stderr);
    let stderr = String::from_utf8(stderr).unwrap();
    assert_ne!(code, std::process::ExitCode::SUCCESS);
    assert!(
        stdout.is_empty(),
        "nothing printed as if it were the answer"
    );
    assert!(
        stderr.starts_with("error: REDCap reported a failure for export_version with HTTP 200"),
        "{stderr}"
    );
}
