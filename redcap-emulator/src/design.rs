//! Project structure methods: metadata, field names, instruments, project
//! info, arms, events, form–event mappings, repeating setup, DAGs.

use indexmap::IndexMap;
use redcap_schema::build::Parts;
use redcap_schema::dictionary::Column as DictColumn;
use redcap_schema::write::dictionary_csv::dictionary_rows;
use redcap_schema::{Arm, Event, FieldType, RepeatingEvent, RepeatingInstrument};
use serde_json::Value;

use crate::context::Ctx;
use crate::format::{Format, Table, cell_text, csv_line, php_json, table_xml};
use crate::records::payload;
use crate::reply::{ApiError, Reply};
use crate::rights::{DESIGN_EXPORT, DESIGN_IMPORT};
use crate::store;

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// A table in the request's format; metadata-style JSON puts a newline
/// between items, as REDCap's metadata export does.
fn table_reply(ctx: &Ctx<'_>, header: &[&str], table: &Table) -> Reply {
    let body = match ctx.format {
        Format::Json => {
            let items = table
                .iter()
                .map(|row| Value::Object(row.clone().into_iter().collect()))
                .collect();
            php_json(&Value::Array(items))
        }
        Format::Csv => {
            let mut out = String::new();
            csv_line(header.iter().copied(), ',', &mut out);
            for row in table {
                let cells: Vec<String> = header
                    .iter()
                    .map(|h| row.get(*h).map(cell_text).unwrap_or_default())
                    .collect();
                csv_line(cells.iter().map(String::as_str), ',', &mut out);
            }
            out
        }
        Format::Xml | Format::Odm => table_xml(table, "records"),
    };
    Reply::new(ctx.format, body)
}

fn require_design_import(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if !ctx.user.rights.design {
        return Err(ApiError::bad(DESIGN_IMPORT));
    }
    if ctx.project.in_production {
        return Err(ApiError::bad(
            "This method cannot be used while the project is in Production status.",
        ));
    }
    Ok(())
}

/// `data` as a design importer of REDCap 15.7.6 decodes it: JSON, CSV
/// (with `&#10;`/`&#13;` turned back into line breaks) or XML under the
/// handler's own root element, `root` (`records` for the dictionary,
/// `arms`, `repeatingFormsEvents`, `items` for project settings); `None`
/// when REDCap's decoder gives up, which each handler answers its own way.
fn payload_items(
    ctx: &Ctx<'_>,
    root: &str,
    rows: Rows,
) -> Result<Option<Vec<payload::Item>>, ApiError> {
    if data_of(ctx).trim().is_empty() {
        return Err(ApiError::bad("No data was provided."));
    }
    match rows {
        Rows::Items => crate::access::read_item_rows(ctx, root),
        Rows::Children => crate::access::read_rows(ctx, root),
    }
}

/// The request's `data`.
fn data_of<'c>(ctx: &'c Ctx<'_>) -> &'c str {
    ctx.params.get("data").unwrap_or_default()
}

/// Which elements of an XML payload a design importer reads as rows.
#[derive(Clone, Copy)]
enum Rows {
    /// The root's `<item>` elements (`$data[root]['item']`).
    Items,
    /// Whatever the root holds (`fixXML` of the arm importer; the fields
    /// of project settings).
    Children,
}

fn save(ctx: &Ctx<'_>, project: &store::Project) -> Result<(), ApiError> {
    store::save_project(ctx.conn, project)?;
    Ok(())
}

// ---- metadata ----------------------------------------------------------

/// `content=metadata` export.
pub(crate) fn export_metadata(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let schema = &ctx.project.schema;
    let fields = ctx.params.list("fields");
    let forms = ctx.params.list("forms");
    let bad: Vec<String> = fields
        .iter()
        .filter(|f| schema.field(f).is_none())
        .map(|f| format!("'{f}'"))
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"fields\" are not valid: {}",
            bad.join(", ")
        )));
    }
    let bad: Vec<String> = forms
        .iter()
        .filter(|f| schema.form(f).is_none())
        .map(|f| format!("'{f}'"))
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"forms\" are not valid: {}",
            bad.join(", ")
        )));
    }
    let all = fields.is_empty() && forms.is_empty();
    let header: Vec<&str> = DictColumn::ALL.iter().map(|c| c.api_name()).collect();
    let mut table = Table::new();
    for row in dictionary_rows(schema) {
        let name = row.get(DictColumn::FieldName);
        let form = row.get(DictColumn::FormName);
        if !all && !fields.iter().any(|f| f == name) && !forms.iter().any(|f| f == form) {
            continue;
        }
        let mut item = IndexMap::new();
        for column in DictColumn::ALL {
            let mut value = row.get(column).to_owned();
            if column == DictColumn::Choices {
                value = value.replace("\r\n", "\n");
            }
            item.insert(column.api_name().to_owned(), s(value));
        }
        table.push(item);
    }
    if ctx.format == Format::Json {
        // REDCap joins metadata items with `,\n`.
        let items: Vec<String> = table
            .iter()
            .map(|row| php_json(&Value::Object(row.clone().into_iter().collect())))
            .collect();
        return Ok(Reply::new(Format::Json, format!("[{}]", items.join(",\n"))));
    }
    Ok(table_reply(ctx, &header, &table))
}

