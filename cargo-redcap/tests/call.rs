//! `cargo redcap call` in process, over real HTTP against redcap-emulator: methods by
//! name, parameters checked against the spec, suggestions, and `--show-code`.

use std::path::PathBuf;
use std::process::ExitCode;

use cargo_redcap::{Cli, run};
use clap::Parser;

/// The emulator on its own runtime, so the blocking CLI can call it.
struct Server {
    emulator: redcap_emulator::Emulator,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let xml = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
            "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml",
        );
        let config = redcap_emulator::Config::default().project("p", xml);
        let emulator = runtime
            .block_on(redcap_emulator::Emulator::start(config))
            .unwrap();
        Self {
            emulator,
            _runtime: runtime,
        }
    }

    fn token(&self) -> &str {
        self.emulator.token("p").unwrap()
    }

    /// Runs `cargo redcap call ARGS --url … --token …`.
    fn call(&self, args: &[&str]) -> (ExitCode, String, String) {
        let mut argv = vec!["--url", self.emulator.url(), "--token", self.token()];
        argv.extend_from_slice(args);
        call(&argv)
    }
}

fn call(args: &[&str]) -> (ExitCode, String, String) {
    let argv = ["cargo", "redcap", "call"].iter().chain(args);
    let Cli::Redcap(parsed) = Cli::try_parse_from(argv).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(parsed, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn export_version_prints_the_version() {
    let server = Server::start();
    let (code, out, err) = server.call(&["export_version"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(out, "15.7.6\n");
}

#[test]
fn export_records_as_csv_with_a_list_parameter() {
    let server = Server::start();
    let (code, out, err) = server.call(&["export_records", "format=csv"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(out.starts_with("study_id,redcap_event_name,"), "{out}");
    assert!(out.contains("\n304,"), "{out}");

    // `records=100,220` goes out as records[0]=100&records[1]=220.
    let (code, out, err) = server.call(&[
        "export_records",
        "format=csv",
        "records=100,220",
        "fields=study_id,dob",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(out.contains("\n100,") && out.contains("\n220,"), "{out}");
    assert!(!out.contains("\n304,"), "{out}");
}

#[test]
fn a_required_list_parameter_is_sent_as_an_array() {
    let server = Server::start();
    let (code, out, err) = server.call(&["delete_records", "records=304"]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(out.trim(), "1");
}

#[test]
fn redcap_errors_are_reported() {
    let server = Server::start();
    let (code, _, err) = server.call(&["export_records", "fields=no_such_field"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains(server.token()), "{err}");
}

#[test]
fn misspellings_get_the_nearest_name() {
    let (code, _, err) = call(&["export_recrods"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("did you mean `export_records`?"), "{err}");

    let (code, _, err) = call(&["export_records", "formt=csv"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("did you mean `format`?"), "{err}");

    let (code, _, err) = call(&["export_records", "format=cvs"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("one of csv, json, xml, odm"), "{err}");
}

#[test]
fn missing_and_malformed_parameters_are_named_before_sending() {
    let (code, _, err) = call(&["delete_records"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert_eq!(err, "error: `delete_records` needs records=…\n");

    let (code, _, err) = call(&["export_records", "csv"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("is not NAME=VALUE"), "{err}");

    let (code, _, err) = call(&["export_records", "token=abc"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.contains("is set by `cargo redcap call` itself"),
        "{err}"
    );
}

#[test]
fn list_shows_one_line_per_method() {
    let (code, out, _) = call(&["--list"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(out.lines().count(), redcap_client::METHODS.len());
    assert!(
        out.lines()
            .any(|line| line.starts_with("export_records ") && line.ends_with("Export Records"))
    );
}

#[test]
fn show_code_prints_rust_and_curl_without_the_token() {
    let server = Server::start();
    let (code, out, err) = server.call(&[
        "export_records",
        "--show-code",
        "format=csv",
        "records=1,2",
        "exportSurveyFields=true",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(!out.contains(server.token()), "{out}");
    assert!(out.contains("redcap_client::Client::from_env()?"), "{out}");
    assert!(
        out.contains("    .export_records()\n    .records([\"1\", \"2\"])\n"),
        "{out}"
    );
    assert!(out.contains(".export_survey_fields(true)"), "{out}");
    assert!(
        out.contains(".send_raw(redcap_client::params::DataFormat::Csv)"),
        "{out}"
    );
    assert!(
        out.contains("--data-urlencode \"token=$REDCAP_API_TOKEN\""),
        "{out}"
    );
    assert!(out.contains("--data-urlencode 'records[1]=2'"), "{out}");
}

/// `file=@path` uploads a file (multipart, as the typed client sends it); the download
/// gives back the same bytes, and `--show-code` writes the upload as Rust and `curl -F`.
#[test]
fn files_are_uploaded_from_a_path() {
    let server = Server::start();
    let dir = std::env::temp_dir().join(format!("redcap-call-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("consent.txt");
    std::fs::write(&path, "signed on 2026-01-05\n").unwrap();
    let upload = format!("file=@{}", path.display());
    let target = [
        "record=100",
        "field=patient_document",
        "event=enrollment_arm_1",
    ];
    let mut args = vec!["import_file"];
    args.extend(target);
    args.push(&upload);
    let (code, _, err) = server.call(&args);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let mut args = vec!["export_file"];
    args.extend(target);
    let (code, out, err) = server.call(&args);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert_eq!(out, "signed on 2026-01-05\n");

    let mut args = vec!["import_file", "--show-code"];
    args.extend(target);
    args.push(&upload);
    let (code, out, err) = server.call(&args);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(
        out.contains(&format!(
            "let file = redcap_client::FileUpload::new(\"consent.txt\", std::fs::read({:?})?);",
            path.display().to_string()
        )),
        "{out}"
    );
    assert!(out.contains("    .file(file)\n"), "{out}");
    assert!(out.contains("-F \"token=$REDCAP_API_TOKEN\""), "{out}");
    assert!(
        out.contains(&format!("-F 'file=@{}'", path.display())),
        "{out}"
    );

    // A file is named by its path.
    let (code, _, err) = server.call(&[
        "import_file",
        "record=100",
        "field=patient_document",
        "file=consent.txt",
    ]);
    assert_ne!(code, ExitCode::SUCCESS);
    assert!(
        err.contains("`file` of `import_file` must be `@` and the path of the file to upload, not `consent.txt`"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
