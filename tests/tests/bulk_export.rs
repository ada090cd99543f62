//! Bulk exports through the emulator: `export_all` (raw and typed) and `cargo redcap
//! export` on a project of a few thousand records.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use redcap_client::bulk::{ExportOptions, RawFormat};
use redcap_client::{Client, Payload, RetryPolicy};
use redcap_tests::wide;

/// An emulator on its own runtime thread serving the wide project with `records` records.
struct Served {
    emulator: redcap_emulator::Emulator,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("redcap-bulk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn serve(name: &str, records: usize, config: redcap_emulator::Config) -> Served {
    let dir = TempDir::new(name);
    let dictionary = dir.0.join("wide.csv");
    std::fs::write(&dictionary, wide::DICTIONARY).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(
            config.project("wide", &dictionary),
        ))
        .unwrap();
    let client = fast_client(emulator.url(), emulator.token("wide").unwrap());
    runtime.block_on(async {
        for first in (1..=records).step_by(500) {
            let count = 500.min(records + 1 - first);
            client
                .import_records()
                .data(Payload::csv(wide::import_csv(first, count)))
                .send()
                .await
                .unwrap();
        }
    });
    Served {
        emulator,
        runtime,
        _dir: dir,
    }
}

/// A client with short backoffs and no rate limit to wait for.
fn fast_client(url: &str, token: &str) -> Client {
    Client::builder()
        .url(url)
        .token(token)
        .requests_per_minute(100_000)
        .retry_policy(
            RetryPolicy::default().delays(Duration::from_millis(5), Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

fn cli(args: &[&str]) -> (std::process::ExitCode, String, String) {
    let mut argv = vec!["cargo", "redcap"];
    argv.extend_from_slice(args);
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(argv);
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let code = cargo_redcap::run(parsed, &mut stdout, &mut stderr);
    (
        code,
        String::from_utf8(stdout).unwrap(),
        String::from_utf8(stderr).unwrap(),
    )
}

#[test]
fn batched_exports_equal_one_request() {
    let served = serve("plain", 300, redcap_emulator::Config::default());
    let client = fast_client(
        served.emulator.url(),
        served.emulator.token("wide").unwrap(),
    );
    served.runtime.block_on(async {
        let whole = client
            .export_records()
            .send_raw(redcap_client::params::DataFormat::Csv)
            .await
            .unwrap();
        let options = ExportOptions::new().batch_size(37).concurrency(3);
        let mut csv = Vec::new();
        let progress = client
            .export_all(&options, RawFormat::Csv, &mut csv)
            .await
            .unwrap();
        assert_eq!(progress.records_done, 300);
        assert_eq!(progress.batches, 9);
        assert_eq!(String::from_utf8(csv).unwrap(), whole.text().unwrap());

        let mut json = Vec::new();
        client
            .export_all(&options, RawFormat::Json, &mut json)
            .await
            .unwrap();
        let rows: Vec<redcap_client::Row> = serde_json::from_slice(&json).unwrap();
        assert_eq!(rows.len(), 300);

        let mut ndjson = Vec::new();
        client
            .export_all(&options, RawFormat::Ndjson, &mut ndjson)
            .await
            .unwrap();
        let lines: Vec<redcap_client::Row> = String::from_utf8(ndjson)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines, rows);

        let mut typed = Vec::new();
        client
            .export_all_typed::<wide::Row>(&options, |row| typed.push(row))
            .await
            .unwrap();
        let single: Vec<wide::Row> = redcap_client::records::decode_csv(
            whole.body(),
            redcap_client::records::DecodeMode::Strict,
        )
        .unwrap();
        assert!(typed == single, "typed batches equal one typed decode");

        let filtered = ExportOptions::new()
            .records(["5", "6", "7", "250"])
            .fields(["f1_int_0"])
            .batch_size(2);
        let mut out = Vec::new();
        let progress = client
            .export_all(&filtered, RawFormat::Csv, &mut out)
            .await
            .unwrap();
        assert_eq!(progress.batches, 2);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().next(), Some("record_id,f1_int_0"));
        assert_eq!(text.lines().count(), 5, "{text}");
    });
}

#[test]
fn the_cli_writes_the_file_and_a_summary() {
    let served = serve("cli", 120, redcap_emulator::Config::default());
    let dir = TempDir::new("cli-out");
    let out = dir.0.join("export.csv");
    let (code, stdout, stderr) = cli(&[
        "export",
        "--url",
        served.emulator.url(),
        "--token",
        served.emulator.token("wide").unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--batch-size",
        "50",
        "--rate",
        "6000",
    ]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.starts_with("exported 120 rows of 120 records in 3 batches, 0 retries"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .count(),
        120
    );
    assert_eq!(
        std::fs::read_dir(&dir.0).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn call_names_a_record_with_a_comma() {
    let served = serve("comma", 0, redcap_emulator::Config::default());
    let url = served.emulator.url();
    let token = served.emulator.token("wide").unwrap();
    let (code, _, stderr) = cli(&[
        "call",
        "import_records",
        "--url",
        url,
        "--token",
        token,
        "format=csv",
        "data=record_id,f1_int_0\n\"a,b\",1\nc,2\n",
    ]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{stderr}");
    let (code, stdout, stderr) = cli(&[
        "call",
        "export_records",
        "--url",
        url,
        "--token",
        token,
        "format=csv",
        "fields=record_id",
        r"records=a\,b",
        "records=c",
    ]);
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{stderr}");
    assert_eq!(stdout, "record_id\n\"a,b\"\nc\n");
}

#[test]
fn cli_errors_show_their_causes() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/api/");
    let (code, _, stderr) = cli(&[
        "call",
        "export_version",
        "--url",
        &url,
        "--token",
        "A1B2C3D4E5F60718293A4B5C6D7E8F90",
    ]);
    assert_ne!(code, std::process::ExitCode::SUCCESS);
    // The client's message, then what the transport said under it.
    let message = stderr.trim_end();
    assert!(
        message.starts_with("error: could not reach REDCap for export_version: "),
        "{message}"
    );
    assert!(message.matches(": ").count() >= 2, "{message}");
    assert!(!message.contains("A1B2C3D4E5F60718293A4B5C6D7E8F90"));
}