/// Dictionary rows from an import payload; columns by position, as
/// REDCap maps them.
fn dictionary_from_payload(
    ctx: &Ctx<'_>,
) -> Result<Option<Vec<redcap_schema::dictionary::DictionaryRow>>, ApiError> {
    let Some(items) = payload_items(ctx, "records", Rows::Items)? else {
        return Ok(None);
    };
    let mut rows = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut row = redcap_schema::dictionary::DictionaryRow {
            row: i + 2,
            line: None,
            ..Default::default()
        };
        for (column, value) in DictColumn::ALL.iter().zip(item.values()) {
            row.set(*column, value.clone());
        }
        rows.push(row);
    }
    Ok(Some(rows))
}

/// `content=metadata` import: REDCap's dictionary checks, then the new
/// dictionary replaces the old one; events keep the forms that still exist.
pub(crate) fn import_metadata(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    // `API/metadata/import.php` answers undecodable data with a language
    // string it never imported into its function: an empty 200.
    let Some(rows) = dictionary_from_payload(ctx)? else {
        return Ok(Reply::empty(ctx.format));
    };
    let count = rows.len();
    let old = &ctx.project.schema;
    let forms: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for r in &rows {
            let f = r.get(DictColumn::FormName).to_owned();
            if !v.contains(&f) {
                v.push(f);
            }
        }
        v
    };
    let form_labels: IndexMap<String, String> = forms
        .iter()
        .map(|f| {
            (
                f.clone(),
                old.form(f)
                    .map(|x| x.label.clone())
                    .unwrap_or_else(|| redcap_schema::build::label_from_name(f)),
            )
        })
        .collect();
    let events: Vec<Event> = old
        .events
        .iter()
        .map(|e| Event {
            forms: e
                .forms
                .iter()
                .filter(|f| forms.contains(f))
                .cloned()
                .collect(),
            ..e.clone()
        })
        .collect();
    let mut repeating = old.repeating.clone();
    repeating.instruments.retain(|r| forms.contains(&r.form));
    let parts = Parts {
        rows,
        project: old.project.clone(),
        form_labels,
        survey_forms: old
            .forms
            .iter()
            .filter(|f| f.survey)
            .map(|f| f.name.clone())
            .collect(),
        arms: old.arms.clone(),
        events,
        repeating,
        dags: old.dags.clone(),
        record_id_field: None,
    };
    let schema = parts.build("data").map_err(|e| match e.problems() {
        Some(problems) => ApiError::bad(
            problems
                .errors()
                .map(problem_line)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        None => ApiError::bad(e.to_string()),
    })?;
    let mut project = ctx.project.clone();
    project.schema = schema;
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, count))
}

/// A dictionary problem as one line: REDCap's message with the field and
/// the spreadsheet cell it is about.
fn problem_line(problem: &redcap_schema::Problem) -> String {
    let location = &problem.location;
    let cell = match (location.column, location.row) {
        (Some(column), Some(row)) => format!("{}{row}", column.letter()),
        _ => String::new(),
    };
    match (&location.field, cell.is_empty()) {
        (Some(field), false) => format!("{} ({field}, cell {cell})", problem.message),
        (Some(field), true) => format!("{} ({field})", problem.message),
        (None, false) => format!("{} (cell {cell})", problem.message),
        (None, true) => problem.message.clone(),
    }
}

