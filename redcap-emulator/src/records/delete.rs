//! Record deletion (whole records or a slice), rename, and the next
//! record name.

use crate::activity::journal::Deletion;
use crate::context::Ctx;
use crate::layout::{Layout, natural_cmp};
use crate::records::import::next_number;
use crate::records::responses;
use crate::reply::{ApiError, Reply};
use crate::store;

/// `api_135`: `API/record/delete.php` asks for API Import besides the
/// Delete Records right the gate checked.
const NO_IMPORT_FOR_DELETE: &str = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'Delete Records' privileges in the project in order to utilize this API method.";

/// `api_176`, followed by `record: reason` for each record that failed.
const NOT_DELETED: &str = "One or more of the records provided are either do not exist in this project or not valid with selected params. Note: No records were deleted. Records that do not exist:";
/// `api_178`: the record is not in the arm given.
const NOT_IN_ARM: &str = "Record does not exists.";
/// `api_179`.
const BAD_EVENT: &str = "Invalid Unique Event Name.";
/// `api_180`.
const BAD_INSTRUMENT: &str = "Invalid instrument.";
/// `api_181`: an instrument of a longitudinal project needs its event.
const EVENT_NEEDED: &str = "Event is mandatory for longitudinal project.";
/// `api_182`.
const BAD_INSTANCE: &str = "Repeating instance should be numeric.";

/// What `REDCap::deleteRecord` removes of each record, chosen from
/// `arm`, `event`, `instrument` and `repeat_instance`.
#[derive(Debug, Clone, Copy)]
enum Target<'p> {
    /// The whole record, or only its data in one arm.
    Record { arm: Option<u32> },
    /// One event, or one instance of a repeating event
    /// (`Records::deleteEventInstanceByProject`).
    Event { event: &'p str, instance: i64 },
    /// One instrument in one event and instance (`Records::deleteForm`).
    Form {
        form: &'p str,
        event: &'p str,
        instance: i64,
    },
    /// An instrument a classic project does not have: `deleteForm` finds
    /// nothing to remove and the record is not counted.
    Nothing,
}

/// `content=record&action=delete`, as `API/record/delete.php` does it:
/// every record must exist; each is then deleted (or sliced) in turn, and
/// a record that cannot be adds `record: reason` to one error that undoes
/// the whole request. The answer counts the records something was deleted
/// from (an event delete counts even when the event held nothing, as
/// REDCap logs it anyway).
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
    // Only a longitudinal project with several arms reads `arm`; elsewhere
    // REDCap ignores it.
    let multi_arm = layout.longitudinal() && ctx.project.schema.arms.len() > 1;
    let arm = match p.non_empty("arm") {
        Some(a) if multi_arm => Some(
            ctx.project
                .schema
                .arms
                .iter()
                .find(|arm| arm.number.to_string() == a)
                .map(|arm| arm.number)
                .ok_or_else(|| ApiError::bad("The arm provided is not correct for the project."))?,
        ),
        _ => None,
    };
    let visible = crate::access::dags::visible_records(ctx)?;
    // A set: a delete may name every record of a large project.
    let existing: std::collections::HashSet<&str> = visible.iter().map(String::as_str).collect();
    let missing: Vec<&str> = records
        .iter()
        .filter(|r| !existing.contains(r.as_str()))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::bad(format!(
            "One or more of the records provided cannot be deleted because they do not exist in the project. The following records do not exist: {}",
            missing.join(", ")
        )));
    }
    let instance = repeat_instance(p.get("repeat_instance"));
    let target = target(
        &layout,
        arm,
        p.non_empty("event"),
        p.non_empty("instrument"),
        instance.unwrap_or(1),
    );
    let mut deleted = 0;
    let mut errors = Vec::new();
    for record in &records {
        let planned = if instance.is_none() {
            Err(BAD_INSTANCE)
        } else if let Some(a) = arm
            && !in_arm(ctx, &layout, record, a)?
        {
            Err(NOT_IN_ARM)
        } else {
            target
        };
        match planned {
            Err(reason) => errors.push(format!("{record}: {reason}")),
            Ok(target) => {
                if apply(ctx, &layout, record, target)? {
                    deleted += 1;
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::bad(format!(
            "{NOT_DELETED} {}",
            errors.join(", ")
        )));
    }
    Ok(Reply::count(ctx.format, deleted))
}

/// `repeat_instance` as `REDCap::deleteRecord` reads it: absent, blank or
/// `0` (PHP's `empty`) is instance 1; a number is that instance (one that
/// is not a whole number matches instance 1, as `deleteForm` takes it);
/// anything else is `None`, REDCap's "should be numeric" error.
fn repeat_instance(text: Option<&str>) -> Option<i64> {
    let text = match text {
        None | Some("" | "0") => return Some(1),
        Some(t) => t,
    };
    let trimmed = text.trim();
    // PHP's `is_numeric`: digits with an optional sign, point and
    // exponent; not Rust's `inf` or `nan`.
    let numeric = !trimmed.is_empty()
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        && trimmed.parse::<f64>().is_ok();
    if !numeric {
        return None;
    }
    Some(trimmed.parse::<i64>().unwrap_or(1))
}

/// The slice to delete, or the reason every record fails, in the order
/// `REDCap::deleteRecord` checks: event, instrument, then an instrument
/// without its event in a longitudinal project.
fn target<'p>(
    layout: &'p Layout<'_>,
    arm: Option<u32>,
    event: Option<&'p str>,
    instrument: Option<&'p str>,
    instance: i64,
) -> Result<Target<'p>, &'static str> {
    let known_form = |f: &str| layout.schema.form(f).is_some();
    match (event, instrument) {
        (Some(e), _) if layout.event(e).is_none() => Err(BAD_EVENT),
        (Some(event), None) => Ok(Target::Event { event, instance }),
        (Some(_), Some(f)) if !known_form(f) => Err(BAD_INSTRUMENT),
        (Some(event), Some(form)) => Ok(Target::Form {
            form,
            event,
            instance,
        }),
        (None, Some(_)) if layout.longitudinal() => Err(EVENT_NEEDED),
        (None, Some(f)) if !known_form(f) => Ok(Target::Nothing),
        (None, Some(form)) => Ok(Target::Form {
            form,
            event: &layout.events[0].unique_name,
            instance,
        }),
        (None, None) => Ok(Target::Record { arm }),
    }
}

