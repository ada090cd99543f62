//! Survey responses, the state REDCap keeps in `redcap_surveys_response`
//! (joined to its participants): one per record, event, survey instrument
//! and instance, with the completion time (none while the response is
//! partial) and the participant identifier.
//!
//! The emulator has no survey pages, so responses come only from
//! [`crate::Emulator::record_survey_response`] and
//! [`crate::Emulator::set_participant_identifier`]. Project XML does not
//! bring them: REDCap's own XML import ignores the survey timestamp and
//! identifier items, so completion times never survive a project XML.
//! Record exports read them for `exportSurveyFields`, the participant list
//! for `response_status` and `identifier`.

use rusqlite::{Connection, params};

use crate::layout::{Layout, Slot};

/// The response table, created with the rest of the store.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS survey_response (
    project_id INTEGER NOT NULL,
    record TEXT NOT NULL,
    event TEXT NOT NULL,
    form TEXT NOT NULL,
    instance INTEGER NOT NULL,
    completed_at TEXT,
    identifier TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, record, event, form, instance)
);
";

/// Creates the response table when it does not exist yet.
pub(crate) fn init(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)
}

/// One stored survey response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) record: String,
    /// Unique event name.
    pub(crate) event: String,
    pub(crate) form: String,
    pub(crate) instance: i64,
    /// `YYYY-MM-DD HH:MM:SS`; `None` while the response is not complete.
    pub(crate) completed_at: Option<String>,
    /// The participant identifier (blank for a public survey).
    pub(crate) identifier: String,
}

impl Response {
    /// The value of the `{form}_timestamp` column: the completion time, or
    /// `[not completed]` for a partial response.
    pub(crate) fn timestamp(&self) -> String {
        self.completed_at
            .clone()
            .unwrap_or_else(|| "[not completed]".to_owned())
    }

    /// `response_status` of the participant list: 1 partial, 2 complete.
    pub(crate) fn status(&self) -> i64 {
        if self.completed_at.is_some() { 2 } else { 1 }
    }

    /// The export row the response belongs to, by event index and slot;
    /// `None` when its event is no longer in the project.
    pub(crate) fn row_key(&self, layout: &Layout<'_>) -> Option<(usize, Slot)> {
        let event = layout
            .events
            .iter()
            .position(|e| e.unique_name == self.event)?;
        let info = &layout.events[event];
        let slot = if info.repeats_whole {
            Slot::Repeat(String::new(), self.instance)
        } else if info.repeating_forms.contains(&self.form) {
            Slot::Repeat(self.form.clone(), self.instance)
        } else {
            Slot::Base
        };
        Some((event, slot))
    }
}

/// Every response of a project, by record, event, form and instance.
pub(crate) fn all(conn: &Connection, project_id: i64) -> rusqlite::Result<Vec<Response>> {
    let mut stmt = conn.prepare(
        "SELECT record, event, form, instance, completed_at, identifier FROM survey_response
         WHERE project_id = ?1 ORDER BY record, event, form, instance",
    )?;
    let rows = stmt.query_map([project_id], |r| {
        Ok(Response {
            record: r.get(0)?,
            event: r.get(1)?,
            form: r.get(2)?,
            instance: r.get(3)?,
            completed_at: r.get(4)?,
            identifier: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// Records (or replaces) a response's completion; the participant
/// identifier of an existing response is kept.
pub(crate) fn put(conn: &Connection, project_id: i64, r: &Response) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO survey_response
             (project_id, record, event, form, instance, completed_at, identifier)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (project_id, record, event, form, instance)
         DO UPDATE SET completed_at = excluded.completed_at",
        params![
            project_id,
            r.record,
            r.event,
            r.form,
            r.instance,
            r.completed_at,
            r.identifier
        ],
    )?;
    Ok(())
}

/// Sets the participant identifier of an existing response; `false` when
/// there is no such response.
pub(crate) fn set_identifier(
    conn: &Connection,
    project_id: i64,
    key: (&str, &str, &str, i64),
    identifier: &str,
) -> rusqlite::Result<bool> {
    let (record, event, form, instance) = key;
    let changed = conn.execute(
        "UPDATE survey_response SET identifier = ?6
         WHERE project_id = ?1 AND record = ?2 AND event = ?3 AND form = ?4 AND instance = ?5",
        params![project_id, record, event, form, instance, identifier],
    )?;
    Ok(changed > 0)
}

/// Checks a response set through the emulator's API against the project:
/// the event, a survey-enabled form designated to it, an instance ≥ 1 (1
/// where nothing repeats) and a `YYYY-MM-DD HH:MM:SS` completion time.
/// Returns the response's unique event name.
pub(crate) fn check(
    layout: &Layout<'_>,
    event: &str,
    form: &str,
    instance: i64,
    completed_at: Option<&str>,
) -> Result<String, String> {
    let info = if !layout.longitudinal() && event.is_empty() {
        layout.events.first()
    } else {
        layout.event(event)
    }
    .ok_or_else(|| format!("no event `{event}` in the project"))?;
    let Some(found) = layout.schema.form(form) else {
        return Err(format!("no instrument `{form}` in the project"));
    };
    if !found.survey {
        return Err(format!(
            "the instrument `{form}` is not enabled as a survey"
        ));
    }
    if !info.forms.iter().any(|f| f == form) {
        return Err(format!(
            "the instrument `{form}` is not designated for the event `{}`",
            info.unique_name
        ));
    }
    let repeats = info.repeats_whole || info.repeating_forms.iter().any(|f| f == form);
    if instance < 1 || (!repeats && instance != 1) {
        return Err(format!(
            "instance {instance} is not valid here (1 where the instrument does not repeat)"
        ));
    }
    if let Some(ts) = completed_at
        && chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S").is_err()
    {
        return Err(format!("completion time `{ts}` is not YYYY-MM-DD HH:MM:SS"));
    }
    Ok(info.unique_name.clone())
}

/// Deletes a record's responses that `removed` selects (all of them when a
/// whole record is deleted, those of the deleted instrument, event, arm or
/// instance otherwise), as REDCap deletes a response with its data.
pub(crate) fn delete_for_record(
    conn: &Connection,
    project_id: i64,
    record: &str,
    removed: impl Fn(&Response) -> bool,
) -> rusqlite::Result<()> {
    for r in all(conn, project_id)?
        .into_iter()
        .filter(|r| r.record == record && removed(r))
    {
        conn.execute(
            "DELETE FROM survey_response
             WHERE project_id = ?1 AND record = ?2 AND event = ?3 AND form = ?4 AND instance = ?5",
            params![project_id, r.record, r.event, r.form, r.instance],
        )?;
    }
    Ok(())
}

/// Moves a renamed record's responses to its new name.
pub(crate) fn rename_record(
    conn: &Connection,
    project_id: i64,
    old: &str,
    new: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE survey_response SET record = ?3 WHERE project_id = ?1 AND record = ?2",
        params![project_id, old, new],
    )?;
    Ok(())
}
