//! The schema diff over real pairs from the corpus: two exports of the same
//! project, and related dictionaries. Each snapshot was read by hand.

use std::path::{Path, PathBuf};

use redcap_schema::diff::render::{to_json, to_markdown, to_text};
use redcap_schema::{ProjectSchema, SchemaDiff};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn read(path: &str) -> ProjectSchema {
    redcap_schema::read_path(&fixture(path)).unwrap()
}

fn diff(old: &str, new: &str) -> SchemaDiff {
    redcap_schema::diff(&read(old), &read(new))
}

#[test]
fn a_project_against_itself_has_no_changes() {
    for path in [
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
        "flight-tracker/metadata.vanderbilt.json",
        "PyCap/tests/data/test_long_project.xml",
    ] {
        let d = diff(path, path);
        assert!(d.is_empty(), "{path}: {d:?}");
        assert_eq!(to_text(&d, false), "No changes.\n");
    }
}

#[test]
fn redcapr_simple_dictionary_against_its_project_xml() {
    let d = diff(
        "REDCapR/inst/test-data/projects/simple/dictionary.csv",
        "REDCapR/inst/test-data/projects/simple/project.xml",
    );
    insta::assert_snapshot!("simple_dictionary_to_xml_text", to_text(&d, false));
    insta::assert_snapshot!("simple_dictionary_to_xml_json", to_json(&d));
}

#[test]
fn redcapr_longitudinal_dictionary_against_its_project_xml() {
    let d = diff(
        "REDCapR/inst/test-data/projects/longitudinal/dictionary.csv",
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
    );
    insta::assert_snapshot!("longitudinal_dictionary_to_xml_text", to_text(&d, false));
}

#[test]
fn redcapr_vignette_repeating_dictionary_against_its_project_xml() {
    let d = diff(
        "REDCapR/inst/test-data/projects/vignette-repeating/dictionary.csv",
        "REDCapR/inst/test-data/projects/vignette-repeating/project.xml",
    );
    insta::assert_snapshot!(
        "vignette_repeating_dictionary_to_xml_markdown",
        to_markdown(&d)
    );
}

#[test]
fn phpcap_repeating_forms_against_redcap_etl_repeating_forms() {
    // The same demo project exported by REDCap 7.0.16 (for PHPCap) and by
    // REDCap 9.5.3 (for redcap-etl).
    let d = diff(
        "phpcap/tests/projects/PHPCapRepeatingForms.REDCap.xml",
        "redcap-etl/tests/projects/RepeatingForms.REDCap.xml",
    );
    insta::assert_snapshot!("repeating_forms_phpcap_to_etl_text", to_text(&d, false));
}

/// Flight Tracker's two dictionaries are different projects: the diff shows
/// whole instruments coming and going, and no rename is guessed between
/// fields that merely share a label such as "Email".
#[test]
fn flight_tracker_dictionaries() {
    let d = diff(
        "flight-tracker/reporting/metadata.table1.json",
        "flight-tracker/metadata.vanderbilt.json",
    );
    insta::assert_snapshot!("flight_tracker_table1_to_vanderbilt_summary", summary(&d));
}

/// One line per change: impact, kind, target; enough to review a large diff.
fn summary(d: &SchemaDiff) -> String {
    let json: serde_json::Value = serde_json::from_str(&to_json(d)).unwrap();
    let mut out = format!("{}\n", json["summary"]);
    for c in json["changes"].as_array().unwrap() {
        let at = ["form", "field", "event", "arm"]
            .iter()
            .filter_map(|k| c.get(*k).map(|v| format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(" ");
        out.push_str(&format!("{} {} {at}\n", c["impact"], c["kind"]));
    }
    out
}
