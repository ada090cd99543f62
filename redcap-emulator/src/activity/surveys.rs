//! The survey methods (`surveyLink`, `surveyAccessCode`,
//! `surveyReturnCode`, `surveyQueueLink`, `participantList`) as REDCap's
//! `API/survey*` and `API/participant_list` handlers answer them: the same
//! checks in the same order, and links under the emulator's own address.
//! Links and codes are derived from the project, record, instrument, event
//! and instance, so they are stable across calls (REDCap stores random
//! ones once made).

use indexmap::IndexMap;
use serde_json::Value;

use crate::activity::{journal, setup};
use crate::context::Ctx;
use crate::format::{Format, Table, csv_line, table_json, table_xml};
use crate::layout::{EventInfo, Layout};
use crate::reply::{ApiError, Reply};
use crate::store;

/// REDCap's message for a user without the Survey Distribution Tools right.
pub(crate) const NO_PARTICIPANTS: &str = "The API request cannot complete because currently you do not have \"Manage Survey Participants\" privileges, which are required for this operation.";

fn check_right(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.user.rights.manage_survey_participants {
        Ok(())
    } else {
        Err(ApiError::forbidden(NO_PARTICIPANTS))
    }
}

/// The `record` parameter of an existing record.
fn record(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let record = ctx.params.get("record").unwrap_or_default().trim();
    if record.is_empty() {
        return Err(ApiError::bad("The parameter 'record' is missing"));
    }
    if !store::record_names(ctx.conn, ctx.project.id)?
        .iter()
        .any(|r| r == record)
    {
        return Err(ApiError::bad(format!(
            "The record \"{record}\" does not exist"
        )));
    }
    Ok(record.to_owned())
}

/// The `instrument` parameter of a survey. `double_quoted`: the return-code
/// handler quotes the name in its message with `"`, the others with `'`.
fn survey_form(ctx: &Ctx<'_>, double_quoted: bool) -> Result<String, ApiError> {
    let form = ctx.params.get("instrument").unwrap_or_default().trim();
    if form.is_empty() {
        return Err(ApiError::bad("The parameter 'instrument' is missing"));
    }
    let Some(found) = ctx.project.schema.form(form) else {
        return Err(ApiError::bad("Invalid instrument"));
    };
    if !found.survey {
        return Err(ApiError::bad(if double_quoted {
            format!("The instrument \"{form}\" has not been enabled as a survey")
        } else {
            format!("The instrument '{form}' has not been enabled as a survey")
        }));
    }
    Ok(form.to_owned())
}

/// The `event` parameter (the first event of a classic project);
/// `designated`: also check the form is used in it.
fn event<'l>(
    ctx: &Ctx<'_>,
    layout: &'l Layout<'_>,
    form: &str,
    designated: bool,
) -> Result<&'l EventInfo, ApiError> {
    if !layout.longitudinal() {
        return layout
            .events
            .first()
            .ok_or_else(|| ApiError::bad("An unknown error occurred"));
    }
    let name = ctx.params.get("event").unwrap_or_default().trim();
    if name.is_empty() {
        return Err(ApiError::bad("The parameter 'event' is missing"));
    }
    let Some(event) = layout.event(name) else {
        return Err(ApiError::bad("Invalid event"));
    };
    if designated && !event.forms.iter().any(|f| f == form) {
        return Err(ApiError::bad(format!(
            "The instrument \"{form}\" has not been designated for the event \"{name}\""
        )));
    }
    Ok(event)
}

/// `repeat_instance` where the form or event repeats; 1 otherwise.
fn instance(ctx: &Ctx<'_>, layout: &Layout<'_>, event: &EventInfo, form: &str) -> i64 {
    let repeats = event.repeating_forms.iter().any(|f| f == form)
        || (layout.longitudinal() && event.repeats_whole);
    match ctx.params.get("repeat_instance").map(str::trim) {
        Some(n) if repeats => n.parse::<i64>().ok().filter(|n| *n > 0).unwrap_or(1),
        _ => 1,
    }
}

