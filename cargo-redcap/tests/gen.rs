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
    assert!(written.contains("pub blood_pressure: Vec<records::Instance<BloodPressure>>"));

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

/// `gen --crate` with no `--client-*` option, then cargo on the crate as written: the
/// manifest must resolve and the code compile. The crate lives under the workspace's
/// target folder and shares its lock file and build folder, so no dependency is
/// fetched and those already built are not built again.
#[test]
fn a_generated_crate_builds_where_it_is_written() {
    let input = fixture("REDCapR/inst/test-data/projects/vignette-repeating/project.xml");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join(format!("gen-crate-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = cargo_redcap(&[
        "gen",
        &input,
        "--crate",
        &dir.display().to_string(),
        "--name",
        "repeating-records",
    ]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    assert!(out.contains("redcap-client: path "), "{out}");
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = tmp.parent().expect("CARGO_TARGET_TMPDIR is `target/tmp`");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    // What cargo sets for this test, not for a shell: some build scripts (ring's) rerun
    // when such variables change, which would rebuild half the dependencies.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_")
            || name.starts_with("CARGO_BIN_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "OUT_DIR",
            ]
            .contains(&name.as_ref())
        {
            command.env_remove(name.as_ref());
        }
    }
    let output = command
        .args(["check", "--offline", "--quiet"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target)
        // The workspace's dev profile, so that dependencies it built are reused.
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo check of the generated crate failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}
