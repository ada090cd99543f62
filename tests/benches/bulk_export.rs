//! Whole-project exports of the wide project (about 200 columns) through the emulator,
//! which runs as its own process (`cargo-redcap redcap serve`) so that each client's CPU
//! time is told apart from the server's: one raw request (the server's own time), the
//! typed bulk export, `cargo redcap export` (with its peak memory) and, when
//! `PYCAP_PYTHON` names a Python with PyCap and pandas, PyCap's
//! `export_records(format_type="df")`.
//!
//! Each line gives the wall time, the client's CPU time (user + system) and the server's
//! CPU time during the run. `scripts/bench-export.sh` builds everything in release mode
//! and runs it; `BENCH_ROWS` sets the record count (50 000 by default), `BENCH_REPEAT` the
//! runs of each export (the fastest is kept; 1 by default).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use redcap_client::bulk::ExportOptions;
use redcap_client::{Client, Payload};
use redcap_tests::wide;

/// CPU seconds of a process (user + system) from `/proc`, in clock ticks of 1/100 s.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) close with `)`.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
}

/// One measured run: wall time, the client's CPU, the server's CPU.
#[derive(Clone, Copy)]
struct Run {
    wall: f64,
    client_cpu: f64,
    server_cpu: f64,
}

impl Run {
    fn line(&self, name: &str) -> String {
        format!(
            "{name:<42} {:6.2} s wall  client CPU {:5.2} s  server CPU {:5.2} s",
            self.wall, self.client_cpu, self.server_cpu
        )
    }
}

