//! `cargo redcap demo` through the library entry point: the emulator, the schema pull,
//! the generated crate and the typed export, all in-process.

use std::path::PathBuf;
use std::process::ExitCode;

use cargo_redcap::{Cli, run};
use clap::Parser;

#[test]
fn demo_shows_generated_types_and_typed_records() {
    let dir = std::env::temp_dir().join(format!("cargo-redcap-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.display().to_string();
    let Cli::Redcap(parsed) =
        Cli::try_parse_from(["cargo", "redcap", "demo", "--out", &dir_arg]).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(parsed, &mut out, &mut err);
    let out = String::from_utf8(out).unwrap();
    let err = String::from_utf8(err).unwrap();
    assert_eq!(code, ExitCode::SUCCESS, "{err}\n{out}");

    assert!(out.contains("==> pulling the project's schema"), "{out}");
    assert!(out.contains("pub struct Demographics {"), "{out}");
    assert!(out.contains("pub enum Ethnicity {"), "{out}");
    assert!(out.contains("18 rows decoded into 3 `Record`s"), "{out}");
    assert!(out.contains("record 100 · event enrollment_arm_1"), "{out}");
    assert!(
        out.contains(".demographics.sex: Option<Sex>     = Male"),
        "{out}"
    );
    assert!(out.contains("REDCAP_API_TOKEN"), "{out}");
    // A few values, never whole records: the sample's names and e-mails stay out.
    assert!(!out.contains("@"), "{out}");

    let lib = std::fs::read_to_string(dir.join("redcap-demo-records/src/lib.rs")).unwrap();
    assert!(lib.contains("pub struct Row {"));
    assert!(dir.join("redcap-demo-records/Cargo.toml").is_file());
    assert!(dir.join("redcap-demo-records/redcap/schema.json").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_bundled_sample_is_the_file_the_compiled_types_come_from() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(
        "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml",
    );
    assert_eq!(
        std::fs::read(fixture).unwrap(),
        cargo_redcap::demo::SAMPLE_XML
    );
}