/// `content=exportFieldNames`.
pub(crate) fn export_field_names(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let schema = &ctx.project.schema;
    let only = ctx.params.non_empty("field");
    if let Some(f) = only {
        match schema.field(f) {
            None if !schema.forms.iter().any(|x| x.complete_field == f) => {
                return Err(ApiError::bad("Invalid field"));
            }
            Some(x) if matches!(x.field_type, FieldType::File | FieldType::Descriptive) => {
                return Err(ApiError::bad("An unknown error occurred"));
            }
            _ => {}
        }
    }
    let mut table = Table::new();
    let mut push = |original: &str, choice: &str, export: &str| {
        if only.is_none_or(|o| o == original) {
            let mut item = IndexMap::new();
            item.insert("original_field_name".to_owned(), s(original));
            item.insert("choice_value".to_owned(), s(choice));
            item.insert("export_field_name".to_owned(), s(export));
            table.push(item);
        }
    };
    for form in &schema.forms {
        for field in &form.fields {
            match field.field_type {
                FieldType::File | FieldType::Descriptive => {}
                FieldType::Checkbox => {
                    let codes = field
                        .choices
                        .iter()
                        .chain(schema.project.missing_data_codes.iter());
                    for (name, choice) in field.export_names.iter().zip(codes) {
                        push(&field.name, &choice.code, name);
                    }
                }
                _ => push(&field.name, "", &field.name),
            }
        }
        push(&form.complete_field, "", &form.complete_field);
    }
    Ok(table_reply(
        ctx,
        &["original_field_name", "choice_value", "export_field_name"],
        &table,
    ))
}

/// `content=instrument`.
pub(crate) fn export_instruments(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    // Labels are the form menu names with tags stripped.
    let rows: Vec<(&str, String)> = ctx
        .project
        .schema
        .forms
        .iter()
        .map(|f| (f.name.as_str(), redcap_schema::html::strip_tags(&f.label)))
        .collect();
    let body = match ctx.format {
        Format::Json => {
            let table: Table = rows
                .iter()
                .map(|(name, label)| {
                    IndexMap::from([
                        ("instrument_name".to_owned(), s(*name)),
                        ("instrument_label".to_owned(), s(label.as_str())),
                    ])
                })
                .collect();
            return Ok(table_reply(
                ctx,
                &["instrument_name", "instrument_label"],
                &table,
            ));
        }
        Format::Csv => instruments_csv(&rows),
        Format::Xml | Format::Odm => instruments_xml(&rows),
    };
    Ok(Reply::new(ctx.format, body))
}

/// The instruments CSV as `API/instrument/export.php` writes it by hand
/// (not with `fputcsv`): the label always in quotes, the name never.
fn instruments_csv(rows: &[(&str, String)]) -> String {
    let mut out = String::from("instrument_name,instrument_label\n");
    for (name, label) in rows {
        out.push_str(name);
        out.push_str(",\"");
        out.push_str(&label.replace('"', "\"\""));
        out.push_str("\"\n");
    }
    out
}

/// The instruments XML as `API/instrument/export.php` writes it: an
/// `<instruments>` root, values in CDATA as they are, a final newline.
fn instruments_xml(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<instruments>\n");
    for (name, label) in rows {
        out.push_str("<item>");
        for (tag, value) in [
            ("instrument_name", *name),
            ("instrument_label", label.as_str()),
        ] {
            if value.is_empty() {
                out.push_str(&format!("<{tag}></{tag}>"));
            } else {
                out.push_str(&format!("<{tag}><![CDATA[{value}]]></{tag}>"));
            }
        }
        out.push_str("</item>\n");
    }
    out.push_str("</instruments>\n");
    out
}

// ---- project info -------------------------------------------------------

const INFO_KEYS: &[&str] = &[
    "project_id",
    "project_title",
    "creation_time",
    "production_time",
    "in_production",
    "project_language",
    "purpose",
    "purpose_other",
    "project_notes",
    "custom_record_label",
    "secondary_unique_field",
    "is_longitudinal",
    "has_repeating_instruments_or_events",
    "surveys_enabled",
    "scheduling_enabled",
    "record_autonumbering_enabled",
    "randomization_enabled",
    "ddp_enabled",
    "project_irb_number",
    "project_grant_number",
    "project_pi_firstname",
    "project_pi_lastname",
    "display_today_now_button",
    "missing_data_codes",
    "external_modules",
    "bypass_branching_erase_field_prompt",
];

fn flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_owned()
}