/// The emulator process; stopped when dropped.
struct Server {
    child: Child,
    pid: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM, so that the emulator removes its temporary database;
        // SIGKILL only when that cannot be sent.
        let terminated = Command::new("kill")
            .arg(&self.pid)
            .status()
            .is_ok_and(|status| status.success());
        if !terminated {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Server {
    fn cpu(&self) -> f64 {
        cpu_seconds(&self.pid)
    }

    /// Runs `work` `repeat` times and keeps the fastest run.
    fn best(&self, repeat: usize, mut work: impl FnMut() -> (f64, f64)) -> Run {
        (0..repeat)
            .map(|_| {
                let server = self.cpu();
                let (wall, client_cpu) = work();
                Run {
                    wall,
                    client_cpu,
                    server_cpu: self.cpu() - server,
                }
            })
            .min_by(|a, b| a.wall.total_cmp(&b.wall))
            .expect("at least one run")
    }
}

fn start_server(binary: &Path, dictionary: &Path) -> (Server, String, String) {
    let mut child = Command::new(binary)
        .args(["redcap", "serve", "--project"])
        .arg(format!("wide={}", dictionary.display()))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {}: {error}", binary.display()));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let start: serde_json::Value = serde_json::from_str(&line).unwrap();
    let url = start["url"].as_str().unwrap().to_string();
    let token = start["projects"]
        .as_array()
        .and_then(|projects| projects.iter().find(|p| p["name"] == "wide"))
        .and_then(|project| project["token"].as_str())
        .unwrap()
        .to_string();
    let pid = child.id().to_string();
    (Server { child, pid }, url, token)
}

/// Runs a command under `/usr/bin/time`: wall seconds, CPU seconds, peak KiB, stdout and
/// the stderr lines before time's own.
fn time_command(command: &mut Command) -> (f64, f64, u64, String, String) {
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S %M"])
        .arg(program)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let (rest, last) = stderr
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", stderr.trim_end()));
    let numbers: Vec<f64> = last
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let [wall, user, system, peak] = numbers[..] else {
        panic!("unexpected output of /usr/bin/time: {last}");
    };
    (
        wall,
        user + system,
        peak as u64,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        rest.to_string(),
    )
}

fn main() {
    let env_number = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let records = env_number("BENCH_ROWS", 50_000);
    let repeat = env_number("BENCH_REPEAT", 1).max(1);
    let binary = std::env::var_os("CARGO_REDCAP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/cargo-redcap"));
    assert!(
        binary.exists(),
        "{} not built (cargo build --release -p cargo-redcap)",
        binary.display()
    );
    let dir = std::env::temp_dir().join(format!("redcap-bench-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dictionary = dir.join("wide.csv");
    std::fs::write(&dictionary, wide::DICTIONARY).unwrap();
    let (server, url, token) = start_server(&binary, &dictionary);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(&url, &token).unwrap();
    let own_cpu = || cpu_seconds("self");

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
        "loaded {records} records ({} columns) in {:.1} s; best of {repeat} run(s) each",
        <wide::Row as redcap_client::records::FlatRow>::COLUMNS.len(),
        loading.elapsed().as_secs_f64()
    );

    let mut bytes = 0;
    let raw = server.best(repeat, || {
        let (cpu, wall) = (own_cpu(), Instant::now());
        bytes = runtime.block_on(async {
            client
                .export_records()
                .send_raw(redcap_client::params::DataFormat::Csv)
                .await
                .unwrap()
                .body()
                .len()
        });
        (wall.elapsed().as_secs_f64(), own_cpu() - cpu)
    });
    println!(
        "{}  {:.0} MB",
        raw.line("one raw CSV request (the server's time)"),
        bytes as f64 / 1e6
    );

    let typed = server.best(repeat, || {
        // A new client each run, as each `cargo redcap export` is a new process: runs
        // one after another on one client would wait on its rate limiter.
        let client = Client::new(&url, &token).unwrap();
        let (cpu, wall) = (own_cpu(), Instant::now());
        let mut rows = 0usize;
        runtime
            .block_on(client.export_all_typed::<wide::Row>(&ExportOptions::new(), |_| rows += 1))
            .unwrap();
        assert_eq!(rows, records);
        (wall.elapsed().as_secs_f64(), own_cpu() - cpu)
    });
    println!("{}", typed.line("typed bulk export (export_all_typed)"));

    let out = dir.join("export.csv");
    let mut peak_kib = 0;
    let mut summary = String::new();
    let cli = server.best(repeat, || {
        let (wall, cpu, peak, _, stderr) = time_command(
            Command::new(&binary)
                .args([
                    "redcap", "export", "--url", &url, "--token", &token, "--out",
                ])
                .arg(&out),
        );
        peak_kib = peak_kib.max(peak);
        summary = stderr;
        (wall, cpu)
    });
    for line in summary.lines().filter(|line| line.starts_with("exported")) {
        println!("  {line}");
    }
    println!(
        "{}  peak {:.1} MiB{}",
        cli.line("cargo redcap export --format csv"),
        peak_kib as f64 / 1024.0,
        if peak_kib < 64 * 1024 {
            " (under 64 MiB)"
        } else {
            " (OVER 64 MiB)"
        }
    );

    if let Some(python) = std::env::var_os("PYCAP_PYTHON") {
        // Timed inside Python around the call alone, so that starting Python and importing
        // pandas count for neither wall nor CPU time.
        let script = "import sys, time\nfrom redcap import Project\nproject = Project(sys.argv[1], sys.argv[2])\nwall, cpu = time.perf_counter(), time.process_time()\nframe = project.export_records(format_type='df')\nprint(time.perf_counter() - wall, time.process_time() - cpu, len(frame))\n";
        let mut frame_rows = String::new();
        let pycap = server.best(repeat, || {
            let (_, _, _, stdout, _) =
                time_command(Command::new(&python).args(["-c", script, &url, &token]));
            let parts: Vec<&str> = stdout.split_whitespace().collect();
            let number =
                |index: usize| parts.get(index).and_then(|n| n.parse().ok()).unwrap_or(0.0);
            frame_rows = parts.get(2).unwrap_or(&"?").to_string();
            (number(0), number(1))
        });
        println!(
            "{}  ({frame_rows} rows)",
            pycap.line("PyCap export_records(format_type=\"df\")")
        );
        for (name, run) in [("typed export", typed), ("cargo redcap export", cli)] {
            println!(
                "{name} is {:.2}x faster than PyCap (wall time); its client CPU is {:.2}x less",
                pycap.wall / run.wall,
                pycap.client_cpu / run.client_cpu.max(0.01)
            );
        }
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