/// FNV-1a over the parts, stretched to `len` characters of `alphabet`.
fn code(parts: &[&str], len: usize, alphabet: &[u8]) -> String {
    let mut out = String::with_capacity(len);
    let mut round: u64 = 0;
    while out.len() < len {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ round;
        for part in parts {
            for b in part.bytes().chain([0x1f]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        while h > 0 && out.len() < len {
            let i = usize::try_from(h % alphabet.len() as u64).unwrap_or(0);
            out.push(char::from(alphabet[i]));
            h /= alphabet.len() as u64;
        }
        round += 1;
    }
    out
}

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Access codes avoid characters that are easily confused.
const ACCESS_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The emulator's address (`http://127.0.0.1:{port}/`).
fn base_url(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    Ok(store::setting(ctx.conn, "base_url")?.unwrap_or_else(|| "http://127.0.0.1/".to_owned()))
}

/// One participant's survey: project, record, form, event, instance.
struct Target<'a> {
    record: &'a str,
    form: &'a str,
    event: &'a str,
    instance: i64,
}

impl Target<'_> {
    fn parts(&self, project_id: i64) -> [String; 5] {
        [
            project_id.to_string(),
            self.record.to_owned(),
            self.form.to_owned(),
            self.event.to_owned(),
            self.instance.to_string(),
        ]
    }

    fn hash(&self, ctx: &Ctx<'_>, salt: &str, len: usize, alphabet: &[u8]) -> String {
        let parts = self.parts(ctx.project.id);
        let mut refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        refs.push(salt);
        code(&refs, len, alphabet)
    }

    fn link(&self, ctx: &Ctx<'_>) -> Result<String, ApiError> {
        Ok(format!(
            "{}surveys/?s={}",
            base_url(ctx)?,
            self.hash(ctx, "link", 10, UPPER_ALNUM)
        ))
    }

    fn access_code(&self, ctx: &Ctx<'_>) -> String {
        self.hash(ctx, "access", 9, ACCESS_ALPHABET)
    }

    fn return_code(&self, ctx: &Ctx<'_>) -> String {
        self.hash(ctx, "return", 8, UPPER_ALNUM)
    }
}

/// The survey queue link of a record.
fn queue_link(ctx: &Ctx<'_>, record: &str) -> Result<String, ApiError> {
    let pid = ctx.project.id.to_string();
    Ok(format!(
        "{}surveys/?sq={}",
        base_url(ctx)?,
        code(&[&pid, record, "queue"], 10, UPPER_ALNUM)
    ))
}

/// Whether the survey queue is on: an active `redcap_surveys_queue` row.
fn queue_enabled(ctx: &Ctx<'_>) -> Result<bool, ApiError> {
    Ok(setup::block(ctx.conn, ctx.project.id, "SurveysQueue")?
        .iter()
        .any(|row| row.get("active").is_some_and(|a| a == "1")))
}

/// Whether "Save & Return Later" is on for a survey.
fn save_and_return(ctx: &Ctx<'_>, form: &str) -> Result<bool, ApiError> {
    Ok(setup::block(ctx.conn, ctx.project.id, "Surveys")?
        .iter()
        .any(|row| {
            row.get("form_name").is_some_and(|f| f == form)
                && row.get("save_and_return").is_some_and(|v| v == "1")
        }))
}

/// A bare text answer: REDCap prints it without setting a Content-Type.
fn text(body: String) -> Reply {
    Reply {
        status: 200,
        content_type: "text/html; charset=UTF-8",
        body,
        file: None,
    }
}

