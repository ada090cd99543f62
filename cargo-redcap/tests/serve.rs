//! `cargo redcap serve` argument handling, in process.

use cargo_redcap::{Cli, run};
use clap::Parser;

fn serve(args: &[&str]) -> (std::process::ExitCode, String) {
    let mut argv = vec!["cargo", "redcap", "serve"];
    argv.extend_from_slice(args);
    let Cli::Redcap(args) = Cli::try_parse_from(argv).expect("arguments parse");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(args, &mut out, &mut err);
    (code, String::from_utf8(err).unwrap())
}

#[test]
fn a_project_without_name_is_refused() {
    let (code, err) = serve(&["--project", "just-a-path.xml"]);
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert_eq!(err, "error: `just-a-path.xml` is not NAME=INPUT\n");
}

#[test]
fn a_missing_input_names_the_project_and_file() {
    let (code, err) = serve(&["--project", "demo=/nonexistent/project.xml"]);
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(
        err.starts_with("error: project `demo`: /nonexistent/project.xml:"),
        "{err}"
    );
}

#[test]
fn a_short_super_token_is_refused() {
    let (code, err) = serve(&["--super-token", "abc"]);
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(err.contains("64 letters and digits"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_temporary_directory_that_cannot_be_made_is_named_with_the_way_out() {
    // In its own process: TMPDIR (where Unix keeps temporary files) is read from the
    // environment.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cargo-redcap"))
        .args(["redcap", "serve"])
        .env("TMPDIR", "/nonexistent/redcap-tmp")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(
        err.starts_with("error: database /nonexistent/redcap-tmp/redcap-emulator-"),
        "{err}"
    );
    assert!(
        err.contains("TMPDIR") && err.contains("--data-dir"),
        "{err}"
    );
}