/// The project's attributes by API key, as text.
fn info_values(project: &store::Project) -> IndexMap<String, String> {
    let schema = &project.schema;
    let mut out = IndexMap::new();
    for key in INFO_KEYS {
        let value = match *key {
            "project_id" => project.id.to_string(),
            "project_title" => schema.project.title.clone().unwrap_or_default(),
            "creation_time" => project.creation_time.clone(),
            "in_production" => flag(project.in_production),
            "is_longitudinal" => flag(schema.project.longitudinal),
            "has_repeating_instruments_or_events" => flag(schema.has_repeating()),
            "surveys_enabled" => flag(schema.project.surveys_enabled),
            "record_autonumbering_enabled" => {
                flag(schema.project.record_autonumbering.unwrap_or(false))
            }
            "custom_record_label" => schema
                .project
                .custom_record_label
                .clone()
                .unwrap_or_default(),
            "secondary_unique_field" => schema
                .project
                .secondary_unique_field
                .clone()
                .unwrap_or_default(),
            "missing_data_codes" => {
                redcap_schema::choices::format_choices(&schema.project.missing_data_codes)
            }
            "project_language" => project
                .info
                .get(*key)
                .cloned()
                .unwrap_or_else(|| "English".into()),
            "purpose"
            | "scheduling_enabled"
            | "randomization_enabled"
            | "ddp_enabled"
            | "display_today_now_button"
            | "bypass_branching_erase_field_prompt" => project
                .info
                .get(*key)
                .cloned()
                .unwrap_or_else(|| "0".into()),
            other => project.info.get(other).cloned().unwrap_or_default(),
        };
        out.insert((*key).to_owned(), value);
    }
    out
}

/// `content=project` export: integer-looking values are JSON numbers.
pub(crate) fn export_project_info(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let values = info_values(&ctx.project);
    let mut item = IndexMap::new();
    for (k, v) in &values {
        let numeric = !v.is_empty()
            && v.chars().all(|c| c.is_ascii_digit())
            && (v == "0" || !v.starts_with('0'));
        item.insert(
            k.clone(),
            if numeric {
                v.parse::<i64>().map(Value::from).unwrap_or_else(|_| s(v))
            } else {
                s(v)
            },
        );
    }
    match ctx.format {
        Format::Json => Ok(Reply::new(
            Format::Json,
            php_json(&Value::Object(item.into_iter().collect())),
        )),
        _ => {
            let header: Vec<&str> = INFO_KEYS.to_vec();
            Ok(table_reply(ctx, &header, &vec![item]))
        }
    }
}

/// `content=project_settings` import, as `API/project_settings/import.php`
/// reads it: one JSON object, the first CSV row, or the children of an
/// `<items>` root; the attributes REDCap lets the API change are stored
/// and the answer counts every key sent. A JSON array is counted by its
/// elements and stores nothing (the handler looks for the attributes at
/// its top level). Data that does not decode is a 400 whose message is
/// empty: the handler reads `data_import_tool_200` from a language table
/// it never imported into its function.
pub(crate) fn import_project_info(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.user.rights.design {
        return Err(ApiError::bad(DESIGN_IMPORT));
    }
    let undecoded = || ApiError::bad("");
    if ctx.format == crate::format::Format::Json {
        let data = ctx.params.get("data").unwrap_or_default();
        if let Ok(serde_json::Value::Array(items)) =
            serde_json::from_str::<serde_json::Value>(data.trim_start_matches('\u{feff}'))
        {
            return Ok(Reply::count(ctx.format, items.len()));
        }
    }
    let item = payload_items(ctx, "items", Rows::Children)?
        .and_then(|items| items.into_iter().next())
        .ok_or_else(undecoded)?;
    let count = item.len();
    let mut project = ctx.project.clone();
    for (key, value) in item {
        let p = &mut project.schema.project;
        let truthy = value == "1";
        match key.as_str() {
            "project_title" => p.title = Some(value),
            "is_longitudinal" => p.longitudinal = truthy && !project.schema.events.is_empty(),
            "surveys_enabled" => p.surveys_enabled = truthy,
            "record_autonumbering_enabled" => p.record_autonumbering = Some(truthy),
            "custom_record_label" => p.custom_record_label = Some(value).filter(|v| !v.is_empty()),
            "secondary_unique_field" => {
                p.secondary_unique_field = Some(value).filter(|v| !v.is_empty())
            }
            "project_language"
            | "purpose"
            | "purpose_other"
            | "project_notes"
            | "scheduling_enabled"
            | "randomization_enabled"
            | "project_irb_number"
            | "project_grant_number"
            | "project_pi_firstname"
            | "project_pi_lastname"
            | "display_today_now_button"
            | "bypass_branching_erase_field_prompt" => {
                project.info.insert(key, value);
            }
            _ => {}
        }
    }
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, count))
}