/// Whether the record has its ID in an event of the arm
/// (`Records::recordExists` with an arm).
fn in_arm(ctx: &Ctx<'_>, layout: &Layout<'_>, record: &str, arm: u32) -> Result<bool, ApiError> {
    Ok(
        store::values(ctx.conn, ctx.project.id, Some(&[record.to_owned()]))?
            .iter()
            .any(|v| {
                v.field == layout.id_field() && layout.event(&v.event).is_some_and(|e| e.arm == arm)
            }),
    )
}

/// Deletes one record's slice; whether the record counts as deleted
/// (`REDCap::deleteRecord` answering true).
fn apply(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    record: &str,
    target: Target<'_>,
) -> Result<bool, ApiError> {
    let values = store::values(ctx.conn, ctx.project.id, Some(&[record.to_owned()]))?;
    let logged_events = match target {
        Target::Record { arm } => record_log_events(ctx, layout, &values, arm),
        _ => Vec::new(),
    };
    let removed = match target {
        Target::Nothing => return Ok(false),
        Target::Record { arm } => {
            let in_scope =
                |event: &str| arm.is_none_or(|a| layout.event(event).is_some_and(|e| e.arm == a));
            let removed: Vec<store::Value> =
                values.into_iter().filter(|v| in_scope(&v.event)).collect();
            responses::delete_for_record(ctx.conn, ctx.project.id, record, |r| in_scope(&r.event))?;
            removed
        }
        Target::Event { event, instance } => {
            let removed = event_slice(layout, values, event, instance);
            let repeats = layout.event(event).is_some_and(|e| e.repeats_whole);
            let forms = layout
                .event(event)
                .map(|e| e.forms.clone())
                .unwrap_or_default();
            responses::delete_for_record(ctx.conn, ctx.project.id, record, |r| {
                r.event == event && forms.contains(&r.form) && (!repeats || r.instance == instance)
            })?;
            removed
        }
        Target::Form {
            form,
            event,
            instance,
        } => {
            let removed = form_slice(layout, values, form, event, instance);
            if removed.is_empty() {
                return Ok(false);
            }
            responses::delete_for_record(ctx.conn, ctx.project.id, record, |r| {
                r.event == event && r.form == form && r.instance == instance
            })?;
            removed
        }
    };
    let mut done = std::collections::HashSet::new();
    for v in &removed {
        if done.insert((&v.event, &v.field, v.instance)) {
            store::delete_value(
                ctx.conn,
                ctx.project.id,
                &v.event,
                record,
                &v.field,
                v.instance,
            )?;
        }
    }
    let deletion = match target {
        Target::Event { event, instance } => Deletion::Slice {
            event,
            instance,
            instrument: None,
            removed: &removed,
        },
        Target::Form {
            form,
            event,
            instance,
        } => Deletion::Slice {
            event,
            instance,
            instrument: Some(form),
            removed: &removed,
        },
        Target::Record { .. } => {
            for event in &logged_events {
                crate::activity::journal::record_deleted(
                    ctx,
                    layout,
                    record,
                    Deletion::Record { event },
                )?;
            }
            return Ok(true);
        }
        Target::Nothing => return Ok(false),
    };
    crate::activity::journal::record_deleted(ctx, layout, record, deletion)?;
    Ok(true)
}

