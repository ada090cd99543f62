//! `cargo redcap export --tidy` over real HTTP against redcap-emulator serving the bundled
//! longitudinal sample (two arms, a repeating instrument), and `cargo redcap tidy` on the
//! flat export of the same project (CSV or JSON): all must write the same tables.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;
use support::cargo_redcap;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample/project.xml");

struct Server {
    emulator: redcap_emulator::Emulator,
    dir: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // One folder per server: tests run at the same time.
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cargo-redcap-tidy-{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = redcap_emulator::Config::default().project("long", Path::new(SAMPLE));
        let emulator = runtime
            .block_on(redcap_emulator::Emulator::start(config))
            .unwrap();
        Server {
            emulator,
            dir,
            _runtime: runtime,
        }
    }

    fn live(&self, args: &[&str]) -> (ExitCode, String, String) {
        let mut argv = args.to_vec();
        argv.extend([
            "--url",
            self.emulator.url(),
            "--token",
            self.emulator.token("long").unwrap(),
        ]);
        cargo_redcap(&argv)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_live_export_and_a_file_on_disk_give_the_same_tables() {
    let server = Server::start();
    let live = server.dir.join("live");
    let (code, _, err) = server.live(&[
        "export",
        "--tidy",
        live.to_str().unwrap(),
        "--to",
        "csv",
        "--batch-size",
        "1",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(err.contains("tables in"), "{err}");

    let flat = server.dir.join("flat.csv");
    let (code, _, err) = server.live(&["export", "--out", flat.to_str().unwrap()]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let from_file = server.dir.join("file");
    let (code, _, err) = cargo_redcap(&[
        "tidy",
        flat.to_str().unwrap(),
        "--schema",
        SAMPLE,
        "--out",
        from_file.to_str().unwrap(),
        "--to",
        "csv",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");

    let tables = files(&live);
    assert_eq!(tables, files(&from_file));
    let names: Vec<&str> = tables.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"dictionary.csv"), "{names:?}");
    // The repeating instrument's table is keyed by instance as well.
    let (_, baseline) = tables
        .iter()
        .find(|(name, _)| name == "baseline_data.csv")
        .unwrap();
    assert!(
        baseline.starts_with("study_id,redcap_event_name,redcap_arm,redcap_repeat_instance,"),
        "{baseline}"
    );
}

#[test]
fn tidy_refuses_an_export_of_another_project() {
    let dir = std::env::temp_dir().join(format!("cargo-redcap-tidy-other-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let export = dir.join("other.csv");
    std::fs::write(&export, "study_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,shoe_size\n1,enrollment_arm_1,,,42\n").unwrap();
    let out = dir.join("tables");
    let (code, _, err) = cargo_redcap(&[
        "tidy",
        export.to_str().unwrap(),
        "--schema",
        SAMPLE,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.contains("`shoe_size`") && err.contains("other.csv"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tidy_reads_a_json_export_as_it_reads_the_csv_export() {
    let server = Server::start();
    let flat_csv = server.dir.join("flat.csv");
    let flat_json = server.dir.join("flat.json");
    let (code, _, err) = server.live(&["export", "--out", flat_csv.to_str().unwrap()]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let (code, _, err) = server.live(&[
        "export",
        "--format",
        "json",
        "--out",
        flat_json.to_str().unwrap(),
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    // The same JSON without an extension is recognised by its first bytes; under a
    // misleading one, `--format` says what it is.
    let bare = server.dir.join("flat");
    std::fs::copy(&flat_json, &bare).unwrap();
    let misnamed = server.dir.join("flat.txt");
    std::fs::copy(&flat_json, &misnamed).unwrap();

    let tidy = |export: &Path, out: &str, extra: &[&str]| {
        let out = server.dir.join(out);
        let mut args = vec![
            "tidy",
            export.to_str().unwrap(),
            "--schema",
            SAMPLE,
            "--out",
            out.to_str().unwrap(),
            "--to",
            "csv",
        ];
        args.extend(extra);
        let (code, _, err) = cargo_redcap(&args);
        assert_eq!(code, ExitCode::SUCCESS, "{err}");
        assert!(err.contains("13 export rows"), "{err}");
        files(&out)
    };
    let from_csv = tidy(&flat_csv, "from-csv", &[]);
    assert_eq!(tidy(&flat_json, "from-json", &[]), from_csv);
    assert_eq!(tidy(&bare, "from-bare", &[]), from_csv);
    assert_eq!(tidy(&misnamed, "from-txt", &["--format", "json"]), from_csv);

    // A CSV export read as JSON is refused, naming the file.
    let (code, _, err) = cargo_redcap(&[
        "tidy",
        flat_csv.to_str().unwrap(),
        "--format",
        "json",
        "--schema",
        SAMPLE,
        "--out",
        server.dir.join("wrong").to_str().unwrap(),
    ]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("flat.csv") && err.contains("JSON"), "{err}");
}