// ---- arms and events ----------------------------------------------------

fn require_longitudinal(ctx: &Ctx<'_>, what: &str) -> Result<(), ApiError> {
    if ctx.project.schema.project.longitudinal {
        Ok(())
    } else {
        Err(ApiError::bad(format!(
            "You cannot {what} for classic projects"
        )))
    }
}

fn arm_filter(ctx: &Ctx<'_>) -> Vec<u32> {
    ctx.params
        .list("arms")
        .iter()
        .filter_map(|a| a.parse().ok())
        .collect()
}

/// `content=arm` export.
pub(crate) fn export_arms(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_longitudinal(ctx, "export arms")?;
    let only = arm_filter(ctx);
    let table: Table = ctx
        .project
        .schema
        .arms
        .iter()
        .filter(|a| only.is_empty() || only.contains(&a.number))
        .map(|a| {
            IndexMap::from([
                ("arm_num".to_owned(), Value::from(a.number)),
                ("name".to_owned(), s(&a.name)),
            ])
        })
        .collect();
    Ok(table_reply(ctx, &["arm_num", "name"], &table))
}

fn arm_number(item: &payload::Item, key: &str) -> Result<u32, ApiError> {
    item.get(key)
        .and_then(|a| a.trim().parse().ok())
        .ok_or_else(|| ApiError::bad(format!("The value of '{key}' must be a positive integer.")))
}

/// Refuses what `Arm::addArms`, `Event::addEvents` and
/// `Event::saveEventMapping` refuse before reading any row: a first row
/// (`$data[0]`) without every one of `required` (`design_641` followed by
/// `listed`). `data` that PHP decodes to one map rather than a list of
/// maps has no first row at all: a JSON object, or XML whose root holds a
/// single `<item>`, which REDCap's XML-to-array conversion gives as that
/// item's fields instead of a list (`fixXML` in `API/arm/import.php` and
/// `API/event/import.php` then lists the field values; the mapping importer
/// takes the fields as the rows).
fn require_first_row(
    ctx: &Ctx<'_>,
    items: &[payload::Item],
    required: &[&str],
    listed: &str,
) -> Result<(), ApiError> {
    let data = data_of(ctx);
    let one_map = match ctx.format {
        Format::Json => data
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{'),
        Format::Xml | Format::Odm => payload::xml_item_count(data) == Some(1),
        Format::Csv => false,
    };
    let first_row_complete = items
        .first()
        .is_some_and(|row| required.iter().all(|c| row.contains_key(*c)));
    if one_map || !first_row_complete {
        return Err(crate::access::missing_components(listed));
    }
    Ok(())
}

/// `content=arm` import (`override=1` replaces all arms).
pub(crate) fn import_arms(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    require_longitudinal(ctx, "import arms")?;
    let Some(items) = payload_items(ctx, "arms", Rows::Children)? else {
        return Ok(Reply::plain(ctx.format, crate::access::NOT_IN_FORMAT));
    };
    require_first_row(ctx, &items, &["arm_num", "name"], "arm_num, name")?;
    let mut project = ctx.project.clone();
    let replace = ctx
        .params
        .get("override")
        .is_some_and(|v| v.trim().parse::<i64>().unwrap_or(0) != 0);
    let mut arms: Vec<Arm> = if replace {
        Vec::new()
    } else {
        project.schema.arms.clone()
    };
    for item in &items {
        let number = arm_number(item, "arm_num")?;
        let name = item.get("name").cloned().unwrap_or_default();
        match arms.iter_mut().find(|a| a.number == number) {
            Some(a) => a.name = name,
            None => arms.push(Arm { number, name }),
        }
    }
    arms.sort_by_key(|a| a.number);
    let removed: Vec<String> = project
        .schema
        .events
        .iter()
        .filter(|e| !arms.iter().any(|a| a.number == e.arm))
        .map(|e| e.unique_name.clone())
        .collect();
    remove_events(ctx, &mut project, &removed)?;
    project.schema.arms = arms;
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, items.len()))
}

/// Removes events with their data, mappings and repeating setup.
fn remove_events(
    ctx: &Ctx<'_>,
    project: &mut store::Project,
    names: &[String],
) -> Result<(), ApiError> {
    for name in names {
        store::delete_where(ctx.conn, project.id, "event = ?2", &[name])?;
    }
    let schema = &mut project.schema;
    schema.events.retain(|e| !names.contains(&e.unique_name));
    schema
        .repeating
        .events
        .retain(|r| !names.contains(&r.event));
    schema
        .repeating
        .instruments
        .retain(|r| r.event.as_ref().is_none_or(|e| !names.contains(e)));
    Ok(())
}

