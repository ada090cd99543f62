//! Every corpus dictionary and project XML (copied into `tests/fixtures` with
//! its licence) reads without error; its forms and fields by type are
//! snapshotted and checked against the counts in the corpus's MANIFEST.tsv.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use redcap_schema::{FieldType, FlatRecord, ProjectSchema};
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Corpus files left out of the repository because of their size, with the
/// file that covers the same ground.
const OMITTED: &[(&str, &str)] = &[];

struct Entry {
    kind: String,
    path: String,
    counts: Value,
}

fn manifest() -> Vec<Entry> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .from_path(fixtures().join("MANIFEST.tsv"))
        .expect("MANIFEST.tsv");
    reader
        .records()
        .map(|r| {
            let r = r.expect("manifest row");
            Entry {
                kind: r[0].to_owned(),
                path: r[3].to_owned(),
                counts: serde_json::from_str(&r[7]).expect("counts JSON"),
            }
        })
        .filter(|e| {
            matches!(
                e.kind.as_str(),
                "dictionary csv" | "dictionary json" | "project xml"
            )
        })
        .collect()
}

fn count_map(counts: &Value, key: &str) -> BTreeMap<String, u64> {
    counts
        .get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn n(counts: &Value, key: &str) -> Option<u64> {
    counts.get(key).and_then(Value::as_u64)
}

fn field_types(schema: &ProjectSchema) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for (_, f) in schema.fields() {
        *map.entry(f.field_type.to_string()).or_default() += 1;
    }
    map
}

fn validations(schema: &ProjectSchema) -> BTreeMap<String, u64> {
    let mut map = BTreeMap::new();
    for (_, f) in schema.fields() {
        if let (FieldType::Text, Some(v)) = (f.field_type, f.validation) {
            *map.entry(v.to_string()).or_default() += 1;
        }
    }
    map
}

fn matrix_groups(schema: &ProjectSchema) -> usize {
    schema
        .fields()
        .filter_map(|(_, f)| f.matrix_group.as_deref())
        .collect::<BTreeSet<_>>()
        .len()
}

/// What the snapshot records of one corpus file.
fn summary(schema: &ProjectSchema, records: Option<&[FlatRecord]>) -> Value {
    let mut action_tags: BTreeMap<String, u64> = BTreeMap::new();
    for (_, f) in schema.fields() {
        for t in f
            .action_tags
            .iter()
            .map(|t| &t.name)
            .collect::<BTreeSet<_>>()
        {
            *action_tags.entry(t.clone()).or_default() += 1;
        }
    }
    let checkbox_columns: Vec<&str> = schema
        .fields()
        .filter(|(_, f)| f.field_type == FieldType::Checkbox)
        .flat_map(|(_, f)| f.export_names.iter().map(String::as_str))
        .collect();
    let mut summary = json!({
        "title": schema.project.title,
        "redcap_version": schema.project.redcap_version,
        "record_id_field": schema.record_id_field,
        "longitudinal": schema.project.longitudinal,
        "forms": schema.forms.iter().map(|f| format!("{} ({}): {} fields{}", f.name, f.label, f.fields.len(), if f.survey { ", survey" } else { "" })).collect::<Vec<_>>(),
        "field_types": field_types(schema),
        "validations": validations(schema),
        "matrix_groups": matrix_groups(schema),
        "action_tags": action_tags,
        "checkbox_columns": checkbox_columns,
        "export_columns": schema.export_columns().len(),
        "arms": schema.arms.iter().map(|a| format!("{}: {}", a.number, a.name)).collect::<Vec<_>>(),
        "events": schema.events.iter().map(|e| format!("{} (arm {}): {}", e.unique_name, e.arm, e.forms.join(", "))).collect::<Vec<_>>(),
        "repeating": schema.repeating,
        "dags": schema.dags,
        "missing_data_codes": schema.project.missing_data_codes,
    });
    if let Some(records) = records {
        let names: BTreeSet<&str> = records.iter().map(|r| r.record.as_str()).collect();
        let values: usize = records.iter().map(|r| r.values.len() + r.files.len()).sum();
        summary["records"] =
            json!({ "rows": records.len(), "records": names.len(), "values": values });
    }
    summary
}

