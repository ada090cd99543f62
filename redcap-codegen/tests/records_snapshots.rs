//! The generated record module of every corpus dictionary and project XML, kept as a
//! snapshot so every change to generated records is reviewed as a diff.

use std::path::Path;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../redcap-schema/tests/fixtures"
);

// `CORPUS_SCHEMAS`: `(name, fixture)` of every corpus dictionary and project XML.
include!("../../redcap-schema/tests/fixtures/corpus_schemas.rs");

#[test]
fn generated_records_of_every_corpus_schema() {
    let options = redcap_codegen::records::Options::default();
    for (name, fixture) in CORPUS_SCHEMAS {
        let path = Path::new(FIXTURES).join(fixture);
        let schema = redcap_schema::read_path(&path).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let code = redcap_codegen::records::render(&schema, &options);
        // Every field with columns is a struct member that keeps its variable name
        // on the wire: as the member's name, or in its attribute.
        for (_, field) in schema.fields() {
            if field.name != schema.record_id_field && !field.export_names.is_empty() {
                let named = [
                    format!("pub {}: ", field.name),
                    format!("pub r#{}: ", field.name),
                    format!("field = {:?}", field.name),
                ];
                assert!(
                    named.iter().any(|member| code.contains(member)),
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

#[test]
fn formatting_part_by_part_reads_as_formatting_the_whole_file() {
    let options = redcap_codegen::records::Options::default();
    for (_, fixture) in CORPUS_SCHEMAS {
        let path = Path::new(FIXTURES).join(fixture);
        let schema = redcap_schema::read_path(&path).unwrap_or_else(|e| panic!("{fixture}: {e}"));
        let rendered = redcap_codegen::records::render(&schema, &options);
        let (header, _) = rendered.split_once("\n\n").unwrap();
        let whole = redcap_codegen::space_items(&redcap_codegen::format_file(
            redcap_codegen::records::generate(&schema, &options),
            header.trim_start_matches("// "),
        ));
        assert!(rendered == whole, "{fixture}: the two formattings differ");
    }
}
