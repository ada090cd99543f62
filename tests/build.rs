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
    (
        "missing",
        "../../../tests/fixtures/missing-codes/schema.json",
    ),
    (
        "obstacle",
        "../../../tests/fixtures/obstacle-course/dictionary.csv",
    ),
    (
        "obstacle_longitudinal",
        "../../../tests/fixtures/obstacle-course/project.xml",
    ),
    (
        "external_module",
        "../../../tests/fixtures/external-module-metadata/metadata.json",
    ),
];

// `CORPUS_SCHEMAS`: every dictionary and project XML of the corpus, generated and
// compiled under `#![deny(warnings)]` to prove the generator's output builds for real projects.
include!("../redcap-schema/tests/fixtures/corpus_schemas.rs");

fn main() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../redcap-schema/tests/fixtures");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!(
        "cargo:rerun-if-changed={}",
        fixtures.join("corpus_schemas.rs").display()
    );
    let mut corpus_modules = String::new();
    for (module, source) in PROJECTS.iter().chain(CORPUS_SCHEMAS) {
        let path = fixtures.join(source);
        println!("cargo:rerun-if-changed={}", path.display());
        let schema = redcap_schema::read_path(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let code = redcap_codegen::records::render(&schema, &Default::default());
        std::fs::write(out.join(format!("{module}.rs")), code).expect("OUT_DIR is writable");
        if CORPUS_SCHEMAS.iter().any(|(name, _)| name == module) {
            corpus_modules.push_str(&format!(
                "/// Generated from `{source}`.\npub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{module}.rs\"));\n}}\n"
            ));
        }
    }
    std::fs::write(out.join("corpus.rs"), corpus_modules).expect("OUT_DIR is writable");

    std::fs::write(out.join("wide.csv"), wide_dictionary()).expect("OUT_DIR is writable");
    let wide = redcap_schema::read(wide_dictionary().as_bytes(), "wide.csv")
        .expect("the wide dictionary is valid");
    let code = redcap_codegen::records::render(&wide, &Default::default());
    std::fs::write(out.join("wide.rs"), code).expect("OUT_DIR is writable");

    let production = redcap_schema::read(production_metadata().as_bytes(), "production.json")
        .expect("the production-size metadata reads");
    let code = redcap_codegen::records::render(&production, &Default::default());
    std::fs::write(out.join("production.rs"), code).expect("OUT_DIR is writable");
}

/// Metadata JSON of 2,253 fields with the shapes of a large production project
/// (`tests/fixtures/external-module-metadata`): 38 forms of text, dated and numeric
/// fields, dropdowns of 21 sources, checkboxes, retired `___delete` fields and
/// dropdowns an external module fills at run time.
fn production_metadata() -> String {
    let sources: Vec<String> = (0..21)
        .map(|i| format!("s{i}, Source {i} (online database)"))
        .collect();
    let sources = sources.join(" | ");
    let field = |name: &str, form: usize, kind: &str, choices: &str, validation: &str| {
        format!(
            r#"{{"field_name":"{name}","form_name":"form_{form}","section_header":"","field_type":"{kind}","field_label":"{name} label","select_choices_or_calculations":"{choices}","field_note":"","text_validation_type_or_show_slider_number":"{validation}","text_validation_min":"","text_validation_max":"","identifier":"","branching_logic":"","required_field":"","custom_alignment":"","question_number":"","matrix_group_name":"","matrix_ranking":"","field_annotation":""}}"#
        )
    };
    let mut fields = vec![field("record_id", 0, "text", "", "")];
    for n in 1..2253 {
        let form = n / 60;
        fields.push(match n % 10 {
            0..=3 => field(&format!("f{n}_text"), form, "text", "", ""),
            4 => field(&format!("f{n}_source"), form, "dropdown", &sources, ""),
            5 => field(&format!("f{n}_date"), form, "text", "", "date_ymd"),
            6 => field(&format!("f{n}___delete"), form, "text", "", ""),
            7 => field(&format!("f{n}_runtime"), form, "dropdown", "", ""),
            8 => field(&format!("f{n}_num"), form, "text", "", "number"),
            _ => field(
                &format!("f{n}_check"),
                form,
                "checkbox",
                "1, A | 2, B | 3, C",
                "",
            ),
        });
    }
    format!("[{}]", fields.join(",\n"))
}

/// A classic project shaped like a wide REDCap export: per form, 8 radio fields, 2 yes/no,
/// 2 checkboxes of 5 choices, 4 dates, 1 datetime, 3 integers, 3 numbers, 1 calc, 5 texts
/// and 1 note; five forms give about 200 export columns. The benchmark decodes exports of it.
fn wide_dictionary() -> String {
    let mut csv = String::from(
        "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation\n",
    );
    csv.push_str("record_id,form_1,,text,Record ID,,,,,,,,,,,,,\n");
    for form in 1..=5 {
        let mut field = |name: String, kind: &str, choices: &str, validation: &str| {
            csv.push_str(&format!(
                "{name},form_{form},,{kind},{name} label,\"{choices}\",,{validation},,,,,,,,,,\n"
            ));
        };
        for i in 0..8 {
            field(
                format!("f{form}_radio_{i}"),
                "radio",
                "1, One | 2, Two | 3, Three | 4, Four | 5, Five",
                "",
            );
        }
        for i in 0..2 {
            field(format!("f{form}_yesno_{i}"), "yesno", "", "");
        }
        for i in 0..2 {
            field(
                format!("f{form}_check_{i}"),
                "checkbox",
                "1, A | 2, B | 3, C | 4, D | 5, E",
                "",
            );
        }
        for i in 0..4 {
            field(format!("f{form}_date_{i}"), "text", "", "date_ymd");
        }
        field(format!("f{form}_when"), "text", "", "datetime_ymd");
        for i in 0..3 {
            field(format!("f{form}_int_{i}"), "text", "", "integer");
        }
        for i in 0..3 {
            field(format!("f{form}_num_{i}"), "text", "", "number");
        }
        field(
            format!("f{form}_calc"),
            "calc",
            &format!("[f{form}_int_0] * 2"),
            "",
        );
        for i in 0..5 {
            field(format!("f{form}_text_{i}"), "text", "", "");
        }
        field(format!("f{form}_note"), "notes", "", "");
    }
    csv
}
