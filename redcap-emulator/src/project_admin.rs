//! Creating projects (from an input file, or `content=project` with the
//! super token), seeding their records, tokens, and project XML export.

use indexmap::IndexMap;
use redcap_schema::odm::records::FileValue;
use redcap_schema::{FlatRecord, ProjectSchema};
use rusqlite::Connection;
use serde_json::Value;

use crate::context::Ctx;
use crate::format::{Format, php_json};
use crate::layout::{Column, Layout};
use crate::params::Params;
use crate::records::data::{GROUP_FIELD, RecordData};
use crate::reply::{ApiError, Reply};
use crate::rights::UserRights;
use crate::store;

/// A random upper-case hex token of `len` characters, the shape of
/// REDCap's (MD5 for project tokens, SHA-256 for super tokens).
pub(crate) fn random_token(len: usize) -> Result<String, ApiError> {
    let mut bytes = vec![0u8; len.div_ceil(2)];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| ApiError::internal(format!("no randomness for a token: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    Ok(hex[..len].to_owned())
}

/// The setting naming the user the super token belongs to.
pub(crate) const SUPER_USER: &str = "super_user";

/// The username of the super token's user.
pub(crate) fn super_user(conn: &Connection) -> Result<String, ApiError> {
    store::setting(conn, SUPER_USER)?
        .ok_or_else(|| ApiError::internal("the super token's user is not set"))
}

/// The setting naming a project's creator.
fn owner_key(project_id: i64) -> String {
    format!("project_owner:{project_id}")
}

/// The username of the user who created the project, when it was recorded.
pub(crate) fn owner(conn: &Connection, project_id: i64) -> rusqlite::Result<Option<String>> {
    store::setting(conn, &owner_key(project_id))
}

/// A new project created by `owner`, who gets every right (as REDCap gives
/// a project's creator) and a token, and, when given, its records. Returns
/// the project id and the owner's token.
pub(crate) fn create(
    conn: &Connection,
    name: &str,
    owner: &str,
    schema: &ProjectSchema,
    info: &IndexMap<String, String>,
    records: &[FlatRecord],
) -> Result<(i64, String), ApiError> {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    let id = store::insert_project(conn, name, schema, info, &now)?;
    let token = random_token(32)?;
    store::put_user(conn, id, owner, &token, &UserRights::full())?;
    store::set_setting(conn, &owner_key(id), owner)?;
    if !records.is_empty() {
        seed_records(conn, id, records)?;
        crate::files::seed::seed_files(conn, id, schema.project.longitudinal, records)?;
    }
    Ok((id, token))
}

/// Imports flat records through the normal import path, keeping computed
/// values (the emulator does not calculate) as the source has them.
fn seed_records(
    conn: &Connection,
    project_id: i64,
    records: &[FlatRecord],
) -> Result<(), ApiError> {
    let project = store::project(conn, project_id)?;
    let schema = project.schema.clone();
    let mut items = Vec::new();
    for r in records {
        let mut item = serde_json::Map::new();
        item.insert(
            schema.record_id_field.clone(),
            Value::String(r.record.clone()),
        );
        if let Some(e) = &r.event
            && schema.project.longitudinal
        {
            item.insert("redcap_event_name".into(), Value::String(e.clone()));
        }
        if let Some(i) = &r.repeat_instrument {
            item.insert("redcap_repeat_instrument".into(), Value::String(i.clone()));
        }
        if let Some(n) = &r.repeat_instance {
            item.insert("redcap_repeat_instance".into(), Value::String(n.clone()));
        }
        for (k, v) in &r.values {
            item.insert(k.clone(), Value::String(v.clone()));
        }
        items.push(Value::Object(item));
    }
    let params = Params::from_pairs([
        ("format".to_owned(), "json".to_owned()),
        ("data".to_owned(), php_json(&Value::Array(items))),
    ]);
    let ctx = Ctx {
        conn,
        params: &params,
        project,
        user: store::User {
            project_id,
            rights: UserRights::full(),
        },
        format: Format::Json,
        return_format: Format::Json,
    };
    crate::records::import::import_seed(&ctx).map_err(|e| {
        ApiError::bad(format!(
            "the project's records cannot be loaded: {}",
            e.message
        ))
    })?;
    Ok(())
}

/// Reads a project from any input `cargo redcap schema` reads; project XML
/// brings its records.
pub(crate) fn read_input(
    bytes: &[u8],
    source_name: &str,
) -> Result<(ProjectSchema, Vec<FlatRecord>), redcap_schema::Error> {
    let text = redcap_schema::read::decode(bytes, source_name)?;
    if redcap_schema::read::detect(text) == redcap_schema::read::InputKind::ProjectXml {
        let xml = redcap_schema::read_project_xml(text, source_name)?;
        let schema = xml.schema(source_name)?;
        return Ok((schema, xml.records));
    }
    Ok((redcap_schema::read(bytes, source_name)?, Vec::new()))
}

/// REDCap saves the records of a project XML it creates a project from
/// with `Records::saveData`'s defaults, which skip calculated fields; the
/// emulator does not calculate, so those fields stay blank.
fn drop_calculated(schema: &ProjectSchema, records: &mut [FlatRecord]) {
    let calculated: std::collections::HashSet<&str> = schema
        .fields()
        .filter(|(_, f)| f.field_type == redcap_schema::FieldType::Calc)
        .map(|(_, f)| f.name.as_str())
        .collect();
    for record in records {
        record
            .values
            .retain(|column, _| !calculated.contains(column.as_str()));
    }
}

/// The one row of project information `API/project/import.php` reads:
/// the first element of a JSON array (`$data[0]`: a lone object is not
/// read), the first CSV row, or the XML root `<item>` itself
/// (`isset($data['item'])`); anything else is 400 `data_import_tool_200`.
fn project_item(data: &str, format: Format) -> Result<crate::records::payload::Item, ApiError> {
    use crate::records::payload;
    let first = match format {
        Format::Xml | Format::Odm => return payload::read_item_xml(data),
        Format::Json => {
            match serde_json::from_str::<serde_json::Value>(data.trim_start_matches('\u{feff}')) {
                Ok(serde_json::Value::Array(mut rows)) if !rows.is_empty() => {
                    payload::read_json(&rows.swap_remove(0).to_string())?
                        .into_iter()
                        .next()
                }
                _ => None,
            }
        }
        Format::Csv => payload::read_csv(data, ',')?.into_iter().next(),
    };
    first.ok_or_else(|| ApiError::bad(crate::access::NOT_IN_FORMAT))
}

/// `content=project` with the super token: creates a project (from `odm`
/// when given) and answers its token.
pub(crate) fn create_project(
    conn: &Connection,
    params: &Params,
    format: Format,
) -> Result<Reply, ApiError> {
    let data = params.get("data").unwrap_or_default();
    let item = project_item(data, format)?;
    let title = item.get("project_title").cloned().unwrap_or_default();
    if title.trim().is_empty() {
        return Err(ApiError::bad(
            "The project_title attribute is missing from the data. It is required to create a project.",
        ));
    }
    let Some(purpose) = item
        .get("purpose")
        .filter(|p| ["0", "1", "2", "3", "4"].contains(&p.as_str()))
    else {
        return Err(ApiError::bad(
            "The purpose attribute is missing or invalid. It must be an integer between 0 and 4.",
        ));
    };
    let (mut schema, records) = match params.non_empty("odm") {
        Some(odm) => {
            let (schema, mut records) = read_input(odm.as_bytes(), "odm")
                .map_err(|e| ApiError::bad(format!("The project XML (odm) cannot be read: {e}")))?;
            drop_calculated(&schema, &mut records);
            (schema, records)
        }
        None => {
            let dictionary = "field_name,form_name,section_header,field_type,field_label\nrecord_id,my_first_instrument,,text,Record ID\n";
            let schema = redcap_schema::read(dictionary.as_bytes(), "default")
                .map_err(|e| ApiError::internal(e.to_string()))?;
            (schema, Vec::new())
        }
    };
    schema.project.title = Some(title.clone());
    if item.get("is_longitudinal").is_some_and(|v| v == "1") && !schema.events.is_empty() {
        schema.project.longitudinal = true;
    }
    if let Some(v) = item.get("surveys_enabled") {
        schema.project.surveys_enabled = v == "1";
    }
    if let Some(v) = item.get("record_autonumbering_enabled") {
        schema.project.record_autonumbering = Some(v == "1");
    }
    let mut info = IndexMap::new();
    info.insert("purpose".to_owned(), purpose.clone());
    for key in ["purpose_other", "project_notes"] {
        if let Some(v) = item.get(key) {
            info.insert(key.to_owned(), v.clone());
        }
    }
    let mut name = title.clone();
    let mut n = 2;
    while store::project_by_name(conn, &name)?.is_some() {
        name = format!("{title} ({n})");
        n += 1;
    }
    let owner = super_user(conn)?;
    let (project_id, token) = create(conn, &name, &owner, &schema, &info, &records)?;
    if let Some(odm) = params.non_empty("odm") {
        crate::activity::setup::load_xml(conn, project_id, odm)?;
    }
    Ok(Reply::plain(format, token))
}

/// `content=project_xml`: the project's XML, with its records unless
/// `returnMetadataOnly`.
pub(crate) fn export_project_xml(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let schema = &ctx.project.schema;
    let layout = Layout::new(schema);
    let metadata_only = ctx.params.flag("returnMetadataOnly");
    let timestamp = chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    let records = if metadata_only {
        None
    } else {
        let wanted = ctx.params.list("records");
        let data = RecordData::load(
            ctx.conn,
            ctx.project.id,
            &layout,
            if wanted.is_empty() {
                None
            } else {
                Some(&wanted)
            },
        )?;
        Some(flat_records(
            ctx,
            &layout,
            &data,
            ctx.params.flag("exportDataAccessGroups"),
            ctx.params.flag("exportFiles"),
        )?)
    };
    let body = redcap_schema::to_project_xml(schema, records.as_deref(), &timestamp);
    Ok(Reply {
        status: 200,
        content_type: Format::Xml.content_type(),
        body,
        file: None,
    })
}

/// Stored rows as the flat records project XML carries. File Upload
/// fields are left out, unless `files` asks for their files (carried as
/// base64, as `exportFiles=true` does).
fn flat_records(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    data: &RecordData,
    groups: bool,
    files: bool,
) -> Result<Vec<FlatRecord>, ApiError> {
    let mut out = Vec::new();
    for row in &data.rows {
        let event = &layout.events[row.event];
        let mut values = IndexMap::new();
        let mut attached = IndexMap::new();
        for column in layout.schema.export_columns() {
            if let Some(field) = layout
                .field(column)
                .filter(|f| f.field_type == redcap_schema::FieldType::File)
            {
                // A missing-data code in a file field is no file: left out.
                if files
                    && let Some(doc) = row
                        .get(column)
                        .map(|id| crate::files::store::doc(ctx.conn, ctx.project.id, id))
                        .transpose()?
                        .flatten()
                {
                    attached.insert(
                        field.name.clone(),
                        FileValue {
                            doc_name: doc.name,
                            mime_type: doc.mime,
                            base64: crate::files::base64::encode(&doc.bytes),
                        },
                    );
                }
                continue;
            }
            match layout.column(column) {
                Some(Column::Checkbox(field, code)) if row.has(field) => {
                    let checked = row.codes(field).any(|c| c == code);
                    values.insert(
                        column.to_owned(),
                        if checked { "1" } else { "0" }.to_owned(),
                    );
                }
                Some(Column::Field(field)) => {
                    if let Some(v) = row.get(field).filter(|v| !v.is_empty()) {
                        values.insert(column.to_owned(), v.to_owned());
                    }
                }
                _ => {}
            }
        }
        // A record of a deleted group is in no group here.
        if groups
            && let Some(g) = data.groups.get(&row.record)
            && layout.schema.dags.iter().any(|d| d.unique_name == *g)
        {
            values.insert("redcap_data_access_group".to_owned(), g.clone());
        }
        let _ = GROUP_FIELD;
        out.push(FlatRecord {
            record: row.record.clone(),
            event: layout.longitudinal().then(|| event.unique_name.clone()),
            repeat_instrument: match &row.slot {
                crate::layout::Slot::Repeat(f, _) if !f.is_empty() => Some(f.clone()),
                _ => None,
            },
            repeat_instance: row.instance().map(|n| n.to_string()),
            values,
            files: attached,
        });
    }
    Ok(out)
}
