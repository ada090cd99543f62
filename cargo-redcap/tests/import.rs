//! `cargo redcap import` over real HTTP against redcap-emulator: the preflight stops a
//! file with bad cells (exit 1, every cell listed, nothing changed), a soft range is a
//! warning and imported, a dry run lists changes and erasures and writes nothing, and an
//! import killed midway resumes from its journal.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use cargo_redcap::{Cli, run};
use clap::Parser;

const DICTIONARY: &str = "\
Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation
record_id,intake,,text,Record ID,,,,,,,,,,,,,
name,intake,,text,Name,,,,,,,,,,,,,
dob,intake,,text,Date of birth,,,date_ymd,,,,,,,,,,
weight,intake,,text,Weight,,,number,30,200,,,,,,,,
color,intake,,radio,Colour,\"1, Red | 2, Green | 3, Blue\",,,,,,,,,,,,
";

/// The emulator on its own runtime, so the blocking CLI can call it.
struct Server {
    emulator: redcap_emulator::Emulator,
    dir: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start(name: &str, faults: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let dir =
            std::env::temp_dir().join(format!("cargo-redcap-import-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let dictionary = dir.join("dictionary.csv");
        std::fs::write(&dictionary, DICTIONARY).unwrap();
        let faults = redcap_emulator::Faults::from_json(faults).unwrap();
        let config = redcap_emulator::Config::default()
            .project("p", &dictionary)
            .faults(faults);
        let emulator = runtime
            .block_on(redcap_emulator::Emulator::start(config))
            .unwrap();
        Self {
            emulator,
            dir,
            _runtime: runtime,
        }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn live<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut argv = args.to_vec();
        argv.extend([
            "--url",
            self.emulator.url(),
            "--token",
            self.emulator.token("p").unwrap(),
        ]);
        argv
    }

    /// `cargo redcap import FILE ARGS…` against this server.
    fn import(&self, file: &Path, args: &[&str]) -> (ExitCode, String, String) {
        let mut argv = vec!["import", file.to_str().unwrap()];
        argv.extend_from_slice(args);
        cargo_redcap(&self.live(&argv))
    }

    /// Every record, as CSV.
    fn export(&self) -> String {
        let (code, out, err) = cargo_redcap(&self.live(&["export", "--format", "csv"]));
        assert_eq!(code, ExitCode::SUCCESS, "{err}");
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cargo_redcap(args: &[&str]) -> (ExitCode, String, String) {
    let argv = ["cargo", "redcap"].iter().chain(args);
    let Cli::Redcap(parsed) = Cli::try_parse_from(argv).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(parsed, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

const SEED: &str =
    "record_id,name,dob,weight,color\n1,Ann,1980-01-02,70,1\n2,Bob,1990-03-04,80,2\n";

#[test]
fn bad_cells_are_all_listed_and_nothing_is_imported() {
    let server = Server::start("bad", r#"{"faults": []}"#);
    let seed = server.file("seed.csv", SEED);
    let (code, _, err) = server.import(&seed, &[]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let before = server.export();
    let bad = server.file(
        "bad.csv",
        "record_id,name,dob,weight,color\n1,Ann,1980-01-02,70,9\n3,Cy,2021-02-30,60,1\n4,Di,1970-05-06,heavy,2\n",
    );
    let (code, _, err) = server.import(&bad, &[]);
    assert_eq!(code, ExitCode::from(1), "{err}");
    for cell in [
        r#"row 1, record "1", field "color", value "9""#,
        r#"row 2, record "3", field "dob", value "2021-02-30""#,
        r#"row 3, record "4", field "weight", value "heavy""#,
    ] {
        assert!(err.contains(cell), "{cell} not in {err}");
    }
    assert!(err.contains("3 error(s)"), "{err}");
    assert_eq!(server.export(), before);
}

#[test]
fn a_soft_range_is_a_warning_and_the_value_is_imported() {
    let server = Server::start("soft", r#"{"faults": []}"#);
    let file = server.file("soft.csv", "record_id,weight\n7,250\n");
    let (code, _, err) = server.import(&file, &[]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(
        err.contains(r#"warning: row 1, record "7", field "weight", value "250""#),
        "{err}"
    );
    assert!(server.export().contains("7,,,250,"));
    let strict = server.file("strict.csv", "record_id,weight\n8,250\n");
    let (code, _, err) = server.import(&strict, &["--strict"]);
    assert_eq!(code, ExitCode::from(1), "{err}");
    assert!(!server.export().contains("\n8,"));
}

#[test]
fn a_dry_run_lists_changes_and_erasures_and_writes_nothing() {
    let server = Server::start("dry", r#"{"faults": []}"#);
    let seed = server.file("seed.csv", SEED);
    assert_eq!(server.import(&seed, &[]).0, ExitCode::SUCCESS);
    let before = server.export();
    let changes = server.file(
        "changes.csv",
        "record_id,name,dob,weight,color\n1,Ann,1980-01-02,72,\n3,Cy,,,3\n",
    );
    let (code, out, err) = server.import(&changes, &["--overwrite", "--dry-run"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(
        out,
        "create record \"3\"\n\
         change record \"1\" weight: \"70\" -> \"72\"\n\
         change record \"3\" name: \"\" -> \"Cy\"\n\
         change record \"3\" color: \"\" -> \"3\"\n\
         erase record \"1\" color: \"1\" -> \"\"\n"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert_eq!(server.export(), before);
    let (code, _, err) = server.import(&changes, &["--overwrite"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let after = server.export();
    assert!(after.contains("1,Ann,1980-01-02,72,,"), "{after}");
    assert!(after.contains("2,Bob,1990-03-04,80,2,"), "{after}");
    assert!(after.contains("3,Cy,,,3,"), "{after}");
    let (code, out, _) = server.import(&changes, &["--overwrite", "--dry-run"]);
    assert_eq!((code, out), (ExitCode::SUCCESS, String::new()));
}

#[test]
fn an_import_killed_midway_resumes_and_imports_every_record_once() {
    // The fourth import request hangs, so the process is stuck with three batches
    // committed when it is killed.
    let server = Server::start(
        "killed",
        r#"{"faults": [{"kind": "hang", "seconds": 60, "method": "import_records", "times": 1, "after": 3}]}"#,
    );
    let mut csv = String::from("record_id,name,weight\n");
    for n in 1..=500 {
        csv.push_str(&format!("{n},name {n},{}\n", 40 + n % 100));
    }
    let file = server.file("many.csv", &csv);
    let journal = server.dir.join("many.csv.journal");
    let argv = server.live(&["import", file.to_str().unwrap(), "--batch-size", "50"]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-redcap"))
        .arg("redcap")
        .args(&argv)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let done = |path: &Path| {
        std::fs::read_to_string(path)
            .map(|t| t.matches("\"done\"").count())
            .unwrap_or(0)
    };
    let started = Instant::now();
    while done(&journal) < 3 {
        assert!(started.elapsed() < Duration::from_secs(120), "no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let the fourth request reach the hang, then kill the process mid-request.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(done(&journal), 3);

    let (code, _, err) = server.import(&file, &["--batch-size", "50"]);
    assert_eq!(
        code,
        ExitCode::from(2),
        "without --resume the journal is refused"
    );
    assert!(err.contains("resume it"), "{err}");

    let (code, _, err) = server.import(&file, &["--batch-size", "50", "--resume"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(
        err.contains("in 10 batch(es) (3 resumed from the journal)"),
        "{err}"
    );
    assert!(!journal.exists(), "a completed import removes its journal");
    let exported = server.export();
    let lines: Vec<&str> = exported.lines().skip(1).collect();
    assert_eq!(lines.len(), 500);
    for n in 1..=500 {
        let expected = format!("{n},\"name {n}\",,{},,0", 40 + n % 100);
        assert_eq!(
            lines.iter().filter(|l| l.starts_with(&expected)).count(),
            1,
            "record {n}"
        );
    }
}

/// `--date-format` takes REDCap's names in any case (`MDY`, `mdy`).
#[test]
fn the_date_format_is_read_in_any_case() {
    for spelling in ["MDY", "mdy", "Mdy"] {
        let parsed = Cli::try_parse_from([
            "cargo",
            "redcap",
            "import",
            "f.csv",
            "--date-format",
            spelling,
        ]);
        assert!(parsed.is_ok(), "{spelling}: {:?}", parsed.err());
    }
    assert!(
        Cli::try_parse_from(["cargo", "redcap", "import", "f.csv", "--date-format", "ISO"])
            .is_err()
    );
}