/// Logs a survey download as REDCap does (`MANAGE`, keyed by record).
fn log_download(
    ctx: &Ctx<'_>,
    layout: &Layout<'_>,
    record: &str,
    form: Option<&str>,
    event: &str,
    description: &str,
) -> Result<(), ApiError> {
    let mut values = format!("record = '{record}'");
    if let Some(form) = form {
        values.push_str(&format!(",\nform_name = '{form}'"));
        if layout.longitudinal() {
            values.push_str(&format!(",\nevent_id = {event}"));
        }
    }
    journal::write(
        ctx,
        &journal::Entry {
            event: "MANAGE",
            object_type: "redcap_surveys_participants",
            pk: record,
            event_name: "",
            data_values: values,
            description,
        },
    )
}

/// `content=surveyLink`.
pub(crate) fn export_link(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    per_response(ctx, false, false, "link", |target| target.link(ctx))
}

/// `content=surveyAccessCode`.
pub(crate) fn export_access_code(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    per_response(ctx, false, false, "access code", |target| {
        Ok(target.access_code(ctx))
    })
}

/// `content=surveyReturnCode`.
pub(crate) fn export_return_code(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    per_response(ctx, true, true, "return code", |target| {
        Ok(target.return_code(ctx))
    })
}

/// The survey methods that answer for one response (record, instrument, event,
/// instance), in REDCap's order of checks: the right, the record, the instrument
/// (`double_quoted`: the return-code handler quotes its name with `"`), the event,
/// Save & Return when `needs_save_and_return`; then the answer, logged as a download
/// of `what`.
fn per_response(
    ctx: &Ctx<'_>,
    double_quoted: bool,
    needs_save_and_return: bool,
    what: &str,
    answer: impl FnOnce(&Target<'_>) -> Result<String, ApiError>,
) -> Result<Reply, ApiError> {
    check_right(ctx)?;
    let layout = Layout::new(&ctx.project.schema);
    let record = record(ctx)?;
    let form = survey_form(ctx, double_quoted)?;
    let event = event(ctx, &layout, &form, true)?;
    if needs_save_and_return && !save_and_return(ctx, &form)? {
        return Err(ApiError::bad(
            "The 'Save & Return Later' feature has not been enabled for this survey",
        ));
    }
    let target = Target {
        record: &record,
        form: &form,
        event: &event.unique_name,
        instance: instance(ctx, &layout, event, &form),
    };
    let body = answer(&target)?;
    log_download(
        ctx,
        &layout,
        &record,
        Some(&form),
        &event.unique_name,
        &format!("Download survey {what} (API)"),
    )?;
    Ok(text(body))
}

/// `content=surveyQueueLink`.
pub(crate) fn export_queue_link(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    check_right(ctx)?;
    let layout = Layout::new(&ctx.project.schema);
    let record = record(ctx)?;
    if !queue_enabled(ctx)? {
        return Err(ApiError::bad(
            "The Survey Queue has not been enabled in this project. You will need to enable the Survey Queue before using this method.",
        ));
    }
    let link = queue_link(ctx, &record)?;
    log_download(
        ctx,
        &layout,
        &record,
        None,
        "",
        "Download survey queue link (API)",
    )?;
    Ok(text(link))
}

/// `content=participantList`: one row per record (of the caller's DAG),
/// per instance where the survey repeats. `response_status` and
/// `identifier` come from the recorded survey responses; the emulator
/// sends no invitations, so every row is uninvited.
pub(crate) fn export_participant_list(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    check_right(ctx)?;
    let layout = Layout::new(&ctx.project.schema);
    let form = survey_form(ctx, false)?;
    let event = event(ctx, &layout, &form, false)?;
    let repeats =
        event.repeating_forms.contains(&form) || (layout.longitudinal() && event.repeats_whole);
    let values = store::values(ctx.conn, ctx.project.id, None)?;
    let groups = crate::activity::record_groups(ctx.conn, ctx.project.id)?;
    // Records of the event's arm, in creation order, with their instances.
    let mut records: IndexMap<String, Vec<i64>> = IndexMap::new();
    for v in &values {
        let Some(ev) = layout.event(&v.event) else {
            continue;
        };
        if ev.arm != event.arm {
            continue;
        }
        let entry = records.entry(v.record.clone()).or_default();
        let on_form = layout.form_of(&v.field) == Some(form.as_str()) || event.repeats_whole;
        if repeats && v.event == event.unique_name && on_form && !entry.contains(&v.instance) {
            entry.push(v.instance);
        }
    }
    let queue = queue_enabled(ctx)?;
    let responses = crate::records::responses::all(ctx.conn, ctx.project.id)?;
    let mut occurrences: IndexMap<String, u64> = IndexMap::new();
    let mut table: Table = Vec::new();
    for (record, mut instances) in records {
        if let Some(group) = &ctx.user.rights.group
            && groups.get(&record) != Some(group)
        {
            continue;
        }
        instances.sort_unstable();
        if instances.is_empty() {
            instances.push(1);
        }
        for n in instances {
            let email = String::new();
            let occurrence = occurrences.entry(email.clone()).or_insert(0);
            *occurrence += 1;
            let target = Target {
                record: &record,
                form: &form,
                event: &event.unique_name,
                instance: n,
            };
            let response = responses.iter().find(|r| {
                r.record == record
                    && r.event == event.unique_name
                    && r.form == form
                    && r.instance == n
            });
            let mut row: IndexMap<String, Value> = IndexMap::new();
            row.insert("email".into(), Value::String(email));
            row.insert("email_occurrence".into(), Value::from(*occurrence));
            row.insert(
                "identifier".into(),
                Value::String(response.map(|r| r.identifier.clone()).unwrap_or_default()),
            );
            row.insert("record".into(), Value::String(record.clone()));
            if repeats {
                row.insert("repeat_instance".into(), Value::from(n));
            }
            row.insert("invitation_sent_status".into(), Value::from(0));
            row.insert("invitation_send_time".into(), Value::String(String::new()));
            row.insert(
                "response_status".into(),
                Value::from(response.map_or(0, |r| r.status())),
            );
            row.insert(
                "survey_access_code".into(),
                Value::String(target.access_code(ctx)),
            );
            row.insert("survey_link".into(), Value::String(target.link(ctx)?));
            if queue {
                row.insert(
                    "survey_queue_link".into(),
                    Value::String(queue_link(ctx, &record)?),
                );
            }
            table.push(row);
        }
    }
    let mut values = format!("form_name = '{form}'");
    if layout.longitudinal() {
        values.push_str(&format!(",\nevent_id = {}", event.unique_name));
    }
    journal::write(
        ctx,
        &journal::Entry {
            event: "MANAGE",
            object_type: "redcap_surveys_participants",
            pk: &form,
            event_name: "",
            data_values: values,
            description: "Download survey participant list (API)",
        },
    )?;
    let body = match ctx.format {
        Format::Json => table_json(&table),
        Format::Csv => {
            let mut out = String::new();
            if let Some(first) = table.first() {
                csv_line(first.keys().map(String::as_str), ',', &mut out);
                for row in &table {
                    let cells: Vec<String> = row.values().map(crate::format::cell_text).collect();
                    csv_line(cells.iter().map(String::as_str), ',', &mut out);
                }
            }
            out
        }
        Format::Xml | Format::Odm => table_xml(&table, "records"),
    };
    Ok(Reply::new(ctx.format, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_sized() {
        let a = code(&["1", "r", "f"], 10, UPPER_ALNUM);
        assert_eq!(a.len(), 10);
        assert_eq!(a, code(&["1", "r", "f"], 10, UPPER_ALNUM));
        assert_ne!(a, code(&["1", "r", "g"], 10, UPPER_ALNUM));
        assert!(a.bytes().all(|b| UPPER_ALNUM.contains(&b)));
        assert_eq!(code(&["x"], 9, ACCESS_ALPHABET).len(), 9);
    }
}
