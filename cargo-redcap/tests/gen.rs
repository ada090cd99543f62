//! `cargo redcap gen` through the library entry point: module and crate output, and
//! `--check` telling current files from stale ones.

mod support;

use support::cargo_redcap;

use std::path::PathBuf;
use std::process::ExitCode;

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../redcap-schema/tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cargo-redcap-gen-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn writes_a_module_and_checks_it() {
    let input = fixture("REDCapR/inst/test-data/projects/vignette-repeating/project.xml");
    let dir = scratch("module");
    let out = dir.join("records.rs");
    let out_arg = out.display().to_string();
    let (code, _, err) = cargo_redcap(&["gen", &input, "--out", &out_arg]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("pub struct BloodPressure"));
    assert!(written.contains("pub blood_pressure: ::std::vec::Vec<"));

    let (code, _, _) = cargo_redcap(&["gen", &input, "--out", &out_arg, "--check"]);
    assert_eq!(code, ExitCode::SUCCESS);
    std::fs::write(&out, written.replace("BloodPressure", "Bp")).unwrap();
    let (code, stdout, _) = cargo_redcap(&["gen", &input, "--out", &out_arg, "--check"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(stdout.contains("out of date"), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn writes_a_crate_that_names_its_client_dependency() {
    let input = fixture("REDCapR/inst/test-data/projects/checkboxes-1/dictionary.csv");
    let dir = scratch("crate");
    let target = dir.join("records");
    let client = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../redcap-client");
    let (code, _, err) = cargo_redcap(&[
        "gen",
        &input,
        "--crate",
        &target.display().to_string(),
        "--name",
        "checkbox-records",
        "--client-path",
        &client.display().to_string(),
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let manifest = std::fs::read_to_string(target.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"checkbox-records\""));
    assert!(manifest.contains("redcap-client = { path = "), "{manifest}");
    let lib = std::fs::read_to_string(target.join("src/lib.rs")).unwrap();
    assert!(lib.contains("#![deny(warnings)]"));
    let snapshot = std::fs::read_to_string(target.join("redcap/schema.json")).unwrap();
    assert_eq!(
        redcap_schema::from_snapshot(&snapshot, "schema.json").unwrap(),
        redcap_schema::read_path(std::path::Path::new(&input)).unwrap()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_crate_name_is_refused() {
    let input = fixture("REDCapR/inst/test-data/projects/checkboxes-1/dictionary.csv");
    let dir = scratch("badname");
    let target = dir.join("x").display().to_string();
    let (code, _, err) = cargo_redcap(&["gen", &input, "--crate", &target, "--name", "bad name"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(err.contains("not a valid crate name"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
