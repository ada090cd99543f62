//! Generates the record types of corpus projects into `OUT_DIR`, as `cargo redcap gen`
//! would, so the tests compile and exercise real generated code.

use std::path::{Path, PathBuf};

/// `(module name, schema source)` of each generated project, relative to the fixtures.
const PROJECTS: &[(&str, &str)] = &[
    (
        "simple",
        "REDCapR/inst/test-data/projects/simple/project.xml",
    ),
    (
        "longitudinal",
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
    ),
    (
        "repeating",
        "REDCapR/inst/test-data/projects/vignette-repeating/project.xml",
    ),
    (
        "checkboxes",
        "REDCapR/inst/test-data/projects/checkboxes-1/dictionary.csv",
    ),
];

/// Every other dictionary and project XML of the corpus: generated and compiled under
/// `#![deny(warnings)]` to prove the generator's output builds for real projects.
const CORPUS: &[(&str, &str)] = &[
    (
        "redcapr_simple_dictionary",
        "REDCapR/inst/test-data/projects/simple/dictionary.csv",
    ),
    (
        "redcapr_longitudinal_dictionary",
        "REDCapR/inst/test-data/projects/longitudinal/dictionary.csv",
    ),
    (
        "redcapr_repeating_dictionary",
        "REDCapR/inst/test-data/projects/vignette-repeating/dictionary.csv",
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

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../redcap-schema/tests/fixtures");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut corpus_modules = String::new();
    for (module, source) in PROJECTS.iter().chain(CORPUS) {
        let path = fixtures.join(source);
        println!("cargo:rerun-if-changed={}", path.display());
        let schema = redcap_schema::read_path(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let code = redcap_codegen::records::render(&schema, &Default::default());
        std::fs::write(out.join(format!("{module}.rs")), code).expect("OUT_DIR is writable");
        if CORPUS.iter().any(|(name, _)| name == module) {
            corpus_modules.push_str(&format!(
                "/// Generated from `{source}`.\npub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{module}.rs\"));\n}}\n"
            ));
        }
    }
    std::fs::write(out.join("corpus.rs"), corpus_modules).expect("OUT_DIR is writable");
}