fn check_dictionary_counts(path: &str, schema: &ProjectSchema, counts: &Value) {
    assert_eq!(
        Some(schema.fields().count() as u64),
        n(counts, "fields"),
        "{path}: fields"
    );
    assert_eq!(
        Some(schema.forms.len() as u64),
        n(counts, "forms"),
        "{path}: forms"
    );
    assert_eq!(
        field_types(schema),
        count_map(counts, "field_types"),
        "{path}: field types"
    );
    if counts.get("validations").is_some() {
        assert_eq!(
            validations(schema),
            count_map(counts, "validations"),
            "{path}: validations"
        );
    }
    if let Some(groups) = n(counts, "matrix_groups") {
        assert_eq!(
            matrix_groups(schema) as u64,
            groups,
            "{path}: matrix groups"
        );
    }
    if let Some(branching) = n(counts, "branching") {
        let with = schema
            .fields()
            .filter(|(_, f)| f.branching_logic.is_some())
            .count();
        assert_eq!(
            with as u64, branching,
            "{path}: fields with branching logic"
        );
    }
    for (tag, count) in count_map(counts, "action_tags") {
        let with = schema
            .fields()
            .filter(|(_, f)| f.has_action_tag(&tag))
            .count();
        assert_eq!(with as u64, count, "{path}: fields with {tag}");
    }
}

/// In project XML the counts are per `redcap:Variable`, which includes each
/// form's status field (type `select`) and pseudo-fields without a type
/// (`null`), under REDCap's internal type names.
fn check_xml_counts(path: &str, schema: &ProjectSchema, records: &[FlatRecord], counts: &Value) {
    let forms = schema.forms.len() as u64;
    assert_eq!(Some(forms), n(counts, "forms"), "{path}: forms");
    let var_types = count_map(counts, "var_types");
    let pseudo = var_types.get("null").copied().unwrap_or(0);
    assert_eq!(
        Some(schema.fields().count() as u64 + forms + pseudo),
        n(counts, "variables"),
        "{path}: variables = fields + status fields + pseudo-fields"
    );
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for (t, count) in var_types {
        let t = match t.as_str() {
            "textarea" => "notes".to_owned(),
            "select" => "dropdown".to_owned(),
            "null" => continue,
            other => other.to_owned(),
        };
        *expected.entry(t).or_default() += count;
    }
    *expected.entry("dropdown".into()).or_default() -= forms;
    expected.retain(|_, c| *c > 0);
    assert_eq!(field_types(schema), expected, "{path}: field types");
    if let Some(events) = n(counts, "events") {
        assert_eq!(schema.events.len() as u64, events, "{path}: events");
    }
    if let Some(arms) = n(counts, "arms") {
        assert_eq!(schema.arms.len() as u64, arms, "{path}: arms");
    }
    let repeating = (schema.repeating.events.len() + schema.repeating.instruments.len()) as u64;
    assert_eq!(
        repeating,
        n(counts, "n_repeating").unwrap_or(0),
        "{path}: repeating"
    );
    let names: BTreeSet<&str> = records.iter().map(|r| r.record.as_str()).collect();
    assert_eq!(
        names.len() as u64,
        n(counts, "records").unwrap_or(0),
        "{path}: records"
    );
    if let Some(groups) = n(counts, "matrix_groups") {
        assert_eq!(
            matrix_groups(schema) as u64,
            groups,
            "{path}: matrix groups"
        );
    }
}

#[test]
fn every_corpus_dictionary_and_project_xml_reads_and_matches_the_manifest() {
    let entries = manifest();
    assert!(entries.len() >= 20, "manifest rows: {}", entries.len());
    for entry in entries {
        let file = fixtures().join(&entry.path);
        if !file.exists() {
            assert!(
                OMITTED.iter().any(|(p, _)| *p == entry.path),
                "{} is in the manifest but not among the fixtures",
                entry.path
            );
            continue;
        }
        let bytes = std::fs::read(&file).unwrap();
        let (schema, records) = if entry.kind == "project xml" {
            let text = redcap_schema::read::decode(&bytes, &entry.path).unwrap();
            let project = redcap_schema::read_project_xml(text, &entry.path)
                .unwrap_or_else(|e| panic!("{e}"));
            let schema = project
                .schema(&entry.path)
                .unwrap_or_else(|e| panic!("{e}"));
            check_xml_counts(&entry.path, &schema, &project.records, &entry.counts);
            (schema, Some(project.records))
        } else {
            let schema = redcap_schema::read(&bytes, &entry.path).unwrap_or_else(|e| panic!("{e}"));
            check_dictionary_counts(&entry.path, &schema, &entry.counts);
            (schema, None)
        };
        let name = entry.path.replace(['/', '.'], "_");
        insta::assert_json_snapshot!(name, summary(&schema, records.as_deref()));
    }
}

/// The full canonical snapshot of two small dictionaries, to review the
/// format itself.
#[test]
fn full_snapshots_of_small_dictionaries() {
    for path in [
        "REDCapR/inst/test-data/projects/simple/dictionary.csv",
        "REDCapR/inst/test-data/projects/checkboxes-1/dictionary.csv",
    ] {
        let schema = redcap_schema::read_path(&fixtures().join(path)).unwrap();
        let name = format!("full_{}", path.replace(['/', '.'], "_"));
        insta::assert_snapshot!(name, redcap_schema::to_snapshot(&schema));
    }
}
