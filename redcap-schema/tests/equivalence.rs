//! The same project read from different sources gives the same schema, and
//! reading what we write gives back what we wrote.

use std::path::{Path, PathBuf};

use redcap_schema::{Field, ProjectSchema, SchemaBuilder};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
}

fn read(path: &str) -> ProjectSchema {
    redcap_schema::read_path(&fixture(path)).unwrap_or_else(|e| panic!("{e}"))
}

/// A field's name, type, validation, choices and export names.
type FieldShape = (
    String,
    String,
    Option<String>,
    Vec<(String, String)>,
    Vec<String>,
);

/// Forms with their fields' shapes.
fn shape(schema: &ProjectSchema) -> Vec<(String, Vec<FieldShape>)> {
    let field = |f: &Field| {
        (
            f.name.clone(),
            f.field_type.to_string(),
            f.validation.map(|v| v.to_string()),
            f.choices
                .iter()
                .map(|c| (c.code.clone(), c.label.clone()))
                .collect(),
            f.export_names.clone(),
        )
    };
    schema
        .forms
        .iter()
        .map(|form| (form.name.clone(), form.fields.iter().map(field).collect()))
        .collect()
}

#[test]
fn dictionary_and_project_xml_agree_for_longitudinal() {
    let csv = read("REDCapR/inst/test-data/projects/longitudinal/dictionary.csv");
    let xml = read("REDCapR/inst/test-data/projects/longitudinal/project.xml");
    assert_eq!(shape(&csv), shape(&xml));
    assert_eq!(csv.export_columns(), xml.export_columns());
}

#[test]
fn dictionary_and_project_xml_agree_for_simple_except_the_field_the_csv_lacks() {
    let csv = read("REDCapR/inst/test-data/projects/simple/dictionary.csv");
    let mut xml = read("REDCapR/inst/test-data/projects/simple/project.xml");
    // The XML was exported after a truefalse field was added (see NOTES.md).
    let added: Vec<String> = xml
        .fields()
        .filter(|(_, f)| csv.field(&f.name).is_none())
        .map(|(_, f)| format!("{} {}", f.name, f.field_type))
        .collect();
    assert_eq!(added, ["interpreter_needed truefalse"]);
    for form in &mut xml.forms {
        form.fields.retain(|f| f.name != "interpreter_needed");
    }
    assert_eq!(shape(&csv), shape(&xml));
}

#[test]
fn snapshot_dictionary_and_xml_writers_read_back_the_same_schema() {
    for path in [
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
        "REDCapR/inst/test-data/projects/vignette-repeating/project.xml",
        "PyCap/tests/data/test_long_project.xml",
        "harmonist-hub/csv/SETTINGS.csv",
        "flight-tracker/reporting/metadata.table1.json",
    ] {
        let schema = read(path);
        let json = redcap_schema::to_snapshot(&schema);
        assert!(json.ends_with("}\n"));
        assert_eq!(
            redcap_schema::from_snapshot(&json, "schema.json").unwrap(),
            schema,
            "{path}: snapshot"
        );
        assert_eq!(
            redcap_schema::to_snapshot(
                &redcap_schema::read(json.as_bytes(), "schema.json").unwrap()
            ),
            json
        );

        let csv = redcap_schema::to_dictionary_csv(&schema);
        let from_csv = redcap_schema::read(csv.as_bytes(), "written.csv")
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(shape(&from_csv), shape(&schema), "{path}: dictionary CSV");
        for ((_, a), (_, b)) in from_csv.fields().zip(schema.fields()) {
            assert_eq!(a, b, "{path}: dictionary CSV, field {}", b.name);
        }

        let xml = redcap_schema::to_project_xml(&schema, None, "2025-01-02T03:04:05");
        let from_xml = redcap_schema::read(xml.as_bytes(), "written.xml")
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(from_xml.fields().count(), schema.fields().count());
        for ((_, a), (_, b)) in from_xml.fields().zip(schema.fields()) {
            assert_eq!(a, b, "{path}: project XML, field {}", b.name);
        }
        if path.ends_with(".xml") {
            assert_eq!(from_xml, schema, "{path}: project XML");
        }
    }
}

#[test]
fn records_survive_a_project_xml_round_trip() {
    for path in [
        "REDCapR/inst/test-data/projects/longitudinal/project.xml",
        "REDCapR/inst/test-data/projects/vignette-repeating/project.xml",
        "redcap-etl/tests/projects/RepeatingForms.REDCap.xml",
    ] {
        let bytes = std::fs::read(fixture(path)).unwrap();
        let text = redcap_schema::read::decode(&bytes, path).unwrap();
        let project = redcap_schema::read_project_xml(text, path).unwrap();
        let schema = project.schema(path).unwrap();
        let xml =
            redcap_schema::to_project_xml(&schema, Some(&project.records), "2025-01-02T03:04:05");
        let again =
            redcap_schema::read_project_xml(&xml, "written.xml").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.records.len(), project.records.len(), "{path}");
        for (a, b) in again.records.iter().zip(&project.records) {
            assert_eq!(
                (
                    &a.record,
                    &a.event,
                    &a.repeat_instrument,
                    &a.repeat_instance
                ),
                (
                    &b.record,
                    &b.event,
                    &b.repeat_instrument,
                    &b.repeat_instance
                ),
                "{path}"
            );
            let mut x: Vec<_> = a.values.iter().collect();
            let mut y: Vec<_> = b.values.iter().filter(|(_, v)| !v.is_empty()).collect();
            x.sort();
            y.sort();
            assert_eq!(x, y, "{path}: record {}", a.record);
            assert_eq!(a.files, b.files, "{path}");
        }
    }
}

