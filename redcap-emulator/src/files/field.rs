//! Files of File Upload fields: `content=file` export, import and delete,
//! and `content=fileinfo`, following REDCap 15.7.6's `API/file/*.php`
//! (the order of the checks decides which error a bad request gets).

use redcap_schema::{FieldType, Validation};

use crate::activity::journal;
use crate::context::Ctx;
use crate::files::{download, escape, export_level, mime_of, store as files, stored_name};
use crate::format::{Format, php_json};
use crate::layout::{CLASSIC_EVENT, Layout};
use crate::records::data::GROUP_FIELD;
use crate::reply::{ApiError, Reply};
use crate::rights::NO_ACCESS_EXPORT;
use crate::store;

const IDENTIFIER_FILE: &str = "The API request cannot complete because this File Upload field is an Identifier field while at the same time you currently have either \"De-Identified\" data export rights or \"Remove all tagged Identifier fields\" data export rights, which prevent you from exporting fields tagged as Identifiers. Higher level data export rights are required for this operation.";
const NO_FILE_TO_DOWNLOAD: &str = "There is no file to download for this record";

/// Where a file sits: record, event, field, instance.
struct Target<'l> {
    layout: Layout<'l>,
    record: String,
    field: String,
    event: String,
    instance: i64,
}

/// Reads `record`, `field`, `event` and `repeat_instance` as REDCap does:
/// a longitudinal project needs a valid event (`invalid event`), and the
/// instance is 1 unless the field's form (or its event) repeats.
fn target<'l>(ctx: &'l Ctx<'_>) -> Result<Target<'l>, ApiError> {
    let layout = Layout::new(&ctx.project.schema);
    let p = ctx.params;
    let record = p.get("record").unwrap_or_default().to_owned();
    let field = p.get("field").unwrap_or_default().to_owned();
    let event = if layout.longitudinal() {
        let name = p.get("event").unwrap_or_default();
        if name.is_empty() || layout.event(name).is_none() {
            return Err(ApiError::bad("invalid event"));
        }
        name.to_owned()
    } else {
        CLASSIC_EVENT.to_owned()
    };
    let asked = p
        .get("repeat_instance")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let repeats = layout.event(&event).is_some_and(|e| {
        e.repeats_whole
            || layout
                .form_of(&field)
                .is_some_and(|form| e.repeating_forms.iter().any(|f| f == form))
    });
    Ok(Target {
        layout,
        record,
        field,
        event,
        instance: if repeats { asked } else { 1 },
    })
}

impl Target<'_> {
    /// The stored rows of the record.
    fn rows(&self, ctx: &Ctx<'_>) -> Result<Vec<store::Value>, ApiError> {
        Ok(store::values(
            ctx.conn,
            ctx.project.id,
            Some(std::slice::from_ref(&self.record)),
        )?)
    }

    /// Whether the record has data (in the target event, or anywhere).
    /// REDCap 15.7.6's file handlers do not look at data access groups
    /// here: a user in a group reaches the files of other groups' records.
    fn record_exists(&self, ctx: &Ctx<'_>, in_event: bool) -> Result<bool, ApiError> {
        Ok(self
            .rows(ctx)?
            .iter()
            .any(|v| v.field != GROUP_FIELD && (!in_event || v.event == self.event)))
    }

    /// Whether a user in a data access group may save into the record:
    /// REDCap saves an upload through `REDCap::getData`, which only returns
    /// the records of the user's own group.
    fn writable(&self, ctx: &Ctx<'_>) -> Result<bool, ApiError> {
        let Some(mine) = &ctx.user.rights.group else {
            return Ok(true);
        };
        Ok(self
            .rows(ctx)?
            .iter()
            .any(|v| v.field == GROUP_FIELD && &v.value == mine))
    }

    /// Logs a file operation as REDCap's handlers do, keyed by the record,
    /// with the instance before the details when it is not the first.
    fn log(
        &self,
        ctx: &Ctx<'_>,
        event: &str,
        object_type: &str,
        details: String,
        description: &str,
    ) -> Result<(), ApiError> {
        let data_values = if self.instance > 1 {
            format!("[instance = {}],\n{details}", self.instance)
        } else {
            details
        };
        journal::write(
            ctx,
            &journal::Entry {
                event,
                object_type,
                pk: &self.record,
                event_name: &self.event,
                data_values,
                description,
            },
        )
    }

    /// The field, if it is a File Upload field.
    fn file_field(&self) -> Result<&redcap_schema::Field, ApiError> {
        self.layout
            .field(&self.field)
            .filter(|f| f.field_type == FieldType::File)
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "The field '{}' does not exist or is not a 'file' field",
                    escape(&self.field)
                ))
            })
    }

    /// The stored value (a doc id) of the field at the target.
    fn value(&self, ctx: &Ctx<'_>) -> Result<Option<String>, ApiError> {
        Ok(self
            .rows(ctx)?
            .into_iter()
            .find(|v| v.event == self.event && v.field == self.field && v.instance == self.instance)
            .map(|v| v.value))
    }

    /// Whether the record has a row at the target (its event, and the
    /// instance when the field repeats).
    fn has_row(&self, ctx: &Ctx<'_>) -> Result<bool, ApiError> {
        Ok(self.rows(ctx)?.iter().any(|v| {
            v.field != GROUP_FIELD && v.event == self.event && v.instance == self.instance
        }))
    }
}

/// `content=file&action=export`.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let (t, doc) = find(ctx)?;
    t.log(
        ctx,
        "MANAGE",
        "redcap_edocs_metadata",
        t.field.clone(),
        "Download file (API)",
    )?;
    Ok(download(doc))
}

