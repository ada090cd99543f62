//! Whole-project exports of the wide project (about 200 columns) through the emulator:
//! one raw request (the server's own time), the typed bulk export, `cargo redcap export`
//! (wall time and peak memory of its process) and, when `PYCAP_PYTHON` names a Python with
//! PyCap and pandas, PyCap's `export_records(format_type="df")`.
//!
//! `scripts/bench-export.sh` builds everything in release mode and runs it; `BENCH_ROWS`
//! sets the record count (50 000 by default).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use redcap_client::bulk::ExportOptions;
use redcap_client::{Client, Payload};
use redcap_tests::wide;

fn main() {
    let records: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let dir = std::env::temp_dir().join(format!("redcap-bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dictionary = dir.join("wide.csv");
    std::fs::write(&dictionary, wide::DICTIONARY).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(
            redcap_emulator::Config::default().project("wide", &dictionary),
        ))
        .unwrap();
    let url = emulator.url().to_string();
    let token = emulator.token("wide").unwrap().to_string();
    let client = Client::new(&url, &token).unwrap();

    let loading = Instant::now();
    runtime.block_on(async {
        for first in (1..=records).step_by(2_000) {
            let count = 2_000.min(records + 1 - first);
            client
                .import_records()
                .data(Payload::csv(wide::import_csv(first, count)))
                .send()
                .await
                .unwrap();
        }
    });
    println!(
        "loaded {records} records ({} columns) in {:.1} s",
        <wide::Row as redcap_client::records::FlatRow>::COLUMNS.len(),
        loading.elapsed().as_secs_f64()
    );

    let (server, bytes) = timed(|| {
        runtime.block_on(async {
            client
                .export_records()
                .send_raw(redcap_client::params::DataFormat::Csv)
                .await
                .unwrap()
                .body()
                .len()
        })
    });
    println!(
        "one raw CSV request (the server's time):  {:6.2} s  {:.0} MB ({:.0} MB/s)",
        server.as_secs_f64(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / server.as_secs_f64()
    );
    let (server_json, _) = timed(|| {
        runtime.block_on(async {
            client
                .export_records()
                .send_raw(redcap_client::params::DataFormat::Json)
                .await
                .unwrap()
                .body()
                .len()
        })
    });
    println!(
        "one raw JSON request (the server's time): {:6.2} s",
        server_json.as_secs_f64()
    );

    let (typed, rows) = timed(|| {
        runtime.block_on(async {
            let mut rows = 0usize;
            client
                .export_all_typed::<wide::Row>(&ExportOptions::new(), |_| rows += 1)
                .await
                .unwrap();
            rows
        })
    });
    assert_eq!(rows, records);
    println!(
        "typed bulk export (export_all_typed):      {:6.2} s",
        typed.as_secs_f64()
    );

    let binary = std::env::var_os("CARGO_REDCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/cargo-redcap"));
    let out = dir.join("export.csv");
    let mut cli = None;
    if binary.exists() {
        let output = Command::new("/usr/bin/time")
            .args(["-f", "%e %M"])
            .arg(&binary)
            .args([
                "redcap", "export", "--url", &url, "--token", &token, "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        let last = stderr.lines().last().unwrap_or_default();
        let mut parts = last.split_whitespace();
        let seconds: f64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let peak_kib: u64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        for line in stderr.lines().filter(|line| line.starts_with("exported")) {
            println!("  {line}");
        }
        println!(
            "cargo redcap export --format csv:          {seconds:6.2} s  peak {:.1} MiB{}",
            peak_kib as f64 / 1024.0,
            if peak_kib < 64 * 1024 {
                " (under 64 MiB)"
            } else {
                " (OVER 64 MiB)"
            }
        );
        cli = Some(Duration::from_secs_f64(seconds));
    } else {
        println!(
            "cargo redcap export: {} not built (cargo build --release -p cargo-redcap)",
            binary.display()
        );
    }

    if let Some(python) = std::env::var_os("PYCAP_PYTHON") {
        let script = "import sys, time\nfrom redcap import Project\nstart = time.perf_counter()\nframe = Project(sys.argv[1], sys.argv[2]).export_records(format_type='df')\nprint(time.perf_counter() - start, len(frame))\n";
        let output = Command::new(python)
            .args(["-c", script, &url, &token])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut parts = stdout.split_whitespace();
        let pycap: f64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let frame_rows = parts.next().unwrap_or("?");
        println!("PyCap export_records(format_type=\"df\"):   {pycap:6.2} s  ({frame_rows} rows)");
        println!(
            "typed export is {:.2}x faster than PyCap",
            pycap / typed.as_secs_f64()
        );
        if let Some(cli) = cli {
            println!(
                "cargo redcap export is {:.2}x faster than PyCap",
                pycap / cli.as_secs_f64()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn timed<T>(run: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = run();
    (start.elapsed(), value)
}
