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
    assert!(
        out.contains("pub baseline_data: Vec<records::Instance<super::BaselineData>>,"),
        "{out}"
    );
    assert!(out.contains("13 rows decoded into 2 `Record`s"), "{out}");
    assert!(out.contains("record 1 (arm 1, 9 rows)"), "{out}");
    // Typed values: a date, a repeating instrument's instances, a decimal, a choice label.
    let typed = [
        (
            "enrollment_arm_1.demographics.date_enrolled",
            "Option<Date>",
            "2021-12-09",
        ),
        (
            "enrollment_arm_1.baseline_data",
            "Vec<Instance<BaselineData>>",
            "[#1 weight2=100]",
        ),
        ("visit_1_arm_1.visit_lab_data.vld1", "Option<Decimal>", "5"),
        (
            "dose_1_arm_1.patient_morale_questionnaire.pmq3",
            "Option<Pmq3>",
            "Yes",
        ),
        (
            "enrollment_arm_2.baseline_data.weight2",
            "Option<Integer>",
            "50",
        ),
    ];
    for (path, ty, value) in typed {
        let line = format!("{path:<52} {ty:<28} {value}\n");
        assert!(out.contains(&line), "{line}\n{out}");
    }
    assert!(out.contains("REDCAP_API_TOKEN"), "{out}");
    // A few values, never whole records: the sample's names stay out.
    assert!(!out.contains("Test 1"), "{out}");

    let lib = std::fs::read_to_string(dir.join("redcap-demo-records/src/lib.rs")).unwrap();
    assert!(lib.contains("pub struct Row {"));
    assert!(dir.join("redcap-demo-records/Cargo.toml").is_file());
    assert!(dir.join("redcap-demo-records/redcap/schema.json").is_file());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_bundled_sample_is_the_file_the_compiled_types_come_from() {
    let bundled = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample/project.xml");
    assert_eq!(
        std::fs::read(&bundled).unwrap(),
        cargo_redcap::demo::SAMPLE_XML
    );
    // The copy stays the corpus fixture the schema tests read.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../redcap-schema/tests/fixtures/PyCap/tests/data/test_long_project.xml");
    assert_eq!(
        std::fs::read(fixture).unwrap(),
        cargo_redcap::demo::SAMPLE_XML
    );
}
