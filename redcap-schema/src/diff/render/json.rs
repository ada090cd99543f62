//! The stable JSON format (`DIFF.md`).

use serde_json::{Map, Value as Json, json};

use super::super::model::{Change, Impact, SchemaDiff, Target, Value};

/// The format's name and version, the first key of every document; it
/// changes only with an incompatible change of the format.
pub const FORMAT: &str = "redcap-schema-diff/1";

/// The diff as a JSON document: pretty-printed with two-space indentation,
/// keys in the documented order, a trailing newline.
pub fn to_json(diff: &SchemaDiff) -> String {
    let mut summary = Map::new();
    for impact in Impact::ALL {
        summary.insert(impact.as_str().to_owned(), json!(diff.count(impact)));
    }
    let doc = json!({
        "format": FORMAT,
        "breaking": diff.has_breaking(),
        "summary": summary,
        "changes": diff.changes.iter().map(change).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn change(change: &Change) -> Json {
    let mut obj = Map::new();
    obj.insert("kind".into(), json!(change.kind.as_str()));
    obj.insert("impact".into(), json!(change.impact.as_str()));
    let (name, keys) = target(&change.target);
    obj.insert("target".into(), json!(name));
    for (key, value) in keys {
        obj.insert(key.into(), value);
    }
    obj.insert("old".into(), value(change.old.as_ref()));
    obj.insert("new".into(), value(change.new.as_ref()));
    obj.insert("reason".into(), json!(change.reason));
    Json::Object(obj)
}

fn target(target: &Target) -> (&'static str, Vec<(&'static str, Json)>) {
    match target {
        Target::Project => ("project", vec![]),
        Target::Form { form } => ("form", vec![("form", json!(form))]),
        Target::Field { form, field } => (
            "field",
            vec![("form", json!(form)), ("field", json!(field))],
        ),
        Target::Arm { arm } => ("arm", vec![("arm", json!(arm))]),
        Target::Event { event } => ("event", vec![("event", json!(event))]),
        Target::Mapping { event, form } => (
            "mapping",
            vec![("event", json!(event)), ("form", json!(form))],
        ),
        Target::RepeatingInstrument { event, form } => (
            "repeating_instrument",
            vec![("event", json!(event)), ("form", json!(form))],
        ),
        Target::RepeatingEvent { event } => ("repeating_event", vec![("event", json!(event))]),
    }
}

fn value(value: Option<&Value>) -> Json {
    match value {
        None => Json::Null,
        Some(Value::Text(t)) => json!(t),
        Some(Value::Flag(b)) => json!(b),
        Some(Value::Choice(c)) => json!({ "code": c.code, "label": c.label }),
        Some(Value::List(items)) => json!(items),
        Some(Value::Tag(t)) => json!({ "name": t.name, "argument": t.argument }),
    }
}
