//! Runs each example binary, as a user would, against the local REDCap it starts.

use std::process::{Command, Output};

fn run(binary: &str, args: &[&str]) -> Output {
    Command::new(binary).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn nightly_export_writes_one_summary_line_per_record() {
    let out = std::env::temp_dir().join(format!("redcap-nightly-{}.csv", std::process::id()));
    let output = run(
        env!("CARGO_BIN_EXE_nightly_export"),
        &[out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "study_id,arm,enrolled,age_at_enrolment,sex,bmi");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("100,1,2015-04-02,31,Male,"), "{csv}");
    std::fs::remove_file(out).unwrap();
}

#[test]
fn import_csv_imports_a_valid_file() {
    let output = run(env!("CARGO_BIN_EXE_import_csv"), &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).starts_with("imported 2 rows"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn import_csv_refuses_a_file_that_does_not_fit_the_schema() {
    let bad = concat!(env!("CARGO_MANIFEST_DIR"), "/data/bad-enrolments.csv");
    let output = run(env!("CARGO_BIN_EXE_import_csv"), &[bad]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("dob"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
}

#[test]
fn partial_struct_reads_its_fields() {
    let output = run(env!("CARGO_BIN_EXE_partial_struct"), &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("record 100: gym on Monday"),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn generated_module_reports_per_event() {
    let output = run(env!("CARGO_BIN_EXE_generated_module"), &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("3 records enrolled\n"), "{stdout}");
    // Form statuses come back too: the typed export asks for `<form>_complete`.
    assert!(
        stdout.contains("visit_1_arm_1: 2 lab visit(s) entered, 2 complete"),
        "{stdout}"
    );
}

#[test]
fn the_committed_generated_module_is_current() {
    use clap::Parser;
    let manifest = env!("CARGO_MANIFEST_DIR");
    let input = format!(
        "{manifest}/../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml"
    );
    let module = format!("{manifest}/src/sample_records.rs");
    let args = [
        "cargo", "redcap", "gen", &input, "--out", &module, "--check",
    ];
    let cargo_redcap::Cli::Redcap(parsed) = cargo_redcap::Cli::parse_from(args);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cargo_redcap::run(parsed, &mut out, &mut err);
    assert_eq!(
        code,
        std::process::ExitCode::SUCCESS,
        "{}{} (regenerate with `cargo run -p cargo-redcap -- redcap gen {input} --out {module}`)",
        text(&out),
        text(&err)
    );
}
