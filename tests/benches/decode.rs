//! Typed decode of a wide flat export, measured against decoding the same bytes into
//! `serde_json::Value` in the same run, plus CSV throughput and the peak memory of a
//! streamed decode. `cargo bench -p redcap-tests` (`BENCH_ROWS` sets the row count,
//! 50 000 by default).

use std::io::Write;
use std::time::{Duration, Instant};

use redcap_client::Row;
use redcap_client::records::{DecodeMode, FlatRow, decode_csv, decode_json, decode_json_stream};
use redcap_tests::wide;

/// A small deterministic generator (xorshift), so every run decodes the same data.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One export row of the wide project, about 30 % of values blank.
fn row(random: &mut Random, record: usize) -> Row {
    let mut row = Row::new();
    for column in wide::Row::COLUMNS {
        let blank = random.below(10) < 3 && *column != "record_id";
        let value = if *column == "record_id" {
            record.to_string()
        } else if blank {
            String::new()
        } else if column.contains("_radio_") {
            (1 + random.below(5)).to_string()
        } else if column.contains("_yesno_") || column.contains("_check_") {
            random.below(2).to_string()
        } else if column.contains("_date_") {
            format!(
                "20{:02}-{:02}-{:02}",
                random.below(25),
                1 + random.below(12),
                1 + random.below(28)
            )
        } else if column.ends_with("_when") {
            format!(
                "2024-0{}-1{} 0{}:3{}",
                1 + random.below(9),
                random.below(9),
                random.below(9),
                random.below(9)
            )
        } else if column.contains("_int_") {
            random.below(100_000).to_string()
        } else if column.contains("_num_") || column.ends_with("_calc") {
            format!("{}.{}", random.below(1000), random.below(100))
        } else if column.ends_with("_complete") {
            random.below(3).to_string()
        } else if column.contains("_note") {
            "Noted on arrival, \"stable\".\nSeen again by Dr. Søren Müller".to_string()
        } else {
            format!("Text {} with ünïcode", random.below(1_000_000))
        };
        row.insert(*column, value);
    }
    row
}

fn csv_text(rows: &[Row]) -> String {
    let mut writer = csv_writer();
    writer.push_str(&wide::Row::COLUMNS.join(","));
    writer.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|(_, value)| {
                if value.contains([',', '"', '\n']) {
                    format!("\"{}\"", value.replace('"', "\"\""))
                } else {
                    value.to_string()
                }
            })
            .collect();
        writer.push_str(&cells.join(","));
        writer.push('\n');
    }
    writer
}

fn csv_writer() -> String {
    String::with_capacity(64 << 20)
}

/// The fastest of three runs.
fn best<T>(mut run: impl FnMut() -> T) -> Duration {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(run());
            start.elapsed()
        })
        .min()
        .expect("three runs")
}

/// Peak resident memory of this process, from `/proc/self/status`, in KiB.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Child mode: decode the file at `path` one way and print the peak memory.
fn child(mode: &str, path: &str) {
    let count = match mode {
        "stream" => {
            let file =
                std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).unwrap());
            let mut rows = 0usize;
            decode_json_stream::<wide::Row, _>(file, DecodeMode::Strict, &mut |row| {
                std::hint::black_box(row);
                rows += 1;
            })
            .unwrap()
        }
        _ => {
            let bytes = std::fs::read(path).unwrap();
            decode_json::<wide::Row>(&bytes, DecodeMode::Strict)
                .unwrap()
                .len()
        }
    };
    println!("{count} {}", peak_kib().unwrap_or(0));
}

fn run_child(mode: &str, path: &std::path::Path) -> (usize, u64) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--child", mode, path.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let count = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let peak = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (count, peak)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        child(&args[2], &args[3]);
        return;
    }
    // `--time-json FILE`: the best of three typed decodes of that body, in seconds, for
    // scripts/json-loads-ratio.sh to set beside CPython's `json.loads` of the same file.
    if args.get(1).map(String::as_str) == Some("--time-json") {
        let bytes = std::fs::read(&args[2]).unwrap();
        let typed = best(|| decode_json::<wide::Row>(&bytes, DecodeMode::Strict).unwrap());
        println!("{}", typed.as_secs_f64());
        return;
    }
    // `cargo bench` passes `--bench`; any other flag (as from `cargo test`) runs a small size.
    let rows_wanted: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if args.iter().any(|a| a == "--bench") {
            50_000
        } else {
            500
        });
    let mut random = Random(0x5eed_cafe);
    let rows: Vec<Row> = (0..rows_wanted).map(|i| row(&mut random, i + 1)).collect();
    let json = serde_json::to_vec(&rows).unwrap();
    // `BENCH_WRITE_JSON=FILE` writes the export and stops, for profiling one decode alone.
    if let Some(path) = std::env::var_os("BENCH_WRITE_JSON") {
        std::fs::write(path, &json).unwrap();
        return;
    }
    let csv = csv_text(&rows);
    drop(rows);
    println!(
        "wide export: {rows_wanted} rows x {} columns; JSON {:.1} MB, CSV {:.1} MB",
        wide::Row::COLUMNS.len(),
        json.len() as f64 / 1e6,
        csv.len() as f64 / 1e6
    );

    let value = best(|| serde_json::from_slice::<serde_json::Value>(&json).unwrap());
    let typed = best(|| decode_json::<wide::Row>(&json, DecodeMode::Strict).unwrap());
    let typed_csv = best(|| decode_csv::<wide::Row>(csv.as_bytes(), DecodeMode::Strict).unwrap());
    let per_second = |d: Duration| rows_wanted as f64 / d.as_secs_f64();
    println!(
        "serde_json::Value (baseline): {value:>10.2?}  {:>10.0} rows/s",
        per_second(value)
    );
    println!(
        "typed JSON decode:            {typed:>10.2?}  {:>10.0} rows/s",
        per_second(typed)
    );
    println!(
        "typed CSV decode:             {typed_csv:>10.2?}  {:>10.0} rows/s",
        per_second(typed_csv)
    );
    println!(
        "ratio typed JSON vs Value: {:.2}x faster",
        value.as_secs_f64() / typed.as_secs_f64()
    );

    let path = std::env::temp_dir().join(format!("redcap-bench-{}.json", std::process::id()));
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&json)
        .unwrap();
    let (streamed, stream_peak) = run_child("stream", &path);
    let (loaded, memory_peak) = run_child("memory", &path);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        (streamed, loaded),
        (rows_wanted, rows_wanted),
        "both decodes saw every row"
    );
    println!(
        "peak memory: streamed {:.1} MB, whole body in memory {:.1} MB (ratio {:.2})",
        stream_peak as f64 / 1024.0,
        memory_peak as f64 / 1024.0,
        stream_peak as f64 / memory_peak.max(1) as f64
    );
}
