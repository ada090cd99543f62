//! Compile-time checks of a hand-written record struct against a project's schema:
//! every field must exist (else the nearest name is suggested) and its Rust type must be
//! able to hold the field's values.

use redcap_schema::validation::DataType;
use redcap_schema::{Field, FieldType, ProjectSchema};

use crate::schema_file::nearest;

/// What the schema says about one column-holding field.
pub(crate) enum Found<'s> {
    /// A data-dictionary field.
    Field(&'s Field),
    /// A `<form>_complete` status field.
    Status,
}

/// Looks `name` up in `form` (or the whole project), or explains what is wrong.
pub(crate) fn find<'s>(
    schema: &'s ProjectSchema,
    form: Option<&str>,
    name: &str,
) -> Result<Found<'s>, String> {
    let forms: Vec<_> = match form {
        Some(form) => schema.form(form).into_iter().collect(),
        None => schema.forms.iter().collect(),
    };
    for form in &forms {
        if form.complete_field == name {
            return Ok(Found::Status);
        }
        if let Some(field) = form.fields.iter().find(|f| f.name == name) {
            return Ok(Found::Field(field));
        }
    }
    if name == schema.record_id_field {
        return schema
            .field(name)
            .map(Found::Field)
            .ok_or_else(|| "the record id field is missing".into());
    }
    let candidates = forms
        .iter()
        .flat_map(|form| {
            form.fields
                .iter()
                .map(|f| f.name.as_str())
                .chain([form.complete_field.as_str()])
        })
        .chain([schema.record_id_field.as_str()]);
    let place = match form {
        Some(form) => format!("the instrument `{form}`"),
        None => "the project".to_string(),
    };
    Err(match nearest(name, candidates) {
        Some(suggestion) => format!("no field `{name}` in {place}; did you mean `{suggestion}`?"),
        None => format!("no field `{name}` in {place}"),
    })
}

/// The last path segment of a type, after peeling one `Option<…>`.
fn type_name(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident == "Option"
        && let syn::PathArguments::AngleBracketed(args) = &last.arguments
        && let Some(syn::GenericArgument::Type(inner)) = args.args.first()
    {
        return type_name(inner);
    }
    Some(last.ident.to_string())
}

/// Types this crate knows the values of; other types are the caller's own and accepted.
const KNOWN: &[&str] = &[
    "bool",
    "i64",
    "Integer",
    "i32",
    "u32",
    "u64",
    "f32",
    "f64",
    "Decimal",
    "NaiveDate",
    "Date",
    "DateTime",
    "DateTimeSeconds",
    "NaiveTime",
    "Time",
    "TimeSeconds",
    "MinutesSeconds",
    "FormStatus",
    "Checkboxes",
];

/// Rust type names that can hold every value of `found`.
fn accepted(found: &Found<'_>) -> &'static [&'static str] {
    let field = match found {
        Found::Status => return &["FormStatus"],
        Found::Field(field) => field,
    };
    match field.field_type {
        FieldType::Checkbox => &["Checkboxes"],
        FieldType::Yesno | FieldType::Truefalse => &["bool"],
        FieldType::Slider => &["Integer", "i64", "Decimal"],
        FieldType::Dropdown | FieldType::Radio => &[],
        FieldType::Calc
            if !field.has_action_tag("@CALCTEXT") && !field.has_action_tag("@CALCDATE") =>
        {
            &["Decimal"]
        }
        FieldType::Text => match field.validation.map(|v| (v.data_type(), v.as_str())) {
            Some((DataType::Integer, _)) => &["Integer", "i64", "Decimal"],
            Some((DataType::Number | DataType::NumberCommaDecimal, _)) => &["Decimal"],
            Some((DataType::Date, _)) => &["NaiveDate", "Date"],
            Some((DataType::Datetime, _)) => &["DateTime"],
            Some((DataType::DatetimeSeconds, _)) => &["DateTimeSeconds"],
            Some((DataType::Time, "time")) => &["NaiveTime", "Time"],
            Some((DataType::Time, "time_hh_mm_ss")) => &["TimeSeconds"],
            Some((DataType::Time, "time_mm_ss")) => &["MinutesSeconds"],
            _ => &[],
        },
        _ => &[],
    }
}

/// Checks that `ty` can hold the values of `found`, or says why not.
pub(crate) fn check_type(name: &str, found: &Found<'_>, ty: &syn::Type) -> Result<(), String> {
    let Some(declared) = type_name(ty) else {
        return Ok(());
    };
    let accepted = accepted(found);
    let is_checkbox = matches!(found, Found::Field(f) if f.field_type == FieldType::Checkbox);
    if declared == "String" || declared == "RecordId" {
        return if is_checkbox {
            Err(format!(
                "`{name}` is a checkbox field: use `Checkboxes<…>` for its columns"
            ))
        } else {
            Ok(())
        };
    }
    if !KNOWN.contains(&declared.as_str()) && !is_checkbox {
        // The caller's own type (a choice enum, a newtype): its `WireValue` decides.
        return Ok(());
    }
    if accepted.contains(&declared.as_str()) {
        return Ok(());
    }
    let what = match found {
        Found::Status => "a form status".to_string(),
        Found::Field(field) => match field.validation {
            Some(v) => format!(
                "a {} field with validation `{}`",
                field.field_type.as_str(),
                v.as_str()
            ),
            None => format!("a {} field", field.field_type.as_str()),
        },
    };
    let advice = if declared.starts_with('f') {
        "a float cannot keep REDCap's exact text; use `Decimal`".to_string()
    } else if accepted.is_empty() {
        "use `String` or the field's choice enum".to_string()
    } else {
        format!(
            "use {}",
            accepted
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    };
    Err(format!(
        "`{declared}` cannot hold the values of `{name}`, {what}; {advice}"
    ))
}

/// The `(column, code)` pairs of a checkbox field, from the schema.
pub(crate) fn checkbox_columns(schema: &ProjectSchema, field: &Field) -> Vec<(String, String)> {
    let codes = schema
        .checkbox_choices(field)
        .into_iter()
        .map(|c| c.code.clone());
    field.export_names.iter().cloned().zip(codes).collect()
}

/// Refuses a typed scalar for a field that may hold a missing-data code instead of a
/// value: `i64` cannot hold `UNK`.
pub(crate) fn check_missing_codes(
    schema: &ProjectSchema,
    name: &str,
    found: &Found<'_>,
    ty: &syn::Type,
) -> Result<(), String> {
    let (Found::Field(field), Some(declared)) = (found, type_name(ty)) else {
        return Ok(());
    };
    let typed_scalar =
        KNOWN.contains(&declared.as_str()) && declared != "String" && declared != "RecordId";
    if !typed_scalar || !schema.takes_missing_codes(field) {
        return Ok(());
    }
    let codes: Vec<&str> = schema
        .project
        .missing_data_codes
        .iter()
        .map(|c| c.code.as_str())
        .collect();
    Err(format!(
        "`{name}` may hold one of the project's missing-data codes ({}) in place of a value, which `{declared}` cannot hold; use `MaybeMissing<{declared}, _>` (or tag the field `@NOMISSING`)",
        codes.join(", ")
    ))
}
