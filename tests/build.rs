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

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../redcap-schema/tests/fixtures");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (module, source) in PROJECTS {
        let path = fixtures.join(source);
        println!("cargo:rerun-if-changed={}", path.display());
        let schema = redcap_schema::read_path(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let code = redcap_codegen::records::render(&schema, &Default::default());
        std::fs::write(out.join(format!("{module}.rs")), code).expect("OUT_DIR is writable");
    }
}
