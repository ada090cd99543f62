//! The generated record module of every corpus dictionary and project XML, kept as a
//! snapshot so every change to generated records is reviewed as a diff.

use std::path::Path;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../redcap-schema/tests/fixtures"
);

/// `(snapshot name, fixture)` for each corpus schema.
const CORPUS: &[(&str, &str)] = &[
    (
        "redcapr_simple_xml",
        "REDCapR/inst/test-data/projects/simple/project.xml",
    ),
    (
        "redcapr_simple_dictionary",
        "REDCapR/inst/test-data/projects/simple/dictionary.csv",
    ),
    (
        "redcapr_longitudinal_xml",
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
    ),
    (
        "redcapr_longitudinal_dictionary",
        "REDCapR/inst/test-data/projects/longitudinal/dictionary.csv",
    ),
    (
        "redcapr_repeating_xml",
        "REDCapR/inst/test-data/projects/vignette-repeating/project.xml",
    ),
    (
        "redcapr_repeating_dictionary",
        "REDCapR/inst/test-data/projects/vignette-repeating/dictionary.csv",
    ),
    (
        "redcapr_checkboxes",
        "REDCapR/inst/test-data/projects/checkboxes-1/dictionary.csv",
    ),
    (
        "redcapr_color_boxes",
        "REDCapR/inst/test-data/project-color-boxes/dictionary.csv",
    ),
    (
        "redcapr_decimal_comma_and_dot",
        "REDCapR/inst/test-data/projects/decimal-comma-and-dot/metadata.csv",
    ),
    (
        "redcapr_survey",
        "REDCapR/inst/test-data/projects/survey/dictionary.csv",
    ),
    (
        "redcapr_clinical_trial",
        "REDCapR/inst/test-data/projects/clinical-trial-1/project.xml",
    ),
    (
        "redcapr_multilevel_model",
        "REDCapR/inst/test-data/projects/multilevel-model-1/project.xml",
    ),
    (
        "redcapr_arm_multiple_delete",
        "REDCapR/inst/test-data/projects/arm-multiple-delete/project.xml",
    ),
    ("pycap_doctest", "PyCap/tests/data/doctest_project.xml"),
    ("pycap_simple", "PyCap/tests/data/test_simple_project.xml"),
    ("pycap_long", "PyCap/tests/data/test_long_project.xml"),
    (
        "phpcap_repeating_forms",
        "phpcap/tests/projects/PHPCapRepeatingForms.REDCap.xml",
    ),
    (
        "phpcap_basic_demography",
        "phpcap/tests/projects/PHPCapBasicDemography.REDCap.xml",
    ),
    (
        "phpcap_longitudinal_dictionary",
        "phpcap/tests/data/longitudinal-metadata.csv",
    ),
    (
        "redcap_etl_repeating_forms",
        "redcap-etl/tests/projects/RepeatingForms.REDCap.xml",
    ),
    ("flight_tracker", "flight-tracker/metadata.vanderbilt.json"),
    (
        "flight_tracker_table1",
        "flight-tracker/reporting/metadata.table1.json",
    ),
    ("harmonist_hub_settings", "harmonist-hub/csv/SETTINGS.csv"),
];

#[test]
fn generated_records_of_every_corpus_schema() {
    let options = redcap_codegen::records::Options::default();
    for (name, fixture) in CORPUS {
        let path = Path::new(FIXTURES).join(fixture);
        let schema = redcap_schema::read_path(&path).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let code = redcap_codegen::records::render(&schema, &options);
        // Every field with columns is a struct member, named after its variable.
        for (_, field) in schema.fields() {
            if field.name != schema.record_id_field && !field.export_names.is_empty() {
                let member = format!(" {}:", redcap_codegen::naming::ident(&field.name));
                assert!(
                    code.contains(&member),
                    "{fixture}: no member for `{}`",
                    field.name
                );
            }
        }
        insta::assert_snapshot!(format!("records_{name}"), code);
    }
}

#[test]
fn generation_is_deterministic() {
    let path = Path::new(FIXTURES).join("REDCapR/inst/test-data/projects/longitudinal/project.xml");
    let schema = redcap_schema::read_path(&path).unwrap();
    let options = redcap_codegen::records::Options::default();
    assert_eq!(
        redcap_codegen::records::render(&schema, &options),
        redcap_codegen::records::render(&schema, &options)
    );
}
