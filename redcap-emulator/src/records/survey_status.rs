//! REDCap's `survey_403` import check: the form status (`{form}_complete`)
//! of a survey instrument cannot be changed by a record import where the
//! record has a survey response (partial or complete) for that form in
//! that event and instance. `Records::saveData` applies it only to values
//! whose status is `add` or `update` (so re-sending the stored value, or a
//! blank under `overwriteBehavior=normal`, passes) and skips it when the
//! import auto-numbers its records.

use std::collections::{HashMap, HashSet};

use rusqlite::Connection;

use crate::layout::Layout;
use crate::records::responses;
use crate::store;

/// The full text of REDCap 15.7.6's `survey_403`.
pub(crate) const MESSAGE: &str = "This field is a Form Status field, whose value cannot be modified for survey responses during a data import. Since this is a survey response, this field's value can only be modified on the survey itself or by marking it as a completed response on the data entry form.";

/// What the check needs: the responses and the stored form statuses.
#[derive(Debug, Default)]
pub(crate) struct SurveyStatus {
    /// (record, unique event name, form, instance) with a response.
    responses: HashSet<(String, String, String, i64)>,
    /// Stored `{form}_complete` values by (record, event, field, instance).
    stored: HashMap<(String, String, String, i64), String>,
}

impl SurveyStatus {
    /// Loads the responses of survey instruments and, for the records
    /// that have one, their stored form statuses.
    pub(crate) fn load(
        conn: &Connection,
        project_id: i64,
        layout: &Layout<'_>,
    ) -> rusqlite::Result<SurveyStatus> {
        let surveys: HashSet<&str> = layout
            .schema
            .forms
            .iter()
            .filter(|f| f.survey)
            .map(|f| f.name.as_str())
            .collect();
        let mut out = SurveyStatus::default();
        if surveys.is_empty() {
            return Ok(out);
        }
        for r in responses::all(conn, project_id)? {
            if surveys.contains(r.form.as_str()) {
                out.responses
                    .insert((r.record, r.event, r.form, r.instance));
            }
        }
        if out.responses.is_empty() {
            return Ok(out);
        }
        let records: Vec<String> = out
            .responses
            .iter()
            .map(|(record, ..)| record.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for v in store::values(conn, project_id, Some(&records))? {
            if layout.is_status(&v.field) {
                out.stored
                    .insert((v.record, v.event, v.field, v.instance), v.value);
            }
        }
        Ok(out)
    }

    /// Whether importing `value` into the status field `field` of `form`
    /// for this record, event and instance (`None`: instance 1; `new`
    /// never has a response) is refused.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn refuses(
        &self,
        record: &str,
        event: &str,
        form: &str,
        field: &str,
        instance: Option<&str>,
        value: &str,
        overwrite: bool,
    ) -> bool {
        let instance = match instance {
            None | Some("") => 1,
            Some(n) => match n.parse::<i64>() {
                Ok(n) => n,
                Err(_) => return false,
            },
        };
        let key = (
            record.to_owned(),
            event.to_owned(),
            form.to_owned(),
            instance,
        );
        if !self.responses.contains(&key) {
            return false;
        }
        let old = self
            .stored
            .get(&(
                record.to_owned(),
                event.to_owned(),
                field.to_owned(),
                instance,
            ))
            .map(String::as_str)
            .unwrap_or_default();
        // Only a value that changes what is stored (REDCap's `add` or
        // `update`) is checked.
        if value.is_empty() {
            overwrite && !old.is_empty()
        } else {
            value != old
        }
    }
}