/// `content=arm&action=delete`.
pub(crate) fn delete_arms(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    let arms = arm_filter(ctx);
    if arms.is_empty() {
        return Err(ApiError::bad("The 'arms' parameter is missing."));
    }
    let mut project = ctx.project.clone();
    let bad: Vec<String> = arms
        .iter()
        .filter(|n| !project.schema.arms.iter().any(|a| a.number == **n))
        .map(u32::to_string)
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"arms\" are not valid: {}",
            bad.join(", ")
        )));
    }
    let removed: Vec<String> = project
        .schema
        .events
        .iter()
        .filter(|e| arms.contains(&e.arm))
        .map(|e| e.unique_name.clone())
        .collect();
    remove_events(ctx, &mut project, &removed)?;
    project.schema.arms.retain(|a| !arms.contains(&a.number));
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, arms.len()))
}

/// `content=event` export.
pub(crate) fn export_events(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_longitudinal(ctx, "export events")?;
    let only = arm_filter(ctx);
    let table: Table = ctx
        .project
        .schema
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| only.is_empty() || only.contains(&e.arm))
        .map(|(i, e)| {
            IndexMap::from([
                ("event_name".to_owned(), s(&e.name)),
                ("arm_num".to_owned(), Value::from(e.arm)),
                ("unique_event_name".to_owned(), s(&e.unique_name)),
                (
                    "custom_event_label".to_owned(),
                    s(e.custom_label.clone().unwrap_or_default()),
                ),
                ("event_id".to_owned(), Value::from(event_id(i))),
            ])
        })
        .collect();
    Ok(table_reply(
        ctx,
        &[
            "event_name",
            "arm_num",
            "unique_event_name",
            "custom_event_label",
            "event_id",
        ],
        &table,
    ))
}

/// Event ids: stable per position, in REDCap's range of small integers.
fn event_id(position: usize) -> u64 {
    40 + position as u64
}

/// REDCap's unique event name: label stripped to `[0-9a-z_ ]`, spaces to
/// `_`, lower-case, the first 18 characters, edge underscores trimmed,
/// then `_arm_{n}`; a clash gets `b`, `c`, … before the arm suffix.
pub(crate) fn unique_event_name(label: &str, arm: u32, taken: &[String]) -> String {
    let cleaned: String = label
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '_' } else { c })
        .take(18)
        .collect();
    let base = cleaned.trim_matches('_').to_owned();
    let candidate = format!("{base}_arm_{arm}");
    if !taken.contains(&candidate) {
        return candidate;
    }
    ('b'..='z')
        .map(|suffix| format!("{base}{suffix}_arm_{arm}"))
        .find(|c| !taken.contains(c))
        .unwrap_or(candidate)
}

