//! Files carried inside a loaded project XML (`ItemDataBase64Binary`,
//! written with `exportFiles=true`): stored as uploads, so the project's
//! File Upload fields can be downloaded as in the source server.

use redcap_schema::FlatRecord;
use rusqlite::Connection;

use crate::files::{base64, mime_of, store as files};
use crate::layout::CLASSIC_EVENT;
use crate::reply::ApiError;
use crate::store;

/// Stores every file of the records and points the fields at them.
pub(crate) fn seed_files(
    conn: &Connection,
    project_id: i64,
    longitudinal: bool,
    records: &[FlatRecord],
) -> Result<(), ApiError> {
    for r in records {
        for (field, file) in &r.files {
            let bytes = base64::decode(&file.base64).ok_or_else(|| {
                ApiError::bad(format!(
                    "the file of field `{field}` of record `{}` is not valid base64",
                    r.record
                ))
            })?;
            let mime = mime_of(&file.doc_name, Some(&file.mime_type));
            let doc_id = files::insert_doc(conn, project_id, &file.doc_name, &mime, &bytes)?;
            let event = match (&r.event, longitudinal) {
                (Some(e), true) => e.clone(),
                _ => CLASSIC_EVENT.to_owned(),
            };
            let instance = r
                .repeat_instance
                .as_deref()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            store::set_value(
                conn,
                project_id,
                &store::Value {
                    event,
                    record: r.record.clone(),
                    field: field.clone(),
                    instance,
                    value: doc_id.to_string(),
                },
            )?;
        }
    }
    Ok(())
}