/// The events a whole-record delete is logged under, one per arm, as
/// `REDCap::deleteRecord` calls `Records::deleteRecordByProject` for each
/// arm and that logs one `Delete record` row under the arm's first event:
/// the arm given; in a longitudinal project with several arms and no
/// `arm`, every arm the record exists in (`Records::getArmsForAllRecords`:
/// where it has its record ID), in arm order; otherwise the project's first
/// event. A classic project's row names no event.
fn record_log_events(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    values: &[store::Value],
    arm: Option<u32>,
) -> Vec<String> {
    if !layout.longitudinal() {
        return vec![String::new()];
    }
    let first_event = |arm: u32| {
        layout
            .events
            .iter()
            .find(|e| e.arm == arm)
            .map(|e| e.unique_name.clone())
    };
    let arms: Vec<u32> = match arm {
        Some(a) => vec![a],
        None if ctx.project.schema.arms.len() > 1 => {
            let mut arms: Vec<u32> = values
                .iter()
                .filter(|v| v.field == layout.id_field())
                .filter_map(|v| layout.event(&v.event).map(|e| e.arm))
                .collect();
            arms.sort_unstable();
            arms.dedup();
            arms
        }
        None => Vec::new(),
    };
    let events: Vec<String> = arms.into_iter().filter_map(first_event).collect();
    if events.is_empty() {
        // One row under the project's first event.
        return layout
            .events
            .first()
            .map(|e| vec![e.unique_name.clone()])
            .unwrap_or_else(|| vec![String::new()]);
    }
    events
}

/// What `Records::deleteEventInstanceByProject` removes: the event's rows
/// (of one instance when the event repeats, of every instance otherwise),
/// except the record ID and group rows when nothing of the record is left
/// elsewhere, so that the record still exists.
fn event_slice(
    layout: &Layout<'_>,
    values: Vec<store::Value>,
    event: &str,
    instance: i64,
) -> Vec<store::Value> {
    let repeats = layout.longitudinal() && layout.event(event).is_some_and(|e| e.repeats_whole);
    let in_scope = |v: &store::Value| v.event == event && (!repeats || v.instance == instance);
    let elsewhere = values.iter().any(|v| !in_scope(v));
    values
        .into_iter()
        .filter(|v| in_scope(v) && (elsewhere || !is_key_row(layout, v)))
        .collect()
}

/// What `Records::deleteForm` removes: the instrument's fields (its status
/// included, the record ID never) in the event, of the instance when the
/// project has anything repeating. In a longitudinal project, when no
/// instrument of that event and instance has data left but the record has
/// data elsewhere, the record ID and group rows of that event and instance
/// go too.
fn form_slice(
    layout: &Layout<'_>,
    values: Vec<store::Value>,
    form: &str,
    event: &str,
    instance: i64,
) -> Vec<store::Value> {
    let by_instance = layout.schema.has_repeating();
    let (mut removed, kept): (Vec<store::Value>, Vec<store::Value>) =
        values.into_iter().partition(|v| {
            v.event == event
                && v.field != layout.id_field()
                && layout.form_of(&v.field) == Some(form)
                && (!by_instance || v.instance == instance)
        });
    if removed.is_empty() || !layout.longitudinal() {
        return removed;
    }
    let Some(info) = layout.event(event) else {
        return removed;
    };
    let same_instance = |v: &store::Value| !info.repeats_whole || v.instance == instance;
    let event_has_data = kept.iter().any(|v| {
        v.event == event
            && same_instance(v)
            && !is_key_row(layout, v)
            && layout
                .form_of(&v.field)
                .is_some_and(|f| info.forms.iter().any(|g| g == f))
    });
    let here = |v: &store::Value| v.event == event && v.instance == instance;
    if !event_has_data && kept.iter().any(|v| !here(v)) {
        removed.extend(kept.into_iter().filter(here));
    }
    removed
}

/// The record ID and data access group rows, which keep a record in
/// existence when its data is gone.
fn is_key_row(layout: &Layout<'_>, v: &store::Value) -> bool {
    v.field == layout.id_field() || v.field == crate::records::data::GROUP_FIELD
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