/// `content=event` import (`override=1` replaces all events).
pub(crate) fn import_events(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    require_longitudinal(ctx, "import events")?;
    // JSON that does not decode, or XML without the `<events>` root,
    // is answered 200 with `data_import_tool_200`.
    let Some(items) = crate::access::read_rows(ctx, "events")? else {
        return Ok(Reply::plain(ctx.format, crate::access::NOT_IN_FORMAT));
    };
    let mut project = ctx.project.clone();
    let replace = ctx
        .params
        .get("override")
        .is_some_and(|v| v.trim().parse::<i64>().unwrap_or(0) != 0);
    // `Event::addEvents` names `unique_event_name` too unless overriding.
    let listed = if replace {
        "event_name,arm_num"
    } else {
        "event_name,arm_num,unique_event_name"
    };
    require_first_row(ctx, &items, &["event_name", "arm_num"], listed)?;
    let old_events = project.schema.events.clone();
    let mut events: Vec<Event> = if replace {
        Vec::new()
    } else {
        old_events.clone()
    };
    for item in &items {
        let arm = arm_number(item, "arm_num")?;
        if !project.schema.arms.iter().any(|a| a.number == arm) {
            return Err(ApiError::bad(format!(
                "The arm number {arm} does not exist in the project."
            )));
        }
        let name = item.get("event_name").cloned().unwrap_or_default();
        if name.trim().is_empty() {
            return Err(ApiError::bad(
                "The 'event_name' of every event must be provided.",
            ));
        }
        let given = item
            .get("unique_event_name")
            .filter(|u| !u.is_empty())
            .cloned();
        let custom = item
            .get("custom_event_label")
            .cloned()
            .filter(|c| !c.is_empty());
        let existing = given
            .as_ref()
            .and_then(|u| events.iter().position(|e| &e.unique_name == u));
        match existing {
            Some(i) => {
                events[i].name = name;
                events[i].arm = arm;
                events[i].custom_label = custom;
            }
            None => {
                let taken: Vec<String> = events.iter().map(|e| e.unique_name.clone()).collect();
                let unique = unique_event_name(&name, arm, &taken);
                let forms = old_events
                    .iter()
                    .find(|e| e.unique_name == unique)
                    .map(|e| e.forms.clone())
                    .unwrap_or_default();
                events.push(Event {
                    unique_name: unique,
                    name,
                    arm,
                    day_offset: None,
                    offset_min: None,
                    offset_max: None,
                    custom_label: custom,
                    forms,
                });
            }
        }
    }
    events.sort_by_key(|e| e.arm);
    let removed: Vec<String> = old_events
        .iter()
        .filter(|o| !events.iter().any(|e| e.unique_name == o.unique_name))
        .map(|e| e.unique_name.clone())
        .collect();
    remove_events(ctx, &mut project, &removed)?;
    project.schema.events = events;
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, items.len()))
}

/// `content=event&action=delete`.
pub(crate) fn delete_events(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    let names = ctx.params.list("events");
    if names.is_empty() {
        return Err(ApiError::bad("The 'events' parameter is missing."));
    }
    let mut project = ctx.project.clone();
    let bad: Vec<String> = names
        .iter()
        .filter(|n| !project.schema.events.iter().any(|e| &e.unique_name == *n))
        .map(|n| format!("'{n}'"))
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"events\" are not valid: {}",
            bad.join(", ")
        )));
    }
    remove_events(ctx, &mut project, &names)?;
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, names.len()))
}

/// `content=formEventMapping` export.
pub(crate) fn export_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_longitudinal(ctx, "export form/event mappings")?;
    let only = arm_filter(ctx);
    let mut table = Table::new();
    for e in &ctx.project.schema.events {
        if !only.is_empty() && !only.contains(&e.arm) {
            continue;
        }
        for form in &e.forms {
            table.push(IndexMap::from([
                ("arm_num".to_owned(), Value::from(e.arm)),
                ("unique_event_name".to_owned(), s(&e.unique_name)),
                ("form".to_owned(), s(form)),
            ]));
        }
    }
    if table.is_empty() {
        table.push(IndexMap::from([
            ("arm_num".to_owned(), s("")),
            ("unique_event_name".to_owned(), s("")),
            ("form".to_owned(), s("")),
        ]));
    }
    Ok(table_reply(
        ctx,
        &["arm_num", "unique_event_name", "form"],
        &table,
    ))
}

/// `content=formEventMapping` import: replaces the project's mappings,
/// every arm's, with the payload's (REDCap clears all of a project's
/// event–form rows before adding the imported ones).
pub(crate) fn import_mappings(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    require_longitudinal(ctx, "import form/event mappings")?;
    // JSON that does not decode, or XML without the `<items>` root,
    // is answered 200 with `data_import_tool_200`.
    let items = match crate::access::read_item_rows(ctx, "items")? {
        Some(items) => items,
        // `$data['items']['item']` of an `<items>` root without any item
        // is null: no first row, answered below.
        None if matches!(ctx.format, Format::Xml | Format::Odm)
            && crate::access::xml_root(data_of(ctx)).as_deref() == Some("items")
            && payload::xml_item_count(data_of(ctx)) == Some(0) =>
        {
            Vec::new()
        }
        None => return Ok(Reply::plain(ctx.format, crate::access::NOT_IN_FORMAT)),
    };
    require_first_row(
        ctx,
        &items,
        &["form", "unique_event_name", "arm_num"],
        "arm_num,unique_event_name,form",
    )?;
    let mut project = ctx.project.clone();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for item in &items {
        let arm = arm_number(item, "arm_num")?;
        let event = item.get("unique_event_name").cloned().unwrap_or_default();
        let form = item.get("form").cloned().unwrap_or_default();
        if !project
            .schema
            .events
            .iter()
            .any(|e| e.unique_name == event && e.arm == arm)
        {
            return Err(ApiError::bad(format!(
                "The unique event name '{event}' is not valid for arm {arm}."
            )));
        }
        if project.schema.form(&form).is_none() {
            return Err(ApiError::bad(format!(
                "The form '{form}' does not exist in the project."
            )));
        }
        pairs.push((event, form));
    }
    let form_order: Vec<String> = project
        .schema
        .forms
        .iter()
        .map(|f| f.name.clone())
        .collect();
    for e in &mut project.schema.events {
        e.forms = form_order
            .iter()
            .filter(|f| {
                pairs
                    .iter()
                    .any(|(ev, fm)| *ev == e.unique_name && fm == *f)
            })
            .cloned()
            .collect();
    }
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, items.len()))
}

