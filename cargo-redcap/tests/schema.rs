//! `cargo redcap schema` end to end, through the library entry point.

mod support;

use support::cargo_redcap;

use std::path::PathBuf;
use std::process::ExitCode;

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../redcap-schema/tests/fixtures")
        .join(path)
}

#[test]
fn prints_the_canonical_schema() {
    let input = fixture("REDCapR/inst/test-data/projects/checkboxes-1/dictionary.csv");
    let (code, out, err) = cargo_redcap(&["schema", input.to_str().unwrap()]);
    assert_eq!(code, ExitCode::SUCCESS, "{err}");
    let expected = redcap_schema::to_snapshot(&redcap_schema::read_path(&input).unwrap());
    assert_eq!(out, expected);
    assert!(out.starts_with("{\n  \"format\": \"redcap-schema/1\""));
}

#[test]
fn check_prints_problems_and_fails_on_errors() {
    let dir = std::env::temp_dir().join(format!("cargo-redcap-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "field_name,form_name,section_header,field_type,field_label\nrecord_id,f,,text,ID\nrecord_id,f,,texte,Again\n").unwrap();
    let (code, out, _) = cargo_redcap(&["schema", "--check", bad.to_str().unwrap()]);
    assert_eq!(code, ExitCode::FAILURE);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "error[duplicate-field-name]: row 3, field `record_id`, cell A3: The following variable/field names were duplicated: `record_id` is already defined in row 2.",
            "error[unknown-field-type]: row 3, field `record_id`, cell D3: The only valid field types are text, notes, radio, dropdown, calc, file, checkbox, yesno, truefalse, descriptive, slider and must all be lower-case: `texte` is not one.",
            "2 errors, 0 warnings",
        ]
    );
    let (code, out, err) = cargo_redcap(&["schema", bad.to_str().unwrap()]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(out.is_empty());
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("duplicate-field-name") && err.contains("unknown-field-type"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let good = fixture("REDCapR/inst/test-data/projects/simple/project.xml");
    let (code, out, _) = cargo_redcap(&["schema", "--check", good.to_str().unwrap()]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert_eq!(out, "0 errors, 0 warnings\n");
}

#[test]
fn writes_dictionary_csv_and_project_xml() {
    let input = fixture("REDCapR/inst/test-data/projects/longitudinal/project.xml");
    let schema = redcap_schema::read_path(&input).unwrap();
    let (_, csv, _) = cargo_redcap(&["schema", "--to", "csv", input.to_str().unwrap()]);
    assert!(csv.starts_with("field_name,form_name,section_header,field_type,"));
    assert_eq!(csv.lines().count(), 1 + schema.fields().count());
    let (_, xml, _) = cargo_redcap(&["schema", "--to", "xml", input.to_str().unwrap()]);
    assert_eq!(
        redcap_schema::read(xml.as_bytes(), "x.xml").unwrap(),
        schema
    );
}

#[test]
fn missing_files_are_named() {
    let (code, _, err) = cargo_redcap(&["schema", "/nonexistent/dd.csv"]);
    assert_eq!(code, ExitCode::FAILURE);
    assert!(
        err.starts_with("error: /nonexistent/dd.csv: cannot read: "),
        "{err}"
    );
}
