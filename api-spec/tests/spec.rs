//! The shipped spec loads, is valid, covers REDCap's catalog and has a current JSON Schema.

use std::path::Path;

use redcap_api_spec::{ParamType, Problem, load, load_dir, validate};

#[test]
fn shipped_spec_loads_and_is_valid() {
    let spec = load().unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(validate(&spec), Vec::<Problem>::new());
    assert!(spec.methods().count() >= 55);
}

#[test]
fn load_dir_reads_the_same_files_as_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    assert_eq!(load_dir(&dir).unwrap(), load().unwrap());
}

#[derive(serde::Deserialize)]
struct CatalogMethod {
    name: String,
    documented: bool,
    content: String,
    action: Option<String>,
    params: Vec<CatalogParam>,
}

#[derive(serde::Deserialize)]
struct CatalogParam {
    name: String,
    required: bool,
}

/// Method names, content/action and parameters of REDCap 15.7.6's API, as catalogued
/// from its help page and handlers (fixture: `tests/fixtures/catalog-index.json`).
fn catalog() -> Vec<CatalogMethod> {
    let text = include_str!("fixtures/catalog-index.json");
    serde_json::from_str(text).expect("catalog fixture is valid JSON")
}

#[test]
fn every_documented_method_is_in_the_spec_with_every_parameter() {
    let spec = load().unwrap();
    let documented: Vec<_> = catalog().into_iter().filter(|m| m.documented).collect();
    assert_eq!(documented.len(), 55);
    for entry in &documented {
        let method = spec
            .method(&entry.name)
            .unwrap_or_else(|| panic!("{} is missing from the spec", entry.name));
        assert_eq!(method.content, entry.content, "{}", entry.name);
        assert_eq!(method.action, entry.action, "{}", entry.name);
        assert!(method.documented, "{}", entry.name);
        for param in &entry.params {
            let ours = method
                .param(&param.name)
                .unwrap_or_else(|| panic!("{}.{} is missing", entry.name, param.name));
            assert_eq!(
                ours.required, param.required,
                "{}.{}",
                entry.name, param.name
            );
        }
        assert_eq!(method.params.len(), entry.params.len(), "{}", entry.name);
    }
}

#[test]
fn undocumented_methods_in_the_spec_are_marked_and_catalogued() {
    let spec = load().unwrap();
    let catalog = catalog();
    for method in spec.methods().filter(|m| !m.documented) {
        let entry = catalog
            .iter()
            .find(|entry| entry.name == method.name)
            .unwrap_or_else(|| panic!("{} is not a REDCap method", method.name));
        assert!(!entry.documented, "{} is documented by REDCap", method.name);
    }
}

#[test]
fn every_enum_parameter_names_a_defined_enum_and_lists_are_encoded() {
    let spec = load().unwrap();
    for method in spec.methods() {
        for param in &method.params {
            if param.ty == ParamType::Enum {
                let name = param.enum_name.as_deref().unwrap();
                assert!(
                    spec.enum_def(name).is_some(),
                    "{}.{}",
                    method.name,
                    param.name
                );
            }
            if param.ty == ParamType::List {
                assert!(
                    param.list_encoding.is_some(),
                    "{}.{}",
                    method.name,
                    param.name
                );
            }
        }
    }
}

#[test]
fn validate_reports_every_problem_with_its_place() {
    let mut spec = load().unwrap();
    let records = &mut spec.families[0].methods;
    let copy = records[0].clone();
    records.push(copy);
    records[1].params[0].doc = String::new();
    records[2].params[0].rust_name = Some("type".into());
    spec.enums[0].values[0].doc = " ".into();
    let problems = validate(&spec);
    let rendered: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        rendered.contains(&"export_records: method name used twice".to_string()),
        "{rendered:#?}"
    );
    assert!(
        rendered
            .iter()
            .any(|p| p.starts_with("export_records: same content")),
        "{rendered:#?}"
    );
    assert!(
        rendered.contains(&"import_records.format: parameter is not documented".to_string()),
        "{rendered:#?}"
    );
    assert!(
        rendered
            .iter()
            .any(|p| p.starts_with("delete_records.records: `type` is not a usable Rust name")),
        "{rendered:#?}"
    );
    assert!(
        rendered.contains(&"Format.csv: value is not documented".to_string()),
        "{rendered:#?}"
    );
}

#[test]
fn committed_json_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/spec.schema.json");
    let expected = redcap_api_spec::json_schema();
    if std::env::var_os("REDCAP_BLESS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == expected,
        "spec/spec.schema.json is stale: run `REDCAP_BLESS=1 cargo test -p redcap-api-spec`"
    );
}

#[test]
fn malformed_files_are_named_in_the_error() {
    let dir = std::env::temp_dir().join(format!("redcap-spec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    for name in redcap_api_spec::file_names() {
        std::fs::copy(source.join(&name), dir.join(&name)).unwrap();
    }
    std::fs::write(dir.join("arms.toml"), "[[method]]\nname = 3\n").unwrap();
    let error = load_dir(&dir).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        error.starts_with("spec file arms.toml is malformed"),
        "{error}"
    );
}

#[test]
fn the_binary_prints_every_catalog_method_with_its_parameters_as_json() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_redcap-api-spec"))
        .arg("--json")
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    for entry in catalog().iter().filter(|m| m.documented) {
        let method = printed
            .iter()
            .find(|m| m["name"] == entry.name.as_str())
            .unwrap_or_else(|| panic!("{} is not printed", entry.name));
        assert_eq!(method["content"], entry.content.as_str());
        assert_eq!(
            method["action"].as_str(),
            entry.action.as_deref(),
            "{}",
            entry.name
        );
        let params = method["params"].as_array().unwrap();
        for param in &entry.params {
            let printed = params
                .iter()
                .find(|p| p["name"] == param.name.as_str())
                .unwrap_or_else(|| panic!("{}.{} is not printed", entry.name, param.name));
            assert_eq!(
                printed["required"], param.required,
                "{}.{}",
                entry.name, param.name
            );
        }
    }
}