/// `content=fileinfo`: the size and name of an uploaded file, always JSON.
pub(crate) fn info(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let (_, doc) = find(ctx)?;
    let body = php_json(&serde_json::json!({
        "size": doc.bytes.len(),
        "name": doc.name,
    }));
    Ok(Reply::new(Format::Json, body))
}

/// The checks of `API/file/export.php`, in its order, up to the file.
fn find<'c>(ctx: &'c Ctx<'_>) -> Result<(Target<'c>, files::Doc), ApiError> {
    let schema = &ctx.project.schema;
    let field_name = ctx.params.get("field").unwrap_or_default();
    let export_level = export_level(&ctx.user.rights, schema);
    if export_level == 0 {
        return Err(ApiError::forbidden(NO_ACCESS_EXPORT));
    }
    if export_level > 1 && schema.field(field_name).is_some_and(|f| f.identifier) {
        return Err(ApiError::forbidden(IDENTIFIER_FILE));
    }
    let t = target(ctx)?;
    if !t.record_exists(ctx, true)? {
        return Err(ApiError::bad(format!(
            "The record \"{}\" does not exist",
            escape(&t.record)
        )));
    }
    t.file_field()?;
    let value = t
        .value(ctx)?
        .ok_or_else(|| ApiError::bad(NO_FILE_TO_DOWNLOAD))?;
    let doc = files::doc(ctx.conn, ctx.project.id, &value)?
        .ok_or_else(|| ApiError::bad(NO_FILE_TO_DOWNLOAD))?;
    Ok((t, doc))
}

/// `content=file&action=import` (multipart, part `file`).
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.params.has_files() {
        return Err(ApiError::bad("No valid file was uploaded"));
    }
    // A part without a file name is PHP's "no file" upload error.
    let upload = ctx
        .params
        .file("file")
        .filter(|u| !u.name.is_empty())
        .ok_or_else(|| ApiError::bad("There was a problem with the uploaded file"))?;
    let t = target(ctx)?;
    if !t.record_exists(ctx, false)? {
        return Err(ApiError::bad(format!(
            "The record '{}' does not exist. It must exist to upload a file",
            t.record
        )));
    }
    let field = t.file_field()?;
    if field.validation == Some(Validation::Signature) {
        return Err(ApiError::bad(format!(
            "The field '{}' is a signature field, which cannot be imported using the API but can only be created using the web interface. However, it can be downloaded or deleted using the API.",
            t.field
        )));
    }
    let name = stored_name(&upload.name);
    let mime = mime_of(&name, upload.mime.as_deref());
    let doc_id = files::insert_doc(ctx.conn, ctx.project.id, &name, &mime, &upload.bytes)?;
    let form = t.layout.form_of(&t.field).unwrap_or_default().to_owned();
    let repeating_form = t
        .layout
        .event(&t.event)
        .is_some_and(|e| e.repeating_forms.contains(&form));
    let complete = t
        .layout
        .schema
        .form(&form)
        .map(|f| f.complete_field.clone());
    if repeating_form && let Some(complete) = complete {
        // REDCap creates the instance (its form status, Incomplete) first.
        let exists = t
            .rows(ctx)?
            .iter()
            .any(|v| v.event == t.event && v.field == complete && v.instance == t.instance);
        if !exists {
            store::insert_value(ctx.conn, ctx.project.id, &value_at(&t, &complete, "0"))?;
        }
    }
    // REDCap saves through the record's existing rows in the event: a
    // record without data in this event (or instance), a form not
    // designated to the event, or another group's record gets nothing
    // stored, and the answer is still 200.
    let designated = t
        .layout
        .event(&t.event)
        .is_some_and(|e| e.forms.contains(&form));
    if designated && t.writable(ctx)? && t.has_row(ctx)? {
        store::set_value(
            ctx.conn,
            ctx.project.id,
            &value_at(&t, &t.field, &doc_id.to_string()),
        )?;
        t.log(
            ctx,
            "DOC_UPLOAD",
            "redcap_data",
            format!("{} = '{doc_id}'", t.field),
            "Upload document (API)",
        )?;
    }
    Ok(Reply::empty(ctx.return_format))
}

fn value_at(t: &Target<'_>, field: &str, value: &str) -> store::Value {
    store::Value {
        event: t.event.clone(),
        record: t.record.clone(),
        field: field.to_owned(),
        instance: t.instance,
        value: value.to_owned(),
    }
}

/// `content=file&action=delete`: the value goes, the file is marked
/// deleted.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let t = target(ctx)?;
    if !t.record_exists(ctx, true)? {
        return Err(ApiError::bad(format!(
            "The record '{}' does not exist",
            t.record
        )));
    }
    t.file_field()?;
    let value = t.value(ctx)?.filter(|v| !v.is_empty());
    let Some(value) = value else {
        return Err(ApiError::bad("There is no file to delete for this record"));
    };
    if let Some(doc) = files::doc(ctx.conn, ctx.project.id, &value)? {
        files::mark_deleted(ctx.conn, ctx.project.id, doc.doc_id)?;
    }
    store::delete_value(
        ctx.conn,
        ctx.project.id,
        &t.event,
        &t.record,
        &t.field,
        t.instance,
    )?;
    t.log(
        ctx,
        "DOC_DELETE",
        "redcap_data",
        t.field.clone(),
        "Delete uploaded document (API)",
    )?;
    Ok(Reply::empty(ctx.return_format))
}