// ---- repeating ----------------------------------------------------------

/// `content=repeatingFormsEvents` export.
pub(crate) fn export_repeating(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.user.rights.design {
        return Err(ApiError::bad(DESIGN_EXPORT));
    }
    let schema = &ctx.project.schema;
    if !schema.has_repeating() {
        return Err(ApiError::bad(
            "You cannot export repeating instruments and events because the project does not contain any repeating instruments and events",
        ));
    }
    let longitudinal = schema.project.longitudinal;
    let mut table = Table::new();
    if longitudinal {
        for e in &schema.events {
            if let Some(r) = schema
                .repeating
                .events
                .iter()
                .find(|r| r.event == e.unique_name)
            {
                table.push(IndexMap::from([
                    ("event_name".to_owned(), s(&r.event)),
                    ("form_name".to_owned(), s("")),
                    (
                        "custom_form_label".to_owned(),
                        s(r.label.clone().unwrap_or_default()),
                    ),
                ]));
            }
            for r in schema
                .repeating
                .instruments
                .iter()
                .filter(|r| r.event.as_deref() == Some(e.unique_name.as_str()))
            {
                table.push(IndexMap::from([
                    ("event_name".to_owned(), s(&e.unique_name)),
                    ("form_name".to_owned(), s(&r.form)),
                    (
                        "custom_form_label".to_owned(),
                        s(r.label.clone().unwrap_or_default()),
                    ),
                ]));
            }
        }
        return Ok(table_reply(
            ctx,
            &["event_name", "form_name", "custom_form_label"],
            &table,
        ));
    }
    for r in &schema.repeating.instruments {
        table.push(IndexMap::from([
            ("form_name".to_owned(), s(&r.form)),
            (
                "custom_form_label".to_owned(),
                s(r.label.clone().unwrap_or_default()),
            ),
        ]));
    }
    Ok(table_reply(
        ctx,
        &["form_name", "custom_form_label"],
        &table,
    ))
}

/// `content=repeatingFormsEvents` import: replaces the repeating setup.
/// Data REDCap cannot decode still runs the handler's first query, which
/// removes every repeating instrument and event, and answers `0`
/// (`API/repeatingFormsEvents/import.php` loops over the undecoded text
/// without inserting anything).
pub(crate) fn import_repeating(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_design_import(ctx)?;
    let items = payload_items(ctx, "repeatingFormsEvents", Rows::Items)?.unwrap_or_default();
    let mut project = ctx.project.clone();
    let longitudinal = project.schema.project.longitudinal;
    let mut repeating = redcap_schema::Repeating::default();
    for item in &items {
        let form = item.get("form_name").cloned().unwrap_or_default();
        let label = item
            .get("custom_form_label")
            .cloned()
            .filter(|l| !l.is_empty());
        let event = if longitudinal {
            let e = item.get("event_name").cloned().unwrap_or_default();
            if !project.schema.events.iter().any(|x| x.unique_name == e) {
                return Err(ApiError::bad(format!(
                    "The event name '{e}' is not a valid unique event name."
                )));
            }
            Some(e)
        } else {
            None
        };
        if form.is_empty() {
            match event {
                Some(event) => repeating.events.push(RepeatingEvent { event, label }),
                None => {
                    return Err(ApiError::bad(
                        "The 'form_name' of every repeating instrument must be provided.",
                    ));
                }
            }
            continue;
        }
        if project.schema.form(&form).is_none() {
            return Err(ApiError::bad(format!(
                "The form '{form}' does not exist in the project."
            )));
        }
        repeating
            .instruments
            .push(RepeatingInstrument { event, form, label });
    }
    project.schema.repeating = repeating;
    save(ctx, &project)?;
    Ok(Reply::count(ctx.format, items.len()))
}
