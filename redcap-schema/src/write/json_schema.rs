//! A JSON Schema of a project's records in REDCap's wire form: one object per row of a
//! flat JSON export (raw codes, every value a string), for tools outside Rust that
//! validate or generate records.

use serde_json::{Map, Value, json};

use crate::validation::DataType;
use crate::{Field, FieldType, ProjectSchema};

/// The JSON Schema (draft 2020-12) of a flat JSON record export of `schema`'s project:
/// an array of row objects. Each column is a string: blank, or a value of its field's
/// type (choice codes, `0`/`1`, the validation's wire pattern), or a missing-data code
/// where the field takes them. Labels are titles, field notes descriptions, and every
/// property names its field and instrument under `x-redcap-field` and `x-redcap-form`.
pub fn to_records_json_schema(schema: &ProjectSchema) -> Value {
    let mut properties = Map::new();
    properties.insert(
        schema.record_id_field.clone(),
        json!({"type": "string", "minLength": 1, "title": "Record ID", "x-redcap-field": schema.record_id_field}),
    );
    if schema.project.longitudinal {
        let events: Vec<&str> = schema
            .events
            .iter()
            .map(|e| e.unique_name.as_str())
            .collect();
        properties.insert(
            "redcap_event_name".into(),
            json!({"type": "string", "enum": events}),
        );
    }
    if schema.has_repeating() {
        let mut forms: Vec<&str> = vec![""];
        for repeating in &schema.repeating.instruments {
            if !forms.contains(&repeating.form.as_str()) {
                forms.push(&repeating.form);
            }
        }
        properties.insert(
            "redcap_repeat_instrument".into(),
            json!({"type": "string", "enum": forms}),
        );
        // REDCap's JSON writes the instance as a number, its CSV as text.
        properties.insert(
            "redcap_repeat_instance".into(),
            json!({"anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": "^([1-9][0-9]*)?$"}
            ]}),
        );
    }
    let dag = if schema.dags.is_empty() {
        json!({"type": "string"})
    } else {
        let mut names: Vec<&str> = vec![""];
        names.extend(schema.dags.iter().map(|d| d.unique_name.as_str()));
        json!({"type": "string", "enum": names})
    };
    properties.insert("redcap_data_access_group".into(), dag);
    properties.insert("redcap_survey_identifier".into(), json!({"type": "string"}));
    let missing: Vec<&str> = schema
        .project
        .missing_data_codes
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    for form in &schema.forms {
        for field in &form.fields {
            if field.name == schema.record_id_field {
                continue;
            }
            if field.field_type == FieldType::Checkbox {
                for (name, choice) in field
                    .export_names
                    .iter()
                    .zip(schema.checkbox_choices(field))
                {
                    let mut property = annotated(field, &form.name);
                    property.insert("enum".into(), json!(["", "0", "1"]));
                    property.insert(
                        "x-redcap-choice".into(),
                        json!({"code": choice.code, "label": choice.label}),
                    );
                    properties.insert(name.clone(), Value::Object(property));
                }
                continue;
            }
            let codes: &[&str] = if schema.takes_missing_codes(field) {
                &missing
            } else {
                &[]
            };
            for name in &field.export_names {
                properties.insert(name.clone(), value_schema(field, &form.name, codes));
            }
        }
        properties.insert(
            form.complete_field.clone(),
            json!({"type": "string", "enum": ["", "0", "1", "2"], "title": "Complete?",
                   "x-redcap-form": form.name}),
        );
        properties.insert(
            format!("{}_timestamp", form.name),
            json!({"type": "string", "x-redcap-form": form.name}),
        );
    }
    let title = schema
        .project
        .title
        .as_deref()
        .map(|t| format!("{t}: records"))
        .unwrap_or_else(|| "REDCap records".to_owned());
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "description": "A flat JSON record export (raw values): one object per record, event and repeat instance.",
        "type": "array",
        "items": {"$ref": "#/$defs/row"},
        "$defs": {
            "row": {
                "type": "object",
                "properties": properties,
                "required": [schema.record_id_field],
                "additionalProperties": false
            }
        }
    })
}