#[test]
fn a_dictionary_and_the_apis_json_assemble_a_longitudinal_project() {
    let dictionary = "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations\n\
        record_id,enrolment,,text,ID,\n\
        weight,visit,,text,Weight,\n";
    let inputs: [(&str, &str); 6] = [
        ("dictionary.csv", dictionary),
        (
            "project.json",
            r#"{"project_id": 7, "project_title": "Trial", "is_longitudinal": 1, "surveys_enabled": 0, "record_autonumbering_enabled": 1, "missing_data_codes": "UNK, Unknown | -99, Not asked"}"#,
        ),
        ("arms.json", r#"[{"arm_num": 1, "name": "Arm 1"}]"#),
        (
            "events.json",
            r#"[{"event_name": "Baseline", "arm_num": 1, "unique_event_name": "baseline_arm_1", "custom_event_label": "", "event_id": 41}, {"event_name": "Visit", "arm_num": 1, "unique_event_name": "visit_arm_1", "custom_event_label": null, "event_id": 42}]"#,
        ),
        (
            "mappings.json",
            r#"[{"arm_num": 1, "unique_event_name": "visit_arm_1", "form": "visit"}, {"arm_num": 1, "unique_event_name": "baseline_arm_1", "form": "visit"}, {"arm_num": 1, "unique_event_name": "baseline_arm_1", "form": "enrolment"}]"#,
        ),
        (
            "repeating.json",
            r#"[{"event_name": "visit_arm_1", "form_name": "visit", "custom_form_label": "[weight]"}]"#,
        ),
    ];
    let mut builder = SchemaBuilder::new();
    for (name, text) in inputs {
        builder
            .add_input(text.as_bytes(), name)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let schema = builder.build().unwrap();
    assert!(schema.project.longitudinal);
    assert_eq!(schema.project.title.as_deref(), Some("Trial"));
    assert_eq!(schema.project.missing_data_codes.len(), 2);
    assert_eq!(schema.events[0].forms, ["enrolment", "visit"]);
    assert_eq!(schema.events[1].forms, ["visit"]);
    assert_eq!(
        schema.repeating.instruments[0].event.as_deref(),
        Some("visit_arm_1")
    );
    assert_eq!(
        schema.repeating.instruments[0].label.as_deref(),
        Some("[weight]")
    );

    let mut bad = SchemaBuilder::new();
    bad.add_input(dictionary.as_bytes(), "dictionary.csv")
        .unwrap();
    bad.add_input(
        br#"[{"arm_num": 1, "unique_event_name": "nope_arm_1", "form": "visit"}]"#,
        "mappings.json",
    )
    .unwrap();
    let err = bad.build().unwrap_err();
    assert_eq!(
        err.to_string(),
        "mappings.json: form-event mapping names event `nope_arm_1`, which is not among the events read"
    );
}

#[test]
fn checkbox_missing_data_codes_add_columns_unless_nomissing() {
    let dictionary = "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,field_note,text_validation_type_or_show_slider_number,text_validation_min,text_validation_max,identifier,branching_logic,required_field,custom_alignment,question_number,matrix_group_name,matrix_ranking,field_annotation\n\
        record_id,f,,text,ID,,,,,,,,,,,,,\n\
        rate,f,,checkbox,Rate,\"-1, Worse | 0, Same | 1.5, Better | AB, Other\",,,,,,,,,,,,\n\
        quiet,f,,checkbox,Quiet,\"1, One\",,,,,,,,,,,,@NOMISSING\n";
    let mut builder = SchemaBuilder::new();
    builder.add_input(dictionary.as_bytes(), "d.csv").unwrap();
    builder
        .add_input(br#"{"project_title": "T", "is_longitudinal": 0, "missing_data_codes": "UNK, Unknown | -99, Not asked"}"#, "p.json")
        .unwrap();
    let schema = builder.build().unwrap();
    assert_eq!(
        schema.field("rate").unwrap().export_names,
        [
            "rate____1",
            "rate___0",
            "rate___1_5",
            "rate___ab",
            "rate___unk",
            "rate____99"
        ]
    );
    assert_eq!(schema.field("quiet").unwrap().export_names, ["quiet___1"]);
}
