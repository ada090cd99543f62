//! Record deletion (whole records or a slice), rename, and the next
//! record name.

use crate::context::Ctx;
use crate::layout::{Layout, natural_cmp};
use crate::records::import::next_number;
use crate::records::responses;
use crate::reply::{ApiError, Reply};
use crate::store;

/// `api_135`: `API/record/delete.php` asks for API Import besides the
/// Delete Records right the gate checked.
const NO_IMPORT_FOR_DELETE: &str = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'Delete Records' privileges in the project in order to utilize this API method.";

/// `content=record&action=delete`.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let p = ctx.params;
    if !ctx.user.rights.api_import {
        return Err(ApiError::bad(NO_IMPORT_FOR_DELETE));
    }
    if !p.is_array("records") {
        return Err(ApiError::bad(
            "Incorrect format for 'records' parameter. It must be passed as an array, even if it only contains a single record name.",
        ));
    }
    let records = p.list("records");
    if records.is_empty() {
        return Err(ApiError::bad(
            "The 'records' parameter is an empty array. The parameter must be an array containing one or more record names to delete.",
        ));
    }
    let layout = Layout::new(&ctx.project.schema);
    let existing = crate::access::dags::visible_records(ctx)?;
    let missing: Vec<&str> = records
        .iter()
        .filter(|r| !existing.contains(r))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the records provided cannot be deleted because they do not exist in the project. The following records do not exist: {}",
            missing.join(", ")
        )));
    }
    let arm: Option<u32> = match p.non_empty("arm") {
        Some(a) => Some(
            a.parse()
                .map_err(|_| ApiError::bad("The arm provided is not correct for the project."))?,
        ),
        None => None,
    };
    let event = p.non_empty("event");
    let instrument = p.non_empty("instrument");
    let instance: Option<i64> = p.non_empty("repeat_instance").and_then(|i| i.parse().ok());
    if let Some(e) = event
        && layout.longitudinal()
        && layout.event(e).is_none()
    {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"event\" are not valid: '{e}'"
        )));
    }
    if let Some(f) = instrument
        && ctx.project.schema.form(f).is_none()
    {
        return Err(ApiError::bad(format!(
            "The following values in the parameter \"instrument\" are not valid: '{f}'"
        )));
    }
    let whole = arm.is_none() && event.is_none() && instrument.is_none() && instance.is_none();
    let mut deleted = 0;
    for record in &records {
        let values = store::values(ctx.conn, ctx.project.id, Some(std::slice::from_ref(record)))?;
        let keep = |v: &store::Value| -> bool {
            if whole {
                return false;
            }
            let ev = layout.event(&v.event);
            if let Some(a) = arm
                && ev.is_some_and(|e| e.arm != a)
            {
                return true;
            }
            if let Some(e) = event
                && layout.longitudinal()
                && v.event != e
            {
                return true;
            }
            if let Some(f) = instrument
                && layout.form_of(&v.field) != Some(f)
            {
                return true;
            }
            if let Some(n) = instance
                && v.instance != n
            {
                return true;
            }
            v.field == crate::records::data::GROUP_FIELD
        };
        let (kept, removed): (Vec<store::Value>, Vec<store::Value>) =
            values.into_iter().partition(|v| keep(v));
        if removed.is_empty() {
            continue;
        }
        deleted += 1;
        store::delete_where(ctx.conn, ctx.project.id, "record = ?2", &[record])?;
        responses::delete_for_record(ctx.conn, ctx.project.id, record, |r| {
            whole
                || (arm.is_none_or(|a| layout.event(&r.event).is_some_and(|e| e.arm == a))
                    && event.is_none_or(|e| !layout.longitudinal() || r.event == e)
                    && instrument.is_none_or(|f| r.form == f)
                    && instance.is_none_or(|n| r.instance == n))
        })?;
        // A record left with only its ID (and group) rows in an arm has
        // nothing left there; REDCap removes those as well.
        let has_data = kept
            .iter()
            .any(|v| v.field != layout.id_field() && v.field != crate::records::data::GROUP_FIELD);
        if has_data || !whole && arm.is_none() {
            for v in &kept {
                store::insert_value(ctx.conn, ctx.project.id, v)?;
            }
        }
        crate::activity::journal::record_deleted(
            ctx,
            &layout,
            record,
            crate::activity::journal::Deletion {
                whole: instrument.is_none() && event.is_none(),
                instrument,
                removed: &removed,
            },
        )?;
    }
    Ok(Reply::count(ctx.format, deleted))
}

/// `content=record&action=rename`: failures are 200 with a plain message,
/// as in REDCap.
pub(crate) fn rename(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    let p = ctx.params;
    let Some(old) = p.non_empty("record") else {
        return Ok(Reply::plain(
            ctx.format,
            "Current record name must be provided.",
        ));
    };
    let Some(new) = p.non_empty("new_record_name") else {
        return Ok(Reply::plain(
            ctx.format,
            "New record name must be provided.",
        ));
    };
    if let Some(arm) = p.non_empty("arm")
        && !ctx
            .project
            .schema
            .arms
            .iter()
            .any(|a| a.number.to_string() == arm)
    {
        return Err(ApiError::bad(
            "The arm provided is not correct for the project.",
        ));
    }
    let existing = store::record_names(ctx.conn, ctx.project.id)?;
    if !crate::access::dags::visible_records(ctx)?
        .iter()
        .any(|r| r == old)
    {
        return Ok(Reply::plain(ctx.format, "Current Record does not exists."));
    }
    if existing.iter().any(|r| r == new) {
        let label = ctx
            .project
            .schema
            .field(&ctx.project.schema.record_id_field)
            .map(|f| f.label.clone())
            .unwrap_or_default();
        return Ok(Reply::plain(
            ctx.format,
            format!(
                "{label} \"{old}\" could not be changed to \"{new}\" because that record already exists! Please try again."
            ),
        ));
    }
    store::rename_record(ctx.conn, ctx.project.id, old, new)?;
    responses::rename_record(ctx.conn, ctx.project.id, old, new)?;
    let id_field = ctx.project.schema.record_id_field.clone();
    store::delete_where(
        ctx.conn,
        ctx.project.id,
        "record = ?2 AND field = ?3",
        &[&new, &id_field],
    )?;
    let events: Vec<String> = store::values(ctx.conn, ctx.project.id, Some(&[new.to_owned()]))?
        .into_iter()
        .map(|v| v.event)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for event in events {
        store::insert_value(
            ctx.conn,
            ctx.project.id,
            &store::Value {
                event,
                record: new.to_owned(),
                field: id_field.clone(),
                instance: 1,
                value: new.to_owned(),
            },
        )?;
    }
    crate::activity::journal::record_renamed(ctx, old, new)?;
    Ok(Reply::plain(ctx.format, "1"))
}

/// `content=generateNextRecordName`: max all-digit record + 1 (`{group}-n`
/// inside a data access group).
pub(crate) fn next_record_name(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if ctx.user.rights.no_export_access() {
        return Err(ApiError::forbidden(crate::rights::NO_ACCESS_EXPORT));
    }
    let mut existing = store::record_names(ctx.conn, ctx.project.id)?;
    existing.sort_by(|a, b| natural_cmp(a, b));
    let name = match &ctx.user.rights.group {
        Some(group) => {
            let prefix = format!("{group}-");
            let n = next_number(
                existing
                    .iter()
                    .filter_map(|r| r.strip_prefix(&prefix).map(str::to_owned)),
            );
            format!("{group}-{n}")
        }
        None => next_number(existing).to_string(),
    };
    Ok(Reply::plain(ctx.format, name))
}