/// Title, description and the field's names.
fn annotated(field: &Field, form: &str) -> Map<String, Value> {
    let mut property = Map::new();
    property.insert("type".into(), json!("string"));
    property.insert("title".into(), json!(field.label));
    if let Some(note) = &field.note {
        property.insert("description".into(), json!(note));
    }
    property.insert("x-redcap-field".into(), json!(field.name));
    property.insert("x-redcap-form".into(), json!(form));
    property.insert(
        "x-redcap-field-type".into(),
        json!(field.field_type.as_str()),
    );
    if let Some(validation) = field.validation {
        property.insert("x-redcap-validation".into(), json!(validation.as_str()));
    }
    property
}

/// A one-column field: blank, a value of its kind, or one of `missing`.
fn value_schema(field: &Field, form: &str, missing: &[&str]) -> Value {
    let mut property = annotated(field, form);
    let choices: Option<Vec<&str>> = match field.field_type {
        FieldType::Dropdown | FieldType::Radio => {
            Some(field.choices.iter().map(|c| c.code.as_str()).collect())
        }
        FieldType::Yesno | FieldType::Truefalse | FieldType::Advcheckbox => Some(vec!["0", "1"]),
        _ => None,
    };
    if let Some(mut codes) = choices {
        codes.insert(0, "");
        codes.extend(
            missing
                .iter()
                .filter(|m| !codes.contains(m))
                .collect::<Vec<_>>(),
        );
        property.insert("enum".into(), json!(codes));
        return Value::Object(property);
    }
    let pattern = match field.field_type {
        FieldType::Slider => Some(r"^[-+]?\d+$"),
        FieldType::Calc => Some(r"^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$"),
        FieldType::Text => field.validation.and_then(|v| wire_pattern(v.data_type())),
        _ => None,
    };
    let Some(pattern) = pattern else {
        return Value::Object(property);
    };
    let mut alternatives = vec![json!({"const": ""}), json!({"pattern": pattern})];
    if !missing.is_empty() {
        alternatives.push(json!({"enum": missing}));
    }
    property.insert("anyOf".into(), json!(alternatives));
    Value::Object(property)
}

/// The wire pattern of a validation's kind, where it has a fixed one.
fn wire_pattern(data_type: DataType) -> Option<&'static str> {
    Some(match data_type {
        DataType::Date => r"^\d{4}-\d{2}-\d{2}$",
        DataType::Datetime => r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$",
        DataType::DatetimeSeconds => r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
        DataType::Time => r"^\d{1,2}:\d{2}(:\d{2})?$",
        DataType::Integer => r"^[-+]?\d+$",
        DataType::Number => r"^[-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$",
        DataType::NumberCommaDecimal => r"^[-+]?[0-9]*,?[0-9]+([eE][-+]?[0-9]+)?$",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_column_has_a_typed_property() {
        let dictionary = "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number\n\
            record_id,visit,,text,Record ID,,,\n\
            seen,visit,,text,Seen on,,When they came,date_ymd\n\
            colour,visit,,radio,Colour,\"1, Red | 2, Blue\",,\n\
            pets,visit,,checkbox,Pets,\"c, Cat | d, Dog\",,\n";
        let schema = crate::read(dictionary.as_bytes(), "dictionary.csv").unwrap();
        let json = to_records_json_schema(&schema);
        let row = &json["$defs"]["row"]["properties"];
        for column in schema.export_columns() {
            assert!(row.get(column).is_some(), "{column}");
        }
        assert_eq!(row["seen"]["title"], "Seen on");
        assert_eq!(row["seen"]["description"], "When they came");
        assert_eq!(row["seen"]["anyOf"][1]["pattern"], r"^\d{4}-\d{2}-\d{2}$");
        assert_eq!(row["colour"]["enum"], json!(["", "1", "2"]));
        assert_eq!(row["pets___c"]["enum"], json!(["", "0", "1"]));
        assert_eq!(row["pets___d"]["x-redcap-choice"]["label"], "Dog");
        assert_eq!(json["$defs"]["row"]["required"], json!(["record_id"]));
    }
}
